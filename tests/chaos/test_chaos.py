"""Chaos: many orders, every provider, seeded random faults on every endpoint (fail before
the effect, do it then 504, do it then stall past the client timeout, 429, latency), a worker
killed with SIGKILL mid-run and Redis flushed mid-run. Every job must complete with exactly
one effect of each kind at the provider."""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest

from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.sandbox.orders import generate_tckn
from sync_engine.domain import Address, Buyer, BuyerKind
from tests.support.leaks import scan
from tests.support.orders import order
from tests.support.stack import STORES, live_stack

pytestmark = pytest.mark.slow

SIM = {"turkcell_esirket": "turkcell", "kolaybi": "kolaybi", "faturaentegrator": "faturaentegrator", "sinapp": "sinapp"}
KINDS = {
    "turkcell_esirket": ("invoice_created", "gib_send", "journal"),
    "kolaybi": ("invoice_created", "gib_send"),
    "faturaentegrator": ("invoice_created", "gib_send"),
    "sinapp": ("invoice_created",),
}
ORDERS_PER_STORE = 8


def _buyer(rng: random.Random, n: int) -> Buyer:
    return Buyer(
        kind=BuyerKind.PERSON, tax_id=generate_tckn(rng), first_name="Kaos", last_name=f"Alıcı{n}",
        email=f"kaos{n}@example.com", phone=f"+90555000{n:04d}", address=Address(line1="Deneme Sok. 3", district="Çankaya", city="Ankara"),
    )


def test_every_order_is_invoiced_exactly_once_under_chaos(db_url: str, tmp_path: Path) -> None:
    rng = random.Random(20261121)
    shorten = lambda text: text.replace("timeout_s = 10", "timeout_s = 1").replace("timeout_s = 15", "timeout_s = 1")  # noqa: E731
    with live_stack(db_url, tmp_path, transform=shorten, env={"SYNC_MAX_ATTEMPTS": "60"}) as stack:
        faults = stack.sandbox.state.faults
        faults.seed(7)
        for sim in ("turkcell", "kolaybi", "faturaentegrator", "sinapp"):
            faults.add(FaultRule(sim, "*", FaultMode.BEFORE_500, probability=0.08))
            faults.add(FaultRule(sim, "*", FaultMode.AFTER_504, probability=0.06))
            faults.add(FaultRule(sim, "*", FaultMode.RATE_429, probability=0.04, retry_after_s=1))
            faults.add(FaultRule(sim, "*", FaultMode.AFTER_STALL, probability=0.02, stall_s=1.5))
            faults.add(FaultRule(sim, "*", FaultMode.LATENCY, probability=0.2, latency_ms=150))
        ids = []
        buyers = []
        for store in STORES:
            for n in range(ORDERS_PER_STORE):
                buyers.append(_buyer(rng, n))
                ids.append(stack.create_job(store, order(order_id=f"chaos-{store}-{n}", store_id=store, buyer=buyers[-1])))
        for job_id in ids:
            stack.enqueue(job_id)
        time.sleep(3)
        stack.dev.kill("worker")  # SIGKILL mid-run: leases held, messages unacked
        stack.redis.flushdb()  # and every queued wake-up call is gone
        stack.dev.start_worker("worker2")
        jobs = stack.wait(ids, timeout_s=270, sweep_every_s=3,
                          until=lambda j: j.status == "completed")
        assert sum(faults.fired.values()) > 20, faults.fired  # the chaos really happened
        for provider, kinds in KINDS.items():
            sim = SIM[provider]
            for kind in kinds:
                per_key = stack.sandbox.ledger.per_key(sim, kind)
                assert len(per_key) == ORDERS_PER_STORE and set(per_key.values()) == {1}, (sim, kind, per_key)
        caris = Counter(stack.sandbox.ledger.per_key("turkcell", "cari_created"))
        assert set(caris.values()) == {1}
        assert all(j.status == "completed" for j in jobs)
        # Retries, 504s and stalls log the most (errors, provider answers): still nothing personal.
        logs = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in stack.dev.workdir.glob("*.log"))
        assert "chaos-" in logs  # the workers' logs were read
        identities = {b.tax_id for b in buyers} | {b.email for b in buyers} | {b.phone.lstrip("+")[-10:] for b in buyers}
        leaks = scan(logs, identities)
        assert not leaks, "\n".join(map(str, leaks[:20]))
