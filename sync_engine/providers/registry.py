"""Provider name -> adapter class. Adding a provider: one line here (docs/adding-a-provider.md)."""

from __future__ import annotations

import importlib
from typing import Any

import redis

from sync_engine.providers.base import BaseProvider

# name used in [stores.provider] -> "module:Class", imported on first use so a broken or
# heavy adapter does not slow down processes that never use it.
PROVIDERS: dict[str, str] = {
    "turkcell_esirket": "sync_engine.providers.turkcell:TurkcellProvider",
    "kolaybi": "sync_engine.providers.kolaybi:KolayBiProvider",
    "faturaentegrator": "sync_engine.providers.faturaentegrator:FaturaEntegratorProvider",
    "sinapp": "sync_engine.providers.sinapp:SinAppProvider",
}


def provider_class(name: str) -> type[BaseProvider]:
    try:
        target = PROVIDERS[name]
    except KeyError:
        raise KeyError(f"unknown provider {name!r}; known: {', '.join(sorted(PROVIDERS))}") from None
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)


def build_provider(provider_config: Any, *, redis_client: redis.Redis | None) -> BaseProvider:
    cls = provider_class(provider_config.name)
    return cls.from_config(provider_config, redis=redis_client)  # type: ignore[attr-defined]
