"""Buyer identity rules (TCKN / VKN / anonymous), lines, orders and their JSON round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sync_engine.domain import (
    ANONYMOUS_TCKN,
    GIB_VAT_RATES,
    Address,
    Buyer,
    BuyerKind,
    InvoiceLine,
    LineKind,
    Order,
    TaxIdError,
    is_valid_tckn,
    is_valid_vkn,
    mask,
    validate_tckn,
    validate_vkn,
)

D = Decimal
# Checksums verified with python-stdnum (stdnum.tr.tckimlik / stdnum.tr.vkn).
TCKNS = ["10000000146", "12345678950", "98765432150", "55555555550"]
VKNS = ["1000036109", "1234567890", "9876543217"]
BAD_TCKNS = [
    "10000000147",  # last check digit wrong
    "10000000156",  # tenth check digit wrong
    "01234567890",  # a TCKN never starts with 0
    "1000000014",  # 10 digits
    "100000001460",  # 12 digits
    "1000000014a",
    "",
]
BAD_VKNS = ["1000036108", "123456789", "12345678901", "100003610x", ""]


def person(**kw: Any) -> Buyer:
    fields: dict[str, Any] = {
        "kind": BuyerKind.PERSON, "tax_id": TCKNS[0], "first_name": "Ayşe", "last_name": "Yılmaz",
    }
    return Buyer(**(fields | kw))


def company(**kw: Any) -> Buyer:
    fields: dict[str, Any] = {
        "kind": BuyerKind.COMPANY,
        "tax_id": VKNS[0],
        "company_name": "Demo Mağazacılık A.Ş.",
        "tax_office": "Kadıköy",
    }
    return Buyer(**(fields | kw))


def anonymous(**kw: Any) -> Buyer:
    return Buyer(**({"kind": BuyerKind.ANONYMOUS, "tax_id": ANONYMOUS_TCKN} | kw))


def item(**kw: Any) -> InvoiceLine:
    fields: dict[str, Any] = {
        "name": "Tişört", "quantity": D(1), "unit_price": D("100.00"), "vat_rate": D(20)
    }
    return InvoiceLine(**(fields | kw))


def order(**kw: Any) -> Order:
    fields: dict[str, Any] = {
        "store_id": "shop",
        "platform": "shopify",
        "order_id": "5123456789012345678",
        "order_name": "#1001",
        "created_at": datetime(2025, 3, 14, 9, 0, tzinfo=UTC),
        "buyer": person(),
        "lines": (item(),),
        "paid_total": D("100.00"),
    }
    return Order(**(fields | kw))


# --- tax ids -----------------------------------------------------------------------------


@pytest.mark.parametrize("tckn", TCKNS)
def test_valid_tckns(tckn: str) -> None:
    assert is_valid_tckn(tckn)
    assert validate_tckn(tckn) == tckn
    assert validate_tckn(f" {tckn[:3]} {tckn[3:]} ") == tckn  # spaces as typed into a form


@pytest.mark.parametrize("vkn", VKNS)
def test_valid_vkns(vkn: str) -> None:
    assert is_valid_vkn(vkn)
    assert validate_vkn(vkn) == vkn


@pytest.mark.parametrize(
    ("value", "is_valid", "validate", "message"),
    [(t, is_valid_tckn, validate_tckn, "invalid TCKN") for t in BAD_TCKNS]
    + [(v, is_valid_vkn, validate_vkn, "invalid VKN") for v in BAD_VKNS],
)
def test_invalid_tax_ids(value: str, is_valid: Any, validate: Any, message: str) -> None:
    assert not is_valid(value)
    with pytest.raises(TaxIdError, match=message):
        validate(value)


def test_the_anonymous_tckn_fails_the_checksum_on_purpose() -> None:
    assert ANONYMOUS_TCKN == "11111111111"
    assert not is_valid_tckn(ANONYMOUS_TCKN)
    assert issubclass(TaxIdError, ValueError)


# --- Buyer -------------------------------------------------------------------------------


@pytest.mark.parametrize("tckn", TCKNS)
def test_person_with_valid_tckn_and_last_name(tckn: str) -> None:
    buyer = person(tax_id=tckn)
    assert buyer.display_name == "Ayşe Yılmaz"
    assert buyer.tax_id == tckn


@pytest.mark.parametrize("tckn", [*BAD_TCKNS, ANONYMOUS_TCKN, VKNS[0]])
def test_person_needs_a_valid_tckn(tckn: str) -> None:
    with pytest.raises(ValidationError, match="invalid TCKN"):
        person(tax_id=tckn)


@pytest.mark.parametrize("last_name", ["", "   "])
def test_person_needs_a_last_name(last_name: str) -> None:
    with pytest.raises(ValidationError, match="last name"):
        person(last_name=last_name)


def test_anonymous_is_exactly_the_anonymous_tckn() -> None:
    buyer = anonymous(first_name="Ali")
    assert buyer.tax_id == ANONYMOUS_TCKN
    for other in [TCKNS[0], VKNS[0], "", "1111111111", "111111111111"]:
        with pytest.raises(ValidationError, match="11111111111"):
            anonymous(tax_id=other)


def test_anonymous_tckn_is_admitted_only_for_the_anonymous_consumer() -> None:
    with pytest.raises(ValidationError, match="invalid TCKN"):
        person(tax_id=ANONYMOUS_TCKN)
    with pytest.raises(ValidationError, match="invalid TCKN"):
        company(tax_id=ANONYMOUS_TCKN)


@pytest.mark.parametrize("vkn", VKNS)
def test_company_with_valid_vkn_title_and_tax_office(vkn: str) -> None:
    buyer = company(tax_id=vkn)
    assert buyer.display_name == "Demo Mağazacılık A.Ş."


def test_sole_proprietor_invoices_under_the_owners_tckn() -> None:
    assert company(tax_id=TCKNS[1]).tax_id == TCKNS[1]
    with pytest.raises(ValidationError, match="invalid TCKN"):
        company(tax_id="10000000147")


@pytest.mark.parametrize("vkn", BAD_VKNS)
def test_company_needs_a_valid_vkn(vkn: str) -> None:
    with pytest.raises(ValidationError, match="invalid (VKN|TCKN)"):
        company(tax_id=vkn)


@pytest.mark.parametrize(
    ("field", "message"), [("company_name", "title"), ("tax_office", "tax office")]
)
@pytest.mark.parametrize("blank", ["", "  "])
def test_company_needs_title_and_tax_office(field: str, message: str, blank: str) -> None:
    with pytest.raises(ValidationError, match=message):
        company(**{field: blank})




@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (BuyerKind.PERSON, "100 000 001 46"),
        (BuyerKind.PERSON, "12345678950 "),
        (BuyerKind.COMPANY, "1000 036 109"),
    ],
)
def test_an_accepted_buyer_has_a_tax_id_of_digits_only(kind: BuyerKind, raw: str) -> None:
    build = person if kind is BuyerKind.PERSON else company
    try:
        buyer = build(tax_id=raw)
    except ValidationError:
        return  # refusing the spaced form would be a fine answer too
    # Providers and GİB take the id as it stands: spaces inside it are a rejected invoice.
    assert buyer.tax_id.isdigit()
    assert len(buyer.tax_id) in (10, 11)


def test_whitespace_in_a_tckn_is_treated_alike_for_persons_and_sole_proprietors() -> None:
    raw = TCKNS[1] + " "

    def accepted(build: Any) -> bool:
        try:
            build(tax_id=raw)
        except ValidationError:
            return False
        return True

    assert accepted(person) == accepted(company)


def test_buyer_is_frozen_and_strict() -> None:
    buyer = person()
    with pytest.raises(ValidationError):
        buyer.tax_id = TCKNS[1]  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        person(nickname="ayse")


# --- distinguishing_code -----------------------------------------------------------------


def test_distinguishing_code_is_a_fixed_hash_of_the_email() -> None:
    # Fixed value: the code names the buyer's cari at the provider; if the hash changed, every
    # returning anonymous buyer would get a second cari.
    buyer = anonymous(first_name="Ayşe", last_name="Yılmaz", email="ayse@example.com")
    assert buyer.distinguishing_code == "A9B00B0B820CA"
    assert buyer.distinguishing_code == buyer.distinguishing_code


def code_of(**kw: Any) -> str | None:
    return anonymous(**kw).distinguishing_code


def test_distinguishing_code_ignores_email_case_and_whitespace() -> None:
    code = code_of(email="ayse@example.com")
    assert code_of(email="  Ayse@EXAMPLE.com ") == code
    # The e-mail decides alone: the same person typing their name differently is one buyer.
    assert code_of(email="ayse@example.com", first_name="A.", last_name="Y.") == code
    assert code_of(email="mehmet@example.com") != code


def test_distinguishing_code_falls_back_to_name_and_address() -> None:
    home = Address(line1="Bağdat Cad. No:1", city="İstanbul")
    ayse: dict[str, Any] = {"first_name": "Ayşe", "last_name": "Yılmaz"}
    code = code_of(**ayse, address=home)
    assert code == "AD1125C7C6C7F"
    assert code_of(first_name="AYŞE", last_name="yılmaz", address=home) == code
    # Turkish capitals (dotted İ, dotless I) fold to the same buyer
    shouted = Address(line1="BAĞDAT CAD. NO:1", city="ISTANBUL")
    assert code_of(first_name="AYŞE", last_name="YILMAZ", address=shouted) == code
    assert code_of(**ayse, address=home, email=" ") == code
    assert code_of(**ayse, address=Address(line1="Bağdat Cad. No:2", city="İstanbul")) != code
    assert code_of(**ayse, address=Address(line1="Bağdat Cad. No:1", city="İzmir")) != code
    assert code_of(first_name="Fatma", last_name="Yılmaz", address=home) != code
    assert code_of(**ayse, address=home, email="ayse@example.com") != code


def test_identified_buyers_need_no_distinguishing_code() -> None:
    assert person(email="ayse@example.com").distinguishing_code is None
    assert company(email="muhasebe@example.com").distinguishing_code is None


# --- InvoiceLine -------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [D(0), D("-1"), D("-0.001"), "0", 0])
def test_line_quantity_must_be_positive(quantity: object) -> None:
    with pytest.raises(ValidationError, match="quantity must be positive"):
        item(quantity=quantity)


@pytest.mark.parametrize(
    "field", [{"unit_price": D("-0.01")}, {"discount": D("-0.01")}, {"vat_rate": D(-1)}]
)
def test_line_amounts_must_not_be_negative(field: dict[str, Decimal]) -> None:
    with pytest.raises(ValidationError, match="must not be negative"):
        item(**field)


def test_line_reads_shop_amounts() -> None:
    line = item(quantity="2.25", unit_price=149.9, vat_rate="10", discount="5", unit_code="KGM")
    assert line.quantity == D("2.25") and str(line.quantity) == "2.25"
    assert str(line.unit_price) == "149.9"
    assert line.vat_rate == D(10)
    assert str(line.discount) == "5.00"  # discounts are money: rounded to kuruş
    assert item(unit_price=D(0)).unit_price == 0  # a free gift is a line at 0
    assert item().kind is LineKind.GOODS and item().unit_code == "C62"


@pytest.mark.parametrize("field", ["quantity", "unit_price", "vat_rate", "discount"])
@pytest.mark.parametrize("bad", [True, "abc", "NaN", float("inf"), ""])
def test_line_refuses_non_amounts(field: str, bad: object) -> None:
    with pytest.raises(ValidationError):
        item(**{field: bad})


# --- Order -------------------------------------------------------------------------------


def test_order_needs_lines_and_a_non_negative_paid_total() -> None:
    with pytest.raises(ValidationError, match="at least one line"):
        order(lines=())
    with pytest.raises(ValidationError, match="paid_total must not be negative"):
        order(paid_total=D("-0.01"))
    with pytest.raises(ValidationError, match="reported_vat must be a mapping"):
        order(reported_vat=[(20, "1.00")])
    assert order(paid_total="99.999").paid_total == D("100.00")


def test_invoiceable_order_has_no_problems() -> None:
    lines = tuple(
        item(name=f"r{rate}", vat_rate=rate, vat_exemption_code="351" if rate == 0 else None)
        for rate in sorted(GIB_VAT_RATES)
    )
    assert order(lines=lines).invoicing_problems() == []
    assert order(lines=(item(vat_rate=D("20.00")),)).invoicing_problems() == []


def test_invoicing_problems_name_each_reason() -> None:
    problem_order = order(
        currency="USD",
        lines=(
            item(name="Eski KDV", vat_rate=D(18)),
            item(name="Gıda", vat_rate=D(8)),
            item(name="Kitap", vat_rate=D(0)),
            item(name="Kitap 2", vat_rate=D(0), vat_exemption_code=""),
            item(name="Muaf", vat_rate=D(0), vat_exemption_code="351"),
            item(name="Normal", vat_rate=D(20)),
        ),
    )
    problems = problem_order.invoicing_problems()
    assert len(problems) == 5
    assert "currency USD" in problems[0] and "TRY" in problems[0]
    assert "'Eski KDV'" in problems[1] and "18%" in problems[1]
    assert "'Gıda'" in problems[2] and "8%" in problems[2]
    assert "'Kitap'" in problems[3] and "exemption code" in problems[3]
    assert "'Kitap 2'" in problems[4] and "exemption code" in problems[4]


def test_order_json_round_trip_keeps_every_decimal_exactly() -> None:
    original = order(
        prices_include_vat=False,
        lines=(
            item(quantity=D("2.250"), unit_price=D("0.10000001"), unit_code="KGM"),
            item(name="Kitap", quantity=D(3), unit_price=D("45.50"), vat_rate=D(10), discount=D(5)),
            item(name="Ekmek", vat_rate=D(1)),
            item(name="Kargo", vat_rate=D("20.0"), kind=LineKind.SHIPPING),
        ),
        paid_total=D("1234567.89"),
        reported_vat={D(20): D("25.01"), D(10): D("12.45"), D(1): D("0.00")},
        buyer=anonymous(first_name="Ali", email="ali@example.com"),
    )
    text = original.model_dump_json()
    # Amounts travel as strings, so no JSON reader along the way turns them into floats.
    raw = json.loads(text)
    assert raw["paid_total"] == "1234567.89"
    assert raw["lines"][0]["quantity"] == "2.250"
    assert raw["reported_vat"] == {"20": "25.01", "10": "12.45", "1": "0.00"}

    restored = Order.model_validate_json(text)
    assert restored == original
    assert restored.model_dump_json() == text
    assert str(restored.lines[0].quantity) == "2.250"
    assert str(restored.lines[0].unit_price) == "0.10000001"
    assert str(restored.lines[3].vat_rate) == "20.0"
    assert str(restored.paid_total) == "1234567.89"
    assert all(isinstance(k, Decimal) for k in restored.reported_vat)
    assert all(isinstance(v, Decimal) for v in restored.reported_vat.values())
    assert {str(k): str(v) for k, v in restored.reported_vat.items()} == raw["reported_vat"]
    assert restored.buyer.distinguishing_code == original.buyer.distinguishing_code


def test_order_from_json_numbers_reads_them_as_written() -> None:
    raw = json.loads(order().model_dump_json())
    raw["paid_total"] = 1.005
    raw["lines"][0]["quantity"] = 0.1
    raw["lines"][0]["unit_price"] = 2.675
    raw["reported_vat"] = {"20": 16.67}
    restored = Order.model_validate_json(json.dumps(raw))
    assert restored.paid_total == D("1.01")
    assert str(restored.lines[0].quantity) == "0.1"
    assert str(restored.lines[0].unit_price) == "2.675"
    assert restored.reported_vat == {D(20): D("16.67")}


@settings(max_examples=100, deadline=None)
@given(
    quantity=st.decimals(min_value=D("0.001"), max_value=D("100000"), places=3),
    price=st.decimals(min_value=D(0), max_value=D("1000000"), places=8),
    paid=st.decimals(min_value=D(0), max_value=D("100000000"), places=2),
    vat=st.decimals(min_value=D(0), max_value=D("1000000"), places=2),
    rate=st.sampled_from(sorted(GIB_VAT_RATES)),
)
def test_order_json_round_trip_property(
    quantity: Decimal, price: Decimal, paid: Decimal, vat: Decimal, rate: Decimal
) -> None:
    original = order(
        lines=(item(quantity=quantity, unit_price=price, vat_rate=rate),),
        paid_total=paid,
        reported_vat={rate: vat},
    )
    restored = Order.model_validate_json(original.model_dump_json())
    assert restored == original
    assert str(restored.lines[0].quantity) == str(quantity)
    assert str(restored.lines[0].unit_price) == str(price)
    assert str(restored.paid_total) == str(paid)
    assert [(str(k), str(v)) for k, v in restored.reported_vat.items()] == [(str(rate), str(vat))]


# --- mask --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "keep", "expected"),
    [
        ("10000000146", 2, "*********46"),
        ("1000036109", 4, "******6109"),
        ("ayse@example.com", 3, "*************com"),
        ("abcd", 2, "**cd"),
        ("abc", 2, "**c"),  # never more than half of a short value
        ("ab", 2, "*b"),
        ("a", 2, "*"),
        ("secret", 0, "******"),
        ("secret", -1, "******"),
        ("", 2, ""),
        (None, 2, ""),
    ],
)
def test_mask_examples(value: str | None, keep: int, expected: str) -> None:
    assert mask(value, keep) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.integers(min_value=-2, max_value=20))
def test_mask_reveals_at_most_the_last_characters(value: str, keep: int) -> None:
    masked = mask(value, keep)
    assert len(masked) == len(value)
    allowed = range(0, min(max(keep, 0), len(value) // 2) + 1)
    # Some number of trailing characters, within the limits, shown as-is; the rest starred.
    assert any(
        masked == "*" * (len(value) - shown) + value[len(value) - shown :] for shown in allowed
    )
