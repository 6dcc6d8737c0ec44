"""The beat schedule, in one declarative place (saleor's style): tasks by dotted name."""

from __future__ import annotations

from celery.schedules import crontab

from sync_engine.config import get_settings

SWEEP_INTERVAL_S = get_settings().sweep_interval_s
ALERT_INTERVAL_S = 60.0  # how late an alert may be; a provider outage needs minutes to count

BEAT_SCHEDULE = {
    # Re-enqueue jobs whose next attempt is due and whose lease has expired: a lost message,
    # a killed worker or a flushed Redis delays a job by at most this long, never loses it.
    "sweeper": {
        "task": "sync_engine.sweep",
        "schedule": SWEEP_INTERVAL_S,
        "options": {"expires": SWEEP_INTERVAL_S},
    },
    # Alerts (#15): needs_attention, GİB rejections, reconciliation differences, a provider
    # failing; one digest per change, state in the database.
    "alerts": {
        "task": "sync_engine.evaluate_alerts",
        "schedule": ALERT_INTERVAL_S,
        "options": {"expires": ALERT_INTERVAL_S},
    },
    # Nightly reconciliation of every store for the previous day (Europe/Istanbul; the app's
    # timezone is set so crontab hours are Istanbul hours).
    "reconcile-nightly": {
        "task": "sync_engine.reconcile_all",
        "schedule": crontab(hour=3, minute=0),
    },
}
