"""Render an OrderSpec as the Shopify REST order resource (= the orders/* webhook body).

Arithmetic, as a Turkish store (``taxes_included: true``) gets it from Shopify:

* a line's gross is ``price × quantity``; an order discount is spread over the lines as
  ``discount_allocations`` (a percentage rounded per line, a fixed amount by largest
  remainder), while the line's legacy ``total_discount`` stays "0.00";
* VAT is inside the prices. Per rate, Shopify rounds the order's tax once and spreads the
  kuruş over the lines and the shipping line, so a line's tax line is not exactly
  ``price × rate / (1 + rate)`` but every rate's lines add up to the order's tax line;
* ``subtotal_price`` = Σ gross − discounts (tax-inclusive), ``total_price`` = subtotal +
  shipping, ``total_tax`` = Σ order tax lines (already inside ``total_price``).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sync_engine.devtools.orders.money import ZERO, allocate, round_kurus
from sync_engine.devtools.orders.spec import Kind, OrderSpec

HUNDRED = Decimal(100)
CURRENCY = "TRY"
# Shopify writes tax rates as JSON floats.
RATE_FLOAT = {1: 0.01, 10: 0.1, 20: 0.2}


def money(value: Decimal) -> str:
    return f"{round_kurus(value):.2f}"


def money_set(value: Decimal) -> dict[str, Any]:
    amount = money(value)
    return {
        "shop_money": {"amount": amount, "currency_code": CURRENCY},
        "presentment_money": {"amount": amount, "currency_code": CURRENCY},
    }


def stamp(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat()


def _value_text(value: Decimal) -> str:
    # discount_applications[].value is "10.0" for both percentages and fixed amounts.
    normal = value.normalize()
    return f"{normal:f}" if normal != normal.to_integral_value() else f"{int(normal)}.0"


def line_discounts(spec: OrderSpec) -> list[Decimal]:
    gross = [p.product.price * p.quantity for p in spec.lines]
    if spec.discount is None:
        return [ZERO] * len(gross)
    if spec.discount.value_type == "percentage":
        return [round_kurus(g * spec.discount.value / HUNDRED) for g in gross]
    return allocate(min(spec.discount.value, sum(gross, ZERO)), gross)


def tax_split(spec: OrderSpec) -> tuple[list[Decimal], Decimal, dict[int, Decimal]]:
    """(tax per line, shipping tax, order tax per rate), per Shopify's order-level rounding."""
    discounts = line_discounts(spec)
    exact = [
        (line.product.price * line.quantity - d) * line.product.vat_rate
        / (HUNDRED + line.product.vat_rate)
        for line, d in zip(spec.lines, discounts, strict=True)
    ]
    ship = spec.shipping
    ship_exact = ship.price * ship.vat_rate / (HUNDRED + ship.vat_rate)
    line_tax: list[Decimal] = [ZERO] * len(exact)
    ship_tax = ZERO
    totals: dict[int, Decimal] = {}
    rates = {line.product.vat_rate for line in spec.lines} | {ship.vat_rate}
    for rate in sorted(rates):
        members = [i for i, line in enumerate(spec.lines) if line.product.vat_rate == rate]
        weights = [exact[i] for i in members]
        if ship.vat_rate == rate:
            weights.append(ship_exact)
        total = round_kurus(sum(weights, Decimal(0)))
        parts = allocate(total, weights)
        for i, part in zip(members, parts, strict=False):
            line_tax[i] = part
        if ship.vat_rate == rate:
            ship_tax = parts[-1]
        totals[rate] = total
    return line_tax, ship_tax, totals


def _tax_line(amount: Decimal, rate: int) -> dict[str, Any]:
    return {
        "channel_liable": False,
        "price": money(amount),
        "price_set": money_set(amount),
        "rate": RATE_FLOAT[rate],
        "title": "KDV",
    }


def _address(spec: OrderSpec, *, shipping: bool) -> dict[str, Any]:
    b = spec.buyer
    place = b.place
    first, last = b.first_name, b.last_name
    if shipping and b.ship_elsewhere:
        first = "Gülizar"
        last = b.last_name
    postcode = place.postcode[1:] if b.lost_postcode_zero else place.postcode
    # Turkish stores fill these three ways: district in address2 with the il as city and no
    # province (most common: Shopify had no TR provinces for years), "ilçe/il" as city, or
    # the ilçe as city with the il as province.
    style = spec.uid % 3
    address2: str | None = place.district
    city = place.city
    province: str | None = None
    province_code: str | None = None
    if style == 1:
        address2, city = "", f"{place.district}/{place.city}"
    elif style == 2:
        address2, city, province = None, place.district, place.city
        province_code = f"TR-{place.plate:02d}"
    company: str | None
    if b.kind is Kind.COMPANY:
        company = b.company
    else:
        company = None if spec.uid % 2 else ""
    return {
        "first_name": first,
        "address1": f"{place.neighbourhood} {b.street}",
        "phone": b.phone,
        "city": city,
        "zip": postcode,
        "province": province,
        "country": "Türkiye",
        "last_name": last,
        "address2": address2,
        "company": company,
        "latitude": None,
        "longitude": None,
        "name": f"{first} {last}",
        "country_code": "TR",
        "province_code": province_code,
    }


