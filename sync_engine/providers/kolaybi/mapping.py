"""Pure mappings between our orders and KolayBi's records (no I/O).

Amounts: KolayBi item prices are net of VAT and it computes each item as net =
round(quantity × unit price − discount), VAT = round(net × rate) (assumed from its invoice
screen; the simulator does the same). We send each line's net unit price with 8 places, so
KolayBi's item nets equal ours to the kuruş, and ``subtotal_correction_amount`` = paid total −
KolayBi's total, so the invoice total equals what the customer paid exactly (DESIGN §7).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sync_engine.domain import (
    ZERO,
    Address,
    Buyer,
    BuyerKind,
    ComputedInvoice,
    ComputedLine,
    InvoiceLine,
    LineKind,
    Order,
    PaymentMethod,
    round_kurus,
)
from sync_engine.providers.base import EDocumentState, InvoiceRequest, RemoteInvoice, SendState

SHIPPING_CODE = "KARGO"  # one service product for every shipping line
PRODUCT_CODE_MAX = 64
# GİB's customary name for a consumer who gave no name at all.
ANONYMOUS_NAME = ("Nihai", "Tüketici")
# Assumed: the district (ilçe) KolayBi requires, when the shop sent none, is the city centre.
DEFAULT_DISTRICT = "Merkez"
HUNDRED = Decimal(100)

# KolayBi's internet-sale payment types. It has no "other": such payments are reported as
# a payment platform named by the order (or "Diğer"), the closest truthful GİB category.
PAYMENT_TYPES: Mapping[PaymentMethod, str] = {
    PaymentMethod.CREDIT_CARD: "credit-card",
    PaymentMethod.BANK_TRANSFER: "bank-transfer",
    PaymentMethod.CASH_ON_DELIVERY: "pay-at-door",
    PaymentMethod.PAYMENT_AGENT: "payment-platform",
    PaymentMethod.OTHER: "payment-platform",
}

# KolayBi invoice status → whether GİB has it (anymail-style table; unknown handled below).
STATUS_STATES: Mapping[str, SendState] = {
    "draft": SendState.NOT_SENT,
    "ready_to_send": SendState.NOT_SENT,
    "sent": SendState.IN_PROGRESS,
    "approved": SendState.SENT,
    "rejected": SendState.FAILED,
    "cancelled": SendState.CANCELLED,
}


class MappingError(ValueError):
    """The order cannot be expressed as KolayBi wants it; the message says why."""


# --- associates (cari) ---------------------------------------------------------------------


def _person_names(buyer: Buyer) -> tuple[str, str]:
    first, last = buyer.first_name.strip(), buyer.last_name.strip()
    if not last and " " in first:
        first, _, last = first.rpartition(" ")
    if buyer.kind is BuyerKind.ANONYMOUS and not first and not last:
        return ANONYMOUS_NAME
    if len(first) < 2 or len(last) < 2:
        raise MappingError(
            f"KolayBi needs a first name and a surname of at least 2 characters each "
            f"(got {first!r} / {last!r})"
        )
    return first, last


def company_surname(title: str) -> str:
    """DESIGN §7: KolayBi wants a surname of ≥ 2 characters even for a company; we send the
    title's last word (e.g. "A.Ş."), or the whole title when no word is long enough."""
    for word in reversed(title.split()):
        if len(word) >= 2:
            return word
    return title.strip()


def address_payload(address: Address) -> dict[str, Any]:
    if not address.city.strip():
        raise MappingError("the buyer's address has no city (il); KolayBi needs city and district")
    return {
        "address": address.street or None,
        "city": address.city.strip(),
        "district": address.district.strip() or DEFAULT_DISTRICT,
        "country": address.country or "Türkiye",
        "postal_code": address.postal_code or None,
        "address_type": "invoice",
    }


def associate_payload(buyer: Buyer) -> dict[str, Any]:
    """``POST /associates`` body, with the invoice address inline (``addresses[city]`` …)."""
    payload: dict[str, Any]
    if buyer.kind is BuyerKind.COMPANY:
        title = buyer.company_name.strip()
        payload = {
            "name": title, "surname": company_surname(title), "is_corporate": True,
            "tax_office": buyer.tax_office.strip(),
        }
    else:
        name, surname = _person_names(buyer)
        payload = {"name": name, "surname": surname, "is_corporate": False}
    payload["identity_no"] = buyer.tax_id
    # Anonymous consumers all share 11111111111: the code keeps one cari per real buyer.
    payload["code"] = buyer.distinguishing_code
    payload["email"] = buyer.email.strip() or None
    payload["phone"] = buyer.phone.strip() or None
    payload["addresses"] = address_payload(buyer.address)
    return payload


