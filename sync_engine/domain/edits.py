"""What changed between two versions of an order that matter to its invoice: the total the
customer pays and the lines (what, how many, at what price and rate). Names of buyers and
addresses are the cari's business, not the invoice's amounts."""

from __future__ import annotations

from decimal import Decimal

from sync_engine.domain.models import InvoiceLine, Order


def _line_key(line: InvoiceLine) -> tuple[str, str, Decimal, Decimal, Decimal, Decimal]:
    return (line.sku, line.name, line.quantity, line.unit_price, line.vat_rate, line.discount)


def order_difference(before: Order, after: Order) -> str | None:
    """A short text of what changed for the invoice, or None when nothing did."""
    parts: list[str] = []
    if before.paid_total != after.paid_total:
        delta = after.paid_total - before.paid_total
        parts.append(f"total {before.paid_total} → {after.paid_total} {after.currency} ({delta:+})")
    old, new = sorted(map(_line_key, before.lines)), sorted(map(_line_key, after.lines))
    if old != new:
        parts.append(f"lines {len(old)} → {len(new)} ({sum(1 for k in new if k not in old)} new or changed)")
    return "; ".join(parts) or None
