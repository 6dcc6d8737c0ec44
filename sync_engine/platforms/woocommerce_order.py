"""A WooCommerce order (wc/v3 REST representation, which is also the webhook body) → Order.

WooCommerce's REST amounts are VAT-exclusive whatever ``prices_include_tax`` says: a line's
``subtotal`` is before coupons, ``total`` after, both without tax, and the tax sits in
``total_tax`` / ``taxes[]``. So the Order is always VAT-exclusive, and the VAT per rate is the
shop's own figure (``tax_lines``), which makes the invoice add up to ``total`` exactly.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from sync_engine.domain import (
    ZERO,
    Address,
    InvoiceLine,
    LineKind,
    Order,
    Payment,
    PaymentMethod,
    allocate,
    round_kurus,
)
from sync_engine.domain.refunds import SHIPPING_REF, Refund, RefundLine
from sync_engine.platforms._util import amount, describe, id_text, parse_datetime, text, tidy
from sync_engine.platforms.identity import (
    DEFAULT_RULES,
    TR_PROVINCES,
    BuyerRules,
    IdentityFacts,
    country_name,
    fold_key,
    pick,
    postal_code,
    resolve_buyer,
)

PAID_STATUSES = frozenset({"processing", "completed"})
UNIT_PRICE_PLACES = Decimal("0.00000001")
PAYMENT_METHODS = {
    "bacs": PaymentMethod.BANK_TRANSFER,
    "cod": PaymentMethod.CASH_ON_DELIVERY,
}
# Order meta keys of the common Turkish checkout plugins, compared after fold_key (case and
# underscores do not matter); a store adds its own in [stores.buyer_fields], tried first.
# Hezarfen (intensesoftware/hezarfen-for-woocommerce): every order, with an explicit
# person / company choice.
HEZ_TYPE = "_billing_hez_invoice_type"
HEZ_TCKN = "_billing_hez_tc_number"
HEZ_VKN = "_billing_hez_tax_number"
HEZ_OFFICE = "_billing_hez_tax_office"
# Kolay Kimlik / WooKimlik (GurmeHub, gurmesoft/kolayKimlik): billing checkout fields
# billing_tc_kimlik, billing_vergiDairesi, billing_vergiNo, which WooCommerce keeps as
# "_billing_…" order meta.
TCKN_KEYS = (HEZ_TCKN, "_billing_tc_kimlik", "_billing_tckn", "_billing_tc_kimlik_no")
VKN_KEYS = (HEZ_VKN, "_billing_vergiNo", "_billing_vergi_no", "_billing_vkn")
TAX_OFFICE_KEYS = (HEZ_OFFICE, "_billing_vergiDairesi", "_billing_vergi_dairesi")
INVOICE_TYPE_KEYS = (HEZ_TYPE,)


def is_paid(p: Mapping[str, Any]) -> bool:
    status = text(p.get("status")).lower()
    return status in PAID_STATUSES or bool(text(p.get("date_paid_gmt")) or text(p.get("date_paid")))


# An order waiting for a bank transfer: WooCommerce's BACS gateway puts it on-hold (or leaves
# it pending) until the merchant sees the money.
AWAITING_STATUSES = frozenset({"on-hold", "pending"})
TRANSFER_METHODS = frozenset({"bacs"})


def awaits_payment(p: Mapping[str, Any]) -> bool:
    return (
        text(p.get("status")).lower() in AWAITING_STATUSES
        and text(p.get("payment_method")).lower() in TRANSFER_METHODS
        and not is_paid(p)
    )


def build_order(
    p: Mapping[str, Any], store_id: str, rules: BuyerRules = DEFAULT_RULES
) -> tuple[Order | None, str | None]:
    try:
        return _build(p, store_id, rules)
    except ValidationError as exc:
        return None, f"WooCommerce order could not be normalised: {describe(exc)}"
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        return None, f"WooCommerce order could not be normalised: {exc}"


@dataclass
class _Item:
    """A line, shipping or fee item before it becomes an InvoiceLine."""

    line: InvoiceLine
    rate_ids: tuple[str, ...]
    tax: Decimal  # unrounded, from taxes[].total


class _Rates:
    """rate_id → percent, from ``tax_lines[].rate_percent``.

    Older WooCommerce (before rate_percent existed) only names the rate; then the percent is
    derived from the order's own tax and base for that rate id.
    """

    def __init__(self, tax_lines: list[Mapping[str, Any]]) -> None:
        self.lines = {id_text(tl.get("rate_id")) or "": tl for tl in tax_lines}
        self._derived: dict[str, Decimal] = {}

    def derive(self, raw: list[tuple[dict[str, Decimal], Decimal]]) -> None:
        for rid, tl in self.lines.items():
            if tl.get("rate_percent") not in (None, ""):
                continue
            base = ZERO
            tax = ZERO
            for taxes, net in raw:
                for entry_id, entry_tax in taxes.items():
                    if entry_id == rid:
                        base += net
                        tax += entry_tax
            if base == ZERO:
                raise ValueError(f"tax rate {rid} has no rate_percent and no taxed amount")
            self._derived[rid] = tidy((tax * 100 / base).quantize(Decimal("0.01")))

    def percent(self, rid: str) -> Decimal:
        tl = self.lines.get(rid)
        if tl is None:
            raise ValueError(f"line tax refers to rate id {rid}, which is not in tax_lines")
        if tl.get("rate_percent") not in (None, ""):
            return tidy(amount(tl["rate_percent"]))
        return self._derived[rid]


def _taxes(item: Mapping[str, Any]) -> dict[str, Decimal]:
    """rate id → unrounded tax, for the rates actually applied ("" means not applied)."""
    found: dict[str, Decimal] = {}
    for entry in item.get("taxes") or []:
        value = entry.get("total")
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        rid = id_text(entry.get("id")) or ""
        found[rid] = found.get(rid, ZERO) + amount(value)
    return found


def _unit_price(subtotal: Decimal, quantity: Decimal) -> Decimal:
    unit = subtotal / quantity
    if unit != unit.quantize(UNIT_PRICE_PLACES):
        unit = unit.quantize(UNIT_PRICE_PLACES)
        if round_kurus(unit * quantity) != round_kurus(subtotal):
            raise ValueError(f"unit price of {subtotal} over {quantity} cannot be expressed")
    return unit


def _build(p: Mapping[str, Any], store_id: str, rules: BuyerRules) -> tuple[Order | None, str | None]:
    order_id = id_text(p.get("id"))
    if order_id is None:
        raise ValueError("order has no id")
    rates = _Rates([tl for tl in p.get("tax_lines") or [] if isinstance(tl, dict)])

    # First pass: amounts and applied tax ids, so missing rate_percent can be derived.
    raw: list[tuple[dict[str, Decimal], Decimal]] = []
    specs: list[tuple[str, str, str, Decimal, Decimal, Decimal, dict[str, Decimal], LineKind]] = []
    for item in p.get("line_items") or []:
        quantity = amount(item.get("quantity"))
        if quantity <= 0:
            continue
        total = amount(item.get("total"))
        subtotal = amount(item.get("subtotal"), total)
        if subtotal < total:  # a price raised after the cart: nothing to discount
            subtotal = total
        taxes = _taxes(item)
        raw.append((taxes, total))
        name = html.unescape(text(item.get("name"))) or "Item"
        specs.append(
            (id_text(item.get("id")) or "", text(item.get("sku")), name, quantity, subtotal,
             subtotal - total, taxes, LineKind.GOODS)
        )
    for ship in p.get("shipping_lines") or []:
        total = amount(ship.get("total"), ZERO)
        taxes = _taxes(ship)
        raw.append((taxes, total))
        if total == ZERO and amount(ship.get("total_tax"), ZERO) == ZERO:
            continue
        name = html.unescape(text(ship.get("method_title"))) or "Shipping"
        specs.append(
            (SHIPPING_REF, text(ship.get("method_id")), name, Decimal(1), total, ZERO, taxes,
             LineKind.SHIPPING)
        )
    negative_fees: list[tuple[str, Decimal, dict[str, Decimal]]] = []
    for fee in p.get("fee_lines") or []:
        total = amount(fee.get("total"), ZERO)
        taxes = _taxes(fee)
        raw.append((taxes, total))
        name = html.unescape(text(fee.get("name"))) or "Fee"
        if total < ZERO:
            negative_fees.append((name, -total, taxes))
        elif total > ZERO:
            specs.append((id_text(fee.get("id")) or "", "", name, Decimal(1), total, ZERO, taxes,
                          LineKind.SERVICE))
    rates.derive(raw)

    items: list[_Item] = []
    for ref, sku, name, quantity, subtotal, discount, taxes, kind in specs:
        rate = sum((rates.percent(rid) for rid in taxes), Decimal(0))
        line = InvoiceLine(
            line_ref=ref,
            sku=sku,
            name=name,
            quantity=quantity,
            unit_price=_unit_price(subtotal, quantity),
            vat_rate=tidy(rate),
            discount=discount,
            kind=kind,
        )
        items.append(_Item(line=line, rate_ids=tuple(taxes), tax=sum(taxes.values(), ZERO)))
    fee_taxes: list[tuple[Decimal, tuple[str, ...], Decimal]] = []
    for name, fee_amount, taxes in negative_fees:
        rate = tidy(sum((rates.percent(r) for r in taxes), Decimal(0)))
        _spread_fee(items, name, fee_amount, rate)
        fee_taxes.append((rate, tuple(taxes), sum(taxes.values(), ZERO)))

    resolved = resolve_buyer(_identity(p, rules), rules)
    if resolved.buyer is None:
        return None, resolved.problem
    buyer = resolved.buyer

    created = parse_datetime(p.get("date_created_gmt")) or parse_datetime(p.get("date_created"))
    if created is None:
        raise ValueError("order has no date_created_gmt")
    currency = text(p.get("currency")).upper()
    if not currency:
        raise ValueError("order has no currency")
    method = text(p.get("payment_method"))
    order = Order(
        store_id=store_id,
        platform="woocommerce",
        order_id=order_id,
        order_name=f"#{text(p.get('number')) or order_id}",
        created_at=created,
        updated_at=parse_datetime(p.get("date_modified_gmt")) or parse_datetime(p.get("date_modified")),
        currency=currency,
        prices_include_vat=False,
        buyer=buyer,
        identity_note=resolved.note,
        lines=tuple(i.line for i in items),
        paid_total=amount(p.get("total")),
        reported_vat=_reported_vat(items, fee_taxes, rates),
        payment=Payment(
            method=PAYMENT_METHODS.get(method.lower(), PaymentMethod.CREDIT_CARD),
            platform=text(p.get("payment_method_title")) or method,
            date=parse_datetime(p.get("date_paid_gmt")),
        ),
    )
    return order, None


def _spread_fee(items: list[_Item], name: str, fee: Decimal, rate: Decimal) -> None:
    # A negative fee is a discount (plugins add "payment method discount" this way); an
    # invoice line cannot be negative, so it lowers the goods lines of its VAT rate.
    targets = [
        i for i, it in enumerate(items)
        if it.line.kind is LineKind.GOODS and it.line.vat_rate == rate
    ]
    if not targets:
        raise ValueError(f"negative fee {name!r} has no goods line at {rate}% to reduce")
    weights = [
        round_kurus(items[i].line.quantity * items[i].line.unit_price) - items[i].line.discount
        for i in targets
    ]
    for i, share in zip(targets, allocate(round_kurus(fee), weights), strict=True):
        line = items[i].line
        items[i].line = line.model_copy(update={"discount": line.discount + share})


def _reported_vat(
    items: list[_Item],
    fee_taxes: list[tuple[Decimal, tuple[str, ...], Decimal]],
    rates: _Rates,
) -> dict[Decimal, Decimal]:
    """VAT per rate as WooCommerce charged it.

    When every item carries at most one tax rate (always so in Turkey), the per-rate figures
    are the order's ``tax_lines`` (tax_total + shipping_tax_total): WooCommerce's own
    rounding, which ``total`` is built from. Stacked or compound rates cannot be split that
    way; then each combined rate gets its items' taxes summed and rounded.
    """
    reported: dict[Decimal, Decimal] = {}
    single = all(len(it.rate_ids) <= 1 for it in items) and all(
        len(ids) <= 1 for _, ids, _ in fee_taxes
    )
    if single:
        for rid, tl in rates.lines.items():
            rate = rates.percent(rid)
            charged = amount(tl.get("tax_total"), ZERO) + amount(tl.get("shipping_tax_total"), ZERO)
            reported[rate] = reported.get(rate, ZERO) + charged
    else:
        for it in items:
            reported[it.line.vat_rate] = reported.get(it.line.vat_rate, ZERO) + it.tax
        for rate, _, tax in fee_taxes:  # a negative fee's tax is negative too
            reported[rate] = reported.get(rate, ZERO) + tax
    for it in items:
        reported.setdefault(it.line.vat_rate, ZERO)
    return {rate: round_kurus(vat) for rate, vat in reported.items()}


def _meta(p: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in p.get("meta_data") or []:
        if isinstance(entry, dict) and entry.get("key"):
            found.setdefault(fold_key(str(entry["key"])), text(entry.get("value")))
    return found


def _identity(p: Mapping[str, Any], rules: BuyerRules) -> IdentityFacts:
    billing = p.get("billing") if isinstance(p.get("billing"), dict) else {}
    meta = _meta(p)
    invoice_type = fold_key(pick(meta, rules.invoice_type_keys, INVOICE_TYPE_KEYS))
    # Hezarfen writes "person" / "company"; Turkish forms say "bireysel" / "kurumsal".
    force = {"company": True, "kurumsal": True, "person": False, "bireysel": False}.get(invoice_type)
    return IdentityFacts(
        company_name=text(billing.get("company")),
        force_company=force,
        tckn=pick(meta, rules.tckn_keys, TCKN_KEYS),
        vkn=pick(meta, rules.vkn_keys, VKN_KEYS),
        tax_office=pick(meta, rules.tax_office_keys, TAX_OFFICE_KEYS),
        first_name=text(billing.get("first_name")),
        last_name=text(billing.get("last_name")),
        email=text(billing.get("email")),
        phone=text(billing.get("phone")),
        address=_address(billing),
    )


def _address(a: Mapping[str, Any]) -> Address:
    if not any(text(v) for v in a.values()):
        return Address()
    code = text(a.get("country")).upper()
    state, city = text(a.get("state")), text(a.get("city"))
    # On TR stores the state is the il as a plate code (TR34) and city is the ilçe.
    il = TR_PROVINCES.get(state.upper())
    fields = {
        "line1": html.unescape(text(a.get("address_1"))),
        "line2": html.unescape(text(a.get("address_2"))),
        "district": city if il else "",
        "city": il or city,
        "postal_code": postal_code(text(a.get("postcode")), code),
    }
    if code:
        fields["country"] = country_name(code, "")
        fields["country_code"] = code
    return Address(**fields)


def refund_summaries(p: Mapping[str, Any]) -> tuple[str, ...]:
    """The ids in an order's ``refunds[]`` (``{id, reason, total}`` summaries: no lines)."""
    return tuple(
        rid for r in p.get("refunds") or [] if isinstance(r, dict) and (rid := id_text(r.get("id")))
    )


