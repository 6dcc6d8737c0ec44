"""Webhook ingest through the real FastAPI app (in-process ASGI), a real Celery producer on a
real Redis, on SQLite and PostgreSQL (issue: "Webhook ingest, ops API and the demo").

DESIGN §4/§7: bad signature → 401 and nothing stored; new event → 202 accepted with the job;
a duplicate delivery → 200 duplicate; valid but not invoiceable → 202 needs_attention;
malformed JSON → 400 (stored as rejected); over 1 MiB → 413; enqueue only after commit.

The harness at the top (``WebHarness``, ``web_harness``, the signers) is shared with
test_web_ops.py, test_web_fuzz.py and test_ingest_replay.py.
"""

from __future__ import annotations

import copy

import base64
import json
import time
from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.sandbox.credentials import SHOP_SECRETS as SANDBOX_SECRETS
from sync_engine.store.repositories import JobRepository
from sync_engine.platforms.shopify import TEST_PROBLEM
from sync_engine.devtools.webhooks import (
    build_shopify,
    build_standard,
    build_woocommerce,
    build_woocommerce_ping,
)
from tests.support.paths import PAYLOADS
from tests.support.web import (
    DEAD_REDIS_URL,
    GENERIC_ORDER,
    GENERIC_SECRET,
    QUEUE,
    ROTATED_SECRET,
    SHOPIFY_SECRET,
    WOO_SECRET,
    WebHarness,
    body_of,
    paid_shopify,
    paid_woocommerce,
    shopify_company_without_vkn,
    web_harness,
    web,  # noqa: F401 - a fixture, used by name
)


def test_shopify_paid_order_is_stored_raw_and_queued_after_commit(web: WebHarness) -> None:
    payload = paid_shopify(1, "person")
    headers, body = build_shopify(payload, secret=SHOPIFY_SECRET, topic="orders/paid")
    response = web.post("shopify", "demo-shop", headers, body)

    assert response.status_code == 202, response.text
    answer = body_of(response)
    assert answer == {"status": "accepted", "job_id": answer["job_id"]}
    job_id = answer["job_id"]

    (event,) = web.events()
    assert bytes(event.raw_body) == body  # byte for byte: the signature covers these bytes
    assert (event.status, event.job_id, event.source, event.topic) == ("accepted", job_id, "webhook", "orders/paid")
    assert event.platform == "shopify" and event.store_id == "demo-shop"
    assert not any("hmac" in k or "signature" in k for k in event.headers)  # never kept
    assert event.headers["x-shopify-topic"] == "orders/paid"

    job = web.job(job_id)
    assert job.idempotency_key == f"demo-shop:{payload['id']}:sale"
    assert (job.status, job.order_id, job.order_name) == ("queued", str(payload["id"]), "#1001")
    assert job.provider == "turkcell_esirket" and job.next_attempt_at is not None
    order = json.loads(job.order_json or "null")
    assert order["order_id"] == str(payload["id"])
    assert order["paid_total"] == payload["total_price"]
    assert order["buyer"]["tax_id"] == payload["note_attributes"][0]["value"]

    # Queued on the real broker, once, and only after the row was committed.
    web.assert_queued(job_id)


def test_shopify_redelivery_is_a_duplicate_with_no_second_job(web: WebHarness) -> None:
    payload = paid_shopify(2, "company")
    headers, body = build_shopify(payload, secret=SHOPIFY_SECRET, event_id="evt-1", webhook_id="wh-1")
    first = web.post("shopify", "demo-shop", headers, body)
    assert first.status_code == 202, first.text
    job_id = body_of(first)["job_id"]

    # Shopify's retry: same body and event id, a new webhook id and a fresh signature.
    headers2, body2 = build_shopify(payload, secret=SHOPIFY_SECRET, event_id="evt-1", webhook_id="wh-2")
    again = web.post("shopify", "demo-shop", headers2, body2)
    assert again.status_code == 200
    assert body_of(again) == {"status": "duplicate", "job_id": job_id}
    assert web.counts() == (1, 1)
    web.assert_queued(job_id)  # the duplicate enqueued nothing


