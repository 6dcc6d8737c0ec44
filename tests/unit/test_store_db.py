"""Engines and sessions: SQLite set-up, unit-of-work boundaries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.store.db import (
    head_revision,
    make_engine,
    normalise_url,
    session_scope,
    upgrade,
)
from sync_engine.store.repositories import AttemptRepository, JobRepository

T0 = datetime(2024, 11, 21, 9, 0, tzinfo=UTC)


def add_job(session: Session, order_id: str) -> None:
    JobRepository(session).create_if_absent(
        f"demo-shop:{order_id}:sale", store_id="demo-shop", platform="shopify",
        order_id=order_id, provider="kolaybi", provider_account="acc", created_at=T0,
    )


def test_sqlite_engine_creates_directory_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "var" / "state.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert path.parent.is_dir()
    finally:
        engine.dispose()


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


def test_upgrade_reaches_head_in_new_directory(tmp_path: Path) -> None:
    assert upgrade(f"sqlite:///{tmp_path / 'fresh' / 'x.db'}") == head_revision()


def test_session_scope_commits_or_rolls_back(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        add_job(session, "1")
    with pytest.raises(RuntimeError):
        with session_scope(session_factory) as session:
            add_job(session, "2")
            raise RuntimeError("step failed")
    with session_factory() as session:
        keys = [job.idempotency_key for job in JobRepository(session).list()[0]]
    assert keys == ["demo-shop:1:sale"]


def test_foreign_keys_are_enforced(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError):
        with session_scope(session_factory) as session:
            AttemptRepository(session).add(424242, "customer", "x.y", 1, T0, 1)
