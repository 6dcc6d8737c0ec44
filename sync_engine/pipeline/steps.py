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

A return job (``JobKind.RETURN``) makes the return (İADE) invoice of a refund after the
sale's GİB send with the same three rules, on the sale's cari; a cancel job cancels the
sale's e-Arşiv and reverses its journal entry, each once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.domain import Buyer, ComputedInvoice, Order, compute_invoice
from sync_engine.domain.invoice import invoice_date
from sync_engine.providers.base import (
    Capability,
    CustomerRef,
    DocumentType,
    EDocumentState,
    InvoiceRef,
    InvoiceRequest,
    ReturnOf,
    RouteSource,
    SendState,
)
from sync_engine.pipeline.context import StoreRuntime
from sync_engine.pipeline.states import FINISHED, AttentionCategory, JobKind, JobStatus, Step, StepState
from sync_engine.store.repositories import JobRepository, MappingRepository

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
    # Records a provider effect's intent unless the order was cancelled meanwhile (False).
    claim: Callable[..., bool]
    request_factory: Callable[[str | None, str | None], InvoiceRequest]
    # GİB's answer is polled with this delay (seconds since the send → seconds to wait)…
    poll_delay: Callable[[float], float] = lambda elapsed: max(2.0, min(600.0, elapsed / 2))
    # …for at most this long; then an operator is asked.
    gib_answer_wait_s: float = 48 * 3600.0
    # How long a return job waits for the buyer's İADE of an e-Fatura before an operator is
    # asked (SYNC_BUYER_RETURN_WAIT_S).
    buyer_return_wait_s: float = 8 * 24 * 3600.0
    # Hands fields to the next held write (the runner's claim / update / release) instead of
    # a transaction of their own; None: ``save`` at once.
    defer: Callable[..., None] | None = None
    _request: InvoiceRequest | None = field(default=None, init=False)

    @cached_property
    def computed(self) -> ComputedInvoice:
        return compute_invoice(self.order)

    def save(self, **fields: Any) -> None:
        """Commit fields now (conditional on the lease) and mirror them in the snapshot."""
        self.update(**fields)
        self.job.update(fields)

    def save_with_next(self, **fields: Any) -> None:
        """Fields that must be on the job before any effect, not sooner: they land with the
        next held write — every effect is preceded by one (its intent claim)."""
        if self.defer is None:
            return self.save(**fields)
        self.defer(**fields)
        self.job.update(fields)

    def intend(self, **fields: Any) -> bool:
        """Commit the intent of an effect (a document made at the provider, a GİB send) —
        unless the order was cancelled at the shop since the job started: then False, and
        the effect must not happen."""
        if not self.claim(**fields):
            return False
        self.job.update(fields)
        return True

    @property
    def provider(self):  # noqa: ANN201
        return self.runtime.provider

    def request(self) -> InvoiceRequest:
        """The invoice request, with the route fixed at first use and kept on the job:
        an invoice created as e-Arşiv must stay e-Arşiv on every retry."""
        if self._request is None:
            document_type, alias = self.job.get("document_type"), self.job.get("document_alias")
            if document_type is None and self.job.get("route_source") is None:
                route = self.provider.route(self.order)
                document_type, alias = route.type.value, route.alias
                fields: dict[str, Any] = {
                    "route_source": route.source.value,
                    "route_checked_at": route.checked_at,
                }
                # The type is recorded only when we decided it (a GİB directory lookup, the
                # shop's own e-Fatura flag, an anonymous consumer). Where the provider chooses
                # at send time from GİB's list, a guess on the job would mislead the operator;
                # route_source says so instead.
                if route.source in _DECIDED:
                    fields.update(document_type=document_type, document_alias=alias)
                self.save_with_next(**fields)
            self._request = self.request_factory(document_type, alias)
        return self._request

    def invoice_ref(self) -> InvoiceRef:
        return InvoiceRef(
            invoice_id=str(self.job["invoice_id"]),
            ettn=self.job.get("ettn"),
            invoice_number=self.job.get("invoice_number"),
        )


