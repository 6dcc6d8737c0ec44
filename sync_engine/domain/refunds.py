"""A refund as sync-engine understands it: which lines, how many of them and how much money
the shop gave back, platform-neutral (Shopify ``refunds/create`` / ``order.refunds[]``,
WooCommerce ``orders/<id>/refunds``).

What a refund means for the invoices depends on when it comes (docs/lifecycle.md): before
the sale invoice is made, the invoice is for what the buyer kept; after the GİB send, a
return (İADE) invoice documents exactly what was refunded (``JobKind.RETURN``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from pydantic import field_validator

from sync_engine.domain.invoice import compute_invoice
from sync_engine.domain.models import InvoiceLine, LineKind, Order, _Frozen
from sync_engine.domain.money import ZERO, round_kurus, to_decimal, to_money

# The line_ref of every shipping line, in orders and in refunds: shops refund "the shipping"
# (Shopify refund_shipping_lines, WooCommerce refund shipping_lines), and one order has one.
SHIPPING_REF = "shipping"


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
    # Money the shop itself says its lines and shipping do not explain (Shopify
    # ``order_adjustments`` kind ``refund_discrepancy``); None where it says nothing.
    discrepancy: Decimal | None = None

    @field_validator("total", mode="before")
    @classmethod
    def _money(cls, v: object) -> Decimal:
        return to_money(v)

    @field_validator("discrepancy", mode="before")
    @classmethod
    def _optional_money(cls, v: object) -> Decimal | None:
        return None if v is None else to_money(v)


class RefundProblem(ValueError):
    """A refund that cannot be turned into invoice figures automatically. The message names
    the figures that disagree; ingest puts it on the job (needs_attention) for an operator."""


def kept_order(order: Order, refunds: Iterable[Refund]) -> Order | None:
    """What the buyer kept of ``order`` after ``refunds`` (those not yet taken off it, by
    ``Order.refund_ids``): refunded quantities off their lines (a line refunded in full goes),
    refunded shipping off the shipping line, ``paid_total`` less the money given back and
    ``reported_vat`` less the refunds' tax per rate. None: nothing was kept.

    Raises ``RefundProblem`` when a refund's money is not explained by its lines and shipping,
    names a line the order does not have (or more of it than is left), or when what is left
    does not add up to what the buyer kept, to the kuruş.
    """
    new = [r for r in refunds if r.refund_id not in order.refund_ids]
    if not new:
        return order
    problems = [p for r in new for p in _unexplained(r)]
    if problems:
        raise RefundProblem("; ".join(problems))
    given_back = sum((r.total for r in new), ZERO)
    paid = order.paid_total - given_back
    if paid < ZERO:
        raise RefundProblem(
            f"refunds of {given_back} {order.currency} exceed the {order.paid_total} paid for order {order.order_name}"
        )
    taken = _Taken(order)
    for refund in new:
        for rl in refund.lines:
            taken.take(refund, rl)
    if taken.problems:
        raise RefundProblem("; ".join(taken.problems))
    if not taken.kept:
        if paid != ZERO:
            raise RefundProblem(
                f"order {order.order_name}: every line was refunded but {paid} {order.currency} of "
                f"{order.paid_total} was not given back"
            )
        return None
    kept = order.model_copy(update={
        "lines": tuple(taken.kept),
        "paid_total": paid,
        "reported_vat": taken.vat_after(order.reported_vat),
        "refund_ids": (*order.refund_ids, *(r.refund_id for r in new)),
    })
    _check_total(kept, f"what the buyer kept of order {order.order_name}", "paid less refunded")
    return kept


def return_order(sale_order: Order, refund: Refund) -> Order:
    """The order of the return (İADE) invoice for ``refund`` of the invoiced ``sale_order``:
    exactly the refunded lines, the refunded quantities at the sale's unit price with their
    share of the line discount, the refunded shipping; ``paid_total`` is the refund's total and
    ``reported_vat`` the refund's tax per rate where the shop gave it for every line of the
    rate. Same buyer and payment; dated by the refund. Raises ``RefundProblem`` when its
    invoice would not come to the refund's total to the kuruş."""
    problems = _unexplained(refund)
    if problems:
        raise RefundProblem("; ".join(problems))
    taken = _Taken(sale_order)
    for rl in refund.lines:
        taken.take(refund, rl)
    if taken.problems:
        raise RefundProblem("; ".join(taken.problems))
    if not taken.returned:
        raise RefundProblem(f"refund {refund.refund_id} of order {sale_order.order_name} returns no line")
    returned = sale_order.model_copy(update={
        "order_name": f"{sale_order.order_name} İADE",
        "created_at": refund.created_at or sale_order.created_at,
        "updated_at": refund.created_at or sale_order.updated_at,
        "lines": tuple(taken.returned),
        "paid_total": refund.total,
        "reported_vat": taken.refunded_vat(),
        "refund_ids": (refund.refund_id,),
        "note": refund.note,
    })
    _check_total(returned, f"the return of refund {refund.refund_id}", "the refund's total")
    return returned


def _unexplained(refund: Refund) -> list[str]:
    """The refund's money against its own lines and shipping, where the shop gave both."""
    amounts = [rl.amount for rl in refund.lines]
    known = all(a is not None for a in amounts)
    explained = sum((a for a in amounts if a is not None), ZERO)
    if refund.discrepancy:
        lines = f"its lines and shipping come to {explained}" if known else "its lines and shipping do not explain it"
        return [f"refund {refund.refund_id} gave back {refund.total} but {lines}; the shop records a "
                f"refund discrepancy of {refund.discrepancy}"]
    if not refund.lines:
        if refund.total == ZERO:
            return []
        return [f"refund {refund.refund_id} gave back {refund.total} but names no line or shipping "
                "(an amount-only refund: what was returned is not known)"]
    if known and explained != refund.total:
        return [f"refund {refund.refund_id} gave back {refund.total} but its lines and shipping come to "
                f"{explained} (difference {refund.total - explained})"]
    return []