def build_refund(r: Mapping[str, Any], order_id: str) -> Refund:
    """A WooCommerce refund object (wc/v3 ``orders/<id>/refunds``). Its ``amount`` is the
    money back, positive; its ``line_items`` and ``shipping_lines`` carry negative
    ``quantity``, ``total`` (before tax) and ``total_tax``, and name the order line they give
    back in the meta ``_refunded_item_id`` (WC_Order_Refund stores it so)."""
    lines: list[RefundLine] = []
    for item in r.get("line_items") or []:
        if not isinstance(item, dict):
            continue
        total, tax = amount(item.get("total"), ZERO), amount(item.get("total_tax"), ZERO)
        lines.append(RefundLine(
            line_ref=_refunded_item(item) or "",
            quantity=abs(amount(item.get("quantity"), ZERO)),
            amount=-(total + tax),
            tax=-tax,
        ))
    for ship in r.get("shipping_lines") or []:
        if not isinstance(ship, dict):
            continue
        total, tax = amount(ship.get("total"), ZERO), amount(ship.get("total_tax"), ZERO)
        lines.append(RefundLine(line_ref=SHIPPING_REF, quantity=Decimal(1), amount=-(total + tax), tax=-tax))
    return Refund(
        refund_id=id_text(r.get("id")) or "",
        order_id=order_id,
        created_at=parse_datetime(r.get("date_created_gmt")) or parse_datetime(r.get("date_created")),
        lines=tuple(lines),
        total=abs(amount(r.get("amount"), ZERO)),
        note=html.unescape(text(r.get("reason"))),
    )


def _refunded_item(item: Mapping[str, Any]) -> str | None:
    for entry in item.get("meta_data") or []:
        if isinstance(entry, dict) and entry.get("key") == "_refunded_item_id":
            return id_text(entry.get("value"))
    return None
