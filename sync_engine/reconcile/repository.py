"""Reconciliation's reads and writes of the jobs table (polar's rule: queries live in a
repository, the service decides, the boundary commits).

Reads are column projections, not ORM objects: a night of 100,000 orders must not build
100,000 identity-mapped ``Job`` instances. Writes are compare-and-set: a repair applies only
if the row is exactly as the run saw it (same ``updated_at``) and no worker holds a live
lease — a job that moved in the meantime is left to whoever moved it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from sync_engine.domain.invoice import invoice_date
from sync_engine.store.models import Job, JobStatus
from sync_engine.store.repositories import check_columns, guarded_update

# Bind-parameter lists stay well below SQLite's and psycopg's limits.
IN_CHUNK = 500

_COLUMNS = (
    Job.id, Job.idempotency_key, Job.store_id, Job.platform, Job.order_id, Job.order_name,
    Job.kind, Job.provider, Job.status, Job.step_customer, Job.step_invoice,
    Job.step_e_document, Job.step_journal, Job.invoice_id, Job.ettn, Job.invoice_number,
    Job.gib_uuid, Job.journal_ref, Job.attention_category, Job.attempt_count, Job.lease_owner,
    Job.lease_expires_at, Job.next_attempt_at, Job.rounding_difference, Job.created_at,
    Job.updated_at, Job.closed_at, Job.order_json,
)


# What an edit check of a sale job reads (reissue.plan_edit, and the invoiced order).
_EDIT_COLUMNS = (
    Job.id, Job.idempotency_key, Job.store_id, Job.order_id, Job.status, Job.step_invoice,
    Job.step_e_document, Job.invoice_id, Job.invoice_number, Job.document_type, Job.closed_at,
    Job.closed_reason, Job.edit_note, Job.order_json,
)


@dataclass(frozen=True)
class OrderFacts:
    """What reconciliation reads from a job's stored order."""

    issue_date: date  # the order's own date, as the pipeline sends it to the provider
    paid_total: Decimal
    vat_rates: int  # distinct VAT rates: the rounding tolerance is 0.01 per rate


@dataclass(frozen=True)
class JobSnapshot:
    id: int
    idempotency_key: str
    store_id: str
    platform: str
    order_id: str
    order_name: str | None
    kind: str
    provider: str
    status: str
    step_customer: str
    step_invoice: str
    step_e_document: str
    step_journal: str
    invoice_id: str | None
    ettn: str | None
    invoice_number: str | None
    gib_uuid: str | None
    journal_ref: str | None
    attention_category: str | None
    attempt_count: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    next_attempt_at: datetime | None
    rounding_difference: Decimal | None
    created_at: datetime
    updated_at: datetime
    # Set when the document needs no more work: e.g. a sale whose e-Arşiv was cancelled at
    # GİB after its order was cancelled (the provider then lists it not journaled — on
    # purpose, after the ters kayıt — and nothing may re-drive it).
    closed_at: datetime | None
    facts: OrderFacts | None  # None: no order could be read (the job waits for a person)

    def lease_live(self, now: datetime) -> bool:
        return self.lease_owner is not None and self.lease_expires_at is not None and self.lease_expires_at >= now

    def steps(self) -> dict[str, str]:
        return {
            "customer": self.step_customer, "invoice": self.step_invoice,
            "e_document": self.step_e_document, "journal": self.step_journal,
        }

    def evidence(self) -> dict[str, Any]:
        """The job's side of a difference, for the report."""
        return {
            "job_status": self.status,
            "steps": self.steps(),
            "invoice_id": self.invoice_id,
            "ettn": self.ettn,
            "invoice_number": self.invoice_number,
            "attention_category": self.attention_category,
            "paid_total": str(self.facts.paid_total) if self.facts else None,
            "issue_date": self.facts.issue_date.isoformat() if self.facts else None,
            "updated_at": self.updated_at.isoformat(),
        }


def order_facts(order_json: str | None) -> OrderFacts | None:
    if not order_json:
        return None
    try:
        data = json.loads(order_json)
        created = datetime.fromisoformat(str(data["created_at"]).replace("Z", "+00:00"))
        paid = Decimal(str(data["paid_total"]))
        rates = {str(line.get("vat_rate")) for line in data.get("lines") or ()}
    except (ValueError, KeyError, TypeError, InvalidOperation):
        return None
    # The issue date the pipeline gives the invoice (domain.invoice.invoice_date).
    return OrderFacts(issue_date=invoice_date(created), paid_total=paid, vat_rates=max(1, len(rates)))


def _snapshot(row: Any) -> JobSnapshot:
    values = row._asdict()
    order_json = values.pop("order_json")
    return JobSnapshot(**values, facts=order_facts(order_json))


