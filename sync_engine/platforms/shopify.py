"""Shopify webhooks: HMAC check, topic routing, dedupe key; the order mapping is in shopify_order.

Signature: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(app client secret, raw body)).
Several secrets may be configured so a secret can be rotated without losing deliveries.
The newer "Events" delivery sends the same headers lowercased and unprefixed
(``shopify-hmac-sha256``); both spellings are read.
"""

from __future__ import annotations

import dataclasses

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sync_engine.domain import Order
from sync_engine.domain.refunds import Refund
from sync_engine.platforms._util import (
    blocking_problems,
    first_header,
    order_id_of,
    hmac_sha256_b64,
    id_text,
    load_json_object,
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
from sync_engine.platforms.shopify_order import (
    awaits_payment,
    build_order,
    build_refund,
    build_refunds,
    is_paid,
    unwrap,
)

INVOICE_TOPICS = frozenset({"orders/create", "orders/paid", "orders/updated"})
HANDLED_TOPICS = INVOICE_TOPICS | {"orders/cancelled"}
CANCELLED = "order cancelled at the shop"
FULLY_REFUNDED = "order fully refunded at the shop"
# Part of the money went back but the body lists no refund: the full amount would be VAT on
# money the shop did not keep, and what was kept is not known.
PARTLY_REFUNDED_UNLISTED = ("order is partly refunded but the delivery lists no refunds: what the buyer "
                            "kept is not known; replay once the shop sends its refunds")
TEST_PROBLEM = "Shopify test notification (fixed sample order); not invoiced"
# "Send test notification" posts a fixed fake order. Its id 820982911946154508 exceeds 2^53,
# and samples that passed through JavaScript show it rounded to …500.
TEST_ORDER_IDS = frozenset({"820982911946154508", "820982911946154500"})


def _h(*names: str) -> tuple[str, ...]:
    return tuple(n for name in names for n in (f"x-shopify-{name}", f"shopify-{name}"))


HMAC_HEADERS = _h("hmac-sha256")
TOPIC_HEADERS = _h("topic")
EVENT_ID_HEADERS = _h("event-id")
WEBHOOK_ID_HEADERS = _h("webhook-id")


class ShopifyAdapter:
    name = "shopify"

    def verify(
        self,
        headers: Mapping[str, str],
        body: bytes,
        secrets: Sequence[str],
        now: datetime | None = None,
    ) -> None:
        given = first_header(lower_headers(headers), *HMAC_HEADERS)
        if given is None:
            raise SignatureError("missing X-Shopify-Hmac-Sha256 header")
        if not secrets:
            raise SignatureError("no webhook secret is configured for this store")
        expected = [hmac_sha256_b64(secret.encode("utf-8"), body) for secret in secrets]
        if not signature_matches(given, expected):
            raise SignatureError("X-Shopify-Hmac-Sha256 does not match the body")

    def parse(
        self, headers: Mapping[str, str], body: bytes, store_id: str, rules: BuyerRules = DEFAULT_RULES
    ) -> ParsedDelivery:
        h = lower_headers(headers)
        data = load_json_object(body)
        topic = first_header(h, *TOPIC_HEADERS)
        if topic is None:
            raise MalformedPayload("missing X-Shopify-Topic header")
        topic = topic.lower()
        if topic.startswith("refunds/"):
            return self._refund(h, topic, unwrap(data, "refund"))

        if not topic.startswith("orders/"):
            return ParsedDelivery(
                kind=EventKind.OTHER,
                event_key=_event_key(
                    h, topic, f"{id_text(data.get('id'))}:{text(data.get('updated_at'))}"
                ),
                topic=topic,
                order_id=None,
                order_name=None,
                invoiceable=False,
                order=None,
                problem=f"topic {topic} is not handled; event stored",
            )

        payload = unwrap(data, "order")
        order_id = order_id_of(payload.get("id"))
        if order_id is None:
            raise MalformedPayload(f"{topic} body has no order id")
        key = _event_key(h, topic, f"{order_id}:{text(payload.get('updated_at'))}")
        order_name = text(payload.get("name")) or None

        def delivery(
            kind: EventKind, order: Order | None, problem: str | None, invoiceable: bool = False,
            awaiting: bool = False,
        ) -> ParsedDelivery:
            return ParsedDelivery(
                kind=kind,
                event_key=key,
                topic=topic,
                order_id=order_id,
                order_name=order_name,
                invoiceable=invoiceable,
                order=order,
                problem=problem,
                awaiting_payment=awaiting,
                refunds=refunds,
            )

        refunds: tuple[Any, ...] = ()
        if _is_test(h, order_id):
            sample = build_order(payload, store_id, rules)[0] if topic in HANDLED_TOPICS else None
            return delivery(EventKind.TEST, sample, TEST_PROBLEM)
        if topic not in HANDLED_TOPICS:
            return delivery(EventKind.OTHER, None, f"topic {topic} is not handled; event stored")
        order, problem = build_order(payload, store_id, rules)
        refunds = build_refunds(payload)
        if topic == "orders/cancelled" or payload.get("cancelled_at"):
            return dataclasses.replace(delivery(EventKind.ORDER, order, CANCELLED), cancelled=True)
        financial = text(payload.get("financial_status")).lower()
        if financial == "refunded":
            # Everything paid was given back: nothing was kept, so nothing is invoiced (and
            # an invoice already made is undone like a cancel's).
            return dataclasses.replace(delivery(EventKind.ORDER, order, FULLY_REFUNDED), cancelled=True)
        if order is None:
            # A paid order we cannot turn into an invoice (e.g. a company without a VKN):
            # due for invoicing, so ingest parks it in needs_attention with the reason.
            return delivery(EventKind.ORDER, None, problem, invoiceable=is_paid(payload))
        if not is_paid(payload):
            status = text(payload.get("financial_status")) or "missing"
            return delivery(
                EventKind.ORDER, order, f"order is not paid yet (financial_status {status})",
                awaiting=awaits_payment(payload),
            )
        # Due for a sale invoice; if the order needs an operator first (foreign currency, a
        # 0 % line without exemption code…), the job waits in needs_attention with this reason.
        # The order as sold must add up (a shop's total stays what was sold, refunds or
        # not); a partly refunded one carries its refunds, and ingest invoices what was kept.
        issues = blocking_problems(order)
        if financial == "partially_refunded" and not refunds:
            issues.append(PARTLY_REFUNDED_UNLISTED)
        return delivery(EventKind.ORDER, order, "; ".join(issues) or None, invoiceable=True)

    def _refund(self, h: Mapping[str, str], topic: str, refund: dict[str, Any]) -> ParsedDelivery:
        order_id = id_text(refund.get("order_id"))
        refund_id = id_text(refund.get("id"))
        if order_id is None and refund_id is None:
            raise MalformedPayload(f"{topic} body has neither an id nor an order_id")
        usable = topic == "refunds/create" and order_id is not None and refund_id is not None
        return ParsedDelivery(
            kind=EventKind.REFUND if usable else EventKind.OTHER,
            event_key=_event_key(h, topic, f"{order_id}:{refund_id}"),
            topic=topic,
            order_id=order_id,
            order_name=None,
            invoiceable=False,
            order=None,
            problem=None if usable else (f"topic {topic} is not handled; event stored" if topic != "refunds/create"
                                         else "refund body names no order (or has no id); event stored"),
            refund=build_refund(refund) if usable else None,
        )

    def order_from_resource(
        self, payload: dict[str, Any], store_id: str, rules: BuyerRules = DEFAULT_RULES
    ) -> tuple[Order | None, str | None]:
        """(order, None), or (None, why): invoicing problems stay on the order itself."""
        return build_order(unwrap(payload, "order"), store_id, rules)

    def is_paid(self, payload: dict[str, Any]) -> bool:
        return is_paid(unwrap(payload, "order"))

    def awaits_payment(self, payload: dict[str, Any]) -> bool:
        return awaits_payment(unwrap(payload, "order"))

    def updated_at_text(self, payload: dict[str, Any]) -> str:
        return text(unwrap(payload, "order").get("updated_at"))

    def order_name_of(self, payload: dict[str, Any], order_id: str) -> str:
        return text(unwrap(payload, "order").get("name")) or order_id

    def cancel_reason(self, payload: dict[str, Any]) -> str | None:
        p = unwrap(payload, "order")
        if p.get("cancelled_at"):
            return CANCELLED
        if text(p.get("financial_status")).lower() == "refunded":
            return FULLY_REFUNDED
        return None

    def not_invoiceable_reason(self, payload: dict[str, Any]) -> str | None:
        undone = self.cancel_reason(payload)
        if undone is not None:
            return undone
        return None if self.is_paid(payload) else "order is not paid"

    def refunds_of(self, payload: dict[str, Any]) -> tuple[tuple[Refund, ...], tuple[str, ...]]:
        return build_refunds(unwrap(payload, "order")), ()

    def complete_refunds(self, parsed: ParsedDelivery, lister: Any) -> ParsedDelivery:
        return parsed  # a Shopify order and a refunds/create body carry their refunds whole

    def replay_headers(self) -> dict[str, str]:
        return {"X-Shopify-Topic": "orders/updated"}


def _event_key(h: Mapping[str, str], topic: str, fallback: str) -> str:
    # Event-Id is shared by all deliveries of one merchant action, Webhook-Id by the
    # retries of one delivery. The topic is part of the key so that two topics fired by
    # one action (orders/create and orders/paid) are never taken for duplicates.
    event_id = first_header(h, *EVENT_ID_HEADERS)
    if event_id:
        return f"{topic}:event:{event_id}"
    webhook_id = first_header(h, *WEBHOOK_ID_HEADERS)
    if webhook_id:
        return f"{topic}:webhook:{webhook_id}"
    return f"{topic}:{fallback}"


def _is_test(h: Mapping[str, str], order_id: str) -> bool:
    flag = first_header(h, *_h("test"))
    return order_id in TEST_ORDER_IDS or (flag or "").lower() == "true"
