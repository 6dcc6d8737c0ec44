"""SinApp's documented request contracts, one per endpoint (provider doc 001 = "seed 001",
FACTS §3), written from the documents, not from our adapter.

The document marks required fields with ``*`` and gives a type per field (String, Number,
Integer, Nesne = object, Dizi = array); it gives no lengths and no formats beyond
``payment_date`` (``Y-m-d H:i:s``) and the enums. Where it is silent the limits are
assumptions in the shape of a PHP + MySQL back end (``VARCHAR(50)`` ids, ``VARCHAR(255)``
text), tagged ``I`` next to each field. ``null`` counts as absent (the document's own example
sends ``"company_name": null`` for an individual); an empty string is no value for a required
field.

Stateful checks stay in the simulator's handlers: a repeated ``invoice_id`` (409), an unknown
invoice or one whose order does not match (404), a cancelled invoice that is updated again,
and the company fields on the buyer merged from a partial update.
"""

from __future__ import annotations

import calendar
import copy
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sync_engine.sandbox.contract import Contract, Field, Rule, get, items

SEED = "C seed 001"
ASSUMED = "I FACTS §3 (no lengths documented; assumed VARCHAR)"

INVOICE_TYPES = ("company", "individual")  # C seed 001
STATUSES = ("draft", "sent", "paid", "cancelled")  # C seed 001
PAYMENT_METHODS = ("0", "1")  # C seed 001: "0" Havale/EFT, "1" Kredi Kartı (a String)
IS_DELETED = (0, 2, 5)  # C seed 001: 2 İptal edildi, 5 Silme için işaretlendi; 0 in the example

ID_MAX = 50  # I: VARCHAR(50)
TEXT_MAX = 255  # I: VARCHAR(255)
ADDRESS_MAX = 500  # I
PHONE_MAX = 20  # I

IDENTITY_PATTERN = r"[0-9]{11}"  # TC Kimlik No: 11 digits (the checksum is not checked: I)
TAX_NUMBER_PATTERN = r"[0-9]{10,11}"  # VKN (10) or a sole proprietor's TCKN (11) (I)
PHONE_PATTERN = r"[0-9+()\- ]+"  # I
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"  # I
PAYMENT_DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"  # C seed 001

# The buyer fields, as fatura_bilgileri (create, buyer required) and customer (update).
CUSTOMER_KEYS = (
    "invoice_type", "company_name", "tax_number", "tax_office", "full_name", "identity_number",
    "contact_name", "contact_surname", "contact_phone", "contact_email", "contact_city",
    "contact_district", "contact_address",
)
# Marked * in fatura_bilgileri (the company three are required only for invoice_type=company).
REQUIRED_BUYER = (
    "invoice_type", "full_name", "identity_number", "contact_name", "contact_surname",
    "contact_phone", "contact_email", "contact_city", "contact_district", "contact_address",
)
COMPANY_FIELDS = ("company_name", "tax_number", "tax_office")

_KURUS = Decimal("0.01")


def _buyer_fields(prefix: str, *, required: bool) -> tuple[Field, ...]:
    def req(name: str) -> bool:
        return required and name in REQUIRED_BUYER

    return (
        Field(f"{prefix}.invoice_type", required=req("invoice_type"), enum=INVOICE_TYPES,
              source=SEED),
        Field(f"{prefix}.company_name", max_len=TEXT_MAX, source=f"{SEED}; length {ASSUMED}"),
        Field(f"{prefix}.tax_number", pattern=TAX_NUMBER_PATTERN, source=f"{SEED}; format I"),
        Field(f"{prefix}.tax_office", max_len=TEXT_MAX, source=f"{SEED}; length {ASSUMED}"),
        Field(f"{prefix}.full_name", required=req("full_name"), max_len=TEXT_MAX,
              source=f"{SEED}; length {ASSUMED}"),
        Field(f"{prefix}.identity_number", required=req("identity_number"),
              pattern=IDENTITY_PATTERN, source=f"{SEED}; format I"),
        Field(f"{prefix}.contact_name", required=req("contact_name"), max_len=TEXT_MAX,
              source=f"{SEED}; length {ASSUMED}"),
        Field(f"{prefix}.contact_surname", required=req("contact_surname"), max_len=TEXT_MAX,
              source=f"{SEED}; length {ASSUMED}"),
        Field(f"{prefix}.contact_phone", required=req("contact_phone"), max_len=PHONE_MAX,
              pattern=PHONE_PATTERN, source=f"{SEED}; format and length I"),
        Field(f"{prefix}.contact_email", required=req("contact_email"), max_len=TEXT_MAX,
              pattern=EMAIL_PATTERN, source=f"{SEED}; format and length I"),
        Field(f"{prefix}.contact_city", required=req("contact_city"), max_len=TEXT_MAX,
              source=f"{SEED}; length {ASSUMED}"),
        Field(f"{prefix}.contact_district", required=req("contact_district"), max_len=TEXT_MAX,
              source=f"{SEED}; length {ASSUMED}"),
        Field(f"{prefix}.contact_address", required=req("contact_address"), max_len=ADDRESS_MAX,
              source=f"{SEED}; length {ASSUMED}"),
    )


