"""Pure mappings from our Order / InvoiceRequest to Turkcell e-Şirket payloads (no I/O).

Field names and limits are the Muhasebe API's (provider doc 004). The e-Fatura service body
is not published: ``e_document_payload`` follows the body the simulator documents (see
``sync_engine/sandbox/turkcell/efatura.py``), referencing the Muhasebe invoice by ETTN.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sync_engine.domain import Buyer, BuyerKind, ComputedLine, LineKind, Order, PaymentMethod
from sync_engine.providers.base import DocumentType, InvoiceRequest

EQUALS = "eşittir"
# ASSUMPTION: range operators on the IssueDate category (the document lists only text
# operators; a reconciliation window needs a range). Both ends are inclusive.
ON_OR_AFTER, ON_OR_BEFORE = "büyük eşittir", "küçük eşittir"

E_ARSIV_RECORD, E_FATURA_RECORD = 0, 1
PROFILE_TEMEL = 0  # generalInfoModel.invoiceProfileType "Temel : 0" (the document's own e-Arşiv example uses it)
TYPE_SATIS = 1  # generalInfoModel.type "Satış : 1"
SAVE_AND_SEND = 20  # e-Fatura service status: save and send

# UN/ECE 4461 payment means codes. The document labels "1" as "Ödeme Aracısı" (payment
# intermediary); 48 bank card, 42 payment to bank account, 10 cash (on delivery), ZZZ other.
PAYMENT_MEANS_CODE = {
    PaymentMethod.CREDIT_CARD: "48",
    PaymentMethod.BANK_TRANSFER: "42",
    PaymentMethod.CASH_ON_DELIVERY: "10",
    PaymentMethod.PAYMENT_AGENT: "1",
    PaymentMethod.OTHER: "ZZZ",
}

# GİB's customary name for a consumer who gave neither a TCKN nor a name.
ANONYMOUS_NAME = ("Nihai", "Tüketici")
# A Turkcell cari with an 11-digit identifier must have a surname; a one-word name has none.
MISSING_SURNAME = "-"
# Address parts the documents mark required; an order may lack them (anonymous consumers).
UNKNOWN_PLACE = "Belirtilmemiş"

DESCRIPTION_PREFIX = "Sipariş "
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- small formatters ----------------------------------------------------------------------


def timestamp(value: date | datetime) -> str:
    """ISO 8601 in UTC with a Z, as the document's examples. A bare date is midnight UTC,
    which is still the same calendar day in Türkiye (UTC+3)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{value.isoformat()}T00:00:00Z"


def _price(value: Decimal) -> Decimal:
    """Unit prices carry up to 8 places (so quantity × price meets the net to the kuruş);
    drop the trailing zeros beyond kuruş for readability."""
    trimmed = value.normalize()
    return value.quantize(Decimal("0.01")) if trimmed.as_tuple().exponent >= -2 else trimmed  # type: ignore[operator]


