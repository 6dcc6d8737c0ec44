"""SinApp's request rules, as pure checks that return the problems they find.

The document marks required fields with ``*`` and gives a type per field; it gives no
lengths and no formats. Where it is silent, the limits below are assumptions in the shape of
a PHP + MySQL back end (``VARCHAR(50)`` ids, ``VARCHAR(255)`` text) and are written next to
each rule. A check returns a list of human-readable problems (Turkish, as the provider's own
messages are); an empty list means the request passes.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

INVOICE_TYPES = ("company", "individual")
STATUSES = ("draft", "sent", "paid", "cancelled")
PAYMENT_METHODS = ("0", "1")  # 0: Havale/EFT, 1: Kredi Kartı
IS_DELETED_VALUES = (0, 2, 5)  # 0: active (the example), 2: cancelled, 5: marked for deletion

# Assumed column sizes: the document gives none. Ids as VARCHAR(50), text as VARCHAR(255).
ID_MAX = 50
TEXT_MAX = 255
PHONE_MAX = 20

_DIGITS_11 = re.compile(r"^[0-9]{11}$")
_TAX_NUMBER = re.compile(r"^[0-9]{10,11}$")  # VKN (10) or a sole proprietor's TCKN (11)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+()\- ]*$")
_PAYMENT_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")
_KURUS = Decimal("0.01")

Problems = list[str]


def _get(body: dict[str, Any], path: str) -> Any:
    node: Any = body
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def is_number(value: Any) -> bool:
    # Bodies are parsed with parse_float=Decimal, so a JSON number is an int or a Decimal;
    # "1000" (a string) is not a Number, and neither is true/false.
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _text(
    body: dict[str, Any],
    path: str,
    problems: Problems,
    *,
    required: bool,
    non_empty: bool = False,
    max_len: int = TEXT_MAX,
) -> str | None:
    value = _get(body, path)
    if value is None:
        if required:
            problems.append(f"{path} alanı zorunludur")
        return None
    if not isinstance(value, str):
        problems.append(f"{path} alanı metin (string) olmalıdır")
        return None
    if non_empty and not value.strip():
        problems.append(f"{path} alanı boş olamaz")
    if len(value) > max_len:
        problems.append(f"{path} alanı en fazla {max_len} karakter olabilir")
    return value


def _object(body: dict[str, Any], path: str, problems: Problems, *, required: bool) -> bool:
    value = _get(body, path)
    if value is None:
        if required:
            problems.append(f"{path} alanı zorunludur")
        return False
    if not isinstance(value, dict):
        problems.append(f"{path} alanı nesne (object) olmalıdır")
        return False
    return True


def _amount(value: Any, path: str, problems: Problems) -> Decimal | None:
    if value is None:
        problems.append(f"{path} alanı zorunludur")
        return None
    if not is_number(value):
        problems.append(f"{path} alanı sayı (number) olmalıdır")
        return None
    amount = Decimal(value)
    # Assumed: amounts are TRY with at most kuruş precision and never negative (a sale).
    if amount < 0:
        problems.append(f"{path} negatif olamaz")
    if amount != amount.quantize(_KURUS):
        problems.append(f"{path} en fazla 2 ondalık basamak içerebilir")
    return amount


def _customer_fields(
    body: dict[str, Any], prefix: str, problems: Problems, *, required: bool
) -> None:
    """The buyer block: ``fatura_bilgileri`` on create (required), ``customer`` on update."""
    invoice_type = _text(body, f"{prefix}.invoice_type", problems, required=required)
    if invoice_type is not None and invoice_type not in INVOICE_TYPES:
        problems.append(f"{prefix}.invoice_type company veya individual olmalıdır")
    # Required non-empty: what identifies the buyer on the invoice.
    _text(body, f"{prefix}.full_name", problems, required=required, non_empty=True)
    identity = _text(body, f"{prefix}.identity_number", problems, required=required, max_len=11)
    if identity is not None and not _DIGITS_11.match(identity):
        # The format only: 11 digits. Whether SinApp checks the TCKN checksum is not
        # documented; 11111111111 (the consumer without TCKN) must pass either way.
        problems.append(f"{prefix}.identity_number 11 haneli olmalıdır")
    # Contact fields are required to be present as strings, but may be empty: shops often
    # lack a phone or district, and PHP's isset() (the evident check) admits "".
    for name in ("contact_name", "contact_surname", "contact_city", "contact_district"):
        _text(body, f"{prefix}.{name}", problems, required=required)
    _text(body, f"{prefix}.contact_address", problems, required=required, max_len=500)
    phone = _text(body, f"{prefix}.contact_phone", problems, required=required, max_len=PHONE_MAX)
    if phone and not _PHONE.match(phone):
        problems.append(f"{prefix}.contact_phone geçersiz")
    email = _text(body, f"{prefix}.contact_email", problems, required=required)
    if email and not _EMAIL.match(email):
        problems.append(f"{prefix}.contact_email geçerli bir e-posta adresi olmalıdır")
    company_name = _text(body, f"{prefix}.company_name", problems, required=False)
    tax_number = _text(body, f"{prefix}.tax_number", problems, required=False, max_len=11)
    tax_office = _text(body, f"{prefix}.tax_office", problems, required=False)
    # On update the block is partial: the simulator checks the company rule on the merged
    # buyer instead (see company_problems).
    if required and invoice_type == "company":
        problems.extend(company_problems(prefix, company_name, tax_number, tax_office))
    if tax_number and not _TAX_NUMBER.match(tax_number):
        problems.append(f"{prefix}.tax_number 10 veya 11 haneli olmalıdır")


def company_problems(
    prefix: str, company_name: str | None, tax_number: str | None, tax_office: str | None
) -> Problems:
    """The fields the document requires only when invoice_type=company."""
    problems: Problems = []
    if not (company_name or "").strip():
        problems.append(f"{prefix}.company_name invoice_type=company ise zorunludur")
    if not (tax_office or "").strip():
        problems.append(f"{prefix}.tax_office invoice_type=company ise zorunludur")
    if not tax_number:
        problems.append(f"{prefix}.tax_number invoice_type=company ise zorunludur")
    return problems


def check_create(body: Any) -> Problems:
    if not isinstance(body, dict):
        return ["İstek gövdesi bir JSON nesnesi olmalıdır"]
    problems: Problems = []
    if _object(body, "Channel", problems, required=True):
        _text(body, "Channel.website", problems, required=True, non_empty=True)
        _text(body, "Channel.company_name", problems, required=True, non_empty=True)

    if _object(body, "fatura_bilgileri", problems, required=True):
        _text(body, "fatura_bilgileri.invoice_id", problems, required=True, non_empty=True,
              max_len=ID_MAX)
        _text(body, "fatura_bilgileri.order_id", problems, required=False, max_len=ID_MAX)
        _customer_fields(body, "fatura_bilgileri", problems, required=True)

    if _object(body, "kisisel_bilgiler", problems, required=False):
        for name in ("users_namesurname", "users_surname", "contact_phone", "contact_email"):
            _text(body, f"kisisel_bilgiler.{name}", problems, required=False)

    if _object(body, "siparis_detaylari", problems, required=True):
        problems.extend(_check_order_details(body))

    # Assumed: the order number may be given in both blocks; two different ones would make
    # the GET by (number, order) ambiguous, so they must agree.
    a, b = _get(body, "fatura_bilgileri.order_id"), _get(body, "siparis_detaylari.order_id")
    if isinstance(a, str) and isinstance(b, str) and a != b:
        problems.append("fatura_bilgileri.order_id ile siparis_detaylari.order_id aynı olmalıdır")
    return problems


def _check_order_details(body: dict[str, Any]) -> Problems:
    problems: Problems = []
    p = "siparis_detaylari"
    _text(body, f"{p}.order_id", problems, required=False, max_len=ID_MAX)
    courses = _get(body, f"{p}.courses")
    course_sum = Decimal(0)
    sum_known = True
    if courses is None:
        problems.append(f"{p}.courses alanı zorunludur")
        sum_known = False
    elif not isinstance(courses, list) or not courses:
        problems.append(f"{p}.courses en az bir kalem içeren bir dizi olmalıdır")
        sum_known = False
    else:
        for i, course in enumerate(courses):
            where = f"{p}.courses[{i}]"
            if not isinstance(course, dict):
                problems.append(f"{where} nesne (object) olmalıdır")
                sum_known = False
                continue
            title = course.get("title")
            if not isinstance(title, str) or not title.strip():
                problems.append(f"{where}.title alanı zorunludur (metin)")
            elif len(title) > TEXT_MAX:
                problems.append(f"{where}.title en fazla {TEXT_MAX} karakter olabilir")
            price = _amount(course.get("price"), f"{where}.price", problems)
            if price is None:
                sum_known = False
            else:
                course_sum += price
    total = _amount(_get(body, f"{p}.total_course_price"), f"{p}.total_course_price", problems)
    paid = _amount(_get(body, f"{p}.amount"), f"{p}.amount", problems)
    if total is not None and sum_known and total != course_sum:
        problems.append(
            f"{p}.total_course_price ({total}) kurs fiyatlarının toplamına ({course_sum}) eşit değil"
        )
    # Assumed: one invoice records one full payment, so the paid amount is the invoice total.
    if total is not None and paid is not None and paid != total:
        problems.append(f"{p}.amount ({paid}) toplam kurs fiyatına ({total}) eşit olmalıdır")

    method = _get(body, f"{p}.payment_method")
    if method is not None and (not isinstance(method, str) or method not in PAYMENT_METHODS):
        # The document types it String and its example sends "1"; a bare 1 is refused.
        problems.append(f"{p}.payment_method \"0\" (Havale/EFT) veya \"1\" (Kredi Kartı) olmalıdır")
    _text(body, f"{p}.bank_name", problems, required=False)
    _text(body, f"{p}.payment_solution", problems, required=False)
    date = _text(body, f"{p}.payment_date", problems, required=False, max_len=19)
    if date is not None and not _valid_payment_date(date):
        problems.append(f"{p}.payment_date Y-m-d H:i:s biçiminde olmalıdır")
    deleted = _get(body, f"{p}.is_deleted")
    if deleted is not None and (
        not isinstance(deleted, int) or isinstance(deleted, bool) or deleted not in IS_DELETED_VALUES
    ):
        problems.append(f"{p}.is_deleted 0, 2 veya 5 olmalıdır")
    return problems


def _valid_payment_date(value: str) -> bool:
    if not _PAYMENT_DATE.match(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return False
    return True


def check_update(body: Any) -> Problems:
    if not isinstance(body, dict):
        return ["İstek gövdesi bir JSON nesnesi olmalıdır"]
    problems: Problems = []
    _text(body, "invoice_id", problems, required=True, non_empty=True, max_len=ID_MAX)
    _text(body, "order_id", problems, required=False, max_len=ID_MAX)
    status = _text(body, "status", problems, required=True)
    if status is not None and status not in STATUSES:
        problems.append("status draft, sent, paid veya cancelled olmalıdır")
    if _object(body, "customer", problems, required=False):
        _customer_fields(body, "customer", problems, required=False)
    return problems


def check_delete(params: Any) -> Problems:
    if not isinstance(params, dict):
        return ["İstek gövdesi bir JSON nesnesi olmalıdır"]
    problems: Problems = []
    _text(params, "invoice_id", problems, required=True, non_empty=True, max_len=ID_MAX)
    _text(params, "order_id", problems, required=False, max_len=ID_MAX)
    return problems


def check_get(params: dict[str, str]) -> Problems:
    problems: Problems = []
    for name in ("number", "order"):
        if not params.get(name, "").strip():
            problems.append(f"{name} parametresi zorunludur")
    return problems