# --- rules -------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _company_rule(prefix: str, name: str) -> Rule:
    path = f"{prefix}.{name}"

    def holds(b: Mapping[str, Any]) -> bool:
        return get(b, f"{prefix}.invoice_type") != "company" or not _blank(get(b, path))

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        block = b[prefix]
        block.update(invoice_type="company", company_name="Örnek Teknoloji A.Ş.",
                     tax_number="1234567890", tax_office="Pamukkale")
        block[name] = None
        return b

    return Rule(
        f"{name}_for_company",
        f"{path} invoice_type=company ise zorunludur",
        holds=holds, breaks=breaks, field=path, source=SEED,
    )


_REQUIRED_TEXT = (
    ("Channel.website", "Channel.company_name", "fatura_bilgileri.invoice_id")
    + tuple(f"fatura_bilgileri.{n}" for n in REQUIRED_BUYER)
)


def _not_blank(b: Mapping[str, Any]) -> bool:
    if any(isinstance(v := get(b, p), str) and not v.strip() for p in _REQUIRED_TEXT):
        return False
    return all(
        not (isinstance(c, Mapping) and isinstance(c.get("title"), str) and not c["title"].strip())
        for c in items(b, "siparis_detaylari.courses")
    )


def _break_not_blank(b: dict[str, Any]) -> dict[str, Any]:
    b["fatura_bilgileri"]["full_name"] = "   "
    return b


def _courses_are_objects(b: Mapping[str, Any]) -> bool:
    return all(isinstance(c, Mapping) for c in items(b, "siparis_detaylari.courses"))


def _break_courses_are_objects(b: dict[str, Any]) -> dict[str, Any]:
    b["siparis_detaylari"]["courses"] = ["Web Geliştirme Kursu"]
    return b


def _course_sum(b: Mapping[str, Any]) -> Decimal | None:
    courses = items(b, "siparis_detaylari.courses")
    total = Decimal(0)
    for c in courses:
        if not isinstance(c, Mapping) or isinstance(c.get("price"), (bool, str)) or c.get("price") is None:
            return None
        total += Decimal(str(c["price"]))
    return total


def _total_is_sum(b: Mapping[str, Any]) -> bool:
    total = get(b, "siparis_detaylari.total_course_price")
    course_sum = _course_sum(b)
    return course_sum is None or total is None or Decimal(str(total)) == course_sum


def _break_total_is_sum(b: dict[str, Any]) -> dict[str, Any]:
    d = b["siparis_detaylari"]
    d["total_course_price"] = Decimal(str(d["total_course_price"])) + 1
    d["amount"] = d["total_course_price"]
    return b


def _amount_is_total(b: Mapping[str, Any]) -> bool:
    total = get(b, "siparis_detaylari.total_course_price")
    amount = get(b, "siparis_detaylari.amount")
    return total is None or amount is None or Decimal(str(total)) == Decimal(str(amount))


def _break_amount_is_total(b: dict[str, Any]) -> dict[str, Any]:
    d = b["siparis_detaylari"]
    d["amount"] = Decimal(str(d["total_course_price"])) - _KURUS
    return b