def pick_associate(rows: Sequence[Mapping[str, Any]], buyer: Buyer) -> Mapping[str, Any] | None:
    """Our buyer among search results: same identity number and, for an anonymous consumer,
    the same code. An identified buyer's record without a code is preferred (ours), else any
    record of that identity the merchant keeps."""
    code = buyer.distinguishing_code
    same = [r for r in rows if str(r.get("identity_no")) == buyer.tax_id]
    if code is not None:
        return next((r for r in same if r.get("code") == code), None)
    return next((r for r in same if not r.get("code")), same[0] if same else None)


_ADDRESS_KEY = ("address", "city", "district")


def _address_key(values: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(values.get(k) or "").strip().casefold() for k in _ADDRESS_KEY)


def matching_address(
    addresses: Sequence[Mapping[str, Any]], wanted: Mapping[str, Any]
) -> int | None:
    """The id of an address of the cari equal to the order's (street, city, district)."""
    key = _address_key(wanted)
    return next((int(a["id"]) for a in addresses if _address_key(a) == key), None)


# --- products ------------------------------------------------------------------------------


def product_code(line: InvoiceLine) -> str:
    """The product's KolayBi code: the SKU; ``KARGO`` for shipping; for a line without SKU a
    stable code from its name, so the same unnamed item maps to one product every time."""
    if line.kind is LineKind.SHIPPING:
        return SHIPPING_CODE
    sku = line.sku.strip()
    if sku:
        if len(sku) > PRODUCT_CODE_MAX:
            raise MappingError(
                f"SKU {sku!r} is longer than KolayBi's {PRODUCT_CODE_MAX} characters"
            )
        return sku
    digest = hashlib.sha256(" ".join(line.name.casefold().split()).encode()).hexdigest()
    return "SE-" + digest[:12].upper()


def vat_percent(rate: Decimal) -> int:
    if rate != rate.to_integral_value():
        raise MappingError(f"VAT {rate}% is not a rate KolayBi accepts (0, 1, 10, 20)")
    return int(rate)


def product_payload(computed: ComputedLine, currency: str) -> dict[str, Any]:
    line = computed.line
    shipping = line.kind is LineKind.SHIPPING
    return {
        "name": "Kargo" if shipping else line.name.strip()[:255],
        "code": product_code(line),
        "product_type": "good" if line.kind is LineKind.GOODS else "service",
        "vat_rate": vat_percent(line.vat_rate),
        "price": computed.unit_price_net,
        "price_currency": currency,
    }


# --- invoices ------------------------------------------------------------------------------


def receiver_email(order: Order) -> str:
    """KolayBi refuses to send an invoice to GİB without ``receiver_email`` (document 002).
    There is no truthful fallback (the shop's own address would receive the buyer's invoice),
    so an order without the buyer's e-mail stops here, before anything is created."""
    email = order.buyer.email.strip()
    if not email:
        raise MappingError(
            "the buyer has no e-mail address: KolayBi requires receiver_email before an invoice "
            "can be sent to GİB; add the buyer's e-mail to the order and retry"
        )
    return email


def _item_amounts(computed: ComputedLine) -> tuple[Decimal, Decimal]:
    """(net unit price, net discount) as sent; KolayBi's item net then equals ours."""
    return computed.unit_price_net, computed.discount_net


def kolaybi_totals(lines: Sequence[ComputedLine]) -> tuple[Decimal, Decimal]:
    """(net, VAT) as KolayBi computes them from the items we send."""
    net_total = vat_total = ZERO
    for cl in lines:
        unit_price, discount = _item_amounts(cl)
        net = round_kurus(cl.quantity * unit_price - discount)
        net_total += net
        vat_total += round_kurus(net * cl.vat_rate / HUNDRED)
    return net_total, vat_total


def subtotal_correction(invoice: ComputedInvoice) -> Decimal:
    net, vat = kolaybi_totals(invoice.lines)
    return invoice.paid_total - net - vat


def _website(url: str) -> str:
    url = url.strip()
    return url if url.startswith(("http://", "https://")) else f"https://{url}"


