"""Generic webhooks: Standard Webhooks signatures (standardwebhooks.com) over our own order JSON.

Headers: ``webhook-id`` (the dedupe key), ``webhook-timestamp`` (unix seconds) and
``webhook-signature``: space-separated ``v1,<base64>`` entries, any one of which may match
(senders list several while rotating secrets). The signed content is
``"{webhook-id}.{webhook-timestamp}.{raw body}"``, HMAC-SHA256 keyed with the base64-decoded
part of a ``whsec_…`` secret (a secret without that prefix is used as its UTF-8 bytes).
A timestamp more than five minutes from now is refused, so a captured delivery cannot be
replayed later.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from sync_engine.domain import Order
from sync_engine.domain.refunds import Refund
from sync_engine.platforms._util import (
    blocking_problems,
    describe,
    first_header,
    hmac_sha256_b64,
    load_json_object,
    lower_headers,
    signature_matches,
)
from sync_engine.platforms.base import (
    EventKind,
    MalformedPayload,
    ParsedDelivery,
    SignatureError,
)
from sync_engine.platforms.identity import DEFAULT_RULES, BuyerRules
from sync_engine.platforms.generic_schema import GenericOrderPayload, to_order

TOLERANCE_S = 5 * 60
SECRET_PREFIX = "whsec_"


def secret_key(secret: str) -> bytes:
    """The HMAC key for a configured secret; ValueError when a whsec_ secret is not base64."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("a whsec_ secret must be base64 after the prefix") from exc
    return secret.encode("utf-8")


def sign(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The ``webhook-signature`` header value a sender computes (also used by tests/sandbox)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + hmac_sha256_b64(secret_key(secret), signed)


class GenericAdapter:
    name = "generic"

    def verify(
        self,
        headers: Mapping[str, str],
        body: bytes,
        secrets: Sequence[str],
        now: datetime | None = None,
    ) -> None:
        h = lower_headers(headers)
        msg_id = first_header(h, "webhook-id")
        timestamp = first_header(h, "webhook-timestamp")
        signatures = first_header(h, "webhook-signature")
        if msg_id is None or timestamp is None or signatures is None:
            raise SignatureError(
                "missing webhook-id, webhook-timestamp or webhook-signature header"
            )
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise SignatureError("webhook-timestamp is not unix seconds") from None
        current = now or datetime.now(UTC)
        if current.tzinfo is None:
            current = current.replace(tzinfo=UTC)
        if abs(current.timestamp() - sent_at) > TOLERANCE_S:
            raise SignatureError("webhook-timestamp is more than 5 minutes from now")
        if not secrets:
            raise SignatureError("no webhook secret is configured for this store")

        signed = f"{msg_id}.{timestamp}.".encode() + body
        expected: list[str] = []
        unusable = 0
        for secret in secrets:
            try:
                expected.append(hmac_sha256_b64(secret_key(secret), signed))
            except ValueError:
                unusable += 1
        given = [
            entry[3:] for entry in signatures.split() if entry.startswith("v1,") and len(entry) > 3
        ]
        if not any(signature_matches(g, expected) for g in given):
            note = f" ({unusable} configured secret(s) are not valid whsec_ base64)"
            raise SignatureError(
                f"webhook-signature does not match the body{note if unusable else ''}"
            )

    def parse(
        self, headers: Mapping[str, str], body: bytes, store_id: str, rules: BuyerRules = DEFAULT_RULES
    ) -> ParsedDelivery:
        msg_id = first_header(lower_headers(headers), "webhook-id")
        if msg_id is None:
            raise MalformedPayload("missing webhook-id header")
        data = load_json_object(body)
        try:
            payload = GenericOrderPayload.model_validate(data)
        except ValidationError as exc:
            raise MalformedPayload(
                f"body does not match the generic order schema: {describe(exc)}"
            ) from exc
        order, problem = to_order(payload, store_id)

        def delivery(problem: str | None, invoiceable: bool = False) -> ParsedDelivery:
            return ParsedDelivery(
                kind=EventKind.ORDER,
                event_key=msg_id,
                topic=None,
                order_id=payload.order_id,
                order_name=payload.order_name,
                invoiceable=invoiceable,
                order=order,
                problem=problem,
                # The generic schema has no cancelled state: an unpaid order awaits payment.
                awaiting_payment=order is not None and not payload.paid,
            )

        if order is None:
            # A paid order we cannot turn into an invoice (an invalid TCKN, a company without
            # a tax office…): due for invoicing, so ingest parks it in needs_attention with the
            # reason, as for Shopify and WooCommerce (docs/generic-webhook.md).
            return delivery(problem, invoiceable=payload.paid)
        if not payload.paid:
            return delivery("order is not paid yet (paid is false)")
        # Due for a sale invoice; if the order needs an operator first, the job waits in
        # needs_attention with this reason.
        return delivery("; ".join(blocking_problems(order)) or None, invoiceable=True)

    def order_from_resource(
        self, payload: dict[str, Any], store_id: str, rules: BuyerRules = DEFAULT_RULES
    ) -> tuple[Order | None, str | None]:
        try:
            parsed = GenericOrderPayload.model_validate(payload)
        except ValidationError as exc:
            return None, f"order does not match the generic order schema: {describe(exc)}"
        return to_order(parsed, store_id)

    def is_paid(self, payload: dict[str, Any]) -> bool:
        return payload.get("paid") is True

    def awaits_payment(self, payload: dict[str, Any]) -> bool:
        return payload.get("paid") is False

    # The generic platform has no order list to reconcile against; these answer for a
    # payload of its own schema all the same.

    def updated_at_text(self, payload: dict[str, Any]) -> str:
        return str(payload.get("updated_at") or payload.get("created_at") or "")

    def order_name_of(self, payload: dict[str, Any], order_id: str) -> str:
        return str(payload.get("order_name") or order_id)

    def cancel_reason(self, payload: dict[str, Any]) -> str | None:
        return None

    def not_invoiceable_reason(self, payload: dict[str, Any]) -> str | None:
        return None if self.is_paid(payload) else "order is not paid"

    def refunds_of(self, payload: dict[str, Any]) -> tuple[tuple[Refund, ...], tuple[str, ...]]:
        return (), ()  # the generic schema has no refunds

    def complete_refunds(self, parsed: ParsedDelivery, lister: Any) -> ParsedDelivery:
        return parsed

    def replay_headers(self) -> dict[str, str]:
        return {}
