"""KolayBi's documented request contracts, one per endpoint the adapter calls, written from
the documents (seed 002 = e-document create, seed 003 = proformas, FACTS §1), not from our
adapter.

Bodies are forms (``application/x-www-form-urlencoded`` or multipart) with PHP bracket keys,
decoded by ``parse_bracket_form`` into nested dicts and lists of *strings*: so a number is a
``numeric`` string, an id an ``integer_string``, a boolean ``"0"``/``"1"`` (Laravel's
``boolean`` rule refuses ``"true"`` in form input), a date ``YYYY-MM-DD``. Query strings
(the GET endpoints) are checked the same way. An empty value counts as absent for an
optional field, as Laravel's ``ConvertEmptyStringsToNull`` makes it.

Where the documents give no length the limits are assumptions in the shape of a Laravel +
MySQL back end (``VARCHAR(255)``), tagged ``I`` next to the field.

Stateful checks stay in the handlers (``contacts``, ``documents``): that ``contact_id``,
``address_id`` and ``product_id`` exist and belong together, a repeated identity number or
product code, an invoice's status before a send.

This module is the sandbox's own: it imports nothing from the product.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sync_engine.sandbox.contract import Contract, Field, Rule, get, items
from sync_engine.sandbox.tax_ids import ANONYMOUS_TCKN, is_tckn, is_vkn

AUTH = "C FACTS §1.1 [KD-auth]"
ASSOC = "C FACTS §1.3 [KD-assoc-create]"
ASSOC_LIST = "C FACTS §1.2 [KD-assoc-list]"
ADDR = "C FACTS §1.2 [KD-addr]"
PROD = "C FACTS §1.2 [KD-prod]"
INV = "C FACTS §1.3 [KD-inv-create]"
INV_LIST = "C FACTS §1.2 [KD-inv-list]"
EBELGE = "I FACTS §1.3 (e-Belge names from [K-lara])"
SEED_002 = "C seed 002"
SEED_003 = "C seed 003"
ED_LIST = "C FACTS §1.2 [KD-edlist]"
PAGING = "I FACTS §1.2 (a public client pages with page / per_page)"
LENGTH = "I (no length documented; VARCHAR(255) assumed)"

TEXT_MAX = 255  # I: VARCHAR(255)
LONG_TEXT_MAX = 1000  # I: descriptions
BOOLEAN = ("0", "1")  # Laravel `boolean` in form input
VAT_RATES = ("0", "1", "8", "10", "18", "20")  # I FACTS §1.3 VATRate [K-lara]
ADDRESS_TYPES = ("delivery", "invoice", "shipment", "stock", "company", "associate", "other")  # I
ASSOCIATE_TYPES = (  # I FACTS §1.3 AssociateType [K-lara] (its list ends with "…")
    "customer", "supplier", "vendor", "partner", "abroad", "broker", "public_enterprise",
    "carrier", "shipping_company", "potential_customer",
)
PRODUCT_TYPES = ("good", "service")  # C
INVOICE_TYPES = (  # C FACTS §1.3 InvoiceType
    "sale_invoice", "sale_return_invoice", "purchase_invoice", "purchase_return_invoice",
    "self_employment_receipt",
)
SCENARIOS = ("TEMELFATURA", "TICARIFATURA", "ILAC_TIBBICIHAZ", "EARSIVFATURA", "KAMU")  # I
DOCUMENT_TYPES = ("SATIS", "IADE", "ISTISNA", "TEVKIFAT", "OZELMATRAH", "IHRACKAYITLI")  # I
PAYMENT_TYPES = ("credit-card", "bank-transfer", "pay-at-door", "payment-platform")  # I FACTS
DIRECTIONS = ("outbound", "inbound")  # C [KD-edlist]
# I FACTS §1.3: "TRY; some clients send it lower-case"; the other ISO codes KolayBi lists.
CURRENCIES = tuple(
    c for code in "TRY USD EUR GBP CHF JPY CAD AUD SEK NOK DKK PLN CZK HUF RUB CNY KRW SAR AED EGP".split()
    for c in (code, code.lower())
)

IDENTITY_PATTERN = r"[0-9]{10,11}"  # C: identity_no 10–11 digits
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"  # I: Laravel `email`
URL_PATTERN = r"https?://[^\s/]+\.[^\s]+"  # I: Laravel `url`
TAX_NUMBER_PATTERN = r"[0-9]{10,11}"  # I: a carrier's VKN or TCKN
GTIP_PATTERN = r"[0-9]{12}"  # C: gtip_no 12 digits
SERIES_PATTERN = r"[A-Z0-9]{3}"  # I: an invoice's serial_no is the 3-character GİB series
DATE_TIME_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?"  # I

ZERO = Decimal(0)


def _paging() -> tuple[Field, ...]:
    return (
        Field("page", "integer_string", source=PAGING),
        Field("per_page", "integer_string", source=PAGING),
    )


def _address_fields(prefix: str, *, source: str) -> tuple[Field, ...]:
    p = f"{prefix}." if prefix else ""
    return (
        Field(f"{p}address", max_len=LONG_TEXT_MAX, source=f"{source}; length I"),
        # The older version of [KD-addr] marks address and city required; city is enforced
        # (an invoice address without an il is no address GİB accepts), address is not (I).
        Field(f"{p}city", required=True, max_len=TEXT_MAX, source=f"{source} (older version: required)"),
        Field(f"{p}district", max_len=TEXT_MAX, source=source),
        Field(f"{p}country", max_len=TEXT_MAX, source=source),
        Field(f"{p}address_type", enum=ADDRESS_TYPES, source=f"{source}; values I [K-lara]"),
        Field(f"{p}is_abroad", enum=BOOLEAN, source=source),
        Field(f"{p}street", max_len=TEXT_MAX, source=source),
        Field(f"{p}building_name", max_len=TEXT_MAX, source=source),
        Field(f"{p}number", max_len=TEXT_MAX, source=source),
        Field(f"{p}postal_code", max_len=20, source=f"{source}; length I"),
    )


# --- rules -------------------------------------------------------------------------------------


def _abroad_rule(prefix: str) -> Rule:
    p = f"{prefix}." if prefix else ""
    needed = ("street", "building_name", "number", "postal_code")

    def holds(b: Mapping[str, Any]) -> bool:
        node = get(b, prefix) if prefix else b
        if not isinstance(node, Mapping) or node.get("is_abroad") != "1":
            return True
        return all(node.get(k) not in (None, "") for k in needed)

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        node = b.setdefault(prefix, {}) if prefix else b
        node["is_abroad"] = "1"
        for k in needed:
            node.pop(k, None)
        return b

    return Rule(
        f"{p.replace('.', '_')}abroad_needs_street",
        f"{p}is_abroad=1 ise street, building_name, number ve postal_code zorunludur",
        holds=holds, breaks=breaks, field=f"{p}street", source=ADDR,
    )


def _identity_ok(b: Mapping[str, Any]) -> bool:
    value = b.get("identity_no")
    if not isinstance(value, str) or not value.isdigit():
        return True  # the pattern refuses it
    if len(value) == 10:
        return is_vkn(value)
    return value == ANONYMOUS_TCKN or is_tckn(value)


def _break_identity(b: dict[str, Any]) -> dict[str, Any]:
    b["identity_no"] = "12345678901"  # 11 digits, wrong checksum
    return b


def _person_has_tckn(b: Mapping[str, Any]) -> bool:
    value = b.get("identity_no")
    return not (isinstance(value, str) and len(value) == 10 and b.get("is_corporate") != "1")


def _break_person_has_tckn(b: dict[str, Any]) -> dict[str, Any]:
    b["identity_no"] = "1234567890"  # a valid VKN
    b["is_corporate"] = "0"
    return b


def _tax_office_for_vkn(b: Mapping[str, Any]) -> bool:
    corporate = b.get("is_corporate") == "1" or len(str(b.get("identity_no") or "")) == 10
    return not corporate or b.get("tax_office") not in (None, "")


def _break_tax_office(b: dict[str, Any]) -> dict[str, Any]:
    b.update(is_corporate="1", identity_no="1234567890", name="Örnek Teknoloji", surname="A.Ş.")
    b.pop("tax_office", None)
    return b


def _records_rule(path: str, source: str) -> Rule:
    """``items[0]=x`` decodes to a list holding a string: every item must be a record."""

    def holds(b: Mapping[str, Any]) -> bool:
        return all(isinstance(i, Mapping) for i in items(b, path))

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        b[path] = ["x"]
        return b

    return Rule(f"{path}_are_records", f"{path} her kalemi {path}[0][alan] biçiminde olmalıdır",
                holds=holds, breaks=breaks, field=path, source=source)


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _discount_fits(b: Mapping[str, Any]) -> bool:
    for item in items(b, "items"):
        if not isinstance(item, Mapping) or item.get("discount_amount") in (None, ""):
            continue
        q, u, d = (_decimal(item.get(k)) for k in ("quantity", "unit_price", "discount_amount"))
        if q is not None and u is not None and d is not None and d > q * u:
            return False
    return True


def _break_discount(b: dict[str, Any]) -> dict[str, Any]:
    item = b["items"][0]
    item["discount_amount"] = str(_decimal(item["quantity"]) * _decimal(item["unit_price"]) + 1)
    return b


def _quantity_positive(b: Mapping[str, Any]) -> bool:
    for item in items(b, "items"):
        q = _decimal(item.get("quantity")) if isinstance(item, Mapping) else None
        if q is not None and q <= ZERO:
            return False
    return True


def _break_quantity(b: dict[str, Any]) -> dict[str, Any]:
    b["items"][0]["quantity"] = "0"
    return b


def _due_after_order(b: Mapping[str, Any]) -> bool:
    order, due = b.get("order_date"), b.get("due_date")
    return not (isinstance(order, str) and isinstance(due, str) and due < order)


def _break_due(b: dict[str, Any]) -> dict[str, Any]:
    b["order_date"], b["due_date"] = "2024-01-15", "2024-01-14"
    return b


def _exemption_for_istisna(b: Mapping[str, Any]) -> bool:
    return b.get("document_type") != "ISTISNA" or b.get("vat_exemption_reason_code") not in (None, "")


def _break_exemption(b: dict[str, Any]) -> dict[str, Any]:
    b["document_type"] = "ISTISNA"
    b.pop("vat_exemption_reason_code", None)
    return b


def _platform_named(b: Mapping[str, Any]) -> bool:
    sale = b.get("internet_sale")
    if not isinstance(sale, Mapping) or sale.get("payment_type") != "payment-platform":
        return True
    return sale.get("payment_platform") not in (None, "")


def _break_platform(b: dict[str, Any]) -> dict[str, Any]:
    sale = b.setdefault("internet_sale", {"url": "https://shop.example", "payment_date": "2024-01-15"})
    sale["payment_type"] = "payment-platform"
    sale.pop("payment_platform", None)
    b.setdefault("internet_sale_shipment", {"carrier_person": "Satıcı", "carrier_date": "2024-01-15"})
    return b


def _shipment_for_sale(b: Mapping[str, Any]) -> bool:
    # GİB: an e-Arşiv internet sale names its carrier and shipping date (I FACTS §5.4).
    return not isinstance(b.get("internet_sale"), Mapping) or isinstance(
        b.get("internet_sale_shipment"), Mapping
    )


def _break_shipment(b: dict[str, Any]) -> dict[str, Any]:
    b.setdefault("internet_sale", {"url": "https://shop.example", "payment_type": "credit-card",
                                   "payment_date": "2024-01-15"})
    b.pop("internet_sale_shipment", None)
    return b


def _carrier_named(b: Mapping[str, Any]) -> bool:
    ship = b.get("internet_sale_shipment")
    if not isinstance(ship, Mapping):
        return True
    return any(ship.get(k) not in (None, "") for k in ("carrier_company", "carrier_person"))


def _break_carrier(b: dict[str, Any]) -> dict[str, Any]:
    b.setdefault("internet_sale", {"url": "https://shop.example", "payment_type": "credit-card",
                                   "payment_date": "2024-01-15"})
    b["internet_sale_shipment"] = {"carrier_date": "2024-01-15"}
    return b


def _carrier_tax_number(b: Mapping[str, Any]) -> bool:
    ship = b.get("internet_sale_shipment")
    if not isinstance(ship, Mapping) or ship.get("carrier_company") in (None, ""):
        return True
    return ship.get("carrier_company_tax_number") not in (None, "")


def _break_carrier_tax_number(b: dict[str, Any]) -> dict[str, Any]:
    b.setdefault("internet_sale", {"url": "https://shop.example", "payment_type": "credit-card",
                                   "payment_date": "2024-01-15"})
    b["internet_sale_shipment"] = {"carrier_company": "Örnek Kargo", "carrier_date": "2024-01-15"}
    return b


def _return_referenced(b: Mapping[str, Any]) -> bool:
    return b.get("type") != "sale_return_invoice" or bool(items(b, "return_invoice_references"))


def _break_return_reference(b: dict[str, Any]) -> dict[str, Any]:
    b["type"] = "sale_return_invoice"
    b.pop("return_invoice_references", None)
    return b


def _item_fields(source: str, *, invoice: bool) -> tuple[Field, ...]:
    fields = (
        Field("items", "array", required=True, min_len=1, source=f"{source} (array; at least one I)"),
        Field("items[].product_id", "integer_string", required=True, source=source),
        Field("items[].quantity", "numeric", required=True, source=f"{source} (string: \"2\")"),
        Field("items[].unit_price", "numeric", required=True, minimum=0,
              source=f"{source} (string: \"100.00\"); not negative I"),
        Field("items[].vat_rate", required=True, enum=VAT_RATES,
              source=f"{source}; values I FACTS §1.3 VATRate"),
        Field("items[].description", max_len=TEXT_MAX, source=f"{source}; {LENGTH}"),
        Field("items[].discount_amount", "numeric", minimum=0,
              source=f"{source} (number, TRY); not negative I"),
    )
    if invoice:
        fields += (Field("items[].gtip_no", pattern=GTIP_PATTERN, source=INV),)
    return fields


_ITEM_RULES = (
    _records_rule("items", INV),
    Rule("quantity_positive", "items.*.quantity 0'dan büyük olmalıdır",
         holds=_quantity_positive, breaks=_break_quantity, field="items[0].quantity",
         source="I: an item of nothing is no item"),
    Rule("discount_within_amount", "items.*.discount_amount miktar × birim fiyatı aşamaz",
         holds=_discount_fits, breaks=_break_discount, field="items[0].discount_amount",
         source="I: a discount cannot exceed the item"),
)


# --- contracts ---------------------------------------------------------------------------------

ACCESS_TOKEN = Contract(
    "POST /kolaybi/v1/access_token",
    source=f"{AUTH}: JSON {{api_key}} (a form field also works, I [K-cenk])",
    fields=(Field("api_key", required=True, max_len=TEXT_MAX, source=AUTH),),
)

ASSOCIATES_SEARCH = Contract(
    "GET /kolaybi/v1/associates",
    source=ASSOC_LIST,
    fields=(
        Field("code", max_len=TEXT_MAX, source=ASSOC_LIST),
        Field("name", max_len=TEXT_MAX, source=ASSOC_LIST),
        Field("surname", max_len=TEXT_MAX, source=ASSOC_LIST),
        Field("identity_no", pattern=IDENTITY_PATTERN, source=ASSOC_LIST),
        Field("email", max_len=TEXT_MAX, source=ASSOC_LIST),
        Field("group", enum=ASSOCIATE_TYPES, source=f"{ASSOC_LIST} (AssociateGroup)"),
        *_paging(),
    ),
)

ASSOCIATES_CREATE = Contract(
    "POST /kolaybi/v1/associates",
    source=ASSOC,
    fields=(
        Field("name", required=True, min_len=2, max_len=TEXT_MAX, source=f"{ASSOC} (2+ characters)"),
        Field("surname", required=True, min_len=2, max_len=TEXT_MAX, source=f"{ASSOC} (2+ characters)"),
        Field("identity_no", required=True, pattern=IDENTITY_PATTERN, source=f"{ASSOC} (10–11 digits)"),
        Field("is_corporate", enum=BOOLEAN, source=ASSOC),
        Field("associate_type", enum=ASSOCIATE_TYPES, source=f"{ASSOC}; values I [K-lara]"),
        Field("tax_office", max_len=TEXT_MAX, source=ASSOC),
        Field("website", max_len=TEXT_MAX, source=ASSOC),
        Field("code", max_len=50, source=f"{ASSOC}; length I"),
        Field("tags", "array", source=ASSOC),
        Field("phone", max_len=30, source=f"{ASSOC}; length I"),
        Field("email", max_len=TEXT_MAX, pattern=EMAIL_PATTERN, source=f"{ASSOC}; format I"),
        Field("addresses", "object", source=f"{ASSOC} (addresses[field])"),
        *_address_fields("addresses", source=ASSOC),
    ),
    rules=(
        Rule("identity_checksum", "identity_no geçerli bir TCKN / VKN değil (sağlama)",
             holds=_identity_ok, breaks=_break_identity, field="identity_no",
             source="I FACTS §5.8 (GİB checksums; 11111111111 allowed, §5.2)"),
        Rule("person_needs_tckn", "identity_no: bireysel cari (is_corporate=0) 11 haneli TCKN ister",
             holds=_person_has_tckn, breaks=_break_person_has_tckn, field="identity_no",
             source="I: a VKN belongs to a company"),
        Rule("tax_office_for_vkn", "tax_office VKN kullanıldığında zorunludur",
             holds=_tax_office_for_vkn, breaks=_break_tax_office, field="tax_office",
             source=f"{ASSOC} (required when a VKN is used)"),
        _abroad_rule("addresses"),
    ),
)

ADDRESS_CREATE = Contract(
    "POST /kolaybi/v1/address/create",
    source=ADDR,
    fields=(
        Field("associate_id", "integer_string", required=True, source=ADDR),
        *_address_fields("", source=ADDR),
        Field("address_location", max_len=TEXT_MAX, source=f"{ADDR} (default other)"),
    ),
    rules=(_abroad_rule(""),),
)

PRODUCTS_SEARCH = Contract(
    "GET /kolaybi/v1/products",
    source=PROD,
    fields=(
        Field("barcode", max_len=TEXT_MAX, source=PROD),
        Field("code", max_len=TEXT_MAX, source=PROD),
        Field("name", max_len=TEXT_MAX, source=PROD),
        Field("type", enum=PRODUCT_TYPES, source=PROD),
        Field("group", max_len=TEXT_MAX, source=PROD),
        Field("full_text_search", max_len=TEXT_MAX, source=PROD),
        *_paging(),
    ),
)

PRODUCTS_CREATE = Contract(
    "POST /kolaybi/v1/products",
    source=PROD,
    fields=(
        Field("name", required=True, max_len=TEXT_MAX, source=f"{PROD}; {LENGTH}"),
        Field("code", max_len=64, source=f"{PROD}; length I"),
        Field("barcode", max_len=64, source=f"{PROD}; length I"),
        Field("description", max_len=LONG_TEXT_MAX, source=PROD),
        Field("product_type", enum=PRODUCT_TYPES, source=f"{PROD} (good default)"),
        Field("vat_rate", enum=VAT_RATES, source=f"{PROD} (default 20)"),
        Field("price", "numeric", minimum=0, source=PROD),
        Field("price_currency", enum=CURRENCIES, source=PROD),
        Field("quantity", "numeric", source=f"{PROD} (default 0)"),
    ),
)

_SALE_DATE = "2024-01-15"

INVOICES_CREATE = Contract(
    "POST /kolaybi/v1/invoices",
    source=INV,
    fields=(
        Field("contact_id", "integer_string", required=True, source=INV),
        Field("address_id", "integer_string", required=True, source=INV),
        Field("order_date", "date", required=True, source=f"{INV} (YYYY-MM-DD)"),
        Field("currency", required=True, enum=CURRENCIES, source=f"{INV}; values I"),
        *_item_fields(INV, invoice=True),
        Field("serial_no", pattern=SERIES_PATTERN, source=f"{INV}; the 3-character series I"),
        Field("due_date", "date", source=INV),
        Field("description", max_len=LONG_TEXT_MAX, source=f"{INV}; length I"),
        Field("receiver_email", max_len=TEXT_MAX, pattern=EMAIL_PATTERN, source=INV),
        Field("type", enum=INVOICE_TYPES, source=f"{INV} (default sale_invoice)"),
        Field("tracking_currency", enum=CURRENCIES, source=INV),
        Field("tags", "array", source=INV),
        Field("subtotal_discount_amount", "numeric", minimum=0, source=INV),
        # Rounding only: ±1.00 at most (I: a correction must not re-price the invoice).
        Field("subtotal_correction_amount", "numeric", minimum=Decimal("-1.00"), source=f"{INV} (rounding)"),
        Field("exchange_rate", "numeric", minimum=0, source=INV),
        Field("cross_currency_rate", "numeric", minimum=0, source=INV),
        Field("document_scenario", enum=SCENARIOS, source=EBELGE),
        Field("document_type", enum=DOCUMENT_TYPES, source=EBELGE),
        Field("vat_exemption_reason_code", max_len=10, source=EBELGE),
        Field("shipment_include", enum=BOOLEAN, source=EBELGE),
        Field("order_reference", "object", source=EBELGE),
        Field("order_reference.serial_no", required=True, max_len=TEXT_MAX, source=EBELGE),
        Field("order_reference.issue_date", "date", source=EBELGE),
        Field("return_invoice_references", "array", source=EBELGE),
        Field("return_invoice_references[].serial_no", required=True, max_len=TEXT_MAX, source=EBELGE),
        Field("return_invoice_references[].issue_date", "date", required=True,
              source=f"{EBELGE}; required I (GİB's return reference is number and date)"),
        Field("internet_sale", "object", source=EBELGE),
        Field("internet_sale.url", required=True, max_len=500, pattern=URL_PATTERN, source=EBELGE),
        Field("internet_sale.payment_type", required=True, enum=PAYMENT_TYPES, source=EBELGE),
        Field("internet_sale.payment_platform", max_len=TEXT_MAX, source=EBELGE),
        Field("internet_sale.payment_date", required=True, pattern=DATE_TIME_PATTERN, source=EBELGE),
        Field("internet_sale_shipment", "object", source=EBELGE),
        Field("internet_sale_shipment.carrier_company", max_len=TEXT_MAX, source=EBELGE),
        Field("internet_sale_shipment.carrier_person", max_len=TEXT_MAX, source=EBELGE),
        Field("internet_sale_shipment.carrier_company_tax_number", pattern=TAX_NUMBER_PATTERN,
              source=EBELGE),
        Field("internet_sale_shipment.carrier_date", required=True, pattern=DATE_TIME_PATTERN,
              source=EBELGE),
    ),
    rules=(
        *_ITEM_RULES,
        _records_rule("return_invoice_references", EBELGE),
        Rule("return_references_its_sale",
             "type sale_return_invoice ise return_invoice_references (iade edilen fatura) zorunludur",
             holds=_return_referenced, breaks=_break_return_reference,
             field="return_invoice_references", source="C FACTS §5.5 (a return references its original)"),
        Rule("correction_is_rounding", "subtotal_correction_amount en fazla ±1.00 olabilir",
             holds=lambda b: (d := _decimal(b.get("subtotal_correction_amount") or 0)) is None
             or abs(d) <= 1,
             breaks=lambda b: {**b, "subtotal_correction_amount": "1.01"},
             field="subtotal_correction_amount", source="I: a rounding correction, not a price"),
        Rule("due_after_order", "due_date order_date'ten önce olamaz",
             holds=_due_after_order, breaks=_break_due, field="due_date", source="I"),
        Rule("exemption_for_istisna", "document_type ISTISNA ise vat_exemption_reason_code zorunludur",
             holds=_exemption_for_istisna, breaks=_break_exemption,
             field="vat_exemption_reason_code", source=EBELGE),
        Rule("platform_named", "internet_sale.payment_type payment-platform ise payment_platform zorunludur",
             holds=_platform_named, breaks=_break_platform, field="internet_sale.payment_platform",
             source=EBELGE),
        Rule("shipment_for_internet_sale", "internet_sale ile internet_sale_shipment zorunludur",
             holds=_shipment_for_sale, breaks=_break_shipment, field="internet_sale_shipment",
             source="I FACTS §5.4 (GİB: an internet sale names its carrier)"),
        Rule("carrier_named", "internet_sale_shipment.carrier_company veya carrier_person zorunludur",
             holds=_carrier_named, breaks=_break_carrier,
             field="internet_sale_shipment.carrier_company", source="I FACTS §5.4"),
        Rule("carrier_tax_number", "carrier_company ile carrier_company_tax_number zorunludur",
             holds=_carrier_tax_number, breaks=_break_carrier_tax_number,
             field="internet_sale_shipment.carrier_company_tax_number", source="I FACTS §5.4"),
    ),
)

INVOICES_LIST = Contract(
    "GET /kolaybi/v1/invoices",
    source=INV_LIST,
    fields=(Field("type", enum=INVOICE_TYPES, source=INV_LIST), *_paging()),
)

# GET /invoices/{document_id} and GET /companies take no parameters: any key is refused.
INVOICE_GET = Contract("GET /kolaybi/v1/invoices/{document_id}", fields=(),
                       source="path C (docs link in [K-lara])")
COMPANIES = Contract("GET /kolaybi/v1/companies", fields=(), source="C (referenced by [KD-resend])")

E_DOCUMENT_CREATE = Contract(
    "POST /kolaybi/v1/invoices/e-document/create",
    source=SEED_002,
    fields=(
        Field("document_id", "integer_string", required=True, source=f"{SEED_002} (integer, Evet)"),
        Field("prefix", pattern=SERIES_PATTERN, source="I FACTS §1.2 (two third-party apps)"),
    ),
)

E_DOCUMENT_CANCEL = Contract(
    "POST /kolaybi/v1/invoices/e-document/cancel",
    source="C FACTS §1.2 [KD-cancel]",
    fields=(
        Field("document_id", "integer_string", required=True, source="C [KD-cancel]"),
        Field("cancel_date", "date", source="I FACTS §1.2 (one adapter)"),
        Field("cancel_time", pattern=r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?", source="I FACTS §1.2"),
    ),
)

E_DOCUMENT_LIST = Contract(
    "GET /kolaybi/v1/e_document/invoices",
    source=ED_LIST,
    fields=(
        Field("company_id", "integer_string", required=True, source=ED_LIST),
        Field("direction", required=True, enum=DIRECTIONS, source=ED_LIST),
        Field("document_id", "integer_string", source=ED_LIST),
        Field("min_issue_date", "date", source=ED_LIST),
        Field("max_issue_date", "date", source=ED_LIST),
        Field("min_total_amount", "numeric", source=ED_LIST),
        Field("max_total_amount", "numeric", source=ED_LIST),
        Field("party_name", max_len=TEXT_MAX, source=ED_LIST),
        *_paging(),
    ),
)

PROFORMAS_CREATE = Contract(
    "POST /kolaybi/v1/proformas",
    source=SEED_003,
    fields=(
        Field("contact_id", "integer_string", required=True, source=f"{SEED_003} (integer, Evet)"),
        Field("address_id", "integer_string", required=True, source=f"{SEED_003} (integer, Evet)"),
        Field("order_date", "date", required=True, source=f"{SEED_003} (YYYY-MM-DD, Evet)"),
        Field("currency", required=True, enum=CURRENCIES, source=f"{SEED_003} (Evet); values I"),
        *_item_fields(SEED_003, invoice=False),
        Field("serial_no", max_len=50, source=f"{SEED_003} (Hayır); length I"),
        Field("due_date", "date", source=f"{SEED_003} (YYYY-MM-DD, Hayır)"),
        Field("description", max_len=LONG_TEXT_MAX, source=f"{SEED_003} (Hayır); length I"),
    ),
    rules=(
        *_ITEM_RULES,
        Rule("due_after_order", "due_date order_date'ten önce olamaz",
             holds=_due_after_order, breaks=_break_due, field="due_date",
             source="I: a validity ending before the proforma's date"),
    ),
)

CONTRACTS: dict[str, Contract] = {
    c.endpoint: c for c in (
        ACCESS_TOKEN, ASSOCIATES_SEARCH, ASSOCIATES_CREATE, ADDRESS_CREATE, PRODUCTS_SEARCH,
        PRODUCTS_CREATE, INVOICES_CREATE, INVOICES_LIST, INVOICE_GET, COMPANIES,
        E_DOCUMENT_CREATE, E_DOCUMENT_CANCEL, E_DOCUMENT_LIST, PROFORMAS_CREATE,
    )
}


# --- the documents' own examples, as the parsed form (strings) ---------------------------------

# Seed 003's cURL example, as published (ids 1 replaced by the ids the test books hold).
EXAMPLE_PROFORMA: dict[str, Any] = {
    "contact_id": "1", "address_id": "1", "order_date": "2024-01-15", "currency": "TRY",
    "items": [{"product_id": "1", "quantity": "2", "unit_price": "100.00", "vat_rate": "18"}],
    "serial_no": "PROF-001", "description": "Örnek proforma açıklaması",
}
# Seed 002's example.
EXAMPLE_E_DOCUMENT: dict[str, Any] = {"document_id": "1"}


def example(name: str) -> dict[str, Any]:
    return copy.deepcopy({"proforma": EXAMPLE_PROFORMA, "e_document": EXAMPLE_E_DOCUMENT}[name])
