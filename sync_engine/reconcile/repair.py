"""Applying planned repairs: compare-and-set UPDATEs in small transactions, wake-up calls
only after the commit that made the row runnable. A dry run records the plans and writes
nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.reconcile.findings import Action, StoreReport
from sync_engine.reconcile.plan import Planned
from sync_engine.reconcile.repository import ReconcileJobs

# Short transactions: workers keep writing the same table while a run repairs (SQLite has
# one writer at a time; a long write transaction would stall every worker behind it).
COMMIT_EVERY = 200


def apply_plans(
    sessions: sessionmaker[Session],
    plans: list[Planned],
    report: StoreReport,
    *,
    clock: Callable[[], datetime],
    dry_run: bool,
) -> list[int]:
    """Record every finding; write the repairs unless ``dry_run``. Returns the job ids to
    enqueue (already committed)."""
    to_enqueue: list[int] = []
    if dry_run:
        for planned in plans:
            for finding in planned.findings:
                report.add(finding)
        return to_enqueue
    session = sessions()
    try:
        jobs = ReconcileJobs(session)
        pending: list[int] = []
        written = 0
        for planned in plans:
            for finding in planned.findings:
                report.add(finding)
            repair = planned.repair
            if repair is None:
                continue
            if repair.fields:
                if not jobs.update_if_unchanged(repair.job, clock(), **repair.fields):
                    for finding in planned.findings:
                        if finding.action is not Action.REPORTED:
                            finding.action = Action.SKIPPED_CHANGED
                    continue
                written += 1
            if repair.enqueue:
                pending.append(repair.job.id)
            if written >= COMMIT_EVERY:
                session.commit()
                to_enqueue.extend(pending)
                pending, written = [], 0
        session.commit()
        to_enqueue.extend(pending)
    finally:
        session.close()
    return to_enqueue
