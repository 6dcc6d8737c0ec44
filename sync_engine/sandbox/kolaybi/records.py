"""What the KolayBi simulator stores, and how it answers about it.

Amounts are kept as ``Decimal`` and written to JSON as numbers (``236.0``), as the proforma
document shows and as PHP's ``json_encode`` does: clients must read them without binary-float
error (``parse_float=Decimal``).

Arithmetic (not in the documents, assumed from KolayBi's invoice screen): an item's unit price
is net of VAT; item net = round(quantity × unit price − discount), item VAT = round(net × rate),
both to kuruş half-up; the invoice total is the sum of nets and VATs plus
``subtotal_correction_amount`` (UBL's PayableRoundingAmount: a rounding correction, not a price).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

KURUS = Decimal("0.01")
ZERO = Decimal("0.00")

# Invoice statuses as KolayBi names them (DESIGN §6).
DRAFT = "draft"
READY = "ready_to_send"
SENT = "sent"
APPROVED = "approved"
REJECTED = "rejected"
CANCELLED = "cancelled"

E_INVOICE = "e_invoice"  # e-Fatura: the buyer is in GİB's registered-user list
E_ARCHIVE = "e_archive"  # e-Arşiv: everyone else


def kurus(value: Decimal) -> Decimal:
    return value.quantize(KURUS, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> float:
    # A 2-place amount below 10^15 round-trips exactly through float's shortest repr.
    return float(kurus(value))


def plain(value: Decimal) -> str:
    """A quantity or unit price as submitted, without exponent or trailing zeros."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


@dataclass
class Account:
    """A KolayBi company reachable with one API key through one integrator channel."""

    api_key: str
    channel: str
    company_id: int
    # Assumed: the GİB series (ön ek) the company configured for its e-documents; an invoice
    # may override it with a 3-character `serial_no`.
    serial_prefix: str = "KOL"


@dataclass
class Token:
    value: str
    account: Account
    channel: str
    expires_at: datetime


@dataclass
class Address:
    id: int
    associate_id: int
    address: str
    city: str
    district: str
    country: str
    address_type: str
    postal_code: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "associate_id": self.associate_id, "address": self.address,
            "city": self.city, "district": self.district, "country": self.country,
            "address_type": self.address_type, "postal_code": self.postal_code,
        }


@dataclass
class Associate:
    id: int
    company_id: int
    name: str
    surname: str
    identity_no: str
    is_corporate: bool
    tax_office: str | None
    code: str | None
    email: str | None
    phone: str | None
    created_at: str
    addresses: list[Address] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "surname": self.surname,
            "identity_no": self.identity_no, "is_corporate": self.is_corporate,
            "tax_office": self.tax_office, "code": self.code, "email": self.email,
            "phone": self.phone, "created_at": self.created_at,
            "address": [a.as_json() for a in self.addresses],
        }


@dataclass
class Product:
    id: int
    company_id: int
    name: str
    code: str | None
    barcode: str | None
    description: str | None
    product_type: str
    vat_rate: int
    price: Decimal | None
    price_currency: str
    created_at: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "code": self.code, "barcode": self.barcode,
            "description": self.description, "product_type": self.product_type,
            "vat_rate": self.vat_rate,
            "price": money(self.price) if self.price is not None else None,
            "price_currency": self.price_currency, "created_at": self.created_at,
        }


@dataclass
class Item:
    id: int
    product_id: int
    quantity: Decimal
    unit_price: Decimal
    vat_rate: int
    discount_amount: Decimal
    description: str | None

    @property
    def net(self) -> Decimal:
        return kurus(self.quantity * self.unit_price - self.discount_amount)

    @property
    def vat(self) -> Decimal:
        return kurus(self.net * self.vat_rate / 100)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "product_id": self.product_id, "description": self.description,
            "quantity": plain(self.quantity), "unit_price": plain(self.unit_price),
            "vat_rate": self.vat_rate, "discount_amount": money(self.discount_amount),
            "net_amount": money(self.net), "vat_amount": money(self.vat),
            "total_amount": money(self.net + self.vat),
        }


