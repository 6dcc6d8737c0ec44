"""One wiring for every process (issue #14): the web app, the workers and beat, and every CLI
command build their settings, database engine, sessions, Redis client, stores and provider /
platform lookups here, the same way.

Everything is built on first use, never at import and never before a fork: a command that
only reads jobs does not read the stores file, and a worker process gets its own
connection pools. ``Wiring`` is per process (or per command); tests build their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TextIO

import redis
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.config import Settings, StoreConfig, get_settings, load_stores
from sync_engine.logging import configure_logging
from sync_engine.platforms.base import PlatformAdapter
from sync_engine.platforms.registry import get_platform
from sync_engine.providers.base import BaseProvider
from sync_engine.providers.registry import build_provider
from sync_engine.store.db import make_engine, make_session_factory

# Redis carries wake-up calls, rate budgets and caches: a call that waits longer than this is
# treated as Redis being down (the SQL state table stays the truth).
REDIS_TIMEOUT_S = 5.0
REDIS_CONNECT_TIMEOUT_S = 2.0
# A webhook is answered within the platform's deadline even when Redis hangs.
WEB_REDIS_TIMEOUT_S = 2.0


@dataclass
class Wiring:
    """The process's shared objects, each built when first asked for."""

    settings: Settings
    redis_timeout_s: float = REDIS_TIMEOUT_S

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(
            self.settings.redis_url,
            socket_timeout=self.redis_timeout_s,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
        )

    @cached_property
    def stores(self) -> dict[str, StoreConfig]:
        """The stores file, validated; raises ``ConfigError`` listing every problem."""
        return load_stores(self.settings.stores_file)

    def provider_for(self, store: StoreConfig, *, cache_in_redis: bool = True) -> BaseProvider:
        """A new provider client for the store (the caller closes it). Its token and
        directory caches live in this wiring's Redis, or nowhere when told not to."""
        return build_provider(store.provider, redis_client=self.redis if cache_in_redis else None)

    @staticmethod
    def platform_for(name: str) -> PlatformAdapter:
        return get_platform(name)

    def close(self) -> None:
        """Release the pools that were built (a command's end; a worker's reset)."""
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()


def bootstrap(
    settings: Settings | None = None,
    *,
    log_stream: TextIO | None = None,
    configure_logs: bool = True,
    redis_timeout_s: float = REDIS_TIMEOUT_S,
) -> Wiring:
    """Settings (``SYNC_*``, read once per process unless given) and, unless told not to, the
    redacting log handler on ``log_stream`` (stdout by default; stderr for a command whose
    stdout is a report)."""
    settings = settings or get_settings()
    if configure_logs:
        configure_logging(settings.log_format, settings.log_level, stream=log_stream)
    return Wiring(settings, redis_timeout_s=redis_timeout_s)
