"""What changed between two versions of an order that matter to its invoice: the total the
customer pays, the lines (what, how many, at what price and rate) and who the buyer is (an
invoice names its buyer). Addresses, e-mails and phones are the cari's business. The text
goes to logs and the job view: a buyer is shown by name, the tax id masked."""

from __future__ import annotations

from decimal import Decimal

from sync_engine.domain.models import Buyer, InvoiceLine, Order
from sync_engine.domain.tax_ids import mask


def _line_key(line: InvoiceLine) -> tuple[str, str, Decimal, Decimal, Decimal, Decimal]:
    return (line.sku, line.name, line.quantity, line.unit_price, line.vat_rate, line.discount)


def _buyer_identity(buyer: Buyer) -> tuple[str, str, str]:
    return (buyer.kind.value, buyer.tax_id, buyer.display_name.strip())


def _buyer_text(buyer: Buyer) -> str:
    return f"{buyer.display_name.strip() or '(no name)'} ({mask(buyer.tax_id)})"


def order_difference(before: Order, after: Order) -> str | None:
    """A short text of what changed for the invoice, or None when nothing did."""
    parts: list[str] = []
    if before.paid_total != after.paid_total:
        delta = after.paid_total - before.paid_total
        parts.append(f"total {before.paid_total} → {after.paid_total} {after.currency} ({delta:+})")
    old, new = sorted(map(_line_key, before.lines)), sorted(map(_line_key, after.lines))
    if old != new:
        parts.append(f"lines {len(old)} → {len(new)} ({sum(1 for k in new if k not in old)} new or changed)")
    if _buyer_identity(before.buyer) != _buyer_identity(after.buyer):
        parts.append(f"buyer {_buyer_text(before.buyer)} → {_buyer_text(after.buyer)}")
    return "; ".join(parts) or None
