"""The job vocabulary, defined once: what a job, a step and a stored event can be, why a job
waits for a person, and which document a buyer gets. The store maps these to plain string
columns, the pipeline moves jobs through them, the web, CLI and reconciliation show them.
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    NEEDS_ATTENTION = "needs_attention"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# A worker may (re)take a job only in these states (a RUNNING one only once its lease has
# expired); the rest are terminal or need a person.
LEASABLE_STATUSES: tuple[JobStatus, ...] = (JobStatus.QUEUED, JobStatus.RETRYING, JobStatus.RUNNING)


class JobKind(StrEnum):
    """What document a job makes (its idempotency key ends in it)."""

    SALE = "sale"  # the sale invoice: customer ▸ invoice ▸ e_document ▸ journal
    PROFORMA = "proforma"  # a proforma for an order awaiting payment: customer ▸ proforma
    # The order was cancelled at the shop: the chain's record of what that meant for its sale
    # invoice (stopped before GİB, or sent and to be cancelled / returned). No provider step.
    CANCEL = "cancel"
    # A refund after the sale invoice went to GİB (a partial refund, or a full one once the
    # document can no longer be cancelled): the return (İADE) invoice for exactly what was
    # refunded, referencing the sale invoice; key ``{store}:{order}:return:{refund_id}``.
    # Steps: invoice (the return document) ▸ e_document ▸ journal, on the sale's cari.
    RETURN = "return"


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


STEPS: tuple[Step, ...] = (Step.CUSTOMER, Step.INVOICE, Step.E_DOCUMENT, Step.JOURNAL)


class AttentionCategory(StrEnum):
    INVALID_ORDER = "invalid_order"  # the order cannot be invoiced as it is
    INVALID_TAX_ID = "invalid_tax_id"  # the buyer's TCKN / VKN fails its checksum
    PROVIDER_REFUSED = "provider_refused"  # a permanent error with the provider's message
    AUTH = "auth"  # credentials / configuration
    RETRIES_EXHAUSTED = "retries_exhausted"
    GIB_SEND_UNCONFIRMED = "gib_send_unconfirmed"  # cannot ask whether it was sent: never resend
    GIB_SEND_FAILED = "gib_send_failed"  # an error or rejection from GİB, with its own words
    GIB_NO_ANSWER = "gib_no_answer"  # sent, but GİB gave no final answer in SYNC_GIB_ANSWER_WAIT_S
    TOTAL_MISMATCH = "total_mismatch"  # the provider's total is not what the customer paid
    CONFIG = "config"  # the store or provider is not configured
    MISSING_AT_PROVIDER = "missing_at_provider"  # reconciliation: invoiced, then gone at the provider
    # Cancelled at the shop before the GİB send, but a draft invoice was already saved at the
    # provider: nothing reached GİB; the draft is to be deleted there.
    CANCELLED_BEFORE_SEND = "cancelled_before_send"
    # Cancelled at the shop after the invoice went to GİB: it must be cancelled at the
    # provider (e-Arşiv) or answered with a return invoice; the job says which.
    CANCELLED_AFTER_SEND = "cancelled_after_send"
    # Refunded at the shop after the invoice went to GİB, and the product cannot document the
    # return itself (no return invoice at the provider, or an e-Fatura whose buyer's İADE
    # cannot be looked up): the job names the invoice, lines and amounts to return by hand.
    REFUND_AFTER_SEND = "refund_after_send"


class DocumentType(StrEnum):
    E_FATURA = "e_fatura"
    E_ARSIV = "e_arsiv"


class EventSource(StrEnum):
    WEBHOOK = "webhook"
    RECONCILIATION = "reconciliation"
    REPLAY = "replay"


class EventStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    NEEDS_ATTENTION = "needs_attention"
    REJECTED = "rejected"
