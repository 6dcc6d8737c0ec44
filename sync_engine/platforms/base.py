"""The shop side of ingest: one adapter per platform turns a raw webhook delivery into an Order.

The web layer calls, in this order and for every delivery:

1. ``verify(headers, body, secrets)``: raises ``SignatureError`` (→ 401, nothing stored).
   It checks the raw bytes *before* any JSON parsing: both Shopify and WooCommerce sign the
   exact bytes they sent, and any re-serialisation would break the HMAC.
2. ``parse(headers, body, store_id)``: raises ``MalformedPayload`` (→ 400) only when the body
   is not a JSON object the platform could have sent at all. Anything else that stops an
   invoice — unpaid, cancelled, a company without VKN, a non-TRY currency — comes back as a
   ``ParsedDelivery`` with ``invoiceable=False`` and a ``problem`` for operators (→ 202 and
   stored), because a 4xx makes the shop retry and at last drop the subscription.

Reconciliation uses ``order_from_resource`` and ``is_paid`` on orders pulled from the shop's
REST API, which have the same shape as webhook bodies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sync_engine.domain import Order
from sync_engine.domain.refunds import Refund
from sync_engine.platforms.identity import DEFAULT_RULES, BuyerRules


class SignatureError(Exception):
    """The delivery is not proven to come from the shop: answer 401 and store nothing."""


class MalformedPayload(Exception):
    """The body cannot be what the platform sends (not JSON, not an object, no id): 400."""


class EventKind(StrEnum):
    ORDER = "order"  # an order body (created / paid / updated / cancelled)
    PING = "ping"  # WooCommerce's unsigned "webhook saved" request
    TEST = "test"  # Shopify's "send test notification" fixed sample order
    REFUND = "refund"  # a refund of an order (Shopify refunds/create, a WooCommerce refund object)
    OTHER = "other"  # topics we store but do not act on


@dataclass(frozen=True)
class ParsedDelivery:
    """What a delivery means for invoicing.

    * ``invoiceable`` and no ``problem``: a sale invoice job can run now.
    * ``invoiceable`` with a ``problem``: the order is due for a sale invoice but needs an
      operator first (a foreign currency, a 0 % line without exemption code, lines that do
      not add up to the paid total): the job goes to needs_attention with that reason.
    * ``order is None`` with an ``order_id`` (kind ORDER): the order cannot be built (a
      company without a valid VKN); ``problem`` says why, for a needs_attention job.
    * not ``invoiceable`` with an ``order``: nothing to do yet (unpaid, cancelled). With
      ``awaiting_payment`` the order waits for a bank transfer (havale / EFT): a store with
      ``proforma_for_pending`` sends the buyer a proforma to pay against.
    * kind REFUND: ``refund`` is the refund (``order`` None); ingest applies it to the
      order's sale job (before the GİB send) or opens a return job (after it).
    * an ORDER delivery carries the order as the shop lists it (all lines, as sold) and its
      ``refunds``; ingest invoices what was kept. ``refunds_unfetched``: the shop listed
      refunds only by id (WooCommerce's ``refunds[]`` summaries); their lines must be fetched
      from the shop's API before the order can be invoiced.
    * kinds PING, TEST and OTHER never invoice.
    """

    kind: EventKind
    event_key: str  # dedupe key, unique per store + platform
    topic: str | None
    order_id: str | None  # platform order id as text (Shopify ids exceed 2^53)
    order_name: str | None  # e.g. "#1001"
    invoiceable: bool  # True only for a paid order that is due for a sale invoice now
    order: Order | None  # None when the payload cannot become an Order
    problem: str | None  # why not (yet) invoiceable / why order is None, for operators
    awaiting_payment: bool = False  # unpaid, not cancelled, the buyer pays by transfer later
    cancelled: bool = False  # the shop cancelled (or deleted) the order
    refund: Refund | None = None  # kind REFUND
    refunds: tuple[Refund, ...] = ()  # the order's refunds, as far as the delivery shows them
    refunds_unfetched: tuple[str, ...] = ()  # ids of refunds whose lines are still to be fetched
    refunds_error: str | None = None  # why they could not be fetched


class PlatformAdapter(Protocol):
    name: str

    def verify(
        self,
        headers: Mapping[str, str],
        body: bytes,
        secrets: Sequence[str],
        now: datetime | None = None,
    ) -> None:
        """Raise ``SignatureError`` unless one of ``secrets`` signed ``body``."""
        ...

    def parse(
        self, headers: Mapping[str, str], body: bytes, store_id: str, rules: BuyerRules = DEFAULT_RULES
    ) -> ParsedDelivery:
        """Classify a verified delivery and normalise its order; raise ``MalformedPayload``.
        ``rules``: the store's buyer-identity rules (where its shop keeps the TCKN / VKN,
        what an invalid one becomes); the generic platform's payload names them itself."""
        ...

    def order_from_resource(
        self, payload: dict[str, Any], store_id: str, rules: BuyerRules = DEFAULT_RULES
    ) -> tuple[Order | None, str | None]:
        """An order from a REST order list (reconciliation): (order, problem)."""
        ...

    def is_paid(self, payload: dict[str, Any]) -> bool:
        """Whether the platform says the customer has paid this order."""
        ...

    def awaits_payment(self, payload: dict[str, Any]) -> bool:
        """Whether the order waits for the buyer's payment (a bank transfer): not paid, not
        cancelled. Such an order gets a proforma where the store asks for one."""
        ...

    # What reconciliation needs to know of a listed order, so that it never asks which
    # platform it is looking at.

    def updated_at_text(self, payload: dict[str, Any]) -> str:
        """The shop's last-change stamp of the order, as the shop wrote it."""
        ...

    def order_name_of(self, payload: dict[str, Any], order_id: str) -> str:
        """What the merchant calls the order (e.g. "#1001")."""
        ...

    def not_invoiceable_reason(self, payload: dict[str, Any]) -> str | None:
        """Why the order needs no sale invoice now, by the rules of its webhook (None: it does)."""
        ...

    def cancel_reason(self, payload: dict[str, Any]) -> str | None:
        """Why the order is undone at the shop (cancelled, deleted, fully refunded); None if not."""
        ...

    def refunds_of(self, payload: dict[str, Any]) -> tuple[tuple[Refund, ...], tuple[str, ...]]:
        """The listed order's refunds: (those whose lines the payload carries, ids of those
        listed without lines — WooCommerce's ``refunds[]`` summaries)."""
        ...

    def complete_refunds(self, parsed: ParsedDelivery, lister: Any) -> ParsedDelivery:
        """``parsed`` with the lines of the refunds it lists by id only (``refunds_unfetched``),
        asked of the shop through ``lister`` (its Admin API client). A platform whose
        deliveries carry their refunds whole returns ``parsed`` as it is."""
        ...

    def replay_headers(self) -> dict[str, str]:
        """Headers a stored listed order carries, so that ``events replay`` parses its raw body
        as the platform's own order-update webhook."""
        ...
