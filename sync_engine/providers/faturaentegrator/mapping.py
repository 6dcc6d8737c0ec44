"""Pure mappings between sync-engine's order/invoice and FaturaEntegratör's payloads.

Amounts: FaturaEntegratör takes *net* unit prices and computes every amount itself, rounding
each line on its own (half-up): ``net = round(quantity × unit_price) − discount_amount``,
``VAT = round(net × rate)``. We cannot send totals, so we choose each line's net such that
the provider's own arithmetic lands on what the buyer paid, per VAT rate:

1. each line gets the net whose provider gross (net + its per-line VAT) equals the line's
   paid gross; some grosses are unreachable (at 20 % the gross jumps 12.02 → 12.04 when the
   net goes 10.02 → 10.03), then the net just below is taken;
2. the kuruş still missing in a rate group are recovered by moving single lines' nets by one
   kuruş (greedy, then one pair), without touching free lines.

What cannot be expressed (e.g. a single 20 % line paid 12.03) stays at most 0.01 per VAT rate
and is reported by ``rounding_difference`` (the pipeline records it on the job, DESIGN §7).
The unit price carries 8 decimals so that ``round(quantity × unit_price)`` is the chosen
net plus the discount exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sync_engine.domain import ZERO, Buyer, BuyerKind, ComputedLine, PaymentMethod, round_kurus
from sync_engine.providers.base import (
    EDocumentState,
    InvoiceRef,
    InvoiceRequest,
    RemoteInvoice,
    SendState,
)

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.00000001")  # the provider accepts 8 decimals on unit prices
ISTANBUL = ZoneInfo("Europe/Istanbul")
# GİB's wording for a consumer who gave no name at all (nihai tüketici = end consumer).
ANONYMOUS_NAME = ("Nihai", "Tüketici")
# Assumption: the provider requires a district (ilçe); shops often send none. "Merkez" (the
# central district) is what Turkish invoicing tools print when the district is unknown.
UNKNOWN_DISTRICT = "Merkez"
PAIR_SEARCH_LIMIT = 100  # lines per VAT group; larger groups always have single-line moves

PAYMENT_METHODS: Mapping[PaymentMethod, str] = {
    PaymentMethod.CREDIT_CARD: "credit_or_debit",
    PaymentMethod.BANK_TRANSFER: "direct_transfer",
    PaymentMethod.CASH_ON_DELIVERY: "cash_on_delivery",
    PaymentMethod.PAYMENT_AGENT: "payment_agent",
    PaymentMethod.OTHER: "other",
}

# formal_status -> our send state (anymail's explicit table; unknown -> FAILED below).
# ``not_required`` means the provider will not formalize this invoice at all: calling it SENT
# would close the job with no GİB document, NOT_SENT would invite a send the provider refuses;
# FAILED puts it before an operator with the raw status.
FORMAL_STATUS: Mapping[str, SendState] = {
    "pending": SendState.NOT_SENT,
    "running": SendState.IN_PROGRESS,
    "completed": SendState.SENT,
    "failed": SendState.FAILED,
    "canceled": SendState.CANCELLED,
    "not_required": SendState.FAILED,
}


# -- customers ---------------------------------------------------------------------------


def person_names(buyer: Buyer) -> tuple[str, str]:
    """(name, surname): the provider requires both for a person."""
    first, last = buyer.first_name.strip(), buyer.last_name.strip()
    if first and last:
        return first, last
    words = (first or last or buyer.company_name.strip()).split()
    if len(words) >= 2:
        return " ".join(words[:-1]), words[-1]
    if words:
        return words[0], words[0]
    return ANONYMOUS_NAME


def customer_payload(buyer: Buyer) -> dict[str, Any]:
    address = buyer.address
    payload: dict[str, Any] = {"tax_number": buyer.tax_id}
    if buyer.kind is BuyerKind.COMPANY and len(buyer.tax_id) == 10:
        payload.update(type="company", tax_office=buyer.tax_office, title=buyer.company_name)
    else:
        # The provider ties the type to the digit count (person = 11-digit TCKN). A sole
        # proprietor (şahıs şirketi) invoices under the owner's TCKN, so it is a person here;
        # its trade name and tax office still travel as title and tax_office.
        name, surname = person_names(buyer)
        payload.update(type="person", name=name, surname=surname)
        if buyer.kind is BuyerKind.COMPANY:
            payload.update(tax_office=buyer.tax_office, title=buyer.company_name)
    district = address.district.strip() or UNKNOWN_DISTRICT
    payload.update(
        country=address.country.strip() or "Türkiye",
        # No street at all (digital goods): the district and city are the address we have.
        address=address.street.strip() or " / ".join(p for p in (address.district, address.city) if p),
        city=address.city,
        district=district,
    )
    optional = {"postcode": address.postal_code, "phone": buyer.phone, "email": buyer.email}
    payload.update({k: v.strip() for k, v in optional.items() if v and v.strip()})
    return payload


def customer_search_filters(buyer: Buyer) -> dict[str, str]:
    filters = {"filters[tax_number][$eq]": buyer.tax_id}
    if buyer.kind is BuyerKind.ANONYMOUS:
        # Every anonymous consumer shares 11111111111: narrow the list on the provider's side
        # by what tells them apart (customer_matches), or each lookup would page through all.
        if buyer.email.strip():
            filters["filters[email][$eqi]"] = buyer.email.strip()
        else:
            name, surname = person_names(buyer)
            filters["filters[name][$eqi]"] = name
            filters["filters[surname][$eqi]"] = surname
    return filters


def _fold(value: object) -> str:
    return str(value or "").strip().casefold()


def customer_matches(buyer: Buyer, record: Mapping[str, Any]) -> bool:
    """Whether a listed customer is this buyer.

    Identified buyers are their tax number. Every anonymous consumer shares 11111111111 and
    the provider has no code field to tell them apart (DESIGN §7 uses a code elsewhere), so
    assumption: the same anonymous buyer is the same e-mail (case-insensitive), else the same
    name, surname, address and city as we would send them.
    """
    if str(record.get("tax_number")) != buyer.tax_id:
        return False
    if buyer.kind is not BuyerKind.ANONYMOUS:
        return True
    if buyer.email.strip():
        return _fold(record.get("email")) == _fold(buyer.email)
    ours = customer_payload(buyer)
    return not record.get("email") and all(
        _fold(record.get(k)) == _fold(ours.get(k)) for k in ("name", "surname", "address", "city")
    )


# -- invoice amounts ---------------------------------------------------------------------


def provider_line_net(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    return round_kurus(quantity * unit_price) - discount


def provider_line_total(quantity: Decimal, unit_price: Decimal, discount: Decimal, vat_rate: Decimal) -> Decimal:
    """The provider's per-line arithmetic (gross of one line), as we understand it."""
    net = provider_line_net(quantity, unit_price, discount)
    return net + round_kurus(net * vat_rate / HUNDRED)


