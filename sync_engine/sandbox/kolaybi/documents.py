"""Invoices, their GİB e-document life cycle, and proformas.

Every request has passed its declarative contract (``contract.py``) before these handlers
run; what stays here needs the books (ids that exist, statuses, repeats).

Documented rules (002, 003): e-document create needs a ``ready_to_send`` invoice and a
``receiver_email``, is irreversible and answers the GİB ``uuid``; a proforma needs a valid
cari, address, products and Y-m-d dates and is valid 30 days unless ``due_date`` says so.

Assumptions where the documents are silent (each also marked below):
* an invoice is saved ``ready_to_send`` when it is complete, else ``draft``: a 0 % VAT item
  without ``vat_exemption_reason_code`` leaves it a draft (GİB needs the exemption code);
* e-Fatura or e-Arşiv is KolayBi's own choice, from GİB's registered-user list on the
  associate's identity number; a ``document_scenario`` (an e-Fatura scenario) for a buyer
  who is not registered is refused — the wrong choice GİB would reject;
* the GİB number (prefix + year of ``order_date`` + 9 digits) is assigned at sending; the
  prefix is the invoice's 3-character ``serial_no``, else the company's configured series;
* GİB answers on the sandbox clock: ``sent`` becomes ``approved`` one status step later;
  ``rejected`` happens only when a test says so (``KolayBiSimulator.reject``);
* only a sent or approved e-Arşiv can be cancelled; an e-Fatura is answered with a return
  invoice instead, never cancelled; an invoice can be deleted only before sending;
* a ``sale_return_invoice`` names the sale it returns in ``return_invoice_references`` (GİB
  number ``serial_no`` + ``issue_date``); each must be a sale invoice of the company that
  was sent to GİB (``sent`` / ``approved``), of that date — else it is refused;
* the list endpoint filters ``min_issue_date`` / ``max_issue_date`` (inclusive, on
  ``order_date``, named as on KolayBi's e-document list), ``status``, and ``search`` (a
  case-insensitive substring of ``description`` or ``no``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sync_engine.sandbox.tax_ids import ANONYMOUS_TCKN
from sync_engine.sandbox.kolaybi import fields
from sync_engine.sandbox.kolaybi.books import NAME, Books, paginate
from sync_engine.sandbox.kolaybi.records import (
    APPROVED,
    CANCELLED,
    DRAFT,
    E_ARCHIVE,
    E_INVOICE,
    READY,
    SENT,
    ZERO,
    Account,
    Address,
    Associate,
    Invoice,
    Item,
    Proforma,
    kurus,
    totals,
)

INVOICE_TYPES = frozenset({"sale_invoice", "sale_return_invoice"})
SCENARIOS = frozenset({"TEMELFATURA", "TICARIFATURA", "ILAC_TIBBICIHAZ"})
DOCUMENT_TYPES = frozenset({"SATIS", "IADE", "ISTISNA", "TEVKIFAT", "OZELMATRAH", "IHRACKAYITLI"})
PAYMENT_TYPES = frozenset({"credit-card", "bank-transfer", "pay-at-door", "payment-platform"})
# Assumed bound: the correction absorbs rounding, it must not re-price the invoice.
MAX_CORRECTION = Decimal("1.00")
VAT_REFORM = date(2023, 7, 10)  # 8 % and 18 % became 10 % and 20 %
_SERIES = re.compile(r"[A-Z0-9]{3}")
Answer = tuple[int, dict[str, Any]]


def _items(books: Books, account: Account, form: Mapping[str, Any]) -> list[Item]:
    items = []
    for i, record in enumerate(fields.records(form, "items", required=True)):
        where = f"items.{i}."
        product_id = fields.integer(record, "product_id", required=True, where=where)
        product = books.product(account, product_id, f"{where}product_id")
        quantity = fields.decimal(record, "quantity", required=True, places=8, where=where)
        unit_price = fields.decimal(
            record, "unit_price", required=True, places=8, minimum=ZERO, where=where
        )
        rate = fields.vat_rate(record, "vat_rate", required=True, where=where)
        discount = fields.decimal(
            record, "discount_amount", places=2, minimum=ZERO, where=where
        ) or ZERO
        assert quantity is not None and unit_price is not None and rate is not None
        if quantity <= 0:
            raise fields.invalid(f"{where}quantity must be greater than 0")
        if discount > kurus(quantity * unit_price):
            raise fields.invalid(f"{where}discount_amount exceeds quantity × unit_price")
        items.append(Item(
            id=books.next_id("item"), product_id=product.id, quantity=quantity,
            unit_price=unit_price, vat_rate=rate, discount_amount=discount,
            description=fields.text(record, "description", max_len=255, where=where),
        ))
    return items


def _party(books: Books, account: Account, form: Mapping[str, Any]) -> tuple[Associate, Address]:
    contact_id = fields.integer(form, "contact_id", required=True)
    associate = books.associate(account, contact_id, "contact_id")
    address_id = fields.integer(form, "address_id", required=True)
    address = next((a for a in associate.addresses if a.id == address_id), None)
    if address is None:
        raise fields.invalid(
            f"address_id: address {address_id} does not belong to associate {associate.id}"
        )
    return associate, address


def _internet_sale(form: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    sale = fields.mapping(form, "internet_sale")
    shipment = fields.mapping(form, "internet_sale_shipment")
    if sale is not None:
        w = "internet_sale."
        fields.url(sale, "url", required=True, where=w)
        kind = fields.choice(sale, "payment_type", PAYMENT_TYPES, required=True, where=w)
        fields.text(sale, "payment_platform", required=kind == "payment-platform", where=w)
        fields.loose_date(sale, "payment_date", required=True, where=w)
        if shipment is None:
            # GİB: an internet sale on e-Arşiv names its carrier and shipping date.
            raise fields.invalid("internet_sale_shipment is required for an internet sale")
    if shipment is not None:
        w = "internet_sale_shipment."
        company = fields.text(shipment, "carrier_company", where=w)
        person = fields.text(shipment, "carrier_person", where=w)
        if not company and not person:
            raise fields.invalid(f"{w}carrier_company or {w}carrier_person is required")
        if company:
            vkn = fields.text(
                shipment, "carrier_company_tax_number", required=True, max_len=11, where=w
            ) or ""
            if not vkn.isdigit() or len(vkn) not in (10, 11):
                raise fields.invalid(f"{w}carrier_company_tax_number must be 10 or 11 digits")
        fields.loose_date(shipment, "carrier_date", required=True, where=w)
    return sale, shipment


def _return_references(
    books: Books, account: Account, form: Mapping[str, Any], kind: str
) -> list[dict[str, Any]]:
    """The sent sale invoices a return names (GİB: a return references its original)."""
    references = fields.records(form, "return_invoice_references")
    if kind != "sale_return_invoice":
        return references
    if not references:
        raise fields.invalid("sale_return_invoice için return_invoice_references zorunludur")
    for i, ref in enumerate(references):
        where = f"return_invoice_references.{i}."
        serial = fields.text(ref, "serial_no", required=True, max_len=255, where=where)
        issued = fields.iso_date(ref, "issue_date", required=True, where=where)
        sale = next((inv for inv in books.company_invoices(account) if inv.no == serial), None)
        if sale is None or sale.type != "sale_invoice":
            raise fields.invalid(f"{where}serial_no: {serial} numaralı satış faturası bulunamadı")
        if sale.uuid is None or sale.status not in (SENT, APPROVED):
            raise fields.invalid(
                f"{where}serial_no: {serial} GİB'e gönderilmiş bir fatura değil (durum: {sale.status})"
            )
        if issued != sale.order_date:
            raise fields.invalid(f"{where}issue_date: {serial} faturasının tarihi {sale.order_date.isoformat()}")
    return references


def create_invoice(books: Books, account: Account, form: Mapping[str, Any]) -> Answer:
    associate, address = _party(books, account, form)
    order_date = fields.iso_date(form, "order_date", required=True)
    currency = fields.choice(form, "currency", fields.CURRENCIES, required=True)
    items = _items(books, account, form)
    serial_no = fields.text(form, "serial_no", max_len=3)
    if serial_no is not None and not _SERIES.fullmatch(serial_no):
        raise fields.invalid("serial_no must be the 3-character GİB series (A-Z, 0-9)")
    correction = fields.decimal(form, "subtotal_correction_amount") or ZERO
    if abs(correction) > MAX_CORRECTION:
        raise fields.invalid(f"subtotal_correction_amount may be at most ±{MAX_CORRECTION}")
    document_type = fields.choice(form, "document_type", DOCUMENT_TYPES)
    exemption = fields.text(form, "vat_exemption_reason_code", max_len=10)
    if document_type == "ISTISNA" and not exemption:
        raise fields.invalid("vat_exemption_reason_code is required when document_type is ISTISNA")
    order_reference = fields.mapping(form, "order_reference")
    if order_reference is not None:
        fields.text(
            order_reference, "serial_no", required=True, max_len=100, where="order_reference."
        )
        fields.loose_date(order_reference, "issue_date", where="order_reference.")
    kind = fields.choice(form, "type", INVOICE_TYPES) or "sale_invoice"
    references = _return_references(books, account, form, kind)
    sale, shipment = _internet_sale(form)
    # Accepted for foreign-currency invoices; not modelled further (we only send TRY).
    fields.decimal(form, "exchange_rate", places=6, minimum=ZERO)
    assert order_date is not None and currency is not None
    inv = Invoice(
        id=books.next_id("invoice"), company_id=account.company_id,
        type=kind, return_invoice_references=references,
        contact_id=associate.id, address_id=address.id, order_date=order_date, currency=currency,
        items=items, serial_no=serial_no, due_date=fields.iso_date(form, "due_date"),
        description=fields.text(form, "description", max_len=1000),
        receiver_email=fields.email(form, "receiver_email"), correction=correction,
        document_scenario=fields.choice(form, "document_scenario", SCENARIOS),
        document_type=document_type, vat_exemption_reason_code=exemption,
        order_reference=order_reference, internet_sale=sale, internet_sale_shipment=shipment,
        status=DRAFT, created_at=books.now_iso(),
    )
    if totals(items, correction)[2] < 0:
        raise fields.invalid("the invoice total may not be negative")
    # Assumed completeness rule: GİB needs an exemption code for every 0 % line.
    complete = exemption is not None or all(i.vat_rate != 0 for i in items)
    inv.status = READY if complete else DRAFT
    books.invoices[inv.id] = inv
    books.state.ledger.record(
        NAME, "return_invoice_created" if references else "invoice_created", str(inv.id),
        description=inv.description, total=str(totals(items, correction)[2]), status=inv.status,
        **({"return_of": [r["serial_no"] for r in references]} if references else {}),
    )
    return 200, {"success": True, "data": inv.as_json()}


def get_invoice(books: Books, account: Account, document_id: int) -> Answer:
    return 200, {"success": True, "data": books.invoice(account, document_id).as_json()}


def list_invoices(books: Books, account: Account, params: Mapping[str, Any]) -> Answer:
    """``GET /invoices?type=`` (C [KD-inv-list]): the company's invoices of one type, oldest
    first (assumed order), with the documented ``pagination``."""
    kind = params.get("type") or None
    rows = [inv.as_json() for inv in books.company_invoices(account) if kind is None or inv.type == kind]
    return 200, paginate(rows, params)


def list_e_documents(books: Books, account: Account, params: Mapping[str, Any]) -> Answer:
    """``GET /e_document/invoices`` (C [KD-edlist]): the company's e-documents — invoices
    that reached GİB — filtered by the documented parameters. ``company_id`` must be the
    caller's company (assumed: another company's id is refused, not answered empty).
    Inbound documents (purchases) are not modelled: that list is empty."""
    company_id = fields.integer(params, "company_id", required=True)
    if company_id != account.company_id:
        raise fields.invalid(f"company_id {company_id} is not a company of this API key")
    start = fields.iso_date(params, "min_issue_date")
    end = fields.iso_date(params, "max_issue_date")
    low = fields.decimal(params, "min_total_amount", places=8)
    high = fields.decimal(params, "max_total_amount", places=8)
    document_id = fields.integer(params, "document_id")
    party = (params.get("party_name") or "").casefold()
    rows = []
    if params.get("direction") == "outbound":
        for inv in books.company_invoices(account):
            total = totals(inv.items, inv.correction)[2]
            associate = books.associates.get(inv.contact_id)
            name = f"{associate.name} {associate.surname}".casefold() if associate else ""
            if inv.uuid is None or (document_id is not None and inv.id != document_id):
                continue
            if (start and inv.order_date < start) or (end and inv.order_date > end):
                continue
            if (low is not None and total < low) or (high is not None and total > high):
                continue
            if party and party not in name:
                continue
            rows.append(inv.e_document_json(name))
    return 200, paginate(rows, params)


def list_companies(books: Books, account: Account, params: Mapping[str, Any]) -> Answer:
    """``GET /companies`` (C, referenced by [KD-resend]): the API key's company (one per
    key, assumed), with ``is_invoice_resendble`` as that document names it."""
    data = [{"id": account.company_id, "name": f"Şirket {account.company_id}",
             "is_invoice_resendble": False}]
    return 200, {"success": True, "data": data}


def delete_invoice(books: Books, account: Account, document_id: int) -> Answer:
    inv = books.invoice(account, document_id)
    if inv.uuid is not None or inv.status not in (DRAFT, READY):
        raise fields.invalid(f"Fatura GİB'e gönderildi ({inv.status}); silinemez")
    del books.invoices[inv.id]
    books.state.ledger.record(NAME, "invoice_deleted", str(inv.id))
    return 200, {"success": True, "message": "Fatura silindi", "data": {"document_id": inv.id}}


def _document_id(form: Mapping[str, Any]) -> int:
    document_id = fields.integer(form, "document_id", required=True)
    assert document_id is not None
    return document_id


def create_e_document(books: Books, account: Account, form: Mapping[str, Any]) -> Answer:
    inv = books.invoice(account, _document_id(form))
    if inv.uuid is not None:
        raise fields.invalid(
            f"Fatura zaten GİB'e gönderildi (uuid {inv.uuid}); tekrar gönderilemez"
        )
    if inv.status != READY:
        raise fields.invalid(f"Fatura durumu 'ready_to_send' olmalı (şu an: {inv.status})")
    if not inv.receiver_email:
        raise fields.invalid("E-fatura için receiver_email gerekli")
    if inv.order_date >= VAT_REFORM and any(i.vat_rate in (8, 18) for i in inv.items):
        raise fields.invalid("KDV %8 ve %18 10.07.2023 itibarıyla geçersiz (%10 / %20 kullanın)")
    identity = books.associates[inv.contact_id].identity_no
    aliases = [] if identity == ANONYMOUS_TCKN else books.state.gib.aliases(identity)
    if inv.document_scenario and not aliases:
        raise fields.invalid(
            f"Alıcı GİB e-Fatura kayıtlı kullanıcısı değil: {inv.document_scenario} senaryosu "
            "kullanılamaz, fatura e-Arşiv olarak gönderilmeli (document_scenario göndermeyin)"
        )
    prefix = form.get("prefix") or inv.serial_no or account.serial_prefix
    numbering = books.state.numbering
    inv.no = numbering.next(books.numbering_account(account), prefix, inv.order_date.year)
    inv.uuid = str(uuid.uuid4())
    inv.e_document_type = E_INVOICE if aliases else E_ARCHIVE
    inv.status = SENT
    inv.sent_at = books.state.clock.now()
    books.state.ledger.record(
        NAME, "gib_send", str(inv.id), uuid=inv.uuid, no=inv.no,
        document_type="e_fatura" if aliases else "e_arsiv", alias=aliases[0] if aliases else None,
    )
    return 200, {"success": True, "data": {"document_id": inv.id, "uuid": inv.uuid}}


def cancel_e_document(books: Books, account: Account, form: Mapping[str, Any]) -> Answer:
    inv = books.invoice(account, _document_id(form))
    if inv.uuid is None:
        raise fields.invalid("Fatura GİB'e gönderilmemiş; iptal edilecek e-Arşiv yok")
    if inv.e_document_type != E_ARCHIVE:
        raise fields.invalid("e-Fatura iptal edilemez: alıcıya iade faturası düzenlenmeli")
    if inv.status not in (SENT, APPROVED):
        raise fields.invalid(f"Yalnızca gönderilmiş e-Arşiv iptal edilebilir (şu an: {inv.status})")
    inv.status = CANCELLED
    books.state.ledger.record(NAME, "cancel", str(inv.id), uuid=inv.uuid, no=inv.no)
    data = {"document_id": inv.id, "uuid": inv.uuid, "status": CANCELLED}
    return 200, {"success": True, "data": data}


def create_proforma(books: Books, account: Account, form: Mapping[str, Any]) -> Answer:
    associate, address = _party(books, account, form)
    order_date = fields.iso_date(form, "order_date", required=True)
    currency = fields.choice(form, "currency", fields.CURRENCIES, required=True)
    items = _items(books, account, form)
    assert order_date is not None and currency is not None
    # Documented: valid 30 days unless due_date says otherwise.
    due_date = fields.iso_date(form, "due_date") or order_date + timedelta(days=30)
    if due_date < order_date:
        raise fields.invalid("due_date must be a date after or equal to order_date")
    proforma_id = books.next_id("proforma")
    serial_no = fields.text(form, "serial_no", max_len=50)
    proforma = Proforma(
        id=proforma_id, company_id=account.company_id,
        document_id=serial_no or f"PROF-{proforma_id:03d}",  # assumed default numbering
        contact_id=associate.id, address_id=address.id, order_date=order_date, due_date=due_date,
        currency=currency, description=fields.text(form, "description", max_len=1000),
        items=items, created_at=books.now_iso(),
    )
    books.proformas[proforma.id] = proforma
    books.state.ledger.record(
        NAME, "proforma_created", proforma.document_id, proforma_id=proforma.id
    )
    # The document's success answer has no "success" key: only "data".
    return 200, {"data": proforma.as_json()}
