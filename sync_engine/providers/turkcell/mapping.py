"""Pure mappings from our Order / InvoiceRequest to Turkcell e-Şirket payloads (no I/O).

Field names and limits of the Muhasebe bodies are provider doc 004's (seed 004). The e-Fatura
service is a separate system: ``e_document_payload`` is its whole create model (FACTS §4.2:
``addressBook``, ``generalInfoModel``, ``invoiceLines``, ``archiveInfoModel``,
``paymentMeansModel``), carrying the same ETTN as the Muhasebe record.

No value is ever cut to fit: a value longer than its documented limit raises
``OrderDataError`` naming the field and both lengths (``require_fits``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sync_engine.domain import Buyer, BuyerKind, ComputedLine, LineKind, Order, PaymentMethod
from sync_engine.domain.invoice import TURKIYE
from sync_engine.providers.base import DocumentType, InvoiceRequest, ReturnOf, SendState
from sync_engine.providers.errors import OrderDataError, PermanentError, require_fits

NAME = "turkcell_esirket"

# filterQuery operators: only those seed 004 lists (C). A day is selected with "ile başlayan"
# on the ISO issue date ("2026-01-15…"); there is no documented range operator.
EQUALS = "eşittir"
STARTS_WITH = "ile başlayan"

E_ARSIV_RECORD, E_FATURA_RECORD = 0, 1  # recordType (C FACTS §4.2)
PROFILE_TEMEL = 0  # Muhasebe generalInfoModel.invoiceProfileType "Temel : 0" (seed 004 example)
# e-Fatura service InvoiceProfileType (C FACTS §4.2, [T-smp-profile]): an integer.
SERVICE_PROFILE_TEMELFATURA, SERVICE_PROFILE_EARSIVFATURA = 0, 4
TYPE_SATIS = 1  # generalInfoModel.type "Satış : 1"
# generalInfoModel.type of a return (İade) invoice: C, the vendor's own ePlatform client
# (github eplatform/eplatform-api-dotnet-client, Models/Enums/InvoiceType.cs: SATIS = 1,
# IADE = 2, ISTISNA = 3, …). (I) Muhasebe's "type" uses the same enum (its "Satış : 1" agrees).
TYPE_IADE = 2
SAVE_AND_SEND = 20  # e-Fatura service status: "Kaydet ve Gönder" (C FACTS §4.2)
TURKIYE_COUNTRY_ID = 1  # addressBook.receiverCountryId 1 = Türkiye (I FACTS §4.2)
_TURKIYE = {"türkiye", "turkiye", "turkey", "tr", "tür"}

# e-Fatura service InvoiceStatus (C FACTS §4.2, ePlatform InvoiceStatus.cs) → our send state.
# One explicit table; a code not in it is a PermanentError naming it, never "sent".
SEND_STATES: dict[int, SendState] = {
    0: SendState.IN_PROGRESS,  # Taslak: the create (status 20) has not been picked up yet
    5: SendState.IN_PROGRESS,  # Test
    20: SendState.IN_PROGRESS,  # Kuyrukta
    30: SendState.IN_PROGRESS,  # Gönderim Bekliyor
    81: SendState.IN_PROGRESS,  # Reddediliyor: GİB's final answer is still to come
    50: SendState.SENT,  # GİB'e İletildi
    60: SendState.SENT,  # Onaylandı
    61: SendState.SENT,  # Onaylanıyor
    65: SendState.SENT,  # Otomatik Onaylandı
    70: SendState.SENT,  # Onay Bekliyor (TICARIFATURA: the buyer's KABUL/RED window)
    # (I) İade states follow a document GİB already holds: it was sent; the return is a
    # separate document.
    90: SendState.SENT,  # İade
    91: SendState.SENT,  # İade ediliyor
    92: SendState.SENT,  # İade Hatası
    40: SendState.FAILED,  # Hata
    62: SendState.FAILED,  # Onaylama Hatası
    80: SendState.FAILED,  # Reddedildi
    82: SendState.FAILED,  # Reddetme Hatası
    10: SendState.CANCELLED,  # İptal
    100: SendState.CANCELLED,  # e-Arşiv İptal
}
# Reconciliation's "sent" (a send happened, so never send again): every known status but
# the draft (0) and test (5) ones. An unknown code in a list answer reads as "does not say".
NOT_SENT_STATUSES = frozenset({0, 5})


def status_code(answer: Any, endpoint: str) -> int:
    """The integer ``status`` of an e-Fatura service answer (a digit string is read too).
    A missing or non-integer status is a PermanentError naming the field."""
    raw = answer.get("status") if isinstance(answer, dict) else None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise PermanentError(
            f"{endpoint} answer has no integer 'status' (got {raw!r})", provider=NAME, endpoint=endpoint
        )
    return raw


def send_state(code: int, endpoint: str) -> SendState:
    """The send state of an e-Fatura service status code, from the one table above."""
    if code not in SEND_STATES:
        raise PermanentError(
            f"{endpoint} answered an unknown e-Fatura status {code}; it is not read as sent "
            "(FACTS §4.2 InvoiceStatus)",
            provider=NAME, endpoint=endpoint,
        )
    return SEND_STATES[code]


def status_message(answer: Any) -> str | None:
    """GİB's / the service's own words: ``message``, else the envelope's (FACTS §4.2)."""
    if not isinstance(answer, dict):
        return None
    for key in ("message", "envelopeMessage", "Message"):
        value = answer.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None

