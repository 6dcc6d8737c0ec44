"""The Celery settings that keep jobs from being lost, and the beat schedule, pinned."""

from __future__ import annotations

from celery.schedules import crontab

from schedules import BEAT_SCHEDULE
from workers.celery_app import MAX_COUNTDOWN_S, TASK_TIME_LIMIT_S, VISIBILITY_TIMEOUT_S, make_celery
from tests.support.services import redis_url


def test_safety_settings() -> None:
    conf = make_celery(redis_url(13)).conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_ignore_result is True and conf.result_backend is None
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert visibility == VISIBILITY_TIMEOUT_S > max(TASK_TIME_LIMIT_S, MAX_COUNTDOWN_S)
    assert conf.task_time_limit == TASK_TIME_LIMIT_S and conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_connection_timeout <= 2  # a webhook must not hang on a dead broker


def test_beat_schedule_names_registered_tasks() -> None:
    app = make_celery(redis_url(13))
    import workers.tasks  # noqa: F401 - registers the tasks on the module-level app

    registered = set(workers.tasks.app.tasks)
    assert {entry["task"] for entry in BEAT_SCHEDULE.values()} <= registered
    assert app.conf.timezone == "Europe/Istanbul"
    nightly = BEAT_SCHEDULE["reconcile-nightly"]["schedule"]
    assert isinstance(nightly, crontab)
    assert nightly.hour == {3} and nightly.minute == {0}
    assert BEAT_SCHEDULE["sweeper"]["schedule"] <= 60


def test_reconcile_task_is_not_redelivered_while_running() -> None:
    import workers.tasks

    task = workers.tasks.reconcile_all
    assert task.acks_late is False
    assert task.time_limit >= 3600 > TASK_TIME_LIMIT_S
