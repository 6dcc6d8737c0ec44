"""WooCommerce webhooks: HMAC check, the unsigned ping, dedupe key; mapping in woocommerce_order.

Signature: ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(secret, raw body)). WooCommerce
keys the HMAC with ``wp_specialchars_decode(secret)``, so a secret that was stored with HTML
entities (``&amp;``) is tried decoded as well.

The ping: when a webhook is saved, WooCommerce posts the form body ``webhook_id=<n>`` with no
signature headers at all (``WC_Webhook::deliver_ping``). ``verify`` lets exactly that body
through unsigned — nothing else — so that saving the webhook in the shop admin succeeds (a
failing ping makes the merchant think the URL is wrong). It is safe because ``parse`` turns
that body into a PING and nothing else: no order, no job, nothing invoiced. A ping that does
carry a signature header is verified like any delivery.

Dedupe: ``X-WC-Webhook-Delivery-ID`` is a hash of webhook id and the current second, so a
re-delivery gets a new one. The business key ``order:<id>:<date_modified_gmt>`` is stable:
the same order state is the same event.
"""

from __future__ import annotations

import dataclasses

import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sync_engine.domain import Order
from sync_engine.domain.refunds import Refund
from sync_engine.platforms._util import (
    blocking_problems,
    body_digest,
    first_header,
    order_id_of,
    hmac_sha256_b64,
    id_text,
    load_json,
    lower_headers,
    signature_matches,
    text,
)
from sync_engine.platforms.base import (
    EventKind,
    MalformedPayload,
    ParsedDelivery,
    SignatureError,
)
from sync_engine.platforms.identity import DEFAULT_RULES, BuyerRules
from sync_engine.platforms.woocommerce_order import (
    awaits_payment,
    build_order,
    build_refund,
    is_paid,
    refund_summaries,
)

PING_BODY = re.compile(rb"webhook_id=(\d{1,20})")
SIGNATURE_HEADER = "x-wc-webhook-signature"
TOPIC_HEADER = "x-wc-webhook-topic"
UNPAYABLE_STATUSES = frozenset({"cancelled", "failed", "trash", "refunded"})
# Statuses that undo an order: nothing is invoiced, and an invoice made is undone.
CANCELLED_STATUSES = {
    "cancelled": "order cancelled at the shop",
    "trash": "order deleted at the shop",
    "refunded": "order fully refunded at the shop",
}


def _wp_specialchars_decode(secret: str) -> str:
    # wp_specialchars_decode(…, ENT_QUOTES) decodes only these five entities.
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#039;", "'")):
        secret = secret.replace(entity, char)
    return secret.replace("&amp;", "&")