# Documented Muhasebe field limits (C seed 004).
NAME_MAX, SURNAME_MAX, TAX_OFFICE_MAX, CODE_MAX = 500, 250, 150, 50
ADDRESS_PART_MAX, ADDRESS_NAME_MAX, EMAIL_MAX = 100, 250, 250
LINE_CODE_MAX, LINE_NAME_MAX, NOTE_MAX, CARRIER_NAME_MAX = 100, 500, 500, 250

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


def fits(field: str, value: str, limit: int) -> str:
    """The stripped value when it fits its documented limit, else OrderDataError naming the
    field and both lengths (never cut)."""
    text = value.strip()
    require_fits(NAME, field, text, limit)
    return text


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
    """The cari's default address (seed 004 address model). The street fills streetName
    (100) and carries on into buildingName (100) rather than being cut; a street longer than
    both is refused, naming streetName."""
    a = buyer.address
    where = "currentAccountAddress."
    city = fits(f"{where}city", a.city, ADDRESS_PART_MAX) or UNKNOWN_PLACE
    street = a.street.strip()
    address: dict[str, Any] = {
        # Documented: the first address should be the default, else the invoice warns.
        "isDefault": True,
        "addressName": "Fatura Adresi",
        "subDivisionName": fits(f"{where}subDivisionName", a.district, ADDRESS_PART_MAX) or city,
        "city": city,
        "country": fits(f"{where}country", a.country, ADDRESS_PART_MAX) or "Türkiye",
    }
    if street:
        if len(street) > 2 * ADDRESS_PART_MAX:
            raise OrderDataError(
                NAME, f"{where}streetName",
                f"{len(street)} characters, the provider's limit is {ADDRESS_PART_MAX} "
                f"(+{ADDRESS_PART_MAX} carried on in buildingName)",
            )
        address["streetName"] = street[:ADDRESS_PART_MAX]
        if len(street) > ADDRESS_PART_MAX:
            # The rest goes on in the next documented address part, not lost.
            address["buildingName"] = street[ADDRESS_PART_MAX:]
    if a.postal_code.strip():
        address["postalZone"] = fits(f"{where}postalZone", a.postal_code, ADDRESS_PART_MAX)
    email = buyer_email(buyer, f"{where}emailAddress")
    if email:
        address["emailAddress"] = email
    phone = _phone(buyer.phone)
    if phone:
        address["phoneNumber"] = phone
    return address


def buyer_email(buyer: Buyer, field: str) -> str | None:
    """The buyer's e-mail when it is one (<email> format, seed 004); too long is refused."""
    email = buyer.email.strip()
    if not email or not _EMAIL.match(email):
        # Not an address the provider can take; the buyer simply has none on the invoice.
        return None
    return fits(field, email, EMAIL_MAX)


