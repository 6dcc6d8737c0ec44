"""AttemptRepository: the job's timeline, in start order, with bounded messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.store.db import session_scope
from sync_engine.store.repositories import MESSAGE_LIMIT, AttemptRepository, JobRepository

T0 = datetime(2024, 11, 21, 9, 0, tzinfo=UTC)


def new_job(session: Session, order_id: str) -> int:
    job, _ = JobRepository(session).create_if_absent(
        f"demo-shop:{order_id}:sale", store_id="demo-shop", platform="shopify",
        order_id=order_id, provider="kolaybi", provider_account="acc", created_at=T0,
    )
    return job.id


def test_attempts_ordered_by_start_then_id(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        job_id, other_job = new_job(session, "1"), new_job(session, "2")
        attempts = AttemptRepository(session)
        # Inserted out of order: the timeline follows started_at, ties by insertion.
        late = attempts.add(job_id, "invoice", "kolaybi.invoices.create", 1,
                            T0 + timedelta(seconds=5), 120, 201)
        early = attempts.add(job_id, "customer", "kolaybi.associates.search", 1, T0, 40, 200)
        tie = attempts.add(job_id, "customer", "kolaybi.associates.create", 1, T0, 55, 201)
        failed = attempts.add(
            job_id, "e_document", "kolaybi.invoices.e_document.create", 1,
            T0 + timedelta(seconds=9), 30_000, 504, "ProviderTimeout", "x" * 5000,
        )
        attempts.add(other_job, "customer", "kolaybi.associates.search", 1, T0, 10, 200)
        expected = [early.id, tie.id, late.id, failed.id]

    with session_factory() as session:
        timeline = AttemptRepository(session).for_job(job_id)
        assert [a.id for a in timeline] == expected
        last = timeline[-1]
        assert (last.http_status, last.error_class) == (504, "ProviderTimeout")
        assert last.duration_ms == 30_000
        assert last.message == "x" * MESSAGE_LIMIT
        assert timeline[0].started_at == T0 and timeline[0].message is None
        assert AttemptRepository(session).for_job(999_999) == []
