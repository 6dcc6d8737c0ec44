"""Alembic environment, driven from code by `sync_engine.store.db` (there is no alembic.ini).

The caller puts an Engine in `config.attributes["engine"]`; alternatively `sqlalchemy.url`
may be set as a main option (e.g. by a developer building their own Config).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from sync_engine.store.db import make_engine
from sync_engine.store.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> tuple[Engine, bool]:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine, False
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no engine in config.attributes and no sqlalchemy.url option")
    return make_engine(url), True


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url is not None and url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine, owned = _engine()
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                _migrate_sqlite(connection)
            else:
                _migrate(connection, batch=False)
    finally:
        if owned:
            engine.dispose()


def _migrate(connection: Connection, *, batch: bool) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=batch,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


def _migrate_sqlite(connection: Connection) -> None:
    # Batch mode rebuilds a table (copy, DROP, rename). With foreign keys enforced, dropping
    # `jobs` while attempts and events point at it fails, so enforcement is off for the
    # migration and the result is checked afterwards. The pragma is ignored inside a
    # transaction, hence the commits around it.
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        _migrate(connection, batch=True)
        dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if dangling:
            raise RuntimeError(f"migration left dangling foreign keys: {dangling[:5]}")
    finally:
        connection.rollback()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
