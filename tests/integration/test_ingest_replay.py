"""A later event that fixes an invalid order re-queues the same job; replaying a stored event
with nothing changed touches no job (issue: "Webhook ingest, ops API and the demo").

Events arrive through the real web app (signed, stored, committed); replays run
``sync_engine.ingest.replay`` on the stored rows, as ``sync-engine events replay`` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.ingest import IngestResult, _fixes_invalid_order, replay
from sync_engine.platforms.registry import get_platform
from sync_engine.devtools.webhooks import build_shopify, build_woocommerce
from sync_engine.store.models import Job
from sync_engine.store.repositories import EventRepository, JobRepository
from tests.support.web import (
    GENERIC_ORDER,
    SHOPIFY_SECRET,
    WOO_SECRET,
    WebHarness,
    paid_shopify,
    paid_woocommerce,
    shopify_company_without_vkn,
    web_harness,
)

JOB_COLUMNS = [c.key for c in Job.__table__.columns]


@pytest.fixture
def web(session_factory: sessionmaker[Session], tmp_path: Path) -> Iterator[WebHarness]:
    with web_harness(session_factory, tmp_path) as harness:
        yield harness


def snapshot(web: WebHarness) -> list[dict[str, Any]]:
    return [{c: getattr(j, c) for c in JOB_COLUMNS} for j in web.jobs()]


def replay_event(web: WebHarness, event_id: int, *, now: datetime | None = None) -> IngestResult:
    with web.sessions() as session:
        event = EventRepository(session).get(event_id)
        assert event is not None
        store = web.stores[event.store_id]
        result = replay(session, event, store=store, adapter=get_platform(event.platform),
                        now=now or datetime.now(UTC) + timedelta(hours=1))
        session.commit()
        return result


def event_status(web: WebHarness, event_id: int) -> tuple[str, str | None, int | None]:
    with web.sessions() as session:
        event = EventRepository(session).get(event_id)
        assert event is not None
        return event.status, event.reason, event.job_id


def with_updated_at(payload: dict[str, Any], when: str) -> dict[str, Any]:
    return {**payload, "updated_at": when}


# --- a later event fixes the order --------------------------------------------------------


def test_shopify_update_with_vkn_requeues_the_same_job(web: WebHarness) -> None:
    broken = shopify_company_without_vkn(4)
    first = web.shopify(broken, topic="orders/paid")
    assert first.status_code == 202 and first.json()["status"] == "needs_attention"
    job_id = first.json()["job_id"]
    before = web.job(job_id)
    assert (before.status, before.attention_category, before.order_json) == ("needs_attention", "invalid_order", None)

    # The merchant adds the VKN in the admin; Shopify sends orders/updated with the order.
    fixed = with_updated_at(paid_shopify(4, "company"), "2025-03-03T12:00:00+03:00")
    assert fixed["id"] == broken["id"]
    response = web.shopify(fixed, topic="orders/updated")
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "accepted", "job_id": job_id}

    (job,) = web.jobs()  # the same job, never a second one
    assert job.id == job_id
    assert (job.status, job.attention_category, job.last_error_class, job.last_error_message) == (
        "queued", None, None, None)
    assert job.attempt_count == 0 and job.next_attempt_at is not None
    vkn = next(a["value"] for a in fixed["note_attributes"] if a["name"].lower() in ("vkn", "vergi no"))
    assert json.loads(job.order_json or "null")["buyer"]["tax_id"] == vkn
    events = web.events()
    assert [e.status for e in events] == ["needs_attention", "accepted"]
    assert events[1].reason == "order fixed; job re-queued" and events[1].job_id == job_id
    web.assert_queued(job_id)

    # A third event about the now-good order changes nothing and wakes nobody.
    again = web.shopify(with_updated_at(fixed, "2025-03-03T12:05:00+03:00"), topic="orders/updated")
    assert again.status_code == 202 and again.json()["job_id"] == job_id
    web.assert_queued(job_id)


def test_woocommerce_update_with_vkn_requeues_the_same_job(web: WebHarness) -> None:
    good = paid_woocommerce(40, "company")
    broken = json.loads(json.dumps(good))
    for meta in broken["meta_data"]:
        if meta["key"] == "_billing_hez_tax_number":
            meta["value"] = ""
    first = web.woocommerce(broken, topic="order.created")
    assert first.json()["status"] == "needs_attention"
    job_id = first.json()["job_id"]

    good["date_modified_gmt"] = "2025-03-04T08:00:00"
    response = web.woocommerce(good, topic="order.updated")
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "job_id": job_id}
    assert [(j.id, j.status) for j in web.jobs()] == [(job_id, "queued")]
    web.assert_queued(job_id)


def test_still_invalid_update_keeps_the_job_in_needs_attention(web: WebHarness) -> None:
    broken = shopify_company_without_vkn(5)
    job_id = web.shopify(broken, topic="orders/create").json()["job_id"]
    before = snapshot(web)
    response = web.shopify(with_updated_at(broken, "2025-03-03T13:00:00+03:00"), topic="orders/updated")
    assert response.status_code == 202
    answer = response.json()
    # Stored but still not invoiceable: DESIGN §7's needs_attention answer, with the reason.
    assert answer["status"] == "needs_attention" and answer["job_id"] == job_id and "VKN" in answer["reason"]
    assert snapshot(web) == before
    assert [e.status for e in web.events()] == ["needs_attention", "needs_attention"]
    assert web.enqueue.calls == []


def test_a_job_that_already_reached_the_provider_is_not_restarted(web: WebHarness) -> None:
    broken = shopify_company_without_vkn(6)
    job_id = web.shopify(broken, topic="orders/paid").json()["job_id"]
    with web.sessions() as session:
        # An operator's earlier retry got as far as creating the cari: starting over could
        # create a second one, so a later event must leave the job to the operator.
        JobRepository(session).set_fields(job_id, datetime.now(UTC), step_customer="done", customer_id="C-1")
        session.commit()
    before = snapshot(web)
    fixed = with_updated_at(paid_shopify(6, "company"), "2025-03-03T14:00:00+03:00")
    response = web.shopify(fixed, topic="orders/updated")
    assert response.status_code == 202 and response.json()["job_id"] == job_id
    assert snapshot(web) == before
    assert web.enqueue.calls == []


@pytest.mark.parametrize(
    ("status", "category", "steps", "expected"),
    [
        ("needs_attention", "invalid_order", {}, True),
        ("needs_attention", "provider_refused", {}, False),
        ("needs_attention", "invalid_order", {"step_invoice": "failed"}, False),
        ("needs_attention", "invalid_order", {"step_customer": "skipped"}, False),
        ("queued", None, {}, False),
        ("completed", None, {"step_customer": "done", "step_invoice": "done"}, False),
    ],
)
def test_fixes_invalid_order_rule(status: str, category: str | None, steps: dict[str, str], expected: bool) -> None:
    job = Job(status=status, attention_category=category, step_customer="pending", step_invoice="pending")
    for column, value in steps.items():
        setattr(job, column, value)
    order = object()
    assert _fixes_invalid_order(job, order, None) is expected
    assert _fixes_invalid_order(job, order, "still broken") is False
    assert _fixes_invalid_order(job, None, None) is False


# --- replay with nothing changed ------------------------------------------------------------


def test_replay_of_an_accepted_event_is_a_noop_on_jobs(web: WebHarness) -> None:
    response = web.shopify(paid_shopify(50), topic="orders/paid")
    job_id = response.json()["job_id"]
    before = snapshot(web)
    (event,) = web.events()

    result = replay_event(web, event.id)
    assert result.job_id == job_id and result.enqueue is False
    assert result.http_status == 202
    assert snapshot(web) == before  # not even updated_at moved
    assert len(web.events()) == 1
    assert event_status(web, event.id)[2] == job_id


def test_replay_of_a_needs_attention_event_is_a_noop_on_jobs(web: WebHarness) -> None:
    response = web.shopify(shopify_company_without_vkn(51), topic="orders/paid")
    job_id = response.json()["job_id"]
    before = snapshot(web)
    (event,) = web.events()

    result = replay_event(web, event.id)
    assert (result.status, result.job_id, result.enqueue) == ("needs_attention", job_id, False)
    assert "VKN" in (result.reason or "")
    assert snapshot(web) == before
    assert event_status(web, event.id)[0] == "needs_attention"


@pytest.mark.parametrize("platform", ["woocommerce", "generic"])
def test_replay_is_a_noop_on_other_platforms(web: WebHarness, platform: str) -> None:
    if platform == "woocommerce":
        response = web.woocommerce(paid_woocommerce(52, "anonymous"))
    else:
        response = web.generic(GENERIC_ORDER)
    assert response.status_code == 202, response.text
    before = snapshot(web)
    (event,) = web.events()
    result = replay_event(web, event.id)
    assert (result.job_id, result.enqueue) == (response.json()["job_id"], False)
    assert snapshot(web) == before


def test_replay_of_ignored_and_rejected_events_creates_no_job(web: WebHarness) -> None:
    unpaid = paid_shopify(53)
    unpaid["financial_status"] = "pending"
    web.shopify(unpaid, topic="orders/create")
    web.shopify(paid_shopify(54), topic="refunds/create")  # an order body under a refund topic
    headers, body = build_shopify(b"{not json", secret=SHOPIFY_SECRET)
    assert web.post("shopify", "demo-shop", headers, body).status_code == 400
    headers, body = build_woocommerce(b"[1,2]", secret=WOO_SECRET)
    assert web.post("woocommerce", "kolay-shop", headers, body).status_code == 400

    events = web.events()
    assert [e.status for e in events] == ["ignored", "ignored", "rejected", "rejected"]
    results = [replay_event(web, e.id) for e in events]
    assert [r.status for r in results] == ["ignored", "ignored", "rejected", "rejected"]
    assert [r.http_status for r in results] == [202, 202, 400, 400]
    assert web.jobs() == []
    assert [e.status for e in web.events()] == ["ignored", "ignored", "rejected", "rejected"]


def test_replay_of_a_test_notification_stays_a_test(web: WebHarness) -> None:
    # A real-looking order flagged only by X-Shopify-Test: the flag must survive storage, or a
    # replay would turn Shopify's test delivery into a real invoice.
    headers, body = build_shopify(paid_shopify(55), secret=SHOPIFY_SECRET, topic="orders/paid")
    headers["X-Shopify-Test"] = "true"
    response = web.post("shopify", "demo-shop", headers, body)
    assert response.json()["status"] == "ignored"
    (event,) = web.events()
    result = replay_event(web, event.id)
    assert result.status == "ignored"
    assert web.jobs() == []


def test_replay_after_the_order_was_fixed_by_a_later_event_keeps_the_fixed_job(web: WebHarness) -> None:
    broken = shopify_company_without_vkn(56)
    job_id = web.shopify(broken, topic="orders/paid").json()["job_id"]
    fixed = with_updated_at(paid_shopify(56, "company"), "2025-03-03T15:00:00+03:00")
    assert web.shopify(fixed, topic="orders/updated").json()["status"] == "accepted"
    before = snapshot(web)
    assert before[0]["status"] == "queued"

    # Replaying the old, broken event must not put the good job back into needs_attention.
    old_event = web.events()[0]
    result = replay_event(web, old_event.id)
    assert result.job_id == job_id and result.enqueue is False
    assert snapshot(web) == before


# --- an invalid TCKN: stopped on purpose, or invoiced anonymously by store setting ----------


def test_invalid_tckn_waits_as_invalid_tax_id_and_a_replay_under_the_anonymous_setting_requeues_it(
    web: WebHarness,
) -> None:
    payload = paid_shopify(7)
    for attribute in payload["note_attributes"]:
        if attribute["name"].lower().replace(" ", "") in ("tckn", "tckimlikno"):
            attribute["value"] = "12345678901"  # fails the checksum
    first = web.shopify(payload, topic="orders/paid")
    assert first.status_code == 202 and first.json()["status"] == "needs_attention"
    assert "fails its checksum" in first.json()["reason"] and "12345678901" not in first.json()["reason"]
    job = web.job(first.json()["job_id"])
    assert (job.status, job.attention_category, job.order_json) == ("needs_attention", "invalid_tax_id", None)

    # The merchant decides such buyers are invoiced as the anonymous consumer, and replays.
    store = web.stores["demo-shop"]
    web.stores["demo-shop"] = store.model_copy(
        update={"invoice": store.invoice.model_copy(update={"invalid_tax_id": "anonymous"})})
    (event,) = web.events()
    result = replay_event(web, event.id)
    assert (result.status, result.job_id) == ("accepted", job.id)
    job = web.job(job.id)
    assert job.status == "queued" and job.attention_category is None
    order = json.loads(job.order_json or "null")
    assert order["buyer"]["kind"] == "anonymous" and order["buyer"]["tax_id"] == "11111111111"
    assert "invalid_tax_id = anonymous" in order["identity_note"]
