"""Refunds at the edge (issue #12), through the real FastAPI app, real Redis and real SQL:
refunded on arrival, partly refunded on arrival (Shopify; WooCommerce, whose refunds are
fetched from the shop simulator over real HTTP), a refund before the GİB send, and a refund
after it → one return job (a duplicate delivery finds the same job)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import structlog
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.domain import Order, compute_invoice
from sync_engine.domain.keys import return_key, sale_key
from sync_engine.logging import HANDLER_NAME, configure_logging
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.woocommerce import WooCommerceSimulator
from sync_engine.store.repositories import JobRepository
from tests.support.refunds import everything, refunded, shopify_refund, woo_refund
from tests.support.web import (
    QUEUE,
    WebHarness,
    body_of,
    paid_shopify,
    paid_woocommerce,
    web_harness,
    web,  # noqa: F401 - a fixture, used by name
)

D = Decimal


def stored_order(web: WebHarness, job_id: int) -> Order:
    job = web.job(job_id)
    assert job.order_json
    return Order.model_validate_json(job.order_json)


def mark_sent(web: WebHarness, job_id: int, document_type: str, n: int) -> None:
    with web.sessions() as session:  # as the pipeline leaves a sent, journaled invoice
        JobRepository(session).set_fields(
            job_id, datetime.now(UTC), status="completed", step_customer="done", step_invoice="done",
            step_e_document="done", step_journal="done", customer_id="C-77", invoice_id=f"INV-{n}",
            ettn="11111111-2222-5333-8444-555555555555", invoice_number=f"DMS20250000001{n}",
            gib_uuid="gib-uuid", document_type=document_type, journal_ref="J-1")
        session.commit()


# --- on arrival -------------------------------------------------------------------------------


def test_refunded_on_arrival_is_the_cancel_path_and_no_sale_job(web: WebHarness) -> None:
    payload = paid_shopify(41)
    answer = body_of(web.shopify(refunded(payload, everything(payload, 9001), status="refunded"), topic="orders/updated"))
    assert answer["status"] == "accepted"
    (cancel,) = web.jobs()
    assert (cancel.kind, cancel.status) == ("cancel", "completed")
    assert "no invoice had been made" in (cancel.last_error_message or "")
    assert web.broker.llen(QUEUE) == 0


def test_partly_refunded_on_arrival_shopify_invoices_what_was_kept(web: WebHarness) -> None:
    payload = paid_shopify(42)
    refund = shopify_refund(payload, 9002, [(0, 1)])
    answer = body_of(web.shopify(refunded(payload, refund), topic="orders/updated"))
    assert answer["status"] == "accepted", answer
    job = web.job(answer["job_id"])
    assert job.kind == "sale" and job.idempotency_key == sale_key("demo-shop", str(payload["id"]))
    kept = stored_order(web, job.id)
    paid = D(payload["total_price"]) - D(refund["transactions"][0]["amount"])
    assert kept.paid_total == paid == compute_invoice(kept).grand_total
    assert kept.refund_ids == ("9002",)
    left = payload["line_items"][0]["quantity"] - 1
    assert [ln.quantity for ln in kept.lines if ln.line_ref == str(payload["line_items"][0]["id"])] == (
        [D(left)] if left else [])
    web.assert_queued(job.id)


def test_partly_refunded_on_arrival_with_a_refund_discrepancy_waits_naming_both_figures(web: WebHarness) -> None:
    payload = paid_shopify(43)
    refund = shopify_refund(payload, 9003, [(0, 1)])
    refund["order_adjustments"] = [{"id": 1, "kind": "refund_discrepancy", "amount": "5.00", "tax_amount": "0.00"}]
    refund["transactions"][0]["amount"] = str(D(refund["transactions"][0]["amount"]) + 5)
    answer = body_of(web.shopify(refunded(payload, refund), topic="orders/updated"))
    assert answer["status"] == "needs_attention"
    assert "refund discrepancy of 5.00" in answer["reason"] and "gave back" in answer["reason"]
    job = web.job(answer["job_id"])
    assert (job.kind, job.status) == ("sale", "needs_attention")
    assert stored_order(web, job.id).paid_total == D(payload["total_price"])  # as sold, nothing guessed
    assert web.broker.llen(QUEUE) == 0


@pytest.fixture
def woo_shop(session_factory: sessionmaker[Session], tmp_path: Path) -> Iterator[tuple[WebHarness, WooCommerceSimulator]]:
    """The web app with kolay-shop's Admin API on a WooCommerce simulator over real HTTP."""
    sandbox = Sandbox([WooCommerceSimulator])
    sim = sandbox["woocommerce"]
    sim.set_keys("kolay-shop", "ck_kolay_shop", "cs_kolay_shop")
    with SandboxServer(sandbox) as srv, web_harness(session_factory, tmp_path) as harness:
        store = harness.stores["kolay-shop"]
        harness.stores["kolay-shop"] = store.model_copy(update={"shop_api_url": f"{srv.url}/woocommerce/kolay-shop"})
        yield harness, sim