def _check_total(order: Order, what: str, expected: str) -> None:
    try:
        invoice = compute_invoice(order)
    except ValueError as exc:
        raise RefundProblem(f"{what}: {exc}") from exc
    if invoice.difference:
        raise RefundProblem(
            f"{what}: its lines add up to {invoice.grand_total} {order.currency} but {expected} is "
            f"{order.paid_total} (difference {invoice.difference})"
        )


class _Taken:
    """Refund lines taken off an order's lines: ``kept`` what stays, ``returned`` what went
    back (at the order's prices), ``problems`` the refund lines that do not fit the order."""

    def __init__(self, order: Order) -> None:
        self.order = order
        self.kept: list[InvoiceLine] = list(order.lines)
        self.returned: list[InvoiceLine] = []
        self.problems: list[str] = []
        self._tax: dict[Decimal, Decimal] = {}
        self._tax_unknown: set[Decimal] = set()

    def take(self, refund: Refund, rl: RefundLine) -> None:
        if rl.line_ref == SHIPPING_REF:
            self._take_shipping(refund, rl)
            return
        at = next((i for i, ln in enumerate(self.kept) if rl.line_ref and ln.line_ref == rl.line_ref), None)
        if at is None:
            self.problems.append(f"refund {refund.refund_id} names line {rl.line_ref!r}, which order "
                                 f"{self.order.order_name} does not have (or no longer has)")
            return
        line = self.kept[at]
        if rl.quantity > line.quantity:
            self.problems.append(f"refund {refund.refund_id} gives back {rl.quantity:f} of line {line.name!r} "
                                 f"but only {line.quantity:f} of it is left")
            return
        discount = self._discount_share(line, rl)
        self._note_tax(line.vat_rate, rl.tax)
        self.returned.append(line.model_copy(update={"quantity": rl.quantity, "discount": discount}))
        left = line.quantity - rl.quantity
        if left == 0:
            del self.kept[at]
        else:
            self.kept[at] = line.model_copy(update={"quantity": left, "discount": line.discount - discount})

    def _discount_share(self, line: InvoiceLine, rl: RefundLine) -> Decimal:
        """The refunded units' share of the line discount: the shop's own figure where its
        refunded amount says it (so what is kept adds up to the kuruş), else pro rata."""
        if rl.quantity == line.quantity:
            return line.discount
        gross = round_kurus(rl.quantity * line.unit_price)
        basis = self._basis(rl)
        if basis is not None and ZERO <= gross - basis <= line.discount:
            return gross - basis
        return round_kurus(line.discount * rl.quantity / line.quantity)

    def _basis(self, rl: RefundLine) -> Decimal | None:
        """The refunded money in the order's price basis (VAT-inclusive or not)."""
        if rl.amount is None:
            return None
        if self.order.prices_include_vat:
            return rl.amount
        return None if rl.tax is None else rl.amount - rl.tax

    def _take_shipping(self, refund: Refund, rl: RefundLine) -> None:
        basis = self._basis(rl)
        shipping = [i for i, ln in enumerate(self.kept) if ln.kind is LineKind.SHIPPING]
        if not shipping:
            if basis == ZERO:
                return  # free shipping "refunded": nothing to take off
            self.problems.append(f"refund {refund.refund_id} gives back shipping, which order "
                                 f"{self.order.order_name} does not charge (or no longer does)")
            return
        left_of = {i: round_kurus(self.kept[i].quantity * self.kept[i].unit_price) - self.kept[i].discount
                   for i in shipping}
        remaining = sum(left_of.values(), ZERO) if basis is None else basis
        if remaining > sum(left_of.values(), ZERO):
            self.problems.append(f"refund {refund.refund_id} gives back {remaining} of shipping but only "
                                 f"{sum(left_of.values(), ZERO)} of it is left")
            return
        for i in shipping:
            line = self.kept[i]
            part = min(left_of[i], remaining)
            if part == ZERO:
                continue
            remaining -= part
            self._note_tax(line.vat_rate, rl.tax)
            self.returned.append(line.model_copy(update={"quantity": Decimal(1), "unit_price": part, "discount": ZERO}))
            left = left_of[i] - part
            self.kept[i] = line.model_copy(update={"quantity": Decimal(1), "unit_price": left, "discount": ZERO})
        self.kept = [ln for i, ln in enumerate(self.kept) if not (i in left_of and ln.unit_price == ZERO)]

    def _note_tax(self, rate: Decimal, tax: Decimal | None) -> None:
        if tax is None:
            self._tax_unknown.add(rate)
        else:
            self._tax[rate] = self._tax.get(rate, ZERO) + tax

    def vat_after(self, reported: dict[Decimal, Decimal]) -> dict[Decimal, Decimal]:
        """The order's reported VAT less the refunded tax; a rate whose refunded tax the shop
        did not give, or that no kept line carries any more, is computed again instead."""
        rates = {ln.vat_rate for ln in self.kept}
        return {rate: vat - self._tax.get(rate, ZERO) for rate, vat in reported.items()
                if rate in rates and rate not in self._tax_unknown}

    def refunded_vat(self) -> dict[Decimal, Decimal]:
        return {rate: vat for rate, vat in self._tax.items() if rate not in self._tax_unknown}


__all__ = ["SHIPPING_REF", "Refund", "RefundLine", "RefundProblem", "kept_order", "return_order"]
