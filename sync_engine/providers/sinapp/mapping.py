"""Pure mapping for SinApp (provider doc 001, FACTS §3): an ``InvoiceRequest`` to the create
payload, and SinApp's answers read back. No I/O.

SinApp's invoice is built for course sales: each line is a ``course`` with a ``title`` and a
``price`` and nothing else (no quantity, no VAT rate). So each of our lines becomes one
course priced at the line's gross total after discount (DESIGN §7), shipping is a course
titled ``Kargo``, and ``total_course_price`` and ``amount`` are the paid total exactly.

Every field the document marks ``*`` is sent, non-empty, with the document's type. Where the
shop gave no value, a documented fallback is used (below, next to each constant); when none
is left the mapping raises ``OrderDataError`` naming SinApp's field, so the job stops in
needs_attention instead of sending an empty required field. A value longer than the field's
(assumed) limit is never cut: ``require_fits`` raises the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sync_engine.domain import ANONYMOUS_TCKN, BuyerKind, LineKind, PaymentMethod, ZERO
from sync_engine.domain.invoice import ComputedInvoice
from sync_engine.domain.keys import short_ref
from sync_engine.providers.base import InvoiceRequest
from sync_engine.providers.errors import OrderDataError, require_fits

NAME = "sinapp"

SHIPPING_TITLE = "Kargo"

# --- field limits ---------------------------------------------------------------------------
# ASSUMPTION (I): the document gives no lengths. These are a PHP + MySQL back end's usual
# columns (VARCHAR(50) ids, VARCHAR(255) text, a longer address) and are the simulator's
# contract too (sandbox/sinapp/contract.py). A longer value stops the job naming the field.
INVOICE_ID_MAX = 50
ORDER_ID_MAX = 50
TEXT_MAX = 255
ADDRESS_MAX = 500
PHONE_MAX = 20

# --- fallbacks for required fields the shop may not have --------------------------------------
# fatura_bilgileri.identity_number (TC Kimlik No, required): a consumer who gave none has the
# anonymous TCKN 11111111111 (GİB practice, FACTS §5.2). A legal entity has no TCKN at all:
# its VKN travels in tax_number and identity_number gets the same placeholder (I).
# A consumer who gave no name still needs full_name: "Nihai Tüketici" (final consumer) is what
# Turkish e-Arşiv invoices print for them (I); as contact_name / contact_surname it is split
# into its two words (I).
ANONYMOUS_FULL_NAME = "Nihai Tüketici"
ANONYMOUS_CONTACT_NAME = "Nihai"
ANONYMOUS_CONTACT_SURNAME = "Tüketici"
# fatura_bilgileri.contact_district (İlçe, required): a shop that sent none gets the city
# centre, "Merkez" (I; the KolayBi and FaturaEntegratör mappings do the same).
UNKNOWN_DISTRICT = "Merkez"
# fatura_bilgileri.contact_address (Açık adres, required): an order without a street (digital
# goods, courses) gives the district and city it has (I; as FaturaEntegratör's mapping).
# contact_phone: the buyer's phone (the platform parsers fill it from billing → shipping →
# customer) → [stores.invoice] default_contact_phone → OrderDataError.
# contact_email: the buyer's e-mail → [stores.invoice] default_contact_email → OrderDataError.

# SinApp runs in Turkey and prints dates as Istanbul local time ("Y-m-d H:i:s", C seed 001).
ISTANBUL = ZoneInfo("Europe/Istanbul")
PAYMENT_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

# payment_method is a String, "0": Havale/EFT, "1": Kredi Kartı (C seed 001). A payment agent
# (iyzico, PayTR, ...) collects by card, so it is "1" (I); cash on delivery and "other" have
# no code and the optional field is left out.
PAYMENT_METHODS: dict[PaymentMethod, str] = {
    PaymentMethod.CREDIT_CARD: "1",
    PaymentMethod.PAYMENT_AGENT: "1",
    PaymentMethod.BANK_TRANSFER: "0",
}

INVOICE_TYPE_COMPANY = "company"
INVOICE_TYPE_INDIVIDUAL = "individual"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KURUS = Decimal("0.01")

# Kept as the name callers and tests use: every mapping refusal is an OrderDataError.
MappingError = OrderDataError


def invoice_id_for(idempotency_key: str) -> str:
    """Our ``fatura_bilgileri.invoice_id``: stable per idempotency key, so a retried create
    is refused with 409 instead of creating a second invoice (DESIGN §3)."""
    ref = short_ref(idempotency_key)  # "se_" + 20 hex = 23 characters
    require_fits(NAME, "fatura_bilgileri.invoice_id", ref, INVOICE_ID_MAX)
    return ref


def _text(field: str, value: str, limit: int = TEXT_MAX) -> str:
    """A stripped value that fits its field, or OrderDataError (never cut)."""
    text = " ".join(value.split())
    require_fits(NAME, field, text, limit)
    return text


def _required(field: str, value: str, why: str, limit: int = TEXT_MAX) -> str:
    text = _text(field, value, limit)
    if not text:
        raise OrderDataError(NAME, field, f"required by SinApp and {why}")
    return text


def normalize_phone(raw: str | None) -> str:
    """Digits and a leading ``+`` only (SinApp's example: ``5053660902``)."""
    return re.sub(r"[^0-9+]", "", raw or "")


def contact_phone(req: InvoiceRequest) -> str:
    """The buyer's phone, else the store's ``default_contact_phone``, else OrderDataError."""
    field = "fatura_bilgileri.contact_phone"
    for source, raw in (
        ("the buyer's phone", req.order.buyer.phone),
        ("[stores.invoice] default_contact_phone", req.settings.default_contact_phone),
    ):
        phone = normalize_phone(raw)
        if phone:
            if len(phone) > PHONE_MAX:
                raise OrderDataError(
                    NAME, field, f"{source} has {len(phone)} characters, the limit is {PHONE_MAX}"
                )
            return phone
    raise OrderDataError(
        NAME, field,
        "required by SinApp; the order has no phone (billing, shipping or customer) and the "
        "store sets no [stores.invoice] default_contact_phone",
    )


def contact_email(req: InvoiceRequest) -> str:
    """The buyer's e-mail when it is a valid address, else the store's
    ``default_contact_email``, else OrderDataError."""
    field = "fatura_bilgileri.contact_email"
    seen: list[str] = []
    for source, raw in (
        ("the buyer's e-mail", req.order.buyer.email),
        ("[stores.invoice] default_contact_email", req.settings.default_contact_email),
    ):
        email = (raw or "").strip()
        if not email:
            continue
        if not _EMAIL.match(email):
            seen.append(f"{source} {email!r} is not an e-mail address")
            continue
        if len(email) > TEXT_MAX:
            raise OrderDataError(
                NAME, field, f"{source} has {len(email)} characters, the limit is {TEXT_MAX}"
            )
        return email
    why = "; ".join(seen) or "the order has no e-mail"
    raise OrderDataError(
        NAME, field,
        f"required by SinApp; {why} and the store sets no usable [stores.invoice] "
        "default_contact_email",
    )


def _quantity(q: Decimal) -> str:
    return format(q.normalize(), "f")  # 2, 1.5, 10 (never 1E+1)


def courses(invoice: ComputedInvoice) -> list[dict[str, Any]]:
    """One course per line at its gross total after discount; shipping is ``Kargo``.

    Courses have no quantity, so a line of several units keeps its count in the title
    ("Tişört x 2") for the person reading the invoice.
    """
    out: list[dict[str, Any]] = []
    for i, cl in enumerate(invoice.lines):
        line = cl.line
        if line.kind is LineKind.SHIPPING:
            title = SHIPPING_TITLE
        elif line.quantity != 1:
            title = f"{line.name.strip()} x {_quantity(line.quantity)}"
        else:
            title = line.name.strip()
        field = f"siparis_detaylari.courses[{i}].title"
        out.append({
            "title": _required(field, title, "the line has no name"),
            "price": cl.gross_amount.quantize(_KURUS),
        })

    difference = invoice.paid_total - sum((c["price"] for c in out), ZERO)
    if difference:
        # DESIGN §7: at most one kuruş per VAT rate may be absorbed (and is reported by the
        # pipeline as the job's rounding_difference); anything larger means the order does
        # not add up and must not be invoiced silently.
        if abs(difference) > _KURUS * len(invoice.groups):
            raise OrderDataError(
                NAME, "siparis_detaylari.amount",
                f"the lines total {invoice.grand_total} but the customer paid "
                f"{invoice.paid_total}",
            )
        largest = max(range(len(out)), key=lambda i: out[i]["price"])
        out[largest]["price"] += difference
    return out


def payment_date(moment: datetime) -> str:
    # Naive datetimes are taken as UTC, the domain's convention for stored times.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ISTANBUL).strftime(PAYMENT_DATE_FORMAT)


def _contact_names(req: InvoiceRequest) -> tuple[str, str]:
    buyer = req.order.buyer
    first = _text("fatura_bilgileri.contact_name", buyer.first_name)
    last = _text("fatura_bilgileri.contact_surname", buyer.last_name)
    if not first and not last and buyer.kind is BuyerKind.ANONYMOUS:
        return ANONYMOUS_CONTACT_NAME, ANONYMOUS_CONTACT_SURNAME
    if not first:
        raise OrderDataError(
            NAME, "fatura_bilgileri.contact_name",
            "required by SinApp (the contact person's first name) and the order has none",
        )
    if not last:
        raise OrderDataError(
            NAME, "fatura_bilgileri.contact_surname",
            "required by SinApp (the contact person's last name) and the order has none",
        )
    return first, last


def billing_block(req: InvoiceRequest) -> dict[str, Any]:
    """``fatura_bilgileri``: the buyer travels inside the invoice (no customer step)."""
    order = req.order
    buyer = order.buyer
    address = buyer.address
    block: dict[str, Any] = {
        "invoice_id": invoice_id_for(req.idempotency_key),
        "order_id": _required("fatura_bilgileri.order_id", order.order_id, "the order has no id",
                              ORDER_ID_MAX),
    }
    if buyer.kind is BuyerKind.COMPANY:
        title = _required("fatura_bilgileri.company_name", buyer.company_name,
                          "the company has no title")
        block |= {
            "invoice_type": INVOICE_TYPE_COMPANY,
            "company_name": title,
            "tax_number": buyer.tax_id,
            "tax_office": _required("fatura_bilgileri.tax_office", buyer.tax_office,
                                    "the company has no tax office"),
            "full_name": _required("fatura_bilgileri.full_name", buyer.company_name,
                                   "the company has no title"),
            # A sole proprietor invoices under the owner's TCKN; a legal entity has none.
            "identity_number": buyer.tax_id if len(buyer.tax_id) == 11 else ANONYMOUS_TCKN,
        }
    else:
        block |= {
            "invoice_type": INVOICE_TYPE_INDIVIDUAL,
            "company_name": None,
            "tax_number": None,
            "tax_office": None,
            "full_name": _text("fatura_bilgileri.full_name", buyer.display_name)
            or ANONYMOUS_FULL_NAME,
            "identity_number": buyer.tax_id,  # 11111111111 for the anonymous consumer
        }
    name, surname = _contact_names(req)
    city = _required("fatura_bilgileri.contact_city", address.city,
                     "the buyer's address has no city (il)")
    district = _text("fatura_bilgileri.contact_district", address.district) or UNKNOWN_DISTRICT
    street = _text("fatura_bilgileri.contact_address", address.street, ADDRESS_MAX)
    block |= {
        "contact_name": name,
        "contact_surname": surname,
        "contact_phone": contact_phone(req),
        "contact_email": contact_email(req),
        "contact_city": city,
        "contact_district": district,
        "contact_address": street or _text("fatura_bilgileri.contact_address",
                                           f"{district} / {city}", ADDRESS_MAX),
    }
    return block


def order_block(req: InvoiceRequest) -> dict[str, Any]:
    """``siparis_detaylari``: the lines as courses and the payment."""
    order = req.order
    course_list = courses(req.invoice)
    total = sum((c["price"] for c in course_list), ZERO)
    block: dict[str, Any] = {
        "order_id": _text("siparis_detaylari.order_id", order.order_id, ORDER_ID_MAX),
        "courses": course_list,
        "total_course_price": total,
        "amount": order.paid_total.quantize(_KURUS),  # equal to total: courses() makes them agree
    }
    method = PAYMENT_METHODS.get(order.payment.method)
    if method is not None:
        block["payment_method"] = method
    # bank_name (Havale/EFT için) is optional and the shop never says which bank: left out.
    block["payment_date"] = payment_date(order.payment.date or order.created_at)
    solution = _text("siparis_detaylari.payment_solution", order.payment.platform)
    if solution:
        block["payment_solution"] = solution
    return block


def invoice_payload(req: InvoiceRequest, *, website: str, company_name: str) -> dict[str, Any]:
    """The body of ``POST /api/v1/invoice_operations.php``.

    ``Channel`` names the shop the sale came from, as configured for the SinApp account
    (``[stores.provider] website`` and ``company_name``). ``kisisel_bilgiler`` is optional
    and would only repeat the contact fields, so it is left out; so is ``is_deleted``
    (0 = normal is the default state of a new invoice).
    """
    return {
        "Channel": {
            "website": _required("Channel.website", website,
                                 "[stores.provider] website is empty"),
            "company_name": _required("Channel.company_name", company_name,
                                      "[stores.provider] company_name is empty"),
        },
        "fatura_bilgileri": billing_block(req),
        "siparis_detaylari": order_block(req),
    }


# --- answers ----------------------------------------------------------------------------------
# The envelopes are not consistent (C seed 001, FACTS §3): create / update / delete answer
# {"success": true, "message", ...}, the detail GET {"status": "success", "data": {...}}.
# Either marker is accepted on every answer (I: read liberally).


class AnswerError(ValueError):
    """An answer none of the documented (or plausible) shapes fits; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def succeeded(body: Mapping[str, Any]) -> bool | None:
    """True for ``success: true`` or ``status: "success"``, False for ``success: false`` or
    ``status: "error"``/``"fail"``, None when the answer carries neither marker."""
    success = body.get("success")
    if success is True or success in (1, "1", "true"):
        return True
    status = body.get("status")
    if isinstance(status, str) and status.strip().lower() in ("success", "ok"):
        return True
    if success is False or success in (0, "0", "false"):
        return False
    if isinstance(status, str) and status.strip().lower() in ("error", "fail", "failed"):
        return False
    return None


def error_message(body: Any) -> str | None:
    """SinApp's own words in an error answer: ``message`` (documented shape
    ``{"success": false, "message": "..."}``), or ``error`` (I)."""
    if not isinstance(body, Mapping):
        return None
    for key in ("message", "error"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _number_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, str)) and str(value).strip():
        return str(value).strip()
    return None


def created_number(body: Mapping[str, Any]) -> str | None:
    """SinApp's invoice number from a create answer: top-level ``invoice_number`` (C seed
    001), or under ``data`` (I). None when absent: we do not rely on it (the handle is our
    own ``invoice_id``), and the detail GET reads it later."""
    data = body.get("data")
    for source in (body, data if isinstance(data, Mapping) else {}):
        number = _number_text(source.get("invoice_number"))
        if number:
            return number
    return None


def detail_invoice(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``invoice`` object of a detail answer: ``data.invoice`` (C seed 001); a ``data``
    that is itself the invoice, or a top-level ``invoice`` (I)."""
    data = body.get("data")
    if isinstance(data, Mapping):
        invoice = data.get("invoice")
        if isinstance(invoice, Mapping):
            return invoice
        if "invoice_number" in data or "grand_total" in data:
            return data
    invoice = body.get("invoice")
    if isinstance(invoice, Mapping):
        return invoice
    raise AnswerError("data.invoice", "the detail answer carries no invoice object")


def detail_total(invoice: Mapping[str, Any]) -> Decimal | None:
    """``grand_total`` ("1500.00" in the document; a JSON number accepted too, I). None when
    absent; a value that is not an amount is an error naming the field."""
    value = invoice.get("grand_total")
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise AnswerError("data.invoice.grand_total", f"not an amount: {value!r}")
    try:
        total = Decimal(str(value).strip())
    except InvalidOperation:
        raise AnswerError("data.invoice.grand_total", f"not an amount: {value!r}") from None
    if not total.is_finite():
        raise AnswerError("data.invoice.grand_total", f"not an amount: {value!r}")
    return total


def detail_number(invoice: Mapping[str, Any]) -> str | None:
    return _number_text(invoice.get("invoice_number"))
