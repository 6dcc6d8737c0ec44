"""Pure decisions: given a job as the state table has it and the provider's invoices for it
(or the job alone, for stuck jobs), what is different and what is safe to do.

The safety rules, all of them DESIGN §3's:
* never create again: an invoice the provider has is adopted (its ids written onto the job,
  the invoice step marked done), so the pipeline resumes *after* it;
* never send to GİB blindly: a send the provider reports missing is re-driven by marking
  the step ``failed``, which makes the pipeline ask the provider before it sends, and a job
  whose provider cannot be asked is reported, not re-driven;
* never touch a job a worker holds (live lease) or one whose row moved since it was read
  (the repair is a compare-and-set on ``updated_at``);
* amounts are never "fixed": a total that differs goes to a person.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

from sync_engine.pipeline.states import AttentionCategory, JobStatus, StepState
from sync_engine.providers.base import Capability, RemoteInvoice
from sync_engine.reconcile.findings import Action, Category, Finding
from sync_engine.reconcile.matching import invoice_evidence
from sync_engine.reconcile.plan import Planned, Repair, requeue_fields
from sync_engine.reconcile.repository import JobSnapshot
from sync_engine.reconcile.window import Window

CENT = Decimal("0.01")
DONE = StepState.DONE.value
IN_DOUBT = (StepState.IN_PROGRESS.value, StepState.FAILED.value)
_TERMINAL = (JobStatus.COMPLETED.value, JobStatus.CANCELLED.value)


def _finding(
    category: Category, action: Action, job: JobSnapshot, *, at: RemoteInvoice | None = None, **evidence: Any
) -> Finding:
    """``at``: the provider's invoice the finding is about, when the job has no ids yet."""
    ref = job.invoice_number or job.invoice_id
    if ref is None and at is not None:
        ref = at.invoice_number or at.invoice_id
    return Finding(
        category=category,
        action=action,
        order_id=job.order_id,
        job_id=job.id,
        invoice_ref=ref,
        evidence={"job": job.evidence(), **evidence},
    )


def primary_invoice(job: JobSnapshot, invoices: list[RemoteInvoice]) -> RemoteInvoice:
    """The invoice the job recorded, else the one with our ETTN, else the first listed."""
    for invoice in invoices:
        if job.invoice_id and invoice.invoice_id == job.invoice_id:
            return invoice
    for invoice in invoices:
        if job.ettn and invoice.ettn and invoice.ettn.lower() == job.ettn.lower():
            return invoice
    return invoices[0]


def amount_difference(job: JobSnapshot, invoice: RemoteInvoice) -> dict[str, str] | None:
    """Evidence when the provider's total is not what the buyer paid (None: it is).

    The provider's total may sit below the paid total by the rounding difference the
    pipeline recorded (DESIGN §7: at most 0.01 per VAT rate, where a provider's per-line
    rounding cannot express the paid amounts). Before the job recorded it (an invoice being
    adopted), that bound is the tolerance."""
    if invoice.total is None or job.facts is None:
        return None
    paid = job.facts.paid_total
    difference = paid - invoice.total
    if job.rounding_difference is not None:
        ok = difference == job.rounding_difference
    else:
        ok = abs(difference) <= CENT * job.facts.vat_rates
    if ok:
        return None
    return {
        "paid_total": str(paid),
        "provider_total": str(invoice.total),
        "difference": str(difference),
        "recorded_rounding_difference": (
            str(job.rounding_difference) if job.rounding_difference is not None else None
        ),
    }


def classify_invoiced(
    job: JobSnapshot,
    invoices: list[RemoteInvoice],
    *,
    capabilities: Collection[Capability],
    window: Window,
    now: datetime,
) -> Planned | None:
    """The provider side of one job (``invoices``: what the provider listed for it)."""
    if not invoices:
        return _missing(job, window)
    findings: list[Finding] = []
    primary = primary_invoice(job, invoices)
    if len(invoices) > 1:
        findings.append(_finding(
            Category.DUPLICATE_AT_PROVIDER, Action.REPORTED, job, at=primary,
            invoices=[invoice_evidence(i) for i in invoices],
        ))
    mismatch = amount_difference(job, primary)
    if mismatch is not None:
        # Nothing else is repaired on a job whose invoice does not match the order.
        findings.append(_finding(
            Category.AMOUNT_MISMATCH, Action.REPORTED, job, at=primary,
            invoice=invoice_evidence(primary), **mismatch,
        ))
        return Planned(findings)
    if job.lease_live(now) or job.status == JobStatus.CANCELLED.value or job.closed_at is not None:
        # A worker is on it right now (the normal in-flight case), or nobody should be (its
        # order was cancelled, its document closed out).
        return Planned(findings) if findings else None
    if job.step_invoice != DONE:
        findings.append(_finding(Category.ADOPT, Action.ADOPTED, job, at=primary, invoice=invoice_evidence(primary)))
        return Planned(findings, Repair(job, adopt_fields(job, primary, capabilities, now)))
    return _after_invoice(job, primary, findings, capabilities, now)