def _amounts(b: Mapping[str, Any]) -> list[Any]:
    d = get(b, "siparis_detaylari") or {}
    values = [d.get("total_course_price"), d.get("amount")]
    values += [c.get("price") for c in items(b, "siparis_detaylari.courses") if isinstance(c, Mapping)]
    return [v for v in values if v is not None and not isinstance(v, (bool, str))]


def _in_kurus(b: Mapping[str, Any]) -> bool:
    return all(Decimal(str(v)) == Decimal(str(v)).quantize(_KURUS) for v in _amounts(b))


def _break_in_kurus(b: dict[str, Any]) -> dict[str, Any]:
    d = b["siparis_detaylari"]
    d["courses"] = [{"title": "Kurs", "price": Decimal("10.001")}]
    d["total_course_price"] = d["amount"] = Decimal("10.001")
    return b


def _order_ids_agree(b: Mapping[str, Any]) -> bool:
    a, c = get(b, "fatura_bilgileri.order_id"), get(b, "siparis_detaylari.order_id")
    return not (isinstance(a, str) and isinstance(c, str) and a != c)


def _break_order_ids_agree(b: dict[str, Any]) -> dict[str, Any]:
    b["fatura_bilgileri"]["order_id"] = "SPR2025-2"
    b["siparis_detaylari"]["order_id"] = "SPR2025-3"
    return b


def _real_date(b: Mapping[str, Any]) -> bool:
    value = get(b, "siparis_detaylari.payment_date")
    if not isinstance(value, str) or not re.fullmatch(PAYMENT_DATE_PATTERN, value):
        return True  # absent, or the pattern already refuses it
    y, mo, d = int(value[0:4]), int(value[5:7]), int(value[8:10])
    h, mi, s = int(value[11:13]), int(value[14:16]), int(value[17:19])
    if not (1 <= mo <= 12 and h < 24 and mi < 60 and s < 60):
        return False
    return 1 <= d <= calendar.monthrange(y, mo)[1]


def _break_real_date(b: dict[str, Any]) -> dict[str, Any]:
    b["siparis_detaylari"]["payment_date"] = "2024-02-30 14:30:00"
    return b


# --- contracts ---------------------------------------------------------------------------------


