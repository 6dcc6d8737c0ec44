"""Per-process objects for workers: the one wiring (``sync_engine.bootstrap``: settings,
database, Redis, stores, providers) and the job runner on it.

Built lazily once per process (after fork, never before: connection pools must not be
shared across processes).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import redis
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.bootstrap import bootstrap
from sync_engine.config import Settings
from sync_engine.pipeline.context import ProviderResolver
from sync_engine.pipeline.retry import RetryPolicy
from sync_engine.pipeline.runner import JobRunner


@dataclass
class WorkerRuntime:
    settings: Settings
    sessions: sessionmaker[Session]
    redis: redis.Redis
    resolver: ProviderResolver
    runner: JobRunner


_runtime: WorkerRuntime | None = None
_lock = threading.Lock()


def build_runtime(settings: Settings | None = None) -> WorkerRuntime:
    wiring = bootstrap(settings)
    settings = wiring.settings
    sessions = wiring.sessions
    resolver = ProviderResolver(wiring.stores, wiring.provider_for)
    runner = JobRunner(
        sessions,
        resolver,
        policy=RetryPolicy(
            base_s=settings.retry_base_s, cap_s=settings.retry_cap_s, max_attempts=settings.max_attempts
        ),
        lease_ttl_s=settings.lease_ttl_s,
        gib_answer_wait_s=settings.gib_answer_wait_s,
        buyer_return_wait_s=settings.buyer_return_wait_s,
    )
    return WorkerRuntime(settings, sessions, wiring.redis, resolver, runner)


def get_runtime() -> WorkerRuntime:
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = build_runtime()
        return _runtime


def reset_runtime() -> None:
    global _runtime
    with _lock:
        if _runtime is not None:
            _runtime.resolver.close()
        _runtime = None
