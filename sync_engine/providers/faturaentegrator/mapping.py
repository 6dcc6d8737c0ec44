"""Pure mappings between sync-engine's order/invoice and FaturaEntegratör's payloads.

The invoice body is FACTS §2.2 field by field (C: the vendor's PHP, Odoo and n8n clients);
the constants are §2.3's enums (C). Fields no document names are not sent.

Amounts: FE takes *net* unit prices and computes every amount itself, rounding each line on
its own (I, as the sandbox models it: ``amount = round(quantity × unit_price)``,
``net = amount − discount``, ``VAT = round(net × tax_rate / 100)``). We cannot send totals,
so we choose each line's net such that FE's own arithmetic lands on what the buyer paid:

1. each line gets the net whose FE gross (net + its per-line VAT) equals the line's paid
   gross; some grosses are unreachable with one line (at 20 % the gross jumps 12.02 → 12.04
   when the net goes 10.02 → 10.03), then the net just below is taken;
2. the kuruş still missing in a rate group are recovered by moving single lines' nets by one
   kuruş (greedy, then one pair), never on free lines;
3. still short: a line of integral quantity ≥ 2 is split into two lines (n − 1 units and
   1 unit), whose two VAT roundings reach every gross, and the group is fitted again.

Each net is expressed exactly with a 2-decimal ``unit_price`` (rounded up) plus an
``amount`` line discount of the difference (documented fields; 2 decimals survive whatever
rounding FE applies to prices). What still cannot be reached (a single quantity-1 line at
20 % paid 12.03) shows as ``rounding_difference`` ≠ 0; FE's total read back after create is
then not the paid total and the pipeline stops (total_mismatch) before the GİB send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sync_engine.domain import ZERO, Buyer, BuyerKind, ComputedLine, LineKind, PaymentMethod, round_kurus
from sync_engine.providers.base import (
    EDocumentState,
    InvoiceRef,
    InvoiceRequest,
    RemoteInvoice,
    ReturnOf,
    SendState,
)
from sync_engine.providers.errors import OrderDataError, PermanentError

NAME = "faturaentegrator"
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ISTANBUL = ZoneInfo("Europe/Istanbul")
# GİB's wording for a consumer who gave no name at all (nihai tüketici = end consumer).
ANONYMOUS_NAME = ("Nihai", "Tüketici")
# I: seed 000 requires a district (ilçe); shops often send none. "Merkez" (the central
# district) is what Turkish invoicing tools print when the district is unknown.
UNKNOWN_DISTRICT = "Merkez"
PAIR_SEARCH_LIMIT = 100  # lines per VAT group; larger groups always have single-line moves
SPLIT_ATTEMPTS = 2  # lines split per VAT group at most (one always suffices when any splits)

INVOICE_TYPE_SALE = "SATIS"  # C §2.3 InvoiceType
INVOICE_TYPE_RETURN = "IADE"  # C §2.3 InvoiceType
# I: no FE document or client (PHP Resource/Invoice.php, Odoo, n8n) names how an IADE invoice
# references the sale it answers; Odoo sends even a credit note as SATIS with no reference.
# GİB's UBL needs the original's number and date (BillingReference; Turkcell's
# returnInvoiceNumber / returnInvoiceDate, FACTS §4.2), so they are sent under FE's own
# snake_case convention. The sandbox models the same names (sandbox/faturaentegrator).
RETURN_NUMBER_KEY = "return_invoice_number"
RETURN_DATE_KEY = "return_invoice_date"
DISCOUNT_AMOUNT = "amount"  # C §2.3 DiscountType
TAX_RATES = frozenset({0, 1, 8, 10, 18, 20})  # C §2.3 KDV
# C §2.3 ExemptionReason, the KDV codes (a 0 % line's exemption_code): 201–243, 301–343.
EXEMPTION_CODES = frozenset(str(c) for c in (*range(201, 244), *range(301, 344)))

PAYMENT_METHODS: Mapping[PaymentMethod, str] = {  # C §2.3 PaymentMethod
    PaymentMethod.CREDIT_CARD: "credit_or_debit",
    PaymentMethod.BANK_TRANSFER: "direct_transfer",
    PaymentMethod.CASH_ON_DELIVERY: "cash_on_delivery",
    PaymentMethod.PAYMENT_AGENT: "payment_agent",
    PaymentMethod.OTHER: "other",
}

# C §2.3 InvoiceFormalStatus → our send state; one table, read nowhere else. ``null`` (the
# key None): formalize never asked for. ``not_required`` means FE will not formalize this
# invoice at all: SENT would close the job with no GİB document, NOT_SENT would invite a send
# FE refuses, so it is FAILED before an operator with FE's message. Anything else is a
# PermanentError (``send_state``): an unknown status never reads as "not sent".
FORMAL_STATUS: Mapping[str | None, SendState] = {
    None: SendState.NOT_SENT,
    "pending": SendState.IN_PROGRESS,
    "running": SendState.IN_PROGRESS,
    "completed": SendState.SENT,
    "failed": SendState.FAILED,
    "not_required": SendState.FAILED,
    "canceled": SendState.CANCELLED,
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
    if not address.city.strip():
        # C seed 000: city (İl) is required; there is no honest default for it.
        raise OrderDataError(NAME, "customer.city", "FE requires the buyer's city (il); the order gives none")
    district = address.district.strip() or UNKNOWN_DISTRICT
    payload.update(
        country=address.country.strip() or "Türkiye",
        # No street at all (digital goods): the district and city are the address we have.
        address=address.street.strip() or " / ".join(p for p in (address.district, address.city) if p),
        city=address.city.strip(),
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


def fe_line(quantity: Decimal, unit_price: Decimal, discount: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(net, VAT) of one line as FE computes it (see the module docstring; I)."""
    net = round_kurus(quantity * unit_price) - discount
    return net, round_kurus(net * rate / HUNDRED)


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
    """One line of the FE invoice: an order line, or one part of a split order line."""

    line: ComputedLine
    quantity: Decimal
    target: Decimal  # the gross the buyer paid for these units
    hint: Decimal  # our own net for these units
    discount: Decimal  # the shop's discount on these units, net of VAT
    net: Decimal = ZERO


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


