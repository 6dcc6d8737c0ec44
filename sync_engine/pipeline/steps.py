"""The four steps. Each reads what earlier steps committed and commits its own result.

The rules that keep effects single (DESIGN §3):
* customer — one cari per buyer: a claim row in ``buyer_mappings`` (unique on provider
  account + tax id + code) is the lock; the claimant finds-or-creates the cari, everyone
  else waits for the mapping and reuses it.
* invoice — the adapter is idempotent (client-chosen ETTN / invoice id, or search before
  create), so re-running after an unknown outcome finds instead of duplicating.
* e_document — GİB sends are irreversible: the intent (``in_progress``) is committed before
  the call; a run that finds the intent (or an earlier failure) asks the provider first and
  sends only on an explicit "not sent". No probe capability → needs_attention, never a
  blind resend.
* journal — same intent-then-probe discipline where the provider can be asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.domain import ComputedInvoice, Order, compute_invoice
from sync_engine.providers.base import (
    Capability,
    CustomerRef,
    DocumentType,
    EDocumentState,
    InvoiceRef,
    InvoiceRequest,
    SendState,
)
from sync_engine.pipeline.context import StoreRuntime
from sync_engine.pipeline.states import AttentionCategory, Step, StepState
from sync_engine.store.repositories import MappingRepository

@dataclass
class StepContext:
    job_id: int
    job: dict[str, Any]
    order: Order
    runtime: StoreRuntime
    owner: str
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    lease_ttl_s: float
    update: Callable[..., None]
    request_factory: Callable[[str | None, str | None], InvoiceRequest]
    _request: InvoiceRequest | None = field(default=None, init=False)

    @cached_property
    def computed(self) -> ComputedInvoice:
        return compute_invoice(self.order)

    def save(self, **fields: Any) -> None:
        """Commit fields now (conditional on the lease) and mirror them in the snapshot."""
        self.update(**fields)
        self.job.update(fields)

    @property
    def provider(self):  # noqa: ANN201
        return self.runtime.provider

    def request(self) -> InvoiceRequest:
        """The invoice request, with the route fixed at first use and kept on the job:
        an invoice created as e-Arşiv must stay e-Arşiv on every retry."""
        if self._request is None:
            document_type, alias = self.job.get("document_type"), self.job.get("document_alias")
            if document_type is None:
                route = self.provider.route(self.order)
                document_type, alias = route.type.value, route.alias
                # Recorded only when we decided it (a GİB directory lookup, or the shop's
                # own e-Fatura flag). KolayBi and FaturaEntegratör choose at send time from
                # GİB's list; a guess on the job would mislead the operator.
                if self.provider.supports(Capability.GIB_DIRECTORY) or route.type is DocumentType.E_FATURA:
                    self.save(document_type=document_type, document_alias=alias)
            self._request = self.request_factory(document_type, alias)
        return self._request

    def invoice_ref(self) -> InvoiceRef:
        return InvoiceRef(
            invoice_id=str(self.job["invoice_id"]),
            ettn=self.job.get("ettn"),
            invoice_number=self.job.get("invoice_number"),
        )


@dataclass(frozen=True)
class StepOutcome:
    retry_in: float | None = None
    attention: AttentionCategory | None = None
    message: str | None = None


DONE = StepOutcome()


def run_step(step: Step, ctx: StepContext, state: StepState) -> StepOutcome:
    return _STEPS[step](ctx, state)


def _customer(ctx: StepContext, state: StepState) -> StepOutcome:
    buyer = ctx.order.buyer
    code = buyer.distinguishing_code or ""
    account = ctx.runtime.account_key
    with ctx.sessions() as session:
        claim = MappingRepository(session).claim(
            # The claim lives as long as a job lease: if the claimant died, both expire together,
            # and the next run's find-or-create finds the cari if it was created.
            account, buyer.tax_id, code, ctx.owner, ctx.lease_ttl_s, ctx.clock()
        )
    if claim.state == "busy":
        return StepOutcome(retry_in=1.0, message="another job is creating this buyer's cari")
    if claim.state == "mapped":
        customer_id = str(claim.customer_id)
    else:
        ctx.save(step_customer=StepState.IN_PROGRESS.value)
        try:
            ref = ctx.provider.upsert_customer(ctx.order)
        except BaseException:
            with ctx.sessions() as session:
                MappingRepository(session).release(account, buyer.tax_id, code, ctx.owner)
            raise
        with ctx.sessions() as session:
            MappingRepository(session).complete(
                account, buyer.tax_id, code, ctx.owner, ref.customer_id, ref.extra
            )
        customer_id = ref.customer_id
    ctx.save(customer_id=customer_id, step_customer=StepState.DONE.value)
    return DONE


def _customer_ref(ctx: StepContext) -> CustomerRef | None:
    if ctx.job.get("customer_id") is None:
        return None
    buyer = ctx.order.buyer
    with ctx.sessions() as session:
        mapping = MappingRepository(session).get(
            ctx.runtime.account_key, buyer.tax_id, buyer.distinguishing_code or ""
        )
    extra = dict(mapping.extra or {}) if mapping is not None else {}
    return CustomerRef(customer_id=str(ctx.job["customer_id"]), extra=extra)


def _invoice(ctx: StepContext, state: StepState) -> StepOutcome:
    req = ctx.request()
    ref: InvoiceRef | None = None
    if state in (StepState.IN_PROGRESS, StepState.FAILED) and ctx.provider.supports(
        Capability.FIND_INVOICE
    ):
        ref = ctx.provider.find_invoice(req)
    if ref is None:
        ctx.save(step_invoice=StepState.IN_PROGRESS.value)
        ref = ctx.provider.create_invoice(req, _customer_ref(ctx))
    rounding = getattr(ctx.provider, "rounding_difference", None)
    ctx.save(
        invoice_id=ref.invoice_id,
        ettn=ref.ettn,
        invoice_number=ref.invoice_number,
        rounding_difference=rounding(req) if callable(rounding) else Decimal("0.00"),
        step_invoice=StepState.DONE.value,
    )
    return DONE


def _record_sent(ctx: StepContext, result: EDocumentState) -> StepOutcome:
    if result.state in (SendState.SENT, SendState.IN_PROGRESS):
        fields: dict[str, Any] = {
            "gib_uuid": result.gib_uuid or ctx.job.get("gib_uuid"),
            "e_document_status": result.raw_status or result.state.value,
            "step_e_document": StepState.DONE.value,
        }
        if result.invoice_number:
            fields["invoice_number"] = result.invoice_number
        ctx.save(**fields)
        return DONE
    if result.state is SendState.FAILED:
        ctx.save(step_e_document=StepState.FAILED.value, e_document_status=result.raw_status)
        return StepOutcome(
            attention=AttentionCategory.GIB_SEND_FAILED,
            message=f"the provider reports the GİB send failed (status {result.raw_status})",
        )
    ctx.save(step_e_document=StepState.FAILED.value, e_document_status=result.raw_status)
    return StepOutcome(
        attention=AttentionCategory.GIB_SEND_FAILED,
        message=f"the invoice is {result.state.value} at the provider (status {result.raw_status})",
    )


def _e_document(ctx: StepContext, state: StepState) -> StepOutcome:
    req = ctx.request()
    invoice = ctx.invoice_ref()
    if state in (StepState.IN_PROGRESS, StepState.FAILED):
        # An earlier attempt may have reached GİB (timeout, 504, crash): ask first.
        if not ctx.provider.supports(Capability.E_DOCUMENT_STATE):
            return StepOutcome(
                attention=AttentionCategory.GIB_SEND_UNCONFIRMED,
                message="an earlier GİB send has an unknown outcome and the provider cannot be "
                "asked; not resending — check the provider panel, then mark it",
            )
        probe = ctx.provider.e_document_state(req, invoice)
        if probe.state is not SendState.NOT_SENT:
            return _record_sent(ctx, probe)
    ctx.save(step_e_document=StepState.IN_PROGRESS.value, e_document_status="sending")
    result = ctx.provider.send_e_document(req, invoice)
    return _record_sent(ctx, result)


def _journal(ctx: StepContext, state: StepState) -> StepOutcome:
    req = ctx.request()
    invoice = ctx.invoice_ref()
    if state in (StepState.IN_PROGRESS, StepState.FAILED):
        journaled = getattr(ctx.provider, "journal_reference", None)
        if callable(journaled):
            existing = journaled(req, invoice)
            if existing is not None:
                ctx.save(journal_ref=existing.reference, step_journal=StepState.DONE.value)
                return DONE
    ctx.save(step_journal=StepState.IN_PROGRESS.value)
    ref = ctx.provider.journal(req, invoice)
    ctx.save(journal_ref=ref.reference, step_journal=StepState.DONE.value)
    return DONE


_STEPS: dict[Step, Callable[[StepContext, StepState], StepOutcome]] = {
    Step.CUSTOMER: _customer,
    Step.INVOICE: _invoice,
    Step.E_DOCUMENT: _e_document,
    Step.JOURNAL: _journal,
}

__all__ = ["StepContext", "StepOutcome", "run_step", "DocumentType"]
