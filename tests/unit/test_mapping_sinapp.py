"""Golden tests of the pure SinApp mapping: order -> create payload."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from decimal import Decimal

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
    compute_invoice,
)
from sync_engine.domain.keys import short_ref
from sync_engine.providers.base import InvoiceRequest, InvoiceSettings
from sync_engine.providers.errors import OrderDataError
from sync_engine.providers.http import dumps
from sync_engine.providers.sinapp.mapping import (
    INVOICE_ID_MAX,
    AnswerError,
    MappingError,
    courses,
    created_number,
    detail_invoice,
    detail_number,
    detail_total,
    error_message,
    invoice_id_for,
    invoice_payload,
    payment_date,
    succeeded,
)
from sync_engine.sandbox.contract import get as contract_get
from sync_engine.sandbox.sinapp.contract import CREATE
from tests.support.providers import SINAPP_SETTINGS as SETTINGS
from tests.support.providers import sale_request

ADDRESS = Address(
    line1="Pınarkent Mahallesi Uydukent Sitesi", line2="No: 5", district="Pamukkale",
    city="Denizli", postal_code="20160",
)
PERSON = Buyer(
    kind=BuyerKind.PERSON, tax_id="10000000146", first_name="Halit", last_name="Ergül",
    email="halit@example.com", phone="+90 505 366 09 02", address=ADDRESS,
)
COMPANY = Buyer(
    kind=BuyerKind.COMPANY, tax_id="1234567890", company_name="Örnek Teknoloji A.Ş.",
    tax_office="Pamukkale", first_name="Ahmet", last_name="Yılmaz",
    email="muhasebe@ornek.com.tr", phone="02581234567", address=ADDRESS,
)
ANONYMOUS = Buyer(kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN)

MIXED_LINES = (
    # 2 × 149.90 = 299.80 − 29.98 discount = 269.82 paid
    InvoiceLine(sku="TS-1", name="Pamuklu Tişört", quantity=Decimal(2), unit_price=Decimal("149.90"),
                vat_rate=Decimal(20), discount=Decimal("29.98")),
    InvoiceLine(sku="BK-1", name="Kitap: Python", quantity=Decimal(1), unit_price=Decimal("85.50"),
                vat_rate=Decimal(10)),
    InvoiceLine(sku="EK-1", name="Ekmek", quantity=Decimal(3), unit_price=Decimal("12.35"),
                vat_rate=Decimal(1)),
    InvoiceLine(name="Standart Teslimat", quantity=Decimal(1), unit_price=Decimal("49.99"),
                vat_rate=Decimal(20), kind=LineKind.SHIPPING),
)
MIXED_PAID = Decimal("442.36")  # 269.82 + 85.50 + 37.05 + 49.99


def make_order(
    buyer: Buyer = PERSON,
    lines: tuple[InvoiceLine, ...] = MIXED_LINES,
    paid: Decimal = MIXED_PAID,
    *,
    include_vat: bool = True,
    payment: Payment | None = None,
    reported_vat: dict[Decimal, Decimal] | None = None,
    order_id: str = "5551234567",
) -> Order:
    return Order(
        store_id="demo-shop",
        platform="shopify",
        order_id=order_id,
        order_name="#1001",
        created_at=datetime(2025, 3, 11, 11, 30, tzinfo=UTC),
        prices_include_vat=include_vat,
        buyer=buyer,
        lines=lines,
        paid_total=paid,
        reported_vat=reported_vat or {},
        payment=payment or Payment(method=PaymentMethod.CREDIT_CARD, platform="iyzico"),
    )


def make_request(order: Order) -> InvoiceRequest:
    return sale_request(order, SETTINGS, date(2025, 3, 11))


def payload_for(order: Order) -> dict:
    return invoice_payload(make_request(order), website="demo-shop.example",
                           company_name="Demo Mağazacılık A.Ş.")


def total_of(payload: dict) -> Decimal:
    return sum((c["price"] for c in payload["siparis_detaylari"]["courses"]), Decimal(0))


def as_sent(payload: dict) -> dict:
    """The payload as SinApp receives it: our exact-Decimal JSON, parsed back exactly."""
    return json.loads(dumps(payload), parse_float=Decimal)


def test_full_payload_for_a_person_with_discount_shipping_and_three_vat_rates() -> None:
    payload = payload_for(make_order())
    assert payload == {
        "Channel": {"website": "demo-shop.example", "company_name": "Demo Mağazacılık A.Ş."},
        "fatura_bilgileri": {
            "invoice_id": short_ref("demo-shop:5551234567:sale"),
            "order_id": "5551234567",
            "invoice_type": "individual",
            "company_name": None,
            "tax_number": None,
            "tax_office": None,
            "full_name": "Halit Ergül",
            "identity_number": "10000000146",
            "contact_name": "Halit",
            "contact_surname": "Ergül",
            "contact_phone": "+905053660902",
            "contact_email": "halit@example.com",
            "contact_city": "Denizli",
            "contact_district": "Pamukkale",
            "contact_address": "Pınarkent Mahallesi Uydukent Sitesi, No: 5",
        },
        "siparis_detaylari": {
            "order_id": "5551234567",
            "courses": [
                {"title": "Pamuklu Tişört x 2", "price": Decimal("269.82")},
                {"title": "Kitap: Python", "price": Decimal("85.50")},
                {"title": "Ekmek x 3", "price": Decimal("37.05")},
                {"title": "Kargo", "price": Decimal("49.99")},
            ],
            "total_course_price": Decimal("442.36"),
            "amount": Decimal("442.36"),
            "payment_method": "1",
            # 11:30 UTC is 14:30 in Istanbul (UTC+3 all year since 2016)
            "payment_date": "2025-03-11 14:30:00",
            "payment_solution": "iyzico",
        },
    }
    assert total_of(payload) == MIXED_PAID
    assert CREATE.violations(as_sent(payload)) == []


def test_amounts_are_written_as_exact_json_numbers() -> None:
    text = dumps(payload_for(make_order())).decode()
    assert '"price": 85.50' in text
    assert '"total_course_price": 442.36' in text
    assert '"amount": 442.36' in text
    assert '"payment_method": "1"' in text  # documented as a String


def test_company_with_vkn_gets_company_fields_and_the_placeholder_identity() -> None:
    billing = payload_for(make_order(COMPANY))["fatura_bilgileri"]
    assert billing | {"invoice_id": "-"} == {
        "invoice_id": "-",
        "order_id": "5551234567",
        "invoice_type": "company",
        "company_name": "Örnek Teknoloji A.Ş.",
        "tax_number": "1234567890",
        "tax_office": "Pamukkale",
        "full_name": "Örnek Teknoloji A.Ş.",
        "identity_number": ANONYMOUS_TCKN,
        "contact_name": "Ahmet",
        "contact_surname": "Yılmaz",
        "contact_phone": "02581234567",
        "contact_email": "muhasebe@ornek.com.tr",
        "contact_city": "Denizli",
        "contact_district": "Pamukkale",
        "contact_address": "Pınarkent Mahallesi Uydukent Sitesi, No: 5",
    }
    assert CREATE.violations(as_sent(payload_for(make_order(COMPANY)))) == []


def test_sole_proprietor_company_keeps_the_owner_tckn_as_identity() -> None:
    sole = COMPANY.model_copy(update={"tax_id": "10000000146"})
    billing = payload_for(make_order(sole))["fatura_bilgileri"]
    assert billing["tax_number"] == "10000000146"
    assert billing["identity_number"] == "10000000146"


def with_settings(**changes: object) -> InvoiceSettings:
    return dataclasses.replace(SETTINGS, **changes)


def payload_with(order: Order, settings: InvoiceSettings) -> dict:
    req = sale_request(order, settings, date(2025, 3, 11))
    return invoice_payload(req, website="demo-shop.example", company_name="Demo Mağazacılık A.Ş.")


def data_error(order: Order, settings: InvoiceSettings = SETTINGS) -> OrderDataError:
    with pytest.raises(OrderDataError) as info:
        payload_with(order, settings)
    return info.value


ANONYMOUS_AT_AN_ADDRESS = ANONYMOUS.model_copy(update={"address": ADDRESS})
DEFAULTS = with_settings(default_contact_phone="0212 555 00 00",
                         default_contact_email="fatura@demo-shop.example")


def test_anonymous_consumer_without_a_name_gets_the_documented_placeholders() -> None:
    payload = payload_with(make_order(ANONYMOUS_AT_AN_ADDRESS), DEFAULTS)
    billing = payload["fatura_bilgileri"]
    assert billing["invoice_type"] == "individual"
    assert billing["identity_number"] == "11111111111"
    assert billing["full_name"] == "Nihai Tüketici"
    assert (billing["contact_name"], billing["contact_surname"]) == ("Nihai", "Tüketici")
    # No phone or e-mail in the order: the store's defaults, never an empty required field.
    assert billing["contact_phone"] == "02125550000"
    assert billing["contact_email"] == "fatura@demo-shop.example"
    assert CREATE.violations(as_sent(payload)) == []


def test_anonymous_consumer_with_a_name_keeps_it() -> None:
    buyer = Buyer(kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN, first_name="Ayşe",
                  last_name="Kaya", address=ADDRESS)
    billing = payload_with(make_order(buyer), DEFAULTS)["fatura_bilgileri"]
    assert billing["full_name"] == "Ayşe Kaya"
    assert (billing["contact_name"], billing["contact_surname"]) == ("Ayşe", "Kaya")


def test_every_required_field_is_sent_non_empty() -> None:
    for buyer, settings in ((PERSON, SETTINGS), (COMPANY, SETTINGS),
                            (ANONYMOUS_AT_AN_ADDRESS, DEFAULTS)):
        payload = payload_with(make_order(buyer), settings)
        for spec in CREATE.fields:
            if spec.required and "[]" not in spec.path:
                value = contract_get(payload, spec.path)
                assert value not in (None, ""), (buyer.kind, spec.path)
        assert CREATE.violations(as_sent(payload)) == [], buyer.kind


def test_contact_phone_falls_back_from_the_buyer_to_the_store_default() -> None:
    assert payload_with(make_order(PERSON), DEFAULTS)["fatura_bilgileri"]["contact_phone"] == (
        "+905053660902")  # the buyer's own phone wins
    no_phone = PERSON.model_copy(update={"phone": "  -  "})
    billing = payload_with(make_order(no_phone), DEFAULTS)["fatura_bilgileri"]
    assert billing["contact_phone"] == "02125550000"


def test_no_phone_anywhere_stops_naming_the_field() -> None:
    error = data_error(make_order(PERSON.model_copy(update={"phone": ""})))
    assert error.field == "fatura_bilgileri.contact_phone"
    assert "default_contact_phone" in error.message


def test_contact_email_falls_back_and_a_malformed_one_is_not_sent() -> None:
    for email in ("", "not-an-email"):
        buyer = PERSON.model_copy(update={"email": email})
        billing = payload_with(make_order(buyer), DEFAULTS)["fatura_bilgileri"]
        assert billing["contact_email"] == "fatura@demo-shop.example"
        error = data_error(make_order(buyer))
        assert error.field == "fatura_bilgileri.contact_email"
    assert "not-an-email" in error.message


def test_an_invalid_default_is_not_sent_either() -> None:
    bad = with_settings(default_contact_email="yok", default_contact_phone="0" * 21)
    error = data_error(make_order(PERSON.model_copy(update={"email": ""})), bad)
    assert error.field == "fatura_bilgileri.contact_email"
    error = data_error(make_order(PERSON.model_copy(update={"phone": ""})), bad)
    assert error.field == "fatura_bilgileri.contact_phone"


def test_values_longer_than_the_field_are_refused_never_cut() -> None:
    assert data_error(make_order(PERSON.model_copy(update={"phone": "0" * 25}))).field == (
        "fatura_bilgileri.contact_phone")
    long_street = ADDRESS.model_copy(update={"line1": "a" * 501, "line2": ""})
    assert data_error(make_order(PERSON.model_copy(update={"address": long_street}))).field == (
        "fatura_bilgileri.contact_address")
    long_title = COMPANY.model_copy(update={"company_name": "Ş" * 256})
    assert data_error(make_order(long_title)).field == "fatura_bilgileri.company_name"
    lines = (InvoiceLine(name="Ü" * 300, quantity=Decimal(1), unit_price=Decimal("1.00"),
                         vat_rate=Decimal(20)),)
    error = data_error(make_order(lines=lines, paid=Decimal("1.00")))
    assert error.field == "siparis_detaylari.courses[0].title"
    assert "300 characters" in error.message


def test_a_company_without_a_contact_person_stops_naming_the_field() -> None:
    nobody = COMPANY.model_copy(update={"first_name": "", "last_name": ""})
    assert data_error(make_order(nobody)).field == "fatura_bilgileri.contact_name"
    no_surname = COMPANY.model_copy(update={"last_name": ""})
    assert data_error(make_order(no_surname)).field == "fatura_bilgileri.contact_surname"


def test_address_fallbacks_district_and_street() -> None:
    bare = Address(city="Denizli")
    billing = payload_for(make_order(PERSON.model_copy(update={"address": bare})))["fatura_bilgileri"]
    assert billing["contact_city"] == "Denizli"
    assert billing["contact_district"] == "Merkez"
    assert billing["contact_address"] == "Merkez / Denizli"
    no_city = PERSON.model_copy(update={"address": Address(line1="Bir Sokak 1")})
    assert data_error(make_order(no_city)).field == "fatura_bilgileri.contact_city"


def test_a_blank_channel_is_refused_before_sending() -> None:
    with pytest.raises(OrderDataError) as info:
        invoice_payload(make_request(make_order()), website=" ", company_name="X")
    assert info.value.field == "Channel.website"


def test_vat_exclusive_prices_become_gross_courses_that_add_up() -> None:
    lines = (
        InvoiceLine(name="Kalem", quantity=Decimal(3), unit_price=Decimal("10.00"),
                    vat_rate=Decimal(20)),  # 30.00 net + 6.00
        InvoiceLine(name="Defter", quantity=Decimal(1), unit_price=Decimal("33.33"),
                    vat_rate=Decimal(10)),  # 33.33 net + 3.33
        InvoiceLine(name="Kargo ücreti", quantity=Decimal(1), unit_price=Decimal("20.00"),
                    vat_rate=Decimal(20), kind=LineKind.SHIPPING),  # 20.00 + 4.00
    )
    order = make_order(lines=lines, paid=Decimal("96.66"), include_vat=False)
    details = payload_for(order)["siparis_detaylari"]
    assert details["courses"] == [
        {"title": "Kalem x 3", "price": Decimal("36.00")},
        {"title": "Defter", "price": Decimal("36.66")},
        {"title": "Kargo", "price": Decimal("24.00")},
    ]
    assert details["total_course_price"] == details["amount"] == Decimal("96.66")


def test_a_one_kurus_difference_is_absorbed_by_the_largest_course() -> None:
    # The shop reports 20 % VAT of 6.01 on 30.00 net: the lines sum to 36.01, but the
    # shop charged 36.00 -> one kuruş, within the tolerance of one kuruş per VAT rate.
    lines = (
        InvoiceLine(name="A", quantity=Decimal(1), unit_price=Decimal("20.00"), vat_rate=Decimal(20)),
        InvoiceLine(name="B", quantity=Decimal(1), unit_price=Decimal("10.00"), vat_rate=Decimal(20)),
    )
    order = make_order(lines=lines, paid=Decimal("36.00"), include_vat=False,
                       reported_vat={Decimal(20): Decimal("6.01")})
    request = make_request(order)
    assert request.invoice.difference == Decimal("-0.01")
    details = payload_for(order)["siparis_detaylari"]
    # VAT 6.01 spreads 4.01 / 2.00, so the lines are 24.01 and 12.00; the kuruş comes off A.
    assert [c["price"] for c in details["courses"]] == [Decimal("24.00"), Decimal("12.00")]
    assert details["total_course_price"] == details["amount"] == Decimal("36.00")


def test_an_order_that_does_not_add_up_is_refused() -> None:
    with pytest.raises(MappingError, match="paid"):
        payload_for(make_order(paid=MIXED_PAID + Decimal("5.00")))


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (PaymentMethod.CREDIT_CARD, "1"),
        (PaymentMethod.PAYMENT_AGENT, "1"),
        (PaymentMethod.BANK_TRANSFER, "0"),
        (PaymentMethod.CASH_ON_DELIVERY, None),
        (PaymentMethod.OTHER, None),
    ],
)
def test_payment_method_codes(method: PaymentMethod, expected: str | None) -> None:
    details = payload_for(make_order(payment=Payment(method=method)))["siparis_detaylari"]
    assert details.get("payment_method") == expected
    assert "payment_solution" not in details  # no platform given


def test_payment_date_prefers_the_payment_moment_in_istanbul_time() -> None:
    paid_at = datetime(2024, 12, 31, 22, 15, 5, tzinfo=UTC)
    details = payload_for(make_order(payment=Payment(date=paid_at)))["siparis_detaylari"]
    assert details["payment_date"] == "2025-01-01 01:15:05"
    assert payment_date(datetime(2025, 6, 1, 9, 0, 0)) == "2025-06-01 12:00:00"  # naive = UTC


def test_fractional_quantity() -> None:
    lines = (
        InvoiceLine(name="Peynir", quantity=Decimal("1.500"), unit_price=Decimal("200.00"),
                    vat_rate=Decimal(1), unit_code="KGM"),
    )
    got = courses(compute_invoice(make_order(lines=lines, paid=Decimal("300.00"))))
    assert got == [{"title": "Peynir x 1.5", "price": Decimal("300.00")}]


def test_invoice_id_is_stable_short_and_distinct_per_key() -> None:
    a = invoice_id_for("demo-shop:1:sale")
    assert a == invoice_id_for("demo-shop:1:sale")
    assert a != invoice_id_for("demo-shop:2:sale")
    assert a != invoice_id_for("demo-shop:1:return:9")
    assert a.startswith("se_") and len(a) == 23 <= INVOICE_ID_MAX


_PRICES = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=5),
            _PRICES,
            st.sampled_from([Decimal(1), Decimal(10), Decimal(20)]),
            st.integers(min_value=0, max_value=50),  # discount percent
        ),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
)
def test_courses_always_add_up_to_the_paid_total(lines_spec, include_vat: bool) -> None:
    lines = []
    for i, (qty, price, rate, pct) in enumerate(lines_spec):
        before = Decimal(qty) * price
        discount = (before * pct / 100).quantize(Decimal("0.01"))
        lines.append(InvoiceLine(name=f"L{i}", quantity=Decimal(qty), unit_price=price,
                                 vat_rate=rate, discount=discount))
    probe = make_order(lines=tuple(lines), paid=Decimal(0), include_vat=include_vat)
    paid = compute_invoice(probe).grand_total
    payload = payload_for(probe.model_copy(update={"paid_total": paid}))
    details = payload["siparis_detaylari"]
    assert total_of(payload) == details["total_course_price"] == details["amount"] == paid
    assert CREATE.violations(as_sent(payload)) == []


# --- answers: either envelope, read liberally; a shape none fits names the field ------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"success": True, "message": "Fatura başarıyla oluşturuldu"}, True),  # create (C seed)
        ({"status": "success", "data": {}}, True),  # detail (C seed)
        ({"success": "1"}, True),
        ({"success": False, "message": "x"}, False),
        ({"status": "error", "message": "x"}, False),
        ({"message": "x"}, None),
        ({}, None),
    ],
)
def test_success_is_read_from_either_envelope(body: dict, expected: bool | None) -> None:
    assert succeeded(body) is expected


def test_error_message_and_created_number() -> None:
    assert error_message({"success": False, "message": "Geçersiz JSON"}) == "Geçersiz JSON"
    assert error_message({"status": "error", "error": "Yetkisiz"}) == "Yetkisiz"
    assert error_message({"success": False}) is None
    assert error_message(["x"]) is None
    assert created_number({"success": True, "invoice_id": 123, "invoice_number": "INV-12345"}) == (
        "INV-12345")
    assert created_number({"status": "success", "data": {"invoice_number": "INV-9"}}) == "INV-9"
    assert created_number({"success": True, "invoice_id": 123}) is None  # not relied upon


SEED_DETAIL = {
    "status": "success",
    "data": {
        "invoice": {"id": "123", "invoice_number": "INV-2024-001", "order_id": "456",
                    "status": "sent", "currency": "TRY", "grand_total": "1500.00"},
        "customer": {}, "items": [], "payment": {},
    },
}


@pytest.mark.parametrize(
    "body",
    [
        SEED_DETAIL,
        {"success": True, "data": SEED_DETAIL["data"]},
        {"status": "success", "data": SEED_DETAIL["data"]["invoice"]},
        {"status": "success", "invoice": SEED_DETAIL["data"]["invoice"]},
    ],
    ids=["seed", "success-envelope", "data-is-invoice", "top-level-invoice"],
)
def test_the_detail_invoice_is_found_in_every_plausible_shape(body: dict) -> None:
    invoice = detail_invoice(body)
    assert detail_number(invoice) == "INV-2024-001"
    assert detail_total(invoice) == Decimal("1500.00")


def test_detail_total_variants_and_errors() -> None:
    assert detail_total({"grand_total": 1500.5}) == Decimal("1500.5")
    assert detail_total({}) is None
    for bad in ("bin beş yüz", True, "NaN"):
        with pytest.raises(AnswerError) as info:
            detail_total({"grand_total": bad})
        assert info.value.field == "data.invoice.grand_total"
    with pytest.raises(AnswerError) as info:
        detail_invoice({"status": "success", "data": {"items": []}})
    assert info.value.field == "data.invoice"
