"""Operator actions, shared by the console and the CLI; each one is written to audit_log in
the same transaction as its effect (who, when, what). None commits: the caller does, then
enqueues (a job is only enqueued once its row is committed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sync_engine.domain.states import JobStatus, StepState
from sync_engine.logging import redact_text
from sync_engine.pipeline.ops import OpsError, retry_job
from sync_engine.store.models import AuditEntry, Job
from sync_engine.store.repositories import EventRepository, JobRepository
from sync_engine.store.repositories._common import guarded_update
from sync_engine.web.ui.queries import BULK_LIMIT, JobFilter

NOTE_LIMIT = 2000


def audit(session: Session, actor: str, action: str, now: datetime, *, job_id: int | None = None,
          event_id: int | None = None, detail: Mapping[str, Any] | None = None) -> None:
    session.add(AuditEntry(at=now, actor=actor[:128], action=action, job_id=job_id, event_id=event_id,
                           detail=dict(detail) if detail else None))
    session.flush()


def retry(session: Session, job_id: int, actor: str, now: datetime) -> Job:
    """The ops API's retry (``sync_engine.pipeline.ops.retry_job``): needs_attention only."""
    job = retry_job(session, job_id, now)
    audit(session, actor, "retry", now, job_id=job_id)
    return job


def retry_matching(session: Session, flt: JobFilter, actor: str, now: datetime,
                   limit: int = BULK_LIMIT) -> list[int]:
    """Retry every needs_attention job the filter matches (at most ``limit``); the ids."""
    scoped = JobFilter(**{**flt.__dict__, "status": JobStatus.NEEDS_ATTENTION.value})
    ids = list(session.scalars(select(Job.id).where(*scoped.where()).order_by(Job.id).limit(limit)))
    done = []
    for job_id in ids:
        try:
            retry_job(session, job_id, now)
        except OpsError:
            continue  # it changed status since the SELECT: nothing to retry
        done.append(job_id)
    audit(session, actor, "retry_bulk", now, detail={"filter": flt.params(), "job_ids": done})
    return done


def cancel(session: Session, job_id: int, actor: str, now: datetime, reason: str = "") -> Job:
    """Stop a job before anything reached GİB. Refused once the GİB send was claimed or
    made (that document must be cancelled or returned at the provider), and while a worker
    holds the job. One guarded UPDATE: the pipeline's GİB claim checks ``closed_at``, so a
    cancel and a send can never both win."""
    repo = JobRepository(session)
    job = repo.get(job_id)
    if job is None:
        raise OpsError(f"job {job_id} not found")
    if job.status in (JobStatus.COMPLETED, JobStatus.CANCELLED):
        raise OpsError(f"job {job_id} is {job.status}")
    if job.step_e_document != StepState.PENDING or job.e_document_sent_at is not None:
        raise OpsError(f"job {job_id}: the GİB send was already made or started — cancel the "
                       "e-Arşiv at the provider or issue an İADE faturası; it cannot be cancelled here")
    note = redact_text(reason.strip())[:NOTE_LIMIT]
    closed_reason = f"cancelled by {actor}" + (f": {note}" if note else "")
    ok = guarded_update(session, Job, [
        Job.id == job_id, Job.closed_at.is_(None), Job.step_e_document == StepState.PENDING.value,
        Job.status.notin_([JobStatus.COMPLETED.value, JobStatus.CANCELLED.value]),
        or_(Job.lease_owner.is_(None), Job.lease_expires_at < now),
    ], {"status": JobStatus.CANCELLED.value, "closed_at": now, "closed_reason": closed_reason,
        "attention_category": None, "next_attempt_at": None, "lease_owner": None,
        "lease_expires_at": None, "updated_at": now})
    if not ok:
        raise OpsError(f"job {job_id} changed meanwhile (a worker holds it, or it was sent): reload and try again")
    extra = {"draft_at_provider": job.invoice_id} if job.step_invoice != StepState.PENDING else {}
    audit(session, actor, "cancel", now, job_id=job_id, detail={"note": note, **extra})
    got = repo.get(job_id)
    assert got is not None
    return got


def resolve(session: Session, job_id: int, actor: str, now: datetime, note: str) -> Job:
    """Close a needs_attention job an operator settled by hand (the draft deleted, the
    e-Arşiv cancelled at the provider, GİB's answer checked in its panel), with a note.

    The job leaves needs_attention as ``completed`` when its document reached GİB (the
    e_document step is done or was started: the document exists) and as ``cancelled``
    otherwise; ``closed_reason`` and the audit entry keep who resolved it and the note. (I)
    — the issue names no status for "resolved"; these two are the existing terminal ones.
    """
    note = redact_text(note.strip())[:NOTE_LIMIT]
    if not note:
        raise OpsError("a note is required: say what was done")
    repo = JobRepository(session)
    job = repo.get(job_id)
    if job is None:
        raise OpsError(f"job {job_id} not found")
    if job.status != JobStatus.NEEDS_ATTENTION:
        raise OpsError(f"job {job_id} is {job.status}; only needs_attention jobs are resolved")
    sent = job.step_e_document != StepState.PENDING or job.e_document_sent_at is not None
    status = JobStatus.COMPLETED if sent else JobStatus.CANCELLED
    fields: dict[str, Any] = {"status": status.value, "closed_at": job.closed_at or now,
                              "closed_reason": f"resolved by {actor}: {note}", "next_attempt_at": None,
                              "updated_at": now}
    if status is JobStatus.COMPLETED:
        fields["completed_at"] = job.completed_at or now
    ok = guarded_update(session, Job, [Job.id == job_id, Job.status == JobStatus.NEEDS_ATTENTION.value], fields)
    if not ok:
        raise OpsError(f"job {job_id} changed meanwhile: reload and try again")
    audit(session, actor, "resolve", now, job_id=job_id,
          detail={"note": note, "attention_category": job.attention_category, "status": status.value})
    got = repo.get(job_id)
    assert got is not None
    return got


@dataclass
class ReplayOutcome:
    event_id: int
    status: str
    reason: str
    job_id: int | None
    enqueue: bool


def replay_event(session: Session, event_id: int, stores: Mapping[str, Any], actor: str,
                 now: datetime) -> ReplayOutcome:
    """``sync-engine events replay`` for one event: ``sync_engine.ingest.replay``."""
    from sync_engine.ingest import replay
    from sync_engine.platforms.registry import get_platform

    event = EventRepository(session).get(event_id)
    if event is None:
        raise OpsError(f"event {event_id} not found")
    if event.store_id not in stores:
        raise OpsError(f"store {event.store_id} is not configured")
    result = replay(session, event, store=stores[event.store_id], adapter=get_platform(event.platform), now=now)
    audit(session, actor, "replay", now, event_id=event_id, job_id=result.job_id,
          detail={"result": result.status, "reason": result.reason})
    return ReplayOutcome(event_id, result.status, result.reason or "", result.job_id,
                         bool(result.enqueue and result.job_id is not None))