def _create(endpoint: str) -> Contract:
    return Contract(
        endpoint,
        source=f"{SEED} (Fatura Oluşturma); FACTS §3: the same body at both create paths",
        fields=(
            Field("Channel", "object", required=True, source=SEED),
            Field("Channel.website", required=True, max_len=TEXT_MAX,
                  source=f"{SEED}; length {ASSUMED}"),
            Field("Channel.company_name", required=True, max_len=TEXT_MAX,
                  source=f"{SEED}; length {ASSUMED}"),
            Field("fatura_bilgileri", "object", required=True, source=SEED),
            Field("fatura_bilgileri.invoice_id", required=True, max_len=ID_MAX,
                  source=f"{SEED}; length {ASSUMED}"),
            Field("fatura_bilgileri.order_id", max_len=ID_MAX, source=f"{SEED}; length {ASSUMED}"),
            *_buyer_fields("fatura_bilgileri", required=True),
            Field("kisisel_bilgiler", "object", source=SEED),
            Field("kisisel_bilgiler.users_namesurname", max_len=TEXT_MAX, source=SEED),
            Field("kisisel_bilgiler.users_surname", max_len=TEXT_MAX, source=SEED),
            Field("kisisel_bilgiler.contact_phone", max_len=PHONE_MAX, source=SEED),
            Field("kisisel_bilgiler.contact_email", max_len=TEXT_MAX, source=SEED),
            Field("siparis_detaylari", "object", required=True, source=SEED),
            Field("siparis_detaylari.order_id", max_len=ID_MAX,
                  source=f"{SEED}; length {ASSUMED}"),
            Field("siparis_detaylari.courses", "array", required=True, min_len=1,
                  source=f"{SEED} (Dizi); at least one course I"),
            # The items' shape is the document's example: {"title", "price"} (I FACTS §3).
            Field("siparis_detaylari.courses[].title", required=True, max_len=TEXT_MAX,
                  source="I FACTS §3 (seed 001 example)"),
            Field("siparis_detaylari.courses[].price", "number", required=True, minimum=0,
                  source="I FACTS §3 (seed 001 example); never negative I"),
            Field("siparis_detaylari.total_course_price", "number", required=True, minimum=0,
                  source=f"{SEED} (Number)"),
            Field("siparis_detaylari.amount", "number", required=True, minimum=0,
                  source=f"{SEED} (Number)"),
            Field("siparis_detaylari.payment_method", enum=PAYMENT_METHODS,
                  source=f"{SEED} (String \"0\"/\"1\")"),
            Field("siparis_detaylari.bank_name", max_len=TEXT_MAX, source=SEED),
            Field("siparis_detaylari.payment_date", pattern=PAYMENT_DATE_PATTERN,
                  source=f"{SEED} (Y-m-d H:i:s)"),
            Field("siparis_detaylari.payment_solution", max_len=TEXT_MAX, source=SEED),
            Field("siparis_detaylari.is_deleted", "integer", enum=IS_DELETED,
                  source=f"{SEED} (Integer)"),
        ),
        rules=(
            Rule("required_text_not_blank", "zorunlu alanlar boş olamaz",
                 holds=_not_blank, breaks=_break_not_blank, field="fatura_bilgileri.full_name",
                 source="I: PHP empty(trim(...)) on the * fields"),
            *(_company_rule("fatura_bilgileri", n) for n in COMPANY_FIELDS),
            Rule("courses_are_objects",
                 "siparis_detaylari.courses her kalemi bir nesne ({title, price}) olmalıdır",
                 holds=_courses_are_objects, breaks=_break_courses_are_objects,
                 field="siparis_detaylari.courses", source="I FACTS §3 (seed 001 example)"),
            Rule("total_is_sum_of_courses",
                 "siparis_detaylari.total_course_price kurs fiyatlarının toplamına eşit değil",
                 holds=_total_is_sum, breaks=_break_total_is_sum,
                 field="siparis_detaylari.total_course_price", source="I (Toplam kurs fiyatı)"),
            Rule("amount_is_total",
                 "siparis_detaylari.amount toplam kurs fiyatına eşit olmalıdır",
                 holds=_amount_is_total, breaks=_break_amount_is_total,
                 field="siparis_detaylari.amount",
                 source="I: one invoice records one full payment"),
            Rule("amounts_in_kurus", "tutarlar en fazla 2 ondalık basamak içerebilir",
                 holds=_in_kurus, breaks=_break_in_kurus, field="siparis_detaylari.amount",
                 source="I: TRY amounts"),
            Rule("order_ids_agree",
                 "fatura_bilgileri.order_id ile siparis_detaylari.order_id aynı olmalıdır",
                 holds=_order_ids_agree, breaks=_break_order_ids_agree,
                 field="siparis_detaylari.order_id",
                 source="I: the detail GET finds an invoice by one order number"),
            Rule("payment_date_is_a_date",
                 "siparis_detaylari.payment_date Y-m-d H:i:s biçiminde geçerli bir tarih olmalıdır",
                 holds=_real_date, breaks=_break_real_date,
                 field="siparis_detaylari.payment_date", source=f"{SEED} (Y-m-d H:i:s)"),
        ),
    )


CREATE = _create("POST /api/v1/invoice_operations.php")
CREATE_ALT = _create("POST /api/v1/invoices.php")

UPDATE = Contract(
    "PUT /api/v1/invoice_operations.php",
    source=f"{SEED} (Fatura Güncelleme)",
    fields=(
        Field("invoice_id", required=True, max_len=ID_MAX, source=f"{SEED}; length {ASSUMED}"),
        Field("order_id", max_len=ID_MAX, source=f"{SEED}; length {ASSUMED}"),
        Field("status", required=True, enum=STATUSES, source=SEED),
        Field("customer", "object", source=SEED),
        *_buyer_fields("customer", required=False),
    ),
    # The company fields are checked on the buyer merged with the stored one (the handler).
)

