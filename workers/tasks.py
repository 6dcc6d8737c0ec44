"""Thin tasks: all decisions live in sync_engine.pipeline; these only call and re-enqueue."""

from __future__ import annotations

from datetime import UTC, datetime

from sync_engine.logging import get_logger
from sync_engine.queue import RUN_JOB, SWEEP, enqueue
from sync_engine.store.repositories import JobRepository
from workers.celery_app import MAX_COUNTDOWN_S, app
from workers.runtime import get_runtime

log = get_logger(__name__)

SWEEP_BATCH = 1000


@app.task(name=RUN_JOB)
def run_job(job_id: int) -> None:
    result = get_runtime().runner.run(int(job_id))
    if result.retry_in is not None and result.retry_in <= MAX_COUNTDOWN_S:
        # A wake-up call at the retry time. If it is lost, the sweeper finds the job when
        # next_attempt_at is due.
        enqueue(int(job_id), countdown=result.retry_in)


@app.task(name=SWEEP)
def sweep() -> int:
    runtime = get_runtime()
    with runtime.sessions() as session:
        due = JobRepository(session).due_for_sweep(datetime.now(UTC), SWEEP_BATCH)
    for job_id in due:
        enqueue(job_id)
    if due:
        log.info("sweeper re-enqueued jobs", count=len(due))
    return len(due)


# A night's reconciliation of a large shop pages for a long time (Shopify: 2 requests/s), so
# it gets its own limits instead of the 5-minute job limit; and it is acked on receipt, not
# late: a run outliving the visibility timeout must not be delivered a second time and run
# twice at once. A lost run is harmless: the next night's window overlaps this one.
@app.task(name="sync_engine.reconcile_all", acks_late=False, time_limit=4 * 3600, soft_time_limit=4 * 3600 - 300)
def reconcile_all() -> None:
    from sync_engine.reconcile.service import reconcile_all_stores

    reconcile_all_stores(get_runtime(), enqueue)


@app.task(name="sync_engine.evaluate_alerts", acks_late=False)
def evaluate_alerts() -> int:
    """One alert evaluation (#15): state in the database, so a lost or doubled beat tick is
    harmless — an unchanged condition sends nothing."""
    from sync_engine.alerts.config import load_alerts
    from sync_engine.alerts.engine import AlertEngine
    from sync_engine.alerts.sinks import build_sinks

    runtime = get_runtime()
    config = load_alerts(runtime.settings.stores_file)
    if not config.has_sinks:
        return 0
    outcome = AlertEngine(runtime.sessions, config, build_sinks(config)).evaluate()
    return len(outcome.firing) + len(outcome.updated) + len(outcome.resolved)
