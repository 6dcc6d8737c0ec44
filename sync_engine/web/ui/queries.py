"""What the console reads. Every list is newest first with keyset paging on id (stable while
jobs arrive, and index-backed: migration 0005 has one index per filter ending in id)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, func, or_, select
from sqlalchemy.orm import Session

from sync_engine.domain.states import JobStatus
from sync_engine.store.models import (
    Attempt,
    AuditEntry,
    InboundEvent,
    Job,
    ReconcileItem,
    ReconcileRun,
)

PAGE_SIZE = 50
# Bulk retry touches at most this many jobs per press: a mistaken filter is then bounded.
BULK_LIMIT = 1000


class FilterError(ValueError):
    """A filter value the console cannot use (a malformed date), named in the message."""


@dataclass(frozen=True)
class JobFilter:
    status: str | None = None
    store: str | None = None
    provider: str | None = None
    document_type: str | None = None
    kind: str | None = None
    attention_category: str | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive: the whole day
    q: str | None = None  # an order's name (#1001) or number (its id at the shop)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> JobFilter:
        """From query or form parameters; empty values mean "no filter"."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = params.get(f.name)
            raw = raw.strip() if isinstance(raw, str) else raw
            if not raw:
                continue
            if f.name in ("date_from", "date_to"):
                try:
                    values[f.name] = date.fromisoformat(raw)
                except ValueError:
                    raise FilterError(f"{f.name}: not a date (YYYY-MM-DD): {raw!r}") from None
            else:
                values[f.name] = str(raw)[:255]
        return cls(**values)

    @classmethod
    def parse(cls, text: str) -> JobFilter:
        """The CLI's ``--filter status=needs_attention,store=demo-shop``."""
        params: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.partition("=")
            if not sep or key.strip() not in {f.name for f in fields(cls)}:
                names = ", ".join(f.name for f in fields(cls))
                raise FilterError(f"filter {part!r}: expected key=value with key one of {names}")
            params[key.strip()] = value
        return cls.from_params(params)

    def params(self, **override: Any) -> dict[str, str]:
        """As query parameters (for links that keep the filter)."""
        raw = {**asdict(self), **override}
        return {k: v.isoformat() if isinstance(v, date) else str(v) for k, v in raw.items() if v}

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        for name in ("status", "provider", "document_type", "kind", "attention_category"):
            value = getattr(self, name)
            if value:
                clauses.append(getattr(Job, name) == value)
        if self.store:
            clauses.append(Job.store_id == self.store)
        if self.date_from:
            clauses.append(Job.created_at >= datetime.combine(self.date_from, time(), UTC))
        if self.date_to:
            clauses.append(Job.created_at < datetime.combine(self.date_to + timedelta(days=1), time(), UTC))
        if self.q:
            clauses.append(order_matches(self.q))
        return clauses


def order_matches(text: str) -> ColumnElement[bool]:
    """An order by its name or number. Exact matches only, so each is an index lookup; the
    name is tried with and without Shopify's leading "#" (operators type either)."""
    text = text.strip()
    bare = text.lstrip("#")
    names = {text, bare, f"#{bare}"}
    return or_(Job.order_name.in_(names), Job.order_id.in_({text, bare}))


def list_jobs(session: Session, flt: JobFilter, *, limit: int = PAGE_SIZE,
              cursor: int | None = None) -> tuple[builtins.list[Job], int | None]:
    stmt = select(Job).where(*flt.where()).order_by(Job.id.desc()).limit(limit + 1)
    if cursor is not None:
        stmt = stmt.where(Job.id < cursor)
    jobs = builtins.list(session.scalars(stmt))
    if len(jobs) > limit:
        jobs = jobs[:limit]
        return jobs, jobs[-1].id
    return jobs, None


def status_counts(session: Session, flt: JobFilter) -> dict[str, int]:
    """Jobs per status under every filter but the status one (the tabs above the list)."""
    base = JobFilter(**{**asdict(flt), "status": None})
    rows = session.execute(select(Job.status, func.count()).where(*base.where()).group_by(Job.status))
    counts = {s.value: 0 for s in JobStatus}
    counts.update({status: int(n) for status, n in rows})
    return counts


def filter_choices(stores: Mapping[str, Any], flt: JobFilter) -> dict[str, builtins.list[str]]:
    """The choices of the store / provider drop-downs: the configured ones (a DISTINCT over
    100,000 jobs costs more than the rest of the page), plus the value filtered on now (a
    store removed from the file still has jobs)."""
    from sync_engine.config import PROVIDERS

    store_ids = set(stores) | ({flt.store} if flt.store else set())
    providers = set(PROVIDERS) | ({flt.provider} if flt.provider else set())
    return {"store": sorted(store_ids), "provider": sorted(providers)}


def order_jobs(session: Session, store_id: str, order_id: str) -> builtins.list[Job]:
    return builtins.list(session.scalars(
        select(Job).where(Job.store_id == store_id, Job.order_id == order_id).order_by(Job.id)))


def find_orders(session: Session, text: str, store_id: str | None = None) -> builtins.list[tuple[str, str]]:
    """(store, order id) of the orders a name or number names."""
    stmt = select(Job.store_id, Job.order_id).where(order_matches(text)).distinct()
    if store_id:
        stmt = stmt.where(Job.store_id == store_id)
    return [(s, o) for s, o in session.execute(stmt.limit(20))]