def test_shopify_create_then_paid_for_one_order_is_one_job(web: WebHarness) -> None:
    payload = paid_shopify(3, "anonymous")
    created = web.shopify(payload, topic="orders/create")
    paid = web.shopify(payload, topic="orders/paid")
    assert (created.status_code, paid.status_code) == (202, 202)
    job_id = body_of(created)["job_id"]
    assert body_of(paid)["job_id"] == job_id
    assert body_of(paid)["status"] == "accepted"
    events = web.events()
    assert [e.topic for e in events] == ["orders/create", "orders/paid"]
    assert all(e.job_id == job_id for e in events)
    assert len(web.jobs()) == 1
    web.assert_queued(job_id)  # the second event found the job: no second wake-up


@pytest.mark.parametrize(
    "tamper",
    ["bad_signature", "missing_signature", "wrong_secret", "body_changed", "empty_signature"],
)
def test_shopify_unsigned_or_forged_is_401_and_nothing_stored(web: WebHarness, tamper: str) -> None:
    payload = paid_shopify(5)
    secret = "not-the-shop-secret" if tamper == "wrong_secret" else SHOPIFY_SECRET
    headers, body = build_shopify(payload, secret=secret)
    if tamper == "bad_signature":
        headers["X-Shopify-Hmac-Sha256"] = base64.b64encode(b"\x00" * 32).decode()
    elif tamper == "missing_signature":
        del headers["X-Shopify-Hmac-Sha256"]
    elif tamper == "empty_signature":
        headers["X-Shopify-Hmac-Sha256"] = ""
    elif tamper == "body_changed":
        body = body.replace(b'"financial_status":"paid"', b'"financial_status":"paid" ')
    response = web.post("shopify", "demo-shop", headers, body)
    assert response.status_code == 401
    assert body_of(response)["status"] == "unauthorized"
    assert web.counts() == (0, 0)
    assert web.enqueue.calls == [] and web.broker.llen(QUEUE) == 0


