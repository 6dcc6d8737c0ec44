"""FaturaEntegratör's request contracts, one per endpoint the simulator serves, written from
the provider's documents (seed 000 = ``POST /api/customers``; FACTS §2.1–2.3), not from our
adapter.

Seed 000 marks each customer field Evet/Hayır/Koşullu and gives its type; FACTS §2.2 names
the invoice body field by field (from the vendor's own PHP, Odoo and n8n clients, C) and §2.3
the constants (C, the PHP client's ``Enum/*``). Where they are silent the mark is an
assumption tagged ``I`` next to it. ``null`` counts as absent, and an empty string is no
value for a required field: Laravel's ConvertEmptyStringsToNull, which is why the seed's own
example sends ``"tax_office": ""`` for a person.

Stateful checks stay in the simulator's handlers: an unknown ``customer.id``,
``sale_channel_id`` or ``invoice_integration_id`` (422), an unknown invoice (404), a second
formalize of an invoice already at GİB (422), an İADE whose reference is not a completed SATIS
invoice or whose amounts exceed what is left of it (422), a DELETE of a formalized invoice (422).

Returns (I): no FE document names how an ``IADE`` invoice references its sale. GİB's UBL
needs the original's number and date, so the simulator takes them as
``return_invoice_number`` / ``return_invoice_date`` (FE's snake_case; Turkcell's
``returnInvoiceNumber`` / ``returnInvoiceDate``, FACTS §4.2) and refuses an IADE without them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sync_engine.sandbox.contract import Contract, Field, Rule, get, items

SEED = "C seed 000"
FACTS = "C FACTS §2.2"
ENUMS = "C FACTS §2.3"

CUSTOMER_TYPES = ("person", "company")  # C §2.3 CustomerType
INVOICE_TYPES = (  # C §2.3 InvoiceType
    "SATIS", "IADE", "TEVKIFAT", "TEVKIFATIADE", "ISTISNA", "OZELMATRAH", "IHRACKAYITLI",
    "KONAKLAMAVERGISI",
)
TAX_RATES = (0, 1, 8, 10, 18, 20)  # C §2.3 KDV (8 and 18 stay for older documents)
DISCOUNT_TYPES = ("percentage", "amount")  # C §2.3 DiscountType
PAYMENT_METHODS = (  # C §2.3 PaymentMethod
    "credit_or_debit", "direct_transfer", "cash_on_delivery", "payment_agent", "other",
)
FORMAL_STATUSES = ("pending", "running", "completed", "not_required", "failed", "canceled")  # C §2.3
WORKFLOW_STATUSES = ("processing", "failed", "completed")  # C §2.3
# C §2.3/§5.7: the ProductUnit codes FACTS names (the PHP enum has 49; the rest are not in
# our copy). I: a code outside this list is refused, as the enum would refuse an unknown one.
UNITS = (
    "C62", "DAY", "MON", "ANN", "HUR", "D61", "D62", "PA", "BX", "GRM", "KGM", "LTR", "MTR",
    "MTK", "MTQ", "KWH", "PR", "SET", "DZN",
)
# C §2.3 ExemptionReason: KDV 201–243 and 301–343, ÖTV 101–108.
EXEMPTION_CODES = tuple(
    str(c) for c in (*range(101, 109), *range(201, 244), *range(301, 344))
)

TAX_NUMBER = r"[0-9]{10}|[0-9]{11}"  # C seed 000: VKN 10 or TCKN 11 digits
GIB_NUMBER = r"[A-Z0-9]{3}[0-9]{13}"  # C FACTS §5.2: series + year + 9-digit sequence
RETURN_TYPES = ("IADE", "TEVKIFATIADE")  # C §2.3: the InvoiceTypes that answer a sale
RETURNS = "I (no FE source names the reference; GİB's BillingReference: number + date)"
EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"  # C seed 000 "geçerli format"; the pattern is I
CURRENCY = r"[A-Z]{3}"  # C §2.2 ISO 4217
TIME = r"[0-2][0-9]:[0-5][0-9]"  # C §2.2 issue_time HH:MM
TEXT_MAX = 255  # I: Laravel string columns (VARCHAR 255)
PRICE_PLACES = 8  # I: Odoo sends price_subtotal / qty unrounded, so more than 2 places pass
KURUS = Decimal("0.01")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _dec(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return out if out.is_finite() else None


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# --- customers (seed 000) -------------------------------------------------------------------


def _customer_fields(prefix: str, *, required: bool) -> tuple[Field, ...]:
    """The seed's fields; under ``customer.`` on an invoice (inline buyer) the required marks
    apply only when no ``customer.id`` is sent (a rule below)."""
    p = f"{prefix}." if prefix else ""
    return (
        Field(f"{p}type", required=required, enum=CUSTOMER_TYPES, source=f"{SEED}; {ENUMS}"),
        Field(f"{p}tax_number", required=required, pattern=TAX_NUMBER, source=SEED),
        Field(f"{p}tax_office", max_len=TEXT_MAX, source=f"{SEED} (Koşullu: company)"),
        Field(f"{p}title", max_len=TEXT_MAX, source=f"{SEED} (Koşullu: company)"),
        Field(f"{p}name", max_len=TEXT_MAX, source=f"{SEED} (Koşullu: person)"),
        Field(f"{p}surname", max_len=TEXT_MAX, source=f"{SEED} (Koşullu: person)"),
        Field(f"{p}country", required=required, max_len=100, source=f"{SEED}; length I"),
        Field(f"{p}address", required=required, max_len=500, source=f"{SEED}; length I"),
        Field(f"{p}city", required=required, max_len=100, source=f"{SEED}; length I"),
        Field(f"{p}district", required=required, max_len=100, source=f"{SEED}; length I"),
        Field(f"{p}postcode", max_len=10, source=f"{SEED}; length I"),
        Field(f"{p}phone", max_len=20, source=f"{SEED}; length I"),
        Field(f"{p}email", pattern=EMAIL, max_len=TEXT_MAX, source=SEED),
        Field(f"{p}iban", max_len=34, source=f"{SEED}; length I (IBAN is at most 34)"),
    )


def _conditional(prefix: str, kind: str, name: str, applies: Callable[[Mapping[str, Any]], bool]) -> Rule:
    p = f"{prefix}." if prefix else ""
    path = f"{p}{name}"

    def holds(b: Mapping[str, Any]) -> bool:
        return not applies(b) or get(b, f"{p}type") != kind or not _blank(get(b, path))

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        block = b[prefix] if prefix else b
        block.pop("id", None)
        if kind == "company":
            block.update(type="company", tax_number="1234567890", tax_office="Pamukkale", title="Örnek A.Ş.")
        else:
            block.update(type="person", tax_number="10000000146", name="Ali", surname="Yılmaz")
        block[name] = ""
        return b

    label = "tüzel kişi (company)" if kind == "company" else "gerçek kişi (person)"
    return Rule(
        f"{path}_for_{kind}".replace(".", "_"), f"{path} alanı {label} için zorunludur",
        holds=holds, breaks=breaks, field=path, source=f"{SEED} (Koşullu)",
    )


def _digits_rule(prefix: str, applies: Callable[[Mapping[str, Any]], bool]) -> Rule:
    """I: the digit count agrees with the type (company = VKN 10, person = TCKN 11); no
    checksum, since the anonymous consumer's 11111111111 must pass (FACTS §5.2)."""
    p = f"{prefix}." if prefix else ""

    def holds(b: Mapping[str, Any]) -> bool:
        if not applies(b):
            return True
        kind, number = get(b, f"{p}type"), get(b, f"{p}tax_number")
        if not isinstance(number, str) or kind not in CUSTOMER_TYPES:
            return True
        return len(number) == (10 if kind == "company" else 11)

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        block = b[prefix] if prefix else b
        block.pop("id", None)
        block.update(type="person", tax_number="1234567890", name="Ali", surname="Yılmaz")
        return b

    return Rule(
        f"{p}tax_number_digits".replace(".", "_"),
        f"{p}tax_number: person için 11 haneli TCKN, company için 10 haneli VKN olmalıdır",
        holds=holds, breaks=breaks, field=f"{p}tax_number", source="C seed 000 (10/11 digits); pairing I",
    )


