"""Chaos: many orders, every provider, seeded random faults on every endpoint (fail before
the effect, do it then 504, do it then stall past the client timeout, 429, latency), a worker
killed with SIGKILL mid-run and Redis flushed mid-run. Every job must complete with exactly
one effect of each kind at the provider."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.devtools.orders import generate_tckn
from sync_engine.domain import Address, Buyer, BuyerKind
from tests.support.leaks import scan
from tests.support.orders import order
from tests.support.stack import SETTLED, STORES, live_stack

pytestmark = pytest.mark.slow

SIM = {"turkcell_esirket": "turkcell", "kolaybi": "kolaybi", "faturaentegrator": "faturaentegrator", "sinapp": "sinapp"}
KINDS = {
    "turkcell_esirket": ("invoice_created", "gib_send", "journal"),
    "kolaybi": ("invoice_created", "gib_send"),
    "faturaentegrator": ("invoice_created", "gib_send"),
    "sinapp": ("invoice_created",),
}
ORDERS_PER_STORE = 8


def _short_timeouts(text: str) -> str:
    """Provider timeouts of 1 s, so that a stalled answer is a timeout within the test."""
    return text.replace("timeout_s = 10", "timeout_s = 1").replace("timeout_s = 15", "timeout_s = 1")


def _buyer(rng: random.Random, n: int) -> Buyer:
    return Buyer(
        kind=BuyerKind.PERSON, tax_id=generate_tckn(rng), first_name="Kaos", last_name=f"Alıcı{n}",
        email=f"kaos{n}@example.com", phone=f"+90555000{n:04d}", address=Address(line1="Deneme Sok. 3", district="Çankaya", city="Ankara"),
    )


def test_every_order_is_invoiced_exactly_once_under_chaos(db_url: str, tmp_path: Path) -> None:
    rng = random.Random(20261121)
    with live_stack(db_url, tmp_path, transform=_short_timeouts, env={"SYNC_MAX_ATTEMPTS": "60"}) as stack:
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


CANCELS_PER_STORE = 6


def test_cancels_under_chaos_never_reach_gib_after_the_stop_and_never_cancel_twice(db_url: str, tmp_path: Path) -> None:
    """#12 under faults: orders cancelled at the shop at random moments — before the job ran,
    while a worker held it, after its GİB send — with the same fault plan, a worker SIGKILLed
    and Redis flushed. A cancel that found the send not yet claimed means no GİB send ever; a
    cancel after the send cancels the e-Arşiv at most once; nothing is invoiced twice."""
    from sync_engine.config import load_stores
    from sync_engine.ingest import ingest
    from sync_engine.platforms.base import EventKind, ParsedDelivery
    from sync_engine.platforms.registry import get_platform

    rng = random.Random(20261204)
    with live_stack(db_url, tmp_path, transform=_short_timeouts, env={"SYNC_MAX_ATTEMPTS": "60"}) as stack:
        faults = stack.sandbox.state.faults
        faults.seed(11)
        for sim in ("turkcell", "kolaybi", "faturaentegrator", "sinapp"):
            faults.add(FaultRule(sim, "*", FaultMode.BEFORE_500, probability=0.06))
            faults.add(FaultRule(sim, "*", FaultMode.AFTER_504, probability=0.05))
            faults.add(FaultRule(sim, "*", FaultMode.LATENCY, probability=0.2, latency_ms=150))
        stores = load_stores(stack.dev.stores_file, environ=stack.dev.env)
        orders = {}
        for store in STORES:
            for n in range(CANCELS_PER_STORE):
                o = order(order_id=f"undo-{store}-{n}", store_id=store, buyer=_buyer(rng, n).model_copy(update={"phone": "+905550000000"}))
                orders[(store, o.order_id)] = (o, stack.create_job(store, o))
        outcomes: dict[tuple[str, str], str] = {}

        def cancel(key: tuple[str, str]) -> None:
            store_id, order_id = key
            o, _ = orders[key]
            parsed = ParsedDelivery(kind=EventKind.ORDER, event_key=f"cancel:{order_id}", topic="orders/cancelled",
                                    order_id=order_id, order_name=o.order_name, invoiceable=False, order=o,
                                    problem="order cancelled at the shop", cancelled=True)
            with stack.sessions() as session:
                result = ingest(session, store=stores[store_id], adapter=get_platform(stores[store_id].platform),
                                headers={}, body=b"{}", source="webhook", now=datetime.now(UTC), parsed=parsed)
                session.commit()
            outcomes[key] = result.reason or ""
            if result.enqueue and result.job_id is not None:
                stack.enqueue(result.job_id)
            for job_id in result.wake:
                stack.enqueue(job_id)

        keys = list(orders)
        rng.shuffle(keys)
        early, mid, late = keys[:6], keys[6:12], keys[12:18]  # 6 orders are never cancelled
        for key in early:
            cancel(key)  # before any worker saw the job
        for _, job_id in orders.values():
            stack.enqueue(job_id)
        time.sleep(1.5)
        for key in mid:
            cancel(key)  # while workers hold jobs, mid-step
        stack.dev.kill("worker")
        stack.redis.flushdb()
        stack.dev.start_worker("worker2")
        sales = [job_id for _, job_id in orders.values()]
        settled = lambda j: j.status in SETTLED  # noqa: E731
        stack.wait(sales, timeout_s=200, sweep_every_s=3, until=settled)
        for key in late:
            cancel(key)  # after the send
        cancel_jobs = [j.id for j in stack.all_jobs() if j.kind == "cancel"]
        stack.wait(cancel_jobs, timeout_s=200, sweep_every_s=3, until=settled)

        stopped = [k for k, reason in outcomes.items() if "stopped before" in reason or "no invoice had been made" in reason
                   or "is stopped before" in reason]
        assert stopped, outcomes  # some cancels did stop jobs before GİB
        for sim in ("turkcell", "kolaybi", "faturaentegrator", "sinapp"):
            for kind in ("invoice_created", "gib_send", "cancel"):
                assert set(stack.sandbox.ledger.per_key(sim, kind).values()) <= {1}, (sim, kind)
        sales_of = {store: [stack.job(job_id) for (s_id, _), (_, job_id) in orders.items() if s_id == store]
                    for store in STORES}
        for store, provider in STORES.items():
            if "gib_send" not in KINDS[provider]:
                continue
            # The simulator's own ledger agrees with the jobs: a GİB send for exactly the
            # orders whose job records one.
            sends = stack.sandbox.ledger.per_key(SIM[provider], "gib_send")
            assert len(sends) == sum(1 for j in sales_of[store] if j.step_e_document == "done"), store
        for key in stopped:
            job = stack.job(orders[key][1])
            assert job.step_e_document not in ("in_progress", "done"), (key, outcomes[key], job.status)
            assert job.status in ("cancelled", "needs_attention"), (key, job.status)
        for key in keys[18:]:
            assert stack.job(orders[key][1]).status == "completed"



REFUNDS_PER_STORE = 4
RETURNS = {"turkcell_esirket": ("return_invoice_created", "gib_send", "journal"),
           "kolaybi": ("return_invoice_created", "gib_send"),
           "faturaentegrator": ("return_invoice_created", "gib_send")}


def test_refunds_under_chaos_are_returned_once_each(db_url: str, tmp_path: Path) -> None:
    """#12 under faults: a partial refund after each sale's GİB send, delivered twice (and a
    third time after a worker is SIGKILLed and Redis flushed), with 500s, 504s after the
    effect and latency on every endpoint. Each refund makes exactly one return (İADE)
    invoice, sent (and journaled) once, where the provider has return invoices; SinApp's wait
    for a person; nothing of the sale is made twice."""
    from decimal import Decimal

    from sync_engine.config import load_stores
    from sync_engine.domain.refunds import Refund, RefundLine
    from sync_engine.ingest import ingest
    from sync_engine.platforms.base import EventKind, ParsedDelivery
    from sync_engine.platforms.registry import get_platform

    rng = random.Random(20261207)
    with live_stack(db_url, tmp_path, transform=_short_timeouts, env={"SYNC_MAX_ATTEMPTS": "60"}) as stack:
        faults = stack.sandbox.state.faults
        faults.seed(13)
        stores = load_stores(stack.dev.stores_file, environ=stack.dev.env)
        orders = {}
        for store in STORES:
            for n in range(REFUNDS_PER_STORE):
                o = order(order_id=f"iade-{store}-{n}", store_id=store, buyer=_buyer(rng, n))
                # The shop's line ids, by which a refund names what it gives back.
                o = o.model_copy(update={"lines": tuple(ln.model_copy(update={"line_ref": f"L{i}"})
                                                        for i, ln in enumerate(o.lines))})
                orders[(store, o.order_id)] = (o, stack.create_job(store, o))
        for _, job_id in orders.values():
            stack.enqueue(job_id)
        stack.wait([j for _, j in orders.values()], timeout_s=200, sweep_every_s=3,
                   until=lambda j: j.status == "completed")
        # Faults from here on: the returns meet them, the sales are done.
        for sim in ("turkcell", "kolaybi", "faturaentegrator", "sinapp"):
            faults.add(FaultRule(sim, "*", FaultMode.BEFORE_500, probability=0.08))
            faults.add(FaultRule(sim, "*", FaultMode.AFTER_504, probability=0.08))
            faults.add(FaultRule(sim, "*", FaultMode.LATENCY, probability=0.2, latency_ms=150))

        # One of the two T-shirts (149.90, 20 % VAT included) given back.
        one_shirt = RefundLine(line_ref="L0", quantity=Decimal(1), amount=Decimal("149.90"), tax=Decimal("24.98"))
        returns: dict[tuple[str, str], int] = {}

        def refund(key: tuple[str, str], delivery: int) -> None:
            store_id, order_id = key
            o, _ = orders[key]
            r = Refund(refund_id=f"r-{order_id}", order_id=order_id, created_at=datetime.now(UTC),
                       lines=(one_shirt,), total=Decimal("149.90"))
            parsed = ParsedDelivery(kind=EventKind.REFUND, event_key=f"refund:{order_id}:{delivery}",
                                    topic="refunds/create", order_id=order_id, order_name=o.order_name, refund=r,
                                    invoiceable=False, order=None, problem=None)
            with stack.sessions() as session:
                result = ingest(session, store=stores[store_id], adapter=get_platform(stores[store_id].platform),
                                headers={}, body=b"{}", source="webhook", now=datetime.now(UTC), parsed=parsed)
                session.commit()
            assert result.job_id is not None, result
            assert returns.setdefault(key, result.job_id) == result.job_id, (key, result)
            if result.enqueue:
                stack.enqueue(result.job_id)
            for job_id in result.wake:
                stack.enqueue(job_id)

        for key in orders:
            refund(key, 1)
            refund(key, 2)  # the shop retries the webhook
        time.sleep(1.5)
        stack.dev.kill("worker")  # SIGKILL while return jobs hold leases, mid-call
        stack.redis.flushdb()
        stack.dev.start_worker("worker2")
        for key in orders:
            refund(key, 3)  # and once more, after the crash
        jobs = {key: job for key, job in zip(returns, stack.wait(list(returns.values()), timeout_s=240, sweep_every_s=3,
                                                                 until=lambda j: j.status in SETTLED))}

        assert sum(faults.fired.values()) > 10, faults.fired  # the chaos really happened
        for (store, _), job in jobs.items():
            provider = STORES[store]
            if provider in RETURNS:
                assert (job.kind, job.status) == ("return", "completed"), (store, job.status, job.last_error_message)
            else:  # SinApp documents no return invoice: a person makes it, told exactly what
                assert (job.status, job.attention_category) == ("needs_attention", "refund_after_send"), job.last_error_message
        for provider, kinds in RETURNS.items():
            sim = SIM[provider]
            made = stack.sandbox.ledger.per_key(sim, "return_invoice_created")
            assert len(made) == REFUNDS_PER_STORE and set(made.values()) == {1}, (sim, made)
            for kind in kinds[1:]:  # the sale's and the return's: one each
                per_key = stack.sandbox.ledger.per_key(sim, kind)
                assert len(per_key) == 2 * REFUNDS_PER_STORE and set(per_key.values()) == {1}, (sim, kind, per_key)
        for sim in SIM.values():
            assert set(stack.sandbox.ledger.per_key(sim, "invoice_created").values()) <= {1}, sim
        assert stack.sandbox.ledger.count("sinapp", "return_invoice_created") == 0