def _missing(slots: list[_Slot], rate: Decimal) -> Decimal:
    return sum((s.target for s in slots), ZERO) - sum((_gross(s.net, rate) for s in slots), ZERO)


def _fit(slots: list[_Slot], rate: Decimal) -> Decimal:
    """Choose every slot's net; return the kuruş FE's total still misses (0 when exact)."""
    for s in slots:
        s.net = _best_net(s.target, rate, s.hint)
    missing = _missing(slots, rate)
    for _ in range(2 * len(slots) + 4):
        if missing == 0:
            return missing
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
                    return ZERO
    return missing


def _split(slot: _Slot) -> tuple[_Slot, _Slot]:
    """n units → (n − 1 units, 1 unit), each with its share of the paid gross."""
    q = slot.quantity
    share = (q - 1) / q
    first = replace(
        slot, quantity=q - 1, target=round_kurus(slot.target * share), hint=round_kurus(slot.hint * share),
        discount=round_kurus(slot.discount * share),
    )
    last = replace(
        slot, quantity=Decimal(1), target=slot.target - first.target, hint=slot.hint - first.hint,
        discount=slot.discount - first.discount,
    )
    return first, last


def _splittable(slot: _Slot) -> bool:
    return slot.quantity >= 2 and slot.quantity == slot.quantity.to_integral_value() and slot.target > 0


def _fit_group(slots: list[_Slot], rate: Decimal) -> list[_Slot]:
    missing = _fit(slots, rate)
    for _ in range(SPLIT_ATTEMPTS):
        if missing == 0:
            break
        candidates = [i for i, s in enumerate(slots) if _splittable(s)]
        if not candidates:
            break
        i = max(candidates, key=lambda k: (slots[k].target, -k))
        slots = [*slots[:i], *_split(slots[i]), *slots[i + 1:]]
        missing = _fit(slots, rate)
    return slots


def _price_and_discount(slot: _Slot) -> tuple[Decimal, Decimal]:
    """A 2-decimal unit price (rounded up) and the amount discount that make FE's
    ``round(quantity × unit_price) − discount`` exactly the slot's net."""
    listed = slot.net + slot.discount
    price = (listed / slot.quantity).quantize(CENT, rounding=ROUND_CEILING) if slot.quantity else ZERO
    return price, round_kurus(slot.quantity * price) - slot.net


def _slots(req: InvoiceRequest) -> list[_Slot]:
    lines = req.invoice.lines
    by_rate: dict[Decimal, list[_Slot]] = {}
    order: list[tuple[Decimal, int]] = []
    for cl in lines:
        group = by_rate.setdefault(cl.vat_rate, [])
        order.append((cl.vat_rate, len(group)))
        group.append(_Slot(cl, cl.quantity, cl.gross_amount, cl.net_amount, cl.discount_net))
    fitted = {rate: _fit_group(group, rate) for rate, group in by_rate.items()}
    # Back in the order's own line order, a split line's two parts side by side.
    out: list[_Slot] = []
    for cl in lines:
        out += [s for s in fitted[cl.vat_rate] if s.line is cl]
    return out


