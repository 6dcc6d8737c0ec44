"""How FaturaEntegratör computes an invoice's amounts from its lines (assumed, I).

The documents give only the inputs (FACTS §2.2: ``unit_price`` net of VAT, ``discount_type``
``amount|percentage`` + ``discount``, ``tax_rate``) and the outputs of the show answer
(``subtotal``, ``tax``, ``total``, §2.4). Assumption (I: typical of Laravel invoicing apps
and of GİB's UBL, where every line carries its own VAT): each line is rounded on its own,
half-up to kuruş, and the totals are sums of the rounded lines::

    line amount = round(quantity × unit_price)
    discount    = discount                          (amount: on the line, net of VAT)
                | round(line amount × discount / 100) (percentage)
    line net    = line amount − discount
    line VAT    = round(line net × tax_rate / 100)

So VAT is rounded per line, from the net: some grosses are unreachable with one line
(at 20 %: net 10.02 → 12.02, net 10.03 → 12.04; nothing gives 12.03).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

KURUS = Decimal("0.01")
ZERO = Decimal("0.00")


def _round(value: Decimal) -> Decimal:
    return value.quantize(KURUS, rounding=ROUND_HALF_UP)


class LineAmounts(NamedTuple):
    amount: Decimal  # quantity × unit price, before the discount
    discount: Decimal
    net: Decimal
    vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.net + self.vat


def line_amounts(
    quantity: Decimal, unit_price: Decimal, tax_rate: Decimal,
    discount_type: str | None = None, discount: Decimal | None = None,
) -> LineAmounts:
    amount = _round(quantity * unit_price)
    off = ZERO
    if discount:
        off = _round(amount * discount / 100) if discount_type == "percentage" else _round(discount)
    net = amount - off
    return LineAmounts(amount, off, net, _round(net * tax_rate / 100))


def invoice_totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-line amounts and the invoice's subtotal (net), tax and total."""
    rendered: list[dict[str, Any]] = []
    subtotal = tax = discounts = ZERO
    for line in lines:
        a = line_amounts(
            line["quantity"], line["unit_price"], line["tax_rate"], line["discount_type"], line["discount"]
        )
        rendered.append({**line, "discount_amount": a.discount, "net_amount": a.net,
                         "tax_amount": a.vat, "total_amount": a.total})
        subtotal, tax, discounts = subtotal + a.net, tax + a.vat, discounts + a.discount
    return {"lines": rendered, "discount_total": discounts, "subtotal": subtotal, "tax": tax,
            "total": subtotal + tax}
