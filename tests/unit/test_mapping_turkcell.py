"""Golden tests of the pure Turkcell e-Şirket mappings (order → Muhasebe / e-Fatura payloads)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_engine.domain import (
    Address,
    Buyer,
    BuyerKind,
    InvoiceLine,
    Order,
    Payment,
    PaymentMethod,
    Shipment,
)
from sync_engine.providers.base import DocumentRoute, DocumentType, InvoiceRequest, InvoiceSettings, SendState
from sync_engine.providers.errors import OrderDataError, PermanentError
from sync_engine.providers.http import dumps
from sync_engine.providers.turkcell import mapping
from tests.support.providers import TURKCELL_LINES as MIXED_LINES
from tests.support.providers import TURKCELL_SETTINGS as SETTINGS
from tests.support.providers import sale_request

ETTN = "3f1d2c4b-5a69-5b7c-8d9e-0f1a2b3c4d5e"  # fixed, not derived: it stands in the golden payloads
PERSON = Buyer(
    kind=BuyerKind.PERSON,
    tax_id="10000000146",
    first_name="Ayşe",
    last_name="Yılmaz",
    email="ayse@example.com",
    phone="+90 532 111 22 33",
    address=Address(line1="Moda Cd. No:1", line2="D:3", district="Kadıköy", city="İstanbul", postal_code="34710"),
)
COMPANY = Buyer(
    kind=BuyerKind.COMPANY,
    tax_id="1234567890",
    company_name="Örnek Teknoloji A.Ş.",
    tax_office="Kozyatağı",
    email="muhasebe@ornekteknoloji.com.tr",
    address=Address(line1="Atatürk Cd. 5", district="Ataşehir", city="İstanbul"),
    efatura_registered=True,
    efatura_alias="urn:mail:defaultpk@ornekteknoloji.com.tr",
)
ANONYMOUS = Buyer(
    kind=BuyerKind.ANONYMOUS,
    tax_id="11111111111",
    first_name="Mehmet",
    last_name="Demir",
    email="Mehmet@Example.com",
    address=Address(line1="Cumhuriyet Mh.", city="Ankara"),
)


def make_order(buyer: Buyer = PERSON, lines: tuple[InvoiceLine, ...] = MIXED_LINES, paid: str = "512.84", **kw: object) -> Order:
    return Order(
        store_id="demo-shop",
        platform="shopify",
        order_id="5550001",
        order_name="#1001",
        created_at=datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
        buyer=buyer,
        lines=lines,
        paid_total=Decimal(paid),
        payment=Payment(method=PaymentMethod.CREDIT_CARD, platform="iyzico", date=datetime(2026, 1, 15, 9, 31, tzinfo=UTC)),
        **kw,  # type: ignore[arg-type]
    )


def make_request(order: Order, route: DocumentRoute = DocumentRoute(DocumentType.E_ARSIV)) -> InvoiceRequest:
    return sale_request(order, SETTINGS, date(2026, 1, 15), route, ettn=ETTN)


def payload_total(payload: dict) -> Decimal:
    return sum((ln["lineExtensionAmount"] + ln["vatAmount"] for ln in payload["invoiceLines"]), Decimal(0))


E_ARSIV_INTERNET_SALE = {
    "isInternetSale": True,
    "websiteUrl": "https://demo-shop.example",
    "shipmentSendType": "ELEKTRONIK",
    "shipmentSenderName": "Yurtiçi Kargo",
    "shipmentSenderTcknVkn": "1000000026",
    "shipmentDate": "2026-01-15T00:00:00Z",
}
PAYMENT = {"paymentMeansCode": "48", "paymentDueDate": "2026-01-15T09:31:00Z", "instructionNote": "iyzico"}


def test_e_arsiv_invoice_payload_for_a_person_is_golden() -> None:
    # VAT-inclusive prices, a discounted line, shipping, VAT 20/10/1, by the domain's rule
    # (sync_engine/domain/invoice.py). Group 20 %: paid 379.80 + 39.99 = 419.79 → VAT
    # round(419.79 × 20 / 120 = 69.965) = 69.97, net 349.82 split 316.50 / 33.32 by largest
    # remainder, line VAT = paid − net; 10 %: 55.55 → 50.50 + 5.05; 1 %: 37.50 → 37.13 + 0.37.
    payload = mapping.invoice_payload(make_request(make_order()))
    assert payload == {
        "description": "Sipariş #1001 (shopify 5550001)",
        "currentAccountIdentifier": "10000000146",
        "isSend": True,
        "recordType": 0,
        "notes": [{"note": "Sipariş: #1001 (shopify 5550001)"}],
        "generalInfoModel": {
            "ettn": ETTN,
            "prefix": "DMS",
            "invoiceProfileType": 0,
            "type": 1,
            "currencyCode": "TRY",
            "issueDate": "2026-01-15T00:00:00Z",
        },
        "invoiceLines": [
            {
                "inventoryServiceCode": "TS-1", "inventoryCard": "Tişört", "amount": Decimal(2), "unitCode": "C62",
                # before discount: round(399.80 / 1.2) = 333.17 net for 2 pieces
                "unitPrice": Decimal("166.585"), "discountAmount": Decimal("16.67"),
                "lineExtensionAmount": Decimal("316.50"), "vatRate": Decimal(20), "vatAmount": Decimal("63.30"),
            },
            {
                "inventoryServiceCode": "KT-9", "inventoryCard": "Kitap", "amount": Decimal(1), "unitCode": "C62",
                "unitPrice": Decimal("50.50"), "discountAmount": Decimal("0.00"),
                "lineExtensionAmount": Decimal("50.50"), "vatRate": Decimal(10), "vatAmount": Decimal("5.05"),
            },
            {
                "inventoryServiceCode": "SATIR3", "inventoryCard": "Ekmek", "amount": Decimal(3), "unitCode": "C62",
                "unitPrice": Decimal("12.37666667"), "discountAmount": Decimal("0.00"),
                "lineExtensionAmount": Decimal("37.13"), "vatRate": Decimal(1), "vatAmount": Decimal("0.37"),
            },
            {
                "inventoryServiceCode": "KARGO", "inventoryCard": "Kargo", "amount": Decimal(1), "unitCode": "C62",
                "unitPrice": Decimal("33.32"), "discountAmount": Decimal("0.00"),
                "lineExtensionAmount": Decimal("33.32"), "vatRate": Decimal(20), "vatAmount": Decimal("6.67"),
            },
        ],
        "paymentMeansModel": PAYMENT,
        "archiveInfoModel": E_ARSIV_INTERNET_SALE,
    }
    assert payload_total(payload) == Decimal("512.84")
    assert "invoiceNumber" not in payload["generalInfoModel"]  # GİB assigns it on send


def test_payload_serialises_amounts_as_exact_json_numbers() -> None:
    text = dumps(mapping.invoice_payload(make_request(make_order()))).decode()
    assert '"unitPrice": 12.37666667' in text
    assert '"lineExtensionAmount": 316.50' in text
    assert '"vatRate": 20,' in text
    assert "Tişört" in text  # UTF-8, not \u escapes
    json.loads(text)


def test_e_fatura_payload_carries_the_alias_and_no_archive_info() -> None:
    lines = (InvoiceLine(sku="SRV", name="Yazılım lisansı", quantity=Decimal(1), unit_price=Decimal("1200.00"), vat_rate=Decimal(20)),)
    order = make_order(COMPANY, lines, "1200.00")
    route = DocumentRoute(DocumentType.E_FATURA, "urn:mail:defaultpk@ornekteknoloji.com.tr")
    payload = mapping.invoice_payload(make_request(order, route))
    assert payload["currentAccountAlias"] == "urn:mail:defaultpk@ornekteknoloji.com.tr"
    assert payload["recordType"] == 1
    assert payload["currentAccountIdentifier"] == "1234567890"
    assert "archiveInfoModel" not in payload and "currentAccountCode" not in payload
    assert payload["invoiceLines"] == [
        {
            "inventoryServiceCode": "SRV", "inventoryCard": "Yazılım lisansı", "amount": Decimal(1), "unitCode": "C62",
            "unitPrice": Decimal("1000.00"), "discountAmount": Decimal("0.00"),
            "lineExtensionAmount": Decimal("1000.00"), "vatRate": Decimal(20), "vatAmount": Decimal("200.00"),
        }
    ]
    assert payload_total(payload) == Decimal("1200.00")
    assert mapping.e_document_payload(make_request(order, route)) == {
        "status": 20,
        "recordType": 1,
        "addressBook": {
            "alias": "urn:mail:defaultpk@ornekteknoloji.com.tr",
            "identificationNumber": "1234567890",
            "name": "Örnek Teknoloji A.Ş.",
            "receiverStreet": "Atatürk Cd. 5",
            "receiverDistrict": "Ataşehir",
            "receiverCity": "İstanbul",
            "receiverCountry": "Türkiye",
            "receiverCountryId": 1,
            "receiverEmail": "muhasebe@ornekteknoloji.com.tr",
            "receiverTaxOffice": "Kozyatağı",
        },
        "generalInfoModel": {
            "ettn": ETTN, "prefix": "DMS", "invoiceProfileType": 0, "issueDate": "2026-01-15T00:00:00Z",
            "type": 1, "currencyCode": "TRY",
        },
        "invoiceLines": [
            {
                "inventoryCard": "Yazılım lisansı", "amount": Decimal(1), "unitCode": "C62",
                "unitPrice": Decimal("1000.00"), "lineAmount": Decimal("1000.00"), "vatRate": Decimal(20),
                "vatAmount": Decimal("200.00"), "discountAmount": Decimal("0.00"),
            }
        ],
        "paymentMeansModel": PAYMENT,
    }


def test_e_fatura_route_without_alias_is_a_programming_error() -> None:
    order = make_order(COMPANY, MIXED_LINES[:1], "379.80")
    with pytest.raises(ValueError, match="alias"):
        mapping.invoice_payload(make_request(order, DocumentRoute(DocumentType.E_FATURA)))


def test_e_arsiv_send_payload_is_golden() -> None:
    """The e-Fatura service takes the whole invoice (FACTS §4.2): the buyer, the lines, the
    internet-sale block, an integer profile (4 EARSIVFATURA), the Muhasebe record's ETTN."""
    order = make_order()
    payload = mapping.e_document_payload(make_request(order))
    muhasebe = mapping.invoice_payload(make_request(order))
    assert payload["status"] == 20 and payload["recordType"] == 0
    assert payload["addressBook"] == {
        "identificationNumber": "10000000146",
        "name": "Ayşe",
        "receiverPersonSurName": "Yılmaz",
        "receiverStreet": "Moda Cd. No:1, D:3",
        "receiverDistrict": "Kadıköy",
        "receiverCity": "İstanbul",
        "receiverCountry": "Türkiye",
        "receiverCountryId": 1,
        "receiverEmail": "ayse@example.com",
    }
    assert payload["generalInfoModel"] == {
        "ettn": ETTN, "prefix": "DMS", "invoiceProfileType": 4, "issueDate": "2026-01-15T00:00:00Z",
        "type": 1, "currencyCode": "TRY",
    }
    assert payload["generalInfoModel"]["ettn"] == muhasebe["generalInfoModel"]["ettn"]
    # the same lines as the Muhasebe record, in the service's line model
    assert [
        {k: ln[k] for k in ("inventoryCard", "amount", "unitCode", "unitPrice", "vatRate", "vatAmount", "discountAmount")}
        | {"lineAmount": ln["lineExtensionAmount"]}
        for ln in muhasebe["invoiceLines"]
    ] == payload["invoiceLines"]
    assert sum((ln["lineAmount"] + ln["vatAmount"] for ln in payload["invoiceLines"]), Decimal(0)) == Decimal("512.84")
    assert payload["paymentMeansModel"] == PAYMENT
    assert payload["archiveInfoModel"] == E_ARSIV_INTERNET_SALE
    assert set(payload) == {
        "status", "recordType", "addressBook", "generalInfoModel", "invoiceLines", "paymentMeansModel", "archiveInfoModel",
    }


