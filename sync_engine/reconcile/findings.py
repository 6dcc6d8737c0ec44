"""What a run can find, what it does about it, and the report it keeps.

Every difference is one ``Finding``: a category (what is different), an action (what the run
did, or in a dry run would do) and the evidence a person needs to check it without opening
three systems. The report counts findings per category and per action.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    # Shop side
    MISSING_JOB = "missing_job"  # a paid order the state table never heard of (lost webhook)
    MISSING_PROFORMA = "missing_proforma"  # an order awaiting a transfer, no proforma job (lost webhook)
    PROFORMA_CLOSED = "proforma_closed"  # a proforma whose order was cancelled or stayed unpaid past due
    CANCEL_MISSED = "cancel_missed"  # cancelled / fully refunded at the shop, its invoice job never told
    # the shop's order differs for the invoice (total, lines, buyer) from what its sale job
    # invoiced, after the invoice was made: the edit webhook was lost, or came too early
    AMOUNT_CHANGED_AFTER_INVOICE = "amount_changed_after_invoice"
    # refunded at the shop after the invoice went to GİB, and no return job: the refund
    # webhook was lost
    RETURN_MISSED = "return_missed"
    # Provider side
    MISSING_AT_PROVIDER = "missing_at_provider"  # the job says invoiced; the provider has none
    ADOPT = "adopt"  # the provider has the invoice; the job never recorded it
    NOT_SENT = "not_sent"  # the job says sent to GİB; the provider says not sent
    NOT_JOURNALED = "not_journaled"  # the job says journaled; the provider says not
    AMOUNT_MISMATCH = "amount_mismatch"  # the provider's total is not what the buyer paid
    DUPLICATE_AT_PROVIDER = "duplicate_at_provider"  # two invoices at the provider for one order
    UNKNOWN_AT_PROVIDER = "unknown_at_provider"  # carries our order reference, but no job has it
    # State table
    STUCK = "stuck"  # a job that stopped moving (expired lease, lost wake-up, needs a person)


class Action(StrEnum):
    INGESTED = "ingested"  # the order went through ingest, as a webhook would have
    ADOPTED = "adopted"  # the provider's ids written onto the job, job re-driven
    REDRIVEN = "redriven"  # step set to be probed / resumed, job queued again
    ENQUEUED = "enqueued"  # a wake-up call only; the row was already runnable
    FLAGGED = "flagged"  # written onto the job as needs_attention
    CLOSED = "closed"  # a document of the order's chain closed out (no provider call)
    REISSUED = "reissued"  # an edited order's invoice returned in full and invoiced anew (new jobs)
    REPORTED = "reported"  # in the report only; nothing touched (needs a person)
    ALREADY_FLAGGED = "already_flagged"  # an earlier run flagged it; nothing written again
    SKIPPED_CHANGED = "skipped_changed"  # the job moved while the run looked: left alone
    SKIPPED_UNSAFE = "skipped_unsafe"  # a re-drive would not be safe (cannot probe): reported


# What a dry run reports instead of doing it.
_WOULD = {
    Action.INGESTED: "would_ingest",
    Action.ADOPTED: "would_adopt",
    Action.REDRIVEN: "would_redrive",
    Action.ENQUEUED: "would_enqueue",
    Action.FLAGGED: "would_flag",
    Action.CLOSED: "would_close",
    Action.REISSUED: "would_reissue",
}

# Actions that change the state table or the queue (the "repairs" of a run).
CHANGING_ACTIONS = frozenset(
    {Action.INGESTED, Action.ADOPTED, Action.REDRIVEN, Action.ENQUEUED, Action.FLAGGED, Action.CLOSED,
     Action.REISSUED}
)


def action_label(action: Action, dry_run: bool) -> str:
    return _WOULD.get(action, action.value) if dry_run else action.value


@dataclass
class Finding:
    category: Category
    action: Action
    order_id: str | None = None
    job_id: int | None = None
    invoice_ref: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_json(self, dry_run: bool) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "action": action_label(self.action, dry_run),
            "order_id": self.order_id,
            "job_id": self.job_id,
            "invoice_ref": self.invoice_ref,
            "evidence": self.evidence,
        }


@dataclass
class StoreReport:
    """One store's run: what was looked at, what differed, what was done."""

    store_id: str
    window_start: datetime
    window_end: datetime
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"  # ok | partial | failed
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)  # orders seen, invoices listed, …
    notes: list[str] = field(default_factory=list)  # e.g. "provider side not available: …"
    shop_calls: int = 0
    provider_calls: int = 0
    run_id: int | None = None

    def add(self, finding: Finding) -> Finding:
        self.findings.append(finding)
        return finding

    def category_counts(self) -> dict[str, int]:
        counts = Counter(f.category.value for f in self.findings)
        return {c.value: counts.get(c.value, 0) for c in Category}

    def action_counts(self) -> dict[str, int]:
        return dict(Counter(action_label(f.action, self.dry_run) for f in self.findings))

    @property
    def differences(self) -> int:
        return len(self.findings)

    @property
    def repairs(self) -> int:
        return sum(1 for f in self.findings if f.action in CHANGING_ACTIONS)

    def counts(self) -> dict[str, Any]:
        """What ``reconcile_runs.counts`` holds."""
        return {
            "categories": self.category_counts(),
            "actions": self.action_counts(),
            "stats": self.stats,
            "notes": self.notes,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "store_id": self.store_id,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "dry_run": self.dry_run,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "shop_calls": self.shop_calls,
            "provider_calls": self.provider_calls,
            "differences": self.differences,
            "repairs": self.repairs,
            **self.counts(),
            "items": [f.as_json(self.dry_run) for f in self.findings],
        }
