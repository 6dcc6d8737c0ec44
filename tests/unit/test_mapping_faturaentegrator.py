"""Golden tests of the pure FaturaEntegratör mappings: buyer → customer, order → invoice
(net unit prices the provider's per-line rounding turns into the paid total), answers →
states."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_engine.domain import (
    ANONYMOUS_TCKN,
    Address,
    Buyer,
    BuyerKind,
    InvoiceLine,
    LineKind,
    Order,
    Payment,
    PaymentMethod,
    Shipment,
    round_kurus,
)
from sync_engine.providers.base import InvoiceRequest, SendState
from sync_engine.providers.faturaentegrator import mapping
from sync_engine.providers.http import dumps
from sync_engine.sandbox.faturaentegrator.rules import clean_input
from sync_engine.sandbox.faturaentegrator.schemas import validate_customer, validate_invoice
from sync_engine.sandbox.faturaentegrator.totals import invoice_totals
from tests.support.orders import PERSON, SETTINGS, order
from tests.support.providers import sale_request

D = Decimal
ADDRESS = Address(
    line1="Pınarkent Mah. Uydukent Sitesi", line2="No: 5", district="Pamukkale", city="Denizli",
    postal_code="20160",
)
COMPANY = Buyer(
    kind=BuyerKind.COMPANY, tax_id="1234567890", company_name="Örnek Teknoloji A.Ş.",
    tax_office="Pamukkale", email="muhasebe@ornek.com.tr", phone="02581234567", address=ADDRESS,
)
SOLE_PROPRIETOR = Buyer(
    kind=BuyerKind.COMPANY, tax_id="10000000146", company_name="Halit Ergül Yazılım",
    tax_office="Pamukkale", first_name="Halit", last_name="Ergül", address=ADDRESS,
)
ANON = Buyer(
    kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN, first_name="Zeynep", last_name="Kaya",
    email="Zeynep@Example.com", address=ADDRESS,
)


def request(o: Order, issue: date = date(2026, 11, 20)) -> InvoiceRequest:
    return sale_request(o, SETTINGS, issue)


def wire(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the provider receives it (Decimals as exact JSON numbers)."""
    return json.loads(dumps(payload), parse_float=Decimal)


def provider_view(payload: dict[str, Any]) -> dict[str, Any]:
    """The simulator's own validation and arithmetic applied to our payload."""
    record, bag = validate_invoice(
        clean_input(wire(payload)), customer_exists=lambda cid: True, sale_channels={1, 2},
        integrations={1, 3, 5}, today=date(2026, 12, 31),
    )
    assert not bag, bag.errors
    assert record is not None
    return invoice_totals(record["lines"])


def line(name: str, qty: str, price: str, rate: int, discount: str = "0", **kw: Any) -> InvoiceLine:
    return InvoiceLine(name=name, quantity=D(qty), unit_price=D(price), vat_rate=D(rate), discount=D(discount), **kw)


# -- invoice payload -------------------------------------------------------------------------


def test_full_invoice_payload_for_a_person() -> None:
    o = order()  # 2 × 149.90 @20 %, 85.00 − 5.00 @10 %, shipping 29.99 @20 %; paid 409.79
    payload = wire(mapping.invoice_payload(request(o), "7", sale_channel_id=1, invoice_integration_id=3))
    assert payload == {
        "customer": {"id": 7},
        "sale_channel_id": 1,
        "invoice_integration_id": 3,
        "order_id": "shop:1001:sale",
        "description": "#1001 (shopify 1001)",
        "type": "SATIS",
        "currency": "TRY",
        "issue_date": "2026-11-20",
        "payment_method": "credit_or_debit",
        "payment_date": "2026-11-20",
        "internet_sale": {
            "website": "https://demo-shop.example",
            "carrier_name": "Demo Mağazacılık A.Ş.",
            "carrier_tax_number": "1000036109",
            "shipment_date": "2026-11-20",
        },
        "lines": [
            # 2 × 124.915 = 249.83 net, VAT 49.97 → 299.80 = 2 × 149.90 paid
            {"name": "Tişört", "code": "TSHIRT-1", "quantity": D("2"), "unit": "C62",
             "unit_price": D("124.915"), "vat_rate": D("20")},
            # 85.00 incl. 10 % = 77.27 net before the discount; 72.73 + 7.27 = 80.00 paid
            {"name": "Kitap", "code": "BOOK-1", "quantity": D("1"), "unit": "C62",
             "unit_price": D("77.27"), "vat_rate": D("10"), "discount_amount": D("4.54")},
            {"name": "Kargo", "quantity": D("1"), "unit": "C62", "unit_price": D("24.99"),
             "vat_rate": D("20")},
        ],
    }
    totals = provider_view(payload)
    assert totals["grand_total"] == o.paid_total == D("409.79")
    assert [ln["total_amount"] for ln in totals["lines"]] == [D("299.80"), D("80.00"), D("29.99")]
    assert mapping.rounding_difference(request(o)) == 0