def test_a_foreign_buyer_has_no_turkiye_country_id() -> None:
    buyer = PERSON.model_copy(update={"address": Address(line1="Rue 1", city="Paris", country="Fransa")})
    book = mapping.e_document_payload(make_request(make_order(buyer)))["addressBook"]
    assert book["receiverCountry"] == "Fransa" and "receiverCountryId" not in book


def test_carrier_on_the_order_wins_and_shipment_date_is_used() -> None:
    order = make_order(
        shipment=Shipment(carrier_name="Aras Kargo", carrier_vkn="1000000034", date=datetime(2026, 1, 16, 14, 0, tzinfo=UTC))
    )
    info = mapping.archive_info(make_request(order))
    assert info["shipmentSenderName"] == "Aras Kargo"
    assert info["shipmentSenderTcknVkn"] == "1000000034"
    assert info["shipmentDate"] == "2026-01-16T14:00:00Z"


def test_website_without_scheme_gets_https() -> None:
    req = make_request(make_order())
    req = InvoiceRequest(**{**req.__dict__, "settings": InvoiceSettings(**{**SETTINGS.__dict__, "website": "demo-shop.example"})})
    assert mapping.archive_info(req)["websiteUrl"] == "https://demo-shop.example"


def test_anonymous_consumer_invoice_names_the_cari_code() -> None:
    order = make_order(ANONYMOUS)
    payload = mapping.invoice_payload(make_request(order))
    code = ANONYMOUS.distinguishing_code
    assert code is not None and code.startswith("A")
    assert payload["currentAccountIdentifier"] == "11111111111"
    assert payload["currentAccountCode"] == code
    assert json.loads(mapping.cari_filter(ANONYMOUS)) == [
        {"category": "Identifier", "operator": "eşittir", "value": "11111111111"},
        {"category": "Code", "operator": "eşittir", "value": code},
    ]