_DECIDED = (RouteSource.GIB_DIRECTORY, RouteSource.SHOP_FLAG, RouteSource.ANONYMOUS)


@dataclass(frozen=True)
class StepOutcome:
    retry_in: float | None = None  # run again after this many seconds: a wait, not a failure
    attention: AttentionCategory | None = None
    message: str | None = None
    wait_kind: str = "Busy"  # what the job waits for, shown as its last_error_class
    cancelled: bool = False  # the order was cancelled at the shop: stop, nothing at the provider


def _cancelled_before(ctx: StepContext, what: str, draft_possible: bool) -> StepOutcome:
    """The order was cancelled at the shop before ``what``: stop there. With nothing made at
    the provider the job is simply cancelled; with a draft (or maybe one) an operator deletes
    it at the provider — nothing reached GİB either way."""
    if not draft_possible:
        return StepOutcome(cancelled=True, message=f"order cancelled at the shop before the {what}; nothing was made at the provider")
    provider = ctx.provider
    if provider.supports(Capability.WITHDRAW_DRAFT) and provider.supports(Capability.FIND_INVOICE):
        # Looked up first: a draft an earlier run already withdrew is not deleted twice.
        draft = provider.find_invoice(ctx.request())
        if draft is not None:
            provider.withdraw_draft(ctx.request(), draft)
        shown = (draft.invoice_number or draft.invoice_id) if draft is not None else "none was left"
        return StepOutcome(cancelled=True, message=(
            f"order cancelled at the shop before the {what}: nothing was sent to GİB; the draft invoice "
            f"at {provider.name} was withdrawn ({shown})"))
    ref = ctx.job.get("invoice_number") or ctx.job.get("invoice_id") or "(an earlier attempt's, if it was made)"
    return StepOutcome(
        attention=AttentionCategory.CANCELLED_BEFORE_SEND,
        message=(f"order cancelled at the shop before the {what}: nothing was sent to GİB; the draft "
                 f"invoice {ref} at {ctx.runtime.provider.name} is to be deleted there"),
    )


DONE = StepOutcome()


def buyer_fingerprint(buyer: Buyer) -> str:
    """What of the buyer the provider's cari (and so the legal invoice) shows: when it
    changes, a returning buyer's cari is brought up to date before the invoice."""
    shown = buyer.model_dump(mode="json", include={
        "kind", "tax_id", "first_name", "last_name", "company_name", "tax_office", "email",
        "phone", "address",
    })
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]


def run_step(step: Step, ctx: StepContext, state: StepState, kind: str = JobKind.SALE) -> StepOutcome:
    if kind == JobKind.PROFORMA and step is Step.INVOICE:
        return _proforma(ctx, state)
    if kind == JobKind.CANCEL:
        return {Step.E_DOCUMENT: _cancel_e_archive, Step.JOURNAL: _journal_reversal}[step](ctx, state)
    if kind == JobKind.RETURN and step is Step.INVOICE:
        return _return_invoice(ctx, state)
    return _STEPS[step](ctx, state)


def _customer(ctx: StepContext, state: StepState) -> StepOutcome:
    buyer = ctx.order.buyer
    code = buyer.distinguishing_code or ""
    account = ctx.runtime.account_key
    fingerprint = buyer_fingerprint(buyer)
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
        if claim.extra.get("buyer_fingerprint") != fingerprint:
            outcome = _refresh_customer(ctx, CustomerRef(customer_id, dict(claim.extra)), fingerprint)
            if outcome is not None:
                return outcome
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
                account, buyer.tax_id, code, ctx.owner, ref.customer_id,
                {**ref.extra, "buyer_fingerprint": fingerprint},
            )
        customer_id = ref.customer_id
    ctx.save(customer_id=customer_id, step_customer=StepState.DONE.value)
    return DONE


