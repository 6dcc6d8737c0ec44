"""Muhasebe: outgoing invoices — save (POST; saving an ETTN again updates it), get by ETTN,
list, update (PUT), delete, muhasebeleştir (journal) and ters kayıt (reverse) — and the
incoming ones ("Gelen faturalar": list, get with ``isSend=false``), which other parties' GİB
documents fill (here: ``place_incoming``, the sandbox's dev hook).

The e-Fatura service (``efatura.py``) sends these same records to GİB; the invoice number
is assigned there, never on save ("Fatura Numarası girilmemelidir, gib tarafından gönderilen
numara kaydedilmektedir").

A return (İade, ``generalInfoModel.type`` 2) names the sale invoice it answers
(``returnInvoiceNumber`` / ``returnInvoiceDate``). ASSUMPTION (I), GİB's sense of a return:
it must name an invoice of ours that went to GİB and stands (not a draft, an error, a
rejection or a cancelled e-Arşiv), to the same buyer, with that invoice's issue day; and the
returns of one invoice together never exceed its payable total.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.turkcell.cari import Cari, CariBook
from sync_engine.sandbox.turkcell.common import (
    NAME,
    Refusal,
    ettn as check_ettn,
    identifier,
    integer,
    iso,
    page,
    query_bool,
    require_object,
    text,
    timestamp,
)
from sync_engine.sandbox.turkcell.invoice_checks import (
    PREFIX,
    check_archive_info,
    check_line,
    check_payment_means,
)

E_ARSIV, E_FATURA = 0, 1
SATIS, IADE = 1, 2  # generalInfoModel.type (C: ePlatform InvoiceType.cs SATIS = 1, IADE = 2)
NOT_JOURNALED, JOURNALED = 0, 1  # recordStatus: "Muhasebelesmedi : 0"; 1 assumed "Muhasebeleşti"
# e-Fatura service statuses (DESIGN §6): 0 draft, 20 queued, 30 awaiting send, 40 error,
# 50 delivered to GİB, 60 approved, 80 rejected, 100 e-Arşiv cancelled.
DRAFT, QUEUED, DELIVERED, APPROVED, CANCELLED = 0, 20, 50, 60, 100
# Statuses of a document that cannot be returned: never sent, or without effect at GİB
# (Taslak, İptal, Hata, Reddedildi, e-Arşiv İptal).
NOT_RETURNABLE = frozenset({DRAFT, 10, 40, 80, CANCELLED})
TURKIYE = timezone(timedelta(hours=3))  # GİB's calendar (no daylight saving since 2016)


def turkish_day(value: datetime) -> date:
    return value.astimezone(TURKIYE).date()


@dataclass
class Invoice:
    ettn: str
    cari: Cari
    record_type: int
    prefix: str
    issue_date: datetime
    content: dict[str, Any]  # the normalised saved model
    totals: dict[str, Decimal]
    created_at: datetime
    updated_at: datetime
    record_status: int = NOT_JOURNALED
    # Set by the e-Fatura service when it sends the invoice to GİB.
    service_id: str | None = None
    service_kind: str | None = None  # "earchive" | "outbox"
    invoice_number: str | None = None
    target_alias: str | None = None
    sent_at: datetime | None = None
    forced_status: int | None = None  # tests: make GİB reject (80) or error (40)
    forced_message: str | None = None  # GİB's words with a forced status
    sent_body: dict[str, Any] | None = None  # the e-Fatura service's own copy of the document
    send_status: int | None = None  # the create's status: 0 keeps a draft, 20 sends
    cancelled: bool = False


@dataclass
class IncomingInvoice:
    """A document another party sent us through GİB (e-Fatura): what the incoming list and
    ``GET /v1/invoices/{ettn}?isSend=false`` show."""

    ettn: str
    sender_identifier: str
    sender_title: str
    sender_alias: str | None
    invoice_number: str
    profile: int
    invoice_type: int
    issue_date: datetime
    return_number: str | None
    return_date: datetime | None
    lines: list[dict[str, Any]]
    totals: dict[str, Decimal]
    invoice_status: int
    description: str
    created_at: datetime
    record_status: int = NOT_JOURNALED


class InvoiceBook:
    def __init__(self, state: SandboxState, caris: CariBook) -> None:
        self.state = state
        self.caris = caris
        self.reset()

    def reset(self) -> None:
        self.invoices: dict[str, Invoice] = {}
        self.incoming: dict[str, IncomingInvoice] = {}

    # --- status on the clock ------------------------------------------------------------

    def status(self, inv: Invoice) -> int:
        if inv.service_id is None or inv.sent_at is None or inv.send_status == DRAFT:
            return DRAFT
        if inv.cancelled:
            return CANCELLED
        if inv.forced_status is not None:
            return inv.forced_status
        steps = (self.state.clock.now() - inv.sent_at).total_seconds() / self.state.status_step_s
        return QUEUED if steps < 1 else DELIVERED if steps < 2 else APPROVED

    # --- save / update ------------------------------------------------------------------

    def _check(self, body: Any) -> dict[str, Any]:
        body = require_object(body)
        description = text(body, "description", required=True)
        if body.get("isSend") is not True:
            raise Refusal(400, "Giden faturalar için isSend true gönderilmelidir (bu uç gelen fatura kaydını simüle etmez).")
        ident = identifier(body.get("currentAccountIdentifier"), "currentAccountIdentifier")
        code = text(body, "currentAccountCode", max_len=50)
        alias = text(body, "currentAccountAlias", max_len=250)
        record_type = integer(body, "recordType", allowed=(E_ARSIV, E_FATURA))
        general = require_object(body.get("generalInfoModel"), "generalInfoModel")
        where = "generalInfoModel."
        ettn = check_ettn(general["ettn"], f"{where}ettn") if general.get("ettn") else str(uuid.uuid4())
        prefix = text(general, "prefix", required=True, where=where)
        assert prefix is not None
        if not PREFIX.match(prefix):
            raise Refusal(400, f"{where}prefix 3 karakter olmalıdır (büyük harf veya rakam): {prefix!r}")
        if general.get("invoiceNumber"):
            raise Refusal(400, "Giden fatura kaydedilirken fatura numarası girilmemelidir; numara GİB gönderiminde atanır.")
        profile = integer(general, "invoiceProfileType", allowed=(0, 1), where=where)
        invoice_type = integer(general, "type", where=where)
        currency = text(general, "currencyCode", max_len=3, where=where) or "TRY"
        if currency != "TRY":
            for key in ("exchangeRate", "exchangeRateSource", "exchangeRateComment"):
                if general.get(key) in (None, ""):
                    raise Refusal(400, f"TRY dışı para biriminde {where}{key} zorunludur.")
        issue = timestamp(general, "issueDate", where=where) or self.state.clock.now()
        return_number = text(general, "returnInvoiceNumber", max_len=16, where=where)
        return_date = timestamp(general, "returnInvoiceDate", where=where)

        registered = self.state.gib.is_registered(ident)
        if record_type is None:
            # Documented: the scenario follows whether the customer is an e-Fatura user.
            record_type = E_FATURA if registered else E_ARSIV
        if record_type == E_FATURA:
            if not registered:
                raise Refusal(400, f"Alıcı ({ident}) e-Fatura mükellefi değil; e-Arşiv (recordType 0) kesilmelidir.")
            if not alias:
                raise Refusal(400, "e-Fatura için currentAccountAlias (posta kutusu) zorunludur.")
            if alias not in self.state.gib.aliases(ident):
                raise Refusal(400, f"currentAccountAlias alıcının posta kutularından biri değil: {alias}")
        elif registered:
            raise Refusal(400, f"Alıcı ({ident}) e-Fatura mükellefi; e-Arşiv fatura kesilemez, e-Fatura (recordType 1) kesilmelidir.")

        raw_lines = body.get("invoiceLines") or []
        if not isinstance(raw_lines, list):
            raise Refusal(400, "invoiceLines bir liste olmalıdır.")
        lines = [check_line(raw, i) for i, raw in enumerate(raw_lines)]
        archive = None
        if body.get("archiveInfoModel") is not None:
            if record_type != E_ARSIV:
                raise Refusal(400, "archiveInfoModel sadece e-Arşiv faturada doldurulur.")
            archive = check_archive_info(body["archiveInfoModel"])
        means = check_payment_means(body["paymentMeansModel"]) if body.get("paymentMeansModel") is not None else None
        notes = body.get("notes") or []
        if not isinstance(notes, list) or not all(isinstance(n, dict) and isinstance(n.get("note"), str) for n in notes):
            raise Refusal(400, "notes bir {note} listesi olmalıdır.")
        note = text(body, "note")
        return {
            "ettn": ettn, "identifier": ident, "code": code, "record_type": record_type, "prefix": prefix,
            "issue": issue, "currentAccount": body.get("currentAccount"),
            "content": {
                "description": description, "currentAccountAlias": alias if record_type == E_FATURA else None,
                "note": None if notes else note, "notes": [{"note": n["note"]} for n in notes],
                "invoiceProfileType": profile or 0, "type": invoice_type or 1, "currencyCode": currency,
                "exchangeRate": general.get("exchangeRate"), "invoiceLines": lines, "archiveInfoModel": archive,
                "paymentMeansModel": means, "returnInvoiceNumber": return_number, "returnInvoiceDate": return_date,
            },
        }

    def _resolve_cari(self, checked: dict[str, Any]) -> Cari:
        cari = self.caris.find_for_invoice(checked["identifier"], checked["code"])
        if cari is not None:
            return cari
        embedded = checked["currentAccount"]
        if embedded is None:
            raise Refusal(400, f"Cari bulunamadı: {checked['identifier']}{' / ' + checked['code'] if checked['code'] else ''} (önce cari kaydedin veya currentAccount gönderin).")
        # Documented: a cari unknown to the system may travel inside the invoice model.
        embedded = require_object(embedded, "currentAccount")
        if embedded.get("identifier") != checked["identifier"] or embedded.get("code") != checked["code"]:
            raise Refusal(400, "currentAccount.identifier/code faturadaki currentAccountIdentifier/currentAccountCode ile aynı olmalıdır.")
        created = self.caris.create_cari(embedded)
        return self.caris.caris[created["id"]]

    @staticmethod
    def _totals(lines: list[dict[str, Any]]) -> dict[str, Decimal]:
        net = sum((ln["lineExtensionAmount"] for ln in lines), Decimal("0.00"))
        vat = sum((ln["vatAmount"] for ln in lines), Decimal("0.00"))
        discount = sum((ln["discountAmount"] for ln in lines), Decimal("0.00"))
        return {
            "lineExtensionAmount": net, "taxExclusiveAmount": net, "taxInclusiveAmount": net + vat,
            "allowanceTotalAmount": discount, "payableAmount": net + vat, "taxTotal": vat,
        }

    def _refuse_if_locked(self, inv: Invoice) -> None:
        if inv.record_status == JOURNALED:
            raise Refusal(400, "Muhasebeleştirilmiş fatura güncellenemez; önce ters kayıt alın.")
        if inv.service_id is not None:
            # ASSUMPTION: a document already sent to GİB cannot change (GİB keeps the sent XML).
            raise Refusal(400, "GİB'e gönderilmiş fatura güncellenemez.")

    def save(self, body: Any, *, must_exist: bool = False) -> dict[str, Any]:
        checked = self._check(body)
        now = self.state.clock.now()
        existing = self.invoices.get(checked["ettn"])
        if must_exist and existing is None:
            raise Refusal(404, f"Fatura bulunamadı: {checked['ettn']}")
        if existing is not None:
            self._refuse_if_locked(existing)
        cari = self._resolve_cari(checked)
        lines = checked["content"]["invoiceLines"]
        if checked["content"]["type"] == IADE:
            self.check_return(checked["ettn"], cari.identifier, checked["content"], self._totals(lines)["payableAmount"])
        if existing is not None:
            # Documented (update rule 6) and DESIGN §3: the same ETTN updates, never duplicates.
            existing.cari, existing.record_type, existing.prefix = cari, checked["record_type"], checked["prefix"]
            existing.issue_date, existing.content, existing.updated_at = checked["issue"], checked["content"], now
            existing.totals = self._totals(lines)
            self.state.ledger.record(NAME, "invoice_updated", existing.ettn)
            return self.render_saved(existing)
        inv = Invoice(
            ettn=checked["ettn"], cari=cari, record_type=checked["record_type"], prefix=checked["prefix"],
            issue_date=checked["issue"], content=checked["content"], totals=self._totals(lines),
            created_at=now, updated_at=now,
        )
        self.invoices[inv.ettn] = inv
        kind = "return_invoice_created" if inv.content["type"] == IADE else "invoice_created"
        detail = {"returns": inv.content["returnInvoiceNumber"]} if inv.content["type"] == IADE else {}
        self.state.ledger.record(NAME, kind, inv.ettn, record_type=inv.record_type,
                                 payable=str(inv.totals["payableAmount"]), **detail)
        return self.render_saved(inv)

    def check_return(self, ettn: str, identifier: str, content: Mapping[str, Any], payable: Decimal) -> None:
        """A return must name a sale of ours that went to GİB and stands, to the same buyer,
        on its issue day; with the other returns of that sale it stays within its payable
        total (the module docstring's assumption)."""
        number, named_day = content["returnInvoiceNumber"], content["returnInvoiceDate"]
        where = "generalInfoModel."
        if number is None or named_day is None:  # the contract's rule, for direct callers too
            raise Refusal(400, f"İade faturasında {where}returnInvoiceNumber ve returnInvoiceDate zorunludur.")
        original = next((i for i in self.invoices.values() if i.invoice_number == number and i.ettn != ettn), None)
        if original is None or self.status(original) in NOT_RETURNABLE:
            raise Refusal(400, f"{where}returnInvoiceNumber GİB'e gönderilmiş bir faturayı göstermiyor: {number}")
        if original.content["type"] == IADE:
            raise Refusal(400, f"{where}returnInvoiceNumber bir iade faturasını gösteriyor; iade faturası iade edilemez: {number}")
        if original.cari.identifier != identifier:
            raise Refusal(400, f"İade faturasının alıcısı ({identifier}) iade edilen faturanın alıcısı değil: {number}")
        if turkish_day(named_day) != turkish_day(original.issue_date):
            raise Refusal(400, f"{where}returnInvoiceDate iade edilen faturanın tarihi ({turkish_day(original.issue_date)}) olmalıdır: {number}")
        earlier = sum(
            (i.totals["payableAmount"] for i in self.invoices.values()
             if i.ettn != ettn and i.content["type"] == IADE and i.content["returnInvoiceNumber"] == number
             and self.status(i) not in (CANCELLED, 10)),
            Decimal("0.00"),
        )
        if earlier + payable > original.totals["payableAmount"]:
            raise Refusal(400, f"İade tutarı ({payable}, önceki iadeler {earlier}) iade edilen faturanın tutarını ({original.totals['payableAmount']}) aşamaz: {number}")

    # --- read ------------------------------------------------------------------------------

    def get(self, raw_ettn: str, query: Mapping[str, str]) -> Invoice:
        is_send = query_bool(query, "isSend")
        key = self._key(raw_ettn)
        inv = self.invoices.get(key)
        if inv is None or is_send is False:
            raise Refusal(404, f"Fatura bulunamadı: {raw_ettn}", violation=False)
        return inv

    @staticmethod
    def _key(raw_ettn: str) -> str:
        try:
            return str(uuid.UUID(raw_ettn))
        except ValueError:
            raise Refusal(400, f"ettn geçerli bir GUID olmalıdır: {raw_ettn!r}") from None

    def get_any(self, raw_ettn: str, query: Mapping[str, str]) -> dict[str, Any]:
        """``GET /v1/invoices/{ettn}?isSend=``: an outgoing invoice, or with ``isSend=false``
        an incoming one (seed 004: "Gelen/Giden fatura ayrımını yapar")."""
        if query_bool(query, "isSend") is False:
            found = self.incoming.get(self._key(raw_ettn))
            if found is None:
                raise Refusal(404, f"Fatura bulunamadı: {raw_ettn}", violation=False)
            return self.render_incoming_detail(found)
        return self.render_detail(self.get(raw_ettn, query))

    def _common(self, inv: Invoice) -> dict[str, Any]:
        c = inv.content
        return {
            "branchId": None, "isSend": True, "recordType": inv.record_type, "recordStatus": inv.record_status,
            "invoiceStatus": self.status(inv), "invoiceProcessStatus": 0, "description": c["description"],
            "currentAccountIdentifier": inv.cari.identifier, "currentAccountName": inv.cari.display_name,
        }

    def _general(self, inv: Invoice) -> dict[str, Any]:
        c = inv.content
        return {
            "ettn": inv.ettn, "prefix": inv.prefix, "invoiceNumber": inv.invoice_number,
            "invoiceProfileType": c["invoiceProfileType"], "issueDate": iso(inv.issue_date), "issueTime": iso(inv.issue_date),
            "type": c["type"], "returnInvoiceNumber": c["returnInvoiceNumber"],
            "returnInvoiceDate": iso(c["returnInvoiceDate"]),
            "currencyCode": c["currencyCode"], "exchangeRate": c["exchangeRate"],
        }

    @staticmethod
    def _means(inv: Invoice) -> dict[str, Any] | None:
        means = inv.content["paymentMeansModel"]
        return None if means is None else {**means, "paymentDueDate": iso(means["paymentDueDate"])}

    def render_saved(self, inv: Invoice) -> dict[str, Any]:
        archive = inv.content["archiveInfoModel"]
        return {
            **self._common(inv), "note": inv.content["note"], "generalInfoModel": self._general(inv),
            "invoiceLines": [dict(ln, lineAmount=ln["lineExtensionAmount"]) for ln in inv.content["invoiceLines"]],
            "paymentMeansModel": self._means(inv),
            "archiveInfoModel": None if archive is None else {**archive, "shipmentDate": iso(archive["shipmentDate"])},
        }

    def render_detail(self, inv: Invoice) -> dict[str, Any]:
        account = self.caris.matched_account(inv.cari.id)
        return {
            **self._common(inv),
            "currentAccountAlias": inv.content["currentAccountAlias"],
            "currentAccountAccountName": account["name"] if account else None,
            "curAccAccCode": account["code"] if account else None,
            "notes": inv.content["notes"] or ([{"note": inv.content["note"]}] if inv.content["note"] else []),
            "generalInfoModel": self._general(inv),
            "invoiceLines": [dict(ln) for ln in inv.content["invoiceLines"]],
            # Documented as strings in this answer (unlike the list's numbers).
            "invoiceTotalsModel": {k: format(v, "f") for k, v in inv.totals.items() if k != "taxTotal"},
            "paymentMeansModel": self._means(inv),
        }

    def list_item(self, inv: Invoice) -> dict[str, Any]:
        return {
            "ettn": inv.ettn, "branchId": None, "invoiceNumber": inv.invoice_number,
            "profile": inv.content["invoiceProfileType"], "type": inv.content["type"], "recordType": inv.record_type,
            "recordStatus": inv.record_status, "invoiceStatus": self.status(inv), "issueDate": iso(inv.issue_date),
            "lineCount": len(inv.content["invoiceLines"]), "targetAlias": inv.content["currentAccountAlias"],
            "targetTitle": inv.cari.display_name, "targetVknTckn": inv.cari.identifier, "currencyId": 1,
            "exchangeRate": inv.content["exchangeRate"], "exchangeRateComment": None, "exchangeRateSource": None,
            "payableAmount": inv.totals["payableAmount"], "taxExclusiveAmount": inv.totals["taxExclusiveAmount"],
            "taxTotal": inv.totals["taxTotal"], "totalAmount": inv.totals["taxInclusiveAmount"],
            "createDateUtc": iso(inv.created_at), "updateDateUtc": iso(inv.updated_at),
        }

    def list_outgoing(self, query: Mapping[str, str]) -> dict[str, Any]:
        categories = {
            "IssueDate": lambda i: i.issue_date,
            "CreateDate": lambda i: i.created_at,
            "Ettn": lambda i: i.ettn,
            "InvoiceNumber": lambda i: i.invoice_number,
            "TargetVknTckn": lambda i: i.cari.identifier,
            "TargetTitle": lambda i: i.cari.display_name,
            "RecordStatus": lambda i: i.record_status,
            "RecordType": lambda i: i.record_type,
        }
        # Stable order for paging: creation order (assumption: the API's default sort).
        items = sorted(self.invoices.values(), key=lambda i: (i.created_at, i.ettn))
        return page(
            items, query, render=self.list_item, categories=categories,
            date_categories=frozenset({"IssueDate", "CreateDate"}), paging_required=True,
        )

    # --- delete, journal, reverse ----------------------------------------------------------

    def delete(self, query: Mapping[str, str]) -> list[None]:
        raw = query.get("ettn")
        if not raw or query.get("isSend") in (None, ""):
            raise Refusal(400, "ettn ve isSend alanları zorunludur.")
        inv = self.get(raw, query)
        if inv.record_status == JOURNALED:
            raise Refusal(400, "Muhasebeleştirilmiş faturalar silinemez.")
        if inv.service_id is not None:
            raise Refusal(400, "GİB'e gönderilmiş e-faturalar silinemez.")
        del self.invoices[inv.ettn]
        self.state.ledger.record(NAME, "invoice_deleted", inv.ettn)
        return [None]  # the documented answer: "[null]"

    def _targets(self, body: Any) -> list[Invoice]:
        if not isinstance(body, list) or not body:
            raise Refusal(400, "İstek gövdesi [{ettn, isSend}] listesi olmalıdır.")
        out: list[Invoice] = []
        for i, raw in enumerate(body):
            item = require_object(raw, f"[{i}]")
            key = check_ettn(item.get("ettn"), f"[{i}].ettn")
            if not isinstance(item.get("isSend"), bool):
                raise Refusal(400, f"[{i}].isSend true/false olmalıdır.")
            inv = self.invoices.get(key)
            if inv is None or item["isSend"] is False:
                raise Refusal(404, f"Fatura bulunamadı: {key}")
            out.append(inv)
        return out

    def journal(self, body: Any) -> list[dict[str, Any]]:
        # ASSUMPTION: the batch is checked as a whole; one refused invoice refuses the call
        # and nothing is journaled (the document shows one error for the call).
        targets = self._targets(body)
        for inv in targets:
            if inv.record_status == JOURNALED:
                # Not a violation: a client retrying after an unknown outcome meets it.
                raise Refusal(400, f"Fatura zaten muhasebeleştirilmiş: {inv.ettn}", violation=False)
            if not inv.content["invoiceLines"]:
                raise Refusal(400, f"Kalemi bulunmayan fatura muhasebeleştirilemez: {inv.ettn}")
            if self.status(inv) == CANCELLED:
                raise Refusal(400, f"İptal edilmiş fatura muhasebeleştirilemez: {inv.ettn}")
            if self.caris.matched_account(inv.cari.id) is None:
                raise Refusal(400, f"Carinin hesap eşleştirmesi yapılmamış; fatura muhasebeleştirilemez: {inv.cari.identifier}")
        for inv in targets:
            inv.record_status = JOURNALED
            account = self.caris.matched_account(inv.cari.id)
            assert account is not None
            self.state.ledger.record(NAME, "journal", inv.ettn, account_code=account["code"], debit=str(inv.totals["payableAmount"]))
        return [{"ettn": inv.ettn, "recordStatus": inv.record_status} for inv in targets]

    def reverse(self, body: Any) -> list[dict[str, Any]]:
        targets = self._targets(body)
        for inv in targets:
            if inv.record_status != JOURNALED:
                raise Refusal(400, f"Ters kayıt için fatura muhasebeleştirilmiş olmalıdır: {inv.ettn}")
        for inv in targets:
            # ASSUMPTION: after ters kayıt the invoice is "not journaled" again (it may be
            # updated, deleted or journaled anew), as a reversed voucher cancels the first.
            inv.record_status = NOT_JOURNALED
            self.state.ledger.record(NAME, "journal_reversed", inv.ettn)
        return [{"ettn": inv.ettn, "recordStatus": inv.record_status} for inv in targets]

    # --- incoming invoices ("Gelen faturalar") -----------------------------------------------

    def place_incoming(self, body: Any) -> dict[str, Any]:
        """The dev hook behind ``POST /turkcell/__sandbox/incoming`` (not Turkcell): an e-Fatura
        another party sent us arrives in the incoming list. Body: ``sender{identifier, name,
        alias}``, ``invoiceNumber``, ``issueDate``, ``type`` (1 Satış, 2 İade), with an İade its
        ``returnInvoiceNumber`` / ``returnInvoiceDate``, ``invoiceLines`` (the Muhasebe line
        model), optional ``ettn``, ``invoiceProfileType`` (0/1), ``invoiceStatus``,
        ``description``. The sender's document is the sender's: GİB does not check what it
        names, so neither does this hook beyond its shape."""
        body = require_object(body)
        sender = require_object(body.get("sender"), "sender")
        ident = identifier(sender.get("identifier"), "sender.identifier")
        title = text(sender, "name", required=True, max_len=500, where="sender.")
        number = text(body, "invoiceNumber", required=True, min_len=16, max_len=16)
        invoice_type = integer(body, "type", allowed=(SATIS, IADE), required=True)
        return_number = text(body, "returnInvoiceNumber", max_len=16)
        return_date = timestamp(body, "returnInvoiceDate")
        if invoice_type == IADE and (return_number is None or return_date is None):
            raise Refusal(400, "İade faturasında returnInvoiceNumber ve returnInvoiceDate zorunludur.")
        raw_lines = body.get("invoiceLines")
        if not isinstance(raw_lines, list) or not raw_lines:
            raise Refusal(400, "invoiceLines boş olmayan bir liste olmalıdır.")
        lines = [check_line(raw, i) for i, raw in enumerate(raw_lines)]
        key = check_ettn(body["ettn"]) if body.get("ettn") else str(uuid.uuid4())
        if key in self.incoming or key in self.invoices:
            raise Refusal(409, f"Bu ETTN ile fatura zaten var: {key}")
        assert title is not None and number is not None and invoice_type is not None
        now = self.state.clock.now()
        inv = IncomingInvoice(
            ettn=key, sender_identifier=ident, sender_title=title, sender_alias=text(sender, "alias", where="sender."),
            invoice_number=number, profile=integer(body, "invoiceProfileType", allowed=(0, 1)) or 0,
            invoice_type=invoice_type, issue_date=timestamp(body, "issueDate", required=True) or now,
            return_number=return_number if invoice_type == IADE else None,
            return_date=return_date if invoice_type == IADE else None,
            lines=lines, totals=self._totals(lines),
            invoice_status=integer(body, "invoiceStatus") or DELIVERED,
            description=text(body, "description") or "", created_at=now,
        )
        self.incoming[key] = inv
        return self.render_incoming_detail(inv)

    def render_incoming_detail(self, inv: IncomingInvoice) -> dict[str, Any]:
        return {
            "branchId": None, "isSend": False, "recordType": E_FATURA, "recordStatus": inv.record_status,
            "invoiceStatus": inv.invoice_status, "invoiceProcessStatus": 0, "description": inv.description,
            "currentAccountAlias": inv.sender_alias, "currentAccountIdentifier": inv.sender_identifier,
            "currentAccountName": inv.sender_title, "currentAccountAccountName": None, "curAccAccCode": None,
            "notes": [],
            "generalInfoModel": {
                "ettn": inv.ettn, "prefix": inv.invoice_number[:3], "invoiceNumber": inv.invoice_number,
                "invoiceProfileType": inv.profile, "issueDate": iso(inv.issue_date), "issueTime": iso(inv.issue_date),
                "type": inv.invoice_type, "returnInvoiceNumber": inv.return_number,
                "returnInvoiceDate": iso(inv.return_date), "currencyCode": "TRY", "exchangeRate": None,
            },
            "invoiceLines": [dict(ln) for ln in inv.lines],
            "invoiceTotalsModel": {k: format(v, "f") for k, v in inv.totals.items() if k != "taxTotal"},
            "paymentMeansModel": None,
        }

    def incoming_item(self, inv: IncomingInvoice) -> dict[str, Any]:
        # The seed's incoming list item; "target" is the other party, here the sender (I).
        return {
            "ettn": inv.ettn, "branchId": None, "invoiceNumber": inv.invoice_number, "profile": inv.profile,
            "type": inv.invoice_type, "recordType": E_FATURA, "invoiceProcessStatus": 0,
            "recordStatus": inv.record_status, "invoiceStatus": inv.invoice_status, "issueDate": iso(inv.issue_date),
            "lineCount": len(inv.lines), "targetAlias": inv.sender_alias, "targetTitle": inv.sender_title,
            "targetVknTckn": inv.sender_identifier, "currencyId": 1, "exchangeRate": None,
            "exchangeRateComment": None, "exchangeRateSource": None,
            "payableAmount": inv.totals["payableAmount"], "taxExclusiveAmount": inv.totals["taxExclusiveAmount"],
            "taxTotal": inv.totals["taxTotal"], "totalAmount": inv.totals["taxInclusiveAmount"],
            "createDateUtc": iso(inv.created_at), "updateDateUtc": iso(inv.created_at),
        }

    def list_incoming(self, query: Mapping[str, str]) -> dict[str, Any]:
        """Seed 004 "Gelen faturaların listelenmesi": pageIndex and pageSize required (≤ 500),
        filterQuery with the documented operators, sortedColumn."""
        categories = {
            "IssueDate": lambda i: i.issue_date,
            "CreateDate": lambda i: i.created_at,
            "Ettn": lambda i: i.ettn,
            "InvoiceNumber": lambda i: i.invoice_number,
            "TargetVknTckn": lambda i: i.sender_identifier,
            "TargetTitle": lambda i: i.sender_title,
            "Type": lambda i: i.invoice_type,
            "Profile": lambda i: i.profile,
            "RecordStatus": lambda i: i.record_status,
            "InvoiceStatus": lambda i: i.invoice_status,
        }
        items = sorted(self.incoming.values(), key=lambda i: (i.created_at, i.ettn))
        return page(
            items, query, render=self.incoming_item, categories=categories,
            date_categories=frozenset({"IssueDate", "CreateDate"}), paging_required=True,
        )