def _exemption_code(cl: ComputedLine, index: int) -> str:
    code = (cl.line.vat_exemption_code or "").strip()
    if code not in EXEMPTION_CODES:
        raise OrderDataError(
            NAME, f"lines[{index}].exemption_code",
            f"a 0 % line needs one of FE's KDV exemption codes (201–243, 301–343); the order "
            f"gives {code or 'none'!r}",
        )
    return code


def invoice_lines(req: InvoiceRequest) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in _slots(req):
        line = s.line.line
        rate = int(line.vat_rate) if line.vat_rate == line.vat_rate.to_integral_value() else None
        if rate not in TAX_RATES:
            raise OrderDataError(NAME, f"lines[{len(out)}].tax_rate", f"FE takes KDV 0/1/8/10/18/20, not {line.vat_rate}")
        price, discount = _price_and_discount(s)
        item: dict[str, Any] = {
            "name": line.name,
            "quantity": s.quantity,
            "unit": line.unit_code,
            "unit_price": price,
            "tax_rate": rate,
        }
        if line.sku:
            item["sku"] = line.sku
        if discount > 0:
            item.update(discount_type=DISCOUNT_AMOUNT, discount=discount)
        if rate == 0:
            item["exemption_code"] = _exemption_code(s.line, len(out))
        out.append(item)
    return out


def provider_total(lines: list[dict[str, Any]]) -> Decimal:
    """The invoice total FE computes from these lines (amount discounts, as we send them)."""
    total = ZERO
    for line in lines:
        net, vat = fe_line(line["quantity"], line["unit_price"], line.get("discount", ZERO), Decimal(line["tax_rate"]))
        total += net + vat
    return total


def rounding_difference(req: InvoiceRequest) -> Decimal:
    """Our invoice total minus the total FE will compute from our lines: zero whenever the
    paid amounts can be reached (see the module docstring), else at most 0.01 per VAT rate."""
    return req.invoice.grand_total - provider_total(invoice_lines(req))


# -- invoice payload ---------------------------------------------------------------------


def _local_date(value: datetime | None, fallback: date) -> date:
    if value is None:
        return fallback
    return value.astimezone(ISTANBUL).date() if value.tzinfo else value.date()


def _int_id(value: int | str) -> int | str:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def invoice_payload(
    req: InvoiceRequest, customer_id: str, *, sale_channel_id: int | str, invoice_integration_id: int | str
) -> dict[str, Any]:
    order, settings = req.order, req.settings
    payment_date = _local_date(order.payment.date or order.created_at, req.issue_date).isoformat()
    internet_sale: dict[str, Any] = {
        "web_address": settings.website,
        "payment_method": PAYMENT_METHODS[order.payment.method],
        "payment_date": payment_date,
    }
    if order.payment.platform.strip():
        internet_sale["payment_platform"] = order.payment.platform.strip()
    payload: dict[str, Any] = {
        "sale_channel_id": _int_id(sale_channel_id),
        "invoice_integration_id": _int_id(invoice_integration_id),
        "type": INVOICE_TYPE_SALE,
        # FE has no client-chosen invoice id; order_id carries our idempotency key (unique
        # per invoice, returns included) so find_invoice can search for it, and the
        # description carries what a person searches for (order name and id).
        "order_id": req.idempotency_key,
        "order_created_at": _local_date(order.created_at, req.issue_date).isoformat(),
        "description": req.reference,
        "currency": order.currency,
        "issue_date": req.issue_date.isoformat(),
        "payment_date": payment_date,
        # The stored cari's id plus the buyer as of this order (as the vendor's Odoo module
        # sends them): FE documents no customer update, so the invoice itself carries the
        # current name, address and contact details.
        "customer": {"id": _int_id(customer_id), **customer_payload(order.buyer)},
        "lines": invoice_lines(req),
        # Every order reaches us from a web shop: an internet sale (GİB e-Arşiv, §5.4). FE
        # picks e-Arşiv or e-Fatura itself at formalize time.
        "is_internet_sale": True,
        "internet_sale": internet_sale,
    }
    if any(cl.line.kind is LineKind.GOODS for cl in req.invoice.lines):
        # Goods travel: the carrier (the shop's own details when it delivers itself).
        shipment: dict[str, Any] = {
            "company_title": order.shipment.carrier_name or settings.carrier_name,
            "company_tax_number": order.shipment.carrier_vkn or settings.carrier_vkn,
            "delivery_date": _local_date(order.shipment.date, req.issue_date).isoformat(),
        }
        payload.update(is_need_shipment=True, shipment=shipment)
    return payload


