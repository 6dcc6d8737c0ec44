"""JobRepository on both stores: idempotent creation, leases, sweeping, listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.store.db import session_scope
from sync_engine.store.models import Job
from sync_engine.store.repositories import JobRepository

T0 = datetime(2024, 11, 21, 9, 0, tzinfo=UTC)
SHOPIFY_ORDER_ID = "5678901234567890123"  # > 2**53: must survive as text


def job_fields(
    store_id: str = "demo-shop", order_id: str = SHOPIFY_ORDER_ID, **extra: Any
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "store_id": store_id,
        "platform": "shopify",
        "order_id": order_id,
        "order_name": "#1001",
        "provider": "kolaybi",
        "provider_account": "kolaybi:demo",
        "order_json": "{}",
        "created_at": T0,
    }
    fields.update(extra)
    return fields


def make_job(session: Session, order_id: str = SHOPIFY_ORDER_ID, **extra: Any) -> Job:
    store_id = extra.pop("store_id", "demo-shop")
    job, created = JobRepository(session).create_if_absent(
        f"{store_id}:{order_id}:sale", **job_fields(store_id, order_id, **extra)
    )
    assert created
    return job


def test_create_if_absent_sets_defaults_and_is_idempotent(
    session_factory: sessionmaker[Session],
) -> None:
    with session_scope(session_factory) as session:
        job, created = JobRepository(session).create_if_absent(
            "demo-shop:1:sale", **job_fields(order_id="1")
        )
        assert created
        assert (job.status, job.kind, job.attempt_count) == ("queued", "sale", 0)
        assert [job.step_customer, job.step_invoice, job.step_e_document, job.step_journal] == [
            "pending"
        ] * 4
        assert job.created_at == job.updated_at == T0
        first_id = job.id

    with session_scope(session_factory) as session:
        again, created = JobRepository(session).create_if_absent(
            "demo-shop:1:sale", **job_fields(order_id="1", order_name="#changed", provider="x")
        )
        assert not created
        assert again.id == first_id
        # A duplicate delivery changes nothing in the existing job.
        assert (again.order_name, again.provider) == ("#1001", "kolaybi")


def test_create_if_absent_refuses_unknown_fields(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        with pytest.raises(TypeError, match="no column"):
            JobRepository(session).create_if_absent("k", **job_fields(), stauts="queued")


def test_large_order_id_money_and_timezone_round_trip(
    session_factory: sessionmaker[Session],
) -> None:
    istanbul = datetime(2024, 11, 21, 12, 0, tzinfo=ZoneInfo("Europe/Istanbul"))
    with session_scope(session_factory) as session:
        job = make_job(session, rounding_difference=Decimal("-0.01"), next_attempt_at=istanbul)
        job_id = job.id
    with session_factory() as session:
        loaded = JobRepository(session).get(job_id)
        assert loaded is not None
        assert loaded.order_id == SHOPIFY_ORDER_ID
        assert loaded.rounding_difference == Decimal("-0.01")
        assert isinstance(loaded.rounding_difference, Decimal)
        assert loaded.next_attempt_at == datetime(2024, 11, 21, 9, 0, tzinfo=UTC)
        assert loaded.next_attempt_at is not None and loaded.next_attempt_at.tzinfo == UTC


def test_naive_datetimes_and_float_money_are_refused(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        with pytest.raises(StatementError, match="naive datetime"):
            make_job(session, created_at=datetime(2024, 1, 1))
        session.rollback()
        with pytest.raises(StatementError, match="money must be Decimal"):
            make_job(session, rounding_difference=0.01)
        session.rollback()
        with pytest.raises(StatementError, match="more than two decimal places"):
            make_job(session, rounding_difference=Decimal("0.005"))


def test_take_lease_is_exclusive_until_expiry(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        job_id = make_job(session).id

    with session_factory() as a, session_factory() as b:
        jobs_a, jobs_b = JobRepository(a), JobRepository(b)
        assert jobs_a.take_lease(job_id, "worker-a", 30, T0)
        # take_lease committed: a separate session sees the lease at once.
        assert not jobs_b.take_lease(job_id, "worker-b", 30, T0 + timedelta(seconds=29))
        seen = jobs_b.get(job_id)
        assert seen is not None
        assert (seen.status, seen.lease_owner) == ("running", "worker-a")
        assert seen.lease_expires_at == T0 + timedelta(seconds=30)

        assert jobs_b.take_lease(job_id, "worker-b", 30, T0 + timedelta(seconds=31))
        # The first worker lost its lease: its late writes are refused.
        later = T0 + timedelta(seconds=32)
        assert not jobs_a.update_held(job_id, "worker-a", later, step_customer="failed")
        a.commit()
        assert jobs_b.update_held(job_id, "worker-b", later, step_customer="done")
        b.commit()

    with session_factory() as session:
        job = JobRepository(session).get(job_id)
        assert job is not None
        assert (job.lease_owner, job.step_customer) == ("worker-b", "done")
        assert job.updated_at == T0 + timedelta(seconds=32)


def test_take_lease_refuses_terminal_jobs(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        done = make_job(session, "1", status="completed").id
        stuck = make_job(session, "2", status="needs_attention").id
        cancelled = make_job(session, "3", status="cancelled").id
        retrying = make_job(session, "4", status="retrying").id
    with session_factory() as session:
        jobs = JobRepository(session)
        assert not jobs.take_lease(done, "w", 30, T0)
        assert not jobs.take_lease(stuck, "w", 30, T0)
        assert not jobs.take_lease(cancelled, "w", 30, T0)
        assert jobs.take_lease(retrying, "w", 30, T0)
        assert not jobs.take_lease(999_999, "w", 30, T0)


def test_renew_and_release(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        job_id = make_job(session).id
    with session_factory() as session:
        jobs = JobRepository(session)
        assert jobs.take_lease(job_id, "w1", 30, T0)
        assert not jobs.renew_lease(job_id, "intruder", 30, T0 + timedelta(seconds=10))
        assert jobs.renew_lease(job_id, "w1", 60, T0 + timedelta(seconds=20))
        # Renewed until T0+80: another worker at T0+40 is still kept out.
        assert not jobs.take_lease(job_id, "w2", 30, T0 + timedelta(seconds=40))

        retry_at = T0 + timedelta(minutes=5)
        assert not jobs.release(job_id, "w2", T0, status="retrying", next_attempt_at=retry_at)
        assert jobs.release(
            job_id,
            "w1",
            T0 + timedelta(seconds=50),
            status="retrying",
            next_attempt_at=retry_at,
            attempt_count=1,
            last_error_class="ProviderUnavailable",
        )
        session.commit()
        job = jobs.get(job_id)
        assert job is not None
        assert (job.status, job.lease_owner, job.lease_expires_at) == ("retrying", None, None)
        assert (job.next_attempt_at, job.attempt_count) == (retry_at, 1)
        assert job.completed_at is None

        assert jobs.take_lease(job_id, "w3", 30, T0 + timedelta(minutes=6))
        assert jobs.release(job_id, "w3", T0 + timedelta(minutes=7), status="completed")
        session.commit()
        job = jobs.get(job_id)
        assert job is not None
        assert (job.status, job.completed_at) == ("completed", T0 + timedelta(minutes=7))


def test_lease_columns_only_through_lease_methods(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        jobs = JobRepository(session)
        with pytest.raises(TypeError, match="managed by the lease methods"):
            jobs.update_held(1, "w", T0, lease_owner="someone-else")
        with pytest.raises(TypeError, match="no column"):
            jobs.update_held(1, "w", T0, step_custmer="done")


def test_due_for_sweep_selects_due_and_unleased_jobs(
    session_factory: sessionmaker[Session],
) -> None:
    now = T0 + timedelta(hours=1)
    with session_scope(session_factory) as session:
        ids = {
            "queued_never_leased": make_job(session, "1").id,
            "retry_due": make_job(session, "2", status="retrying", next_attempt_at=now).id,
            "retry_later": make_job(
                session, "3", status="retrying", next_attempt_at=now + timedelta(seconds=1)
            ).id,
            "running_lease_expired": make_job(
                session,
                "4",
                status="running",
                lease_owner="dead-worker",
                lease_expires_at=now - timedelta(seconds=1),
            ).id,
            "running_lease_live": make_job(
                session,
                "5",
                status="running",
                lease_owner="busy-worker",
                lease_expires_at=now + timedelta(seconds=10),
            ).id,
            "completed": make_job(session, "6", status="completed").id,
            "needs_attention": make_job(session, "7", status="needs_attention").id,
            "cancelled": make_job(session, "8", status="cancelled").id,
        }
    with session_factory() as session:
        due = JobRepository(session).due_for_sweep(now, limit=100)
        assert due == [ids["queued_never_leased"], ids["retry_due"], ids["running_lease_expired"]]
        assert JobRepository(session).due_for_sweep(now, limit=2) == due[:2]


def test_list_paginates_newest_first_with_filters(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        a_ids = [make_job(session, str(n)).id for n in range(7)]
        b_ids = [make_job(session, str(n), store_id="other-shop").id for n in range(2)]
        JobRepository(session).set_fields(a_ids[3], T0, status="needs_attention")

    with session_factory() as session:
        jobs = JobRepository(session)
        seen: list[int] = []
        cursor: int | None = None
        pages = 0
        while True:
            page, cursor = jobs.list(store_id="demo-shop", limit=3, cursor=cursor)
            seen.extend(job.id for job in page)
            pages += 1
            if cursor is None:
                break
        assert seen == sorted(a_ids, reverse=True)
        assert pages == 3

        everything, next_cursor = jobs.list(limit=50)
        assert [j.id for j in everything] == sorted(a_ids + b_ids, reverse=True)
        assert next_cursor is None

        # An exact multiple of the page size must not promise an empty next page.
        page, next_cursor = jobs.list(store_id="other-shop", limit=2)
        assert ([j.id for j in page], next_cursor) == (sorted(b_ids, reverse=True), None)

        attention, _ = jobs.list(status="needs_attention")
        assert [j.id for j in attention] == [a_ids[3]]


def test_count_find_and_window(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        early = make_job(session, "1", created_at=T0 - timedelta(days=1)).id
        inside = make_job(session, "2", created_at=T0).id
        last = make_job(session, "3", created_at=T0 + timedelta(hours=23), status="completed").id
        make_job(session, "4", created_at=T0 + timedelta(days=1))
        make_job(session, "2", store_id="other-shop", created_at=T0)
        jobs = JobRepository(session)
        refund, created = jobs.create_if_absent(
            "demo-shop:2:return:77", **job_fields(order_id="2", kind="return")
        )
        assert created

    with session_factory() as session:
        jobs = JobRepository(session)
        assert jobs.count_by_status() == {"queued": 5, "completed": 1}
        sale = jobs.find_by_order("demo-shop", "2")
        assert sale is not None and sale.id == inside
        found_refund = jobs.find_by_order("demo-shop", "2", kind="return")
        assert found_refund is not None and found_refund.id == refund.id
        assert jobs.find_by_order("demo-shop", "999") is None
        window = jobs.list_in_window("demo-shop", T0, T0 + timedelta(days=1))
        assert [j.id for j in window] == [inside, refund.id, last]
        assert early not in [j.id for j in window]


def test_set_fields_is_unconditional(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        job_id = make_job(session, status="needs_attention", lease_owner="gone").id
    with session_scope(session_factory) as session:
        assert JobRepository(session).set_fields(
            job_id, T0 + timedelta(hours=2), status="queued", lease_owner=None, next_attempt_at=None
        )
        assert not JobRepository(session).set_fields(999_999, T0, status="queued")
    with session_factory() as session:
        job = JobRepository(session).get(job_id)
        assert job is not None
        assert (job.status, job.lease_owner, job.updated_at) == (
            "queued",
            None,
            T0 + timedelta(hours=2),
        )
        by_key = JobRepository(session).get_by_key(job.idempotency_key)
        assert by_key is job