def test_cari_payload_for_a_person() -> None:
    assert mapping.cari_payload(make_order()) == {
        "name": "Ayşe",
        "identifier": "10000000146",
        "surname": "Yılmaz",
        "currentAccountAddress": {
            "isDefault": True,
            "addressName": "Fatura Adresi",
            "subDivisionName": "Kadıköy",
            "city": "İstanbul",
            "country": "Türkiye",
            "streetName": "Moda Cd. No:1, D:3",
            "postalZone": "34710",
            "emailAddress": "ayse@example.com",
            "phoneNumber": "5321112233",
        },
    }
    assert json.loads(mapping.cari_filter(PERSON)) == [
        {"category": "Identifier", "operator": "eşittir", "value": "10000000146"}
    ]


def test_cari_payload_for_a_company_has_tax_office_and_no_surname() -> None:
    payload = mapping.cari_payload(make_order(COMPANY))
    assert payload["name"] == "Örnek Teknoloji A.Ş."
    assert payload["taxOffice"] == "Kozyatağı"
    assert "surname" not in payload and "code" not in payload
    assert payload["currentAccountAddress"]["subDivisionName"] == "Ataşehir"


def test_cari_payload_for_a_sole_proprietor_splits_the_title() -> None:
    # 11-digit identifier: Turkcell requires a surname; name + surname must read as the title.
    buyer = Buyer(kind=BuyerKind.COMPANY, tax_id="10000000078", company_name="Ahmet Kaya Elektrik", tax_office="Çankaya")
    payload = mapping.cari_payload(make_order(buyer))
    assert (payload["name"], payload["surname"]) == ("Ahmet Kaya", "Elektrik")


