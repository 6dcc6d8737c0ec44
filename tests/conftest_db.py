"""Database fixtures shared by every suite that touches the state store.

`tests/conftest.py` star-imports this module, so the fixtures are available everywhere.
Every fixture runs the real Alembic migrations against a real database; nothing is mocked.

Fixtures
--------
db_url            The one to use. Parametrized over ``sqlite`` and ``postgres`` (the latter
                  marked ``pytest.mark.postgres``, deselect with ``-m "not postgres"``).
                  The URL names a database already migrated to head and EMPTY: a fresh SQLite
                  file per test, or the session's PostgreSQL database truncated before the
                  test (RESTART IDENTITY, so ids start at 1 again). Pass it to anything that
                  builds its own engine (a web app in a uvicorn thread, a worker).
db_engine         `make_engine(db_url)`, disposed after the test.
session_factory   `make_session_factory(db_engine)`; open one session per thread.
sqlite_url        A migrated, empty SQLite file in `tmp_path` (SQLite only).
pg_url            Session-wide: a uniquely named database ``sync_test_<random>`` on the local
                  PostgreSQL, migrated once, dropped WITH (FORCE) at the end of the session.
                  NOT cleaned between tests on its own — request `db_url` for that.
blank_db_url      Parametrized like `db_url`, but an empty database with no schema at all
                  (its own PostgreSQL database), for tests of the migrations themselves.

`temporary_pg_database()` is the context manager behind `pg_url`, for tests that need a
database of their own. The PostgreSQL server is `SYNC_TEST_PG_ADMIN_URL` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``): CREATE/DROP DATABASE run there.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from sync_engine.store.db import make_engine, make_session_factory, upgrade
from sync_engine.store.models import Base

PG_ADMIN_URL = os.environ.get(
    "SYNC_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

__all__ = [
    "PG_ADMIN_URL",
    "_sqlite_template",
    "blank_db_url",
    "db_engine",
    "db_url",
    "pg_url",
    "session_factory",
    "sqlite_url",
    "temporary_pg_database",
    "truncate_all",
]

DB_PARAMS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@contextmanager
def temporary_pg_database(prefix: str = "sync_test_") -> Iterator[str]:
    """Create an empty, uniquely named PostgreSQL database; yield its URL; drop it."""
    name = f"{prefix}{secrets.token_hex(6)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc.orig}); start it as "
            "`.ci/run` does, or deselect these tests with -m 'not postgres'",
            pytrace=False,
        )
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        # FORCE: a test that leaked a connection must not leave databases behind.
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def truncate_all(url: str) -> None:
    """Empty every state-store table (not alembic_version) and restart the id sequences."""
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            # A leaked open transaction would block TRUNCATE forever; fail with a message.
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with temporary_pg_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Migrate once, copy per test: as real as migrating each time, at a fraction of the cost.
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    path = tmp_path / "state.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=DB_PARAMS)
def db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        url: str = request.getfixturevalue("sqlite_url")
        return url
    url = request.getfixturevalue("pg_url")
    truncate_all(url)
    return url


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(db_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(db_engine)


@pytest.fixture(params=DB_PARAMS)
def blank_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank' / 'state.db'}"
        return
    with temporary_pg_database() as url:
        yield url