def return_invoice_payload(
    req: InvoiceRequest, customer_id: str, original: ReturnOf, *, sale_channel_id: int | str,
    invoice_integration_id: int | str,
) -> dict[str, Any]:
    """The İADE invoice for what the refund gave back: the sale body of ``req`` (its order
    holds exactly the refunded lines, so the exact-totals fit lands on the refunded amount),
    typed IADE and referencing the formalized sale by its GİB number and date (I, see
    ``RETURN_NUMBER_KEY``)."""
    if not original.invoice_number or original.issue_date is None:
        raise PermanentError(
            f"the sale invoice {original.invoice_id} has no GİB number and date yet; a return "
            "can only reference a formalized invoice",
            provider=NAME, endpoint="invoices.create",
        )
    payload = invoice_payload(
        req, customer_id, sale_channel_id=sale_channel_id, invoice_integration_id=invoice_integration_id,
    )
    payload.update({
        "type": INVOICE_TYPE_RETURN,
        RETURN_NUMBER_KEY: original.invoice_number,
        RETURN_DATE_KEY: original.issue_date.isoformat(),
    })
    return payload


# -- answers -----------------------------------------------------------------------------


def send_state(formal_status: object) -> SendState:
    """FE's formal_status through the one table; an unknown one is a classified error (it
    must never read as "not sent", which would permit a second send)."""
    if formal_status is None or isinstance(formal_status, str):
        key = formal_status.strip().lower() if isinstance(formal_status, str) else None
        if key in FORMAL_STATUS:
            return FORMAL_STATUS[key]
    raise PermanentError(
        f"unknown formal_status {formal_status!r} (known: {', '.join(str(k) for k in FORMAL_STATUS)})",
        provider=NAME, endpoint="invoices.formal_status",
    )


def _message(invoice: Mapping[str, Any], envelope: Mapping[str, Any] | None) -> str | None:
    # I: FE's text for a failed formalization is not named; read every plausible place.
    for key in ("formal_message", "formal_status_message", "error_message", "message"):
        value = invoice.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    value = (envelope or {}).get("message")
    return value.strip() if isinstance(value, str) and value.strip() else None


def edocument_state(invoice: Mapping[str, Any], envelope: Mapping[str, Any] | None = None) -> EDocumentState:
    status = invoice.get("formal_status")
    state = send_state(status)
    return EDocumentState(
        state=state,
        gib_uuid=_ettn(invoice),
        invoice_number=invoice.get("invoice_number") or None,
        raw_status=None if status is None else str(status),
        message=_message(invoice, envelope) if state in (SendState.FAILED, SendState.CANCELLED) else None,
    )


def _ettn(invoice: Mapping[str, Any]) -> str | None:
    # I: the ETTN's key is not documented; GİB's UBL calls it UUID, clients say ettn.
    for key in ("uuid", "ettn", "formal_uuid"):
        value = invoice.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def total_of(invoice: Mapping[str, Any]) -> Decimal:
    """FE's payable total (C §2.4 ``total``; I: a number or a "12.30" string). Missing or
    unreadable is an error: the pipeline must compare it with the paid total before GİB."""
    value = invoice.get("total")
    if value is not None and not isinstance(value, bool):
        try:
            total = Decimal(str(value).strip())
        except ArithmeticError:
            total = None
        if total is not None and total.is_finite():
            return round_kurus(total)
    raise PermanentError(
        f"FE's invoice answer has no readable data.total ({value!r}); the total cannot be "
        "checked against the paid amount, so nothing is sent to GİB",
        provider=NAME, endpoint="invoices.total",
    )


def invoice_ref(invoice: Mapping[str, Any]) -> InvoiceRef:
    return InvoiceRef(
        invoice_id=str(invoice["id"]),
        ettn=_ettn(invoice),
        invoice_number=invoice.get("invoice_number") or None,
        total=total_of(invoice),
    )


def remote_invoice(invoice: Mapping[str, Any]) -> RemoteInvoice:
    issue = invoice.get("issue_date") or invoice.get("invoice_date")
    try:
        state: SendState | None = send_state(invoice.get("formal_status"))
    except PermanentError:
        state = None  # reconciliation reports it; it does not stop the listing
    return RemoteInvoice(
        invoice_id=str(invoice["id"]),
        ettn=_ettn(invoice),
        invoice_number=invoice.get("invoice_number") or None,
        order_ref=invoice.get("order_id") or None,
        issue_date=date.fromisoformat(issue[:10]) if isinstance(issue, str) else None,
        total=total_of(invoice) if invoice.get("total") is not None else None,
        sent=None if state is None else state in (SendState.SENT, SendState.IN_PROGRESS, SendState.CANCELLED),
        journaled=None,
    )
