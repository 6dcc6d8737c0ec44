"""EventRepository: the webhook inbox keeps one row per delivery key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.store.db import session_scope
from sync_engine.store.models import InboundEvent
from sync_engine.store.repositories import EventRepository, JobRepository

T0 = datetime(2024, 11, 21, 9, 0, tzinfo=UTC)
BODY = b'{"id": 5678901234567890123, "name": "#1001", "note": "\xc3\xa7ok g\xc3\xbczel"}'


def insert(
    session: Session, key: str, *, status: str = "accepted", raw_body: bytes = BODY,
    job_id: int | None = None,
) -> tuple[InboundEvent, bool]:
    return EventRepository(session).insert_if_new(
        "demo-shop",
        "shopify",
        key,
        topic="orders/paid",
        source="webhook",
        headers={"X-Shopify-Topic": "orders/paid", "X-Shopify-Hmac-Sha256": "[redacted]"},
        raw_body=raw_body,
        status=status,
        job_id=job_id,
        received_at=T0,
    )


def test_insert_if_new_stores_raw_event_once(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        job, _ = JobRepository(session).create_if_absent(
            "demo-shop:1:sale",
            store_id="demo-shop",
            platform="shopify",
            order_id="1",
            provider="kolaybi",
            provider_account="acc",
            created_at=T0,
        )
        event, created = insert(session, "wh-1", job_id=job.id)
        assert created
        first_id, job_id = event.id, job.id

    with session_scope(session_factory) as session:
        again, created = insert(session, "wh-1", status="duplicate", raw_body=b"other")
        assert not created
        assert again.id == first_id
        # The first delivery is kept untouched, and it knows its job for the "duplicate" answer.
        assert again.raw_body == BODY
        assert again.status == "accepted"
        assert again.job_id == job_id
        assert again.headers["X-Shopify-Topic"] == "orders/paid"
        assert again.received_at == T0

    with session_scope(session_factory) as session:
        # Same key on another store or platform is another event.
        other_store = EventRepository(session).insert_if_new(
            "other-shop", "shopify", "wh-1", topic=None, source="webhook",
            headers={}, raw_body=b"{}", status="accepted",
        )
        other_platform = EventRepository(session).insert_if_new(
            "demo-shop", "woocommerce", "wh-1", topic=None, source="replay",
            headers={}, raw_body=b"{}", status="accepted",
        )
        assert other_store[1] and other_platform[1]


def test_list_get_and_set_status(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        ids = [insert(session, f"wh-{n}")[0].id for n in range(4)]
        events = EventRepository(session)
        assert events.set_status(ids[1], "needs_attention", "company buyer without VKN")
        assert not events.set_status(999_999, "ignored")

    with session_scope(session_factory) as session:
        events = EventRepository(session)
        assert [e.id for e in events.list()] == ids[::-1]
        assert [e.id for e in events.list(limit=2)] == ids[:1:-1]
        assert [e.id for e in events.list(status="needs_attention")] == [ids[1]]
        assert events.list(store_id="other-shop") == []
        flagged = events.get(ids[1])
        assert flagged is not None
        assert (flagged.status, flagged.reason) == ("needs_attention", "company buyer without VKN")

        job, _ = JobRepository(session).create_if_absent(
            "demo-shop:9:sale", store_id="demo-shop", platform="shopify", order_id="9",
            provider="kolaybi", provider_account="acc", created_at=T0,
        )
        assert events.set_status(ids[1], "accepted", None, job.id)
        # A later status change without a job id must not unlink the job.
        assert events.set_status(ids[1], "ignored", "cancelled order")

    with session_factory() as session:
        event = EventRepository(session).get(ids[1])
        assert event is not None
        assert (event.status, event.reason, event.job_id) == ("ignored", "cancelled order", job.id)