def note_attributes(spec: OrderSpec) -> list[dict[str, str]]:
    """Identity as Turkish stores collect it at checkout (cart attributes)."""
    b = spec.buyer
    style = b.identity_style
    if b.kind is Kind.COMPANY:
        if style < 2:
            return [{"name": "Vergi No", "value": b.vkn}, {"name": "Vergi Dairesi", "value": b.tax_office}]
        return [{"name": "vkn", "value": b.vkn}, {"name": "tax_office", "value": b.tax_office}]
    if b.kind is Kind.PERSON:
        name = ("tckn", "tckn", "TC Kimlik No", "T.C. Kimlik No")[style]
        return [{"name": name, "value": b.tckn}]
    if b.tckn or style % 2:
        return [{"name": "tckn", "value": b.tckn}]
    return []


def _ids(rid: random.Random) -> dict[str, Any]:
    return {
        "order": rid.randint(5 * 10**12, 8 * 10**17),
        "customer": rid.randint(6 * 10**12, 9 * 10**12),
        "checkout": rid.randint(3 * 10**13, 4 * 10**13),
        "token": "%032x" % rid.getrandbits(128),
        "key": "%032x" % rid.getrandbits(128),
        "cart": "c1-%032x" % rid.getrandbits(128),
        "confirmation": "".join(rid.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9)),
        "ip": f"78.{rid.randint(160, 191)}.{rid.randint(0, 255)}.{rid.randint(1, 254)}",
    }


