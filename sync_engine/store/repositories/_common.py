"""Helpers shared by the repositories: dialect-aware upsert and guarded UPDATEs."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def utcnow() -> datetime:
    return datetime.now(UTC)


def check_columns(model: type[DeclarativeBase], fields: Iterable[str]) -> None:
    """Refuse unknown keys: a typo in `**fields` must fail loudly, not vanish."""
    columns = model.__table__.columns.keys()
    unknown = sorted(set(fields) - set(columns))
    if unknown:
        raise TypeError(f"{model.__name__} has no column(s) {', '.join(unknown)}")


def insert_or_ignore(
    session: Session,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    conflict_columns: Iterable[str],
) -> int | None:
    """INSERT … ON CONFLICT (cols) DO NOTHING RETURNING id: the new id, or None on conflict.

    The unique constraint decides, not a prior SELECT, so two racing writers cannot both
    "not find" the row and both insert it. On PostgreSQL a conflicting insert that is still
    uncommitted makes this statement wait for it, so the caller's follow-up SELECT sees the
    winner's row.
    """
    dialect = session.get_bind().dialect.name
    stmt = _insert_ignore_statement(dialect, model.__table__, tuple(conflict_columns))
    # Values travel as execution parameters, so the statement (a Core insert on the table,
    # not the ORM's bulk path) is built once and its compiled form is cached: this is the
    # hot path of every webhook.
    new_id: int | None = session.execute(stmt, dict(values)).scalar_one_or_none()
    return new_id


# The dialects' ON CONFLICT clause has no cache key, so SQLAlchemy compiled these inserts
# anew on every webhook (~1 ms each, issue #17). Here the cache key leaves that clause out
# and the statement names its conflict target in a prefix comment instead, which *is* in the
# key: two inserts on one table with different targets never share a compiled form.
_CACHE_KEY_TRAVERSAL = [item for item in postgresql.Insert._traverse_internals if item[0] != "_post_values_clause"]


class _PgInsert(postgresql.Insert):
    inherit_cache = True
    _cache_key_traversal = _CACHE_KEY_TRAVERSAL


class _SqliteInsert(sqlite.Insert):
    inherit_cache = True
    _cache_key_traversal = _CACHE_KEY_TRAVERSAL


@functools.lru_cache(maxsize=64)
def _insert_ignore_statement(dialect: str, table: Table, conflict_columns: tuple[str, ...]) -> Any:
    if dialect == "postgresql":
        stmt: Any = _PgInsert(table)
    elif dialect == "sqlite":
        stmt = _SqliteInsert(table)
    else:  # pragma: no cover - only the two supported stores
        raise NotImplementedError(f"unsupported database dialect {dialect!r}")
    target = ",".join(conflict_columns)
    if not target.replace("_", "").replace(",", "").isalnum():
        raise ValueError(f"not a column list: {target!r}")  # it is rendered into a comment
    return (
        stmt.prefix_with(f"/* on conflict ({target}) do nothing */")
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(table.c.id)
    )


def guarded_update(
    session: Session,
    model: type[DeclarativeBase],
    where: Iterable[ColumnElement[bool]],
    values: Mapping[str, Any],
) -> bool:
    """One UPDATE … WHERE <guard>; True when it touched a row.

    The guard is evaluated by the database at write time (PostgreSQL re-checks it against
    the newest row version after waiting on a row lock), which is what makes leases and
    claims exclusive. "fetch" keeps any copy of the row already loaded in this session
    up to date.
    """
    if not any(isinstance(obj, model) for obj in session.identity_map.values()):
        # Nothing of `model` loaded in this session, so nothing to keep up to date: a Core
        # UPDATE on the table skips the ORM's bulk-update machinery ("fetch" adds RETURNING
        # and per-statement ORM planning) — the pipeline's hot path (issue #17).
        core: Any = session.execute(update(model.__table__).where(*where).values(**values))
        return bool(core.rowcount == 1)
    stmt = (
        update(model)
        .where(*where)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    result: Any = session.execute(stmt)
    return bool(result.rowcount == 1)