class WooCommerceAdapter:
    name = "woocommerce"

    def verify(
        self,
        headers: Mapping[str, str],
        body: bytes,
        secrets: Sequence[str],
        now: datetime | None = None,
    ) -> None:
        h = lower_headers(headers)
        given = first_header(h, SIGNATURE_HEADER)
        if given is None:
            if SIGNATURE_HEADER not in h and PING_BODY.fullmatch(body):
                return  # WooCommerce never signs its ping; see the module docstring
            raise SignatureError("missing X-WC-Webhook-Signature header")
        if not secrets:
            raise SignatureError("no webhook secret is configured for this store")
        keys = {k for s in secrets for k in (s, _wp_specialchars_decode(s))}
        expected = [hmac_sha256_b64(k.encode("utf-8"), body) for k in keys]
        if not signature_matches(given, expected):
            raise SignatureError("X-WC-Webhook-Signature does not match the body")

    def parse(
        self, headers: Mapping[str, str], body: bytes, store_id: str, rules: BuyerRules = DEFAULT_RULES
    ) -> ParsedDelivery:
        h = lower_headers(headers)
        ping = PING_BODY.fullmatch(body)
        if ping:
            webhook_id = ping.group(1).decode()
            return ParsedDelivery(
                kind=EventKind.PING,
                event_key=f"ping:{webhook_id}",
                topic=first_header(h, TOPIC_HEADER),
                order_id=None,
                order_name=None,
                invoiceable=False,
                order=None,
                problem=f"WooCommerce ping for webhook {webhook_id}; nothing to invoice",
            )
        data = load_json(body)
        if not isinstance(data, dict):
            raise MalformedPayload(f"body must be a JSON object, got {type(data).__name__}")
        topic = (first_header(h, TOPIC_HEADER) or "").lower() or None
        if _is_refund(data):
            return self._refund(topic, data, body)

        resource_id = order_id_of(data.get("id"))
        modified = text(data.get("date_modified_gmt")) or text(data.get("date_modified"))
        if topic is not None and not topic.startswith("order."):
            return _other(
                topic, f"{topic}:{resource_id}:{modified or body_digest(body)}", None,
                f"topic {topic} is not handled; event stored",
            )
        if resource_id is None:
            raise MalformedPayload("order body has no id")
        if topic == "order.deleted" or "line_items" not in data:
            # order.deleted sends only {"id": …}.
            deleted = topic == "order.deleted"
            return dataclasses.replace(_other(
                topic, f"{topic or 'order'}:{resource_id}:{modified or body_digest(body)}",
                resource_id, CANCELLED_STATUSES["trash"] if deleted else "body is not a full order; event stored",
            ), cancelled=deleted)

        order_name = f"#{text(data.get('number')) or resource_id}"
        key = f"order:{resource_id}:{modified or body_digest(body)}"
        order, problem = build_order(data, store_id, rules)
        status = text(data.get("status")).lower() or "missing"
        # refunds[] holds {id, total} only: ingest's caller fetches their lines.
        unfetched = refund_summaries(data)

        def delivery(problem: str | None, invoiceable: bool = False) -> ParsedDelivery:
            return ParsedDelivery(
                kind=EventKind.ORDER,
                event_key=key,
                topic=topic,
                order_id=resource_id,
                order_name=order_name,
                invoiceable=invoiceable,
                order=order,
                problem=problem,
                awaiting_payment=not invoiceable and order is not None and awaits_payment(data),
                refunds_unfetched=unfetched,
            )

        if status in CANCELLED_STATUSES:
            return dataclasses.replace(delivery(CANCELLED_STATUSES[status]), cancelled=True)
        if status in UNPAYABLE_STATUSES:
            return delivery(f"order status is {status}; nothing to invoice")
        if order is None:
            # A paid order we cannot turn into an invoice (e.g. a company without a VKN):
            # due for invoicing, so ingest parks it in needs_attention with the reason.
            return delivery(problem, invoiceable=is_paid(data))
        if not is_paid(data):
            return delivery(f"order is not paid yet (status {status})")
        # Due for a sale invoice; if the order needs an operator first, the job waits in
        # needs_attention with this reason.
        # The order as sold (its total stays so, refunds or not); ingest invoices what was kept.
        return delivery("; ".join(blocking_problems(order)) or None, invoiceable=True)

    def _refund(self, topic: str | None, data: dict[str, Any], body: bytes) -> ParsedDelivery:
        refund_id = id_text(data.get("id"))
        order_id = _refund_order_id(data)
        key = f"refund:{refund_id}:{text(data.get('date_created_gmt')) or body_digest(body)}"
        if refund_id is None or order_id is None:
            return _other(topic, key, order_id, "refund names no order (or has no id); event stored")
        return dataclasses.replace(
            _other(topic, key, order_id, None),
            kind=EventKind.REFUND, refund=build_refund(data, order_id),
        )

    def order_from_resource(
        self, payload: dict[str, Any], store_id: str, rules: BuyerRules = DEFAULT_RULES
    ) -> tuple[Order | None, str | None]:
        """(order, None), or (None, why): invoicing problems stay on the order itself."""
        return build_order(payload, store_id, rules)

    def is_paid(self, payload: dict[str, Any]) -> bool:
        return is_paid(payload)

    def awaits_payment(self, payload: dict[str, Any]) -> bool:
        return awaits_payment(payload)

    def updated_at_text(self, payload: dict[str, Any]) -> str:
        return text(payload.get("date_modified_gmt")) or text(payload.get("date_modified"))

    def order_name_of(self, payload: dict[str, Any], order_id: str) -> str:
        return f"#{text(payload.get('number')) or order_id}"

    def cancel_reason(self, payload: dict[str, Any]) -> str | None:
        return CANCELLED_STATUSES.get(text(payload.get("status")).lower())

    def not_invoiceable_reason(self, payload: dict[str, Any]) -> str | None:
        status = text(payload.get("status")).lower()
        if status in CANCELLED_STATUSES:
            return CANCELLED_STATUSES[status]
        if status in UNPAYABLE_STATUSES:
            return f"order status is {status}"
        return None if is_paid(payload) else "order is not paid"

    def refunds_of(self, payload: dict[str, Any]) -> tuple[tuple[Refund, ...], tuple[str, ...]]:
        return (), refund_summaries(payload)

    def complete_refunds(self, parsed: ParsedDelivery, lister: Any) -> ParsedDelivery:
        # An order's refunds[] holds {id, reason, total} only: the lines come from
        # GET /wp-json/wc/v3/orders/{id}/refunds.
        if not parsed.refunds_unfetched or parsed.order_id is None:
            return parsed
        return refund_delivery(parsed, lister.get_refunds(parsed.order_id))

    def replay_headers(self) -> dict[str, str]:
        return {"X-WC-Webhook-Topic": "order.updated"}


def _other(topic: str | None, key: str, order_id: str | None, problem: str | None) -> ParsedDelivery:
    return ParsedDelivery(
        kind=EventKind.OTHER,
        event_key=key,
        topic=topic,
        order_id=order_id,
        order_name=None,
        invoiceable=False,
        order=None,
        problem=problem,
    )


def _is_refund(data: Mapping[str, Any]) -> bool:
    # A refund object (wc/v3 orders/<id>/refunds) has amount and refunded_by; an order has
    # neither. WooCommerce core sends no refund topic, but plugins and REST pulls do.
    if "refunded_by" in data:
        return True
    return "amount" in data and "status" not in data and "billing" not in data


def _refund_order_id(data: Mapping[str, Any]) -> str | None:
    if data.get("order_id") is not None:
        return id_text(data["order_id"])
    links = data.get("_links")
    ups = links.get("up") if isinstance(links, dict) else None
    if isinstance(ups, list) and ups and isinstance(ups[0], dict):
        match = re.search(r"/orders/(\d+)/?$", html.unescape(text(ups[0].get("href"))))
        if match:
            return match.group(1)
    return None


def refund_delivery(parsed: ParsedDelivery, refunds: list[dict[str, Any]]) -> ParsedDelivery:
    """``parsed`` (an order with ``refunds_unfetched``) completed with its refund objects, as
    ``GET /wp-json/wc/v3/orders/{id}/refunds`` answers them."""
    assert parsed.order_id is not None
    built = tuple(build_refund(r, parsed.order_id) for r in refunds if isinstance(r, dict))
    found = {r.refund_id for r in built}
    missing = [rid for rid in parsed.refunds_unfetched if rid not in found]
    return dataclasses.replace(parsed, refunds=built, refunds_unfetched=tuple(missing))