def _missing(job: JobSnapshot, window: Window) -> Planned | None:
    # Only a job that says "invoiced" and whose invoice date was listed can be missing.
    if job.step_invoice != DONE or job.facts is None or not window.covers_day(job.facts.issue_date):
        return None
    listed = f"{window.first_day.isoformat()}..{window.last_day.isoformat()}"
    if (
        job.status == JobStatus.NEEDS_ATTENTION.value
        and job.attention_category == Category.MISSING_AT_PROVIDER.value
    ):
        return Planned([_finding(Category.MISSING_AT_PROVIDER, Action.ALREADY_FLAGGED, job, listed=listed)])
    message = (
        f"reconciliation: the provider lists no invoice for this job (issue dates {listed}); "
        f"it was recorded as {job.invoice_number or job.invoice_id}"
    )
    fields = {
        "status": JobStatus.NEEDS_ATTENTION.value,
        "attention_category": Category.MISSING_AT_PROVIDER.value,
        "last_error_class": Category.MISSING_AT_PROVIDER.value,
        "last_error_message": message,
        "next_attempt_at": None,
    }
    finding = _finding(Category.MISSING_AT_PROVIDER, Action.FLAGGED, job, listed=listed)
    return Planned([finding], Repair(job, fields, enqueue=False))


def adopt_fields(
    job: JobSnapshot, invoice: RemoteInvoice, capabilities: Collection[Capability], now: datetime
) -> dict[str, Any]:
    """The provider's ids onto the job, the invoice step done, the job queued again.

    A later step still ``pending`` whose effect the provider may already show (sent to GİB,
    journaled — or it cannot say) is set to ``failed``: the pipeline then asks before it
    acts, instead of sending a second time and meeting a refusal."""
    fields: dict[str, Any] = {
        **requeue_fields(now),
        "invoice_id": invoice.invoice_id,
        "ettn": invoice.ettn or job.ettn,
        "invoice_number": invoice.invoice_number or job.invoice_number,
        "step_invoice": DONE,
    }
    if (
        Capability.E_DOCUMENT in capabilities
        and job.step_e_document == StepState.PENDING.value
        and invoice.sent is not False
    ):
        fields["step_e_document"] = StepState.FAILED.value
    if (
        Capability.JOURNAL in capabilities
        and job.step_journal == StepState.PENDING.value
        and invoice.journaled is not False
    ):
        fields["step_journal"] = StepState.FAILED.value
    return fields


def _after_invoice(
    job: JobSnapshot,
    invoice: RemoteInvoice,
    findings: list[Finding],
    capabilities: Collection[Capability],
    now: datetime,
) -> Planned | None:
    fields: dict[str, Any] = {}
    evidence = invoice_evidence(invoice)
    if Capability.E_DOCUMENT in capabilities and job.step_e_document == DONE and invoice.sent is False:
        findings.append(_finding(Category.NOT_SENT, Action.REDRIVEN, job, invoice=evidence))
        # failed, not pending: the pipeline asks the provider before it sends (DESIGN §3).
        fields["step_e_document"] = StepState.FAILED.value
    if Capability.JOURNAL in capabilities and job.step_journal == DONE and invoice.journaled is False:
        findings.append(_finding(Category.NOT_JOURNALED, Action.REDRIVEN, job, invoice=evidence))
        fields["step_journal"] = StepState.FAILED.value
    if not findings:
        return None
    if not fields:
        return Planned(findings)
    return Planned(findings, Repair(job, {**requeue_fields(now), **fields}))


# -- stuck jobs ---------------------------------------------------------------------------------

# Needs-attention reasons a re-drive can cure without a person: the pipeline's own probes
# settle an unknown outcome, and transient errors may have passed overnight.
_REDRIVABLE = frozenset({AttentionCategory.RETRIES_EXHAUSTED.value, AttentionCategory.GIB_SEND_UNCONFIRMED.value})


def classify_stuck(
    job: JobSnapshot, *, capabilities: Collection[Capability], now: datetime, stale_before: datetime
) -> Planned | None:
    """A job that stopped moving: wake it, re-drive it, or report it for a person."""
    if job.status in _TERMINAL or job.lease_live(now):
        return None
    if job.status == JobStatus.RUNNING.value:
        # The worker died after its lease expired and no sweeper re-enqueued the job. The
        # row is runnable as it is (an expired lease may be taken): a wake-up call suffices.
        return _wake(job, "lease_expired", lease_expires_at=_iso(job.lease_expires_at))
    if job.status in (JobStatus.QUEUED.value, JobStatus.RETRYING.value):
        due = job.next_attempt_at
        if due is not None and due < stale_before:
            return _wake(job, "overdue", next_attempt_at=_iso(due))
        return None
    reason = job.attention_category or "needs_attention"
    in_doubt = job.step_e_document in IN_DOUBT
    if reason in _REDRIVABLE:
        if in_doubt and Capability.E_DOCUMENT_STATE not in capabilities:
            # A GİB send with an unknown outcome that the provider cannot be asked about:
            # re-driving would only bounce back; a person checks the provider panel.
            finding = _finding(Category.STUCK, Action.SKIPPED_UNSAFE, job, reason=reason,
                               gib_send_in_doubt=True)
            return Planned([finding])
        finding = _finding(Category.STUCK, Action.REDRIVEN, job, reason=reason, gib_send_in_doubt=in_doubt)
        return Planned([finding], Repair(job, requeue_fields(now)))
    return Planned([_finding(Category.STUCK, Action.REPORTED, job, reason=reason,
                             gib_send_in_doubt=in_doubt)])


def _wake(job: JobSnapshot, reason: str, **evidence: Any) -> Planned:
    return Planned([_finding(Category.STUCK, Action.ENQUEUED, job, reason=reason, **evidence)],
                   Repair(job, {}, enqueue=True))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
