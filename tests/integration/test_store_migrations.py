"""The hand-written migrations build the same schema on SQLite and PostgreSQL, and that
schema is exactly what the ORM models describe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import BigInteger, DateTime, Engine, inspect, text
from sqlalchemy.types import TypeEngine

from sync_engine.store.db import (
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from sync_engine.store.models import Base

STATE_TABLES = {
    "inbound_events",
    "jobs",
    "attempts",
    "audit_log",
    "alert_state",
    "buyer_mappings",
    "reconcile_runs",
    "reconcile_items",
}


def _type_key(type_: TypeEngine[Any]) -> tuple[Any, ...]:
    generic = type_.as_generic()
    name = type(generic).__name__
    # SQLite's INTEGER is our BIGINT (the variant that makes its rowid autoincrement work).
    if isinstance(generic, BigInteger):
        name = "Integer"
    # SQLite cannot store the zone; PostgreSQL's timezone flag is checked separately.
    if isinstance(generic, DateTime):
        return (name,)
    return (
        name,
        getattr(generic, "length", None),
        getattr(generic, "precision", None),
        getattr(generic, "scale", None),
    )


def _default_key(default: str | None) -> str | None:
    if default is None or default.startswith("nextval("):
        return None
    return re.sub(r"::[a-z ]+$", "", default)


def describe(engine: Engine) -> dict[str, Any]:
    """The schema as a plain structure that does not depend on the dialect's spelling."""
    inspector = inspect(engine)
    schema: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        schema[table] = {
            "columns": {
                column["name"]: (
                    _type_key(column["type"]),
                    column["nullable"],
                    _default_key(column.get("default")),
                )
                for column in inspector.get_columns(table)
            },
            "primary_key": (
                inspector.get_pk_constraint(table)["name"],
                tuple(inspector.get_pk_constraint(table)["constrained_columns"]),
            ),
            "unique": sorted(
                (uc["name"], tuple(uc["column_names"]))
                for uc in inspector.get_unique_constraints(table)
            ),
            "foreign_keys": sorted(
                (
                    fk["name"],
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            # PostgreSQL also lists the index behind each unique constraint; SQLite does not.
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                for ix in inspector.get_indexes(table)
                if "duplicates_constraint" not in ix
            ),
        }
    return schema


def test_upgrade_builds_schema_from_nothing(blank_db_url: str) -> None:
    assert current_revision(blank_db_url) is None
    reached = upgrade(blank_db_url)
    assert reached is not None and reached == head_revision()
    assert current_revision(blank_db_url) == reached
    engine = make_engine(blank_db_url)
    try:
        assert set(inspect(engine).get_table_names()) == STATE_TABLES | {"alembic_version"}
    finally:
        engine.dispose()
    # A second upgrade is a no-op, not an error (deploys run it unconditionally).
    assert upgrade(blank_db_url) == reached


def test_downgrade_to_base_and_up_again(blank_db_url: str) -> None:
    upgrade(blank_db_url)
    engine = make_engine(blank_db_url)
    try:
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(alembic_config(engine), "head")
        assert STATE_TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert current_revision(blank_db_url) == head_revision()


def test_models_match_migrations(db_engine: Engine) -> None:
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


@pytest.mark.postgres
def test_sqlite_and_postgres_schemas_are_identical(sqlite_url: str, pg_url: str) -> None:
    sqlite_engine, pg_engine = make_engine(sqlite_url), make_engine(pg_url)
    try:
        on_sqlite, on_pg = describe(sqlite_engine), describe(pg_engine)
        pg_timestamps = {
            (table, column["name"]): column["type"].timezone
            for table in STATE_TABLES
            for column in inspect(pg_engine).get_columns(table)
            if isinstance(column["type"], DateTime)
        }
    finally:
        sqlite_engine.dispose()
        pg_engine.dispose()

    assert set(on_sqlite) == STATE_TABLES
    assert on_sqlite == on_pg
    # The keys the pipeline's exactly-once guarantees rest on, spelled out so that this test
    # cannot pass on two equally wrong schemas.
    assert on_pg["jobs"]["unique"] == [("uq_jobs_idempotency_key", ("idempotency_key",))]
    assert on_pg["inbound_events"]["unique"] == [
        ("uq_inbound_events_store_id_platform_event_key", ("store_id", "platform", "event_key"))
    ]
    assert on_pg["buyer_mappings"]["unique"] == [
        (
            "uq_buyer_mappings_provider_account_tax_id_code",
            ("provider_account", "tax_id", "code"),
        )
    ]
    assert on_pg["buyer_mappings"]["columns"]["code"] == (("String", 64, None, None), False, "''")
    assert ("ix_jobs_status_next_attempt_at", ("status", "next_attempt_at"), False) in on_pg[
        "jobs"
    ]["indexes"]
    assert on_pg["jobs"]["columns"]["rounding_difference"][0] == ("Numeric", None, 14, 2)
    assert pg_timestamps and all(pg_timestamps.values()), "every timestamp must be timestamptz"


# Rows written with the first schema, in its own columns (0001 is fixed forever).
_SEED_0001 = [
    """INSERT INTO jobs (id, idempotency_key, store_id, platform, order_id, provider,
           provider_account, created_at, updated_at)
       VALUES (1, 'demo-shop:1:sale', 'demo-shop', 'shopify', '5678901234567890123', 'kolaybi',
               'acc', '2024-11-21 09:00:00+00:00', '2024-11-21 09:00:00+00:00')""",
    """INSERT INTO attempts (id, job_id, step, operation, attempt_no, started_at, duration_ms)
       VALUES (1, 1, 'customer', 'kolaybi.associates.search', 1,
               '2024-11-21 09:00:01+00:00', 40)""",
    """INSERT INTO inbound_events (id, store_id, platform, event_key, source, received_at,
           headers, raw_body, status, job_id)
       VALUES (1, 'demo-shop', 'shopify', 'wh-1', 'webhook', '2024-11-21 09:00:00+00:00',
               '{}', :body, 'accepted', 1)""",
]


def test_later_migrations_keep_existing_rows(blank_db_url: str) -> None:
    """Upgrading a store that already holds jobs (with attempts and events pointing at
    them) keeps every row; on SQLite this is a batch table rebuild under foreign keys."""
    upgrade(blank_db_url, "0001")
    engine = make_engine(blank_db_url)
    try:
        with engine.begin() as connection:
            for statement in _SEED_0001:
                connection.execute(text(statement), {"body": b"{}"})
        upgrade(blank_db_url)
        with engine.connect() as connection:
            counts = {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("jobs", "attempts", "inbound_events")
            }
            order_id = connection.execute(text("SELECT order_id FROM jobs")).scalar()
        assert counts == {"jobs": 1, "attempts": 1, "inbound_events": 1}
        assert order_id == "5678901234567890123"
        if head_revision() != "0001":
            command.downgrade(alembic_config(engine), "0001")
            with engine.connect() as connection:
                assert connection.execute(text("SELECT count(*) FROM attempts")).scalar() == 1
    finally:
        engine.dispose()