def test_partly_refunded_on_arrival_woocommerce_fetches_the_refunds_and_invoices_what_was_kept(
    woo_shop: tuple[WebHarness, WooCommerceSimulator],
) -> None:
    web, sim = woo_shop
    payload = paid_woocommerce(44)
    sim.add_order("kolay-shop", payload)
    refund = woo_refund(payload, 7001, 0)
    order = sim.add_refund("kolay-shop", payload["id"], refund)
    assert order["refunds"] == [{"id": 7001, "reason": "", "total": f"-{refund['amount']}"}]
    answer = body_of(web.woocommerce(order, topic="order.updated"))
    assert answer["status"] == "accepted", answer
    kept = stored_order(web, answer["job_id"])
    assert kept.paid_total == D(payload["total"]) - D(refund["amount"]) == compute_invoice(kept).grand_total
    assert str(payload["line_items"][0]["id"]) not in [ln.line_ref for ln in kept.lines]
    assert kept.refund_ids == ("7001",)
    assert sim.state.ledger.count("woocommerce", "refunds_call") == 1
    web.assert_queued(answer["job_id"])


def test_woocommerce_refunds_the_shop_cannot_be_asked_for_leave_the_order_waiting(web: WebHarness) -> None:
    # kolay-shop's API is the sandbox port 8900, where nothing listens in this test.
    payload = {**paid_woocommerce(45), "refunds": [{"id": 7002, "reason": "", "total": "-10.00"}]}
    answer = body_of(web.woocommerce(payload, topic="order.updated"))
    assert answer["status"] == "needs_attention"
    assert "refunds 7002" in answer["reason"] and "could not be fetched" in answer["reason"]
    assert web.job(answer["job_id"]).status == "needs_attention"
    assert web.broker.llen(QUEUE) == 0


# --- before the GİB send ------------------------------------------------------------------------


def test_refund_before_the_invoice_replaces_the_sale_jobs_order(web: WebHarness) -> None:
    payload = paid_shopify(46)
    sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    refund = shopify_refund(payload, 9006, [(0, 1)], shipping=True)
    answer = body_of(web.shopify(refund, topic="refunds/create", webhook_id="wh-r1"))
    assert answer == {"status": "accepted", "job_id": sale_id, "reason": answer["reason"]}
    assert "invoices what was kept" in answer["reason"]
    kept = stored_order(web, sale_id)
    assert kept.paid_total == D(payload["total_price"]) - D(refund["transactions"][0]["amount"])
    assert kept.paid_total == compute_invoice(kept).grand_total and kept.refund_ids == ("9006",)
    assert web.job(sale_id).status == "queued"
    # Delivered again (a new webhook id): nothing taken twice.
    again = body_of(web.shopify(refund, topic="refunds/create", webhook_id="wh-r2"))
    assert "already taken off" in again["reason"] and stored_order(web, sale_id) == kept
    # The order update that shows the same refund changes nothing either.
    body_of(web.shopify(refunded(payload, refund), topic="orders/updated"))
    assert stored_order(web, sale_id).paid_total == kept.paid_total
    assert [j.kind for j in web.jobs()] == ["sale"]


