"""Job and step states, and the order of steps (DESIGN §3)."""

from __future__ import annotations

from enum import StrEnum

from sync_engine.providers.base import Capability


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    NEEDS_ATTENTION = "needs_attention"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# Statuses a worker may pick up (a RUNNING job only once its lease has expired).
RUNNABLE = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RETRYING)


class JobKind(StrEnum):
    """What document a job makes (its idempotency key ends in it)."""

    SALE = "sale"  # the sale invoice: customer ▸ invoice ▸ e_document ▸ journal
    PROFORMA = "proforma"  # a proforma for an order awaiting payment: customer ▸ proforma


class StepState(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"  # intent recorded; the outcome of the call may be unknown
    DONE = "done"
    SKIPPED = "skipped"  # the provider does not offer the step (declared capability)
    FAILED = "failed"


FINISHED = (StepState.DONE, StepState.SKIPPED)


class Step(StrEnum):
    CUSTOMER = "customer"
    INVOICE = "invoice"
    E_DOCUMENT = "e_document"
    JOURNAL = "journal"

    @property
    def column(self) -> str:
        return f"step_{self.value}"

    @property
    def capability(self) -> Capability:
        return Capability(self.value)


STEPS: tuple[Step, ...] = (Step.CUSTOMER, Step.INVOICE, Step.E_DOCUMENT, Step.JOURNAL)


def step_capability(kind: str, step: Step) -> Capability | None:
    """The capability a step of a job of ``kind`` needs; None: the kind has no such step."""
    if kind == JobKind.PROFORMA:
        # A proforma is no legal invoice: it never goes to GİB and is never journaled.
        return {Step.CUSTOMER: Capability.CUSTOMER, Step.INVOICE: Capability.PROFORMA}.get(step)
    return step.capability


class AttentionCategory(StrEnum):
    INVALID_ORDER = "invalid_order"  # the order cannot be invoiced as it is
    PROVIDER_REFUSED = "provider_refused"  # a permanent error with the provider's message
    AUTH = "auth"  # credentials / configuration
    RETRIES_EXHAUSTED = "retries_exhausted"
    GIB_SEND_UNCONFIRMED = "gib_send_unconfirmed"  # cannot ask whether it was sent: never resend
    GIB_SEND_FAILED = "gib_send_failed"  # an error or rejection from GİB, with its own words
    GIB_NO_ANSWER = "gib_no_answer"  # sent, but GİB gave no final answer in SYNC_GIB_ANSWER_WAIT_S
    TOTAL_MISMATCH = "total_mismatch"  # the provider's total is not what the customer paid
    CONFIG = "config"  # the store or provider is not configured
    MISSING_AT_PROVIDER = "missing_at_provider"  # reconciliation: invoiced, then gone at the provider