def _always(_: Mapping[str, Any]) -> bool:
    return True


CUSTOMER_CREATE = Contract(
    endpoint="POST /api/customers",
    fields=_customer_fields("", required=True),
    rules=(
        _conditional("", "company", "tax_office", _always),
        _conditional("", "company", "title", _always),
        _conditional("", "person", "name", _always),
        _conditional("", "person", "surname", _always),
        _digits_rule("", _always),
    ),
    source=SEED,
)


# --- invoices (FACTS §2.2) ------------------------------------------------------------------


def _inline(b: Mapping[str, Any]) -> bool:
    """An inline buyer is checked in full only when it stands alone (no ``customer.id``)."""
    return get(b, "customer.id") is None


def _customer_complete_rule() -> Rule:
    required = ("type", "tax_number", "country", "address", "city", "district")

    def holds(b: Mapping[str, Any]) -> bool:
        return not _inline(b) or all(not _blank(get(b, f"customer.{k}")) for k in required)

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        b["customer"] = {"type": "person", "tax_number": "10000000146", "name": "Ali", "surname": "Yılmaz"}
        return b

    return Rule(
        "customer_id_or_inline",
        "customer.id ya da müşteri bilgileri (type, tax_number, country, address, city, district) zorunludur",
        holds=holds, breaks=breaks, field="customer", source=f"{FACTS} (id or inline); {SEED} (marks)",
    )


