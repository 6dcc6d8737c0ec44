"""The Celery app. Redis carries wake-up calls, not truth: the SQL state table is the truth,
and the sweeper re-enqueues from it, so every setting below errs toward redelivery (a
duplicate delivery is harmless — the job lease turns it away) and never toward loss.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import setup_logging

from schedules import BEAT_SCHEDULE
from sync_engine.config import get_settings
from sync_engine.logging import configure_logging

# Ceilings that the settings below must respect, in seconds.
TASK_TIME_LIMIT_S = 300  # hard kill of a task; well above one job run (4 steps × HTTP timeout)
TASK_SOFT_TIME_LIMIT_S = 240
MAX_COUNTDOWN_S = 600  # longest retry delay we hand to Celery; longer waits go to the sweeper
# Redis redelivers an unacked message after the visibility timeout. It must exceed both the
# task time limit and any countdown/ETA, or a message waiting for its ETA (or a long task)
# would be delivered a second time while still held.
VISIBILITY_TIMEOUT_S = 3600

assert VISIBILITY_TIMEOUT_S > max(TASK_TIME_LIMIT_S, MAX_COUNTDOWN_S)


def make_celery(broker_url: str | None = None) -> Celery:
    broker = broker_url or get_settings().redis_url
    app = Celery("sync_engine", broker=broker, include=["workers.tasks"])
    app.conf.update(
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
        beat_schedule=BEAT_SCHEDULE,
    )
    return app


app = make_celery()


@setup_logging.connect
def _logging(**_kwargs: object) -> None:
    # Celery's own handlers would bypass the redaction processor: use ours for everything.
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
