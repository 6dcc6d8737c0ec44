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
from datetime import date, timedelta
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
from sync_engine.providers.base import (
    EDocumentState,
    InvoiceRequest,
    ProformaRef,
    RemoteInvoice,
    ReturnOf,
    SendState,
)

SHIPPING_CODE = "KARGO"  # one service product for every shipping line
PRODUCT_CODE_MAX = 64
# GİB's customary name for a consumer who gave no name at all.
ANONYMOUS_NAME = ("Nihai", "Tüketici")
# Assumed: the district (ilçe) KolayBi requires, when the shop sent none, is the city centre.
DEFAULT_DISTRICT = "Merkez"
HUNDRED = Decimal(100)
# InvoiceType (C [KD-inv-list]): what we create, and search among.
SALE_INVOICE = "sale_invoice"
SALE_RETURN_INVOICE = "sale_return_invoice"
# A return job's idempotency key (domain.keys.return_key): store:order:return:refund.
RETURN_KEY_MARK = ":return:"

# KolayBi's internet-sale payment types. It has no "other": such payments are reported as
# a payment platform named by the order (or "Diğer"), the closest truthful GİB category.
PAYMENT_TYPES: Mapping[PaymentMethod, str] = {
    PaymentMethod.CREDIT_CARD: "credit-card",
    PaymentMethod.BANK_TRANSFER: "bank-transfer",
    PaymentMethod.CASH_ON_DELIVERY: "pay-at-door",
    PaymentMethod.PAYMENT_AGENT: "payment-platform",
    PaymentMethod.OTHER: "payment-platform",
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


# What of the cari the legal invoice shows and KolayBi lets no API call change: FACTS §1.2
# documents create and search for associates, but no update. The address is the exception
# (``/address/create`` adds one); e-mail goes on the invoice itself (``receiver_email``).
FIXED_FIELDS = ("name", "surname", "tax_office")


_TURKISH_CASE = str.maketrans({"I": "ı", "İ": "i"})  # casefold alone maps I to i


def _folded(value: Any) -> str:
    return " ".join(str(value or "").split()).translate(_TURKISH_CASE).casefold()


def _same(a: Any, b: Any) -> bool:
    """Equal for a person reading the invoice: case (Turkish) and spacing aside."""
    return _folded(a) == _folded(b)


def unchangeable_differences(row: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """The fields of the cari KolayBi holds that differ from the order's and that no
    documented call can update: ``name`` / ``surname`` (a person; a company's title is its
    ``name``, the surname being ours, DESIGN §7) and a company's ``tax_office``."""
    fields = ("name", "tax_office") if wanted.get("is_corporate") else ("name", "surname")
    return [
        f"{f} (KolayBi has {row.get(f)!r}, the order {wanted.get(f)!r})"
        for f in fields if not _same(row.get(f), wanted.get(f))
    ]


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
        "name": "Kargo" if shipping else _fits(line.name, "product name"),
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


# Assumed (I): KolayBi's text columns are VARCHAR(255); a longer name is refused here, never cut.
TEXT_MAX = 255


def _fits(value: str, what: str) -> str:
    value = value.strip()
    if len(value) > TEXT_MAX:
        raise MappingError(f"{what} has {len(value)} characters, KolayBi takes {TEXT_MAX}")
    return value


def _items(lines: Sequence[ComputedLine], product_ids: Mapping[str, int]) -> list[dict[str, Any]]:
    """``items[i][product_id|quantity|unit_price|vat_rate|description|discount_amount]``
    (C [KD-inv-create], seed 003): the same item shape on invoices and proformas."""
    items = []
    for cl in lines:
        unit_price, discount = _item_amounts(cl)
        item: dict[str, Any] = {
            "product_id": product_ids[product_code(cl.line)],
            "quantity": cl.quantity,
            "unit_price": unit_price,
            "vat_rate": vat_percent(cl.vat_rate),
            "description": _fits(cl.line.name, f"item {cl.line.name[:40]!r} description"),
        }
        if discount:
            item["discount_amount"] = discount
        items.append(item)
    return items


def is_return(req: InvoiceRequest) -> bool:
    return RETURN_KEY_MARK in req.idempotency_key


def invoice_type(req: InvoiceRequest) -> str:
    return SALE_RETURN_INVOICE if is_return(req) else SALE_INVOICE


def invoice_reference(req: InvoiceRequest) -> str:
    """What the invoice's ``description`` carries and the idempotency search looks for: the
    order's reference, and for a return also which refund it documents (an order may be
    refunded more than once; each return is its own invoice)."""
    if not is_return(req):
        return req.reference
    refund = req.idempotency_key.rpartition(RETURN_KEY_MARK)[2]
    return f"İade {refund}: {req.reference}"


def invoice_payload(
    req: InvoiceRequest, *, contact_id: int, address_id: int, product_ids: Mapping[str, int]
) -> dict[str, Any]:
    """``POST /invoices`` body. ``description`` is our reference: the idempotency search and
    reconciliation find the invoice by it (DESIGN §3 "search before create", §7)."""
    order = req.order
    items = _items(req.invoice.lines, product_ids)
    sale, shipment = internet_sale(req)
    payload: dict[str, Any] = {
        "contact_id": contact_id,
        "address_id": address_id,
        "order_date": req.issue_date,
        "currency": order.currency,
        # The store's 3-character GİB series: KolayBi numbers the invoice with it when sent.
        "serial_no": req.settings.prefix,
        "description": invoice_reference(req),
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


def return_invoice_payload(
    req: InvoiceRequest, original: ReturnOf, *, contact_id: int, address_id: int,
    product_ids: Mapping[str, int],
) -> dict[str, Any]:
    """The return invoice for what the refund gave back (``req``'s order holds exactly the
    refunded lines): the sale body typed ``sale_return_invoice`` (C InvoiceType), referencing
    the sent sale by its GİB number and issue date in ``return_invoice_references[0]`` (I:
    the e-Belge names of [K-lara], FACTS §1.3). Sent to GİB with the sale's e-document call."""
    payload = invoice_payload(req, contact_id=contact_id, address_id=address_id, product_ids=product_ids)
    payload["type"] = SALE_RETURN_INVOICE
    payload["return_invoice_references"] = return_references(original)
    return payload


def return_references(original: ReturnOf) -> list[dict[str, Any]]:
    """``return_invoice_references[0][serial_no|issue_date]``: the sent sale's GİB number
    and date (a sale not sent has neither, and cannot be returned)."""
    if not original.invoice_number or original.issue_date is None:
        raise MappingError(
            f"the sale invoice {original.invoice_id} has no GİB number and date yet; a return "
            "references a sent invoice"
        )
    return [{"serial_no": original.invoice_number, "issue_date": original.issue_date}]


# --- proformas (seed 003) ------------------------------------------------------------------


def proforma_payload(
    req: InvoiceRequest, *, contact_id: int, address_id: int, product_ids: Mapping[str, int]
) -> dict[str, Any]:
    """``POST /proformas`` body, field by field from seed 003: the required five
    (``contact_id``, ``address_id``, ``order_date``, ``currency``, ``items``) and the optional
    ``serial_no``, ``due_date``, ``description``. No e-Belge fields: a proforma never goes
    to GİB. Items are the invoice's (same net unit prices and discounts), so KolayBi's total
    is the order's, save KolayBi's per-item VAT rounding (see ``proforma_items``); the
    pipeline checks the total it answers against the order's to the kuruş."""
    order = req.order
    payload: dict[str, Any] = {
        "contact_id": contact_id,
        "address_id": address_id,
        "order_date": req.issue_date,
        "currency": order.currency,
        "items": proforma_items(req.invoice, product_ids),
        # The shop's order name ("#2001") numbers the proforma the buyer pays against.
        "serial_no": order.order_name.strip() or None,
        "due_date": req.issue_date + timedelta(days=req.settings.proforma_due_days),
        # Our reference: the buyer sees which order it is, reconciliation and support find it.
        "description": f"Proforma {req.reference}",
    }
    return payload


# (I) Seed 003 names no correction field: the kuruş KolayBi's per-item VAT rounding leaves
# between its total and what the buyer owes is absorbed in one (or two) items' net unit
# price, each net moved by at most this many kuruş, so the proforma asks for the exact amount.
PROFORMA_SHIFT_MAX = 5
KURUS = Decimal("0.01")
UNIT_PLACES = Decimal("0.00000001")


def _kolaybi_item_total(quantity: Decimal, unit: Decimal, discount: Decimal, rate: Decimal) -> Decimal:
    net = round_kurus(quantity * unit - discount)
    return net + round_kurus(net * rate / HUNDRED)


def _moved_unit(amount: tuple[Decimal, Decimal, Decimal, Decimal], shift: int) -> Decimal | None:
    """The net unit price that moves the item's net by ``shift`` kuruş, or None."""
    quantity, unit, discount, _ = amount
    net = round_kurus(quantity * unit - discount) + shift * KURUS
    moved = ((net + discount) / quantity).quantize(UNIT_PLACES)
    if net <= 0 or round_kurus(quantity * moved - discount) != net:
        return None
    return moved


def proforma_items(invoice: ComputedInvoice, product_ids: Mapping[str, int]) -> list[dict[str, Any]]:
    """The invoice's items, with the net unit price of one item (or, when one cannot reach
    it, two of the largest) moved by a few kuruş when KolayBi's arithmetic (per-item VAT
    rounding) would otherwise total other than the paid amount; the smallest move first.
    When no move of at most ``PROFORMA_SHIFT_MAX`` kuruş reaches it, the items stay as they
    are and the pipeline's total check stops the job."""
    items = _items(invoice.lines, product_ids)
    amounts = [(cl.quantity, *_item_amounts(cl), cl.vat_rate) for cl in invoice.lines]
    totals = [_kolaybi_item_total(*a) for a in amounts]
    rest = invoice.paid_total - sum(totals, ZERO)
    if rest == 0:
        return items
    largest = sorted(range(len(amounts)), key=lambda i: -invoice.lines[i].net_amount)
    shifts = sorted((k for k in range(-PROFORMA_SHIFT_MAX, PROFORMA_SHIFT_MAX + 1) if k), key=abs)

    def change(i: int, shift: int) -> tuple[Decimal, Decimal] | None:
        moved = _moved_unit(amounts[i], shift)
        if moved is None:
            return None
        return moved, _kolaybi_item_total(amounts[i][0], moved, amounts[i][2], amounts[i][3]) - totals[i]

    for shift in shifts:
        for i in largest:
            one = change(i, shift)
            if one is not None and one[1] == rest:
                items[i]["unit_price"] = one[0]
                return items
    top = largest[:8]  # pairs among the largest items only: bounded work on a long order
    for size in range(2, 2 * PROFORMA_SHIFT_MAX + 1):
        for a in shifts:
            b = size - abs(a)
            if b <= 0:
                continue
            for b_signed in (b, -b):
                for i in top:
                    first = change(i, a)
                    if first is None:
                        continue
                    for j in top:
                        second = change(j, b_signed) if j != i else None
                        if second is not None and first[1] + second[1] == rest:
                            items[i]["unit_price"], items[j]["unit_price"] = first[0], second[0]
                            return items
    return items


# --- answers -------------------------------------------------------------------------------


class AnswerError(ValueError):
    """A KolayBi answer we cannot read; ``field`` names what was missing or unknown."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


# Invoice status (C FACTS §1.3 [KD-inv-list]) → GİB state. ``sent`` / ``approved`` are final
# only with a GİB uuid and number (see e_document_state); ``failed`` is not in the documented
# enum but public clients read it from the e-document list (I), so it is taken too.
STATUS_STATES: Mapping[str, SendState] = {
    "draft": SendState.NOT_SENT,
    "ready_to_send": SendState.NOT_SENT,
    "sent": SendState.SENT,
    "approved": SendState.SENT,
    "failed": SendState.FAILED,
    "rejected": SendState.FAILED,
    "cancelled": SendState.CANCELLED,
}
# Where GİB's (or KolayBi's) words for a failure or rejection may be (I: no document names the
# field; the first non-empty one is shown to the operator).
MESSAGE_KEYS = ("gib_message", "e_document_message", "status_message", "message", "error")


def _text(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value.strip() or None if isinstance(value, str) else None


def gib_number(row: Mapping[str, Any]) -> str | None:
    """The GİB invoice number: ``no`` ([K-net], [K-woo]; I), else ``invoice_no`` (I)."""
    return _text(row, "no") or _text(row, "invoice_no")


def _message(row: Mapping[str, Any]) -> str | None:
    for key in MESSAGE_KEYS:
        value = row.get(key)
        if isinstance(value, Mapping):
            value = value.get("message")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def e_document_state(row: Mapping[str, Any]) -> EDocumentState:
    """GİB state of an invoice as KolayBi shows it (``GET /invoices/{id}`` or the send answer).

    * ``sent`` / ``approved`` are SENT only with both a ``uuid`` and a GİB number (``no``):
      a draft may already carry a uuid (FACTS §1.3, a public client); with one of them
      missing the document is still on its way (IN_PROGRESS, polled, never resent);
    * ``draft`` / ``ready_to_send`` are NOT_SENT, unless a uuid or number is already there
      (then IN_PROGRESS: never a second send);
    * ``failed`` / ``rejected`` are FAILED with GİB's words; ``cancelled`` CANCELLED;
    * a status we do not know is an ``AnswerError`` naming ``status``, never "not sent"."""
    status = row.get("status")
    uuid, number = _text(row, "uuid"), gib_number(row)
    if not isinstance(status, str) or status not in STATUS_STATES:
        raise AnswerError(
            "status",
            f"KolayBi answered the invoice status {status!r}, which is none of "
            f"{', '.join(STATUS_STATES)}; not guessing whether GİB has it",
        )
    state = STATUS_STATES[status]
    if state is SendState.SENT and not (uuid and number):
        state = SendState.IN_PROGRESS
    elif state is SendState.NOT_SENT and (uuid or number):
        state = SendState.IN_PROGRESS
    message = _message(row) if state in (SendState.FAILED, SendState.CANCELLED) else None
    return EDocumentState(
        state, gib_uuid=uuid, invoice_number=number, raw_status=status, message=message
    )


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float | str):  # floats only from a caller's own parse
        try:
            return Decimal(str(value).strip())
        except ArithmeticError:
            return None
    return None


def record_id(row: Mapping[str, Any]) -> str | None:
    """An invoice's id. FACTS §1.3 (I): invoice answers carry ``data.document_id`` ([K-net],
    [K-woo]); [K-lara]'s mocks ``data.id``. Either is read; ``document_id`` first."""
    for key in ("document_id", "id"):
        value = row.get(key)
        if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def plain_id(row: Mapping[str, Any]) -> str | None:
    """A cari's, address's, product's or proforma's id: ``id`` (a proforma's
    ``document_id`` is its number, seed 003)."""
    value = row.get("id")
    if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()
    return None


def invoice_total(row: Mapping[str, Any]) -> Decimal | None:
    """The payable total: ``grand_total`` in the create answer ([K-net], [K-woo]; I),
    ``total_amount`` in list / get rows (as seed 003 names it for proformas; I)."""
    for key in ("grand_total", "total_amount"):
        total = _decimal(row.get(key))
        if total is not None:
            return total
    return None


def proforma_ref(row: Mapping[str, Any]) -> ProformaRef:
    """Seed 003's answer: ``id`` (Proforma ID), ``document_id`` (its number), ``total_amount``.
    Without an id or a total it is an ``AnswerError`` naming the field."""
    proforma_id = plain_id(row)
    if proforma_id is None:
        raise AnswerError("data.id", "the proforma answer carries no proforma id")
    total = _decimal(row.get("total_amount"))
    if total is None:
        raise AnswerError("data.total_amount", "the proforma answer carries no total")
    return ProformaRef(proforma_id, number=_text(row, "document_id"), total=total)


def _issue_date(row: Mapping[str, Any]) -> date | None:
    for key in ("order_date", "issue_date"):
        value = row.get(key)
        if isinstance(value, str) and len(value) >= 10:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                continue
    return None


def remote_invoice(row: Mapping[str, Any]) -> RemoteInvoice:
    """One invoice as KolayBi lists it (invoice rows or e-document rows, read liberally)."""
    uuid = _text(row, "uuid")
    return RemoteInvoice(
        invoice_id=str(record_id(row)),
        ettn=uuid,
        invoice_number=gib_number(row),
        order_ref=_text(row, "description"),
        issue_date=_issue_date(row),
        total=invoice_total(row),
        sent=bool(uuid),
        journaled=None,  # KolayBi has no journal step
    )
