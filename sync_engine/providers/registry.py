"""Every provider, by name. Adding a provider: one line in ``SPEC_PACKAGES``
(docs/adding-a-provider.md); config, matrix, sandbox, demo and tests follow from its SPEC."""

from __future__ import annotations

import importlib
from typing import Any

import redis

from sync_engine.providers.base import BaseProvider
from sync_engine.providers.spec import ProviderSpec

# Each package exports ``SPEC`` (providers/spec.py) and imports only its config at load.
SPEC_PACKAGES: tuple[str, ...] = (
    "sync_engine.providers.turkcell",
    "sync_engine.providers.kolaybi",
    "sync_engine.providers.faturaentegrator",
    "sync_engine.providers.sinapp",
)

SPECS: dict[str, ProviderSpec] = {
    spec.name: spec for spec in (importlib.import_module(p).SPEC for p in SPEC_PACKAGES)
}

# name -> "module:Class" (kept for callers that want the import path)
PROVIDERS: dict[str, str] = {name: spec.adapter for name, spec in SPECS.items()}


def provider_spec(name: str) -> ProviderSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise KeyError(f"unknown provider {name!r}; known: {', '.join(sorted(SPECS))}") from None


def provider_class(name: str) -> type[BaseProvider]:
    return provider_spec(name).adapter_class()


def build_provider(provider_config: Any, *, redis_client: redis.Redis | None) -> BaseProvider:
    cls = provider_class(provider_config.name)
    return cls.from_config(provider_config, redis=redis_client)  # type: ignore[attr-defined]