def test_anonymous_cari_without_a_name_or_address() -> None:
    buyer = Buyer(kind=BuyerKind.ANONYMOUS, tax_id="11111111111", email="x@example.com")
    payload = mapping.cari_payload(make_order(buyer))
    assert (payload["name"], payload["surname"]) == ("Nihai", "Tüketici")
    assert payload["code"] == buyer.distinguishing_code
    address = payload["currentAccountAddress"]
    assert (address["city"], address["subDivisionName"], address["country"]) == ("Belirtilmemiş", "Belirtilmemiş", "Türkiye")
    assert "streetName" not in address


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("+90 532 111 22 33", "5321112233"), ("0532 111 22 33", "05321112233"), ("12345", None), ("", None)],
)
def test_phone_numbers_fit_the_documented_10_to_11_characters(raw: str, expected: str | None) -> None:
    buyer = Buyer(kind=BuyerKind.PERSON, tax_id="10000000146", first_name="A", last_name="B", phone=raw)
    assert mapping.cari_address(buyer).get("phoneNumber") == expected


def test_long_street_spills_over_instead_of_being_cut() -> None:
    street = "Çok Uzun Sokak " * 10  # 150 characters
    buyer = Buyer(kind=BuyerKind.PERSON, tax_id="10000000146", first_name="A", last_name="B", address=Address(line1=street, city="İzmir"))
    address = mapping.cari_address(buyer)
    assert len(address["streetName"]) == 100
    assert address["streetName"] + address["buildingName"] == street.strip()


def test_a_street_longer_than_both_parts_is_refused_naming_the_field() -> None:
    buyer = Buyer(kind=BuyerKind.PERSON, tax_id="10000000146", first_name="A", last_name="B",
                  address=Address(line1="x" * 600, city="İzmir"))
    with pytest.raises(OrderDataError) as info:
        mapping.cari_address(buyer)
    assert info.value.field == "currentAccountAddress.streetName" and "600" in str(info.value)