def totals(items: list[Item], correction: Decimal = ZERO) -> tuple[Decimal, Decimal, Decimal]:
    """(net, VAT, total) of a document."""
    net = sum((i.net for i in items), ZERO)
    vat = sum((i.vat for i in items), ZERO)
    return net, vat, net + vat + correction


@dataclass
class Invoice:
    id: int
    company_id: int
    type: str
    contact_id: int
    address_id: int
    order_date: date
    currency: str
    items: list[Item]
    serial_no: str | None
    due_date: date | None
    description: str | None
    receiver_email: str | None
    correction: Decimal
    document_scenario: str | None
    document_type: str | None
    vat_exemption_reason_code: str | None
    order_reference: dict[str, Any] | None
    internet_sale: dict[str, Any] | None
    internet_sale_shipment: dict[str, Any] | None
    status: str
    created_at: str
    uuid: str | None = None
    no: str | None = None
    e_document_type: str | None = None
    # The sent sale invoices a sale_return_invoice answers (serial_no = GİB number, issue_date).
    return_invoice_references: list[dict[str, Any]] = field(default_factory=list)
    sent_at: datetime | None = None
    # GİB's words on a rejection (I: no document names the field; public clients read a
    # message beside the status).
    gib_message: str | None = None

    def as_json(self) -> dict[str, Any]:
        net, vat, total = totals(self.items, self.correction)
        return {
            # `document_id` is what the e-document endpoints take ("Fatura ID", an integer).
            "id": self.id, "document_id": self.id, "type": self.type, "status": self.status,
            "contact_id": self.contact_id, "address_id": self.address_id,
            "order_date": self.order_date.isoformat(), "currency": self.currency,
            "serial_no": self.serial_no,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "description": self.description, "receiver_email": self.receiver_email,
            "document_scenario": self.document_scenario, "document_type": self.document_type,
            "vat_exemption_reason_code": self.vat_exemption_reason_code,
            "order_reference": self.order_reference, "internet_sale": self.internet_sale,
            "return_invoice_references": self.return_invoice_references,
            "internet_sale_shipment": self.internet_sale_shipment,
            "items": [i.as_json() for i in self.items],
            "net_amount": money(net), "vat_amount": money(vat),
            "subtotal_correction_amount": money(self.correction), "total_amount": money(total),
            "uuid": self.uuid, "no": self.no, "e_document_type": self.e_document_type,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "gib_message": self.gib_message, "created_at": self.created_at,
        }

    def e_document_json(self, party_name: str) -> dict[str, Any]:
        """A row of the e-document list. Assumed shape (the document lists only the filters):
        the fields clients read from e-document answers (FACTS §1.3, I) plus the invoice's
        own ``description`` and total."""
        _, _, total = totals(self.items, self.correction)
        return {
            "document_id": self.id, "uuid": self.uuid, "no": self.no, "status": self.status,
            "type": self.e_document_type, "direction": "outbound",
            "issue_date": self.order_date.isoformat(), "party_name": party_name,
            "description": self.description, "grand_total": money(total),
            "grand_currency": self.currency,
        }


@dataclass
class Proforma:
    id: int
    company_id: int
    document_id: str
    contact_id: int
    address_id: int
    order_date: date
    due_date: date
    currency: str
    description: str | None
    items: list[Item]
    created_at: str

    def as_json(self) -> dict[str, Any]:
        net, vat, total = totals(self.items)
        # Exactly the documented answer fields; due_date and description are added so the
        # 30-day validity default can be observed (assumption: the real answer may omit them).
        return {
            "id": self.id, "document_id": self.document_id, "contact_id": self.contact_id,
            "address_id": self.address_id, "order_date": self.order_date.isoformat(),
            "currency": self.currency, "total_amount": money(total), "vat_amount": money(vat),
            "net_amount": money(net), "status": "active", "created_at": self.created_at,
            "due_date": self.due_date.isoformat(), "description": self.description,
        }
