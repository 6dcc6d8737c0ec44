"""From an order's shop prices to invoice amounts that add up to what the customer paid.

The rule, per VAT rate (a "VAT group"), so that every rate's total is exact as well as the
grand total:

* VAT-inclusive shop prices: the group's gross G is the sum of its lines' paid amounts
  (quantity × unit price − discount, each rounded to kuruş). VAT V = round(G × r / (1 + r))
  half-up and net N = G − V — the tax is the rounded figure, as shops (Shopify) and
  Turkish practice compute KDV out of a KDV-inclusive price. N is spread over the group's
  lines by largest remainder and each line's VAT is its gross minus its net, so lines,
  groups and the grand total all agree.
  When the shop reported the VAT it charged for the rate (its tax lines), V is that figure
  instead: a shop that rounds per item (200 × 0.07 at 20 %: 200 × 0.01 = 2.00, not
  round(14.00 × 20 / 120) = 2.33) is invoiced the tax it charged.
* VAT-exclusive shop prices: N is the sum of the line nets; V is the VAT the shop reported
  for the rate (shops round tax their own way), else round(N × r). V is spread over the
  lines by largest remainder.

Tax parity (``vat_parity_problems``): a reported V must be the rate's tax, within what
rounding can explain — half a kuruş per item of the group (a line of quantity q counts
max(1, ⌈q⌉)): a shop that rounds each item's tax errs by at most that on each, one that
rounds per line or per group by less. Outside that, the rate and the tax contradict each
other (a 20 % line whose shop tax is 0.00) and the order stops for an operator with both
figures: never an invoice with tax the shop did not charge, nor without tax it did.

Example (inclusive, 20 %): two lines of 99.99 and 0.01 paid → G = 100.00,
V = round(100.00 × 20 / 120) = round(16.6667) = 16.67, N = 83.33; net split 83.32 / 0.01
by largest remainder, line VAT 16.67 / 0.00. Invoice total 100.00 = paid. A half-kuruş tie
(G = 39.99: V = 6.665) rounds the VAT up: V = 6.67, N = 33.32.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sync_engine.domain.models import InvoiceLine, Order
from sync_engine.domain.money import ZERO, allocate, round_kurus

HUNDRED = Decimal(100)
UNIT_PRICE_PLACES = Decimal("0.00000001")  # providers accept more places on unit prices


@dataclass(frozen=True)
class ComputedLine:
    line: InvoiceLine
    gross_before_discount: Decimal  # quantity × unit price in the shop's basis, kuruş
    net_amount: Decimal  # after discount, excluding VAT (UBL LineExtensionAmount)
    vat_amount: Decimal
    discount_net: Decimal  # the discount expressed net of VAT

    @property
    def gross_amount(self) -> Decimal:
        return self.net_amount + self.vat_amount

    @property
    def vat_rate(self) -> Decimal:
        return self.line.vat_rate

    @property
    def quantity(self) -> Decimal:
        return self.line.quantity

    @property
    def unit_price_net(self) -> Decimal:
        """Net unit price before discount; quantity × this ≈ net + discount (8 places)."""
        return ((self.net_amount + self.discount_net) / self.line.quantity).quantize(
            UNIT_PRICE_PLACES
        )

    @property
    def discount_gross(self) -> Decimal:
        return round_kurus(self.discount_net * (HUNDRED + self.vat_rate) / HUNDRED)


@dataclass(frozen=True)
class VatGroup:
    rate: Decimal
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


@dataclass(frozen=True)
class ComputedInvoice:
    lines: tuple[ComputedLine, ...]
    groups: tuple[VatGroup, ...]
    paid_total: Decimal

    @property
    def net_total(self) -> Decimal:
        return sum((g.net for g in self.groups), ZERO)

    @property
    def vat_total(self) -> Decimal:
        return sum((g.vat for g in self.groups), ZERO)

    @property
    def grand_total(self) -> Decimal:
        return self.net_total + self.vat_total

    @property
    def discount_total_net(self) -> Decimal:
        return sum((cl.discount_net for cl in self.lines), ZERO)

    @property
    def difference(self) -> Decimal:
        """paid − invoiced; zero for a consistent order."""
        return self.paid_total - self.grand_total


def _line_amount(line: InvoiceLine) -> tuple[Decimal, Decimal]:
    """(amount before discount, amount after discount) in the shop's basis, kuruş."""
    before = round_kurus(line.quantity * line.unit_price)
    after = before - line.discount
    if after < 0:
        raise ValueError(f"line {line.name!r}: discount {line.discount} exceeds {before}")
    return before, after