@pytest.mark.parametrize(
    ("buyer", "field", "length"),
    [
        (Buyer(kind=BuyerKind.PERSON, tax_id="10000000146", first_name="Ayşe", last_name="Y" * 300), "surname", "300"),
        (Buyer(kind=BuyerKind.COMPANY, tax_id="1234567890", company_name="Ş" * 501, tax_office="Kozyatağı"), "name", "501"),
        (Buyer(kind=BuyerKind.COMPANY, tax_id="1234567890", company_name="Örnek", tax_office="V" * 151), "taxOffice", "151"),
        (Buyer(kind=BuyerKind.PERSON, tax_id="10000000146", first_name="A", last_name="B",
               address=Address(line1="Sk", district="D" * 101, city="İzmir")), "currentAccountAddress.subDivisionName", "101"),
        (Buyer(kind=BuyerKind.PERSON, tax_id="10000000146", first_name="A", last_name="B",
               address=Address(line1="Sk", city="C" * 101)), "currentAccountAddress.city", "101"),
    ],
)
def test_values_over_a_limit_are_refused_never_cut(buyer: Buyer, field: str, length: str) -> None:
    with pytest.raises(OrderDataError) as info:
        mapping.cari_payload(make_order(buyer))
    assert info.value.field == field and length in str(info.value)


def test_a_long_surname_is_refused_on_the_e_document_too() -> None:
    buyer = Buyer(kind=BuyerKind.PERSON, tax_id="10000000146", first_name="Ayşe", last_name="Y" * 300)
    with pytest.raises(OrderDataError) as info:
        mapping.e_document_payload(make_request(make_order(buyer)))
    assert info.value.field == "addressBook.receiverPersonSurName"


def test_a_long_line_name_is_refused() -> None:
    lines = (InvoiceLine(sku="S", name="N" * 501, quantity=Decimal(1), unit_price=Decimal("10.00"), vat_rate=Decimal(20)),)
    with pytest.raises(OrderDataError) as info:
        mapping.invoice_payload(make_request(make_order(PERSON, lines, "10.00")))
    assert info.value.field == "invoiceLines[0].inventoryCard"


def test_one_word_name_gets_a_placeholder_surname() -> None:
    buyer = Buyer(kind=BuyerKind.ANONYMOUS, tax_id="11111111111", first_name="Cem")
    assert mapping.cari_names(buyer) == ("Cem", "-")


@pytest.mark.parametrize(
    ("method", "code"),
    [
        (PaymentMethod.CREDIT_CARD, "48"),
        (PaymentMethod.BANK_TRANSFER, "42"),
        (PaymentMethod.CASH_ON_DELIVERY, "10"),
        (PaymentMethod.PAYMENT_AGENT, "1"),
        (PaymentMethod.OTHER, "ZZZ"),
    ],
)
def test_payment_means_codes(method: PaymentMethod, code: str) -> None:
    order = make_order().model_copy(update={"payment": Payment(method=method)})
    means = mapping.payment_means(order)
    assert means == {"paymentMeansCode": code, "paymentDueDate": "2026-01-15T09:30:00Z"}


def test_vat_exclusive_order_uses_the_shops_vat_and_adds_up() -> None:
    lines = (
        InvoiceLine(sku="A", name="A", quantity=Decimal(3), unit_price=Decimal("33.33"), vat_rate=Decimal(20)),
        InvoiceLine(sku="B", name="B", quantity=Decimal(1), unit_price=Decimal("10.00"), vat_rate=Decimal(10)),
    )
    # net 99.99 + 10.00; the shop reported VAT 20.00 (not 19.998 → 20.00 anyway) and 1.00
    order = make_order(lines=lines, paid="130.99", prices_include_vat=False,
                       reported_vat={Decimal(20): Decimal("20.00"), Decimal(10): Decimal("1.00")})
    payload = mapping.invoice_payload(make_request(order))
    assert [(ln["lineExtensionAmount"], ln["vatAmount"], ln["unitPrice"]) for ln in payload["invoiceLines"]] == [
        (Decimal("99.99"), Decimal("20.00"), Decimal("33.33")),
        (Decimal("10.00"), Decimal("1.00"), Decimal("10.00")),
    ]
    assert payload_total(payload) == Decimal("130.99")