def _line_rule(name: str, message: str, field: str, bad: Callable[[dict[str, Any]], bool],
               breaker: Callable[[dict[str, Any]], None], source: str) -> Rule:
    def holds(b: Mapping[str, Any]) -> bool:
        return not any(isinstance(line, dict) and bad(line) for line in items(b, "lines"))

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        breaker(b["lines"][0])
        return b

    return Rule(name, message, holds=holds, breaks=breaks, field=field, source=source)


def _gross(line: Mapping[str, Any]) -> Decimal | None:
    quantity, price = _dec(line.get("quantity")), _dec(line.get("unit_price"))
    if quantity is None or price is None:
        return None
    return (quantity * price).quantize(KURUS)


def _discount_too_large(line: dict[str, Any]) -> bool:
    gross, discount = _gross(line), _dec(line.get("discount"))
    if gross is None or discount is None:
        return False
    if line.get("discount_type") == "percentage":
        return discount > 100
    return discount > gross


def _break_discount(line: dict[str, Any]) -> None:
    line.update(discount_type="amount", discount=(_gross(line) or Decimal(0)) + 1)


def _break_exemption(line: dict[str, Any]) -> None:
    line["tax_rate"] = 0
    line.pop("exemption_code", None)


def _break_quantity(line: dict[str, Any]) -> None:
    line["quantity"] = 0


def _break_price_places(line: dict[str, Any]) -> None:
    line["unit_price"] = Decimal("1.123456789")


def _break_discount_type(line: dict[str, Any]) -> None:
    line.pop("discount_type", None)
    line["discount"] = Decimal("1.00")


def _return_referenced(b: Mapping[str, Any]) -> bool:
    if b.get("type") not in RETURN_TYPES:
        return True
    return not _blank(b.get("return_invoice_number")) and not _blank(b.get("return_invoice_date"))


def _break_return_reference(b: dict[str, Any]) -> dict[str, Any]:
    b["type"] = "IADE"
    b.pop("return_invoice_number", None)
    b.pop("return_invoice_date", None)
    return b


def _reference_only_on_returns(b: Mapping[str, Any]) -> bool:
    return b.get("type") in RETURN_TYPES or (
        _blank(b.get("return_invoice_number")) and _blank(b.get("return_invoice_date"))
    )


def _break_reference_on_sale(b: dict[str, Any]) -> dict[str, Any]:
    b.update(type="SATIS", return_invoice_number="FEN2025000000001", return_invoice_date="2025-05-01")
    return b


def _needs(flag: str, block: str) -> Rule:
    def holds(b: Mapping[str, Any]) -> bool:
        return get(b, flag) is not True or isinstance(get(b, block), dict)

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        b[flag] = True
        b.pop(block, None)
        return b

    return Rule(
        f"{block}_when_{flag}", f"{flag} true iken {block} bilgileri zorunludur",
        holds=holds, breaks=breaks, field=block, source=f"{FACTS} (the flag and its object); pairing I",
    )