def _gross(net: Decimal, rate: Decimal) -> Decimal:
    return net + round_kurus(net * rate / HUNDRED)


def _best_net(gross: Decimal, rate: Decimal, hint: Decimal) -> Decimal:
    if _gross(hint, rate) == gross:
        return hint
    base = round_kurus(gross * HUNDRED / (HUNDRED + rate))
    # gross(n) is within half a kuruş of n(1 + r): any exact n lies within a kuruş of base.
    candidates = [base + k * CENT for k in (-2, -1, 0, 1, 2) if base + k * CENT >= 0]
    exact = [n for n in candidates if _gross(n, rate) == gross]
    if exact:
        return min(exact, key=lambda n: (abs(n - hint), n))
    below = [n for n in candidates if _gross(n, rate) < gross]
    return max(below) if below else min(candidates)


@dataclass
class _Slot:
    line: ComputedLine
    target: Decimal  # the line's gross as the buyer paid it
    net: Decimal


def _moves(slots: list[_Slot], rate: Decimal) -> list[tuple[int, Decimal, Decimal]]:
    """(slot, new net, gross change) for every one-kuruş move of a paid line."""
    out = []
    for i, s in enumerate(slots):
        if s.target == ZERO:
            continue  # never put a price on a free line to absorb someone else's kuruş
        for step in (CENT, -CENT):
            net = s.net + step
            if net >= 0:
                out.append((i, net, _gross(net, rate) - _gross(s.net, rate)))
    return out


def _fit_group(slots: list[_Slot], rate: Decimal) -> None:
    for s in slots:
        s.net = _best_net(s.target, rate, s.line.net_amount)
    missing = sum((s.target for s in slots), ZERO) - sum((_gross(s.net, rate) for s in slots), ZERO)
    for _ in range(2 * len(slots) + 4):
        if missing == 0:
            return
        best: tuple[tuple[Decimal, Decimal, int], int, Decimal, Decimal] | None = None
        for i, net, delta in _moves(slots, rate):
            left = abs(missing - delta)
            if left >= abs(missing):
                continue
            key = (left, abs(_gross(net, rate) - slots[i].target), i)
            if best is None or key < best[0]:
                best = (key, i, net, delta)
        if best is None:
            break
        _, i, net, delta = best
        slots[i].net = net
        missing -= delta
    if missing != 0 and len(slots) <= PAIR_SEARCH_LIMIT:
        # One kuruş left and no single move gives exactly one: a two-kuruş step up on one
        # line with a one-kuruş step down on another can.
        moves = _moves(slots, rate)
        for i, net_i, delta_i in moves:
            for j, net_j, delta_j in moves:
                if i != j and delta_i + delta_j == missing:
                    slots[i].net, slots[j].net = net_i, net_j
                    return


def _price(value: Decimal) -> Decimal:
    price = value.quantize(PRICE_PLACES, rounding=ROUND_HALF_UP).normalize()
    return price if -price.as_tuple().exponent >= 2 else price.quantize(CENT)  # type: ignore[operator]


