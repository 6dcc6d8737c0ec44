"""Render an OrderSpec as a WooCommerce wc/v3 order (REST resource = order.* webhook body).

Arithmetic, as WooCommerce stores it for a Turkish shop with ``prices_include_tax: true``
and the default per-line tax rounding:

* the shelf price is VAT-inclusive, yet the REST amounts are **VAT-exclusive**: a line's
  ``subtotal`` / ``total`` are net before / after coupons, with ``subtotal_tax`` /
  ``total_tax`` beside them, each VAT rounded per line from the gross;
* ``price`` is ``total / quantity`` as a PHP float (a JSON number, unrounded), and
  ``taxes[].total`` is the tax without trailing zeros ("16.7");
* flat-rate shipping is entered net; its tax is ``round(net × rate)``;
* ``discount_total`` / ``discount_tax`` are the net and tax parts of the coupons,
  ``cart_tax`` = Σ line ``total_tax``, ``total_tax`` = cart tax + shipping tax, and
  ``total`` = Σ line totals + cart tax + shipping + shipping tax.
* Identity comes from the Hezarfen plugin's checkout fields in ``meta_data``; the plugin
  adds the three billing keys as "" (id 0) whenever an order lacks them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sync_engine.devtools.orders.money import ZERO, round_kurus
from sync_engine.devtools.orders.shopify_payload import line_discounts, money
from sync_engine.devtools.orders.spec import Kind, OrderSpec

HUNDRED = Decimal(100)
# WooCommerce tax rate ids and classes a Turkish store typically sets up: the standard
# class for 20 %, custom classes for the reduced rates.
RATE_IDS = {20: 1, 10: 2, 1: 3}
TAX_CLASSES = {20: "", 10: "kdv-10", 1: "kdv-1"}


def trimmed(value: Decimal) -> str:
    """``wc_format_decimal`` with trailing zeros trimmed: 16.70 -> "16.7", 10.00 -> "10"."""
    text = f"{round_kurus(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def local(when: datetime) -> str:
    return when.replace(microsecond=0, tzinfo=None).isoformat()


def gmt(when: datetime) -> str:
    return when.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat()


def _vat_of_gross(gross: Decimal, rate: int) -> Decimal:
    return round_kurus(gross * rate / (HUNDRED + rate))


def _address(spec: OrderSpec, *, billing: bool) -> dict[str, str]:
    b = spec.buyer
    place = b.place
    if not billing and spec.uid % 3 == 0:
        # Shops that do not ask for a separate delivery address send an all-empty block.
        return {k: "" for k in (
            "first_name", "last_name", "company", "address_1", "address_2", "city", "state",
            "postcode", "country", "phone",
        )}
    block = {
        "first_name": b.first_name,
        "last_name": b.last_name,
        "company": b.company if b.kind is Kind.COMPANY else "",
        # Hezarfen relabels the fields for TR: address_1 is the mahalle, city the ilçe,
        # state the il as its plate code.
        "address_1": place.neighbourhood,
        "address_2": b.street,
        "city": place.district,
        "state": f"TR{place.plate:02d}",
        "postcode": place.postcode,
        "country": "TR",
    }
    if billing:
        block["email"] = b.email
    block["phone"] = b.phone
    return block


def _hezarfen_meta(spec: OrderSpec, next_id: Callable[[], int]) -> list[dict[str, Any]]:
    b = spec.buyer
    stored: dict[str, str] = {}
    if b.kind is Kind.COMPANY:
        stored = {
            "_billing_hez_invoice_type": "company",
            "_billing_hez_tax_number": b.vkn,
            "_billing_hez_tax_office": b.tax_office,
        }
    elif b.kind is Kind.PERSON:
        stored = {"_billing_hez_invoice_type": "person", "_billing_hez_TC_number": b.tckn}
    elif b.identity_style % 2 or b.tckn:
        stored = {"_billing_hez_invoice_type": "person", "_billing_hez_TC_number": b.tckn}
    meta = [{"id": next_id(), "key": k, "value": v} for k, v in stored.items()]
    for key in ("_billing_hez_tax_number", "_billing_hez_tax_office", "_billing_hez_TC_number"):
        if key not in stored:
            meta.append({"id": 0, "key": key, "value": ""})
    return meta


def render(spec: OrderSpec, *, site_url: str = "https://demo-shop.example") -> dict[str, Any]:
    rid = random.Random(spec.uid)
    order_id = spec.order_number
    counter = iter(range(order_id * 100, order_id * 100 + 10_000))
    meta_counter = iter(range(order_id * 50, order_id * 50 + 10_000))

    discounts = line_discounts(spec)
    line_items: list[dict[str, Any]] = []
    cart_tax = ZERO
    subtotal_net_sum = ZERO
    subtotal_tax_sum = ZERO
    net_sum = ZERO
    tax_by_rate: dict[int, Decimal] = {}
    for line, disc in zip(spec.lines, discounts, strict=True):
        p = line.product
        gross = p.price * line.quantity
        subtotal_tax = _vat_of_gross(gross, p.vat_rate)
        total_tax = _vat_of_gross(gross - disc, p.vat_rate)
        subtotal = gross - subtotal_tax
        total = gross - disc - total_tax
        cart_tax += total_tax
        net_sum += total
        subtotal_net_sum += subtotal
        subtotal_tax_sum += subtotal_tax
        tax_by_rate[p.vat_rate] = tax_by_rate.get(p.vat_rate, ZERO) + total_tax
        line_items.append(
            {
                "id": next(counter),
                "name": f"{p.title} - {p.variant}" if p.variant else p.title,
                "product_id": _product_id(p.sku),
                "variation_id": 0,
                "quantity": line.quantity,
                "tax_class": TAX_CLASSES[p.vat_rate],
                "subtotal": money(subtotal),
                "subtotal_tax": money(subtotal_tax),
                "total": money(total),
                "total_tax": money(total_tax),
                "taxes": [
                    {"id": RATE_IDS[p.vat_rate], "total": trimmed(total_tax), "subtotal": trimmed(subtotal_tax)}
                ],
                "meta_data": [],
                "sku": p.sku,
                "price": float(total) / line.quantity,
                "image": {"id": "", "src": ""},
                "parent_name": None,
            }
        )

    ship = spec.shipping
    ship_net = round_kurus(ship.price * HUNDRED / (HUNDRED + ship.vat_rate))
    ship_tax = round_kurus(ship_net * ship.vat_rate / HUNDRED)
    free = ship.price == 0
    shipping_lines = [
        {
            "id": next(counter),
            "method_title": ship.title,
            "method_id": "free_shipping" if free else "flat_rate",
            "instance_id": "2" if free else "1",
            "total": money(ship_net),
            "total_tax": money(ship_tax),
            "taxes": [] if free else [{"id": RATE_IDS[ship.vat_rate], "total": trimmed(ship_tax), "subtotal": ""}],
            "meta_data": [],
        }
    ]
    if not free:
        tax_by_rate.setdefault(ship.vat_rate, ZERO)

    tax_lines = [
        {
            "id": next(counter),
            "rate_code": f"TR-KDV %{rate}-1",
            "rate_id": RATE_IDS[rate],
            "label": f"KDV %{rate}",
            "compound": False,
            "tax_total": money(amount),
            "shipping_tax_total": money(ship_tax if rate == ship.vat_rate and not free else ZERO),
            "rate_percent": rate,
            "meta_data": [],
        }
        for rate, amount in sorted(tax_by_rate.items(), reverse=True)
    ]

    discount_total = subtotal_net_sum - net_sum
    discount_tax = subtotal_tax_sum - cart_tax
    coupon_lines: list[dict[str, Any]] = []
    if spec.discount is not None:
        coupon_lines = [
            {
                "id": next(counter),
                # WooCommerce stores coupon codes lowercased.
                "code": spec.discount.code.lower(),
                "discount": money(discount_total),
                "discount_tax": money(discount_tax),
                "meta_data": [],
            }
        ]

    total = net_sum + cart_tax + ship_net + ship_tax
    created = spec.created_at
    modified = created + timedelta(seconds=rid.randint(2, 9))
    paid = created + timedelta(seconds=rid.randint(1, 2))
    _, method, method_title = spec.gateway
    meta = [
        {"id": next(meta_counter), "key": "is_vat_exempt", "value": "no"},
        {"id": next(meta_counter), "key": "_wc_order_attribution_source_type", "value": "typein"},
        *_hezarfen_meta(spec, lambda: next(meta_counter)),
    ]
    return {
        "id": order_id,
        "parent_id": 0,
        "status": "processing",
        "currency": "TRY",
        "version": "9.3.3",
        "prices_include_tax": True,
        "date_created": local(created),
        "date_modified": local(modified),
        "discount_total": money(discount_total),
        "discount_tax": money(discount_tax),
        "shipping_total": money(ship_net),
        "shipping_tax": money(ship_tax),
        "cart_tax": money(cart_tax),
        "total": money(total),
        "total_tax": money(cart_tax + ship_tax),
        "customer_id": 0 if spec.uid % 2 else 10 + spec.uid % 5000,
        "order_key": "wc_order_" + "".join(rid.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(13)),
        "billing": _address(spec, billing=True),
        "shipping": _address(spec, billing=False),
        "payment_method": method,
        "payment_method_title": method_title,
        "transaction_id": f"{rid.randint(10**8, 10**9 - 1)}",
        "customer_ip_address": f"88.{rid.randint(224, 255)}.{rid.randint(0, 255)}.{rid.randint(1, 254)}",
        "customer_user_agent": "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
        "created_via": "checkout",
        "customer_note": spec.note or "",
        "date_completed": None,
        "date_paid": local(paid),
        "cart_hash": "%032x" % rid.getrandbits(128),
        "number": str(order_id),
        "meta_data": meta,
        "line_items": line_items,
        "tax_lines": tax_lines,
        "shipping_lines": shipping_lines,
        "fee_lines": [],
        "coupon_lines": coupon_lines,
        "refunds": [],
        "payment_url": f"{site_url}/odeme/order-pay/{order_id}/?pay_for_order=true&key=wc_order_x",
        "is_editable": False,
        "needs_payment": False,
        "needs_processing": True,
        "date_created_gmt": gmt(created),
        "date_modified_gmt": gmt(modified),
        "date_completed_gmt": None,
        "date_paid_gmt": gmt(paid),
        "currency_symbol": "₺",
        "_links": {
            "self": [{"href": f"{site_url}/wp-json/wc/v3/orders/{order_id}"}],
            "collection": [{"href": f"{site_url}/wp-json/wc/v3/orders"}],
        },
    }


def _product_id(sku: str) -> int:
    # Stable across processes (str hash is salted per process).
    return 100 + sum(ord(c) * (i + 1) for i, c in enumerate(sku)) % 9000