def test_vat_1_10_20_with_discounts_and_shipping_add_up_to_the_paid_total() -> None:
    o = order(
        lines=(
            line("Ekmek", "3", "12.45", 1),
            line("Süt", "2", "33.33", 1, "0.99"),
            line("Kitap", "1", "249.99", 10, "25.00"),
            line("Defter", "7", "18.90", 10),
            line("Kulaklık", "1", "1299.00", 20, "129.90"),
            line("Kargo", "1", "39.99", 20, kind=LineKind.SHIPPING),
        )
    )
    req = request(o)
    totals = provider_view(mapping.invoice_payload(req, "1", sale_channel_id=1, invoice_integration_id=1))
    assert totals["grand_total"] == o.paid_total
    by_rate = {v["vat_rate"]: v["net_amount"] + v["vat_amount"] for v in totals["vat_totals"]}
    assert by_rate == {g.rate: g.gross for g in req.invoice.groups}
    assert mapping.rounding_difference(req) == 0


def test_an_unreachable_single_line_total_is_reported_not_hidden() -> None:
    # At 20 % the provider's gross jumps 12.02 (net 10.02) → 12.04 (net 10.03): 12.03 paid
    # in one line cannot be expressed.
    o = order(lines=(line("Kalem", "1", "12.03", 20),))
    req = request(o)
    payload = mapping.invoice_payload(req, "1", sale_channel_id=1, invoice_integration_id=1)
    assert payload["lines"][0]["unit_price"] == D("10.02")
    assert provider_view(payload)["grand_total"] == D("12.02")
    assert mapping.rounding_difference(req) == D("0.01")


def test_a_second_line_absorbs_the_kurus_a_first_cannot_express() -> None:
    o = order(lines=(line("Kalem", "1", "12.03", 20), line("Silgi", "1", "5.00", 20)))
    req = request(o)
    totals = provider_view(mapping.invoice_payload(req, "1", sale_channel_id=1, invoice_integration_id=1))
    assert totals["grand_total"] == D("17.03")
    assert mapping.rounding_difference(req) == 0


def test_free_lines_never_absorb_kurus() -> None:
    o = order(lines=(line("Kalem", "1", "12.03", 20), line("Hediye", "1", "0", 20)))
    req = request(o)
    payload = mapping.invoice_payload(req, "1", sale_channel_id=1, invoice_integration_id=1)
    assert payload["lines"][1]["unit_price"] == D("0.00")
    assert mapping.rounding_difference(req) == D("0.01")


def test_vat_exclusive_order_with_the_shops_reported_vat() -> None:
    o = order(
        prices_include_vat=False,
        lines=(line("A", "3", "10.01", 20), line("B", "1", "0.03", 20)),
        reported_vat={D(20): D("6.01")},
        paid_total=D("36.07"),
    )
    req = request(o)
    totals = provider_view(mapping.invoice_payload(req, "1", sale_channel_id=1, invoice_integration_id=1))
    assert totals["grand_total"] == o.paid_total - mapping.rounding_difference(req)
    assert abs(mapping.rounding_difference(req)) <= D("0.01")


def test_zero_rate_line_carries_its_exemption_code() -> None:
    o = order(lines=(line("İhracat", "1", "100", 0, vat_exemption_code="301"),))
    payload = mapping.invoice_payload(request(o), "1", sale_channel_id=1, invoice_integration_id=1)
    assert payload["lines"][0]["vat_exemption_code"] == "301"
    assert provider_view(payload)["grand_total"] == D("100.00")


