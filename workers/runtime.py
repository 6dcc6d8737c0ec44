"""Per-process objects for workers: settings, database, Redis, stores, the job runner.

Built lazily once per process (after fork, never before: connection pools must not be
shared across processes).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import redis
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.config import Settings, get_settings, load_stores
from sync_engine.logging import configure_logging
from sync_engine.pipeline.context import ProviderResolver
from sync_engine.pipeline.retry import RetryPolicy
from sync_engine.pipeline.runner import JobRunner
from sync_engine.providers.registry import build_provider
from sync_engine.store.db import make_engine, make_session_factory


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
    settings = settings or get_settings()
    configure_logging(settings.log_format, settings.log_level)
    sessions = make_session_factory(make_engine(settings.database_url))
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    stores = load_stores(settings.stores_file)
    resolver = ProviderResolver(stores, lambda store: build_provider(store.provider, redis_client=client))
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
    return WorkerRuntime(settings, sessions, client, resolver, runner)


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