def compute_invoice(order: Order) -> ComputedInvoice:
    by_rate: OrderedDict[Decimal, list[int]] = OrderedDict()
    for i, line in enumerate(order.lines):
        by_rate.setdefault(line.vat_rate, []).append(i)

    amounts = [_line_amount(line) for line in order.lines]
    nets: list[Decimal] = [ZERO] * len(order.lines)
    vats: list[Decimal] = [ZERO] * len(order.lines)
    groups: list[VatGroup] = []

    for rate, idx in by_rate.items():
        paid = [amounts[i][1] for i in idx]
        if order.prices_include_vat:
            gross = sum(paid, ZERO)
            vat = order.reported_vat.get(rate)
            if vat is None:
                vat = round_kurus(gross * rate / (HUNDRED + rate))
            net = gross - vat
            for i, part in zip(idx, allocate(net, paid), strict=True):
                nets[i] = part
                vats[i] = amounts[i][1] - part
        else:
            net = sum(paid, ZERO)
            vat = order.reported_vat.get(rate)
            if vat is None:
                vat = round_kurus(net * rate / HUNDRED)
            for i, part in zip(idx, allocate(vat, paid), strict=True):
                nets[i] = amounts[i][1]
                vats[i] = part
        groups.append(VatGroup(rate=rate, net=net, vat=vat))

    lines: list[ComputedLine] = []
    for i, line in enumerate(order.lines):
        before, _after = amounts[i]
        if order.prices_include_vat:
            before_net = round_kurus(before * HUNDRED / (HUNDRED + line.vat_rate))
            discount_net = max(before_net - nets[i], ZERO) if line.discount else ZERO
        else:
            discount_net = line.discount
        lines.append(
            ComputedLine(
                line=line,
                gross_before_discount=before,
                net_amount=nets[i],
                vat_amount=vats[i],
                discount_net=discount_net,
            )
        )
    return ComputedInvoice(lines=tuple(lines), groups=tuple(groups), paid_total=order.paid_total)


HALF_KURUS = Decimal("0.005")


def vat_parity_problems(order: Order) -> list[str]:
    """Rates whose reported VAT is not their tax within rounding (see the module docstring)."""
    problems: list[str] = []
    for rate, reported in sorted(order.reported_vat.items()):
        lines = [line for line in order.lines if line.vat_rate == rate]
        if not lines:
            continue
        paid = sum((_line_amount(line)[1] for line in lines), ZERO)
        exact = paid * rate / (HUNDRED + rate) if order.prices_include_vat else paid * rate / HUNDRED
        allowed = HALF_KURUS * sum(max(1, math.ceil(line.quantity)) for line in lines)
        if abs(reported - exact) > allowed:
            basis = "included in" if order.prices_include_vat else "on"
            problems.append(
                f"VAT at {rate}%: the shop charged {reported} {order.currency}, but {rate}% {basis} "
                f"{paid} is {round_kurus(exact)} (rounding explains at most {allowed}); the rate or "
                "the shop's tax is wrong"
            )
    return problems


# GİB dates an invoice in Türkiye's own time: an order paid at 01:30 in İstanbul (22:30 UTC
# the day before, as WooCommerce's date_created_gmt gives it) is invoiced on the İstanbul day.
TURKIYE = ZoneInfo("Europe/Istanbul")


def invoice_date(created_at: datetime) -> date:
    """The invoice's issue date for an order created at ``created_at`` (any offset)."""
    return created_at.astimezone(TURKIYE).date()
