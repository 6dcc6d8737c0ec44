"""Seeded factory of realistic Turkish shop orders in the platforms' real payload shapes.

``shopify_order`` gives the Shopify REST order resource (also the orders/* webhook body);
``woocommerce_order`` gives the WooCommerce wc/v3 order (also the order.* webhook body).
The same ``random.Random`` seed always gives the same order. Amounts add up exactly the way
each platform computes them (see ``shopify_payload`` and ``woo_payload``), TCKNs and VKNs pass
their checksums, and identity sits where Turkish stores put it: Shopify ``note_attributes``
(``tckn`` / ``TC Kimlik No`` / ``Vergi No`` + ``Vergi Dairesi`` ...) and the WooCommerce
Hezarfen plugin's ``meta_data`` keys.

``demo_orders()`` gives the demo's seven fixed, named orders.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sync_engine.devtools.orders import shopify_payload, woo_payload
from sync_engine.devtools.orders.demo import DEMO_START, demo_specs
from sync_engine.devtools.orders.spec import (
    EFATURA_COMPANIES,
    TR_TZ,
    Kind,
    OrderSpec,
    generate_tckn,
    generate_vkn,
    random_spec,
)

__all__ = [
    "DEMO_START", "EFATURA_COMPANIES", "KINDS", "TR_TZ", "Kind", "OrderSpec", "demo_orders",
    "demo_specs", "generate_tckn", "generate_vkn", "random_orders", "random_spec",
    "render", "shopify_order", "woocommerce_order",
]

KINDS = tuple(k.value for k in Kind)


def shopify_order(
    rng: random.Random,
    *,
    n: int,
    kind: Kind | str,
    created_at: datetime | None = None,
    efatura: bool | None = None,
    shop_domain: str = "demo-shop.myshopify.com",
) -> dict[str, Any]:
    """One paid Shopify order, number ``n`` (name ``#{1000+n}``)."""
    spec = random_spec(rng, n=n, kind=kind, created_at=created_at, efatura=efatura)
    return shopify_payload.render(spec, shop_domain=shop_domain)


def woocommerce_order(
    rng: random.Random,
    *,
    n: int,
    kind: Kind | str,
    created_at: datetime | None = None,
    efatura: bool | None = None,
    site_url: str = "https://demo-shop.example",
) -> dict[str, Any]:
    """One paid (``processing``) WooCommerce order with id and number ``1000+n``."""
    spec = random_spec(rng, n=n, kind=kind, created_at=created_at, efatura=efatura)
    return woo_payload.render(spec, site_url=site_url)


def render(spec: OrderSpec, platform: str) -> dict[str, Any]:
    if platform == "shopify":
        return shopify_payload.render(spec)
    if platform == "woocommerce":
        return woo_payload.render(spec)
    raise ValueError(f"no payload renderer for platform {platform!r}")


def random_orders(
    platform: str,
    rng: random.Random,
    count: int,
    *,
    start_n: int = 1,
    kinds: tuple[str, ...] = KINDS,
) -> list[dict[str, Any]]:
    """``count`` orders numbered from ``start_n``, kinds drawn from ``kinds``."""
    return [
        render(random_spec(rng, n=n, kind=rng.choice(kinds)), platform)
        for n in range(start_n, start_n + count)
    ]


def demo_orders(platform: str = "shopify", *, start: datetime | None = None) -> list[dict[str, Any]]:
    """The demo's fixed orders #1001..#1007 (deterministic; ``start`` moves their times)."""
    return [render(spec, platform) for spec in demo_specs(start)]