def test_woocommerce_refund_object_before_the_invoice_replaces_the_order(web: WebHarness) -> None:
    payload = paid_woocommerce(56)
    sale_id = body_of(web.woocommerce(payload, topic="order.updated"))["job_id"]
    refund = {**woo_refund(payload, 7016, 0),
              "_links": {"up": [{"href": f"https://kolay-shop.example/wp-json/wc/v3/orders/{payload['id']}"}]}}
    answer = body_of(web.woocommerce(refund, topic="order.updated"))
    assert answer["status"] == "accepted" and answer["job_id"] == sale_id, answer
    kept = stored_order(web, sale_id)
    assert kept.paid_total == D(payload["total"]) - D(refund["amount"]) == compute_invoice(kept).grand_total
    assert kept.refund_ids == ("7016",)


def test_refund_after_the_draft_was_saved_stops_the_job_with_the_kept_order(web: WebHarness) -> None:
    payload = paid_shopify(62)
    sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    with web.sessions() as session:  # the invoice step saved the draft, not sent
        JobRepository(session).set_fields(sale_id, datetime.now(UTC), status="retrying", step_customer="done",
                                          step_invoice="done", invoice_id="DRAFT-1",
                                          provider_total=D(payload["total_price"]))
        session.commit()
    refund = shopify_refund(payload, 9007, [(0, 1)])
    answer = body_of(web.shopify(refund, topic="refunds/create"))
    assert answer["status"] == "needs_attention"
    assert f"made for {payload['total_price']}" in answer["reason"] and "nothing was sent to GİB" in answer["reason"]
    job = web.job(sale_id)
    assert (job.status, job.attention_category, job.step_e_document) == ("needs_attention", "total_mismatch", "pending")
    assert stored_order(web, sale_id).refund_ids == ("9007",)


def test_refund_before_the_send_that_cannot_be_applied_stops_the_sale_job(web: WebHarness) -> None:
    payload = paid_shopify(57)
    sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    refund = shopify_refund(payload, 9014, [(0, 1)])
    refund["order_adjustments"] = [{"id": 2, "kind": "refund_discrepancy", "amount": "3.00", "tax_amount": "0.00"}]
    answer = body_of(web.shopify(refund, topic="refunds/create"))
    assert answer["status"] == "needs_attention" and "refund discrepancy of 3.00" in answer["reason"]
    job = web.job(sale_id)
    assert (job.status, job.attention_category) == ("needs_attention", "invalid_order")
    assert stored_order(web, sale_id).paid_total == D(payload["total_price"])  # nothing guessed
    # The same refund in the order update stops it the same way, not invoiced as sold.
    update = body_of(web.shopify(refunded(payload, refund), topic="orders/updated"))
    assert update["status"] == "needs_attention" and web.job(sale_id).status == "needs_attention"


def test_refund_after_the_send_in_an_order_update_that_cannot_be_returned_waits(web: WebHarness) -> None:
    payload = paid_shopify(58)
    sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    mark_sent(web, sale_id, "e_arsiv", 58)
    refund = shopify_refund(payload, 9015, [(0, 1)])
    refund["order_adjustments"] = [{"id": 3, "kind": "refund_discrepancy", "amount": "3.00", "tax_amount": "0.00"}]
    answer = body_of(web.shopify(refunded(payload, refund), topic="orders/updated"))
    assert answer["status"] == "needs_attention"
    ret = web.job(answer["job_id"])
    assert (ret.kind, ret.attention_category) == ("return", "refund_after_send")
    assert "refund discrepancy of 3.00" in (ret.last_error_message or "")


# --- after the GİB send -------------------------------------------------------------------------