def test_vat_zero_line_carries_its_exemption_code() -> None:
    lines = (InvoiceLine(name="Kitap (istisna)", quantity=Decimal(1), unit_price=Decimal("50.00"), vat_rate=Decimal(0), vat_exemption_code="351"),)
    payload = mapping.invoice_payload(make_request(make_order(lines=lines, paid="50.00")))
    assert payload["invoiceLines"][0]["vatExemptionReasonCode"] == "351"
    assert payload["invoiceLines"][0]["vatAmount"] == Decimal("0.00")


def test_order_reference_round_trips_through_the_description() -> None:
    req = make_request(make_order())
    assert mapping.order_ref_from(mapping.description_for(req)) == req.reference == "#1001 (shopify 5550001)"
    assert mapping.order_ref_from("Elle kesilmiş fatura") is None
    assert mapping.order_ref_from(None) is None


def test_issue_day_filter_and_accounting_payload() -> None:
    assert json.loads(mapping.issue_day_filter(date(2026, 1, 5))) == [
        {"category": "IssueDate", "operator": "ile başlayan", "value": "2026-01-05"},
    ]
    assert mapping.accounting_payload(ETTN) == [{"ettn": ETTN, "isSend": True}]
    assert mapping.timestamp(datetime(2026, 1, 15, 12, 0)) == "2026-01-15T12:00:00Z"


@pytest.mark.parametrize(
    ("codes", "state"),
    [
        ((0, 5, 20, 30, 81), SendState.IN_PROGRESS),
        ((50, 60, 61, 65, 70), SendState.SENT),
        ((40, 62, 80, 82), SendState.FAILED),
        ((10, 100), SendState.CANCELLED),
    ],
)
def test_status_table(codes: tuple[int, ...], state: SendState) -> None:
    assert [mapping.send_state(c, "earchive.status") for c in codes] == [state] * len(codes)


@pytest.mark.parametrize("code", [1, 45, 999, 101])
def test_an_unknown_status_is_a_permanent_error_naming_it(code: int) -> None:
    with pytest.raises(PermanentError, match=f"unknown e-Fatura status {code}"):
        mapping.send_state(code, "earchive.status")


@pytest.mark.parametrize(
    ("answer", "code"),
    [({"status": 60}, 60), ({"status": "50"}, 50)],
)
def test_status_code_is_read_liberally(answer: dict, code: int) -> None:
    assert mapping.status_code(answer, "outboxinvoice.status") == code


@pytest.mark.parametrize("answer", [{}, {"status": None}, {"status": "Onaylandı"}, {"status": True}, []])
def test_a_missing_status_names_the_field(answer: object) -> None:
    with pytest.raises(PermanentError, match="'status'"):
        mapping.status_code(answer, "outboxinvoice.status")


def test_status_message_prefers_the_message_then_the_envelope() -> None:
    assert mapping.status_message({"message": "Şematron hatası", "envelopeMessage": "x"}) == "Şematron hatası"
    assert mapping.status_message({"message": "", "envelopeMessage": "1163 duplicate fatura"}) == "1163 duplicate fatura"
    assert mapping.status_message({"status": 40}) is None


def test_returning_buyer_changes_are_detected() -> None:
    order = make_order()
    assert not mapping.cari_changes({"name": "Ayşe", "surname": "Yılmaz"}, order)
    assert mapping.cari_changes({"name": "Ayşe", "surname": "Kaya"}, order)
    wanted = mapping.cari_address(PERSON)
    assert not mapping.address_differs({**wanted, "id": 5, "region": None}, wanted)
    assert mapping.address_differs({**wanted, "phoneNumber": "5320000000"}, wanted)
    assert mapping.address_differs({**wanted, "emailAddress": "eski@example.com"}, wanted)
    assert mapping.default_address([{"id": 1, "isDefault": False}, {"id": 2, "isDefault": True}]) == {"id": 2, "isDefault": True}
    assert mapping.default_address({"items": []}) is None
    with pytest.raises(PermanentError, match="addresses"):
        mapping.default_address("x")
    assert mapping.cari_update_payload(7, order)["id"] == 7
    assert "currentAccountAddress" not in mapping.cari_update_payload(7, order)
    kept = mapping.cari_update_payload(7, order, {"id": 7, "maturity": 30, "mersisNumber": "M1", "taxOffice": None})
    assert (kept["maturity"], kept["mersisNumber"]) == (30, "M1") and "taxOffice" not in kept


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
quantities = st.integers(min_value=1, max_value=7).map(Decimal)
rates = st.sampled_from([Decimal(1), Decimal(10), Decimal(20)])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(prices, quantities, rates, st.booleans()), min_size=1, max_size=6))
def test_line_amounts_always_add_up_to_the_paid_total(specs: list[tuple[Decimal, Decimal, Decimal, bool]]) -> None:
    lines = []
    for i, (price, qty, rate, discounted) in enumerate(specs):
        discount = (price * qty / 10).quantize(Decimal("0.01")) if discounted else Decimal("0.00")
        lines.append(InvoiceLine(sku=f"S{i}", name=f"Ürün {i}", quantity=qty, unit_price=price, vat_rate=rate, discount=discount))
    paid = sum(((ln.unit_price * ln.quantity).quantize(Decimal("0.01")) - ln.discount for ln in lines), Decimal(0))
    payload = mapping.invoice_payload(make_request(make_order(lines=tuple(lines), paid=str(paid))))
    assert payload_total(payload) == paid
    for ln in payload["invoiceLines"]:
        # Within the simulator's (and GİB's) consistency tolerance of 2 kuruş.
        assert abs(ln["amount"] * ln["unitPrice"] - ln["discountAmount"] - ln["lineExtensionAmount"]) <= Decimal("0.02")
        assert abs(ln["lineExtensionAmount"] * ln["vatRate"] / 100 - ln["vatAmount"]) <= Decimal("0.02")