INVOICE_CREATE = Contract(
    endpoint="POST /api/invoices",
    fields=(
        Field("sale_channel_id", "integer", required=True, source=FACTS),
        Field("invoice_integration_id", "integer", required=True, source=FACTS),
        # I: not marked required; the PHP client always sends it; SATIS when absent.
        Field("type", enum=INVOICE_TYPES, source=f"{FACTS}; {ENUMS}"),
        Field("order_id", max_len=TEXT_MAX, source=FACTS),
        Field("order_d_id", max_len=TEXT_MAX, source=FACTS),
        Field("order_created_at", "date", source=f"{FACTS} (Y-m-d)"),
        Field("currency", pattern=CURRENCY, source=f"{FACTS} (ISO 4217)"),
        Field("currency_rate", "numeric", source=FACTS),
        Field("issue_date", "date", source=f"{FACTS} (Y-m-d)"),
        Field("issue_time", pattern=TIME, source=f"{FACTS} (HH:MM)"),
        Field("waybill_number", max_len=TEXT_MAX, source=FACTS),
        Field("waybill_date", "date", source=FACTS),
        Field("cash_sale", "boolean", source=FACTS),
        Field("due_date", "date", source=FACTS),
        Field("payment_date", "date", source=FACTS),
        Field("callback_url", max_len=TEXT_MAX, source=FACTS),
        Field("description", max_len=1000, source=f"{FACTS}; length I"),
        # I: a document needs a buyer; FACTS gives its two forms, the rule below checks them.
        Field("return_invoice_number", pattern=GIB_NUMBER, source=RETURNS),
        Field("return_invoice_date", "date", source=RETURNS),
        Field("customer", "object", required=True, source=FACTS),
        Field("customer.id", "integer", source=FACTS),
        *_customer_fields("customer", required=False),
        Field("lines", "array", required=True, min_len=1, source=f"{FACTS}; at least one line I"),
        Field("lines[].id", "any", source=FACTS),
        Field("lines[].name", required=True, max_len=TEXT_MAX, source=FACTS),
        Field("lines[].description", max_len=1000, source=FACTS),
        Field("lines[].sku", max_len=TEXT_MAX, source=FACTS),
        Field("lines[].quantity", "numeric", required=True, source=FACTS),
        Field("lines[].unit", enum=UNITS, source=f"{FACTS}; {ENUMS} ProductUnit"),
        Field("lines[].unit_price", "numeric", required=True, minimum=0, source=f"{FACTS} (net of VAT)"),
        Field("lines[].discount_type", enum=DISCOUNT_TYPES, source=f"{FACTS}; {ENUMS}"),
        Field("lines[].discount", "numeric", minimum=0, source=FACTS),
        # I: not marked required; a line without a rate is refused (GİB needs one per line).
        Field("lines[].tax_rate", "integer", required=True, enum=TAX_RATES, source=f"{FACTS}; {ENUMS} KDV"),
        Field("lines[].exemption_code", enum=EXEMPTION_CODES, source=f"{FACTS}; {ENUMS} ExemptionReason"),
        Field("lines[].exemption_reason", max_len=TEXT_MAX, source=FACTS),
        Field("lines[].extra_taxes", "array", source=FACTS),
        Field("is_internet_sale", "boolean", source=FACTS),
        Field("internet_sale", "object", source=FACTS),
        Field("internet_sale.web_address", required=True, max_len=TEXT_MAX, source=f"{FACTS}; required I"),
        Field("internet_sale.payment_method", required=True, enum=PAYMENT_METHODS,
              source=f"{FACTS}; {ENUMS}; required I"),
        Field("internet_sale.payment_platform", max_len=TEXT_MAX, source=FACTS),
        Field("internet_sale.payment_date", "date", required=True, source=f"{FACTS}; required I"),
        Field("is_need_shipment", "boolean", source=FACTS),
        Field("shipment", "object", source=FACTS),
        Field("shipment.company_title", required=True, max_len=TEXT_MAX, source=f"{FACTS}; required I"),
        Field("shipment.company_tax_number", required=True, pattern=TAX_NUMBER,
              source=f"{FACTS}; required and format I"),
        Field("shipment.courier_name", max_len=TEXT_MAX, source=FACTS),
        Field("shipment.courier_tax_number", pattern=TAX_NUMBER, source=f"{FACTS}; format I"),
        Field("shipment.delivery_date", "date", source=FACTS),
    ),
    rules=(
        _customer_complete_rule(),
        _conditional("customer", "company", "tax_office", _inline),
        _conditional("customer", "company", "title", _inline),
        _conditional("customer", "person", "name", _inline),
        _conditional("customer", "person", "surname", _inline),
        _digits_rule("customer", _always),
        _line_rule(
            "exemption_for_zero_rate", "tax_rate 0 olan satırda exemption_code zorunludur",
            "lines.exemption_code",
            lambda line: line.get("tax_rate") == 0 and _blank(line.get("exemption_code")),
            _break_exemption, "C FACTS §2.2 and §5.3",
        ),
        _line_rule(
            "quantity_positive", "quantity sıfırdan büyük olmalıdır", "lines.quantity",
            lambda line: (_dec(line.get("quantity")) or Decimal(0)) <= 0, _break_quantity, "I",
        ),
        _line_rule(
            "unit_price_places", f"unit_price en fazla {PRICE_PLACES} ondalık basamak içerebilir",
            "lines.unit_price",
            lambda line: _places(_dec(line.get("unit_price")) or Decimal(0)) > PRICE_PLACES,
            _break_price_places, "I (see PRICE_PLACES)",
        ),
        _line_rule(
            "discount_type_with_discount", "discount gönderildiğinde discount_type zorunludur",
            "lines.discount_type",
            lambda line: not _blank(line.get("discount")) and _blank(line.get("discount_type")),
            _break_discount_type, "I: a discount is ambiguous without its type",
        ),
        _line_rule(
            "discount_within_line", "discount satır tutarını aşamaz", "lines.discount",
            _discount_too_large, _break_discount, "I",
        ),
        _needs("is_internet_sale", "internet_sale"),
        _needs("is_need_shipment", "shipment"),
        Rule(
            "return_references_its_sale",
            "IADE faturasında return_invoice_number ve return_invoice_date (iade edilen fatura) zorunludur",
            holds=_return_referenced, breaks=_break_return_reference, field="return_invoice_number",
            source=f"{RETURNS}; C FACTS §5.5 (a return references its original)",
        ),
        Rule(
            "reference_only_on_returns",
            "return_invoice_number yalnızca IADE / TEVKIFATIADE faturasında gönderilebilir",
            holds=_reference_only_on_returns, breaks=_break_reference_on_sale,
            field="return_invoice_number", source=RETURNS,
        ),
    ),
    source=FACTS,
)