def test_refund_after_the_send_opens_one_return_job(web: WebHarness) -> None:
    payload = paid_shopify(63)
    sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    web.enqueue.calls.clear()
    web.broker.delete(QUEUE)
    mark_sent(web, sale_id, "e_arsiv", 63)
    index = max(range(len(payload["line_items"])), key=lambda i: payload["line_items"][i]["quantity"])
    item = payload["line_items"][index]
    refund = shopify_refund(payload, 9008, [(index, item["quantity"])])
    answer = body_of(web.shopify(refund, topic="refunds/create", webhook_id="wh-1"))
    assert answer["status"] == "accepted", answer
    ret = web.job(answer["job_id"])
    assert ret.idempotency_key == return_key("demo-shop", str(payload["id"]), "9008")
    assert (ret.kind, ret.status, ret.step_customer, ret.step_invoice) == ("return", "queued", "skipped", "pending")
    # What the return is made on comes from the sale; its own document's ids stay empty.
    assert (ret.customer_id, ret.document_type) == ("C-77", "e_arsiv")
    assert (ret.invoice_id, ret.ettn, ret.invoice_number, ret.gib_uuid) == (None, None, None, None)
    returned = stored_order(web, ret.id)
    assert returned.order_name == f"{payload['name']} İADE"
    assert [(ln.line_ref, ln.quantity, ln.unit_price) for ln in returned.lines] == [
        (str(item["id"]), D(item["quantity"]), D(item["price"]))]
    assert returned.paid_total == D(refund["transactions"][0]["amount"]) == compute_invoice(returned).grand_total
    web.assert_queued(ret.id)
    # The sale invoice stays what it was.
    assert web.job(sale_id).status == "completed" and stored_order(web, sale_id).paid_total == D(payload["total_price"])

    # The same refund again (a new webhook id), and in the order update: the same job.
    again = body_of(web.shopify(refund, topic="refunds/create", webhook_id="wh-2"))
    assert again["job_id"] == ret.id and "already recorded" in again["reason"]
    update = body_of(web.shopify(refunded(payload, refund), topic="orders/updated"))
    assert update["job_id"] == ret.id
    assert [j.kind for j in web.jobs()] == ["sale", "return"]
    web.assert_queued(ret.id)  # woken once


def test_full_refund_of_a_sent_e_arsiv_keeps_the_cancel_path(web: WebHarness) -> None:
    payload = paid_shopify(49)
    sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    mark_sent(web, sale_id, "e_arsiv", 49)
    answer = body_of(web.shopify(everything(payload, 9009), topic="refunds/create"))
    assert "cancelling its e-Arşiv" in answer["reason"]
    cancel = web.job(answer["job_id"])
    assert (cancel.kind, cancel.status, cancel.invoice_number) == ("cancel", "queued", "DMS2025000000149")
    assert [j.kind for j in web.jobs()] == ["sale", "cancel"]


def test_full_refund_of_an_e_arsiv_sent_past_the_cancel_window_is_a_return(web: WebHarness) -> None:
    """``[stores.invoice] e_archive_cancel_days`` (8): a full refund nine days after the GİB
    send no longer cancels the e-Arşiv; it is answered with a return invoice for everything —
    whether the refund comes alone or in the order's update."""
    for n, deliver in ((52, "refund"), (53, "update")):
        payload = paid_shopify(n)
        sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
        mark_sent(web, sale_id, "e_arsiv", n)
        with web.sessions() as session:
            JobRepository(session).set_fields(sale_id, datetime.now(UTC), e_document_sent_at=datetime.now(UTC) - timedelta(days=9))
            session.commit()
        refund = everything(payload, 9100 + n)
        answer = body_of(web.shopify(refund, topic="refunds/create") if deliver == "refund" else
                         web.shopify(refunded(payload, refund, status="refunded"), topic="orders/updated"))
        assert answer["status"] == "accepted" and "cancelling" not in answer["reason"], answer
        ret = web.job(answer["job_id"])
        assert (ret.kind, ret.status, ret.document_type) == ("return", "queued", "e_arsiv"), deliver
        assert stored_order(web, ret.id).paid_total == D(payload["total_price"])
        assert not any(j.kind == "cancel" and j.status == "queued" for j in web.jobs())


