"""How FaturaEntegratör computes an invoice's amounts from its lines (assumed).

The provider receives only net unit prices and computes everything else itself. Assumption
(typical of Laravel invoicing apps and of GİB's UBL, where every line carries its own VAT):
each line is rounded on its own, half-up to kuruş, and the totals are sums of the rounded
lines::

    line net  = round(quantity × unit_price) − discount_amount
    line VAT  = round(line net × vat_rate / 100)
    line total = line net + line VAT

So VAT is rounded per line, not per rate: a client cannot always hit a given gross total
(sync-engine's adapter works around it and reports what remains).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

KURUS = Decimal("0.01")


def _round(value: Decimal) -> Decimal:
    return value.quantize(KURUS, rounding=ROUND_HALF_UP)


class LineAmounts(NamedTuple):
    net: Decimal
    vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.net + self.vat


def line_amounts(quantity: Decimal, unit_price: Decimal, discount: Decimal, vat_rate: Decimal) -> LineAmounts:
    net = _round(quantity * unit_price) - discount
    return LineAmounts(net, _round(net * vat_rate / 100))


def invoice_totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-line amounts, per-rate sums and totals, as the invoice resource shows them."""
    rendered: list[dict[str, Any]] = []
    by_rate: dict[Decimal, list[Decimal]] = {}
    discount_total = Decimal("0.00")
    for line in lines:
        amounts = line_amounts(line["quantity"], line["unit_price"], line["discount_amount"], line["vat_rate"])
        rendered.append(
            {
                **line,
                "net_amount": amounts.net,
                "vat_amount": amounts.vat,
                "total_amount": amounts.total,
            }
        )
        sums = by_rate.setdefault(line["vat_rate"], [Decimal("0.00"), Decimal("0.00")])
        sums[0] += amounts.net
        sums[1] += amounts.vat
        discount_total += line["discount_amount"]
    net_total = sum((s[0] for s in by_rate.values()), Decimal("0.00"))
    vat_total = sum((s[1] for s in by_rate.values()), Decimal("0.00"))
    return {
        "lines": rendered,
        "vat_totals": [
            {"vat_rate": rate, "net_amount": s[0], "vat_amount": s[1]} for rate, s in sorted(by_rate.items())
        ],
        "discount_total": discount_total,
        "net_total": net_total,
        "vat_total": vat_total,
        "grand_total": net_total + vat_total,
    }