def internet_sale(req: InvoiceRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """e-Arşiv internet-sale fields: website, payment type/platform/date, carrier.

    Sent on every invoice: KolayBi, not we, decides e-Fatura or e-Arşiv (from GİB's list), and
    an e-Arşiv internet sale without them is not lawful; on an e-Fatura they do not apply."""
    order, settings = req.order, req.settings
    payment = order.payment
    kind = PAYMENT_TYPES[payment.method]
    platform = payment.platform.strip() or ("Diğer" if kind == "payment-platform" else None)
    sale: dict[str, Any] = {
        "url": _website(settings.website),
        "payment_type": kind,
        "payment_platform": platform,
        "payment_date": (payment.date or order.created_at).date(),
    }
    shipment = {
        "carrier_company": order.shipment.carrier_name or settings.carrier_name,
        "carrier_company_tax_number": order.shipment.carrier_vkn or settings.carrier_vkn,
        "carrier_date": order.shipment.date.date() if order.shipment.date else req.issue_date,
    }
    return sale, shipment


def invoice_payload(
    req: InvoiceRequest, *, contact_id: int, address_id: int, product_ids: Mapping[str, int]
) -> dict[str, Any]:
    """``POST /invoices`` body. ``description`` is our reference: the idempotency search and
    reconciliation find the invoice by it (DESIGN §3 "search before create", §7)."""
    order = req.order
    items = []
    for cl in req.invoice.lines:
        unit_price, discount = _item_amounts(cl)
        item: dict[str, Any] = {
            "product_id": product_ids[product_code(cl.line)],
            "quantity": cl.quantity,
            "unit_price": unit_price,
            "vat_rate": vat_percent(cl.vat_rate),
            "description": cl.line.name.strip()[:255],
        }
        if discount:
            item["discount_amount"] = discount
        items.append(item)
    sale, shipment = internet_sale(req)
    payload: dict[str, Any] = {
        "contact_id": contact_id,
        "address_id": address_id,
        "order_date": req.issue_date,
        "currency": order.currency,
        # The store's 3-character GİB series: KolayBi numbers the invoice with it when sent.
        "serial_no": req.settings.prefix,
        "description": req.reference,
        "receiver_email": receiver_email(order),
        "order_reference": {"serial_no": order.order_name, "issue_date": order.created_at.date()},
        "items": items,
        "subtotal_correction_amount": subtotal_correction(req.invoice),
        "internet_sale": sale,
        "internet_sale_shipment": shipment,
    }
    codes = {cl.line.vat_exemption_code for cl in req.invoice.lines if cl.vat_rate == 0}
    if codes:
        if None in codes or len(codes) > 1:
            raise MappingError(
                "0 % VAT lines need one and the same exemption code (KolayBi takes one per invoice)"
            )
        payload["document_type"] = "ISTISNA"
        payload["vat_exemption_reason_code"] = codes.pop()
    return payload


# --- answers -------------------------------------------------------------------------------


def e_document_state(row: Mapping[str, Any]) -> EDocumentState:
    """GİB state of an invoice as ``GET /invoices/{id}`` shows it: a ``uuid`` and ``no`` mean
    it reached GİB, whatever the status says; an unknown status never reads as "not sent"."""
    status = row.get("status")
    uuid = row.get("uuid") or None
    number = row.get("no") or None
    state = STATUS_STATES.get(status) if isinstance(status, str) else None
    if state is SendState.NOT_SENT and (uuid or number):
        state = SendState.IN_PROGRESS
    if state is None:
        state = SendState.IN_PROGRESS if uuid and number else SendState.FAILED
    raw = status if isinstance(status, str) else None
    return EDocumentState(state, gib_uuid=uuid, invoice_number=number, raw_status=raw)


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def record_id(row: Mapping[str, Any]) -> str | None:
    """A record's id. FACTS §1.3 (I): invoice answers carry ``data.document_id`` ([K-net],
    [K-woo]); other records, and one client's mocks, ``data.id``. Either is read."""
    for key in ("document_id", "id"):
        value = row.get(key)
        if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def remote_invoice(row: Mapping[str, Any]) -> RemoteInvoice:
    order_date = row.get("order_date")
    total = row.get("total_amount", row.get("grand_total"))  # list/GET rows; the create answer (I)
    return RemoteInvoice(
        invoice_id=str(record_id(row)),
        ettn=row.get("uuid") or None,
        invoice_number=row.get("no") or None,
        order_ref=row.get("description") or None,
        issue_date=date.fromisoformat(order_date) if order_date else None,
        total=_decimal(total),
        sent=bool(row.get("uuid")),
        journaled=None,  # KolayBi has no journal step
    )