DELETE = Contract(
    "DELETE /api/v1/invoice_operations.php",
    source=f"{SEED} (Fatura Silme); a JSON body like POST/PUT, or the query string (I)",
    fields=(
        Field("invoice_id", required=True, max_len=ID_MAX, source=f"{SEED}; length {ASSUMED}"),
        Field("order_id", max_len=ID_MAX, source=f"{SEED}; length {ASSUMED}"),
    ),
)

DETAIL = Contract(
    "GET /api/v1/invoices.php",
    source=f"{SEED} (Fatura Detayı Alma), query parameters",
    fields=(
        Field("number", required=True, max_len=ID_MAX, source=f"{SEED} (Zorunlu: Evet)"),
        # The table types `order` integer ("Sipariş ID'si"), but the create's order_id is a
        # String and the document's own example order is "SPR2025-2": the invoice created with
        # that order must be found with it, so any non-empty text is taken (I).
        Field("order", required=True, max_len=ID_MAX,
              source=f"{SEED} (Zorunlu: Evet; typed integer, compared as text I)"),
    ),
)

CONTRACTS: dict[str, Contract] = {
    c.endpoint: c for c in (CREATE, CREATE_ALT, UPDATE, DELETE, DETAIL)
}


# The document's own example create request, as published (seed 001): it passes CREATE.
EXAMPLE_CREATE: dict[str, Any] = {
    "Channel": {"website": "example.com", "company_name": "Örnek Şirket"},
    "fatura_bilgileri": {
        "invoice_id": "inv_67e3f12d8da67",
        "order_id": "SPR2025-2",
        "invoice_type": "individual",
        "company_name": None,
        "tax_number": None,
        "tax_office": None,
        "full_name": "Halit DEĞİŞTİRDİM",
        "identity_number": "12152037360",
        "contact_name": "Halit",
        "contact_surname": "Ergül",
        "contact_phone": "5053660902",
        "contact_email": "halitergul18@gmail.com",
        "contact_city": "Denizli",
        "contact_district": "Pamukkale",
        "contact_address": "Pınarkent Mahallesi Uydukent Sitesi",
    },
    "siparis_detaylari": {
        "order_id": "SPR2025-2",
        "courses": [{"title": "Web Geliştirme Kursu", "price": 1000}],
        "total_course_price": 1000,
        "amount": 1000,
        "payment_method": "1",
        "bank_name": "Garanti",
        "payment_date": "2024-03-11 14:30:00",
        "payment_solution": "iyzico",
        "is_deleted": 0,
    },
}

# The document's update example (seed 001).
EXAMPLE_UPDATE: dict[str, Any] = {
    "invoice_id": "inv_67e3f12d8da67",
    "status": "sent",
    "customer": {k: v for k, v in EXAMPLE_CREATE["fatura_bilgileri"].items()
                 if k in CUSTOMER_KEYS},
}

EXAMPLE_DELETE: dict[str, Any] = {"invoice_id": "inv_67e3f12d8da67", "order_id": "SPR2025-2"}
EXAMPLE_DETAIL: dict[str, Any] = {"number": "inv_67e3f12d8da67", "order": "SPR2025-2"}

EXAMPLES: dict[str, dict[str, Any]] = {
    CREATE.endpoint: EXAMPLE_CREATE,
    CREATE_ALT.endpoint: EXAMPLE_CREATE,
    UPDATE.endpoint: EXAMPLE_UPDATE,
    DELETE.endpoint: EXAMPLE_DELETE,
    DETAIL.endpoint: EXAMPLE_DETAIL,
}


def example(endpoint: str) -> dict[str, Any]:
    """A fresh copy of the document's example for ``endpoint``."""
    return copy.deepcopy(EXAMPLES[endpoint])


def company_problems(
    prefix: str, company_name: Any, tax_number: Any, tax_office: Any
) -> list[str]:
    """The fields the document requires only when invoice_type=company (used by the update
    handler on the merged buyer)."""
    problems: list[str] = []
    for name, value in (("company_name", company_name), ("tax_number", tax_number),
                        ("tax_office", tax_office)):
        if _blank(value):
            problems.append(f"{prefix}.{name} invoice_type=company ise zorunludur")
    return problems
