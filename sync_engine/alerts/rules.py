"""What is wrong right now, as conditions: one per (rule, group). A condition present in one
evaluation and absent in the next has resolved. Each is computed from the state store alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync_engine.domain.states import AttentionCategory, JobStatus
from sync_engine.logging import redact_text
from sync_engine.store.models import Attempt, Job, ReconcileItem, ReconcileRun
from sync_engine.web.ui.texts import attention_fix

NEEDS_ATTENTION = "needs_attention"
GIB_REJECTION = "gib_rejection"
RECONCILE_DIFFERENCE = "reconcile_difference"
PROVIDER_FAILING = "provider_failing"

# A provider call that failed because of the order, not the provider: a provider answering
# "this field is wrong" is up. (I) — error classes are the adapters' exception names
# (sync_engine/providers/errors.py); every other failure (TransientError, AuthError, timeouts,
# connection errors, 429s) counts as the provider failing.
ORDER_LEVEL_ERRORS = frozenset({"OrderDataError", "PermanentError"})
# How far back the provider rule looks for the start of an outage.
LOOKBACK = timedelta(days=1)
SAMPLE = 5


@dataclass(frozen=True)
class Condition:
    rule: str
    group_key: str
    fingerprint: str  # changes when the condition grows (a new run, more jobs)
    title: str
    lines: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.group_key)


def evaluate(session: Session, now: datetime, failing_minutes: float) -> list[Condition]:
    return [*needs_attention(session), *gib_rejections(session), *reconcile_differences(session),
            *providers_failing(session, now, timedelta(minutes=failing_minutes))]


def needs_attention(session: Session) -> list[Condition]:
    rows = session.execute(
        select(Job.store_id, Job.attention_category, func.count(), func.max(Job.id))
        .where(Job.status == JobStatus.NEEDS_ATTENTION.value,
               Job.attention_category.is_distinct_from(AttentionCategory.GIB_SEND_FAILED.value))
        .group_by(Job.store_id, Job.attention_category))
    out = []
    for store, category, count, _newest in rows:
        sample = _orders(session, store, category)
        out.append(Condition(
            NEEDS_ATTENTION, f"{store}:{category or '-'}", str(count),
            f"{count} job(s) of {store} need attention: {category or 'unknown'}",
            (f"what to do: {attention_fix(category, 'en')}", f"orders: {', '.join(sample)}"),
        ))
    return out


def gib_rejections(session: Session) -> list[Condition]:
    rows = session.execute(
        select(Job.store_id, func.count(), func.max(Job.id))
        .where(Job.status == JobStatus.NEEDS_ATTENTION.value,
               Job.attention_category == AttentionCategory.GIB_SEND_FAILED.value)
        .group_by(Job.store_id))
    out = []
    for store, count, newest in rows:
        jobs = session.scalars(
            select(Job).where(Job.store_id == store, Job.status == JobStatus.NEEDS_ATTENTION.value,
                              Job.attention_category == AttentionCategory.GIB_SEND_FAILED.value)
            .order_by(Job.id.desc()).limit(SAMPLE))
        lines = [f"{j.order_name or j.order_id} ({j.invoice_number or 'no number'}): "
                 f"{redact_text(j.e_document_message or j.last_error_message or '')[:200]}" for j in jobs]
        out.append(Condition(GIB_REJECTION, store, str(newest),
                             f"GİB rejected or failed {count} document(s) of {store}",
                             (f"what to do: {attention_fix(AttentionCategory.GIB_SEND_FAILED, 'en')}", *lines)))
    return out


def reconcile_differences(session: Session) -> list[Condition]:
    """The latest finished run of each store, when it found differences."""
    latest = (select(ReconcileRun.store_id, func.max(ReconcileRun.id).label("run_id"))
              .where(ReconcileRun.finished_at.is_not(None)).group_by(ReconcileRun.store_id).subquery())
    out = []
    for store, run_id in session.execute(select(latest.c.store_id, latest.c.run_id)):
        counts = dict(session.execute(
            select(ReconcileItem.category, func.count()).where(ReconcileItem.run_id == run_id)
            .group_by(ReconcileItem.category)).all())
        if counts:
            total = sum(counts.values())
            out.append(Condition(
                RECONCILE_DIFFERENCE, store, str(run_id),
                f"reconciliation run {run_id} of {store} found {total} difference(s)",
                tuple(f"{category}: {n}" for category, n in sorted(counts.items())),
            ))
    return out


def providers_failing(session: Session, now: datetime, window: timedelta) -> list[Condition]:
    """A provider whose calls have all failed for at least ``window``: its first failure
    after its last success is that old, and nothing succeeded since."""
    since = now - LOOKBACK
    failed = Attempt.error_class.is_not(None) & Attempt.error_class.notin_(ORDER_LEVEL_ERRORS)
    base = select(Job.provider).join(Attempt, Attempt.job_id == Job.id).where(Attempt.started_at >= since)
    last_ok = dict(session.execute(
        base.add_columns(func.max(Attempt.started_at)).where(~failed).group_by(Job.provider)).all())
    out = []
    providers = session.scalars(base.where(failed).distinct()).all()
    for provider in providers:
        ok_at = _aware(last_ok.get(provider))
        after = [Attempt.started_at > ok_at] if ok_at is not None else []
        first, last, calls, orders = session.execute(
            select(func.min(Attempt.started_at), func.max(Attempt.started_at), func.count(),
                   func.count(func.distinct(Attempt.job_id)))
            .join(Job, Attempt.job_id == Job.id)
            .where(Job.provider == provider, Attempt.started_at >= since, failed, *after)).one()
        first = _aware(first)
        if first is None or first > now - window:
            continue
        classes = dict(session.execute(
            select(Attempt.error_class, func.count()).join(Job, Attempt.job_id == Job.id)
            .where(Job.provider == provider, Attempt.started_at >= since, failed, *after)
            .group_by(Attempt.error_class)).all())
        minutes = int((now - first).total_seconds() // 60)
        out.append(Condition(
            PROVIDER_FAILING, provider, _iso(first),
            f"{provider} failing for {minutes} min: {calls} failed call(s) for {orders} job(s), no success since {_iso(first)}",
            (f"errors: {', '.join(f'{c}: {n}' for c, n in sorted(classes.items()))}",
             f"last success: {_iso(ok_at) if ok_at else 'none in the last day'}; last failure: {_iso(_aware(last))}"),
        ))
    return out


def _orders(session: Session, store: str, category: str | None) -> list[str]:
    where = [Job.store_id == store, Job.status == JobStatus.NEEDS_ATTENTION.value,
             Job.attention_category.is_(None) if category is None else Job.attention_category == category]
    return [n or o for n, o in session.execute(
        select(Job.order_name, Job.order_id).where(*where).order_by(Job.id.desc()).limit(SAMPLE))]


def _aware(value: datetime | str | None) -> datetime | None:
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _iso(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"