def _refresh_customer(ctx: StepContext, known: CustomerRef, fingerprint: str) -> StepOutcome | None:
    """A returning buyer whose name, address, e-mail or phone changed: update the cari at
    the provider first, so the legal invoice never shows the old details. One updater at a
    time (the mapping's claim); the others wait for it."""
    buyer = ctx.order.buyer
    code, account = buyer.distinguishing_code or "", ctx.runtime.account_key
    with ctx.sessions() as session:
        claimed = MappingRepository(session).claim_refresh(
            account, buyer.tax_id, code, ctx.owner, ctx.lease_ttl_s, ctx.clock()
        )
    if not claimed:
        return StepOutcome(retry_in=1.0, message="another job is updating this buyer's cari")
    ctx.save(step_customer=StepState.IN_PROGRESS.value)
    try:
        ref = ctx.provider.upsert_customer(ctx.order, known=known)
    except BaseException:
        with ctx.sessions() as session:
            MappingRepository(session).release_refresh(account, buyer.tax_id, code, ctx.owner)
        raise
    with ctx.sessions() as session:
        MappingRepository(session).complete_refresh(
            account, buyer.tax_id, code, ctx.owner, ref.customer_id,
            {**known.extra, **ref.extra, "buyer_fingerprint": fingerprint},
        )
    ctx.save(customer_id=ref.customer_id)
    return None


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
        if not ctx.intend(step_invoice=StepState.IN_PROGRESS.value):
            return _cancelled_before(ctx, "invoice was made", draft_possible=state is not StepState.PENDING)
        ref = ctx.provider.create_invoice(req, _customer_ref(ctx))
    ctx.save(
        invoice_id=ref.invoice_id,
        ettn=ref.ettn,
        invoice_number=ref.invoice_number,
        rounding_difference=ctx.provider.rounding_difference(req),
        provider_total=ref.total,
        step_invoice=StepState.DONE.value,
    )
    return _total_mismatch(ctx) or DONE


def _proforma(ctx: StepContext, state: StepState) -> StepOutcome:
    """The proforma of an order awaiting payment, exactly once: intent before the call,
    search before create after an unknown outcome; its total checked like an invoice's."""
    req = ctx.request()
    ref = None
    if state in (StepState.IN_PROGRESS, StepState.FAILED):
        ref = ctx.provider.find_proforma(req)
    if ref is None:
        if not ctx.intend(step_invoice=StepState.IN_PROGRESS.value):
            # Paid or cancelled meanwhile (the proforma was closed): none is needed now.
            return StepOutcome(cancelled=True, message="proforma closed before it was made (order paid or cancelled)")
        ref = ctx.provider.create_proforma(req, _customer_ref(ctx))
    ctx.save(
        invoice_id=ref.proforma_id,
        invoice_number=ref.number,
        provider_total=ref.total,
        step_invoice=StepState.DONE.value,
    )
    return _total_mismatch(ctx) or DONE


def _total_mismatch(ctx: StepContext) -> StepOutcome | None:
    """The provider's own total must be what the customer paid, to the kuruş, before
    anything irreversible happens (a wrong total at GİB cannot be taken back)."""
    total = ctx.job.get("provider_total")
    paid = ctx.computed.paid_total  # of a return job: the refund's total
    if total is None or Decimal(total) == paid:
        return None
    what = "the shop refunded" if ctx.job.get("kind") == JobKind.RETURN else "the customer paid"
    return StepOutcome(
        attention=AttentionCategory.TOTAL_MISMATCH,
        message=f"the provider computed a total of {Decimal(total)} but {what} {paid} "
        f"(difference {paid - Decimal(total)}); nothing was sent to GİB — correct the invoice "
        "at the provider, then retry",
    )


def _recheck_total(ctx: StepContext, req: InvoiceRequest) -> StepOutcome | None:
    """Before the first GİB send: the total the provider holds now (an operator may have
    corrected the draft since the mismatch was found)."""
    if _total_mismatch(ctx) is None:
        return None
    if ctx.provider.supports(Capability.FIND_INVOICE):
        ref = ctx.provider.find_invoice(req)
        if ref is not None and ref.total is not None:
            ctx.save(provider_total=ref.total)
    return _total_mismatch(ctx)