def test_full_refund_of_a_sent_e_fatura_is_a_return_job_for_everything(web: WebHarness) -> None:
    payload = paid_shopify(50)
    sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    mark_sent(web, sale_id, "e_fatura", 50)
    answer = body_of(web.shopify(refunded(payload, everything(payload, 9010), status="refunded"), topic="orders/updated"))
    assert answer["status"] == "accepted", answer
    ret = web.job(answer["job_id"])
    assert (ret.kind, ret.status, ret.document_type) == ("return", "queued", "e_fatura")
    returned = stored_order(web, ret.id)
    assert returned.paid_total == D(payload["total_price"]) == compute_invoice(returned).grand_total
    kinds = sorted(j.kind for j in web.jobs())
    assert kinds == ["cancel", "return", "sale"]
    cancel = next(j for j in web.jobs() if j.kind == "cancel")
    assert cancel.status == "completed" and f"returned by job {ret.id}" in (cancel.last_error_message or "")


def test_refund_after_the_send_that_cannot_be_returned_automatically_waits(web: WebHarness) -> None:
    payload = paid_shopify(51)
    sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    mark_sent(web, sale_id, "e_arsiv", 51)
    refund = shopify_refund(payload, 9011, [])
    refund["transactions"][0]["amount"] = "25.00"  # money back, no line named
    answer = body_of(web.shopify(refund, topic="refunds/create"))
    assert answer["status"] == "needs_attention"
    assert "gave back 25.00 but names no line" in answer["reason"] and "DMS2025000000151" in answer["reason"]
    ret = web.job(answer["job_id"])
    assert (ret.kind, ret.status, ret.attention_category, ret.order_json) == (
        "return", "needs_attention", "refund_after_send", None)
    assert web.broker.llen(QUEUE) == 1  # only the sale job's wake-up from orders/paid


def test_log_lines_of_refunds_name_no_buyer(web: WebHarness) -> None:
    payload = paid_shopify(66)
    sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    mark_sent(web, sale_id, "e_arsiv", 66)
    root = logging.getLogger()
    saved = root.level
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)
    try:
        web.shopify(shopify_refund(payload, 9012, [(0, 1)]), topic="refunds/create")
    finally:
        for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
            root.removeHandler(handler)
        root.setLevel(saved)
        structlog.reset_defaults()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (after_send,) = [line for line in lines if line.get("event") == "refund after send"]
    assert after_send["sale_job"] == sale_id and after_send["outcome"] == "return_job"
    text = stream.getvalue()
    for personal in (payload["email"], payload["note_attributes"][0]["value"], payload["billing_address"]["last_name"]):
        assert personal not in text


def test_reconciliation_ingests_a_lost_partly_refunded_order_for_what_was_kept(web: WebHarness) -> None:
    from sync_engine.ingest import ingest
    from sync_engine.platforms.registry import get_platform
    from sync_engine.reconcile.shop import delivery_for, resource_body

    payload = refunded(paid_shopify(42), shopify_refund(paid_shopify(42), 9013, [(0, 1)]))
    woo = {**paid_woocommerce(53), "refunds": [{"id": 7013, "reason": "", "total": "-10.00"}]}
    results = []
    for store_id, listed in (("demo-shop", payload), ("kolay-shop", woo)):
        store = web.stores[store_id]
        adapter = get_platform(store.platform)
        with web.sessions() as session:
            results.append(ingest(session, store=store, adapter=adapter, headers=adapter.replay_headers(),
                                  body=resource_body(listed), source="reconciliation", now=datetime.now(UTC),
                                  parsed=delivery_for(adapter, listed, store_id)))
            session.commit()
    shop, woo_result = results
    assert shop.status == "accepted" and shop.job_id is not None
    kept = stored_order(web, shop.job_id)
    assert kept.refund_ids == ("9013",) and kept.paid_total < D(payload["total_price"])
    # WooCommerce lists refunds by id only: not fetched during the run, the order waits.
    assert woo_result.status == "needs_attention" and "not fetched during reconciliation" in (woo_result.reason or "")
