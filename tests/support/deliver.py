"""A signed shop delivery handled as the web process handles it, for the live-stack tests
that read the ingest result directly: sign, verify, parse, complete WooCommerce refund lines
from the shop's API, ingest, commit, then enqueue what it made or woke."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sync_engine.devtools.webhooks import build_shopify, build_woocommerce
from sync_engine.ingest import IngestResult, fetch_refund_details, ingest, parse_delivery
from sync_engine.platforms.identity import rules_for
from sync_engine.platforms.registry import get_platform
from sync_engine.sandbox.credentials import SHOP_SECRETS

SECRETS = {"demo-shop": "DEMO_SHOP_WEBHOOK_SECRET", "kolay-shop": "KOLAY_SHOP_WEBHOOK_SECRET",
           "entegre-shop": "ENTEGRE_SHOP_WEBHOOK_SECRET", "sinapp-shop": "SINAPP_SHOP_WEBHOOK_SECRET"}


def deliver(stack: Any, stores: dict[str, Any], store_id: str, payload: dict[str, Any], topic: str) -> IngestResult:
    store = stores[store_id]
    secret = SHOP_SECRETS[SECRETS[store_id]]
    if store.platform == "shopify":
        headers, body = build_shopify(payload, secret=secret, topic=topic, shop_domain=f"{store_id}.myshopify.com")
    else:
        headers, body = build_woocommerce(payload, secret=secret, topic=topic)
    adapter = get_platform(store.platform)
    adapter.verify(headers, body, [secret])
    parsed = fetch_refund_details(parse_delivery(adapter, headers, body, store.id, rules_for(store)), store)
    with stack.sessions() as session:
        result = ingest(session, store=store, adapter=adapter, headers=headers, body=body,
                        source="webhook", now=datetime.now(UTC), parsed=parsed)
        session.commit()
    if result.enqueue and result.job_id is not None:
        stack.enqueue(result.job_id)
    for job_id in result.wake:
        stack.enqueue(job_id)
    return result
