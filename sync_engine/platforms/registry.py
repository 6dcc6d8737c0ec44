"""The platform registry: one adapter instance per platform, built once. Callers look a
platform up by its name here and never import a concrete adapter themselves."""

from __future__ import annotations

from functools import cache

from sync_engine.platforms.base import PlatformAdapter
from sync_engine.platforms.generic import GenericAdapter
from sync_engine.platforms.shopify import ShopifyAdapter
from sync_engine.platforms.woocommerce import WooCommerceAdapter


class UnknownPlatform(KeyError):
    """No adapter is registered under this name."""


@cache
def _registry() -> dict[str, PlatformAdapter]:
    # Stateless adapters: one instance serves every delivery.
    return {"shopify": ShopifyAdapter(), "woocommerce": WooCommerceAdapter(), "generic": GenericAdapter()}


def platform_names() -> tuple[str, ...]:
    return tuple(sorted(_registry()))


def get_platform(name: str) -> PlatformAdapter:
    """The adapter registered as ``name`` (shopify, woocommerce, generic)."""
    registry = _registry()
    try:
        return registry[name.strip().lower()]
    except KeyError:
        raise UnknownPlatform(
            f"unknown platform {name!r}; known: {', '.join(sorted(registry))}"
        ) from None
