"""Prometheus metrics. Webhook results are counted in-process; job and attempt figures are
read from the state table at scrape time, so every web process reports the same truth
regardless of which worker did the work."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.store.models import Attempt, Job


class StateCollector:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[object]:
        jobs = GaugeMetricFamily("sync_jobs", "Jobs by status", labels=["status"])
        errors = GaugeMetricFamily(
            "sync_provider_errors", "Provider calls that failed, by step and error class",
            labels=["step", "error_class"],
        )
        durations = SummaryMetricFamily(
            "sync_step_call_duration_seconds", "Provider call durations by step", labels=["step"]
        )
        with self.sessions() as session:
            for status, count in session.execute(select(Job.status, func.count()).group_by(Job.status)):
                jobs.add_metric([status], count)
            for step, klass, count in session.execute(
                select(Attempt.step, Attempt.error_class, func.count())
                .where(Attempt.error_class.is_not(None))
                .group_by(Attempt.step, Attempt.error_class)
            ):
                errors.add_metric([step, klass], count)
            for step, count, total in session.execute(
                select(Attempt.step, func.count(), func.coalesce(func.sum(Attempt.duration_ms), 0)).group_by(Attempt.step)
            ):
                durations.add_metric([step], count_value=count, sum_value=float(total) / 1000.0)
        yield jobs
        yield errors
        yield durations


class Metrics:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.registry = CollectorRegistry()
        self.webhooks = Counter(
            "sync_webhooks", "Webhook deliveries by platform and result", ["platform", "result"],
            registry=self.registry,
        )
        self.registry.register(StateCollector(sessions))  # type: ignore[arg-type]

    def render(self) -> bytes:
        return generate_latest(self.registry)