def cari_payload(order: Order, *, with_address: bool = True) -> dict[str, Any]:
    buyer = order.buyer
    name, surname = cari_names(buyer)
    payload: dict[str, Any] = {"name": fits("name", name, NAME_MAX), "identifier": buyer.tax_id}
    if surname:
        payload["surname"] = fits("surname", surname, SURNAME_MAX)
    code = buyer.distinguishing_code
    if code is not None:
        payload["code"] = fits("code", code, CODE_MAX)
    if buyer.kind is BuyerKind.COMPANY and buyer.tax_office.strip():
        payload["taxOffice"] = fits("taxOffice", buyer.tax_office, TAX_OFFICE_MAX)
    if with_address:
        payload["currentAccountAddress"] = cari_address(buyer)
    return payload


# Documented cari fields the shop never gives (seed 004): an update carries the cari's current
# values, so the merchant's own entries (vade, MERSİS, sicil, oda) are never erased.
KEPT_CARI_FIELDS = (
    "taxOffice", "maturity", "mersisNumber", "registrationNumber", "professionalChamber", "chamberRegistrationNumber",
)


def cari_update_payload(cari_id: int, order: Order, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """``PUT /v1/currentaccounts/{id}``: the documented update model, id included ("Update
    işleminin id alanı da doldurulmak zorundadır", seed 004). ``current`` is the cari as
    ``GET /v1/currentaccounts/{id}`` answers it: its values stand where the order has none."""
    payload: dict[str, Any] = {"id": cari_id, **cari_payload(order, with_address=False)}
    for key in KEPT_CARI_FIELDS:
        if key not in payload and isinstance(current, dict) and current.get(key) not in (None, ""):
            payload[key] = current[key]
    return payload


# The address fields we write and compare (a returning buyer's changed address is updated).
ADDRESS_KEYS = (
    "addressName", "subDivisionName", "city", "country", "streetName", "buildingName",
    "postalZone", "emailAddress", "phoneNumber",
)


def cari_changes(listed: dict[str, Any], order: Order) -> bool:
    """Whether the cari's name / surname (as the list shows them) differ from the order's."""
    name, surname = cari_names(order.buyer)
    return (listed.get("name") or "") != name.strip() or (listed.get("surname") or "") != (surname or "")


def default_address(addresses: Any) -> dict[str, Any] | None:
    """The default one of a cari's addresses (``isDefault``), read liberally: a list of
    address objects, or an object with an ``items`` list (a page)."""
    items = addresses.get("items") if isinstance(addresses, dict) else addresses
    if not isinstance(items, list):
        raise PermanentError(
            "currentaccountaddresses answer is not a list of addresses",
            provider=NAME, endpoint="currentaccountaddresses.list",
        )
    return next((a for a in items if isinstance(a, dict) and a.get("isDefault")), None)


def address_differs(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return any((current.get(k) or None) != (wanted.get(k) or None) for k in ADDRESS_KEYS)


def address_update_payload(address_id: int, cari_id: int, buyer: Buyer) -> dict[str, Any]:
    """``PUT /v1/currentaccountaddresses``: the documented update model with its id."""
    return {"id": address_id, "currentAccountId": cari_id, **cari_address(buyer)}


def address_create_payload(cari_id: int, buyer: Buyer) -> dict[str, Any]:
    return {"currentAccountId": cari_id, **cari_address(buyer)}


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


def _line_code(cl: ComputedLine, index: int, where: str) -> str:
    if cl.line.sku.strip():
        return fits(f"{where}inventoryServiceCode", cl.line.sku, LINE_CODE_MAX)
    return "KARGO" if cl.line.kind is LineKind.SHIPPING else f"SATIR{index + 1}"


def invoice_line(cl: ComputedLine, index: int) -> dict[str, Any]:
    """A Muhasebe invoice line. Explicit amounts (DESIGN §7): the provider adds up what we
    send, so the invoice total is the paid total to the kuruş."""
    where = f"invoiceLines[{index}]."
    line: dict[str, Any] = {
        "inventoryServiceCode": _line_code(cl, index, where),
        # ASSUMPTION: the printed line name travels in "inventoryCard" (the name field of
        # the documented GET answer); the stock/service card API is not published.
        "inventoryCard": fits(f"{where}inventoryCard", cl.line.name, LINE_NAME_MAX),
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


def service_line(cl: ComputedLine, index: int) -> dict[str, Any]:
    """An e-Fatura service line: the FACTS §4.2 line model (``lineAmount`` is the net after
    discount, as Muhasebe's ``lineExtensionAmount``)."""
    where = f"invoiceLines[{index}]."
    line: dict[str, Any] = {
        "inventoryCard": fits(f"{where}inventoryCard", cl.line.name, LINE_NAME_MAX),
        "amount": _whole(cl.quantity),
        "unitCode": cl.line.unit_code,
        "unitPrice": _price(cl.unit_price_net),
        "lineAmount": cl.net_amount,
        "vatRate": _whole(cl.vat_rate),
        "vatAmount": cl.vat_amount,
        "discountAmount": cl.discount_net,
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
        "shipmentSenderName": fits("archiveInfoModel.shipmentSenderName", carrier_name, CARRIER_NAME_MAX),
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
        means["instructionNote"] = fits("paymentMeansModel.instructionNote", payment.platform, NOTE_MAX)
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


def _returned(original: ReturnOf) -> tuple[str, date]:
    """The sale invoice's GİB number and issue date, which a return must name (FACTS §5.5)."""
    if not original.invoice_number or original.issue_date is None:
        raise PermanentError(
            "a return (İADE) invoice names the sale invoice's GİB number and date; the sale "
            f"invoice {original.invoice_id} has {'no number' if not original.invoice_number else 'no issue date'} yet",
            provider=NAME, endpoint="invoices.save",
        )
    return original.invoice_number, original.issue_date


def return_reference(original: ReturnOf) -> dict[str, Any]:
    """The generalInfoModel fields of a return: the İade type and the sale invoice it answers
    (``returnInvoiceNumber`` / ``returnInvoiceDate``, seed 004 and FACTS §4.2)."""
    number, issued = _returned(original)
    return {"type": TYPE_IADE, "returnInvoiceNumber": number, "returnInvoiceDate": timestamp(issued)}


def return_invoice_payload(req: InvoiceRequest, original: ReturnOf) -> dict[str, Any]:
    """The Muhasebe record of a return (İADE) e-Arşiv: the sale's model for exactly the refunded
    lines (``req``'s order), our ETTN from the return job's key, the İade type and the sale
    invoice's number and date; a note names the sale invoice for a person reading it."""
    number, _ = _returned(original)
    payload = invoice_payload(req)
    payload["generalInfoModel"].update(return_reference(original))
    payload["notes"].append({"note": fits("notes[].note", f"İade edilen fatura: {number}", NOTE_MAX)})
    return payload


def saved_return_reference(found: Any) -> dict[str, Any] | None:
    """The return reference of a Muhasebe record as the GET answer shows it (seed 004:
    ``generalInfoModel.type`` / ``returnInvoiceNumber`` / ``returnInvoiceDate``); None for a
    sale. A return without its reference is a PermanentError: it must never go to GİB bare."""
    general = found.get("generalInfoModel") if isinstance(found, dict) else None
    if not isinstance(general, dict) or general.get("type") != TYPE_IADE:
        return None
    number, issued = general.get("returnInvoiceNumber"), general.get("returnInvoiceDate")
    if not isinstance(number, str) or not number or not isinstance(issued, str) or not issued:
        raise PermanentError(
            "invoices.get answer: an İade record without returnInvoiceNumber / returnInvoiceDate",
            provider=NAME, endpoint="invoices.get",
        )
    return {"type": TYPE_IADE, "returnInvoiceNumber": number, "returnInvoiceDate": issued}


def address_book(req: InvoiceRequest) -> dict[str, Any]:
    """The buyer as the e-Fatura service takes it (FACTS §4.2 ``addressBook``, I). Limits are
    the Muhasebe cari's (seed 004), the same person in the same platform (I)."""
    buyer = req.order.buyer
    a = buyer.address
    name, surname = cari_names(buyer)
    where = "addressBook."
    city = a.city.strip() or UNKNOWN_PLACE
    country = a.country.strip() or "Türkiye"
    book: dict[str, Any] = {}
    if req.route.type is DocumentType.E_FATURA:
        book["alias"] = _alias(req)
    book.update(
        {
            "identificationNumber": buyer.tax_id,
            "name": fits(f"{where}name", name, NAME_MAX),
        }
    )
    if surname:
        book["receiverPersonSurName"] = fits(f"{where}receiverPersonSurName", surname, SURNAME_MAX)
    # (I) no length is known for the receiver address parts: they travel whole.
    if a.street.strip():
        book["receiverStreet"] = a.street.strip()
    if a.district.strip():
        book["receiverDistrict"] = a.district.strip()
    # receiverCity / receiverCountry: GİB's address needs them (I); a consumer who gave
    # none gets the same documented placeholder as the Muhasebe cari (UNKNOWN_PLACE).
    book["receiverCity"] = city
    book["receiverCountry"] = country
    if country.casefold() in _TURKIYE:
        book["receiverCountryId"] = TURKIYE_COUNTRY_ID
    email = buyer_email(buyer, f"{where}receiverEmail")
    if email:
        book["receiverEmail"] = email
    if buyer.kind is BuyerKind.COMPANY and buyer.tax_office.strip():
        book["receiverTaxOffice"] = fits(f"{where}receiverTaxOffice", buyer.tax_office, TAX_OFFICE_MAX)
    return book


def e_document_payload(req: InvoiceRequest, returning: dict[str, Any] | None = None) -> dict[str, Any]:
    """The e-Fatura service's create body, ``status: 20`` (save and send): the whole invoice
    model (FACTS §4.2), not a pointer to Muhasebe; the same ETTN as the Muhasebe record.
    e-Arşiv (``/v2/earchive/create``): recordType 0, profile 4 EARSIVFATURA, the internet-sale
    block; e-Fatura (``/v1/outboxinvoice/create``): recordType 1, profile 0 TEMELFATURA, the
    buyer's posta kutusu alias in ``addressBook.alias``. ``returning``: a return's İade type
    and sale reference (``return_reference`` / ``saved_return_reference``)."""
    e_fatura = req.route.type is DocumentType.E_FATURA
    payload: dict[str, Any] = {
        "status": SAVE_AND_SEND,
        "recordType": E_FATURA_RECORD if e_fatura else E_ARSIV_RECORD,
        "addressBook": address_book(req),
        "generalInfoModel": {
            "ettn": req.ettn,
            "prefix": req.settings.prefix,
            "invoiceProfileType": SERVICE_PROFILE_TEMELFATURA if e_fatura else SERVICE_PROFILE_EARSIVFATURA,
            "issueDate": timestamp(req.issue_date),
            "type": TYPE_SATIS,
            "currencyCode": req.order.currency,
            **(returning or {}),
        },
        "invoiceLines": [service_line(cl, i) for i, cl in enumerate(req.invoice.lines)],
        "paymentMeansModel": payment_means(req.order),
    }
    if not e_fatura:
        payload["archiveInfoModel"] = archive_info(req)
    return payload


def _amount(value: Any, field: str, endpoint: str) -> Decimal:
    """An amount the provider answered: a JSON number or, as the GET answer documents its
    totals, a numeric string; anything else is a PermanentError naming the field."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise PermanentError(f"{endpoint} answer: {field} is not an amount ({value!r})", provider=NAME, endpoint=endpoint)
    try:
        return Decimal(str(value).strip())
    except ArithmeticError:
        raise PermanentError(f"{endpoint} answer: {field} is not an amount ({value!r})", provider=NAME, endpoint=endpoint) from None


def saved_total(saved: Any) -> Decimal | None:
    """The payable total the save answer implies: the sum of its own lines' net and VAT
    (seed 004: the save answer echoes ``invoiceLines`` and has no totals model). None when
    the answer carries no lines."""
    lines = saved.get("invoiceLines") if isinstance(saved, dict) else None
    if not isinstance(lines, list) or not lines:
        return None
    total = Decimal("0.00")
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            raise PermanentError(f"invoices.save answer: invoiceLines[{i}] is not an object", provider=NAME,
                                 endpoint="invoices.save")
        for key in ("lineExtensionAmount", "vatAmount"):
            total += _amount(line.get(key), f"invoiceLines[{i}].{key}", "invoices.save")
    return total


def detail_total(found: Any) -> Decimal | None:
    """``invoiceTotalsModel.payableAmount`` of the GET answer (seed 004: a string); None when
    the answer has no totals model."""
    totals = found.get("invoiceTotalsModel") if isinstance(found, dict) else None
    if not isinstance(totals, dict) or totals.get("payableAmount") in (None, ""):
        return None
    return _amount(totals["payableAmount"], "invoiceTotalsModel.payableAmount", "invoices.get")


def accounting_payload(ettn: str) -> list[dict[str, Any]]:
    """muhasebeleştir / ters kayıt: a list of {ettn, isSend} (outgoing: true)."""
    return [{"ettn": ettn, "isSend": True}]


def issue_day_filter(day: date) -> str:
    """The outgoing invoices issued on one day: ``IssueDate ile başlayan YYYY-MM-DD`` (only
    documented operators; the ISO issue date starts with its day)."""
    return filter_query(("IssueDate", STARTS_WITH, day.isoformat()))


# --- the buyer's return (İADE) among the incoming invoices -----------------------------------------


def incoming_return_filter(sender_tax_id: str) -> str:
    """The incoming İade invoices of one sender: ``TargetVknTckn`` (the list's counterparty,
    I: on the incoming list that is the invoice's sender) and ``Type`` (seed 004 names ``Type``
    as a filter category), both with the documented ``eşittir``."""
    return filter_query(("TargetVknTckn", EQUALS, sender_tax_id), ("Type", EQUALS, str(TYPE_IADE)))


def amount_tolerance(req: InvoiceRequest) -> Decimal:
    """How far the buyer's İADE total may be from the refund and still be its return: a kuruş
    per VAT rate, the rounding DESIGN §7 allows (I: the buyer's software rounds its own way)."""
    return Decimal("0.01") * len({cl.vat_rate for cl in req.invoice.lines})


def is_return_candidate(item: Any, req: InvoiceRequest) -> bool:
    """Whether an incoming list item can be the buyer's return for ``req``: an İade from the
    buyer whose payable total is the refunded amount (within ``amount_tolerance``)."""
    if not isinstance(item, dict) or item.get("type") != TYPE_IADE:
        return False
    if item.get("targetVknTckn") != req.order.buyer.tax_id or item.get("payableAmount") is None:
        return False
    payable = _amount(item["payableAmount"], "payableAmount", "invoices.incoming")
    return abs(payable - req.order.paid_total) <= amount_tolerance(req)


def returns_original(found: Any, original: ReturnOf) -> bool:
    """Whether an incoming invoice (GET answer) names ``original`` as the invoice it returns:
    its ``returnInvoiceNumber``, and its ``returnInvoiceDate`` (a calendar day) where both say."""
    general = found.get("generalInfoModel") if isinstance(found, dict) else None
    if not isinstance(general, dict) or not original.invoice_number:
        return False
    if general.get("returnInvoiceNumber") != original.invoice_number:
        return False
    raw = general.get("returnInvoiceDate")
    if original.issue_date is None or not isinstance(raw, str) or not raw:
        return True
    try:
        named = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return False
    # The day in Türkiye (GİB's calendar): midnight UTC and midnight İstanbul both name it.
    aware = named if named.tzinfo else named.replace(tzinfo=UTC)
    return aware.astimezone(TURKIYE).date() == original.issue_date