def test_internet_sale_fields_from_payment_and_shipment() -> None:
    o = order(
        payment=Payment(method=PaymentMethod.PAYMENT_AGENT, platform="iyzico",
                        date=datetime(2026, 11, 19, 22, 30, tzinfo=UTC)),
        shipment=Shipment(carrier_name="Yurtiçi Kargo A.Ş.", carrier_vkn="9860008925",
                          date=datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
        note="Kapıya bırakın",
    )
    payload = mapping.invoice_payload(request(o), "1", sale_channel_id="2", invoice_integration_id="5")
    assert payload["payment_method"] == "payment_agent"
    assert payload["payment_date"] == "2026-11-20"  # 22:30 UTC is 01:30 in İstanbul
    assert payload["internet_sale"] == {
        "website": "https://demo-shop.example", "carrier_name": "Yurtiçi Kargo A.Ş.",
        "carrier_tax_number": "9860008925", "shipment_date": "2026-11-20", "payment_platform": "iyzico",
    }
    assert payload["note"] == "Kapıya bırakın"
    assert (payload["sale_channel_id"], payload["invoice_integration_id"]) == ("2", "5")


@pytest.mark.parametrize("method", list(PaymentMethod))
def test_every_payment_method_maps_to_a_provider_constant(method: PaymentMethod) -> None:
    assert mapping.PAYMENT_METHODS[method] in (
        "credit_or_debit", "direct_transfer", "cash_on_delivery", "payment_agent", "other",
    )


# -- customers ----------------------------------------------------------------------------------


def accepted(payload: dict[str, Any]) -> None:
    record, bag = validate_customer(clean_input(wire(payload)))
    assert not bag, bag.errors


def test_person_customer() -> None:
    payload = mapping.customer_payload(PERSON)
    assert payload == {
        "type": "person", "tax_number": "10000000146", "name": "Ayşe", "surname": "Yılmaz",
        "country": "Türkiye", "address": "Bağdat Cad. No:1", "city": "İstanbul", "district": "Kadıköy",
        "postcode": "34710", "phone": "5551234567", "email": "ayse@example.com",
    }
    accepted(payload)


def test_company_customer() -> None:
    payload = mapping.customer_payload(COMPANY)
    assert payload == {
        "type": "company", "tax_number": "1234567890", "tax_office": "Pamukkale",
        "title": "Örnek Teknoloji A.Ş.", "country": "Türkiye",
        "address": "Pınarkent Mah. Uydukent Sitesi, No: 5", "city": "Denizli", "district": "Pamukkale",
        "postcode": "20160", "phone": "02581234567", "email": "muhasebe@ornek.com.tr",
    }
    accepted(payload)


def test_sole_proprietor_is_a_person_with_title_and_tax_office() -> None:
    payload = mapping.customer_payload(SOLE_PROPRIETOR)
    assert (payload["type"], payload["tax_number"], payload["name"], payload["surname"]) == (
        "person", "10000000146", "Halit", "Ergül",
    )
    assert (payload["title"], payload["tax_office"]) == ("Halit Ergül Yazılım", "Pamukkale")
    accepted(payload)


def test_anonymous_customer_with_and_without_a_name() -> None:
    named = mapping.customer_payload(ANON)
    assert (named["type"], named["tax_number"], named["name"], named["surname"]) == (
        "person", "11111111111", "Zeynep", "Kaya",
    )
    accepted(named)
    nameless = mapping.customer_payload(
        Buyer(kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN, address=Address(city="Ankara"))
    )
    assert (nameless["name"], nameless["surname"]) == ("Nihai", "Tüketici")
    # No street and no district: the district defaults, the address falls back to the city.
    assert (nameless["district"], nameless["address"], nameless["city"]) == ("Merkez", "Ankara", "Ankara")
    accepted(nameless)


def test_single_word_name_fills_name_and_surname() -> None:
    buyer = Buyer(kind=BuyerKind.PERSON, tax_id="10000000146", last_name="Tarkan")
    assert mapping.person_names(buyer) == ("Tarkan", "Tarkan")
    buyer = Buyer(kind=BuyerKind.PERSON, tax_id="10000000146", last_name="Ali Rıza Demir")
    assert mapping.person_names(buyer) == ("Ali Rıza", "Demir")


def test_search_filters() -> None:
    assert mapping.customer_search_filters(COMPANY) == {"filters[tax_number][$eq]": "1234567890"}
    assert mapping.customer_search_filters(ANON) == {
        "filters[tax_number][$eq]": "11111111111", "filters[email][$eqi]": "Zeynep@Example.com",
    }
    no_mail = ANON.model_copy(update={"email": ""})
    assert mapping.customer_search_filters(no_mail) == {
        "filters[tax_number][$eq]": "11111111111", "filters[name][$eqi]": "Zeynep",
        "filters[surname][$eqi]": "Kaya",
    }


def test_anonymous_buyers_are_told_apart_by_email_else_name_and_address() -> None:
    record = {"tax_number": "11111111111", "email": "zeynep@example.com", "name": "Z", "surname": "K"}
    assert mapping.customer_matches(ANON, record)
    assert not mapping.customer_matches(ANON, {**record, "email": "other@example.com"})
    no_mail = ANON.model_copy(update={"email": ""})
    stored = {**mapping.customer_payload(no_mail), "email": None}
    assert mapping.customer_matches(no_mail, stored)
    assert not mapping.customer_matches(no_mail, {**stored, "city": "İzmir"})
    assert not mapping.customer_matches(no_mail, {**stored, "email": "zeynep@example.com"})
    assert mapping.customer_matches(COMPANY, {"tax_number": "1234567890", "email": None})
    assert not mapping.customer_matches(COMPANY, {"tax_number": "9876543210"})


# -- answers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("pending", SendState.NOT_SENT), ("running", SendState.IN_PROGRESS),
        ("completed", SendState.SENT), ("failed", SendState.FAILED),
        ("canceled", SendState.CANCELLED), ("not_required", SendState.FAILED),
        ("something_new", SendState.FAILED), (None, SendState.FAILED),
    ],
)
def test_formal_status_table(status: str | None, state: SendState) -> None:
    result = mapping.edocument_state({"id": 1, "formal_status": status, "uuid": None})
    assert result.state is state
    assert result.raw_status == status


