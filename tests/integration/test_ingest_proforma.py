"""Orders awaiting a bank transfer (issue 13): at a store with ``proforma_for_pending`` an
unpaid order gets its own proforma job, exactly once; paying closes the proforma and makes the
sale job; a cancel closes it; a late "pending" after "paid" makes none. Ingest runs on the real
state layer (SQLite and PostgreSQL), with the deliveries the shops sign."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.domain.keys import proforma_key, sale_key
from sync_engine.ingest import IngestResult, ingest
from sync_engine.pipeline.ops import job_detail
from sync_engine.platforms.registry import get_platform
from sync_engine.devtools.webhooks import build_shopify, build_woocommerce
from sync_engine.store.models import Job
from sync_engine.store.repositories import JobRepository
from tests.support.web import (
    GENERIC_ORDER,
    SHOPIFY_SECRET,
    WOO_SECRET,
    load_test_stores,
    paid_shopify,
    paid_woocommerce,
)

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def stores(tmp_path: Path) -> dict[str, Any]:
    loaded = load_test_stores(tmp_path)

    def wanting(store_id: str, wants: bool = True) -> Any:
        store = loaded[store_id]
        return store.model_copy(update={"invoice": store.invoice.model_copy(update={"proforma_for_pending": wants})})

    return {"shopify": wanting("demo-shop"), "woo": wanting("kolay-shop"),
            "generic": wanting("generic-shop"), "shopify-off": wanting("demo-shop", False)}


def pending_shopify(n: int = 7) -> dict[str, Any]:
    payload = paid_shopify(n)
    payload.update(financial_status="pending", gateway="Havale / EFT", payment_gateway_names=["Havale / EFT"])
    return payload


def on_hold_woo(n: int = 7, method: str = "bacs") -> dict[str, Any]:
    payload = paid_woocommerce(n)
    payload.update(status="on-hold", payment_method=method, payment_method_title="Banka Havalesi",
                   date_paid=None, date_paid_gmt=None, transaction_id="")
    return payload


def signed(store: Any, payload: dict[str, Any], topic: str | None = None) -> tuple[dict[str, str], bytes]:
    if store.platform == "shopify":
        headers, body = build_shopify(payload, secret=SHOPIFY_SECRET, topic=topic or "orders/create",
                                      shop_domain=f"{store.id}.myshopify.com")
    elif store.platform == "woocommerce":
        headers, body = build_woocommerce(payload, secret=WOO_SECRET, topic=topic or "order.updated")
    else:
        import json
        import uuid

        headers, body = {"webhook-id": f"msg_{uuid.uuid4().hex}"}, json.dumps(payload).encode()
    return headers, body


def deliver(sessions: sessionmaker[Session], store: Any, payload: dict[str, Any], *,
            topic: str | None = None, at: datetime = NOW,
            delivery: tuple[dict[str, str], bytes] | None = None) -> IngestResult:
    headers, body = delivery or signed(store, payload, topic)
    with sessions() as session:
        result = ingest(session, store=store, adapter=get_platform(store.platform), headers=headers,
                        body=body, source="webhook", now=at)
        session.commit()
    return result


def jobs(sessions: sessionmaker[Session]) -> list[Job]:
    with sessions() as session:
        return list(session.query(Job).order_by(Job.id))


def test_a_pending_shopify_order_gets_one_proforma_job(session_factory: sessionmaker[Session], stores: dict[str, Any]) -> None:
    order = pending_shopify()
    delivery = signed(stores["shopify"], order)
    first = deliver(session_factory, stores["shopify"], order, delivery=delivery)
    assert (first.status, first.enqueue) == ("accepted", True)
    again = deliver(session_factory, stores["shopify"], order, delivery=delivery)  # redelivered
    assert again.status == "duplicate"
    later = deliver(session_factory, stores["shopify"], {**order, "updated_at": "2025-03-03T11:00:00+03:00"},
                    topic="orders/updated")  # another event about the still-pending order
    assert (later.status, later.job_id, later.enqueue) == ("accepted", first.job_id, False)
    (job,) = jobs(session_factory)
    assert (job.kind, job.status, job.idempotency_key) == (
        "proforma", "queued", proforma_key("demo-shop", str(order["id"])))
    assert job.order_json is not None


def test_a_store_without_proformas_only_stores_the_pending_order(
    session_factory: sessionmaker[Session], stores: dict[str, Any]
) -> None:
    result = deliver(session_factory, stores["shopify-off"], pending_shopify())
    assert (result.status, result.reason) == ("ignored", "order is not paid yet (financial_status pending)")
    assert jobs(session_factory) == []


def test_paid_after_pending_makes_the_sale_job_and_closes_the_unmade_proforma(
    session_factory: sessionmaker[Session], stores: dict[str, Any]
) -> None:
    order = pending_shopify()
    proforma = deliver(session_factory, stores["shopify"], order)
    paid = deliver(session_factory, stores["shopify"], {**order, "financial_status": "paid",
                   "updated_at": "2025-03-04T09:00:00+03:00"}, topic="orders/paid", at=NOW + timedelta(minutes=1))
    assert (paid.status, paid.enqueue) == ("accepted", True)
    by_kind = {j.kind: j for j in jobs(session_factory)}
    assert by_kind["sale"].idempotency_key == sale_key("demo-shop", str(order["id"]))
    # The worker had not made the proforma yet: it is cancelled, never made.
    closed = by_kind["proforma"]
    assert (closed.id, closed.status) == (proforma.job_id, "cancelled")
    assert closed.closed_reason == f"order paid; invoiced by job {paid.job_id}"
    with session_factory() as session:
        chain = job_detail(session, paid.job_id)["chain"]
    assert [(c["kind"], c["status"]) for c in chain] == [("proforma", "cancelled"), ("sale", "queued")]


def test_paid_after_a_made_proforma_keeps_it_and_records_the_close(
    session_factory: sessionmaker[Session], stores: dict[str, Any]
) -> None:
    order = pending_shopify()
    proforma = deliver(session_factory, stores["shopify"], order)
    with session_factory() as session:  # the worker made it
        JobRepository(session).set_fields(proforma.job_id, NOW, status="completed", step_customer="done",
                                          step_invoice="done", invoice_id="501")
        session.commit()
    paid = deliver(session_factory, stores["shopify"], {**order, "financial_status": "paid",
                   "updated_at": "2025-03-04T09:00:00+03:00"}, topic="orders/paid")
    made = next(j for j in jobs(session_factory) if j.kind == "proforma")
    assert (made.status, made.invoice_id, made.closed_reason) == (
        "completed", "501", f"order paid; invoiced by job {paid.job_id}")


def test_a_proforma_job_a_worker_holds_is_not_cancelled_under_it(
    session_factory: sessionmaker[Session], stores: dict[str, Any]
) -> None:
    order = pending_shopify()
    proforma = deliver(session_factory, stores["shopify"], order)
    with session_factory() as session:
        assert JobRepository(session).take_lease(proforma.job_id, "worker-1", 60, NOW)
        session.commit()
    deliver(session_factory, stores["shopify"], {**order, "financial_status": "paid",
            "updated_at": "2025-03-04T09:00:00+03:00"}, topic="orders/paid", at=NOW + timedelta(seconds=5))
    held = next(j for j in jobs(session_factory) if j.kind == "proforma")
    assert held.status == "running" and held.lease_owner == "worker-1"
    assert held.closed_reason is not None and held.closed_reason.startswith("order paid")


def test_a_late_pending_after_paid_makes_no_proforma(session_factory: sessionmaker[Session], stores: dict[str, Any]) -> None:
    order = pending_shopify()
    paid = deliver(session_factory, stores["shopify"], {**order, "financial_status": "paid"}, topic="orders/paid")
    late = deliver(session_factory, stores["shopify"], order)  # orders/create arrives last
    assert (late.status, late.job_id) == ("ignored", paid.job_id)
    assert late.reason == "order already paid (sale job exists); no proforma"
    assert [j.kind for j in jobs(session_factory)] == ["sale"]


def test_cancelled_while_pending_closes_the_proforma_and_invoices_nothing(
    session_factory: sessionmaker[Session], stores: dict[str, Any]
) -> None:
    order = pending_shopify()
    deliver(session_factory, stores["shopify"], order)
    cancelled = {**order, "cancelled_at": "2025-03-05T10:00:00+03:00", "cancel_reason": "customer",
                 "updated_at": "2025-03-05T10:00:00+03:00"}
    result = deliver(session_factory, stores["shopify"], cancelled, topic="orders/cancelled")
    assert result.status == "accepted"  # the order's cancel job, recording it
    proforma, cancel = jobs(session_factory)
    assert (proforma.kind, proforma.status, proforma.closed_reason) == ("proforma", "cancelled", "order cancelled at the shop")
    assert (cancel.kind, cancel.status) == ("cancel", "completed")
    # The buyer's transfer arriving late (an older body) invoices nothing either.
    late = deliver(session_factory, stores["shopify"], {**order, "financial_status": "paid"}, topic="orders/paid")
    assert late.status == "ignored" and [j.kind for j in jobs(session_factory)] == ["proforma", "cancel"]


def test_woocommerce_on_hold_bank_transfer_gets_a_proforma_a_card_order_does_not(
    session_factory: sessionmaker[Session], stores: dict[str, Any]
) -> None:
    bacs = deliver(session_factory, stores["woo"], on_hold_woo(7))
    card = deliver(session_factory, stores["woo"], on_hold_woo(8, method="stripe"))
    assert (bacs.status, card.status) == ("accepted", "ignored")
    assert [(j.kind, j.order_id) for j in jobs(session_factory)] == [("proforma", "1007")]


def test_generic_unpaid_order_gets_a_proforma(session_factory: sessionmaker[Session], stores: dict[str, Any]) -> None:
    order = copy.deepcopy(GENERIC_ORDER)
    order["paid"] = False
    result = deliver(session_factory, stores["generic"], order)
    assert result.status == "accepted"
    (job,) = jobs(session_factory)
    assert (job.kind, job.order_id) == ("proforma", "100234")


def test_a_pending_order_that_cannot_be_invoiced_waits_for_an_operator(
    session_factory: sessionmaker[Session], stores: dict[str, Any]
) -> None:
    order = copy.deepcopy(GENERIC_ORDER)
    order.update(paid=False, currency="EUR")
    result = deliver(session_factory, stores["generic"], order)
    assert result.status == "needs_attention" and "currency EUR" in (result.reason or "")
    (job,) = jobs(session_factory)
    assert (job.kind, job.attention_category) == ("proforma", "invalid_order")


# --- reconciliation: a proforma whose order stayed unpaid past the payment term ---------------


def test_a_proforma_unpaid_past_its_term_is_closed_and_reported(
    session_factory: sessionmaker[Session], stores: dict[str, Any]
) -> None:
    from sync_engine.reconcile.findings import Action, Category, StoreReport
    from sync_engine.reconcile.service import ReconcileDeps, _expired_proformas
    from sync_engine.reconcile.window import day_window

    store = stores["shopify"]
    unpaid, paid, fresh = pending_shopify(7), pending_shopify(8), pending_shopify(9)
    made = {}
    for payload, at in ((unpaid, NOW - timedelta(days=5)), (paid, NOW - timedelta(days=5)), (fresh, NOW - timedelta(days=1))):
        result = deliver(session_factory, store, payload, at=at)
        with session_factory() as session:
            JobRepository(session).set_fields(result.job_id, at, status="completed", step_customer="done",
                                              step_invoice="done", invoice_id=f"P{payload['id']}", completed_at=at)
            session.commit()
        made[payload["id"]] = result.job_id
    deliver(session_factory, store, {**paid, "financial_status": "paid"}, topic="orders/paid", at=NOW - timedelta(days=4))

    deps = ReconcileDeps(sessions=session_factory, provider_for=lambda s: None, enqueue=lambda j: None, clock=lambda: NOW)
    window = day_window((NOW - timedelta(days=1)).date(), store.zone)
    dry = StoreReport(store.id, window.start, window.end, True, NOW)
    assert _expired_proformas(deps, store, window, dry, True, set()) == {made[unpaid["id"]]}
    assert {j.id: j.closed_at for j in jobs(session_factory)}[made[unpaid["id"]]] is None  # a dry run writes nothing

    report = StoreReport(store.id, window.start, window.end, False, NOW)
    assert _expired_proformas(deps, store, window, report, False, set()) == {made[unpaid["id"]]}
    (finding,) = report.findings
    assert (finding.category, finding.action, finding.invoice_ref) == (
        Category.PROFORMA_CLOSED, Action.CLOSED, f"P{unpaid['id']}")
    closed = {j.id: j for j in jobs(session_factory)}[made[unpaid["id"]]]
    assert closed.status == "completed" and "payment term passed" in (closed.closed_reason or "")
    # Closed once: the next run finds nothing.
    again = StoreReport(store.id, window.start, window.end, False, NOW)
    assert _expired_proformas(deps, store, window, again, False, set()) == set()
