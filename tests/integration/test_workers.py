"""The pipeline under real Celery workers, real Redis, the sandbox over HTTP, on SQLite and
PostgreSQL (issue: exactly-once effect from order to GİB to journal)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.store.repositories import AttemptRepository
from tests.support.orders import PERSON, order
from tests.support.stack import STORES, live_stack

pytestmark = pytest.mark.slow

SIM = {"turkcell_esirket": "turkcell", "kolaybi": "kolaybi", "faturaentegrator": "faturaentegrator", "sinapp": "sinapp"}
# What each provider's steps leave in the ledger for one order (DESIGN §6).
EFFECTS = {
    "turkcell_esirket": {"cari_created": 1, "invoice_created": 1, "gib_send": 1, "journal": 1},
    "kolaybi": {"cari_created": 1, "invoice_created": 1, "gib_send": 1},
    "faturaentegrator": {"cari_created": 1, "invoice_created": 1, "gib_send": 1},
    "sinapp": {"invoice_created": 1},
}
SKIPPED = {
    "turkcell_esirket": set(),
    "kolaybi": {"journal"},
    "faturaentegrator": {"journal"},
    "sinapp": {"customer", "e_document", "journal"},
}


def ledger_counts(stack, provider: str) -> dict[str, int]:  # noqa: ANN001
    summary = stack.sandbox.ledger.summary().get(SIM[provider], {})
    return {k: v for k, v in summary.items() if k in ("cari_created", "invoice_created", "gib_send", "journal")}


def test_happy_path_every_provider(db_url: str, tmp_path: Path) -> None:
    with live_stack(db_url, tmp_path) as stack:
        ids = {store: stack.create_job(store, order(order_id=f"hp-{store}", store_id=store)) for store in STORES}
        for job_id in ids.values():
            stack.enqueue(job_id)
        jobs = dict(zip(ids, stack.wait(list(ids.values()), timeout_s=90)))
        for store, job in jobs.items():
            provider = STORES[store]
            assert job.status == "completed", (store, job.last_error_message)
            for step in ("customer", "invoice", "e_document", "journal"):
                expected = "skipped" if step in SKIPPED[provider] else "done"
                assert getattr(job, f"step_{step}") == expected, (store, step)
            assert ledger_counts(stack, provider) == EFFECTS[provider], store
            if "gib_send" in EFFECTS[provider]:
                assert job.invoice_number and job.gib_uuid
        assert stack.sandbox.state.violations.list() == []


def test_same_job_enqueued_20_times_has_one_effect_of_each_kind(db_url: str, tmp_path: Path) -> None:
    with live_stack(db_url, tmp_path) as stack:
        job_id = stack.create_job("demo-shop", order(order_id="dup-20", store_id="demo-shop"))
        for _ in range(20):
            stack.enqueue(job_id)
        (job,) = stack.wait([job_id])
        time.sleep(1.0)  # let the other 19 deliveries drain: they must do nothing
        assert job.status == "completed"
        assert ledger_counts(stack, "turkcell_esirket") == EFFECTS["turkcell_esirket"]


def test_worker_killed_mid_step_completes_without_duplicates(db_url: str, tmp_path: Path) -> None:
    with live_stack(db_url, tmp_path) as stack:
        # The invoice save takes 2 s at the provider; the worker dies while waiting for it.
        stack.sandbox.state.faults.add(FaultRule("turkcell", "*", FaultMode.LATENCY, latency_ms=2000, times=1))
        job_id = stack.create_job("demo-shop", order(order_id="kill-1", store_id="demo-shop"))
        stack.enqueue(job_id)
        stack.wait([job_id], until=lambda j: j.lease_owner is not None, timeout_s=30)
        time.sleep(0.5)
        stack.dev.kill("worker")
        stack.dev.start_worker("worker2")
        (job,) = stack.wait([job_id], timeout_s=90, sweep_every_s=2)
        assert job.status == "completed", job.last_error_message
        assert ledger_counts(stack, "turkcell_esirket") == EFFECTS["turkcell_esirket"]


def test_redis_flushed_mid_run_sweeper_completes_every_job(db_url: str, tmp_path: Path) -> None:
    with live_stack(db_url, tmp_path, start_worker=False) as stack:
        ids = [stack.create_job("kolay-shop", order(order_id=f"flush-{i}", store_id="kolay-shop")) for i in range(8)]
        for job_id in ids:
            stack.enqueue(job_id)
        stack.redis.flushdb()  # every wake-up call is gone before any worker saw it
        stack.dev.start_worker()
        jobs = stack.wait(ids, timeout_s=120, sweep_every_s=2)
        assert all(j.status == "completed" for j in jobs), [(j.id, j.last_error_message) for j in jobs]
        sends = stack.sandbox.ledger.per_key("kolaybi", "gib_send")
        assert len(sends) == 8 and set(sends.values()) == {1}


@pytest.mark.parametrize("mode", [FaultMode.AFTER_504, FaultMode.AFTER_STALL])
def test_gib_send_with_unknown_outcome_is_probed_not_resent(db_url: str, tmp_path: Path, mode: FaultMode) -> None:
    # Client timeout 1 s, the provider stalls 2.5 s after sending: the worker never hears back.
    shorten = lambda text: text.replace("timeout_s = 10", "timeout_s = 1")  # noqa: E731
    with live_stack(db_url, tmp_path, transform=shorten) as stack:
        stack.sandbox.state.faults.add(FaultRule("turkcell", "earchive_create", mode, times=1, stall_s=2.5))
        job_id = stack.create_job("demo-shop", order(order_id=f"gib-{mode.value}", store_id="demo-shop"))
        stack.enqueue(job_id)
        (job,) = stack.wait([job_id], timeout_s=60)
        assert job.status == "completed", job.last_error_message
        assert stack.sandbox.ledger.count("turkcell", "gib_send") == 1
        sent = stack.sandbox.ledger.effects("turkcell", "gib_send")[0]
        assert job.gib_uuid and job.gib_uuid == sent.detail.get("gib_uuid", job.gib_uuid)
        assert stack.sandbox.state.faults.fired, "the fault never fired: the test proves nothing"
        # every provider call is an attempt row: the lost send, then the probe that found it
        with stack.sessions() as session:
            attempts = AttemptRepository(session).for_job(job_id)
        sends = [a for a in attempts if a.step == "e_document"]
        assert sends[0].error_class == "TransientError"
        assert sends[0].http_status == (504 if mode is FaultMode.AFTER_504 else None)
        assert all(a.error_class is None for a in sends[1:]) and len(sends) >= 2
        assert {a.step for a in attempts} == {"customer", "invoice", "e_document", "journal"}
        assert all(a.operation and a.duration_ms >= 0 for a in attempts)


def test_permanent_refusal_needs_attention_then_cli_retry_completes(db_url: str, tmp_path: Path) -> None:
    with live_stack(db_url, tmp_path) as stack:
        rule = stack.sandbox.state.faults.add(FaultRule("faturaentegrator", "invoices_create", FaultMode.REFUSE_422))
        job_id = stack.create_job("entegre-shop", order(order_id="refuse-1", store_id="entegre-shop"))
        stack.enqueue(job_id)
        (job,) = stack.wait([job_id])
        assert job.status == "needs_attention" and job.attention_category == "provider_refused"
        assert "refused by an injected business rule" in job.last_error_message
        stack.sandbox.state.faults.clear()  # the cause is removed
        assert rule not in stack.sandbox.state.faults.rules()
        out = subprocess.run(
            [sys.executable, "-m", "sync_engine", "jobs", "retry", str(job_id)],
            env=stack.dev.env, capture_output=True, text=True, timeout=60,
        )
        assert out.returncode == 0, out.stderr
        (job,) = stack.wait([job_id], until=lambda j: j.status == "completed")
        assert ledger_counts(stack, "faturaentegrator") == EFFECTS["faturaentegrator"]


def test_two_orders_of_the_same_new_buyer_make_one_cari(db_url: str, tmp_path: Path) -> None:
    with live_stack(db_url, tmp_path) as stack:
        ids = []
        for store in ("demo-shop", "kolay-shop", "entegre-shop"):
            for n in range(3):
                ids.append(stack.create_job(store, order(order_id=f"same-{store}-{n}", store_id=store, buyer=PERSON)))
        for job_id in ids:
            stack.enqueue(job_id)
        jobs = stack.wait(ids, timeout_s=120)
        assert all(j.status == "completed" for j in jobs), [(j.id, j.last_error_message) for j in jobs]
        for sim in ("turkcell", "kolaybi", "faturaentegrator"):
            assert stack.sandbox.ledger.count(sim, "cari_created") == 1, sim
        assert Counter(j.customer_id for j in jobs if j.store_id == "demo-shop").most_common(1)[0][1] == 3


def test_faturaentegrator_totals_land_or_stop_before_gib(db_url: str, tmp_path: Path) -> None:
    """Issue #10: 33.33 × 3 at 20 % paid 99.99 is invoiced at 99.99 (split 2 + 1); one piece
    paid 12.03 cannot be reached under FE's per-line VAT, so FE's read-back total (12.02)
    stops the job before the GİB send, with both figures."""
    from decimal import Decimal

    from sync_engine.domain import InvoiceLine

    def one(name: str, qty: int, price: str) -> tuple[InvoiceLine, ...]:
        return (InvoiceLine(name=name, quantity=Decimal(qty), unit_price=Decimal(price), vat_rate=Decimal(20)),)

    with live_stack(db_url, tmp_path) as stack:
        landed = stack.create_job("entegre-shop", order(order_id="kupa-3", store_id="entegre-shop", lines=one("Kupa", 3, "33.33")))
        stuck = stack.create_job("entegre-shop", order(order_id="kalem-1", store_id="entegre-shop", lines=one("Kalem", 1, "12.03")))
        for job_id in (landed, stuck):
            stack.enqueue(job_id)
        ok, stopped = stack.wait([landed, stuck], timeout_s=90)
        assert ok.status == "completed" and ok.provider_total == Decimal("99.99"), ok.last_error_message
        assert (stopped.status, stopped.attention_category) == ("needs_attention", "total_mismatch")
        assert "12.02" in stopped.last_error_message and "12.03" in stopped.last_error_message
        assert stopped.provider_total == Decimal("12.02") and stopped.step_e_document != "done"
        assert stack.sandbox.ledger.count("faturaentegrator", "invoice_created") == 2
        assert stack.sandbox.ledger.count("faturaentegrator", "gib_send") == 1
        assert stack.sandbox.state.violations.list() == []
