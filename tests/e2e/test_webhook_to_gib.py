"""End to end: a shop's signed webhook → web process → Redis → worker process → provider
simulator over HTTP → job completed, for every provider; and `sync-engine demo` itself."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from sync_engine.devtools.devstack import free_port, sandbox_secrets
from sync_engine.devtools.orders import demo_orders
from tests.support.services import redis_url
from sync_engine.devtools.webhooks import WebhookSender
from sync_engine.store.repositories import JobRepository
from tests.support.leaks import identifiers_in, scan
from tests.support.stack import live_stack

pytestmark = pytest.mark.slow

# store -> (platform, secret env, simulator, GİB send expected)
STORES = {
    "demo-shop": ("shopify", "DEMO_SHOP_WEBHOOK_SECRET", "turkcell", True),
    "kolay-shop": ("woocommerce", "KOLAY_SHOP_WEBHOOK_SECRET", "kolaybi", True),
    "entegre-shop": ("shopify", "ENTEGRE_SHOP_WEBHOOK_SECRET", "faturaentegrator", True),
    "sinapp-shop": ("woocommerce", "SINAPP_SHOP_WEBHOOK_SECRET", "sinapp", False),
}


def test_signed_webhook_to_completed_job_for_every_provider(db_url: str, tmp_path: Path) -> None:
    secrets = sandbox_secrets()
    with live_stack(db_url, tmp_path) as stack:
        port = free_port()
        stack.dev.start_web(port)
        start = datetime.now(UTC) - timedelta(hours=1)
        with httpx.Client(timeout=10) as client:
            sender = WebhookSender(client)
            for store, (platform, secret_env, _sim, _gib) in STORES.items():
                url = f"http://127.0.0.1:{port}/webhooks/{platform}/{store}"
                for payload in demo_orders(platform, start=start)[:3]:
                    if platform == "shopify":
                        d = sender.shopify(url, payload, secret=secrets[secret_env], topic="orders/paid")
                    else:
                        d = sender.woocommerce(url, payload, secret=secrets[secret_env], topic="order.updated")
                    assert d.status == 202, d.response.text if d.response else d
                again = sender.redeliver(d)
                assert again.status == 200 and again.response.json()["status"] == "duplicate"
        with stack.sessions() as session:
            jobs, _ = JobRepository(session).list(limit=100)
        assert len(jobs) == 12
        finished = stack.wait([j.id for j in jobs], timeout_s=120)
        assert all(j.status == "completed" for j in finished), [(j.store_id, j.last_error_message) for j in finished]
        for store, (_platform, _env, sim, gib) in STORES.items():
            invoices = stack.sandbox.ledger.per_key(sim, "invoice_created")
            assert len(invoices) == 3 and set(invoices.values()) == {1}, store
            sends = stack.sandbox.ledger.per_key(sim, "gib_send")
            assert (len(sends), set(sends.values()) or {1}) == ((3, {1}) if gib else (0, {1})), store


def test_make_demo_command_finishes_with_the_table_and_a_clean_verdict_and_logs_nothing_personal(
    tmp_path: Path,
) -> None:
    """The demo at DEBUG, then every line its web, worker, beat and sandbox processes
    logged goes through the leak scanner: no buyer's TCKN / VKN, e-mail or phone, no secret
    of the stores file, no traceback (issue #11: one redaction layer for everything)."""
    out = subprocess.run(
        [sys.executable, "-m", "sync_engine", "demo", "--timeout", "150",
         "--sandbox-port", str(free_port()), "--web-port", str(free_port()),
         "--redis-url", redis_url(9)],
        capture_output=True, text=True, timeout=400, cwd=tmp_path,
        env={**os.environ, "SYNC_LOG_LEVEL": "DEBUG"},
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert "ledger verdict" in out.stdout
    assert "✘" not in out.stdout
    assert out.stdout.count("completed") >= 28

    logs = sorted((tmp_path / "var" / "demo").glob("*.log"))
    assert {p.name for p in logs} >= {"web.log", "worker.log", "beat.log"}
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)
    assert '"level": "debug"' in text or "DEBUG" in text  # the run really logged at DEBUG
    payloads = [p for platform in ("shopify", "woocommerce") for p in demo_orders(platform)]
    secrets = {v for v in sandbox_secrets().values() if len(v) >= 8} | {"demo-admin-token"}
    leaks = scan(text, identifiers_in(payloads) | secrets)
    assert not leaks, "\n".join(map(str, leaks[:20]))
