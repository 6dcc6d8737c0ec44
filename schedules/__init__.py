"""The beat schedule, in one declarative place (saleor's style): tasks by dotted name."""

from __future__ import annotations

from celery.schedules import crontab

from sync_engine.config import get_settings

SWEEP_INTERVAL_S = get_settings().sweep_interval_s

BEAT_SCHEDULE = {
    # Re-enqueue jobs whose next attempt is due and whose lease has expired: a lost message,
    # a killed worker or a flushed Redis delays a job by at most this long, never loses it.
    "sweeper": {
        "task": "sync_engine.sweep",
        "schedule": SWEEP_INTERVAL_S,
        "options": {"expires": SWEEP_INTERVAL_S},
    },
    # Nightly reconciliation of every store for the previous day (Europe/Istanbul; the app's
    # timezone is set so crontab hours are Istanbul hours).
    "reconcile-nightly": {
        "task": "sync_engine.reconcile_all",
        "schedule": crontab(hour=3, minute=0),
    },
}
