"""A planned repair: the fields one compare-and-set UPDATE writes, and whether the job is
woken afterwards. Repairs only ever put a job back on the normal pipeline path (a step
state the pipeline knows how to resume or probe, the status ``queued``); nothing here calls
a provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync_engine.pipeline.states import JobStatus
from sync_engine.reconcile.findings import Finding
from sync_engine.reconcile.repository import JobSnapshot


@dataclass
class Repair:
    job: JobSnapshot
    fields: dict[str, Any] = field(default_factory=dict)  # empty: a wake-up call only
    enqueue: bool = True


@dataclass
class Planned:
    """Findings about one job (or order) and the one repair that answers them all."""

    findings: list[Finding]
    repair: Repair | None = None


def requeue_fields(now: datetime) -> dict[str, Any]:
    """What ``ops.retry_job`` writes: a fresh attempt budget, due now, no stale error. The
    step states are set by the caller; the pipeline resumes from the first unfinished one."""
    return {
        "status": JobStatus.QUEUED.value,
        "next_attempt_at": now,
        "attempt_count": 0,
        "attention_category": None,
        "last_error_class": None,
        "last_error_message": None,
    }