def test_provider_totals_are_read_liberally_and_refused_when_unreadable() -> None:
    saved = {"invoiceLines": [{"lineExtensionAmount": Decimal("100.00"), "vatAmount": Decimal("20.00")},
                              {"lineExtensionAmount": "10.00", "vatAmount": 1}]}
    assert mapping.saved_total(saved) == Decimal("131.00")
    assert mapping.saved_total({"invoiceLines": []}) is None and mapping.saved_total([]) is None
    assert mapping.detail_total({"invoiceTotalsModel": {"payableAmount": "512.84"}}) == Decimal("512.84")
    assert mapping.detail_total({"invoiceTotalsModel": None}) is None
    with pytest.raises(PermanentError, match="payableAmount"):
        mapping.detail_total({"invoiceTotalsModel": {"payableAmount": "beş yüz"}})
    with pytest.raises(PermanentError, match=r"invoiceLines\[0\].vatAmount"):
        mapping.saved_total({"invoiceLines": [{"lineExtensionAmount": "1.00", "vatAmount": None}]})


# --- returns (İADE) -------------------------------------------------------------------------

from sync_engine.domain import LineKind  # noqa: E402
from sync_engine.domain.keys import ettn_for, return_key  # noqa: E402
from sync_engine.providers.base import ReturnOf  # noqa: E402

SALE = ReturnOf(invoice_id=ETTN, invoice_number="DMS2026000000007", issue_date=date(2026, 1, 15), ettn=ETTN,
                document_type=DocumentType.E_ARSIV)
# What a refund of one of the two T-shirts (with half the line's 20.00 discount) and the
# shipping gives back: the return document's order.
RETURNED_LINES = (
    InvoiceLine(sku="TS-1", name="Tişört", quantity=Decimal(1), unit_price=Decimal("199.90"), vat_rate=Decimal(20),
                discount=Decimal("10.00")),
    InvoiceLine(name="Kargo", quantity=Decimal(1), unit_price=Decimal("39.99"), vat_rate=Decimal(20), kind=LineKind.SHIPPING),
)


def return_request(lines: tuple[InvoiceLine, ...] = RETURNED_LINES, paid: str = "229.89") -> InvoiceRequest:
    o = make_order(lines=lines, paid=paid).model_copy(update={"order_name": "#1001 İADE"})
    key = return_key("demo-shop", "5550001", "9001")
    return sale_request(o, SETTINGS, date(2026, 1, 20), key=key)


def test_the_return_record_names_the_sale_and_carries_exactly_the_refunded_lines() -> None:
    req = return_request()
    payload = mapping.return_invoice_payload(req, SALE)
    general = payload["generalInfoModel"]
    assert general["ettn"] == ettn_for(return_key("demo-shop", "5550001", "9001")) != ETTN
    assert (general["type"], general["returnInvoiceNumber"], general["returnInvoiceDate"]) == (
        2, "DMS2026000000007", "2026-01-15T00:00:00Z")
    assert general["issueDate"] == "2026-01-20T00:00:00Z" and "invoiceNumber" not in general
    assert [(ln["inventoryServiceCode"], ln["amount"]) for ln in payload["invoiceLines"]] == [("TS-1", 1), ("KARGO", 1)]
    # the refund to the kuruş: 199.90 − 10.00 + 39.99, VAT per rate as the sale mapping
    assert payload_total(payload) == Decimal("229.89")
    assert sum((ln["vatAmount"] for ln in payload["invoiceLines"]), Decimal(0)) == Decimal("38.32")
    assert {"note": "İade edilen fatura: DMS2026000000007"} in payload["notes"]
    assert payload["archiveInfoModel"]["isInternetSale"] is True and payload["recordType"] == 0


