"""Nightly reconciliation of a store: shop ↔ state table ↔ provider, with repair.

For each store and window: (1) the shop's orders, a lost webhook ingested as if it had
arrived; (2) the provider's invoices for the window's days, each difference classified and
the safe ones re-driven through the normal pipeline; (3) jobs that stopped moving. Every
repair is a compare-and-set on the job row followed by a wake-up call after the commit —
the pipeline does the work, with its leases, probes and idempotency; nothing here creates
or sends anything at a provider. A run's report (counts, every difference with its
evidence) is stored in ``reconcile_runs`` / ``reconcile_items``; a dry run writes nothing
at all, neither the state table nor the queue nor the report.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.logging import get_logger
from sync_engine.platforms.clients import OrderLister
from sync_engine.providers.base import Provider
from sync_engine.reconcile.classify import classify_stuck
from sync_engine.reconcile.findings import Action, Category, Finding, StoreReport
from sync_engine.reconcile.progress import NoProgress, Progress
from sync_engine.reconcile.provider_side import ProviderSide, ProviderSideUnavailable, list_invoices
from sync_engine.reconcile.repair import apply_plans
from sync_engine.reconcile.repository import ReconcileJobs
from sync_engine.reconcile.restarts import with_restarts
from sync_engine.reconcile.shop import ShopSide, ShopSideUnavailable, lister_for
from sync_engine.reconcile.window import DEFAULT_OVERLAP, Window, previous_day
from sync_engine.store.repositories import JobRepository, ReconcileRepository

log = get_logger(__name__)

# A lease expired (or a due time passed) this long ago means the sweeper did not act: the
# sweeper runs every minute, so half an hour is far beyond any normal delay.
STALE_AFTER = timedelta(minutes=30)
# At most this many stuck jobs are examined per store and run (oldest first).
STUCK_LIMIT = 5000


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ReconcileDeps:
    """What a run needs from the process it runs in (CLI, beat task, tests)."""

    sessions: sessionmaker[Session]
    provider_for: Callable[[Any], Provider]  # store config → its provider adapter
    enqueue: Callable[[int], object]  # a wake-up call for a committed job
    lister_for: Callable[[Any], OrderLister] = field(default=lister_for)
    clock: Callable[[], datetime] = utcnow
    progress: Progress = field(default_factory=NoProgress)
    stale_after: timedelta = STALE_AFTER
    stuck_limit: int = STUCK_LIMIT
    sleep: Callable[[float], None] = time.sleep  # pauses before a listing starts again


def reconcile_store(deps: ReconcileDeps, store: Any, window: Window, *, dry_run: bool = False) -> StoreReport:
    started = deps.clock()
    report = StoreReport(
        store_id=store.id, window_start=window.start.astimezone(UTC),
        window_end=window.end.astimezone(UTC), dry_run=dry_run, started_at=started,
    )
    report.stats["window"] = {
        "shop_updated_from": window.shop_start.isoformat(),
        "shop_updated_to": window.shop_end.isoformat(),
        "issue_dates": [window.first_day.isoformat(), window.last_day.isoformat()],
    }
    if not dry_run:
        with deps.sessions() as session:
            run = ReconcileRepository(session).start_run(
                store.id, report.window_start, report.window_end, dry_run=False, started_at=started
            )
            session.commit()
            report.run_id = run.id
    failures = 0
    handled: set[int] = set()
    timings: dict[str, float] = {}
    sides = (_shop_side, _provider_side, _stuck_jobs, _expired_proformas)
    for side in sides:
        name = side.__name__.strip("_")
        began = time.perf_counter()
        try:
            handled |= side(deps, store, window, report, dry_run, handled)
        except Exception as exc:  # one side failing must not hide what the others found
            failures += 1
            report.notes.append(f"{name.replace('_', ' ')} failed: {type(exc).__name__}: {exc}")
            log.exception("reconciliation step failed", store=store.id, step=name)
        finally:
            timings[name] = round(time.perf_counter() - began, 3)
    report.stats["timings_s"] = timings
    report.status = "ok" if failures == 0 else ("failed" if failures == len(sides) else "partial")
    report.finished_at = deps.clock()
    if not dry_run:
        _store_report(deps.sessions, report)
    _log_summary(report)
    return report


def _enqueue_all(deps: ReconcileDeps, job_ids: Iterable[int]) -> None:
    for job_id in dict.fromkeys(job_ids):
        deps.enqueue(job_id)


def _shop_side(deps: ReconcileDeps, store: Any, window: Window, report: StoreReport,
               dry_run: bool, handled: set[int]) -> set[int]:
    try:
        lister = deps.lister_for(store)
    except ShopSideUnavailable as exc:
        report.notes.append(f"shop side not available: {exc}")
        return set()
    side = ShopSide(deps.sessions, store, window, report, deps.progress, deps.clock, dry_run)
    try:
        side.run(lister, deps.sleep)
    finally:
        lister.close()
        # Jobs committed before a failure still get their wake-up call.
        if not dry_run:
            _enqueue_all(deps, side.to_enqueue)
    # Reported once, as missing_job: the later passes leave these jobs alone.
    return side.ingested


def _provider_side(deps: ReconcileDeps, store: Any, window: Window, report: StoreReport,
                   dry_run: bool, handled: set[int]) -> set[int]:
    provider = deps.provider_for(store)
    calls: Counter[str] = Counter()
    try:
        listing = with_restarts(
            lambda: list_invoices(provider, window, deps.progress, store.id, calls),
            what=f"{store.id} invoices", sleep=deps.sleep,
        )
    except ProviderSideUnavailable as exc:
        report.notes.append(f"provider side not available: {exc}")
        report.stats["provider_side"] = "not_available"
        return set()
    finally:
        # Calls made before a failure count too (a listing that died on page 40 cost 40).
        report.provider_calls = sum(calls.values())
    side = ProviderSide(deps.sessions, store, window, report, deps.clock)
    plans = side.classify(provider, listing)
    plans = [p for p in plans if not any(f.job_id in handled for f in p.findings if f.job_id)]
    _enqueue_after(deps, apply_plans(deps.sessions, plans, report, clock=deps.clock, dry_run=dry_run), dry_run)
    return {f.job_id for p in plans for f in p.findings if f.job_id is not None}


def _stuck_jobs(deps: ReconcileDeps, store: Any, window: Window, report: StoreReport,
                dry_run: bool, handled: set[int]) -> set[int]:
    now = deps.clock()
    provider = deps.provider_for(store)
    with deps.sessions() as session:
        candidates = ReconcileJobs(session).stuck(store.id, now - deps.stale_after, deps.stuck_limit)
    report.stats["stuck_candidates"] = len(candidates)
    if len(candidates) >= deps.stuck_limit:
        report.notes.append(f"more than {deps.stuck_limit} stuck jobs: the oldest were examined")
    plans = []
    for job in candidates:
        if job.id in handled:
            continue
        planned = classify_stuck(job, capabilities=provider.capabilities, now=now,
                                 stale_before=now - deps.stale_after)
        if planned is not None:
            plans.append(planned)
    _enqueue_after(deps, apply_plans(deps.sessions, plans, report, clock=deps.clock, dry_run=dry_run), dry_run)
    return {f.job_id for p in plans for f in p.findings if f.job_id is not None}


def _expired_proformas(deps: ReconcileDeps, store: Any, window: Window, report: StoreReport,
                       dry_run: bool, handled: set[int]) -> set[int]:
    """Proformas whose order stayed unpaid past the payment term: closed out on the chain
    (no provider has an endpoint to close a proforma) and listed in the report."""
    invoice = getattr(store, "invoice", None)
    if not getattr(invoice, "proforma_for_pending", False):
        return set()
    now = deps.clock()
    due_days = int(getattr(invoice, "proforma_due_days", 3))
    closed: set[int] = set()
    with deps.sessions() as session:
        for job_id, order_id, proforma_id, made_at in ReconcileJobs(session).open_proformas(
            store.id, made_before=now - timedelta(days=due_days)
        ):
            reason = f"unpaid {due_days} day(s) after the proforma was made (payment term passed)"
            report.add(Finding(Category.PROFORMA_CLOSED, Action.CLOSED, order_id=order_id, job_id=job_id,
                               invoice_ref=proforma_id,
                               evidence={"reason": reason, "made_at": made_at.isoformat() if made_at else None}))
            if not dry_run:
                JobRepository(session).close(job_id, now, reason)
            closed.add(job_id)
        if not dry_run:
            session.commit()
    return closed


def _enqueue_after(deps: ReconcileDeps, job_ids: list[int], dry_run: bool) -> None:
    if not dry_run:
        _enqueue_all(deps, job_ids)


def _store_report(sessions: sessionmaker[Session], report: StoreReport) -> None:
    assert report.run_id is not None
    with sessions() as session:
        repo = ReconcileRepository(session)
        for finding in report.findings:
            repo.add_item(
                report.run_id, finding.category.value, finding.action.value,
                order_id=finding.order_id, job_id=finding.job_id,
                invoice_ref=(finding.invoice_ref or "")[:128] or None, evidence=finding.evidence,
            )
        repo.finish_run(
            report.run_id, finished_at=report.finished_at or utcnow(), status=report.status,
            counts=report.counts(), shop_calls=report.shop_calls, provider_calls=report.provider_calls,
        )
        session.commit()


def _log_summary(report: StoreReport) -> None:
    counts = {k: v for k, v in report.category_counts().items() if v}
    fields = dict(
        store=report.store_id, run_id=report.run_id, dry_run=report.dry_run, status=report.status,
        window=f"{report.window_start.isoformat()}..{report.window_end.isoformat()}",
        repairs=report.repairs, shop_calls=report.shop_calls, provider_calls=report.provider_calls,
        **counts,
    )
    if report.findings or report.status != "ok":
        log.warning("reconciliation found differences", **fields)
    else:
        log.info("reconciliation found no differences", **fields)


def reconcile_stores(
    deps: ReconcileDeps,
    stores: Mapping[str, Any],
    *,
    store_ids: Iterable[str] | None = None,
    window_for: Callable[[Any], Window] | None = None,
    dry_run: bool = False,
) -> list[StoreReport]:
    """Every selected store in turn; one store's failure is logged and the rest go on."""
    selected = list(store_ids) if store_ids is not None else list(stores)
    unknown = [s for s in selected if s not in stores]
    if unknown:
        raise KeyError(f"unknown store(s): {', '.join(unknown)}; known: {', '.join(stores)}")
    now = deps.clock()
    choose = window_for or (lambda store: previous_day(now, store.zone, DEFAULT_OVERLAP))
    reports = []
    for store_id in selected:
        store = stores[store_id]
        reports.append(reconcile_store(deps, store, choose(store), dry_run=dry_run))
    return reports


def reconcile_all_stores(runtime: Any, enqueue: Callable[[int], object]) -> list[StoreReport]:
    """The nightly task (beat, 03:00 Europe/Istanbul): yesterday, every store, for real."""
    from sync_engine.config import load_stores

    stores = load_stores(runtime.settings.stores_file)
    deps = ReconcileDeps(
        sessions=runtime.sessions,
        provider_for=lambda store: runtime.resolver(store.id).provider,
        enqueue=enqueue,
    )
    return reconcile_stores(deps, stores)
