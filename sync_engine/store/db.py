"""Engines, sessions and schema upgrades for the state store.

SQLite is the zero-set-up store for the demo and development; PostgreSQL (psycopg 3) is the
production store (DESIGN §8: SQLite's p99 write latency under several writer processes is
most of a second).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///./var/sync_engine.db"


def normalise_url(url: str | URL) -> URL:
    """The URL with PostgreSQL pinned to psycopg 3 (SQLAlchemy's default would be psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers run beside the single writer; busy_timeout makes a second writer
        # wait for the lock instead of failing at once with "database is locked".
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for `url`; extra keyword arguments go to `create_engine` (e.g. pool_size).

    SQLite keeps pysqlite's default transaction handling on purpose: a transaction begins
    at the first write, so a read never holds a stale WAL snapshot that would later fail to
    upgrade to a write (SQLITE_BUSY_SNAPSHOT ignores busy_timeout). Writers then queue on
    the database lock for up to busy_timeout.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        connect_args = dict(kwargs.pop("connect_args", {}))
        # Sessions are handed between threads (web thread pool, gevent); a connection is
        # still used by one thread at a time, which is what the check guards against.
        connect_args.setdefault("check_same_thread", False)
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: a job read before the step's commit stays readable after it,
    # including after the session closes (the worker hands it to the next step).
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block ends normally, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def migrations_dir() -> Path:
    """The Alembic script directory, found through the installed `migrations` package."""
    import migrations

    return Path(migrations.__file__).resolve().parent


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic configuration built in code, so no alembic.ini has to ship or be found.

    With an engine, env.py migrates through a connection of that engine; the URL never goes
    through configparser (whose interpolation would mangle a '%' in a password).
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(url: str | URL, revision: str = "head") -> str | None:
    """Migrate the database at `url` to `revision`; returns the revision reached."""
    engine = make_engine(url)
    try:
        command.upgrade(alembic_config(engine), revision)
        return _current(engine)
    finally:
        engine.dispose()


def current_revision(url: str | URL) -> str | None:
    """The database's Alembic revision, or None when it has never been migrated."""
    engine = make_engine(url)
    try:
        return _current(engine)
    finally:
        engine.dispose()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