def _whole(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _cut(value: str, limit: int) -> str:
    return value.strip()[:limit]


def filter_query(*conditions: tuple[str, str, str]) -> str:
    """``filterQuery``: a JSON list of {category, operator, value}, UTF-8 (the operators are
    Turkish words)."""
    return json.dumps(
        [{"category": c, "operator": op, "value": v} for c, op, v in conditions], ensure_ascii=False
    )


# --- cari ---------------------------------------------------------------------------------


def cari_filter(buyer: Buyer) -> str:
    """Find the buyer's cari: by VKN/TCKN, plus the code that tells anonymous consumers
    (all 11111111111) apart (DESIGN §7)."""
    conditions = [("Identifier", EQUALS, buyer.tax_id)]
    code = buyer.distinguishing_code
    if code is not None:
        conditions.append(("Code", EQUALS, code))
    return filter_query(*conditions)


def account_filter(code: str) -> str:
    return filter_query(("Code", EQUALS, code))


def _split_name(whole: str) -> tuple[str, str]:
    words = whole.split()
    if len(words) >= 2:
        return " ".join(words[:-1]), words[-1]
    return (words[0], MISSING_SURNAME) if words else ANONYMOUS_NAME


def cari_names(buyer: Buyer) -> tuple[str, str | None]:
    """(name, surname). Turkcell requires a surname for 11-digit identifiers."""
    if buyer.kind is BuyerKind.COMPANY:
        if len(buyer.tax_id) == 11:
            # A sole proprietor invoices under a TCKN: the title is split so that
            # name + surname still reads as the full title on the invoice.
            return _split_name(buyer.company_name)
        return buyer.company_name.strip(), None
    first, last = buyer.first_name.strip(), buyer.last_name.strip()
    if first and last:
        return first, last
    return _split_name(first or last)


def _phone(raw: str) -> str | None:
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("90") and len(digits) == 12:
        digits = digits[2:]  # +90 country code
    return digits if 10 <= len(digits) <= 11 else None


def cari_address(buyer: Buyer) -> dict[str, Any]:
    a = buyer.address
    city = _cut(a.city, 100) or UNKNOWN_PLACE
    street = a.street.strip()
    address: dict[str, Any] = {
        # Documented: the first address should be the default, else the invoice warns.
        "isDefault": True,
        "addressName": "Fatura Adresi",
        "subDivisionName": _cut(a.district, 100) or city,
        "city": city,
        "country": _cut(a.country, 100) or "Türkiye",
    }
    if street:
        address["streetName"] = street[:100]
        if len(street) > 100:
            # streetName holds 100 characters; the rest goes on rather than being lost
            # from a legal document.
            address["buildingName"] = street[100:200]
    if a.postal_code.strip():
        address["postalZone"] = _cut(a.postal_code, 100)
    email = buyer.email.strip()
    if email and len(email) <= 250 and _EMAIL.match(email):
        address["emailAddress"] = email
    phone = _phone(buyer.phone)
    if phone:
        address["phoneNumber"] = phone
    return address


def cari_payload(order: Order) -> dict[str, Any]:
    buyer = order.buyer
    name, surname = cari_names(buyer)
    payload: dict[str, Any] = {"name": name[:500], "identifier": buyer.tax_id}
    if surname:
        payload["surname"] = surname[:250]
    code = buyer.distinguishing_code
    if code is not None:
        payload["code"] = code
    if buyer.kind is BuyerKind.COMPANY and buyer.tax_office.strip():
        payload["taxOffice"] = _cut(buyer.tax_office, 150)
    payload["currentAccountAddress"] = cari_address(buyer)
    return payload


def match_payload(cari_id: int, account_id: int, account_code: str) -> dict[str, Any]:
    return {"currentAccountId": cari_id, "accountId": account_id, "name": f"{account_code} havuz"}


# --- invoice ------------------------------------------------------------------------------


def description_for(req: InvoiceRequest) -> str:
    """The order reference a person (and reconciliation) searches for (DESIGN §7)."""
    return DESCRIPTION_PREFIX + req.reference


_REFERENCE = re.compile(r"^" + re.escape(DESCRIPTION_PREFIX) + r"(?P<ref>.+\(\S+ \S+\))\s*$")


def order_ref_from(description: str | None) -> str | None:
    """Our ``InvoiceRequest.reference`` back out of a description we wrote; None for
    invoices someone else wrote."""
    if not description:
        return None
    match = _REFERENCE.match(description.strip())
    return match.group("ref") if match else None


def _line_code(cl: ComputedLine, index: int) -> str:
    if cl.line.sku.strip():
        return _cut(cl.line.sku, 100)
    return "KARGO" if cl.line.kind is LineKind.SHIPPING else f"SATIR{index + 1}"


def invoice_line(cl: ComputedLine, index: int) -> dict[str, Any]:
    """Explicit amounts (DESIGN §7): the provider adds up what we send, so the invoice total
    is the paid total to the kuruş."""
    line: dict[str, Any] = {
        "inventoryServiceCode": _line_code(cl, index),
        # ASSUMPTION: the printed line name travels in "inventoryCard" (the name field of
        # the documented GET answer); the stock/service card API is not published.
        "inventoryCard": _cut(cl.line.name, 500),
        "amount": _whole(cl.quantity),
        "unitCode": cl.line.unit_code,
        "unitPrice": _price(cl.unit_price_net),
        "discountAmount": cl.discount_net,
        "lineExtensionAmount": cl.net_amount,
        "vatRate": _whole(cl.vat_rate),
        "vatAmount": cl.vat_amount,
    }
    if cl.line.vat_exemption_code:
        line["vatExemptionReasonCode"] = cl.line.vat_exemption_code
    return line


def _website(url: str) -> str:
    url = url.strip()
    return url if re.match(r"^https?://", url, re.IGNORECASE) else f"https://{url}"


def archive_info(req: InvoiceRequest) -> dict[str, Any]:
    """e-Arşiv internet sale: the website and the carrier (name, VKN, date) — GİB requires them.
    A carrier named on the order itself wins over the store's configured one."""
    shipment = req.order.shipment
    if shipment.carrier_name and shipment.carrier_vkn:
        carrier_name, carrier_vkn = shipment.carrier_name, shipment.carrier_vkn
    else:
        carrier_name, carrier_vkn = req.settings.carrier_name, req.settings.carrier_vkn
    return {
        "isInternetSale": True,
        "websiteUrl": _website(req.settings.website),
        "shipmentSendType": "ELEKTRONIK",
        "shipmentSenderName": _cut(carrier_name, 250),
        "shipmentSenderTcknVkn": carrier_vkn,
        "shipmentDate": timestamp(shipment.date or req.issue_date),
    }


def payment_means(order: Order) -> dict[str, Any]:
    payment = order.payment
    means: dict[str, Any] = {
        "paymentMeansCode": PAYMENT_MEANS_CODE[payment.method],
        "paymentDueDate": timestamp(payment.date or order.created_at),
    }
    if payment.platform.strip():
        # ASSUMPTION: the payment intermediary's name (iyzico, PayTR, …), which GİB wants
        # on internet sales, goes in the free-text instruction note.
        means["instructionNote"] = _cut(payment.platform, 500)
    return means


def _alias(req: InvoiceRequest) -> str:
    if not req.route.alias:
        raise ValueError("an e-Fatura route needs the buyer's posta kutusu alias")
    return req.route.alias


def invoice_payload(req: InvoiceRequest) -> dict[str, Any]:
    """The Muhasebe outgoing invoice (``POST /v1/invoices``): our ETTN, the prefix, no number
    (GİB assigns it on send), ``isSend: true``. Saving it again with the same ETTN updates it."""
    buyer = req.order.buyer
    e_fatura = req.route.type is DocumentType.E_FATURA
    payload: dict[str, Any] = {
        "description": description_for(req),
        "currentAccountIdentifier": buyer.tax_id,
    }
    if buyer.distinguishing_code is not None:
        payload["currentAccountCode"] = buyer.distinguishing_code
    if e_fatura:
        payload["currentAccountAlias"] = _alias(req)
    payload.update(
        {
            "isSend": True,
            "recordType": E_FATURA_RECORD if e_fatura else E_ARSIV_RECORD,
            "notes": [{"note": f"Sipariş: {req.reference}"}],
            "generalInfoModel": {
                "ettn": req.ettn,
                "prefix": req.settings.prefix,
                "invoiceProfileType": PROFILE_TEMEL,
                "type": TYPE_SATIS,
                "currencyCode": req.order.currency,
                "issueDate": timestamp(req.issue_date),
            },
            "invoiceLines": [invoice_line(cl, i) for i, cl in enumerate(req.invoice.lines)],
            "paymentMeansModel": payment_means(req.order),
        }
    )
    if not e_fatura:
        payload["archiveInfoModel"] = archive_info(req)
    return payload


def e_document_payload(req: InvoiceRequest) -> dict[str, Any]:
    """The e-Fatura service's save-and-send body (status 20) for the Muhasebe invoice with
    the same ETTN. ASSUMPTION: this body is ours (the service's is unpublished); see the
    simulator's efatura module for the contract it is checked against."""
    e_fatura = req.route.type is DocumentType.E_FATURA
    payload: dict[str, Any] = {
        "status": SAVE_AND_SEND,
        "recordType": E_FATURA_RECORD if e_fatura else E_ARSIV_RECORD,
        "generalInfoModel": {
            "ettn": req.ettn,
            "prefix": req.settings.prefix,
            "issueDate": timestamp(req.issue_date),
            "invoiceProfileType": "TEMELFATURA" if e_fatura else "EARSIVFATURA",
        },
        "paymentMeansModel": payment_means(req.order),
    }
    if e_fatura:
        payload["targetAlias"] = _alias(req)
    else:
        payload["archiveInfoModel"] = archive_info(req)
    return payload


def accounting_payload(ettn: str) -> list[dict[str, Any]]:
    """muhasebeleştir / ters kayıt: a list of {ettn, isSend} (outgoing: true)."""
    return [{"ettn": ettn, "isSend": True}]


def issue_window_filter(start: date, end: date) -> str:
    return filter_query(
        ("IssueDate", ON_OR_AFTER, start.isoformat()), ("IssueDate", ON_OR_BEFORE, end.isoformat())
    )