def attempts_of(session: Session, job_ids: builtins.list[int]) -> dict[int, builtins.list[Attempt]]:
    out: dict[int, builtins.list[Attempt]] = {j: [] for j in job_ids}
    if job_ids:
        for a in session.scalars(select(Attempt).where(Attempt.job_id.in_(job_ids)).order_by(Attempt.started_at, Attempt.id)):
            out[a.job_id].append(a)
    return out


def events_of(session: Session, job_ids: builtins.list[int]) -> builtins.list[InboundEvent]:
    if not job_ids:
        return []
    return builtins.list(session.scalars(
        select(InboundEvent).where(InboundEvent.job_id.in_(job_ids)).order_by(InboundEvent.id)))


def audit_of(session: Session, job_ids: builtins.list[int]) -> builtins.list[AuditEntry]:
    if not job_ids:
        return []
    return builtins.list(session.scalars(
        select(AuditEntry).where(AuditEntry.job_id.in_(job_ids)).order_by(AuditEntry.id)))


def attention_groups(session: Session, store: str | None = None) -> builtins.list[dict[str, Any]]:
    """needs_attention jobs per attention_category: how many, and the newest few."""
    where = [Job.status == JobStatus.NEEDS_ATTENTION.value]
    if store:
        where.append(Job.store_id == store)
    rows = session.execute(
        select(Job.attention_category, func.count()).where(*where).group_by(Job.attention_category))
    groups = []
    for category, count in sorted(rows, key=lambda r: (-r[1], r[0] or "")):
        sample = builtins.list(session.scalars(
            select(Job).where(*where, Job.attention_category.is_(None) if category is None
                              else Job.attention_category == category).order_by(Job.id.desc()).limit(20)))
        groups.append({"category": category, "count": int(count), "jobs": sample})
    return groups


def list_events(session: Session, *, status: str | None = None, store: str | None = None,
                limit: int = PAGE_SIZE, cursor: int | None = None) -> tuple[builtins.list[InboundEvent], int | None]:
    stmt = select(InboundEvent).order_by(InboundEvent.id.desc()).limit(limit + 1)
    if status:
        stmt = stmt.where(InboundEvent.status == status)
    if store:
        stmt = stmt.where(InboundEvent.store_id == store)
    if cursor is not None:
        stmt = stmt.where(InboundEvent.id < cursor)
    events = builtins.list(session.scalars(stmt))
    if len(events) > limit:
        events = events[:limit]
        return events, events[-1].id
    return events, None


def event_counts(session: Session) -> dict[str, int]:
    return {s: int(n) for s, n in session.execute(
        select(InboundEvent.status, func.count()).group_by(InboundEvent.status))}


def reconcile_runs(session: Session, limit: int = PAGE_SIZE) -> builtins.list[tuple[ReconcileRun, int]]:
    diffs = (select(ReconcileItem.run_id, func.count().label("n")).group_by(ReconcileItem.run_id).subquery())
    stmt = (select(ReconcileRun, func.coalesce(diffs.c.n, 0)).outerjoin(diffs, diffs.c.run_id == ReconcileRun.id)
            .order_by(ReconcileRun.id.desc()).limit(limit))
    return [(run, int(n)) for run, n in session.execute(stmt)]


def reconcile_items(session: Session, run_id: int) -> builtins.list[ReconcileItem]:
    return builtins.list(session.scalars(
        select(ReconcileItem).where(ReconcileItem.run_id == run_id).order_by(ReconcileItem.id)))


@dataclass
class ProviderHealth:
    provider: str
    calls: int = 0
    errors: dict[str, int] | None = None
    rate_limited: int = 0
    last_success: datetime | None = None
    last_failure: datetime | None = None


def provider_health(session: Session, since: datetime) -> builtins.list[ProviderHealth]:
    """Per provider, from the attempts table: calls since ``since``, their error classes,
    429s, and the last success / failure ever (an outage older than the window still shows)."""
    out: dict[str, ProviderHealth] = {}
    def get(provider: str) -> ProviderHealth:
        return out.setdefault(provider, ProviderHealth(provider, errors={}))

    recent = (select(Job.provider, Attempt.error_class, func.count(),
                     func.sum(func.coalesce((Attempt.http_status == 429).cast(Integer), 0)))
              .join(Attempt, Attempt.job_id == Job.id).where(Attempt.started_at >= since)
              .group_by(Job.provider, Attempt.error_class))
    for provider, error_class, n, n429 in session.execute(recent):
        h = get(provider)
        h.calls += int(n)
        h.rate_limited += int(n429 or 0)
        if error_class:
            assert h.errors is not None
            h.errors[error_class] = h.errors.get(error_class, 0) + int(n)
    for provider, ok, last in session.execute(
        select(Job.provider, Attempt.error_class.is_(None), func.max(Attempt.started_at))
        .join(Attempt, Attempt.job_id == Job.id).group_by(Job.provider, Attempt.error_class.is_(None))
    ):
        h = get(provider)
        last = _aware(last)
        if ok:
            h.last_success = last
        else:
            h.last_failure = last if h.last_failure is None or (last and last > h.last_failure) else h.last_failure
    return sorted(out.values(), key=lambda h: h.provider)


def audit_log(session: Session, limit: int = 200) -> builtins.list[AuditEntry]:
    return builtins.list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))


def _aware(value: datetime | None) -> datetime | None:
    # func.max() over a UtcDateTime comes back untyped on SQLite: naive UTC text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value

