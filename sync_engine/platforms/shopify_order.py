"""A Shopify order resource (webhook body or REST order) → domain Order.

Amounts are read from ``*_set.shop_money`` when present: the order is posted in the shop's
currency, not the buyer's presentment currency. Line discounts and taxes are taken as Shopify
allocated them (it rounds tax per rate at order level and spreads the cents over lines), never
recomputed, so the invoice adds up to ``total_price``.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from sync_engine.platforms._util import amount, describe, id_text, parse_datetime, percent, text
from sync_engine.platforms.identity import (
    DEFAULT_RULES,
    BuyerRules,
    IdentityFacts,
    country_name,
    fold_key,
    pick,
    postal_code,
    resolve_buyer,
)

PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})

# Note / cart attribute names the Turkish checkout apps and merchants use, compared after
# fold_key (Turkish-aware, no spaces/underscores); a store adds its own in
# [stores.buyer_fields], tried first.
TCKN_KEYS = frozenset({"tckn", "tckimlikno", "tckimlik", "tcno", "kimlikno"})
VKN_KEYS = frozenset({"vkn", "vergino", "verginumarasi", "vergikimlikno", "taxnumber"})
TAX_OFFICE_KEYS = frozenset({"taxoffice", "vergidairesi"})


def unwrap(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    """REST answers wrap the resource (``{"order": …}``); webhook bodies are bare."""
    inner = data.get(key)
    if isinstance(inner, dict) and "id" not in data:
        return inner
    return dict(data)


def is_paid(payload: Mapping[str, Any]) -> bool:
    return text(payload.get("financial_status")).lower() in PAID_STATUSES


def awaits_payment(payload: Mapping[str, Any]) -> bool:
    """``financial_status: pending``: a manual payment method (bank deposit / havale) the
    merchant marks paid when the money arrives. ``authorized`` is a card hold, not a transfer."""
    return text(payload.get("financial_status")).lower() == "pending" and not payload.get("cancelled_at")


def shop_amount(obj: Mapping[str, Any], key: str, default: Decimal | None = None) -> Decimal:
    money_set = obj.get(f"{key}_set")
    if isinstance(money_set, dict):
        shop = money_set.get("shop_money")
        if isinstance(shop, dict) and shop.get("amount") not in (None, ""):
            return amount(shop["amount"])
    return amount(obj.get(key), default)


def build_order(
    payload: Mapping[str, Any], store_id: str, rules: BuyerRules = DEFAULT_RULES
) -> tuple[Order | None, str | None]:
    try:
        return _build(payload, store_id, rules)
    except ValidationError as exc:
        return None, f"Shopify order could not be normalised: {describe(exc)}"
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        return None, f"Shopify order could not be normalised: {exc}"


def _build(p: Mapping[str, Any], store_id: str, rules: BuyerRules) -> tuple[Order | None, str | None]:
    order_id = id_text(p.get("id"))
    if order_id is None:
        raise ValueError("order has no id")
    taxes_included = bool(p.get("taxes_included"))
    lines: list[InvoiceLine] = []
    vat_by_rate: dict[Decimal, Decimal] = {}
    tip_items: list[Mapping[str, Any]] = []

    def add(line: InvoiceLine, tax: Decimal) -> None:
        lines.append(line)
        vat_by_rate[line.vat_rate] = vat_by_rate.get(line.vat_rate, ZERO) + tax

    line_discounts = ZERO
    for item in p.get("line_items") or []:
        if _is_tip(item):
            tip_items.append(item)
            continue
        quantity = amount(item.get("quantity"))
        if quantity <= 0:  # removed by an order edit
            continue
        discount = _line_discount(item)
        line_discounts += discount
        rate, tax = _taxes(item.get("tax_lines"))
        add(
            InvoiceLine(
                line_ref=id_text(item.get("id")) or "",
                sku=text(item.get("sku")),
                name=text(item.get("name")) or text(item.get("title")) or "Item",
                quantity=quantity,
                unit_price=shop_amount(item, "price"),
                vat_rate=rate,
                discount=discount,
            ),
            tax,
        )
    goods_count = len(lines)

    shipping_discounts = ZERO
    for ship in p.get("shipping_lines") or []:
        price = shop_amount(ship, "price", ZERO)
        if "discounted_price" in ship or "discounted_price_set" in ship:
            discount = price - shop_amount(ship, "discounted_price", price)
        else:
            discount = _allocated(ship)
        rate, tax = _taxes(ship.get("tax_lines"))
        if price == ZERO and tax == ZERO:
            continue  # free shipping adds nothing and may carry a stale foreign rate
        shipping_discounts += discount
        add(
            InvoiceLine(
                line_ref=SHIPPING_REF,
                sku=text(ship.get("code")),
                name=text(ship.get("title")) or "Shipping",
                quantity=Decimal(1),
                unit_price=price,
                vat_rate=rate,
                discount=discount,
                kind=LineKind.SHIPPING,
            ),
            tax,
        )

    # Older payloads (and the test notification) carry an order-level discount in
    # total_discounts without allocating it to lines; total_price includes it.
    unallocated = shop_amount(p, "total_discounts", ZERO) - line_discounts - shipping_discounts
    if unallocated > ZERO and goods_count:
        lines[:goods_count] = _spread_discount(lines[:goods_count], unallocated)

    tip = _tip_amount(p, tip_items)
    if tip > ZERO:
        # A tip is not consideration for goods: no KDV, but GİB wants an exemption code
        # that only the merchant can choose, so the domain flags this line on purpose.
        name = text(tip_items[0].get("title")) if tip_items else "Tip"
        add(
            InvoiceLine(
                name=name or "Tip",
                quantity=Decimal(1),
                unit_price=tip,
                vat_rate=Decimal(0),
                kind=LineKind.SERVICE,
            ),
            ZERO,
        )

    resolved = resolve_buyer(_identity(p, rules), rules)
    if resolved.buyer is None:
        return None, resolved.problem
    buyer = resolved.buyer

    created = parse_datetime(p.get("created_at")) or parse_datetime(p.get("processed_at"))
    if created is None:
        raise ValueError("order has no created_at")
    currency = text(p.get("currency")).upper()
    if not currency:
        raise ValueError("order has no currency")
    gateway = _gateway(p)
    order = Order(
        store_id=store_id,
        platform="shopify",
        order_id=order_id,
        order_name=text(p.get("name")) or f"#{text(p.get('order_number')) or order_id}",
        created_at=created,
        updated_at=parse_datetime(p.get("updated_at")),
        currency=currency,
        prices_include_vat=taxes_included,
        buyer=buyer,
        identity_note=resolved.note,
        lines=tuple(lines),
        paid_total=shop_amount(p, "total_price"),
        # The tax Shopify charged per rate (its line tax_lines): with VAT-exclusive prices the
        # invoice total only meets total_price with these figures; with VAT-inclusive ones it
        # is the tax the shop charged (it rounds per line), checked against the rate.
        reported_vat=vat_by_rate,
        payment=Payment(
            method=payment_method(gateway),
            platform=gateway,
            date=parse_datetime(p.get("processed_at")),
        ),
    )
    return order, None


def _is_tip(item: Mapping[str, Any]) -> bool:
    if item.get("tip"):
        return True
    return (
        item.get("product_id") is None
        and fold_key(text(item.get("title"))) in {"tip", "bahsis", "bahşiş"}
        and not item.get("requires_shipping")
    )


def _tip_amount(p: Mapping[str, Any], tip_items: list[Mapping[str, Any]]) -> Decimal:
    # The tip is both a "Tip" line item and total_tip_received: count it once.
    from_items = sum(
        (
            round_kurus(shop_amount(i, "price") * amount(i.get("quantity"), Decimal(1)))
            - _line_discount(i)
            for i in tip_items
        ),
        ZERO,
    )
    if tip_items:
        return from_items
    return round_kurus(amount(p.get("total_tip_received"), ZERO))


def _allocated(obj: Mapping[str, Any]) -> Decimal:
    return sum(
        (shop_amount(a, "amount") for a in obj.get("discount_allocations") or []), ZERO
    )


def _line_discount(item: Mapping[str, Any]) -> Decimal:
    if item.get("discount_allocations"):
        return _allocated(item)
    return shop_amount(item, "total_discount", ZERO)


def _taxes(tax_lines: list[Mapping[str, Any]] | None) -> tuple[Decimal, Decimal]:
    """(rate in percent, tax amount): several taxes on one line add up to one rate."""
    rate = Decimal(0)
    tax = ZERO
    for tl in tax_lines or []:
        rate += amount(tl.get("rate"), Decimal(0))
        tax += shop_amount(tl, "price", ZERO)
    return percent(rate), tax


def _spread_discount(lines: list[InvoiceLine], total: Decimal) -> list[InvoiceLine]:
    after = [round_kurus(ln.quantity * ln.unit_price) - ln.discount for ln in lines]
    shares = allocate(total, [max(a, ZERO) for a in after])
    return [
        ln.model_copy(update={"discount": ln.discount + share})
        for ln, share in zip(lines, shares, strict=True)
    ]


def _attributes(p: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for source in (p.get("note_attributes"), p.get("attributes")):
        if isinstance(source, dict):
            pairs = list(source.items())
        elif isinstance(source, list):
            pairs = [(a.get("name"), a.get("value")) for a in source if isinstance(a, dict)]
        else:
            continue
        for name, value in pairs:
            key = fold_key(text(name))
            if key and text(value) and key not in found:
                found[key] = text(value)
    return found


def _identity(p: Mapping[str, Any], rules: BuyerRules) -> IdentityFacts:
    customer = p.get("customer") if isinstance(p.get("customer"), dict) else {}
    billing = p.get("billing_address") if isinstance(p.get("billing_address"), dict) else None
    shipping = p.get("shipping_address") if isinstance(p.get("shipping_address"), dict) else None
    default = customer.get("default_address") if isinstance(customer, dict) else None
    addr = billing or shipping or (default if isinstance(default, dict) else None) or {}
    attrs = _attributes(p)

    def name(key: str) -> str:
        return text(addr.get(key)) or text(customer.get(key))

    return IdentityFacts(
        company_name=text(billing.get("company")) if billing else "",
        tckn=pick(attrs, rules.tckn_keys, TCKN_KEYS),
        vkn=pick(attrs, rules.vkn_keys, VKN_KEYS),
        tax_office=pick(attrs, rules.tax_office_keys, TAX_OFFICE_KEYS),
        first_name=name("first_name"),
        last_name=name("last_name"),
        email=text(p.get("email")) or text(p.get("contact_email")) or text(customer.get("email")),
        phone=text(addr.get("phone")) or text(p.get("phone")) or text(customer.get("phone")),
        address=_address(addr),
    )


def _address(a: Mapping[str, Any]) -> Address:
    if not a:
        return Address()
    code = text(a.get("country_code")).upper()
    province, city = text(a.get("province")), text(a.get("city"))
    # Shopify TR shops fill province with the il when the checkout asks for it; then city
    # is the ilçe. Many leave province null, and city is the il.
    il, district = (province, city) if province else (city, "")
    if district.casefold() == il.casefold():
        district = ""
    fields: dict[str, str] = {
        "line1": text(a.get("address1")),
        "line2": text(a.get("address2")),
        "district": district,
        "city": il,
        "postal_code": postal_code(text(a.get("zip")), code),
    }
    if code or text(a.get("country")):
        fields["country"] = country_name(code, text(a.get("country")))
        fields["country_code"] = code
    return Address(**fields)


def _gateway(p: Mapping[str, Any]) -> str:
    names = [text(n) for n in p.get("payment_gateway_names") or [] if text(n)]
    return names[0] if names else text(p.get("gateway"))


def payment_method(gateway: str) -> PaymentMethod:
    key = fold_key(gateway)
    if "cashondelivery" in key or "(cod)" in key or key == "cod" or "kapida" in key:
        return PaymentMethod.CASH_ON_DELIVERY
    if key in {"bankdeposit", "banktransfer", "eft"} or "havale" in key or "banka" in key:
        return PaymentMethod.BANK_TRANSFER
    return PaymentMethod.CREDIT_CARD


def build_refunds(payload: Mapping[str, Any]) -> tuple[Refund, ...]:
    """The order's ``refunds[]`` as Refunds (its ``taxes_included`` says how to read them)."""
    order_id = id_text(payload.get("id")) or ""
    included = bool(payload.get("taxes_included"))
    return tuple(
        build_refund(r, order_id=order_id, taxes_included=included)
        for r in payload.get("refunds") or [] if isinstance(r, dict)
    )