def render(spec: OrderSpec, *, shop_domain: str = "demo-shop.myshopify.com") -> dict[str, Any]:
    rid = random.Random(spec.uid)
    ids = _ids(rid)
    b = spec.buyer
    discounts = line_discounts(spec)
    line_tax, ship_tax, tax_totals = tax_split(spec)
    gross_total = sum((line.product.price * line.quantity for line in spec.lines), ZERO)
    discount_total = sum(discounts, ZERO)
    subtotal = gross_total - discount_total
    total = subtotal + spec.shipping.price
    total_tax = sum(tax_totals.values(), ZERO)
    created = stamp(spec.created_at)
    updated = stamp(spec.created_at.replace(microsecond=0) + timedelta(seconds=rid.randint(1, 4)))
    gateway = spec.gateway[0]

    line_items = []
    for line, disc, tax in zip(spec.lines, discounts, line_tax, strict=True):
        p = line.product
        line_id = rid.randint(10**13, 4 * 10**13)
        line_items.append(
            {
                "id": line_id,
                "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
                "attributed_staffs": [],
                "current_quantity": line.quantity,
                "fulfillable_quantity": line.quantity,
                "fulfillment_service": "manual",
                "fulfillment_status": None,
                "gift_card": False,
                "grams": p.grams,
                "name": f"{p.title} - {p.variant}" if p.variant else p.title,
                "price": money(p.price),
                "price_set": money_set(p.price),
                "product_exists": True,
                "product_id": rid.randint(7 * 10**12, 8 * 10**12),
                "properties": [],
                "quantity": line.quantity,
                "requires_shipping": True,
                "sku": p.sku,
                "taxable": True,
                "title": p.title,
                "total_discount": "0.00",
                "total_discount_set": money_set(ZERO),
                "variant_id": rid.randint(4 * 10**13, 5 * 10**13),
                "variant_inventory_management": "shopify",
                "variant_title": p.variant,
                "vendor": p.vendor,
                "tax_lines": [_tax_line(tax, p.vat_rate)],
                "duties": [],
                "discount_allocations": (
                    [{"amount": money(disc), "amount_set": money_set(disc), "discount_application_index": 0}]
                    if spec.discount is not None
                    else []
                ),
            }
        )

    ship = spec.shipping
    shipping_lines = [
        {
            "id": rid.randint(4 * 10**12, 5 * 10**12),
            "carrier_identifier": None,
            "code": ship.title,
            "discounted_price": money(ship.price),
            "discounted_price_set": money_set(ship.price),
            "is_removed": False,
            "phone": None,
            "price": money(ship.price),
            "price_set": money_set(ship.price),
            "requested_fulfillment_service_id": None,
            "source": "shopify",
            "title": ship.title,
            # Free shipping still carries its KDV line at 0.00, as real TR orders show.
            "tax_lines": [_tax_line(ship_tax, ship.vat_rate)],
            "discount_allocations": [],
        }
    ]

    discount_codes: list[dict[str, Any]] = []
    discount_applications: list[dict[str, Any]] = []
    if spec.discount is not None:
        d = spec.discount
        discount_codes = [{"code": d.code, "amount": money(discount_total), "type": d.value_type}]
        discount_applications = [
            {
                "target_type": "line_item",
                "type": "discount_code",
                "value": _value_text(d.value),
                "value_type": d.value_type,
                "allocation_method": "across",
                "target_selection": "all",
                "code": d.code,
            }
        ]

    customer = {
        "id": ids["customer"],
        "email": b.email,
        "created_at": created,
        "updated_at": updated,
        "first_name": b.first_name,
        "last_name": b.last_name,
        "state": "enabled",
        "note": None,
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "phone": b.phone if spec.uid % 4 else None,
        "email_marketing_consent": {"state": "not_subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": None},
        "sms_marketing_consent": None,
        "tags": "",
        "currency": CURRENCY,
        "tax_exemptions": [],
        "admin_graphql_api_id": f"gid://shopify/Customer/{ids['customer']}",
        "default_address": {
            "id": rid.randint(8 * 10**12, 9 * 10**12),
            "customer_id": ids["customer"],
            **{k: v for k, v in _address(spec, shipping=False).items() if k not in ("latitude", "longitude")},
            "country_name": "Türkiye",
            "default": True,
        },
    }
    shop_id = 60000000000 + spec.uid % 10**9

    return {
        "id": ids["order"],
        "admin_graphql_api_id": f"gid://shopify/Order/{ids['order']}",
        "app_id": 580111,
        "browser_ip": ids["ip"],
        "buyer_accepts_marketing": False,
        "cancel_reason": None,
        "cancelled_at": None,
        "cart_token": ids["cart"],
        "checkout_id": ids["checkout"],
        "checkout_token": ids["token"][::-1],
        "client_details": {
            "accept_language": "tr-TR",
            "browser_height": None,
            "browser_ip": ids["ip"],
            "browser_width": None,
            "session_hash": None,
            "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15",
        },
        "closed_at": None,
        "company": None,
        "confirmation_number": ids["confirmation"],
        "confirmed": True,
        "contact_email": b.email,
        "created_at": created,
        "currency": CURRENCY,
        "current_subtotal_price": money(subtotal),
        "current_subtotal_price_set": money_set(subtotal),
        "current_total_additional_fees_set": None,
        "current_total_discounts": money(discount_total),
        "current_total_discounts_set": money_set(discount_total),
        "current_total_duties_set": None,
        "current_total_price": money(total),
        "current_total_price_set": money_set(total),
        "current_total_tax": money(total_tax),
        "current_total_tax_set": money_set(total_tax),
        "customer_locale": "tr",
        "device_id": None,
        "discount_codes": discount_codes,
        "duties_included": False,
        "email": b.email,
        "estimated_taxes": False,
        "financial_status": "paid",
        "fulfillment_status": None,
        "landing_site": "/",
        "landing_site_ref": None,
        "location_id": None,
        "merchant_of_record_app_id": None,
        "name": f"#{spec.order_number}",
        "note": spec.note,
        "note_attributes": note_attributes(spec),
        "number": spec.n,
        "order_number": spec.order_number,
        "order_status_url": f"https://{shop_domain}/{shop_id}/orders/{ids['token']}/authenticate?key={ids['key']}",
        "original_total_additional_fees_set": None,
        "original_total_duties_set": None,
        "payment_gateway_names": [gateway],
        "phone": None,
        "po_number": None,
        "presentment_currency": CURRENCY,
        "processed_at": created,
        "reference": None,
        "referring_site": "",
        "source_identifier": None,
        "source_name": "web",
        "source_url": None,
        "subtotal_price": money(subtotal),
        "subtotal_price_set": money_set(subtotal),
        "tags": ", ".join(spec.tags),
        "tax_exempt": False,
        "tax_lines": [_tax_line(amount, rate) for rate, amount in sorted(tax_totals.items(), reverse=True)],
        "taxes_included": True,
        "test": False,
        "token": ids["token"],
        "total_discounts": money(discount_total),
        "total_discounts_set": money_set(discount_total),
        "total_line_items_price": money(gross_total),
        "total_line_items_price_set": money_set(gross_total),
        "total_outstanding": "0.00",
        "total_price": money(total),
        "total_price_set": money_set(total),
        "total_shipping_price_set": money_set(ship.price),
        "total_tax": money(total_tax),
        "total_tax_set": money_set(total_tax),
        "total_tip_received": "0.00",
        "total_weight": sum(line.product.grams * line.quantity for line in spec.lines),
        "updated_at": updated,
        "user_id": None,
        "billing_address": _address(spec, shipping=False),
        "customer": customer,
        "discount_applications": discount_applications,
        "fulfillments": [],
        "line_items": line_items,
        "payment_terms": None,
        "refunds": [],
        "shipping_address": _address(spec, shipping=True),
        "shipping_lines": shipping_lines,
    }
