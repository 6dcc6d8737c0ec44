"""Operator actions and the job's public shape, shared by the CLI and the ops API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sync_engine.pipeline.states import STEPS, JobStatus
from sync_engine.store.repositories import AttemptRepository, JobRepository

_STEP_ID_COLUMN = {"customer": "customer_id", "invoice": "invoice_id", "e_document": "gib_uuid", "journal": "journal_ref"}


class OpsError(Exception):
    """An operator action that does not apply (unknown job, wrong status)."""


def job_view(job: Any) -> dict[str, Any]:
    """The job as the ops API and `jobs show --json` present it (DESIGN §7)."""
    return {
        "id": job.id,
        "store_id": job.store_id,
        "order_id": job.order_id,
        "order_name": job.order_name,
        "idempotency_key": job.idempotency_key,
        "kind": job.kind,  # sale | proforma | cancel | return
        "provider": job.provider,
        "status": job.status,
        "steps": {
            s.value: {"state": getattr(job, s.column), "external_id": getattr(job, _STEP_ID_COLUMN[s.value])}
            for s in STEPS
        },
        "ettn": job.ettn,
        "invoice_number": job.invoice_number,
        "gib_uuid": job.gib_uuid,
        "document_type": job.document_type,
        # how the document type was decided (gib_directory, shop_flag, anonymous, provider…)
        "route": {"source": job.route_source, "checked_at": _iso(job.route_checked_at)},
        "e_document_status": job.e_document_status,
        "e_document_message": job.e_document_message,  # GİB's own words on an error / rejection
        "e_document_sent_at": _iso(job.e_document_sent_at),
        "provider_total": str(job.provider_total) if job.provider_total is not None else None,
        "rounding_difference": str(job.rounding_difference) if job.rounding_difference is not None else None,
        "attempt_count": job.attempt_count,
        "next_attempt_at": _iso(job.next_attempt_at),
        "attention_category": job.attention_category,
        "last_error": (
            {"class": job.last_error_class, "message": job.last_error_message}
            if job.last_error_class or job.last_error_message
            else None
        ),
        "created_at": _iso(job.created_at),
        "updated_at": _iso(job.updated_at),
        "completed_at": _iso(job.completed_at),
        # a document of the chain closed out without more work (a proforma whose order was
        # paid, cancelled or left unpaid), and why
        "closed": (
            {"at": _iso(job.closed_at), "reason": job.closed_reason} if job.closed_at else None
        ),
        # the shop changed the order after its invoice was made (amount_changed_after_invoice)
        "edited": {"at": _iso(job.edited_at), "note": job.edit_note} if job.edited_at else None,
    }


def attempt_view(attempt: Any) -> dict[str, Any]:
    return {
        "step": attempt.step,
        "operation": attempt.operation,
        "attempt": attempt.attempt_no,
        "started_at": _iso(attempt.started_at),
        "duration_ms": attempt.duration_ms,
        "http_status": attempt.http_status,
        "error_class": attempt.error_class,
        "message": attempt.message,
    }


def job_detail(session: Session, job_id: int) -> dict[str, Any]:
    job = JobRepository(session).get(job_id)
    if job is None:
        raise OpsError(f"job {job_id} not found")
    view = job_view(job)
    view["attempts"] = [attempt_view(a) for a in AttemptRepository(session).for_job(job_id)]
    view["chain"] = order_chain(session, job.store_id, job.order_id)
    return view


def order_chain(session: Session, store_id: str, order_id: str) -> list[dict[str, Any]]:
    """The order's document chain, oldest first: proforma, sale invoice, cancel, returns —
    one job each, with the documents it made (invoice, GİB document, journal entry)."""
    return [
        {"job_id": j.id, "kind": j.kind, "key": j.idempotency_key, "order_name": j.order_name, "status": j.status,
         "attention_category": j.attention_category, "document_id": j.invoice_id,
         "document_type": j.document_type, "invoice_number": j.invoice_number, "ettn": j.ettn,
         "gib_uuid": j.gib_uuid, "e_document_status": j.e_document_status,
         "journal_ref": j.journal_ref, "closed_reason": j.closed_reason, "edit_note": j.edit_note,
         "message": j.last_error_message}
        for j in JobRepository(session).for_order(store_id, order_id)
    ]


def retry_job(session: Session, job_id: int, now: datetime, *, force: bool = False) -> Any:
    """Put a job that needs attention back in the queue, after the cause was fixed.

    Finished steps stay finished. A failed step keeps its state: the next run treats it like
    an unknown outcome and asks the provider (find the invoice, probe the GİB send) before
    doing anything that could duplicate an effect.
    """
    repo = JobRepository(session)
    job = repo.get(job_id)
    if job is None:
        raise OpsError(f"job {job_id} not found")
    if job.status != JobStatus.NEEDS_ATTENTION.value and not force:
        raise OpsError(f"job {job_id} is {job.status}; only needs_attention jobs are retried (use --force)")
    if job.status == JobStatus.COMPLETED.value:
        raise OpsError(f"job {job_id} is completed")
    fields: dict[str, Any] = {
        "status": JobStatus.QUEUED.value,
        "attempt_count": 0,
        "next_attempt_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
        "attention_category": None,
    }
    repo.set_fields(job_id, now, **fields)
    return repo.get(job_id)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
