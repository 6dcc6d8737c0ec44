"""WooCommerce adapter: signatures, the ping, every saved real payload, Hezarfen identity, TRY."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sync_engine.domain import ANONYMOUS_TCKN, BuyerKind, LineKind, PaymentMethod, compute_invoice
from sync_engine.platforms import EventKind, MalformedPayload, SignatureError, get_platform
from sync_engine.platforms._util import hmac_sha256_b64
from sync_engine.domain.states import AttentionCategory
from sync_engine.platforms.identity import DEFAULT_RULES, BuyerRules, InvalidTaxId, category_of
from sync_engine.domain.refunds import kept_order
from sync_engine.platforms.woocommerce import WooCommerceAdapter, refund_delivery

from tests.support.paths import PAYLOADS  # noqa: E402  (shared/ beside the repo)
SECRET = "wc-webhook-secret"
STORE = "woo-shop"
TCKN = "10000000146"
VKN = "1000036109"
woo = WooCommerceAdapter()


def signed(body: bytes, secret: str = SECRET, **headers: str) -> dict[str, str]:
    return {"X-WC-Webhook-Signature": hmac_sha256_b64(secret.encode(), body), **headers}


def parse(payload: dict[str, Any] | bytes, topic: str = "order.updated", rules: BuyerRules = DEFAULT_RULES,
          **headers: str):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    h = signed(body, **{"X-WC-Webhook-Topic": topic, **headers})
    woo.verify(h, body, [SECRET])
    return woo.parse(h, body, STORE, rules)


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_bytes(), parse_float=Decimal)


# --- signatures and the ping ----------------------------------------------------------------


def test_known_answer_vector_from_woocommerce_unit_tests() -> None:
    expected = "GBDo00G55h6IiV+6CxqivQPLbI//KzaOZm747971tPs="
    assert hmac_sha256_b64(b"", b"secret") == expected
    woo.verify({"X-WC-Webhook-Signature": expected}, b"secret", [""])
    woo.verify({"x-wc-webhook-signature": expected}, b"secret", [""])


def test_rotation_accepts_any_configured_secret() -> None:
    body = b'{"id": 1}'
    headers = signed(body, secret="second")
    woo.verify(headers, body, ["first", "second"])
    with pytest.raises(SignatureError):
        woo.verify(headers, body, ["first"])


def test_secret_stored_with_html_entities_is_decoded_like_wordpress() -> None:
    body = b'{"id": 1}'
    woo.verify(signed(body, secret='a&b<"c'), body, ["a&amp;b&lt;&quot;c"])


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-WC-Webhook-Signature": ""},
        {"X-WC-Webhook-Signature": "garbage=="},
        {"X-WC-Webhook-Signature": "şğü\u0130"},
        {"X-WC-Webhook-Topic": "order.updated"},
    ],
)
def test_missing_empty_or_garbled_signature_is_a_signature_error(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureError):
        woo.verify(headers, b'{"id": 205}', [SECRET])


def test_tampered_body_fails() -> None:
    body = (PAYLOADS / "woocommerce-order-created__frappe_ecommerce_integrations.json").read_bytes()
    headers = signed(body)
    woo.verify(headers, body, [SECRET])
    with pytest.raises(SignatureError):
        woo.verify(headers, body.replace(b'"17.70"', b'"1.70"'), [SECRET])


def test_unsigned_ping_is_accepted_and_is_a_ping() -> None:
    woo.verify({"Content-Type": "application/x-www-form-urlencoded"}, b"webhook_id=42", [SECRET])
    d = woo.parse({}, b"webhook_id=42", STORE)
    assert d.kind is EventKind.PING and d.event_key == "ping:42"
    assert d.order is None and d.invoiceable is False and d.order_id is None


@pytest.mark.parametrize(
    "body",
    [b"webhook_id=42&status=paid", b"webhook_id=", b" webhook_id=42", b"webhook_id=42\n",
     b'{"webhook_id": 42}', b"webhook_id=4x2"],
)
def test_only_the_exact_ping_body_goes_unsigned(body: bytes) -> None:
    with pytest.raises(SignatureError):
        woo.verify({}, body, [SECRET])


def test_a_ping_with_a_wrong_signature_is_refused() -> None:
    with pytest.raises(SignatureError):
        woo.verify({"X-WC-Webhook-Signature": "bm9wZQ=="}, b"webhook_id=42", [SECRET])
    with pytest.raises(SignatureError):
        woo.verify({"X-WC-Webhook-Signature": ""}, b"webhook_id=42", [SECRET])


# --- every saved real payload -----------------------------------------------------------------

WOO_FILES = {
    "woocommerce-order-created__frappe_ecommerce_integrations.json",
    "woocommerce-order-create-response-v3__woocommerce_woocommerce-rest-api-docs.json",
    "woocommerce-orders-list-with-refunds-v3__woocommerce_woocommerce-rest-api-docs.json",
    "woocommerce-order-refund-v3__woocommerce_woocommerce-rest-api-docs.json",
}


def test_every_saved_woocommerce_payload_is_listed() -> None:
    assert {p.name for p in PAYLOADS.glob("woocommerce-*")} == WOO_FILES


def _check_total(order_payload: dict[str, Any], d_order: Any) -> None:
    invoice = compute_invoice(d_order)
    assert invoice.grand_total == Decimal(order_payload["total"]) == d_order.paid_total
    # Per rate, the VAT is what the order's tax_lines say it charged.
    stated: dict[Decimal, Decimal] = {}
    for tl in order_payload["tax_lines"]:
        charged = Decimal(tl["tax_total"]) + Decimal(tl["shipping_tax_total"])
        stated[tl.get("rate_percent") or Decimal(-1)] = charged
    groups = {g.rate: g.vat for g in invoice.groups}
    for rate, vat in stated.items():
        if rate != Decimal(-1):
            assert groups[Decimal(rate)] == vat
    assert invoice.vat_total == Decimal(order_payload["total_tax"])


def test_frappe_order_created_company_without_vkn() -> None:
    name = "woocommerce-order-created__frappe_ecommerce_integrations.json"
    d = parse((PAYLOADS / name).read_bytes(), topic="order.created")
    assert d.kind is EventKind.ORDER
    assert (d.order_id, d.order_name) == ("205", "#205")
    assert d.order is None and d.invoiceable is False
    assert d.problem == "company 'asd' has no valid VKN (got nothing)"
    assert d.event_key == "order:205:2021-11-30T07:32:11"


def test_frappe_order_created_adds_up_once_hezarfen_gives_a_vkn() -> None:
    payload = load("woocommerce-order-created__frappe_ecommerce_integrations.json")
    payload["meta_data"] += _hez("company", tax_number=VKN, tax_office="Mumbai VD")
    d = parse(json.dumps(payload, default=str).encode(), topic="order.created")
    assert d.order is not None
    assert d.order.buyer.kind is BuyerKind.COMPANY and d.order.buyer.company_name == "asd"
    assert d.order.lines[0].unit_price == Decimal(15) and d.order.lines[0].vat_rate == 18
    assert d.order.reported_vat == {Decimal(18): Decimal("2.70")}
    _check_total(payload, d.order)
    # on-hold, cash on delivery, date_paid null: stored, not invoiced yet.
    assert d.order.payment.method is PaymentMethod.CASH_ON_DELIVERY
    assert d.invoiceable is False and d.problem == "order is not paid yet (status on-hold)"


def test_docs_create_response_without_rate_percent() -> None:
    name = "woocommerce-order-create-response-v3__woocommerce_woocommerce-rest-api-docs.json"
    payload = load(name)
    d = parse((PAYLOADS / name).read_bytes(), topic="order.created")
    assert (d.kind, d.order_id, d.order_name) == (EventKind.ORDER, "727", "#727")
    assert d.order is not None
    # This older API answer names the rate but gives no rate_percent: derived from its own
    # tax and base (1.35 on 18.00 = 7.5 %).
    assert [ln.vat_rate for ln in d.order.lines] == [Decimal("7.5"), Decimal("7.5"), Decimal(0)]
    assert d.order.lines[1].name == "Ship Your Idea – Color: Black, Size: M Test"  # &ndash;
    assert d.order.lines[2].kind is LineKind.SHIPPING
    _check_total(payload, d.order)
    assert compute_invoice(d.order).groups[0].vat == Decimal("1.35")
    assert d.order.payment.method is PaymentMethod.BANK_TRANSFER
    # Paid (processing): due for an invoice, parked for an operator by the currency.
    assert d.invoiceable is True and d.problem is not None and "currency USD" in d.problem


def test_docs_order_list_every_order() -> None:
    name = "woocommerce-orders-list-with-refunds-v3__woocommerce_woocommerce-rest-api-docs.json"
    orders = load(name)
    assert isinstance(orders, list) and len(orders) == 2
    with pytest.raises(MalformedPayload):  # a webhook body is never a list
        woo.parse({}, (PAYLOADS / name).read_bytes(), STORE)
    for payload in orders:
        order, problem = woo.order_from_resource(payload, STORE)
        assert problem is None and order is not None
        assert order.order_id == str(payload["id"])
        _check_total(payload, order)
        d = parse(json.dumps(payload, default=str).encode())
        assert d.order == order
        assert d.event_key == f"order:{payload['id']}:{payload['date_modified_gmt']}"
    # Order 723 lists refunds of -10.00 and -9.00 while total stays 39.00: the sale invoice
    # is for 39.00; refunds are not netted into it.
    refunded = orders[1]
    assert [r["total"] for r in refunded["refunds"]] == ["-10.00", "-9.00"]
    assert woo.is_paid(refunded)  # completed, even with date_paid null


def test_refund_object_is_a_refund_not_invoiced() -> None:
    name = "woocommerce-order-refund-v3__woocommerce_woocommerce-rest-api-docs.json"
    d = parse((PAYLOADS / name).read_bytes())
    assert d.kind is EventKind.REFUND and d.order is None and d.invoiceable is False
    assert d.order_id == "723"  # from its _links.up
    assert d.problem is None
    assert d.event_key == "refund:726:2017-03-21T20:07:11"
    # amount "10.00" is positive in the refund object; it names no line (an amount-only refund).
    assert d.refund is not None and (d.refund.refund_id, d.refund.total, d.refund.lines) == ("726", Decimal("10.00"), ())


def test_order_with_refund_summaries_lists_them_for_fetching() -> None:
    orders = load("woocommerce-orders-list-with-refunds-v3__woocommerce_woocommerce-rest-api-docs.json")
    d = parse(json.dumps(orders[1], default=str).encode())
    assert d.refunds_unfetched == tuple(str(r["id"]) for r in orders[1]["refunds"]) and d.refunds == ()
    assert d.invoiceable  # ingest invoices what was kept, once the refunds' lines are known


def woo_refund(rid: int, amount: str, items: list[tuple[str, int, str, str]],
               shipping: tuple[str, str, str] | None = None) -> dict[str, Any]:
    """A wc/v3 refund object: negative quantities and totals, the refunded line in meta."""
    def meta(ref: str) -> list[dict[str, Any]]:
        return [{"id": rid * 10, "key": "_refunded_item_id", "value": ref}]

    return {
        "id": rid, "date_created": "2025-03-16T12:00:00", "date_created_gmt": "2025-03-16T09:00:00",
        "amount": amount, "reason": "iade", "refunded_by": 1, "refunded_payment": True, "meta_data": [],
        "line_items": [{"id": rid + i, "name": "x", "quantity": -q, "subtotal": f"-{total}", "total": f"-{total}",
                        "total_tax": f"-{tax}", "meta_data": meta(ref)}
                       for i, (ref, q, total, tax) in enumerate(items, 1)],
        "shipping_lines": [] if shipping is None else [
            {"id": rid + 99, "method_title": "Kargo", "total": f"-{shipping[1]}", "total_tax": f"-{shipping[2]}",
             "meta_data": meta(shipping[0])}],
        "_links": {"up": [{"href": "https://shop.example/wp-json/wc/v3/orders/3120"}]},
    }


def test_line_refs_are_the_line_item_ids_and_shipping() -> None:
    d = parse(tr_order())
    assert d.order is not None
    assert [ln.line_ref for ln in d.order.lines] == ["1", "2", "3", "shipping", "20"]


def test_refund_object_with_lines_and_shipping_and_what_was_kept() -> None:
    refund = woo_refund(4001, "409.80", [("2", 1, "327.18", "32.72")], shipping=("10", "41.58", "8.32"))
    d = parse(refund)
    assert d.kind is EventKind.REFUND and d.order_id == "3120" and d.refund is not None
    assert [(x.line_ref, x.quantity, x.amount, x.tax) for x in d.refund.lines] == [
        ("2", Decimal(1), Decimal("359.90"), Decimal("32.72")), ("shipping", Decimal(1), Decimal("49.90"), Decimal("8.32"))]
    order = parse(tr_order()).order
    assert order is not None
    kept = kept_order(order, [d.refund])
    assert kept is not None
    assert kept.paid_total == Decimal("901.20") == compute_invoice(kept).grand_total
    assert [ln.line_ref for ln in kept.lines] == ["1", "3", "20"]
    assert kept.reported_vat == {Decimal(20): Decimal("107.47"), Decimal(1): Decimal("2.54")}


def test_refund_delivery_completes_the_summaries_with_the_fetched_refunds() -> None:
    order = tr_order(refunds=[{"id": 4001, "reason": "", "total": "-359.90"}, {"id": 4002, "reason": "", "total": "-1.00"}])
    d = parse(order)
    assert d.refunds_unfetched == ("4001", "4002")
    done = refund_delivery(d, [woo_refund(4001, "359.90", [("2", 1, "327.18", "32.72")])])
    assert [r.refund_id for r in done.refunds] == ["4001"] and done.refunds_unfetched == ("4002",)


# --- dedupe, topics, malformed --------------------------------------------------------------


def test_dedupe_key_is_the_business_key_not_the_delivery_id() -> None:
    payload = tr_order()
    first = parse(payload, **{"X-WC-Webhook-Delivery-ID": "a" * 32})
    retry = parse(payload, topic="order.created", **{"X-WC-Webhook-Delivery-ID": "b" * 32})
    assert first.event_key == retry.event_key == "order:3120:2025-03-14T07:22:10"
    changed = parse(tr_order(date_modified_gmt="2025-03-14T09:00:00"))
    assert changed.event_key != first.event_key


def test_deleted_order_and_other_resources_are_stored_as_other() -> None:
    deleted = parse({"id": 3120}, topic="order.deleted")
    assert deleted.kind is EventKind.OTHER and deleted.order_id == "3120"
    assert not deleted.invoiceable
    product_body = {"id": 77, "name": "Tişört", "date_modified_gmt": "2025-01-01T00:00:00"}
    product = parse(product_body, topic="product.updated")
    assert product.kind is EventKind.OTHER and product.order_id is None
    assert product.event_key == "product.updated:77:2025-01-01T00:00:00"


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b'"text"', b'{"status": "processing", "line_items": []}']
)
def test_malformed_bodies(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        woo.parse({"X-WC-Webhook-Topic": "order.updated"}, body, STORE)


# --- Turkish TRY orders of our own -----------------------------------------------------------


def _hez(
    kind: str, tc: str = "", tax_number: str = "", tax_office: str = ""
) -> list[dict[str, Any]]:
    # Hezarfen adds all four, as "" when missing.
    return [
        {"id": 9001, "key": "_billing_hez_invoice_type", "value": kind},
        {"id": 9002, "key": "_billing_hez_TC_number", "value": tc},
        {"id": 9003, "key": "_billing_hez_tax_number", "value": tax_number},
        {"id": 9004, "key": "_billing_hez_tax_office", "value": tax_office},
    ]


def tr_order(**overrides: Any) -> dict[str, Any]:
    """A TR store with prices_include_tax: the REST amounts are still VAT-exclusive.

    20 %: tişört 524.85 + kargo 41.58 + fee 12.50 = 578.93 net, VAT 107.47 + 8.32 = 115.79;
    10 %: 327.18 + 32.72; 1 %: 253.84 + 2.54. Total 1311.00.
    """
    order: dict[str, Any] = {
        "id": 3120,
        "number": "3120",
        "status": "processing",
        "currency": "TRY",
        "prices_include_tax": True,
        "date_created": "2025-03-14T10:21:05",
        "date_created_gmt": "2025-03-14T07:21:05",
        "date_modified_gmt": "2025-03-14T07:22:10",
        "date_paid_gmt": "2025-03-14T07:21:40",
        "discount_total": "71.66",
        "discount_tax": "11.80",
        "shipping_total": "41.58",
        "shipping_tax": "8.32",
        "cart_tax": "142.73",
        "total": "1311.00",
        "total_tax": "151.05",
        "payment_method": "iyzico",
        "payment_method_title": "Kredi Kartı (iyzico)",
        "billing": {
            "first_name": "Ayşe",
            "last_name": "Yılmaz",
            "company": "",
            "address_1": "Caferağa Mah. Moda Cad. No: 12",
            "address_2": "D: 3",
            "city": "Kadıköy",
            "state": "TR34",
            "postcode": "34710",
            "country": "TR",
            "email": "ayse@example.com",
            "phone": "05320000000",
        },
        "shipping": {k: "" for k in ("first_name", "last_name", "company", "address_1", "address_2",
                                     "city", "state", "postcode", "country", "phone")},
        "meta_data": _hez("person", tc=TCKN),
        "line_items": [
            {"id": 1, "name": "Pamuk Tişört", "sku": "TS-1", "quantity": 2, "subtotal": "583.17",
             "subtotal_tax": "116.63", "total": "524.85", "total_tax": "104.97",
             "taxes": [{"id": 1, "total": "104.97", "subtotal": "116.634"}], "price": 291.585},
            {"id": 2, "name": "Bebek Bezi", "sku": "BB-4", "quantity": 1, "subtotal": "327.18",
             "subtotal_tax": "32.72", "total": "327.18", "total_tax": "32.72",
             "taxes": [{"id": 2, "total": "32.718", "subtotal": "32.718"}], "price": 327.18},
            {"id": 3, "name": "Zeytinyağı 1 L", "sku": "ZY-1", "quantity": 3, "subtotal": "267.20",
             "subtotal_tax": "2.67", "total": "253.84", "total_tax": "2.54",
             "taxes": [{"id": 3, "total": "2.5384", "subtotal": "2.672"}], "price": 89.066667},
        ],
        "shipping_lines": [
            {"id": 10, "method_title": "Yurtiçi Kargo", "method_id": "flat_rate", "total": "41.58",
             "total_tax": "8.32", "taxes": [{"id": 1, "total": "8.316", "subtotal": ""}]},
        ],
        "fee_lines": [
            {"id": 20, "name": "Kapıda ödeme hizmet bedeli", "total": "12.50", "total_tax": "2.50",
             "tax_status": "taxable", "taxes": [{"id": 1, "total": "2.5", "subtotal": ""}]},
        ],
        "coupon_lines": [
            {"id": 30, "code": "bahar10", "discount": "71.66", "discount_tax": "11.80"}
        ],
        "tax_lines": [
            {"id": 901, "rate_code": "TR-KDV20-1", "rate_id": 1, "label": "KDV %20",
             "compound": False,
             "tax_total": "107.47", "shipping_tax_total": "8.32", "rate_percent": 20},
            {"id": 902, "rate_code": "TR-KDV10-1", "rate_id": 2, "label": "KDV %10",
             "compound": False,
             "tax_total": "32.72", "shipping_tax_total": "0.00", "rate_percent": 10},
            {"id": 903, "rate_code": "TR-KDV1-1", "rate_id": 3, "label": "KDV %1",
             "compound": False,
             "tax_total": "2.54", "shipping_tax_total": "0.00", "rate_percent": 1},
        ],
        "refunds": [],
    }
    order.update(overrides)
    return order


def test_try_order_adds_up_to_total_exactly() -> None:
    payload = tr_order()
    d = parse(payload)
    assert d.kind is EventKind.ORDER and d.invoiceable is True and d.problem is None
    assert d.order is not None
    order = d.order
    assert order.prices_include_vat is False  # REST amounts are net whatever the shop shows
    assert [(ln.kind, ln.vat_rate) for ln in order.lines] == [
        (LineKind.GOODS, 20), (LineKind.GOODS, 10), (LineKind.GOODS, 1),
        (LineKind.SHIPPING, 20), (LineKind.SERVICE, 20),
    ]
    assert order.lines[0].discount == Decimal("58.32")
    assert order.lines[2].discount == Decimal("13.36")
    invoice = compute_invoice(order)
    assert invoice.grand_total == Decimal("1311.00")
    assert {g.rate: g.gross for g in invoice.groups} == {
        Decimal(20): Decimal("694.72"),
        Decimal(10): Decimal("359.90"),
        Decimal(1): Decimal("256.38"),
    }
    _check_total(payload, order)
    assert order.order_name == "#3120"
    assert order.created_at.isoformat() == "2025-03-14T07:21:05+00:00"
    assert order.payment.method is PaymentMethod.CREDIT_CARD
    assert order.payment.platform == "Kredi Kartı (iyzico)"
    assert order.payment.date is not None
    assert order.payment.date.isoformat() == "2025-03-14T07:21:40+00:00"


def test_vat_per_rate_is_the_shops_tax_lines_not_a_recomputation() -> None:
    # Rounding per line: three 0.066 taxes are charged as 0.07 each (0.21), where rounding
    # their sum would give 0.20 and miss the order total by a kuruş.
    items = [
        {"id": i, "name": f"Etiket {i}", "quantity": 1, "subtotal": "0.33", "total": "0.33",
         "total_tax": "0.07", "taxes": [{"id": 1, "total": "0.066", "subtotal": "0.066"}],
         "price": 0.33}
        for i in range(3)
    ]
    tax_line = {"id": 901, "rate_id": 1, "label": "KDV %20", "rate_percent": 20,
                "tax_total": "0.21", "shipping_tax_total": "0.00"}
    payload = tr_order(line_items=items, shipping_lines=[], fee_lines=[], tax_lines=[tax_line],
                       total="1.20", total_tax="0.21")
    d = parse(payload)
    assert d.order is not None and d.invoiceable
    assert d.order.reported_vat == {Decimal(20): Decimal("0.21")}
    assert compute_invoice(d.order).grand_total == Decimal("1.20")


def test_negative_fee_lowers_the_goods_of_its_rate() -> None:
    payload = tr_order()
    payload["fee_lines"].append(
        {"id": 21, "name": "Havale indirimi", "total": "-20.00", "total_tax": "-4.00",
         "taxes": [{"id": 1, "total": "-4", "subtotal": ""}]}
    )
    payload["tax_lines"][0]["tax_total"] = "103.47"
    payload["total_tax"] = "147.05"
    payload["total"] = "1287.00"
    d = parse(payload)
    assert d.order is not None
    assert d.order.lines[0].discount == Decimal("78.32")  # 58.32 coupon + 20.00 fee
    _check_total(payload, d.order)


def test_stacked_rates_fall_back_to_summed_item_taxes() -> None:
    payload = tr_order(fee_lines=[], shipping_lines=[])
    payload["line_items"] = [payload["line_items"][1]]
    payload["line_items"][0]["taxes"] = [{"id": 2, "total": "32.718"}, {"id": 4, "total": "6.5436"}]
    extra = {"rate_id": 4, "tax_total": "6.54", "shipping_tax_total": "0.00", "rate_percent": 2}
    payload["tax_lines"] = [payload["tax_lines"][1], extra]
    payload["total_tax"] = "39.26"
    payload["total"] = "366.44"
    d = parse(payload)
    assert d.order is not None
    assert d.order.lines[0].vat_rate == 12
    assert d.order.reported_vat == {Decimal(12): Decimal("39.26")}
    assert compute_invoice(d.order).grand_total == Decimal("366.44")


def test_unit_price_keeps_enough_places_for_uneven_quantities() -> None:
    d = parse(tr_order())
    assert d.order is not None
    olive = d.order.lines[2]
    assert olive.quantity == 3 and olive.unit_price == Decimal("89.06666667")
    assert compute_invoice(d.order).lines[2].net_amount == Decimal("253.84")


def test_address_state_code_is_the_il_and_city_the_ilce() -> None:
    d = parse(tr_order())
    assert d.order is not None
    a = d.order.buyer.address
    assert (a.city, a.district) == ("İstanbul", "Kadıköy")
    assert (a.country, a.country_code) == ("Türkiye", "TR")


# --- Hezarfen identity ----------------------------------------------------------------------


def test_hezarfen_person_with_tckn() -> None:
    d = parse(tr_order())
    assert d.order is not None
    assert d.order.buyer.kind is BuyerKind.PERSON and d.order.buyer.tax_id == TCKN


def test_hezarfen_person_without_tckn_is_anonymous_with_real_name() -> None:
    d = parse(tr_order(meta_data=_hez("person")))
    assert d.invoiceable and d.order is not None
    buyer = d.order.buyer
    assert buyer.kind is BuyerKind.ANONYMOUS and buyer.tax_id == ANONYMOUS_TCKN
    assert (buyer.display_name, buyer.email) == ("Ayşe Yılmaz", "ayse@example.com")


def test_hezarfen_invalid_tckn_is_invalid_tax_id_unless_the_store_invoices_it_anonymously() -> None:
    payload = tr_order(meta_data=_hez("person", tc="12345678901"))
    d = parse(payload)
    assert d.order is None and d.invoiceable and category_of(d.problem) is AttentionCategory.INVALID_TAX_ID
    d = parse(payload, rules=BuyerRules(invalid_tax_id=InvalidTaxId.ANONYMOUS))
    assert d.order is not None and d.order.buyer.kind is BuyerKind.ANONYMOUS and d.order.identity_note


@pytest.mark.parametrize(
    "meta",
    [
        # Kolay Kimlik / WooKimlik (GurmeHub): billing_tc_kimlik, billing_vergiDairesi, billing_vergiNo
        [{"id": 1, "key": "_billing_tc_kimlik", "value": TCKN}],
        [{"id": 1, "key": "_billing_vergiNo", "value": VKN}, {"id": 2, "key": "_billing_vergiDairesi", "value": "Kadıköy"}],
    ],
)
def test_kolay_kimlik_plugin_keys_are_read(meta: list[dict[str, Any]]) -> None:
    d = parse(tr_order(meta_data=meta))
    assert d.order is not None and d.problem is None
    buyer = d.order.buyer
    if len(meta) == 1:
        assert (buyer.kind, buyer.tax_id) == (BuyerKind.PERSON, TCKN)
    else:  # a VKN and no company title: a company under the billing name
        assert (buyer.kind, buyer.tax_id, buyer.company_name) == (BuyerKind.COMPANY, VKN, "Ayşe Yılmaz")


def test_store_buyer_fields_read_a_themes_own_meta_keys() -> None:
    meta = [{"id": 1, "key": "fatura_tipi", "value": "Kurumsal"}, {"id": 2, "key": "fatura_vkn", "value": VKN},
            {"id": 3, "key": "fatura_vd", "value": "Kadıköy"}]
    payload = tr_order(meta_data=meta)
    payload["billing"]["company"] = "Moda Tekstil Ltd. Şti."
    rules = BuyerRules(vkn_keys=("fatura_vkn",), tax_office_keys=("fatura_vd",), invoice_type_keys=("fatura_tipi",))
    d = parse(payload, rules=rules)
    assert d.order is not None
    assert (d.order.buyer.kind, d.order.buyer.tax_id, d.order.buyer.tax_office) == (BuyerKind.COMPANY, VKN, "Kadıköy")
    assert parse(payload).order is None  # without the store's keys: a company without a VKN


def test_hezarfen_company() -> None:
    payload = tr_order(meta_data=_hez("company", tax_number=VKN, tax_office="Kadıköy"))
    payload["billing"]["company"] = "Moda Tekstil Ltd. Şti."
    d = parse(payload)
    assert d.invoiceable and d.order is not None
    buyer = d.order.buyer
    assert (buyer.kind, buyer.tax_id, buyer.tax_office) == (BuyerKind.COMPANY, VKN, "Kadıköy")
    assert buyer.company_name == "Moda Tekstil Ltd. Şti."


def test_hezarfen_company_without_vkn_is_stored_with_a_reason() -> None:
    payload = tr_order(meta_data=_hez("company", tax_office="Kadıköy"))
    payload["billing"]["company"] = "Moda Tekstil Ltd. Şti."
    d = parse(payload)
    assert d.kind is EventKind.ORDER and d.order is None and d.invoiceable and d.problem
    assert (d.order_id, d.order_name) == ("3120", "#3120")
    assert d.problem == "company 'Moda Tekstil Ltd. Şti.' has no valid VKN (got nothing)"


def test_hezarfen_person_choice_wins_over_a_stray_company_field() -> None:
    payload = tr_order()
    payload["billing"]["company"] = "-"
    d = parse(payload)
    assert d.order is not None and d.order.buyer.kind is BuyerKind.PERSON


# --- what is invoiceable --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "invoiceable", "problem"),
    [
        ({"status": "completed"}, True, None),
        ({"status": "processing", "date_paid_gmt": None}, True, None),
        ({"status": "on-hold"}, True, None),  # date_paid set: paid
        ({"status": "on-hold", "date_paid_gmt": None}, False,
         "order is not paid yet (status on-hold)"),
        ({"status": "pending", "date_paid_gmt": None}, False,
         "order is not paid yet (status pending)"),
        ({"status": "cancelled"}, False, "order cancelled at the shop"),
        ({"status": "refunded"}, False, "order fully refunded at the shop"),
        ({"status": "failed", "date_paid_gmt": None}, False,
         "order status is failed; nothing to invoice"),
    ],
)
def test_paid_and_invoiceable(
    changes: dict[str, Any], invoiceable: bool, problem: str | None
) -> None:
    d = parse(tr_order(**changes))
    assert d.kind is EventKind.ORDER
    assert d.invoiceable is invoiceable
    assert d.problem == problem


@pytest.mark.parametrize(
    ("method", "expected"),
    [("bacs", PaymentMethod.BANK_TRANSFER), ("cod", PaymentMethod.CASH_ON_DELIVERY),
     ("iyzico", PaymentMethod.CREDIT_CARD), ("paytr_payment_gateway", PaymentMethod.CREDIT_CARD)],
)
def test_payment_method(method: str, expected: PaymentMethod) -> None:
    d = parse(tr_order(payment_method=method))
    assert d.order is not None and d.order.payment.method is expected


def test_registry_and_resource_helpers() -> None:
    adapter = get_platform("woocommerce")
    payload = tr_order()
    before = copy.deepcopy(payload)
    order, problem = adapter.order_from_resource(payload, STORE)
    assert problem is None and order is not None and order.platform == "woocommerce"
    assert payload == before
    assert adapter.is_paid(payload)
    assert not adapter.is_paid(tr_order(status="pending", date_paid_gmt=None))


def test_a_quantity_in_exponent_form_waits_with_the_value_printed_plainly() -> None:
    payload = tr_order()
    payload["line_items"][0]["quantity"] = 1e-7  # a broken plugin's float, as JSON prints it
    d = parse(payload)
    assert d.problem is not None and "quantity 0.0000001 is outside" in d.problem