def _chunks(items: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class ReconcileJobs:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- reads ---------------------------------------------------------------------------

    def order_ids_with_jobs(self, store_id: str, order_ids: Sequence[str], kind: str = "sale") -> set[str]:
        """Which of these shop orders already have a job: one query per page of orders."""
        found: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(order_ids))):
            stmt = select(Job.order_id).where(
                Job.store_id == store_id, Job.kind == kind, Job.order_id.in_(chunk)
            )
            found.update(self.session.scalars(stmt))
        return found

    def made_sales(self, store_id: str, order_ids: Sequence[str]) -> dict[str, Any]:
        """The live sale (the newest sale job) of each of these orders whose invoice was
        made: the columns ``reissue.plan_edit`` reads, and the order it invoiced."""
        live: dict[str, Any] = {}
        for chunk in _chunks(list(dict.fromkeys(order_ids))):
            stmt = (
                select(*_EDIT_COLUMNS)
                .where(Job.store_id == store_id, Job.kind == "sale", Job.order_id.in_(chunk))
                .order_by(Job.id)
            )
            for row in self.session.execute(stmt):
                live[row.order_id] = row  # id order: the newest wins
        return {order_id: row for order_id, row in live.items() if row.step_invoice != "pending" and row.order_json}

    def created_between(self, store_id: str, start: datetime, end: datetime, kind: str = "sale") -> Iterator[JobSnapshot]:
        """The store's jobs of ``kind`` created in [start, end), streamed in id order (the
        provider lists invoices: a proforma is not one of them)."""
        stmt = (
            select(*_COLUMNS)
            .where(Job.store_id == store_id, Job.kind == kind, Job.created_at >= start, Job.created_at < end)
            .order_by(Job.id)
            .execution_options(yield_per=2000)
        )
        for row in self.session.execute(stmt):
            yield _snapshot(row)

    def by_keys(self, keys: Iterable[str]) -> list[JobSnapshot]:
        out: list[JobSnapshot] = []
        for chunk in _chunks(list(dict.fromkeys(keys))):
            stmt = select(*_COLUMNS).where(Job.idempotency_key.in_(chunk))
            out.extend(_snapshot(row) for row in self.session.execute(stmt))
        return out

    def get(self, job_id: int) -> JobSnapshot | None:
        row = self.session.execute(select(*_COLUMNS).where(Job.id == job_id)).first()
        return _snapshot(row) if row is not None else None

    def order_json(self, job_id: int) -> str | None:
        return self.session.scalar(select(Job.order_json).where(Job.id == job_id))

    def stuck(self, store_id: str, stale_before: datetime, limit: int) -> list[JobSnapshot]:
        """Jobs that stopped moving: a lease that expired before ``stale_before`` (the
        worker died and no sweeper picked the job up), a due time long past with nobody
        holding it (lost wake-up call), or waiting for a person."""
        stmt = (
            select(*_COLUMNS)
            .where(
                Job.store_id == store_id,
                or_(
                    and_(Job.status == JobStatus.RUNNING, Job.lease_expires_at < stale_before),
                    and_(
                        Job.status.in_((JobStatus.QUEUED, JobStatus.RETRYING)),
                        Job.next_attempt_at < stale_before,
                        or_(Job.lease_expires_at.is_(None), Job.lease_expires_at < stale_before),
                    ),
                    Job.status == JobStatus.NEEDS_ATTENTION,
                ),
            )
            .order_by(Job.id)
            .limit(limit)
        )
        return [_snapshot(row) for row in self.session.execute(stmt)]

    def open_proformas(self, store_id: str, made_before: datetime) -> list[tuple[int, str, str | None, datetime]]:
        """Proformas made before ``made_before``, not closed, whose order has no sale job (it
        was never paid): (job id, order id, the provider's proforma id, when it was made)."""
        sale = aliased(Job)
        stmt = (
            select(Job.id, Job.order_id, Job.invoice_id, Job.completed_at)
            .where(
                Job.store_id == store_id, Job.kind == "proforma", Job.status == JobStatus.COMPLETED,
                Job.closed_at.is_(None), Job.completed_at < made_before,
                ~exists().where(sale.store_id == Job.store_id, sale.order_id == Job.order_id, sale.kind == "sale"),
            )
            .order_by(Job.id)
        )
        return [tuple(row) for row in self.session.execute(stmt)]  # type: ignore[misc]

    # -- writes --------------------------------------------------------------------------

    def update_if_unchanged(self, job: JobSnapshot, now: datetime, **fields: Any) -> bool:
        """Write ``fields`` only if the row is as ``job`` saw it and nobody holds a live
        lease; True when written. Does not commit."""
        check_columns(Job, fields)
        return guarded_update(
            self.session,
            Job,
            [
                Job.id == job.id,
                Job.updated_at == job.updated_at,
                or_(Job.lease_owner.is_(None), Job.lease_expires_at < now),
            ],
            {**fields, "updated_at": now},
        )


__all__ = ["JobSnapshot", "OrderFacts", "ReconcileJobs", "order_facts"]
