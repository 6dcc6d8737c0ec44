"""Builders of return (İADE) invoice requests for the provider suites.

A return job's request carries an order holding exactly what the refund gave back (its
lines, shipping and paid total: the refunded amount) and the return job's own idempotency key
(``base.create_return_invoice``); the pipeline builds it, these tests build it directly.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sync_engine.domain import InvoiceLine, Order, round_kurus
from sync_engine.domain.keys import return_key
from sync_engine.providers.base import InvoiceRequest, InvoiceSettings
from tests.support.providers import sale_request

__all__ = ["refunded", "return_request"]


def refunded(line: InvoiceLine, quantity: Decimal) -> InvoiceLine:
    """``quantity`` units of ``line`` given back, with their share of its discount."""
    share = round_kurus(line.discount * quantity / line.quantity)
    return line.model_copy(update={"quantity": quantity, "discount": share})


def return_request(
    sale: Order, lines: tuple[InvoiceLine, ...], settings: InvoiceSettings, issue_date: date,
    *, refund_id: str = "r1", paid: Decimal | None = None,
) -> InvoiceRequest:
    """The return job's request for ``lines`` of ``sale`` (paid: what went back)."""
    if paid is None:
        paid = sum((round_kurus(ln.quantity * ln.unit_price) - ln.discount for ln in lines), Decimal(0))
    order = sale.model_copy(update={"lines": lines, "paid_total": paid})
    return sale_request(order, settings, issue_date, key=return_key(sale.store_id, sale.order_id, refund_id))