def test_answers_to_refs() -> None:
    data = {
        "id": 42, "formal_status": "completed", "uuid": "9f1f0a5e-1111-4222-8333-444455556666",
        "invoice_number": "FEN2026000000001", "order_id": "shop:1001:sale", "issue_date": "2026-11-20",
        "grand_total": "409.79",
    }
    ref = mapping.invoice_ref(data)
    assert (ref.invoice_id, ref.ettn, ref.invoice_number) == ("42", data["uuid"], "FEN2026000000001")
    remote = mapping.remote_invoice(data)
    assert (remote.order_ref, remote.issue_date, remote.total, remote.sent, remote.journaled) == (
        "shop:1001:sale", date(2026, 11, 20), D("409.79"), True, None,
    )
    assert mapping.remote_invoice({**data, "formal_status": "pending"}).sent is False


# -- property: the provider's total is ours, to a kuruş per rate ----------------------------

prices = st.decimals(min_value=D("0.00"), max_value=D("5000"), places=2)
quantities = st.sampled_from([D(1), D(1), D(2), D(3), D(7), D("0.5"), D("1.25")])
rates = st.sampled_from([D(1), D(10), D(20)])


@st.composite
def orders(draw: st.DrawFn) -> Order:
    lines = []
    for i in range(draw(st.integers(min_value=1, max_value=6))):
        qty, price, rate = draw(quantities), draw(prices), draw(rates)
        gross = (qty * price).quantize(D("0.01"))
        discount = draw(st.decimals(min_value=D(0), max_value=gross, places=2)) if draw(st.booleans()) else D(0)
        lines.append(InvoiceLine(name=f"L{i}", quantity=qty, unit_price=price, vat_rate=rate, discount=discount))
    paid = sum((round_kurus(ln.quantity * ln.unit_price) - ln.discount for ln in lines), D("0.00"))
    return order(lines=tuple(lines), paid_total=paid)


@settings(max_examples=150, deadline=None)
@given(orders())
def test_provider_total_is_paid_total_within_a_kurus_per_rate(o: Order) -> None:
    req = request(o)
    totals = provider_view(mapping.invoice_payload(req, "1", sale_channel_id=1, invoice_integration_id=1))
    by_rate = {v["vat_rate"]: v["net_amount"] + v["vat_amount"] for v in totals["vat_totals"]}
    for group in req.invoice.groups:
        assert abs(group.gross - by_rate[group.rate]) <= D("0.01")
    assert totals["grand_total"] == o.paid_total - mapping.rounding_difference(req)
    assert abs(mapping.rounding_difference(req)) <= D("0.01") * len(req.invoice.groups)