def build_refund(r: Mapping[str, Any], *, order_id: str = "", taxes_included: bool | None = None) -> Refund:
    """A Shopify refund (``refunds/create`` body or an entry of ``order.refunds[]``).

    Money back is the refund's successful ``refund`` transactions. A line's amount is its
    ``subtotal`` (price × quantity − discounts, in the order's price basis) plus
    ``total_tax`` unless the order's prices include tax. Shipping given back is
    ``refund_shipping_lines`` (older payloads: an ``order_adjustments`` entry of kind
    ``shipping_refund``, its amount negative). ``refund_discrepancy`` adjustments are money
    the lines do not explain.
    """
    lines: list[RefundLine] = []
    raw: list[tuple[str, Decimal, Decimal, Decimal]] = []  # ref, quantity, subtotal, tax
    for item in r.get("refund_line_items") or []:
        ref = id_text(item.get("line_item_id"))
        if ref is None and isinstance(item.get("line_item"), dict):
            ref = id_text(item["line_item"].get("id"))
        raw.append((ref or "", amount(item.get("quantity")), shop_amount(item, "subtotal", ZERO),
                    shop_amount(item, "total_tax", ZERO)))
    shipping: list[tuple[Decimal, Decimal]] = []  # amount before tax, tax
    for ship in r.get("refund_shipping_lines") or []:
        shipping.append((shop_amount(ship, "subtotal_amount", ZERO), shop_amount(ship, "tax_amount", ZERO)))
    discrepancy = ZERO
    for adj in r.get("order_adjustments") or []:
        kind = text(adj.get("kind")).lower()
        if kind == "shipping_refund" and not r.get("refund_shipping_lines"):
            shipping.append((-shop_amount(adj, "amount", ZERO), -shop_amount(adj, "tax_amount", ZERO)))
        elif kind == "refund_discrepancy":
            discrepancy += shop_amount(adj, "amount", ZERO) + shop_amount(adj, "tax_amount", ZERO)
    total = sum(
        (shop_amount(t, "amount", ZERO) for t in r.get("transactions") or []
         if text(t.get("kind")).lower() == "refund" and text(t.get("status")).lower() in ("success", "")),
        ZERO,
    )
    if taxes_included is None:
        # I: a bare refunds/create does not say whether the order's prices include tax: the
        # reading under which its lines explain the money that went back is the one taken.
        inclusive = sum((s for _, _, s, _ in raw), ZERO) + sum((s for s, _ in shipping), ZERO)
        taxes_included = inclusive == total and any(t for _, _, _, t in raw)
    for ref, quantity, subtotal, tax in raw:
        lines.append(RefundLine(line_ref=ref, quantity=quantity,
                                amount=subtotal if taxes_included else subtotal + tax, tax=tax))
    for before_tax, tax in shipping:
        lines.append(RefundLine(line_ref=SHIPPING_REF, quantity=Decimal(1), amount=before_tax + tax, tax=tax))
    return Refund(
        refund_id=id_text(r.get("id")) or "",
        order_id=id_text(r.get("order_id")) or order_id,
        created_at=parse_datetime(r.get("processed_at")) or parse_datetime(r.get("created_at")),
        lines=tuple(lines),
        total=total,
        note=text(r.get("note")),
        discrepancy=discrepancy or None,
    )


__all__ = ["build_order", "build_refund", "build_refunds", "is_paid", "payment_method", "shop_amount", "unwrap"]
