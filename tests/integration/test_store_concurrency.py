"""The unique keys and guarded UPDATEs hold when 8 workers race on the same row.

Each thread has its own session (its own connection); a barrier releases them together so
the statements really overlap. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.store.db import session_scope
from sync_engine.store.models import BuyerMapping, InboundEvent, Job
from sync_engine.store.repositories import (
    ClaimState,
    EventRepository,
    JobRepository,
    MappingRepository,
)

WORKERS = 8
T0 = datetime(2024, 11, 21, 9, 0, tzinfo=UTC)
R = TypeVar("R")


def race(factory: sessionmaker[Session], work: Callable[[Session, int], R]) -> list[R]:
    """Run work(session, worker_no) in WORKERS threads started at the same instant."""
    barrier = threading.Barrier(WORKERS, timeout=30)

    def run(worker_no: int) -> R:
        with factory() as session:
            # Open the connection before the barrier so the race is on the statement itself.
            session.connection()
            barrier.wait()
            result = work(session, worker_no)
            session.commit()
            return result

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(run, range(WORKERS)))


def count(
    factory: sessionmaker[Session], model: type[Job] | type[InboundEvent] | type[BuyerMapping]
) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def new_job(session: Session, order_id: str = "5678901234567890123") -> tuple[Job, bool]:
    return JobRepository(session).create_if_absent(
        f"demo-shop:{order_id}:sale",
        store_id="demo-shop",
        platform="shopify",
        order_id=order_id,
        provider="kolaybi",
        provider_account="kolaybi:demo",
        created_at=T0,
    )


def test_create_if_absent_creates_exactly_one_job(session_factory: sessionmaker[Session]) -> None:
    def work(session: Session, _: int) -> tuple[int, bool]:
        job, created = new_job(session)
        return job.id, created

    results = race(session_factory, work)
    assert sum(created for _, created in results) == 1
    assert len({job_id for job_id, _ in results}) == 1
    assert count(session_factory, Job) == 1


def test_insert_if_new_stores_exactly_one_event(session_factory: sessionmaker[Session]) -> None:
    def work(session: Session, worker_no: int) -> tuple[int, bool]:
        event, created = EventRepository(session).insert_if_new(
            "demo-shop",
            "shopify",
            "b1f1c2d3-webhook-id",
            topic="orders/paid",
            source="webhook",
            headers={"worker": worker_no},
            raw_body=b"{}",
            status="accepted",
            received_at=T0,
        )
        return event.id, created

    results = race(session_factory, work)
    assert sum(created for _, created in results) == 1
    assert len({event_id for event_id, _ in results}) == 1
    assert count(session_factory, InboundEvent) == 1


def test_claim_admits_exactly_one_cari_creator(session_factory: sessionmaker[Session]) -> None:
    def work(session: Session, worker_no: int) -> ClaimState:
        return MappingRepository(session).claim(
            "kolaybi:demo", "1000036109", "", f"job-{worker_no}", 60, T0
        ).state

    states = race(session_factory, work)
    assert states.count(ClaimState.CLAIMED) == 1
    assert states.count(ClaimState.BUSY) == WORKERS - 1
    assert count(session_factory, BuyerMapping) == 1


def test_takeover_of_expired_claim_admits_exactly_one(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        first = MappingRepository(session).claim("acc", "1000036109", "", "crashed", 30, T0)
        assert first.state == ClaimState.CLAIMED
    later = T0 + timedelta(minutes=5)

    def work(session: Session, worker_no: int) -> ClaimState:
        return MappingRepository(session).claim(
            "acc", "1000036109", "", f"job-{worker_no}", 30, later
        ).state

    states = race(session_factory, work)
    assert states.count(ClaimState.CLAIMED) == 1


def test_take_lease_is_exclusive_and_retaken_once_after_expiry(
    session_factory: sessionmaker[Session],
) -> None:
    with session_scope(session_factory) as session:
        job_id = new_job(session)[0].id

    def take_at(now: datetime) -> Callable[[Session, int], bool]:
        def work(session: Session, worker_no: int) -> bool:
            return JobRepository(session).take_lease(job_id, f"worker-{worker_no}", 30, now)

        return work

    first = race(session_factory, take_at(T0))
    assert first.count(True) == 1
    holder = f"worker-{first.index(True)}"

    # While the lease is live, nobody else gets it.
    assert race(session_factory, take_at(T0 + timedelta(seconds=29))).count(True) == 0

    after_expiry = race(session_factory, take_at(T0 + timedelta(seconds=31)))
    assert after_expiry.count(True) == 1
    new_holder = f"worker-{after_expiry.index(True)}"

    with session_factory() as session:
        job = JobRepository(session).get(job_id)
        assert job is not None
        assert job.lease_owner == new_holder
        assert job.lease_expires_at == T0 + timedelta(seconds=61)
        if holder != new_holder:
            assert not JobRepository(session).update_held(
                job_id, holder, T0 + timedelta(seconds=40), step_customer="done"
            )
