"""The e-Fatura service: sends a Muhasebe invoice (found by its ETTN) to GİB as an e-Arşiv
(``/v2/earchive/create``) or e-Fatura (``/v1/outboxinvoice/create``), reports its status on the
sandbox clock, cancels e-Arşiv invoices, and answers GİB registered-user lookups.

ASSUMPTION (the published text is silent on this service's bodies). The create body is:

    {"status": 20,                              # 20 = save and send; nothing else is simulated
     "recordType": 0 | 1,                       # optional; must agree with the endpoint
     "generalInfoModel": {"ettn", "prefix", "issueDate",
                          "invoiceProfileType": "EARSIVFATURA" | "TEMELFATURA" | "TICARIFATURA"},
     "targetAlias": "urn:mail:…",               # e-Fatura: the buyer's posta kutusu
     "archiveInfoModel": {…},                   # e-Arşiv: as in Muhasebe (internet sale fields)
     "paymentMeansModel": {…}}                  # as in Muhasebe

The lines, buyer and amounts are those saved in Muhasebe under the same ETTN. The answer is
``{"id", "ettn", "invoiceNumber", "status"}``; ``id`` is the service's own id used by the
status query. ``getinvoice?guid=<ETTN>`` answers ``{"id", "ettn", "invoiceNumber",
"issueDate", "recordType"}`` or 404 when the ETTN was never sent through that service;
``{id}/status`` answers ``{"id", "ettn", "invoiceNumber", "status", "statusDescription"}``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.turkcell.common import NAME, Refusal, ettn as check_ettn, integer, iso, require_object, text, timestamp
from sync_engine.sandbox.turkcell.invoice_checks import PREFIX, check_archive_info, check_payment_means
from sync_engine.sandbox.turkcell.invoices import APPROVED, CANCELLED, E_ARSIV, E_FATURA, Invoice, InvoiceBook

SEND = 20
EARCHIVE, OUTBOX = "earchive", "outbox"
PROFILES = {EARCHIVE: ("EARSIVFATURA",), OUTBOX: ("TEMELFATURA", "TICARIFATURA")}
RECORD_TYPE = {EARCHIVE: E_ARSIV, OUTBOX: E_FATURA}
STATUS_TEXT = {
    0: "Taslak", 20: "Kuyruğa alındı", 30: "Gönderim bekliyor", 40: "Hata", 50: "GİB'e iletildi",
    60: "Onaylandı", 80: "Reddedildi", 100: "İptal edildi",
}
EFATURA_APP_TYPE = "1"


class EFaturaService:
    def __init__(self, state: SandboxState, invoices: InvoiceBook, account: str) -> None:
        self.state = state
        self.invoices = invoices
        self.account = account  # numbering sequence owner (the simulated user)

    def create(self, kind: str, body: Any) -> dict[str, Any]:
        body = require_object(body)
        status = integer(body, "status", required=True)
        if status != SEND:
            raise Refusal(400, f"status {status} desteklenmiyor; kaydet ve gönder için status 20 gönderin.")
        general = require_object(body.get("generalInfoModel"), "generalInfoModel")
        where = "generalInfoModel."
        key = check_ettn(general.get("ettn"), f"{where}ettn")
        inv = self.invoices.invoices.get(key)
        if inv is None:
            raise Refusal(404, f"Bu ETTN ile kaydedilmiş giden fatura bulunamadı: {key}")
        if inv.service_id is not None:
            # GİB accepts a document once: a second send of the same ETTN is always refused.
            raise Refusal(409, f"Bu ETTN ile fatura daha önce gönderilmiş ({inv.invoice_number}); bir fatura iki kez gönderilemez.")
        prefix = text(general, "prefix", where=where) or inv.prefix
        if not PREFIX.match(prefix) or prefix != inv.prefix:
            raise Refusal(400, f"{where}prefix Muhasebe kaydındaki ön ek ({inv.prefix}) ile aynı olmalıdır: {prefix!r}")
        issue = timestamp(general, "issueDate", where=where) or inv.issue_date
        profile = text(general, "invoiceProfileType", required=True, where=where)
        if profile not in PROFILES[kind]:
            raise Refusal(400, f"{where}invoiceProfileType bu servis için geçersiz: {profile!r} ({', '.join(PROFILES[kind])}).")
        record_type = integer(body, "recordType", allowed=(E_ARSIV, E_FATURA))
        if record_type is not None and record_type != RECORD_TYPE[kind]:
            raise Refusal(400, f"recordType {record_type} bu servis ile gönderilemez.")
        if inv.record_type != RECORD_TYPE[kind]:
            raise Refusal(400, f"Muhasebe kaydı {'e-Fatura' if inv.record_type == E_FATURA else 'e-Arşiv'}; bu servis ile gönderilemez.")
        if not inv.content["invoiceLines"]:
            raise Refusal(400, "Kalemi bulunmayan fatura GİB'e gönderilemez.")
        ident = inv.cari.identifier
        registered = self.state.gib.is_registered(ident)
        alias = None
        archive = inv.content["archiveInfoModel"]
        if kind == OUTBOX:
            if not registered:
                raise Refusal(400, f"Alıcı ({ident}) e-Fatura mükellefi değil; e-Arşiv gönderilmelidir.")
            alias = text(body, "targetAlias", required=True, max_len=250)
            if alias not in self.state.gib.aliases(ident):
                raise Refusal(400, f"targetAlias alıcının posta kutularından biri değil: {alias}")
        else:
            if registered:
                raise Refusal(400, f"Alıcı ({ident}) e-Fatura mükellefi; e-Arşiv gönderilemez.")
            if body.get("archiveInfoModel") is not None:
                archive = check_archive_info(body["archiveInfoModel"])
            if archive is None:
                raise Refusal(400, "e-Arşiv gönderiminde archiveInfoModel zorunludur.")
        means = inv.content["paymentMeansModel"]
        if body.get("paymentMeansModel") is not None:
            means = check_payment_means(body["paymentMeansModel"])

        inv.content["archiveInfoModel"], inv.content["paymentMeansModel"] = archive, means
        # GİB number year: the invoice's issue date (DESIGN §7).
        inv.invoice_number = self.state.numbering.next(self.account, prefix, issue.year)
        inv.service_id, inv.service_kind, inv.target_alias = str(uuid.uuid4()), kind, alias
        inv.sent_at = self.state.clock.now()
        self.state.ledger.record(
            NAME, "gib_send", inv.ettn, gib_uuid=inv.ettn, document_type="e_fatura" if kind == OUTBOX else "e_arsiv",
            invoice_number=inv.invoice_number, service_id=inv.service_id,
        )
        return {"id": inv.service_id, "ettn": inv.ettn, "invoiceNumber": inv.invoice_number, "status": self.invoices.status(inv)}

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
        return {
            "id": inv.service_id, "ettn": inv.ettn, "invoiceNumber": inv.invoice_number,
            "status": code, "statusDescription": STATUS_TEXT.get(code, ""),
        }

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
            raise Refusal(400, "appType sadece 1 (e-Fatura) desteklenir.")
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
