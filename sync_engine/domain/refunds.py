"""A refund as sync-engine understands it: which lines, how many of them and how much money
the shop gave back, platform-neutral (Shopify ``refunds/create`` / ``order.refunds[]``,
WooCommerce ``orders/<id>/refunds``).

What a refund means for the invoices depends on when it comes (docs/lifecycle.md): before
the sale invoice is made, the invoice is for what the buyer kept; after the GİB send, a
return (İADE) invoice documents exactly what was refunded (``JobKind.RETURN``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import field_validator

from sync_engine.domain.models import _Frozen
from sync_engine.domain.money import to_decimal, to_money


class RefundLine(_Frozen):
    line_ref: str  # the order line's ``InvoiceLine.line_ref`` ("shipping" for shipping)
    quantity: Decimal  # how many of the line's units went back (shipping: 1)
    # The money given back for it, VAT included, as the shop computed it (Shopify
    # ``subtotal`` + ``total_tax``); None where the shop does not say per line.
    amount: Decimal | None = None
    tax: Decimal | None = None  # the VAT part of ``amount`` where the shop says it

    @field_validator("quantity", mode="before")
    @classmethod
    def _decimal(cls, v: object) -> Decimal:
        return to_decimal(v)

    @field_validator("amount", "tax", mode="before")
    @classmethod
    def _money(cls, v: object) -> Decimal | None:
        return None if v is None else to_money(v)


class Refund(_Frozen):
    refund_id: str  # the shop's id of the refund: the return job's key ends in it
    order_id: str
    created_at: datetime | None = None
    lines: tuple[RefundLine, ...] = ()  # goods and shipping lines given back
    # The money that went back to the buyer (the refund's transactions), VAT included.
    total: Decimal
    note: str = ""  # the shop's reason text, if any

    @field_validator("total", mode="before")
    @classmethod
    def _money(cls, v: object) -> Decimal:
        return to_money(v)


__all__ = ["Refund", "RefundLine"]