def test_a_shipping_only_return_is_exact_too() -> None:
    req = return_request(RETURNED_LINES[1:], "39.99")
    payload = mapping.return_invoice_payload(req, SALE)
    [line] = payload["invoiceLines"]
    assert (line["lineExtensionAmount"], line["vatAmount"]) == (Decimal("33.32"), Decimal("6.67"))


@pytest.mark.parametrize("original", [
    ReturnOf(invoice_id=ETTN, invoice_number=None, issue_date=date(2026, 1, 15)),
    ReturnOf(invoice_id=ETTN, invoice_number="DMS2026000000007", issue_date=None),
])
def test_a_return_without_the_sales_number_or_date_is_refused_before_any_call(original: ReturnOf) -> None:
    with pytest.raises(PermanentError, match="GİB number and date"):
        mapping.return_invoice_payload(return_request(), original)


def test_the_gib_document_of_a_return_carries_the_saved_reference() -> None:
    req = return_request()
    saved = {"generalInfoModel": mapping.return_reference(SALE)}
    returning = mapping.saved_return_reference(saved)
    body = mapping.e_document_payload(req, returning)
    assert {k: body["generalInfoModel"][k] for k in ("type", "returnInvoiceNumber", "returnInvoiceDate")} == {
        "type": 2, "returnInvoiceNumber": "DMS2026000000007", "returnInvoiceDate": "2026-01-15T00:00:00Z"}
    assert sum((ln["lineAmount"] + ln["vatAmount"] for ln in body["invoiceLines"]), Decimal(0)) == Decimal("229.89")
    sale = mapping.e_document_payload(req)
    assert sale["generalInfoModel"]["type"] == 1 and "returnInvoiceNumber" not in sale["generalInfoModel"]


def test_a_saved_sale_has_no_return_reference_and_a_bare_iade_is_refused() -> None:
    assert mapping.saved_return_reference({"generalInfoModel": {"type": 1, "returnInvoiceNumber": None}}) is None
    with pytest.raises(PermanentError, match="returnInvoiceNumber"):
        mapping.saved_return_reference({"generalInfoModel": {"type": 2, "returnInvoiceNumber": None}})


def test_the_incoming_filter_uses_documented_operators_only() -> None:
    assert json.loads(mapping.incoming_return_filter("1234567890")) == [
        {"category": "TargetVknTckn", "operator": "eşittir", "value": "1234567890"},
        {"category": "Type", "operator": "eşittir", "value": "2"},
    ]


def test_a_buyers_iade_is_matched_by_sender_type_amount_and_reference() -> None:
    req = return_request(paid="229.89")
    item = {"type": 2, "targetVknTckn": PERSON.tax_id, "payableAmount": Decimal("229.89")}
    assert mapping.amount_tolerance(req) == Decimal("0.01")  # one VAT rate: a kuruş
    assert mapping.is_return_candidate(item, req)
    assert mapping.is_return_candidate({**item, "payableAmount": Decimal("229.90")}, req)  # the buyer's rounding
    for other in ({"type": 1}, {"targetVknTckn": "1000000018"}, {"payableAmount": Decimal("229.91")}, {"payableAmount": None}):
        assert not mapping.is_return_candidate({**item, **other}, req), other
    named = {"generalInfoModel": {"returnInvoiceNumber": "DMS2026000000007", "returnInvoiceDate": "2026-01-14T21:00:00Z"}}
    assert mapping.returns_original(named, SALE)  # İstanbul's midnight of the 15th
    assert not mapping.returns_original({"generalInfoModel": {**named["generalInfoModel"], "returnInvoiceDate": "2026-01-16T00:00:00Z"}}, SALE)
    assert not mapping.returns_original({"generalInfoModel": {"returnInvoiceNumber": "DMS2026000000008"}}, SALE)
    assert mapping.returns_original({"generalInfoModel": {"returnInvoiceNumber": "DMS2026000000007"}}, SALE)