def invoice_lines(req: InvoiceRequest) -> list[dict[str, Any]]:
    lines = req.invoice.lines
    slots = [_Slot(cl, cl.gross_amount, cl.net_amount) for cl in lines]
    by_rate: dict[Decimal, list[_Slot]] = {}
    for s in slots:
        by_rate.setdefault(s.line.vat_rate, []).append(s)
    for rate, group in by_rate.items():
        _fit_group(group, rate)
    out: list[dict[str, Any]] = []
    for s in slots:
        line = s.line.line
        discount = s.line.discount_net
        item: dict[str, Any] = {
            "name": line.name,
            "quantity": line.quantity,
            "unit": line.unit_code,
            "unit_price": _price((s.net + discount) / line.quantity),
            "vat_rate": line.vat_rate,
        }
        if line.sku:
            item["code"] = line.sku
        if discount > 0:
            item["discount_amount"] = discount
        if line.vat_rate == 0 and line.vat_exemption_code:
            item["vat_exemption_code"] = line.vat_exemption_code
        out.append(item)
    return out


def provider_total(lines: list[dict[str, Any]]) -> Decimal:
    return sum(
        (
            provider_line_total(
                line["quantity"], line["unit_price"], line.get("discount_amount", ZERO), line["vat_rate"]
            )
            for line in lines
        ),
        ZERO,
    )


def rounding_difference(req: InvoiceRequest) -> Decimal:
    """Our invoice total minus the total the provider will compute from our lines.

    Zero whenever the paid amounts can be expressed in the provider's per-line rounding; at
    most 0.01 per VAT rate otherwise. Positive: the provider's invoice is below what we
    computed (for a consistent order, what the buyer paid).
    """
    return req.invoice.grand_total - provider_total(invoice_lines(req))


# -- invoice payload ---------------------------------------------------------------------


def _local_date(value: datetime | None, fallback: date) -> date:
    if value is None:
        return fallback
    return value.astimezone(ISTANBUL).date() if value.tzinfo else value.date()


def invoice_payload(
    req: InvoiceRequest, customer_id: str, *, sale_channel_id: int | str, invoice_integration_id: int | str
) -> dict[str, Any]:
    order, settings = req.order, req.settings
    internet_sale: dict[str, Any] = {
        "website": settings.website,
        "carrier_name": order.shipment.carrier_name or settings.carrier_name,
        "carrier_tax_number": order.shipment.carrier_vkn or settings.carrier_vkn,
        "shipment_date": _local_date(order.shipment.date, req.issue_date).isoformat(),
    }
    if order.payment.platform:
        internet_sale["payment_platform"] = order.payment.platform
    payload: dict[str, Any] = {
        "customer": {"id": int(customer_id) if customer_id.isdigit() else customer_id},
        "sale_channel_id": sale_channel_id,
        "invoice_integration_id": invoice_integration_id,
        # The provider has no client-chosen invoice id; order_id carries our idempotency
        # key (unique per invoice, returns included) so find_invoice can search for it,
        # and the description carries what a person searches for (order name and id).
        "order_id": req.idempotency_key,
        "description": req.reference,
        "type": "SATIS",
        "currency": order.currency,
        "issue_date": req.issue_date.isoformat(),
        "payment_method": PAYMENT_METHODS[order.payment.method],
        "payment_date": _local_date(order.payment.date or order.created_at, req.issue_date).isoformat(),
        # Sent for every invoice: the provider picks e-Arşiv or e-Fatura itself at
        # formalize time and ignores these for an e-Fatura.
        "internet_sale": internet_sale,
        "lines": invoice_lines(req),
    }
    if order.note.strip():
        payload["note"] = order.note.strip()[:1000]
    return payload


# -- answers -----------------------------------------------------------------------------


def send_state(formal_status: object) -> SendState:
    # An unknown status must never read as "not sent" (that would permit a second send).
    return FORMAL_STATUS.get(str(formal_status), SendState.FAILED)


def edocument_state(invoice: Mapping[str, Any]) -> EDocumentState:
    status = invoice.get("formal_status")
    return EDocumentState(
        state=send_state(status),
        gib_uuid=invoice.get("uuid") or None,
        invoice_number=invoice.get("invoice_number") or None,
        raw_status=None if status is None else str(status),
    )


def invoice_ref(invoice: Mapping[str, Any]) -> InvoiceRef:
    return InvoiceRef(
        invoice_id=str(invoice["id"]),
        ettn=invoice.get("uuid") or None,
        invoice_number=invoice.get("invoice_number") or None,
    )


def remote_invoice(invoice: Mapping[str, Any]) -> RemoteInvoice:
    issue = invoice.get("issue_date")
    total = invoice.get("grand_total")
    state = send_state(invoice.get("formal_status"))
    return RemoteInvoice(
        invoice_id=str(invoice["id"]),
        ettn=invoice.get("uuid") or None,
        invoice_number=invoice.get("invoice_number") or None,
        order_ref=invoice.get("order_id") or None,
        issue_date=date.fromisoformat(issue) if isinstance(issue, str) else None,
        total=Decimal(str(total)) if total is not None else None,
        sent=state in (SendState.SENT, SendState.IN_PROGRESS, SendState.CANCELLED),
        journaled=None,
    )
