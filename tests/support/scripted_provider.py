"""A provider test double for the state-machine tests: it keeps a truthful record of its own
effects (like the sandbox ledger) and misbehaves on command — fail before the effect, lose
the response after it, refuse permanently, or crash the worker mid-call.

It stands in for the provider only; the database under the runner is real.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import ClassVar

from sync_engine.domain import Order
from sync_engine.providers.base import (
    BaseProvider,
    Capability,
    CustomerRef,
    EDocumentState,
    InvoiceRef,
    InvoiceRequest,
    JournalRef,
    ProformaRef,
    RemoteInvoice,
    ReturnOf,
    SendState,
)
from sync_engine.providers.errors import PermanentError, TransientError


class Crash(BaseException):
    """The worker process dies here (SIGKILL): nothing after this line runs."""


OK, FAIL_BEFORE, LOSE_RESPONSE, REFUSE, CRASH_BEFORE, CRASH_AFTER = (
    "ok", "fail_before", "lose_response", "refuse", "crash_before", "crash_after",
)
BEHAVIOURS = (OK, FAIL_BEFORE, LOSE_RESPONSE, REFUSE, CRASH_BEFORE, CRASH_AFTER)


@dataclass
class Effects:
    cari: Counter[str] = field(default_factory=Counter)
    invoices: Counter[str] = field(default_factory=Counter)
    gib_sends: Counter[str] = field(default_factory=Counter)
    journals: Counter[str] = field(default_factory=Counter)
    proformas: Counter[str] = field(default_factory=Counter)
    returns: Counter[str] = field(default_factory=Counter)  # return invoices made, by their ETTN
    reversals: Counter[str] = field(default_factory=Counter)  # journal reversals, by the invoice's ETTN


class ScriptedProvider(BaseProvider):
    name: ClassVar[str] = "scripted"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.CUSTOMER, Capability.INVOICE, Capability.FIND_INVOICE, Capability.E_DOCUMENT,
            Capability.E_DOCUMENT_STATE, Capability.JOURNAL,
        }
    )

    def __init__(self, capabilities: frozenset[Capability] | None = None) -> None:
        if capabilities is not None:
            self.capabilities = capabilities  # type: ignore[misc]
        self.effects = Effects()
        self.script: deque[str] = deque()
        self.refusing = False  # a permanent cause, until an operator "fixes" it
        self.calls = 0
        self.operations: list[str] = []  # every call, in order
        # What GİB answers after a send, one state per look (the send's own answer first);
        # empty: the send is final at once (SENT).
        self.gib_answers: deque[EDocumentState] = deque()
        self.last_answer: dict[str, EDocumentState] = {}
        self.invoice_total: Decimal | None = None  # the total the provider reports, if any
        self.updates: list[tuple[str, Order]] = []  # (customer id, order) of each cari update
        self.returned: dict[str, ReturnOf] = {}  # return invoice ETTN → the sale it references
        # Buyers' return invoices in the incoming list, by the e-Fatura they answer (invoice id).
        self.incoming: dict[str, RemoteInvoice] = {}

    def _do(self, operation: str, effect) -> object:  # noqa: ANN001
        self.calls += 1
        self.operations.append(operation)
        behaviour = self.script.popleft() if self.script else OK
        if self.refusing or behaviour == REFUSE:
            raise PermanentError("refused by the provider", provider=self.name, endpoint=operation, status=422)
        if behaviour == FAIL_BEFORE:
            raise TransientError("HTTP 500", provider=self.name, endpoint=operation, status=500)
        if behaviour == CRASH_BEFORE:
            raise Crash(operation)
        result = effect()
        if behaviour == LOSE_RESPONSE:
            raise TransientError("timeout", provider=self.name, endpoint=operation)
        if behaviour == CRASH_AFTER:
            raise Crash(operation)
        return result

    # customer: search before create, like every adapter
    def upsert_customer(self, order: Order, known: CustomerRef | None = None) -> CustomerRef:
        key = f"{order.buyer.tax_id}:{order.buyer.distinguishing_code or ''}"

        def effect() -> CustomerRef:
            if known is not None:
                self.updates.append((known.customer_id, order))
                return CustomerRef(customer_id=known.customer_id, extra={"address_id": len(self.updates)})
            if self.effects.cari[key] == 0:
                self.effects.cari[key] += 1
            return CustomerRef(customer_id=f"C-{key}")

        return self._do("customer", effect)  # type: ignore[return-value]

    # invoice: client-chosen ETTN, saving again updates (Turkcell)
    def create_invoice(self, req: InvoiceRequest, customer: CustomerRef | None) -> InvoiceRef:
        def effect() -> InvoiceRef:
            if self.effects.invoices[req.ettn] == 0:
                self.effects.invoices[req.ettn] += 1
            return InvoiceRef(invoice_id=req.ettn, ettn=req.ettn, total=self.invoice_total)

        return self._do("invoice", effect)  # type: ignore[return-value]

    # return invoice: NOT idempotent (KolayBi-like): a second create is a second İADE
    def create_return_invoice(self, req: InvoiceRequest, original: ReturnOf, customer: CustomerRef | None) -> InvoiceRef:
        def effect() -> InvoiceRef:
            self.effects.returns[req.ettn] += 1
            self.returned[req.ettn] = original
            return InvoiceRef(invoice_id=req.ettn, ettn=req.ettn, total=self.invoice_total)

        return self._do("return_invoice", effect)  # type: ignore[return-value]

    def find_buyer_return(self, req: InvoiceRequest, original: ReturnOf) -> RemoteInvoice | None:
        return self._do("find_buyer_return", lambda: self.incoming.get(original.invoice_id))  # type: ignore[return-value]

    def find_invoice(self, req: InvoiceRequest) -> InvoiceRef | None:
        def effect() -> InvoiceRef | None:
            if not (self.effects.invoices[req.ettn] or self.effects.returns[req.ettn]):
                return None
            return InvoiceRef(invoice_id=req.ettn, ettn=req.ettn, total=self.invoice_total)

        return self._do("find_invoice", effect)  # type: ignore[return-value]

    # e-document: deliberately NOT idempotent, like GİB: a second send is a second send.
    def send_e_document(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        def effect() -> EDocumentState:
            self.effects.gib_sends[req.ettn] += 1
            return self._gib_answer(req)

        return self._do("send", effect)  # type: ignore[return-value]

    def e_document_state(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        def effect() -> EDocumentState:
            if self.effects.gib_sends[req.ettn]:
                return self._gib_answer(req)
            return EDocumentState(SendState.NOT_SENT, raw_status="0")

        return self._do("probe", effect)  # type: ignore[return-value]

    def _gib_answer(self, req: InvoiceRequest) -> EDocumentState:
        if self.gib_answers:
            self.last_answer[req.ettn] = self.gib_answers.popleft()
        return self.last_answer.get(req.ettn) or EDocumentState(
            SendState.SENT, gib_uuid=f"gib-{req.ettn}", invoice_number="DMS2026000000001", raw_status="60"
        )

    # journal: also not idempotent at the provider; the pipeline must probe
    def journal(self, req: InvoiceRequest, invoice: InvoiceRef) -> JournalRef:
        def effect() -> JournalRef:
            self.effects.journals[req.ettn] += 1
            return JournalRef(reference=f"J-{req.ettn}")

        return self._do("journal", effect)  # type: ignore[return-value]

    def journal_reference(self, req: InvoiceRequest, invoice: InvoiceRef) -> JournalRef | None:
        def effect() -> JournalRef | None:
            live = self.effects.journals[req.ettn] - self.effects.reversals[req.ettn]
            return JournalRef(reference=f"J-{req.ettn}") if live > 0 else None

        return self._do("journal_probe", effect)  # type: ignore[return-value]

    # reversal (ters kayıt): not idempotent either; a reversed entry is gone from journal_reference
    def reverse_journal(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        def effect() -> None:
            self.effects.reversals[req.ettn] += 1

        self._do("reverse_journal", effect)

    # proforma: searched before it is created, like an invoice
    def create_proforma(self, req: InvoiceRequest, customer: CustomerRef | None) -> ProformaRef:
        def effect() -> ProformaRef:
            self.effects.proformas[req.idempotency_key] += 1
            return ProformaRef(proforma_id=f"P-{req.idempotency_key}", number="PRF-1", total=self.invoice_total)

        return self._do("proforma", effect)  # type: ignore[return-value]

    def find_proforma(self, req: InvoiceRequest) -> ProformaRef | None:
        def effect() -> ProformaRef | None:
            if not self.effects.proformas[req.idempotency_key]:
                return None
            return ProformaRef(proforma_id=f"P-{req.idempotency_key}", number="PRF-1", total=self.invoice_total)

        return self._do("find_proforma", effect)  # type: ignore[return-value]

    def list_invoices(self, start: date, end: date):  # noqa: ANN201
        raise NotImplementedError
