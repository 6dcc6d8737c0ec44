"""Job and step states, and the order of steps (DESIGN §3). The vocabulary itself is
``sync_engine.domain.states``; this module adds what the pipeline needs on top of it."""

from __future__ import annotations

from sync_engine.domain.states import (
    FINISHED,
    LEASABLE_STATUSES,
    STEPS,
    AttentionCategory,
    JobKind,
    JobStatus,
    Step,
    StepState,
)
from sync_engine.providers.base import Capability


def step_capability(kind: str, step: Step) -> Capability | None:
    """The capability a step of a job of ``kind`` needs; None: the kind has no such step."""
    if kind == JobKind.PROFORMA:
        # A proforma is no legal invoice: it never goes to GİB and is never journaled.
        return {Step.CUSTOMER: Capability.CUSTOMER, Step.INVOICE: Capability.PROFORMA}.get(step)
    if kind == JobKind.CANCEL:
        # The sale's cari and invoice stay; its e-Arşiv is cancelled at GİB, and its journal
        # entry (where the provider journals) is to be reversed.
        return {Step.E_DOCUMENT: Capability.CANCEL_E_ARCHIVE, Step.JOURNAL: Capability.JOURNAL}.get(step)
    if kind == JobKind.RETURN:
        # The sale's cari is reused (ingest copies it). The invoice step runs at every provider that
        # makes invoices, whatever else it offers: it makes our return invoice (RETURN_INVOICE), waits for the
        # buyer's (an e-Fatura, BUYER_RETURNS) or tells an operator what to issue — a refund
        # after the GİB send is never skipped silently. The return invoice is sent and
        # journaled like a sale's; the sale's own journal entry is not reversed (the return's
        # entry offsets it).
        return {Step.INVOICE: Capability.INVOICE, Step.E_DOCUMENT: Capability.E_DOCUMENT,
                Step.JOURNAL: Capability.JOURNAL}.get(step)
    return Capability(step.value)


__all__ = [
    "FINISHED", "LEASABLE_STATUSES", "STEPS", "AttentionCategory", "JobKind", "JobStatus", "Step",
    "StepState", "step_capability",
]