def test_shopify_secret_rotation_accepts_old_and_new(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    with web_harness(session_factory, tmp_path, rotation=True) as web:
        assert len(web.stores["demo-shop"].webhook_secret) == 2
        new = web.shopify(paid_shopify(6), secret=ROTATED_SECRET)
        old = web.shopify(paid_shopify(7), secret=SHOPIFY_SECRET)
        forged = web.shopify(paid_shopify(8), secret="yet-another-secret")
        assert (new.status_code, old.status_code, forged.status_code) == (202, 202, 401)
        assert web.counts() == (2, 2)


def test_shopify_rotation_is_per_store(web: WebHarness) -> None:
    # The other Shopify store's secret must not open this one.
    response = web.shopify(paid_shopify(9), secret=SANDBOX_SECRETS["ENTEGRE_SHOP_WEBHOOK_SECRET"])
    assert response.status_code == 401
    ok = web.shopify(paid_shopify(9), store="entegre-shop", secret=SANDBOX_SECRETS["ENTEGRE_SHOP_WEBHOOK_SECRET"])
    assert ok.status_code == 202
    assert web.job(body_of(ok)["job_id"]).provider == "faturaentegrator"


def test_shopify_test_notification_is_stored_and_ignored(web: WebHarness) -> None:
    sample = PAYLOADS / "shopify-orders-cancelled-sample__yellowmessenger_documentation.json"
    payload: Any = json.loads(sample.read_text(encoding="utf-8")) if sample.exists() else None
    if payload is None:  # the fixed sample order, as Shopify's "send test notification" posts it
        payload = paid_shopify(10)
        payload["id"] = 820982911946154508
    for topic in ("orders/paid", "orders/cancelled"):
        response = web.shopify(payload, topic=topic)
        assert response.status_code == 202, response.text
        assert body_of(response) == {"status": "ignored", "reason": TEST_PROBLEM}
    events = web.events()
    assert [e.status for e in events] == ["ignored", "ignored"]
    assert web.jobs() == [] and web.broker.llen(QUEUE) == 0

    # A real order sent with X-Shopify-Test: true is a test too.
    headers, body = build_shopify(paid_shopify(11), secret=SHOPIFY_SECRET)
    headers["X-Shopify-Test"] = "true"
    response = web.post("shopify", "demo-shop", headers, body)
    assert (response.status_code, body_of(response)["status"]) == (202, "ignored")
    assert web.jobs() == []


def test_shopify_cancel_before_any_invoice_is_recorded_and_a_late_paid_delivery_is_not_invoiced(
    web: WebHarness,
) -> None:
    payload = paid_shopify(12)
    cancelled = deepcopy(payload)
    cancelled.update(cancelled_at="2025-03-04T10:00:00+03:00", updated_at="2025-03-04T10:00:00+03:00",
                     financial_status="refunded", cancel_reason="customer")
    refund = {"id": 9988776655, "order_id": payload["id"], "created_at": "2025-03-04T10:00:00+03:00",
              "note": "iade", "refund_line_items": [], "transactions": []}
    r1 = web.shopify(cancelled, topic="orders/cancelled")
    assert r1.status_code == 202 and body_of(r1)["status"] == "accepted"
    assert "no invoice had been made" in body_of(r1)["reason"]
    r2 = web.shopify(refund, topic="refunds/create")
    assert body_of(r2)["status"] == "ignored"
    (cancel,) = web.jobs()
    assert (cancel.kind, cancel.status) == ("cancel", "completed")
    # Shopify retries orders/paid with the body of its first try: older than the cancel.
    late = web.shopify(payload, topic="orders/paid")
    assert late.status_code == 202 and body_of(late)["status"] == "ignored"
    assert "cancelled at the shop" in body_of(late)["reason"]
    assert [j.kind for j in web.jobs()] == ["cancel"] and web.broker.llen(QUEUE) == 0
    # A second cancel delivery records nothing new.
    again = web.shopify(cancelled, topic="orders/updated")
    assert body_of(again)["status"] in ("accepted", "duplicate") and len(web.jobs()) == 1


def test_cancel_of_a_queued_sale_job_cancels_it_before_anything_is_made(web: WebHarness) -> None:
    payload = paid_shopify(14)
    sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    cancelled = {**deepcopy(payload), "cancelled_at": "2025-03-04T11:00:00+03:00",
                 "updated_at": "2025-03-04T11:00:00+03:00"}
    answer = body_of(web.shopify(cancelled, topic="orders/cancelled"))
    assert answer["status"] == "accepted" and f"sale job {sale_id} stopped before anything" in answer["reason"]
    sale = web.job(sale_id)
    assert sale.status == "cancelled" and sale.closed_at is not None


def _sent(web: WebHarness, n: int, document_type: str) -> tuple[dict[str, Any], int]:
    payload = paid_shopify(n)
    sale_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    with web.sessions() as session:  # as the pipeline leaves a sent, journaled invoice
        JobRepository(session).set_fields(
            sale_id, datetime.now(UTC), status="completed", step_customer="done", step_invoice="done",
            step_e_document="done", step_journal="done", invoice_number=f"DMS20250000000{n}",
            document_type=document_type, journal_ref="J-1")
        session.commit()
    return payload, sale_id


def _cancelled(payload: dict[str, Any]) -> dict[str, Any]:
    return {**deepcopy(payload), "cancelled_at": "2025-03-05T09:00:00+03:00", "updated_at": "2025-03-05T09:00:00+03:00"}


def test_cancel_after_an_e_arsiv_send_queues_its_cancel_at_gib(web: WebHarness) -> None:
    payload, sale_id = _sent(web, 15, "e_arsiv")
    answer = body_of(web.shopify(_cancelled(payload), topic="orders/cancelled"))
    assert answer["status"] == "accepted" and "cancelling its e-Arşiv" in answer["reason"]
    cancel = web.job(answer["job_id"])
    assert (cancel.kind, cancel.status) == ("cancel", "queued")
    # It works on the sale's own document.
    assert (cancel.invoice_number, cancel.document_type, cancel.journal_ref) == ("DMS2025000000015", "e_arsiv", "J-1")
    assert web.enqueue.calls[-1] == (cancel.id, True)  # woken after its commit
    assert web.job(sale_id).status == "completed"  # the sent invoice stays what it is


def test_cancel_after_an_e_fatura_send_asks_for_the_buyers_return(web: WebHarness) -> None:
    payload, _ = _sent(web, 16, "e_fatura")
    answer = body_of(web.shopify(_cancelled(payload), topic="orders/cancelled"))
    assert answer["status"] == "needs_attention"
    assert "e-Fatura DMS2025000000016 cannot be cancelled" in answer["reason"] and "return (İADE)" in answer["reason"]
    cancel = web.job(answer["job_id"])
    assert (cancel.kind, cancel.status, cancel.attention_category) == ("cancel", "needs_attention", "cancelled_after_send")


def test_shopify_unpaid_order_is_stored_and_ignored(web: WebHarness) -> None:
    payload = paid_shopify(13)
    payload["financial_status"] = "pending"
    response = web.shopify(payload, topic="orders/create")
    assert response.status_code == 202
    answer = body_of(response)
    assert answer["status"] == "ignored" and "not paid" in answer["reason"]
    (event,) = web.events()
    assert event.status == "ignored" and "pending" in (event.reason or "")
    assert web.jobs() == []


def test_shopify_company_without_vkn_needs_attention(web: WebHarness) -> None:
    payload = shopify_company_without_vkn()
    response = web.shopify(payload, topic="orders/paid")
    assert response.status_code == 202  # not a 4xx: the shop would retry and drop the hook
    answer = body_of(response)
    assert answer["status"] == "needs_attention"
    assert "VKN" in answer["reason"] and payload["billing_address"]["company"] in answer["reason"]
    (job,) = web.jobs()
    assert answer["job_id"] == job.id
    assert (job.status, job.attention_category) == ("needs_attention", "invalid_order")
    assert job.last_error_message == answer["reason"] and job.order_json is None
    (event,) = web.events()
    assert (event.status, event.job_id) == ("needs_attention", job.id)
    assert web.enqueue.calls == [] and web.broker.llen(QUEUE) == 0


def test_shopify_malformed_json_with_valid_signature_is_400_and_rejected(web: WebHarness) -> None:
    body = b'{"id": 1234, "line_items": [ this is not json'
    headers, body = build_shopify(body, secret=SHOPIFY_SECRET)
    response = web.post("shopify", "demo-shop", headers, body)
    assert response.status_code == 400
    answer = body_of(response)
    assert answer["status"] == "rejected" and "JSON" in answer["reason"]
    (event,) = web.events()
    assert (event.status, bytes(event.raw_body), event.job_id) == ("rejected", body, None)
    assert web.jobs() == []

    # A JSON array (valid JSON, not an order) and a body without its topic header: 400 too.
    headers, body = build_shopify([1, 2, 3], secret=SHOPIFY_SECRET)
    assert web.post("shopify", "demo-shop", headers, body).status_code == 400
    headers, body = build_shopify(paid_shopify(14), secret=SHOPIFY_SECRET)
    del headers["X-Shopify-Topic"]
    assert web.post("shopify", "demo-shop", headers, body).status_code == 400
    assert [e.status for e in web.events()] == ["rejected"] * 3
    assert web.jobs() == []


def test_body_over_one_mib_is_413_with_content_length(web: WebHarness) -> None:
    payload = paid_shopify(15)
    payload["note"] = "x" * (1024 * 1024)
    headers, body = build_shopify(payload, secret=SHOPIFY_SECRET)  # correctly signed, still too big
    assert len(body) > 1024 * 1024
    response = web.post("shopify", "demo-shop", headers, body)
    assert response.status_code == 413
    assert web.counts() == (0, 0)


def test_body_over_one_mib_is_413_when_chunked(web: WebHarness) -> None:
    payload = paid_shopify(16)
    payload["note"] = "x" * (1024 * 1024)
    headers, body = build_shopify(payload, secret=SHOPIFY_SECRET)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    # A generator body goes out with Transfer-Encoding: chunked and no Content-Length.
    response = web.client.post("/webhooks/shopify/demo-shop", content=chunks(), headers=headers)
    assert response.status_code == 413
    # A Content-Length that lies (small) about a big body is caught while reading.
    headers_lie = {**headers, "Content-Length": "10"}
    response = web.client.post("/webhooks/shopify/demo-shop", content=chunks(), headers=headers_lie)
    assert response.status_code in (400, 401, 413)
    assert web.counts() == (0, 0)


def test_exactly_one_mib_is_accepted(web: WebHarness) -> None:
    payload = paid_shopify(17)
    payload["note"] = ""
    base = len(build_shopify(payload, secret=SHOPIFY_SECRET)[1])
    payload["note"] = "x" * (1024 * 1024 - base)
    headers, body = build_shopify(payload, secret=SHOPIFY_SECRET)
    assert len(body) == 1024 * 1024
    assert web.post("shopify", "demo-shop", headers, body).status_code == 202


@pytest.mark.parametrize(
    "breakage",
    ["null_line_item", "string_tax_line", "list_shipping_line", "deep_nesting"],
)
def test_signed_body_the_mapper_cannot_read_is_rejected_and_stored(web: WebHarness, breakage: str) -> None:
    payload: Any = paid_shopify(20)
    if breakage == "null_line_item":
        payload["line_items"].append(None)
    elif breakage == "string_tax_line":
        payload["line_items"][0]["tax_lines"] = ["KDV %20"]
    elif breakage == "list_shipping_line":
        payload["shipping_lines"] = [["Yurtiçi Kargo", "49.90"]]
    else:
        payload = b"[" * 100_000  # valid JSON prefix nested past any parser's recursion limit
    headers, body = build_shopify(payload, secret=SHOPIFY_SECRET, topic="orders/paid")
    response = web.post("shopify", "demo-shop", headers, body)
    # Signed, so stored with the reason (replayable once the mapper copes); never a 500.
    assert response.status_code == 400, response.text
    assert body_of(response)["status"] == "rejected"
    (event,) = web.events()
    assert event.status == "rejected" and bytes(event.raw_body) == body
    assert web.jobs() == []


def test_woocommerce_body_the_mapper_cannot_read_is_rejected_and_stored(web: WebHarness) -> None:
    payload = paid_woocommerce(24)
    payload["line_items"][0] = [payload["line_items"][0]]
    payload["shipping_lines"] = ["Yurtiçi Kargo"]
    response = web.woocommerce(payload)
    assert response.status_code == 400, response.text
    assert [e.status for e in web.events()] == ["rejected"]


def test_values_longer_than_their_columns_are_stored_safely(web: WebHarness) -> None:
    # PostgreSQL enforces varchar lengths: a sender-chosen value must not become a 500.
    payload = paid_shopify(25)
    long_event = "e" * 400
    headers, body = build_shopify(payload, secret=SHOPIFY_SECRET, topic="orders/paid", event_id=long_event)
    first = web.post("shopify", "demo-shop", headers, body)
    assert first.status_code == 202, first.text
    again = web.post("shopify", "demo-shop", *build_shopify(payload, secret=SHOPIFY_SECRET, topic="orders/paid",
                                                            event_id=long_event))
    assert (again.status_code, body_of(again)["status"]) == (200, "duplicate")
    other = web.shopify(payload, topic="orders/paid", event_id=long_event[:-1] + "f")
    assert (other.status_code, body_of(other)["status"]) == (202, "accepted")  # a distinct event

    long_topic = "orders/" + "x" * 300
    response = web.shopify(payload, topic=long_topic)
    assert response.status_code == 202, response.text
    stored = web.events()[-1]
    assert stored.topic == long_topic[:128] and len(stored.event_key) <= 255

    named = paid_shopify(26)
    named["name"] = "#" + "ş" * 300
    response = web.shopify(named, topic="orders/paid")
    assert response.status_code == 202, response.text
    assert web.job(body_of(response)["job_id"]).order_name == named["name"][:128]


def test_text_no_column_can_hold_is_cleaned(web: WebHarness) -> None:
    payload = paid_shopify(27)
    payload["name"] = "#10\x0027"  # json.dumps escapes these as \\u0000 and \\ud800: legal JSON
    payload["financial_status"] = "pend\x00ing\ud800"
    headers, body = build_shopify(json.dumps(payload).encode(), secret=SHOPIFY_SECRET, topic="orders/create")
    assert b"\\u0000" in body and b"\\ud800" in body
    response = web.post("shopify", "demo-shop", headers, body)
    assert response.status_code == 202, response.text
    (event,) = web.events()
    assert event.status == "ignored" and "pending?" in (event.reason or "")
    assert bytes(event.raw_body) == body  # the raw body is bytes: kept exactly


@pytest.mark.parametrize("order_id", ["9" * 65, "12\x003", "12\ud8003"])
def test_an_implausible_order_id_is_rejected(web: WebHarness, order_id: str) -> None:
    payload = {**paid_shopify(28), "id": order_id}
    headers, body = build_shopify(json.dumps(payload).encode(), secret=SHOPIFY_SECRET, topic="orders/paid")
    response = web.post("shopify", "demo-shop", headers, body)
    assert response.status_code == 400, response.text
    assert [e.status for e in web.events()] == ["rejected"]
    assert web.jobs() == []


@pytest.mark.parametrize(
    ("platform", "store"),
    [("shopify", "no-such-shop"), ("woocommerce", "demo-shop"), ("generic", "demo-shop"),
     ("shopify", "kolay-shop"), ("magento", "demo-shop")],
)
def test_unknown_store_or_platform_mismatch_is_404(web: WebHarness, platform: str, store: str) -> None:
    headers, body = build_shopify(paid_shopify(18), secret=SHOPIFY_SECRET)
    response = web.post(platform, store, headers, body)
    assert response.status_code == 404
    assert body_of(response)["status"] == "unknown_store"
    assert web.counts() == (0, 0)


def test_broker_down_still_answers_202_and_leaves_the_job_for_the_sweeper(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with web_harness(session_factory, tmp_path, broker_url=DEAD_REDIS_URL) as web:
        started = time.monotonic()
        response = web.shopify(paid_shopify(19))
        assert time.monotonic() - started < 5  # fails fast: a webhook must not hang
        assert response.status_code == 202, response.text
        answer = body_of(response)
        assert answer["status"] == "accepted"
        job_id = answer["job_id"]
        assert web.enqueue.calls == [(job_id, False)]
        job = web.job(job_id)
        # The row is the truth: queued and due, so the sweeper's next pass sends it.
        assert job.status == "queued" and job.next_attempt_at is not None
        assert job.lease_owner is None
        with web.sessions() as session:
            from sync_engine.store.repositories import JobRepository

            assert job_id in JobRepository(session).due_for_sweep(datetime.now(UTC), 100)
        assert web.broker.llen(QUEUE) == 0


# --- WooCommerce -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["person", "company"])
def test_woocommerce_hezarfen_order_is_accepted(web: WebHarness, kind: str) -> None:
    payload = paid_woocommerce(21, kind)
    meta = {m["key"]: m["value"] for m in payload["meta_data"]}
    assert meta["_billing_hez_invoice_type"] == kind
    headers, body = build_woocommerce(payload, secret=WOO_SECRET, topic="order.created")
    response = web.post("woocommerce", "kolay-shop", headers, body)
    assert response.status_code == 202, response.text
    answer = body_of(response)
    assert answer["status"] == "accepted"
    job = web.job(answer["job_id"])
    assert job.idempotency_key == f"kolay-shop:{payload['id']}:sale"
    assert (job.status, job.provider, job.order_name) == ("queued", "kolaybi", f"#{payload['number']}")
    order = json.loads(job.order_json or "null")
    expected_id = meta["_billing_hez_tax_number"] if kind == "company" else meta["_billing_hez_TC_number"]
    assert order["buyer"]["tax_id"] == expected_id
    assert order["buyer"]["kind"] == kind
    (event,) = web.events()
    assert bytes(event.raw_body) == body
    assert event.headers["x-wc-webhook-topic"] == "order.created"
    web.assert_queued(job.id)


def test_woocommerce_ping_is_200_and_nothing_stored(web: WebHarness) -> None:
    headers, body = build_woocommerce_ping(12)
    assert body == b"webhook_id=12"
    response = web.post("woocommerce", "kolay-shop", headers, body)
    assert response.status_code == 200
    assert body_of(response) == {"status": "ping"}
    assert web.counts() == (0, 0)
    # Anything else unsigned is still refused, even when it looks like a form.
    for other in (b"webhook_id=12&x=1", b"webhook_id=", b"order=1"):
        assert web.post("woocommerce", "kolay-shop", headers, other).status_code == 401
    assert web.counts() == (0, 0)


def test_woocommerce_redelivery_with_new_delivery_id_is_a_duplicate(web: WebHarness) -> None:
    payload = paid_woocommerce(22)
    h1, body = build_woocommerce(payload, secret=WOO_SECRET, now=datetime(2025, 3, 3, 9, 0, 0, tzinfo=UTC))
    h2, body2 = build_woocommerce(payload, secret=WOO_SECRET, now=datetime(2025, 3, 3, 9, 0, 7, tzinfo=UTC))
    assert h1["X-WC-Webhook-Delivery-ID"] != h2["X-WC-Webhook-Delivery-ID"] and body == body2
    first = web.post("woocommerce", "kolay-shop", h1, body)
    second = web.post("woocommerce", "kolay-shop", h2, body2)
    assert first.status_code == 202
    assert second.status_code == 200
    assert body_of(second) == {"status": "duplicate", "job_id": body_of(first)["job_id"]}
    assert web.counts() == (1, 1)

    # The same order modified later is a new event, but still the same one job.
    payload["date_modified_gmt"] = "2030-01-01T00:00:00"
    third = web.woocommerce(payload, topic="order.updated")
    assert third.status_code == 202 and body_of(third)["job_id"] == body_of(first)["job_id"]
    assert web.counts() == (2, 1)


def test_woocommerce_bad_signature_and_entity_secret(web: WebHarness) -> None:
    payload = paid_woocommerce(23)
    assert web.woocommerce(payload, secret="wrong").status_code == 401
    headers, body = build_woocommerce(payload, secret=WOO_SECRET)
    del headers["X-WC-Webhook-Signature"]
    assert web.post("woocommerce", "kolay-shop", headers, body).status_code == 401
    assert web.counts() == (0, 0)


# --- Generic (Standard Webhooks) --------------------------------------------------------


def test_generic_valid_delivery_is_accepted(web: WebHarness) -> None:
    headers, body = build_standard(GENERIC_ORDER, secret=GENERIC_SECRET, msg_id="msg_abc")
    response = web.post("generic", "generic-shop", headers, body)
    assert response.status_code == 202, response.text
    answer = body_of(response)
    assert answer["status"] == "accepted"
    job = web.job(answer["job_id"])
    assert job.idempotency_key == "generic-shop:100234:sale"
    assert json.loads(job.order_json or "null")["paid_total"] == "679.70"
    (event,) = web.events()
    assert event.event_key == "msg_abc" and bytes(event.raw_body) == body

    # The sender's retry keeps webhook-id and signs again: a duplicate.
    headers2, body2 = build_standard(GENERIC_ORDER, secret=GENERIC_SECRET, msg_id="msg_abc",
                                     timestamp=int(time.time()) + 3)
    again = web.post("generic", "generic-shop", headers2, body2)
    assert again.status_code == 200 and body_of(again)["status"] == "duplicate"
    assert web.counts() == (1, 1)


@pytest.mark.parametrize(
    ("change", "reason_part"),
    [
        (lambda o: o["buyer"].update(tax_id="10000000147"), "TCKN"),
        (lambda o: o.update(buyer={"kind": "company", "tax_id": "1000036109", "company_name": "Örnek A.Ş.",
                                   "address": o["buyer"]["address"]}), "tax office"),
        (lambda o: o["lines"][0].update(quantity="0"), "quantity"),
    ],
    ids=["invalid-tckn", "company-without-tax-office", "quantity-zero"],
)
def test_generic_paid_order_that_cannot_be_invoiced_waits_for_an_operator(
    web: WebHarness, change: Any, reason_part: str
) -> None:
    """Like Shopify and WooCommerce: stored, a needs_attention job with the reason, replayable."""
    order = copy.deepcopy(GENERIC_ORDER)
    change(order)
    headers, body = build_standard(order, secret=GENERIC_SECRET, msg_id="msg_bad")
    response = web.post("generic", "generic-shop", headers, body)
    assert response.status_code == 202, response.text
    answer = body_of(response)
    assert answer["status"] == "needs_attention" and reason_part in answer["reason"]
    job = web.job(answer["job_id"])
    assert (job.status, job.attention_category, job.order_json) == ("needs_attention", "invalid_order", None)
    assert web.counts() == (1, 1)


@pytest.mark.parametrize("age_s", [301, 3600, -301])
def test_generic_stale_or_future_timestamp_is_401(web: WebHarness, age_s: int) -> None:
    ts = int(time.time()) - age_s
    headers, body = build_standard(GENERIC_ORDER, secret=GENERIC_SECRET, timestamp=ts)
    response = web.post("generic", "generic-shop", headers, body)
    assert response.status_code == 401
    assert web.counts() == (0, 0)


def test_generic_timestamp_within_tolerance_is_accepted(web: WebHarness) -> None:
    headers, body = build_standard(GENERIC_ORDER, secret=GENERIC_SECRET, timestamp=int(time.time()) - 240)
    assert web.post("generic", "generic-shop", headers, body).status_code == 202


def test_generic_several_signatures_one_must_match(web: WebHarness) -> None:
    headers, body = build_standard(GENERIC_ORDER, secret=GENERIC_SECRET, msg_id="msg_multi")
    good = headers["webhook-signature"]
    forged = "v1," + base64.b64encode(b"\x01" * 32).decode()
    other_key = "whsec_" + base64.b64encode(b"some-other-senders-secret-key!!").decode()
    wrong_key = build_standard(GENERIC_ORDER, secret=other_key, msg_id="msg_multi",
                               timestamp=int(headers["webhook-timestamp"]))[0]["webhook-signature"]

    only_bad = {**headers, "webhook-signature": f"{forged} {wrong_key} v2,{good[3:]}"}
    assert web.post("generic", "generic-shop", only_bad, body).status_code == 401
    assert web.counts() == (0, 0)

    mixed = {**headers, "webhook-signature": f"{forged} {wrong_key} {good}"}
    response = web.post("generic", "generic-shop", mixed, body)
    assert response.status_code == 202, response.text
    assert web.counts() == (1, 1)


def test_generic_schema_violation_is_400_and_stored(web: WebHarness) -> None:
    bad = {**GENERIC_ORDER, "paid_total": 679.70}  # money must be a string
    headers, body = build_standard(bad, secret=GENERIC_SECRET)
    response = web.post("generic", "generic-shop", headers, body)
    assert response.status_code == 400
    (event,) = web.events()
    assert event.status == "rejected"
    assert web.jobs() == []


# --- metrics see what the webhooks answered ------------------------------------------------


def test_webhook_results_are_counted_in_metrics(web: WebHarness) -> None:
    web.shopify(paid_shopify(30))
    web.shopify(paid_shopify(31), secret="forged")
    web.shopify(paid_shopify(31), secret="forged")
    web.post("shopify", "nope", {}, b"{}")
    headers, body = build_woocommerce_ping(3)
    web.post("woocommerce", "kolay-shop", headers, body)
    text = web.client.get("/metrics").text
    assert 'sync_webhooks_total{platform="shopify",result="accepted"} 1.0' in text
    assert 'sync_webhooks_total{platform="shopify",result="unauthorized"} 2.0' in text
    assert 'sync_webhooks_total{platform="woocommerce",result="ping"} 1.0' in text
    assert 'result="unknown_store"} 1.0' in text


def shopify_scaled(payload: dict[str, Any], seed: int, stamp: str) -> dict[str, Any]:
    """The same order (same id and name) with other lines and total: an edit in the admin."""
    other = paid_shopify(seed=1000 + seed)
    edited = {**other, "id": payload["id"], "name": payload["name"], "order_number": payload.get("order_number"),
              "updated_at": stamp}
    assert edited["total_price"] != payload["total_price"]
    return edited


def test_an_order_edited_before_its_invoice_is_invoiced_as_edited(web: WebHarness) -> None:
    payload = paid_shopify(17)
    job_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    # The merchant doubles the quantities (and Shopify the totals) before any worker ran.
    edited = shopify_scaled(payload, 2, "2030-01-01T10:00:00+03:00")
    answer = body_of(web.shopify(edited, topic="orders/updated"))
    assert answer["status"] == "accepted" and "the job invoices the new one" in answer["reason"]
    stored = json.loads(web.job(job_id).order_json or "null")
    assert Decimal(stored["paid_total"]) == Decimal(str(edited["total_price"]))
    # An older delivery (a retry of the first body) changes nothing back.
    body_of(web.shopify(payload, topic="orders/paid"))
    assert json.loads(web.job(job_id).order_json or "null")["paid_total"] == stored["paid_total"]


def test_an_order_edited_after_its_invoice_is_flagged_with_the_difference(web: WebHarness) -> None:
    payload = paid_shopify(18)
    job_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    with web.sessions() as session:
        JobRepository(session).set_fields(job_id, datetime.now(UTC), status="completed", step_customer="done",
                                          step_invoice="done", step_e_document="done", invoice_number="DMS2025000000018")
        session.commit()
    edited = shopify_scaled(payload, 2, "2030-01-01T10:00:00+03:00")
    answer = body_of(web.shopify(edited, topic="orders/updated"))
    assert answer["status"] == "needs_attention" and answer["reason"].startswith("amount_changed_after_invoice: total ")
    job = web.job(job_id)
    assert job.status == "completed" and job.edited_at is not None and "→" in (job.edit_note or "")
    again = body_of(web.shopify({**edited, "updated_at": "2030-01-01T11:00:00+03:00"}, topic="orders/updated"))
    assert again["status"] == "accepted" and "already flagged" in again["reason"]
