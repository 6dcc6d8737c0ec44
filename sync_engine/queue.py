"""Wake-up calls for jobs, and the Celery configuration both ends of the queue share.

The web process, reconciliation and the CLI put a job on the broker with ``enqueue``; the
worker package builds its app from ``celery_config`` and registers the tasks. Sending goes by
task name, so nothing below the worker package imports it (it imports all of us).
"""

from __future__ import annotations

import threading
from typing import Any

from celery import Celery

from sync_engine.config import get_settings
from sync_engine.logging import get_logger

log = get_logger(__name__)

RUN_JOB = "sync_engine.run_job"
SWEEP = "sync_engine.sweep"

# Ceilings that the settings below must respect, in seconds.
TASK_TIME_LIMIT_S = 300  # hard kill of a task; well above one job run (4 steps × HTTP timeout)
TASK_SOFT_TIME_LIMIT_S = 240
MAX_COUNTDOWN_S = 600  # longest retry delay we hand to Celery; longer waits go to the sweeper
# Redis redelivers an unacked message after the visibility timeout. It must exceed both the
# task time limit and any countdown/ETA, or a message waiting for its ETA (or a long task)
# would be delivered a second time while still held.
VISIBILITY_TIMEOUT_S = 3600

assert VISIBILITY_TIMEOUT_S > max(TASK_TIME_LIMIT_S, MAX_COUNTDOWN_S)


def celery_config() -> dict[str, Any]:
    return dict(
        # Ack after the task ran, not when received: a worker killed mid-task leaves the
        # message unacked, so Redis redelivers it after the visibility timeout.
        task_acks_late=True,
        # With late acks, Celery would still ack (and drop) the message of a child process
        # killed by a signal (SIGKILL, OOM). Reject it instead so it is redelivered.
        task_reject_on_worker_lost=True,
        # One message at a time per worker slot: a prefetched message sits unacked in a busy
        # worker while other workers idle, and is lost to the visibility timeout if it dies.
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        task_time_limit=TASK_TIME_LIMIT_S,
        task_soft_time_limit=TASK_SOFT_TIME_LIMIT_S,
        # No result backend: the job row is the result. Results in Redis would only grow.
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        # The broker being down must not hang a webhook request: fail fast, the sweeper
        # enqueues later from the table.
        broker_connection_timeout=2,
        broker_connection_retry_on_startup=True,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
        timezone="Europe/Istanbul",
        enable_utc=True,
    )


_producer: Celery | None = None
_lock = threading.Lock()


def use_app(app: Celery) -> None:
    """In a worker process, send with the worker's own app (one connection pool)."""
    global _producer
    _producer = app


def _app() -> Celery:
    global _producer
    with _lock:
        if _producer is None:
            _producer = Celery("sync_engine", broker=get_settings().redis_url)
            _producer.conf.update(celery_config())
        return _producer


def enqueue(job_id: int, countdown: float | None = None) -> bool:
    """Send a wake-up call for a job. Returns False (and logs) when the broker is down: the
    job row is already committed, and the sweeper will enqueue it."""
    try:
        _app().send_task(RUN_JOB, (job_id,), countdown=countdown, retry=False)
    except Exception as exc:  # kombu raises OperationalError and friends
        log.warning("could not enqueue; the sweeper will pick the job up", job_id=job_id, error=str(exc))
        return False
    return True
