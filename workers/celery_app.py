"""The Celery app. Redis carries wake-up calls, not truth: the SQL state table is the truth,
and the sweeper re-enqueues from it, so every setting below errs toward redelivery (a
duplicate delivery is harmless — the job lease turns it away) and never toward loss.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import setup_logging

from schedules import BEAT_SCHEDULE
from sync_engine.bootstrap import bootstrap
from sync_engine.config import get_settings
from sync_engine.queue import MAX_COUNTDOWN_S, TASK_TIME_LIMIT_S, VISIBILITY_TIMEOUT_S, celery_config, use_app

__all__ = ["MAX_COUNTDOWN_S", "TASK_TIME_LIMIT_S", "VISIBILITY_TIMEOUT_S", "app", "make_celery"]


def make_celery(broker_url: str | None = None) -> Celery:
    broker = broker_url or get_settings().redis_url
    app = Celery("sync_engine", broker=broker, include=["workers.tasks"])
    app.conf.update(celery_config(), beat_schedule=BEAT_SCHEDULE)
    return app


app = make_celery()
use_app(app)  # enqueue() in this process sends with the worker's app


@setup_logging.connect
def _logging(**_kwargs: object) -> None:
    # Celery's own handlers would bypass the redaction processor: use ours for everything
    # (beat has no other wiring; a worker builds the rest in workers/runtime.py).
    bootstrap()
