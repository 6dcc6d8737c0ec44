"""The e-Fatura service: takes the whole invoice model (FACTS §4.2) and sends it to GİB as an
e-Arşiv (``/v2/earchive/create``) or e-Fatura (``/v1/outboxinvoice/create``), reports its
status on the sandbox clock (``/v2/{earchive|outboxinvoice}/{id}/status``), cancels e-Arşiv
invoices (only from 60), and answers GİB registered-user lookups.

The request shape is ``contract.EARCHIVE_CREATE`` / ``OUTBOX_CREATE`` (checked before these
handlers run). The stateful checks here:
* ASSUMPTION (I): the platform holds one document per ETTN across its modules, so the
  service's document is linked to the Muhasebe record of the same ETTN (the invoice list and
  muhasebeleştir see its GİB status); a send without that record is refused 404, and a body
  whose buyer or payable total disagrees with it is refused 400 (two copies of one ETTN that
  differ are an integration error that must fail loud).
* GİB's routing: a registered e-Fatura user gets an e-Fatura at one of their aliases,
  everyone else an e-Arşiv (FACTS §5.1); a second send of one ETTN is refused 409.
* A return (İade, ``generalInfoModel.type`` 2) goes to GİB as its Muhasebe record says:
  the same type and the same ``returnInvoiceNumber`` / ``returnInvoiceDate``, whose sale must
  still be returnable then (``InvoiceBook.check_return``); a sale record is not sent as an
  İade, nor an İade record as a sale.
* ``status`` 0 (Taslak) keeps a draft; 20 (Kaydet ve Gönder) numbers and sends it.
``{id}/status`` answers ``{id, invoiceNumber, status, message}`` (+ the envelope fields on the
e-Fatura side), as FACTS §4.2 gives it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.turkcell.common import NAME, Refusal, ettn as check_ettn, iso, timestamp
from sync_engine.sandbox.turkcell.invoices import (
    APPROVED,
    CANCELLED,
    DRAFT,
    E_ARSIV,
    E_FATURA,
    IADE,
    SATIS,
    Invoice,
    InvoiceBook,
    turkish_day,
)

SEND = 20
EARCHIVE, OUTBOX = "earchive", "outbox"
RECORD_TYPE = {EARCHIVE: E_ARSIV, OUTBOX: E_FATURA}
STATUS_TEXT = {
    0: "Taslak", 20: "Kuyrukta", 30: "Gönderim Bekliyor", 40: "Hata", 50: "GİB'e İletildi",
    60: "Onaylandı", 80: "Reddedildi", 100: "e-Arşiv İptal",
}
# GİB envelope codes (I FACTS §4.2) shown beside an e-Fatura's status.
ENVELOPE = {20: (1000, "kuyruğa eklendi"), 50: (1200, "zarf başarıyla işlendi"), 60: (1300, "başarıyla tamamlandı")}
EFATURA_APP_TYPE = "1"
TOTAL_TOLERANCE = Decimal("0.00")


class EFaturaService:
    def __init__(self, state: SandboxState, invoices: InvoiceBook, account: str) -> None:
        self.state = state
        self.invoices = invoices
        self.account = account  # numbering sequence owner (the simulated user)

    def create(self, kind: str, body: Any) -> dict[str, Any]:
        general, book = body["generalInfoModel"], body["addressBook"]
        key = check_ettn(general["ettn"], "generalInfoModel.ettn")
        inv = self.invoices.invoices.get(key)
        if inv is None:
            raise Refusal(404, f"Bu ETTN ile kaydedilmiş fatura bulunamadı: {key}")
        if inv.service_id is not None and inv.send_status == SEND:
            # GİB accepts a document once: a second send of the same ETTN is always refused.
            raise Refusal(409, f"Bu ETTN ile fatura daha önce gönderilmiş ({inv.invoice_number}); bir fatura iki kez gönderilemez.")
        if general["prefix"] != inv.prefix:
            raise Refusal(400, f"generalInfoModel.prefix Muhasebe kaydındaki ön ek ({inv.prefix}) ile aynı olmalıdır: {general['prefix']!r}")
        ident = book["identificationNumber"]
        if ident != inv.cari.identifier:
            raise Refusal(400, f"addressBook.identificationNumber ({ident}) bu ETTN'nin kaydındaki alıcı ({inv.cari.identifier}) ile aynı olmalıdır.")
        if inv.record_type != RECORD_TYPE[kind]:
            raise Refusal(400, f"Muhasebe kaydı {'e-Fatura' if inv.record_type == E_FATURA else 'e-Arşiv'}; bu servis ile gönderilemez.")
        registered = self.state.gib.is_registered(ident)
        alias = None
        if kind == OUTBOX:
            if not registered:
                raise Refusal(400, f"Alıcı ({ident}) e-Fatura mükellefi değil; e-Arşiv gönderilmelidir.")
            alias = book["alias"]
            if alias not in self.state.gib.aliases(ident):
                raise Refusal(400, f"addressBook.alias alıcının posta kutularından biri değil: {alias}")
        elif registered:
            raise Refusal(400, f"Alıcı ({ident}) e-Fatura mükellefi; e-Arşiv gönderilemez.")
        lines = body["invoiceLines"]
        payable = sum((Decimal(ln["lineAmount"]) + Decimal(ln["vatAmount"]) for ln in lines), Decimal("0.00"))
        if abs(payable - inv.totals["payableAmount"]) > TOTAL_TOLERANCE:
            raise Refusal(400, f"Gönderilen faturanın ödenecek tutarı ({payable}) bu ETTN'nin kaydındaki tutar ({inv.totals['payableAmount']}) ile aynı olmalıdır.")

        self._check_return(inv, general, payable)

        issue = timestamp(general, "issueDate", where="generalInfoModel.") or inv.issue_date
        inv.sent_body, inv.send_status = body, body["status"]
        inv.service_id = inv.service_id or str(uuid.uuid4())
        inv.service_kind, inv.target_alias = kind, alias
        if body["status"] == SEND:
            # GİB number year: the invoice's issue date (DESIGN §7).
            inv.invoice_number = self.state.numbering.next(self.account, inv.prefix, issue.year)
            inv.sent_at = self.state.clock.now()
            self.state.ledger.record(
                NAME, "gib_send", inv.ettn, gib_uuid=inv.ettn, document_type="e_fatura" if kind == OUTBOX else "e_arsiv",
                invoice_number=inv.invoice_number, service_id=inv.service_id, payable=str(payable),
                invoice_type="IADE" if inv.content["type"] == IADE else "SATIS",
            )
        # FACTS §4.2: the create answers {id, invoiceNumber}.
        return {"id": inv.service_id, "invoiceNumber": inv.invoice_number}

    def _check_return(self, inv: Invoice, general: dict[str, Any], payable: Decimal) -> None:
        where = "generalInfoModel."
        sent_type = general.get("type") or SATIS
        if sent_type != inv.content["type"]:
            raise Refusal(400, f"{where}type ({sent_type}) bu ETTN'nin Muhasebe kaydındaki tip ({inv.content['type']}) ile aynı olmalıdır.")
        if sent_type != IADE:
            return
        number = general.get("returnInvoiceNumber")
        named = timestamp(general, "returnInvoiceDate", where=where)
        if number != inv.content["returnInvoiceNumber"] or named is None or (
            turkish_day(named) != turkish_day(inv.content["returnInvoiceDate"])
        ):
            raise Refusal(400, f"{where}returnInvoiceNumber / returnInvoiceDate bu ETTN'nin Muhasebe kaydındaki iade bilgisi ({inv.content['returnInvoiceNumber']}) ile aynı olmalıdır.")
        # The sale may have changed since the save (cancelled, rejected): checked again now.
        self.invoices.check_return(inv.ettn, inv.cari.identifier, inv.content, payable)

    def _sent(self, kind: str, predicate: Any) -> Invoice | None:
        return next((i for i in self.invoices.invoices.values() if i.service_kind == kind and predicate(i)), None)

    def get_invoice(self, kind: str, query: Mapping[str, str]) -> dict[str, Any]:
        raw = query.get("guid")
        if not raw:
            raise Refusal(400, "guid alanı zorunludur.")
        key = check_ettn(raw, "guid")
        inv = self._sent(kind, lambda i: i.ettn == key)
        if inv is None:
            raise Refusal(404, f"Fatura bulunamadı: {key}", violation=False)
        return {
            "id": inv.service_id, "ettn": inv.ettn, "invoiceNumber": inv.invoice_number,
            "issueDate": iso(inv.issue_date), "recordType": inv.record_type,
        }

    def status(self, kind: str, service_id: str) -> dict[str, Any]:
        inv = self._sent(kind, lambda i: i.service_id == service_id)
        if inv is None:
            raise Refusal(404, f"Fatura bulunamadı: {service_id}", violation=False)
        code = self.invoices.status(inv)
        message = inv.forced_message if inv.forced_status is not None and inv.forced_message else STATUS_TEXT.get(code, "")
        answer: dict[str, Any] = {"id": inv.service_id, "invoiceNumber": inv.invoice_number, "status": code, "message": message}
        if kind == OUTBOX:
            envelope = ENVELOPE.get(code)
            answer.update(
                envelopeId=inv.service_id if code != DRAFT else None,
                envelopeStatus=envelope[0] if envelope else None,
                envelopeMessage=envelope[1] if envelope else None,
            )
        return answer

    def cancel_earchive(self, body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, list) or not body or not all(isinstance(x, str) for x in body):
            raise Refusal(400, "İstek gövdesi ETTN listesi olmalıdır.")
        targets: list[Invoice] = []
        for raw in body:
            key = check_ettn(raw)
            inv = self._sent(EARCHIVE, lambda i, key=key: i.ettn == key)
            if inv is None:
                raise Refusal(404, f"e-Arşiv fatura bulunamadı: {key}")
            code = self.invoices.status(inv)
            if code != APPROVED:
                raise Refusal(400, f"Sadece onaylanmış (60) e-Arşiv fatura iptal edilebilir; durum {code}: {key}")
            targets.append(inv)
        for inv in targets:
            inv.cancelled = True
            self.state.ledger.record(NAME, "cancel", inv.ettn, invoice_number=inv.invoice_number)
        return [{"ettn": inv.ettn, "status": CANCELLED} for inv in targets]

    # --- GİB registered users -------------------------------------------------------------

    def is_user(self, query: Mapping[str, str]) -> dict[str, Any]:
        ident = query.get("identifier") or ""
        if not ident.isdigit() or len(ident) not in (10, 11):
            raise Refusal(400, "identifier 10 veya 11 haneli olmalıdır.")
        if query.get("appType", EFATURA_APP_TYPE) != EFATURA_APP_TYPE:
            # appType 3 (e-İrsaliye): the sandbox's GİB list holds e-Fatura users only, so
            # nobody is an e-İrsaliye user here (an ordinary "no", not a refusal).
            raise Refusal(404, f"e-İrsaliye kullanıcısı değil: {ident}", violation=False)
        if not self.state.gib.is_registered(ident):
            raise Refusal(404, f"e-Fatura kullanıcısı değil: {ident}", violation=False)
        return {"identifier": ident, "appType": 1, "isUser": True}

    def get_user(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        ident = query.get("identifier") or ""
        if not ident.isdigit() or len(ident) not in (10, 11):
            raise Refusal(400, "identifier 10 veya 11 haneli olmalıdır.")
        aliases = self.state.gib.aliases(ident)
        if not aliases:
            raise Refusal(404, f"e-Fatura kullanıcısı değil: {ident}", violation=False)
        return [{"identifier": ident, "alias": a, "appType": 1, "type": "PK"} for a in aliases]