# Bodiless POSTs (FACTS §2.1): any key sent is not part of the contract.
CHECK_AUTH = Contract(endpoint="POST /api/check/auth", fields=(), source="C FACTS §2.1")
FORMALIZE = Contract(endpoint="POST /api/invoices/{id}/formalize", fields=(), source="C FACTS §2.1")

CONTRACTS: dict[str, Contract] = {
    "check_auth": CHECK_AUTH,
    "customers_create": CUSTOMER_CREATE,
    "invoices_create": INVOICE_CREATE,
    "invoices_formalize": FORMALIZE,
}


def laravel_key(path: str) -> str:
    """``lines[0].tax_rate`` → ``lines.0.tax_rate``: Laravel's dot notation for errors."""
    return path.replace("[", ".").replace("]", "")


def example(endpoint: str) -> dict[str, Any]:
    """A request each contract accepts (the refusal tests derive their cases from it)."""
    return copy.deepcopy(_EXAMPLES[endpoint])


_EXAMPLES: dict[str, dict[str, Any]] = {
    "check_auth": {},
    "invoices_formalize": {},
    # The seed's own example (provider-docs/000).
    "customers_create": {
        "tax_number": "11111111111", "tax_office": "", "title": "", "name": "Ali", "surname": "Yılmaz",
        "phone": "5555555555", "email": "ali@example.com", "address": "Örnek Mah. No:1",
        "district": "Kadıköy", "city": "İstanbul", "country": "TÜRKİYE", "postcode": "34000",
        "type": "person", "iban": "",
    },
    "invoices_create": {
        "sale_channel_id": 1, "invoice_integration_id": 1, "type": "SATIS", "order_id": "ord-1",
        "currency": "TRY", "issue_date": "2025-05-02", "payment_date": "2025-05-02",
        "customer": {"id": 1, "type": "person", "tax_number": "10000000146", "name": "Ali",
                     "surname": "Yılmaz", "country": "Türkiye", "address": "Örnek Mah. No:1",
                     "city": "İstanbul", "district": "Kadıköy"},
        "lines": [
            {"name": "Kahve", "quantity": Decimal(3), "unit": "C62", "unit_price": Decimal("27.78"),
             "discount_type": "amount", "discount": Decimal("0.01"), "tax_rate": 20},
            {"name": "Kitap", "quantity": Decimal(1), "unit": "C62", "unit_price": Decimal("50.00"),
             "tax_rate": 0, "exemption_code": "301"},
        ],
        "is_internet_sale": True,
        "internet_sale": {"web_address": "https://shop.example", "payment_method": "credit_or_debit",
                          "payment_platform": "iyzico", "payment_date": "2025-05-02"},
        "is_need_shipment": True,
        "shipment": {"company_title": "Yurtiçi Kargo", "company_tax_number": "9860008925",
                     "delivery_date": "2025-05-02"},
    },
}
