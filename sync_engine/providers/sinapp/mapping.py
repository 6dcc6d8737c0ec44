"""Pure mapping from an ``InvoiceRequest`` to SinApp's create payload (provider doc 001).

SinApp's invoice is built for course sales: each line is a ``course`` with a ``title`` and a
``price`` and nothing else (no quantity, no VAT rate). So each of our lines becomes one
course priced at the line's gross total after discount (DESIGN §7), shipping is a course
titled ``Kargo``, and ``total_course_price`` and ``amount`` are the paid total exactly.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sync_engine.domain import ANONYMOUS_TCKN, BuyerKind, LineKind, PaymentMethod, ZERO
from sync_engine.domain.invoice import ComputedInvoice
from sync_engine.domain.keys import short_ref
from sync_engine.providers.base import InvoiceRequest

SHIPPING_TITLE = "Kargo"
# A consumer who gave no name still needs a full_name (a required, non-empty field):
# "Nihai Tüketici" (final consumer) is what Turkish e-Arşiv invoices print for them.
ANONYMOUS_FULL_NAME = "Nihai Tüketici"

# Column sizes are not documented; these are assumed (VARCHAR(50) ids, VARCHAR(255) text)
# and kept in step with the simulator's rules so nothing is refused for length.
INVOICE_ID_MAX = 50
TEXT_MAX = 255
ADDRESS_MAX = 500
PHONE_MAX = 20

# SinApp runs in Turkey and prints dates as Istanbul local time ("Y-m-d H:i:s").
ISTANBUL = ZoneInfo("Europe/Istanbul")
PAYMENT_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

# payment_method is documented as 0: Havale/EFT, 1: Kredi Kartı (a string, "1" in the
# example). A payment agent (iyzico, PayTR, ...) collects by card, so it is "1"; cash on
# delivery and "other" have no code and the optional field is left out.
PAYMENT_METHODS: dict[PaymentMethod, str] = {
    PaymentMethod.CREDIT_CARD: "1",
    PaymentMethod.PAYMENT_AGENT: "1",
    PaymentMethod.BANK_TRANSFER: "0",
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class MappingError(ValueError):
    """The order cannot be expressed as a SinApp invoice."""


def invoice_id_for(idempotency_key: str) -> str:
    """Our ``fatura_bilgileri.invoice_id``: stable per idempotency key, so a retried create
    is refused with 409 instead of creating a second invoice (DESIGN §3)."""
    ref = short_ref(idempotency_key)  # "se_" + 20 hex = 23 characters
    if len(ref) > INVOICE_ID_MAX:
        raise MappingError(f"invoice_id {ref!r} exceeds {INVOICE_ID_MAX} characters")
    return ref


def _clip(text: str, limit: int = TEXT_MAX) -> str:
    return text.strip()[:limit]


def _phone(raw: str) -> str:
    digits = re.sub(r"[^0-9+]", "", raw)
    # A phone that does not fit is better left out than cut into a wrong number.
    return digits if len(digits) <= PHONE_MAX else ""


def _email(raw: str) -> str:
    email = raw.strip()
    # A malformed address would get the whole invoice refused; the e-mail is contact data only.
    return email if _EMAIL.match(email) and len(email) <= TEXT_MAX else ""


def _quantity(q: Decimal) -> str:
    return format(q.normalize(), "f")  # 2, 1.5, 10 (never 1E+1)


def courses(invoice: ComputedInvoice) -> list[dict[str, Any]]:
    """One course per line at its gross total after discount; shipping is ``Kargo``.

    Courses have no quantity, so a line of several units keeps its count in the title
    ("Tişört x 2") for the person reading the invoice.
    """
    out: list[dict[str, Any]] = []
    for cl in invoice.lines:
        line = cl.line
        if line.kind is LineKind.SHIPPING:
            title = SHIPPING_TITLE
        elif line.quantity != 1:
            title = f"{line.name.strip()} x {_quantity(line.quantity)}"
        else:
            title = line.name.strip()
        out.append({"title": _clip(title), "price": cl.gross_amount})

    difference = invoice.paid_total - sum((c["price"] for c in out), ZERO)
    if difference:
        # DESIGN §7: at most one kuruş per VAT rate may be absorbed (and is reported by the
        # pipeline as the job's rounding_difference); anything larger means the order does
        # not add up and must not be invoiced silently.
        if abs(difference) > Decimal("0.01") * len(invoice.groups):
            raise MappingError(
                f"lines total {invoice.grand_total} but the customer paid {invoice.paid_total}"
            )
        largest = max(range(len(out)), key=lambda i: out[i]["price"])
        out[largest]["price"] += difference
    return out


def payment_date(moment: datetime) -> str:
    # Naive datetimes are taken as UTC, the domain's convention for stored times.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ISTANBUL).strftime(PAYMENT_DATE_FORMAT)


def billing_block(req: InvoiceRequest) -> dict[str, Any]:
    """``fatura_bilgileri``: the buyer travels inside the invoice (no customer step)."""
    order = req.order
    buyer = order.buyer
    address = buyer.address
    block: dict[str, Any] = {
        "invoice_id": invoice_id_for(req.idempotency_key),
        "order_id": order.order_id,
    }
    if buyer.kind is BuyerKind.COMPANY:
        block |= {
            "invoice_type": "company",
            "company_name": _clip(buyer.company_name),
            "tax_number": buyer.tax_id,
            "tax_office": _clip(buyer.tax_office),
            "full_name": _clip(buyer.company_name),
            # identity_number (TC Kimlik No) is required even for companies: a sole
            # proprietor invoices under the owner's TCKN; a legal entity has none, so it
            # gets the consumer placeholder while its VKN travels in tax_number.
            "identity_number": buyer.tax_id if len(buyer.tax_id) == 11 else ANONYMOUS_TCKN,
        }
    else:
        block |= {
            "invoice_type": "individual",
            "company_name": None,
            "tax_number": None,
            "tax_office": None,
            "full_name": _clip(buyer.display_name) or ANONYMOUS_FULL_NAME,
            "identity_number": buyer.tax_id,  # 11111111111 for the anonymous consumer
        }
    block |= {
        "contact_name": _clip(buyer.first_name),
        "contact_surname": _clip(buyer.last_name),
        "contact_phone": _phone(buyer.phone),
        "contact_email": _email(buyer.email),
        "contact_city": _clip(address.city),
        "contact_district": _clip(address.district),
        "contact_address": _clip(address.street, ADDRESS_MAX),
    }
    return block


def order_block(req: InvoiceRequest) -> dict[str, Any]:
    """``siparis_detaylari``: the lines as courses and the payment."""
    order = req.order
    course_list = courses(req.invoice)
    total = sum((c["price"] for c in course_list), ZERO)
    block: dict[str, Any] = {
        "order_id": order.order_id,
        "courses": course_list,
        "total_course_price": total,
        "amount": order.paid_total,  # equal to total: courses() makes them agree
    }
    method = PAYMENT_METHODS.get(order.payment.method)
    if method is not None:
        block["payment_method"] = method
    block["payment_date"] = payment_date(order.payment.date or order.created_at)
    if order.payment.platform.strip():
        block["payment_solution"] = _clip(order.payment.platform)
    return block


def invoice_payload(req: InvoiceRequest, *, website: str, company_name: str) -> dict[str, Any]:
    """The body of ``POST /api/v1/invoice_operations.php``.

    ``Channel`` names the shop the sale came from, as configured for the SinApp account
    (``[stores.provider] website`` and ``company_name``). ``kisisel_bilgiler`` is optional
    and would only repeat the contact fields, so it is left out.
    """
    return {
        "Channel": {"website": _clip(website), "company_name": _clip(company_name)},
        "fatura_bilgileri": billing_block(req),
        "siparis_detaylari": order_block(req),
    }