def _record_sent(ctx: StepContext, result: EDocumentState) -> StepOutcome:
    """Follow the document until GİB's final answer: SENT finishes the step; IN_PROGRESS
    keeps the intent and polls (never a second send); FAILED / CANCELLED go to an operator
    with GİB's own words. The journal waits for a final answer, being the next step."""
    fields: dict[str, Any] = {
        "e_document_status": result.raw_status or result.state.value,
        "e_document_message": result.message,
    }
    if result.gib_uuid:
        fields["gib_uuid"] = result.gib_uuid
    if result.invoice_number:
        fields["invoice_number"] = result.invoice_number
    if result.state is SendState.SENT:
        ctx.save(**fields, step_e_document=StepState.DONE.value)
        return DONE
    if result.state is SendState.IN_PROGRESS:
        ctx.save(**fields, step_e_document=StepState.IN_PROGRESS.value)
        sent_at = ctx.job.get("e_document_sent_at") or ctx.clock()
        elapsed = (ctx.clock() - sent_at).total_seconds()
        if elapsed > ctx.gib_answer_wait_s:
            return StepOutcome(
                attention=AttentionCategory.GIB_NO_ANSWER,
                message=f"sent to GİB {elapsed / 3600:.1f} h ago and still no final answer "
                f"(status {result.raw_status}); not resending — check the provider panel",
            )
        return StepOutcome(
            retry_in=ctx.poll_delay(elapsed),
            message=f"waiting for GİB's answer (status {result.raw_status})",
            wait_kind="AwaitingGib",
        )
    ctx.save(**fields, step_e_document=StepState.FAILED.value)
    said = f": {result.message}" if result.message else ""
    if result.state is SendState.FAILED:
        return StepOutcome(
            attention=AttentionCategory.GIB_SEND_FAILED,
            message=f"GİB refused or failed the document (status {result.raw_status}){said}",
        )
    return StepOutcome(
        attention=AttentionCategory.GIB_SEND_FAILED,
        message=f"the invoice is {result.state.value} at the provider (status {result.raw_status}){said}",
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
    mismatch = _recheck_total(ctx, req)
    if mismatch is not None:
        return mismatch
    if not ctx.intend(
        step_e_document=StepState.IN_PROGRESS.value,
        e_document_status="sending",
        e_document_sent_at=ctx.clock(),
    ):
        return _cancelled_before(ctx, "GİB send", draft_possible=True)
    result = ctx.provider.send_e_document(req, invoice)
    return _record_sent(ctx, result)


def _journal(ctx: StepContext, state: StepState) -> StepOutcome:
    req = ctx.request()
    invoice = ctx.invoice_ref()
    if state in (StepState.IN_PROGRESS, StepState.FAILED):
        existing = ctx.provider.journal_reference(req, invoice)
        if existing is not None:
            ctx.save(journal_ref=existing.reference, step_journal=StepState.DONE.value)
            return DONE
    ctx.save(step_journal=StepState.IN_PROGRESS.value)
    ref = ctx.provider.journal(req, invoice)
    ctx.save(journal_ref=ref.reference, step_journal=StepState.DONE.value)
    return DONE


# -- the return job ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sale:
    """What a return job reads of its order's sale job (one session, then plain values)."""

    job_id: int
    status: str
    issued: bool  # its invoice exists and its GİB step is over (sent, or the provider has none)
    original: ReturnOf
    route: dict[str, Any]  # document_type / document_alias / route_source, for the return's request


def _sale_of(ctx: StepContext) -> _Sale | None:
    with ctx.sessions() as session:
        jobs = JobRepository(session)
        this = jobs.get(ctx.job_id)
        # The sale this return answers: an edit's return the version it replaced, a refund's
        # the order's live sale (``JobRepository.sale_returned_by``).
        sale = jobs.sale_returned_by(this) if this is not None else None
        if sale is None:
            return None
        sale_order = Order.model_validate_json(sale.order_json) if sale.order_json else None
        return _Sale(
            job_id=sale.id,
            status=sale.status,
            issued=sale.step_invoice == StepState.DONE.value and StepState(sale.step_e_document) in FINISHED,
            original=ReturnOf(
                invoice_id=str(sale.invoice_id),
                invoice_number=sale.invoice_number,
                # The issue date the sale's request carried (build_request), not the job's.
                issue_date=invoice_date(sale_order.created_at) if sale_order is not None else None,
                ettn=sale.ettn,
                document_type=DocumentType(sale.document_type) if sale.document_type else None,
            ),
            route={"document_type": sale.document_type, "document_alias": sale.document_alias,
                   "route_source": sale.route_source or RouteSource.DEFAULT.value},
        )


def _refunded(ctx: StepContext) -> str:
    """The refunded lines and amounts, as an operator types them into the provider's panel."""
    lines = "; ".join(
        f"{cl.quantity.normalize():f} × {cl.line.name}{f' ({cl.line.sku})' if cl.line.sku else ''} "
        f"{cl.gross_amount} TL (KDV %{cl.vat_rate.normalize():f})"
        for cl in ctx.computed.lines
    )
    return f"{lines}; total {ctx.computed.paid_total} TL incl. KDV {ctx.computed.vat_total} TL"


def _shown(original: ReturnOf) -> str:
    number = original.invoice_number or f"(provider id {original.invoice_id})"
    dated = f" of {original.issue_date.isoformat()}" if original.issue_date else ""
    return f"{number}{dated}"


def _refund_attention(message: str) -> StepOutcome:
    return StepOutcome(attention=AttentionCategory.REFUND_AFTER_SEND, message=message)


def _return_invoice(ctx: StepContext, state: StepState) -> StepOutcome:
    """The return (İADE) invoice of a refund, referencing the sale invoice, exactly once (the
    sale's rules: intent before the call, a search after an unknown outcome, the total checked
    against the refund). An e-Fatura's return is the buyer's, so it is waited for instead;
    where the product cannot document the return, an operator gets the exact instruction."""
    sale = _sale_of(ctx)
    order = ctx.order
    if sale is None:
        return _refund_attention(
            f"refund of order {order.order_name}: sync-engine has no sale invoice for this order, so there is "
            f"no invoice to return; document the return where the order was invoiced: {_refunded(ctx)}")
    if not sale.issued:
        if sale.status == JobStatus.CANCELLED.value:
            return StepOutcome(cancelled=True, message=(
                f"the sale invoice of order {order.order_name} was never issued (sale job {sale.job_id} "
                "cancelled): there is nothing to return"))
        return _wait_for_sale(ctx, sale)
    if ctx.job.get("document_type") is None and ctx.job.get("route_source") is None:
        # The return goes the sale's way (an e-Arşiv's return is an e-Arşiv), without a new lookup.
        ctx.save_with_next(**sale.route)
    original = sale.original
    # Assumption: a sale whose type the provider chose at send time (document_type unset,
    # KolayBi / FaturaEntegratör) is taken for an e-Arşiv; a provider that made it an
    # e-Fatura refuses the return invoice, and the job stops with its words (provider_refused).
    if original.document_type is DocumentType.E_FATURA:
        return _buyer_return(ctx, original)
    provider = ctx.provider
    if not provider.supports(Capability.RETURN_INVOICE):
        return _refund_attention(
            f"{provider.name} cannot issue a return invoice through its API: issue a return (İADE) invoice "
            f"there referencing invoice {_shown(original)} for {_refunded(ctx)}; then close this job")
    req = ctx.request()
    ref: InvoiceRef | None = None
    if state in (StepState.IN_PROGRESS, StepState.FAILED):
        if not provider.supports(Capability.FIND_INVOICE):
            return _refund_attention(
                f"an earlier attempt to make the return invoice for {_shown(original)} has an unknown outcome "
                f"and {provider.name} cannot be searched; not making another — look for it there "
                f"({req.reference}) and issue it only if it is missing: {_refunded(ctx)}")
        ref = provider.find_invoice(req)
    if ref is None:
        if not ctx.intend(step_invoice=StepState.IN_PROGRESS.value):
            return StepOutcome(cancelled=True, message="the return job was closed before its return invoice was made")
        ref = provider.create_return_invoice(req, original, _customer_ref(ctx))
    ctx.save(
        invoice_id=ref.invoice_id,
        ettn=ref.ettn,
        invoice_number=ref.invoice_number,
        rounding_difference=provider.rounding_difference(req),
        provider_total=ref.total,
        step_invoice=StepState.DONE.value,
    )
    return _total_mismatch(ctx) or DONE


def _waited(ctx: StepContext) -> float:
    started = ctx.job.get("created_at")
    return (ctx.clock() - started).total_seconds() if isinstance(started, datetime) else 0.0


def _wait_for_sale(ctx: StepContext, sale: _Sale) -> StepOutcome:
    """A refund reached us while the sale invoice is still being made or sent: the return
    references it, so it waits for it — as long as a GİB answer is waited for."""
    waited = _waited(ctx)
    if waited > ctx.gib_answer_wait_s:
        return _refund_attention(
            f"the sale invoice of order {ctx.order.order_name} (job {sale.job_id}, {sale.status}) has not been "
            f"issued in {ctx.gib_answer_wait_s / 3600:g} h, so its return cannot be made; resolve the sale job, "
            f"then retry this one (refunded: {_refunded(ctx)})")
    return StepOutcome(retry_in=ctx.poll_delay(waited), wait_kind="AwaitingSale",
                       message=f"waiting for the sale invoice (job {sale.job_id}, {sale.status}) to be issued")


def _buyer_return(ctx: StepContext, original: ReturnOf) -> StepOutcome:
    """The sale was an e-Fatura: the seller cannot cancel or return it; the buyer issues the
    İADE (FACTS §5.5). Where the provider lists incoming invoices, the job waits for it and
    records it; else, or past the wait, an operator is told what the buyer must issue."""
    ask = (f"e-Fatura {_shown(original)} cannot be returned by the seller: the buyer issues a return (İADE) "
           f"invoice referencing it for {_refunded(ctx)}")
    provider = ctx.provider
    if not provider.supports(Capability.BUYER_RETURNS):
        return _refund_attention(
            f"{ask}. {provider.name} cannot show incoming invoices: ask the buyer for it, check it when it "
            "arrives, then close this job")
    found = provider.find_buyer_return(ctx.request(), original)
    if found is None:
        waited = _waited(ctx)
        if waited > ctx.buyer_return_wait_s:
            return _refund_attention(
                f"{ask}; none has arrived in {ctx.buyer_return_wait_s / 86400:g} days — ask the buyer for it "
                "(or agree a correction), then retry this job to record it")
        return StepOutcome(retry_in=ctx.poll_delay(waited), wait_kind="AwaitingBuyerReturn",
                           message=f"waiting for the buyer's return (İADE) invoice for e-Fatura {_shown(original)}")
    # The buyer's document is the return: nothing of ours goes to GİB, and its accounting is
    # the incoming invoice's (the provider's purchase flow), not our journal call.
    ctx.save(
        invoice_id=found.invoice_id, ettn=found.ettn, invoice_number=found.invoice_number,
        provider_total=found.total, step_invoice=StepState.DONE.value,
        step_e_document=StepState.SKIPPED.value, step_journal=StepState.SKIPPED.value,
    )
    if found.total is not None and found.total != ctx.computed.paid_total:
        return StepOutcome(
            attention=AttentionCategory.TOTAL_MISMATCH,
            message=f"the buyer's return invoice {found.invoice_number or found.invoice_id} for e-Fatura "
            f"{_shown(original)} totals {found.total} but the shop refunded {ctx.computed.paid_total} "
            f"(difference {ctx.computed.paid_total - found.total}); settle it with the buyer, then retry this job")
    return DONE


def _cancel_e_archive(ctx: StepContext, state: StepState) -> StepOutcome:
    """The sale's e-Arşiv cancelled at GİB, exactly once: the provider is asked first (a lost
    answer to an earlier cancel shows as CANCELLED, never as a reason to cancel again), the
    intent is committed before the call, and the outcome is read back. A document not yet in
    a cancellable state (Turkcell: only status 60) is waited for, within the GİB-answer wait."""
    req = ctx.request()
    invoice = ctx.invoice_ref()
    probe = ctx.provider.e_document_state(req, invoice)
    if probe.state is SendState.CANCELLED:
        ctx.save(step_e_document=StepState.DONE.value, e_document_status="cancelled")
        return DONE
    if probe.state in (SendState.FAILED, SendState.NOT_SENT):
        return StepOutcome(
            attention=AttentionCategory.CANCELLED_AFTER_SEND,
            message=f"the invoice is {probe.state.value} at GİB (status {probe.raw_status}): there is no "
            "e-Arşiv to cancel; check the provider panel",
        )
    if not ctx.provider.can_cancel(probe):
        started = ctx.job.get("created_at")
        waited = (ctx.clock() - started).total_seconds() if isinstance(started, datetime) else 0.0
        if waited > ctx.gib_answer_wait_s:
            return StepOutcome(
                attention=AttentionCategory.CANCELLED_AFTER_SEND,
                message=f"the e-Arşiv did not become cancellable in {ctx.gib_answer_wait_s / 3600:g} h "
                f"(status {probe.raw_status}); cancel it at the provider",
            )
        return StepOutcome(retry_in=ctx.poll_delay(waited), wait_kind="AwaitingCancellable",
                           message=f"waiting for the e-Arşiv to become cancellable (status {probe.raw_status})")
    ctx.save(step_e_document=StepState.IN_PROGRESS.value, e_document_status="cancelling")
    ctx.provider.cancel_e_archive(req, invoice)
    after = ctx.provider.e_document_state(req, invoice)
    if after.state is SendState.CANCELLED:
        ctx.save(step_e_document=StepState.DONE.value, e_document_status="cancelled")
        return DONE
    return StepOutcome(retry_in=ctx.poll_delay(0.0), wait_kind="AwaitingCancel",
                       message=f"cancel sent; GİB shows status {after.raw_status} so far")


def _journal_reversal(ctx: StepContext, state: StepState) -> StepOutcome:
    """The journal entry of a cancelled e-Arşiv reversed (ters kayıt), exactly once: the
    intent is committed before the call; after an unknown outcome the provider is asked
    (``journal_reversed``) and the call is made again only on an explicit "still journaled".
    A provider without the call: the operator is told exactly what to reverse."""
    ref = ctx.job.get("journal_ref")
    if not ref:
        return DONE  # never journaled: nothing to reverse
    number = ctx.job.get("invoice_number") or ctx.job.get("invoice_id")
    provider = ctx.provider
    if not provider.supports(Capability.REVERSE_JOURNAL):
        return StepOutcome(
            attention=AttentionCategory.CANCELLED_AFTER_SEND,
            message=f"e-Arşiv {number} is cancelled at GİB; reverse its journal entry {ref} (ters kayıt) in "
            "the provider's accounting by hand",
        )
    req = ctx.request()
    invoice = ctx.invoice_ref()
    if state in (StepState.IN_PROGRESS, StepState.FAILED):
        reversed_ = provider.journal_reversed(req, invoice)
        if reversed_ is None:
            return StepOutcome(
                attention=AttentionCategory.CANCELLED_AFTER_SEND,
                message=f"the reversal of journal entry {ref} (e-Arşiv {number}, cancelled at GİB) has an unknown "
                f"outcome and {provider.name} cannot be asked; not reversing again — check its accounting, then "
                "mark this job",
            )
        if reversed_:
            ctx.save(step_journal=StepState.DONE.value)
            return DONE
    ctx.save(step_journal=StepState.IN_PROGRESS.value)
    provider.reverse_journal(req, invoice)
    ctx.save(step_journal=StepState.DONE.value)
    return DONE


_STEPS: dict[Step, Callable[[StepContext, StepState], StepOutcome]] = {
    Step.CUSTOMER: _customer,
    Step.INVOICE: _invoice,
    Step.E_DOCUMENT: _e_document,
    Step.JOURNAL: _journal,
}

__all__ = ["StepContext", "StepOutcome", "run_step", "DocumentType"]
