"""Jobs: one row per logical invoice, unique on its idempotency key, held by one worker.

Leases (DESIGN §3, "one worker per job"): a worker takes a job with ONE conditional UPDATE.
The guard in the WHERE clause — leasable status and no live lease — is evaluated by the
database at write time, so of any number of concurrent takers exactly one gets rowcount 1.
Every later write of the holder goes through `update_held`/`release`, guarded on
`lease_owner`, so a worker whose lease expired and was taken over cannot overwrite the new
holder's progress.
"""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sync_engine.domain.keys import sale_version_key
from sync_engine.domain.states import AttentionCategory
from sync_engine.store.models import LEASABLE_STATUSES, Job, JobStatus
from sync_engine.store.repositories._common import (
    check_columns,
    guarded_update,
    insert_or_ignore,
    utcnow,
)

# Lease and bookkeeping columns are written only by the lease methods themselves.
_LEASE_COLUMNS = frozenset({"lease_owner", "lease_expires_at"})


def _extend(now: datetime, extend_s: float | None) -> dict[str, Any]:
    return {} if extend_s is None else {"lease_expires_at": now + timedelta(seconds=extend_s)}


class JobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- creation and lookup -------------------------------------------------------------

    def create_if_absent(self, idempotency_key: str, **fields: Any) -> tuple[Job, bool]:
        """The job for `idempotency_key`, inserting it if no job has that key yet.

        Returns (job, created). A duplicate webhook gets the existing job back with
        created=False and nothing in it changed. `created_at`/`updated_at` default to now.
        Does not commit.
        """
        check_columns(Job, fields)
        values = dict(fields)
        values["idempotency_key"] = idempotency_key
        values.setdefault("created_at", utcnow())
        values.setdefault("updated_at", values["created_at"])
        new_id = insert_or_ignore(self.session, Job, values, ["idempotency_key"])
        job = self.session.scalars(
            select(Job)
            .where(Job.idempotency_key == idempotency_key)
            .execution_options(populate_existing=True)
        ).one()
        return job, new_id is not None

    def get(self, job_id: int) -> Job | None:
        return self.session.get(Job, job_id)

    def get_by_key(self, idempotency_key: str) -> Job | None:
        return self.session.scalars(
            select(Job).where(Job.idempotency_key == idempotency_key)
        ).one_or_none()

    def list(
        self,
        status: str | None = None,
        store_id: str | None = None,
        limit: int = 50,
        cursor: int | None = None,
    ) -> tuple[builtins.list[Job], int | None]:
        """Newest first; `cursor` is the `next_cursor` of the previous page (an id).

        Keyset pagination on id: stable while new jobs arrive, unlike OFFSET.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        stmt = select(Job).order_by(Job.id.desc()).limit(limit + 1)
        if status is not None:
            stmt = stmt.where(Job.status == status)
        if store_id is not None:
            stmt = stmt.where(Job.store_id == store_id)
        if cursor is not None:
            stmt = stmt.where(Job.id < cursor)
        jobs = builtins.list(self.session.scalars(stmt))
        if len(jobs) > limit:
            jobs = jobs[:limit]
            return jobs, jobs[-1].id
        return jobs, None

    def find_by_order(self, store_id: str, order_id: str, kind: str = "sale") -> Job | None:
        """The first job of `kind` for a shop order (a sale has exactly one; returns many)."""
        return self.session.scalars(
            select(Job)
            .where(Job.store_id == store_id, Job.order_id == order_id, Job.kind == kind)
            .order_by(Job.id)
            .limit(1)
        ).first()

    def live_sale(self, store_id: str, order_id: str) -> Job | None:
        """The order's live sale invoice: its newest sale job (a reissue after an edit,
        ``keys.reissue_key``, replaces the one before it), None before the order is paid."""
        return self.session.scalars(
            select(Job)
            .where(Job.store_id == store_id, Job.order_id == order_id, Job.kind == "sale")
            .order_by(Job.id.desc())
            .limit(1)
        ).first()

    def sale_returned_by(self, return_job: Job) -> Job | None:
        """The sale job a return job answers: for an edit's return (refund id ``edit-{n}``,
        ``keys.edit_return_id``) the sale version it replaced, else the order's live sale."""
        refund_id = return_job.idempotency_key.rsplit(":return:", 1)[-1]
        if refund_id.startswith("edit-") and refund_id[5:].isdigit():
            version = int(refund_id[5:]) - 1
            return self.get_by_key(sale_version_key(return_job.store_id, return_job.order_id, version))
        return self.live_sale(return_job.store_id, return_job.order_id)

    def for_order(self, store_id: str, order_id: str) -> builtins.list[Job]:
        """Every job of a shop order (its document chain: proforma, sale), oldest first."""
        return builtins.list(self.session.scalars(
            select(Job).where(Job.store_id == store_id, Job.order_id == order_id).order_by(Job.id)
        ))

    def list_in_window(self, store_id: str, start: datetime, end: datetime) -> builtins.list[Job]:
        """Jobs of a store created in [start, end), oldest first (for reconciliation)."""
        return builtins.list(
            self.session.scalars(
                select(Job)
                .where(Job.store_id == store_id, Job.created_at >= start, Job.created_at < end)
                .order_by(Job.created_at, Job.id)
            )
        )

    def count_by_status(self) -> dict[str, int]:
        rows = self.session.execute(select(Job.status, func.count()).group_by(Job.status))
        return {status: int(count) for status, count in rows}

    def due_for_sweep(self, now: datetime, limit: int) -> builtins.list[int]:
        """Ids of jobs that should be running but nobody holds: lost message, dead worker.

        Due (no next attempt time, or it has passed) and unleased (never leased, or the
        lease expired). Oldest first so a backlog drains in order.
        """
        stmt = (
            select(Job.id)
            .where(
                Job.status.in_(LEASABLE_STATUSES),
                or_(Job.next_attempt_at.is_(None), Job.next_attempt_at <= now),
                or_(Job.lease_expires_at.is_(None), Job.lease_expires_at < now),
            )
            .order_by(Job.id)
            .limit(limit)
        )
        return builtins.list(self.session.scalars(stmt))

    # -- leases --------------------------------------------------------------------------

    def take_lease(
        self, job_id: int, owner: str, ttl_s: float, now: datetime, *, count_attempt: bool = False
    ) -> bool:
        """Try to become the job's only worker until now + ttl_s; True on success.

        COMMITS the session immediately, success or not: a lease that sits in an open
        transaction is invisible to other workers, who would take it too. Call it at the
        start of a unit of work, with nothing else pending in the session.
        ``count_attempt``: add one to ``attempt_count`` in the same UPDATE (the pipeline's
        run counter, one write instead of a second transaction).
        """
        extra: dict[str, Any] = {"attempt_count": func.coalesce(Job.attempt_count, 0) + 1} if count_attempt else {}
        taken = guarded_update(
            self.session,
            Job,
            [
                Job.id == job_id,
                Job.status.in_(LEASABLE_STATUSES),
                or_(Job.lease_owner.is_(None), Job.lease_expires_at < now),
            ],
            {
                "lease_owner": owner,
                "lease_expires_at": now + timedelta(seconds=ttl_s),
                "status": JobStatus.RUNNING,
                "updated_at": now,
                **extra,
            },
        )
        self.session.commit()
        return taken

    def renew_lease(self, job_id: int, owner: str, ttl_s: float, now: datetime) -> bool:
        """Extend a lease still held by `owner` (a long provider call); COMMITS, as take_lease.

        Renewing a lease that expired but was not taken over is safe: nobody else holds it.
        """
        renewed = guarded_update(
            self.session,
            Job,
            [Job.id == job_id, Job.lease_owner == owner],
            {"lease_expires_at": now + timedelta(seconds=ttl_s), "updated_at": now},
        )
        self.session.commit()
        return renewed

    def update_held(
        self, job_id: int, owner: str, now: datetime, *, extend_s: float | None = None, **fields: Any
    ) -> bool:
        """Write step results only while `owner` holds the lease; False if it was lost.
        ``extend_s``: renew the lease to now + extend_s in the same UPDATE (a held write is
        as good a proof of life as ``renew_lease``, and saves its transaction).

        Does not commit: the pipeline commits each step's result before the next step.
        """
        self._check_writable(fields)
        return guarded_update(
            self.session,
            Job,
            [Job.id == job_id, Job.lease_owner == owner],
            {**fields, **_extend(now, extend_s), "updated_at": now},
        )

    def claim(
        self, job_id: int, owner: str, now: datetime, *, extend_s: float | None = None, **fields: Any
    ) -> bool:
        """Record the intent of an effect at the provider (a step going ``in_progress``) only
        while ``owner`` holds the lease and nobody closed the job (the order was cancelled):
        the one conditional UPDATE both sides race on, so a cancel and a GİB send can never
        both win. False: closed, or the lease is lost (``holds`` tells which). ``extend_s``
        as in ``update_held``. No commit."""
        self._check_writable(fields)
        return guarded_update(
            self.session, Job, [Job.id == job_id, Job.lease_owner == owner, Job.closed_at.is_(None)],
            {**fields, **_extend(now, extend_s), "updated_at": now},
        )

    def holds(self, job_id: int, owner: str) -> bool:
        return self.session.scalar(select(Job.id).where(Job.id == job_id, Job.lease_owner == owner)) is not None

    def release(
        self,
        job_id: int,
        owner: str,
        now: datetime,
        *,
        status: str,
        next_attempt_at: datetime | None = None,
        **fields: Any,
    ) -> bool:
        """Give the job up with its new status (and retry time); False if not the holder.

        `completed_at` is set to `now` when the status becomes completed and the caller did
        not give one. Does not commit.
        """
        self._check_writable(fields)
        values: dict[str, Any] = {
            **fields,
            "status": status,
            "next_attempt_at": next_attempt_at,
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": now,
        }
        if status == JobStatus.COMPLETED:
            values.setdefault("completed_at", now)
        return guarded_update(
            self.session, Job, [Job.id == job_id, Job.lease_owner == owner], values
        )

    def close(self, job_id: int, now: datetime, reason: str) -> str | None:
        """Close a document of an order's chain that needs no more work (a proforma whose
        order was paid, cancelled or left unpaid). A job that has not made its document yet
        and that no worker holds is cancelled ("cancelled"); one that has, or is making it
        now, keeps its status and only records the close ("closed"). None: already closed.
        No commit."""
        open_ = [Job.id == job_id, Job.closed_at.is_(None)]
        idle = or_(Job.lease_owner.is_(None), Job.lease_expires_at < now)
        if guarded_update(
            self.session, Job,
            [*open_, Job.step_invoice == "pending", Job.status != JobStatus.COMPLETED.value, idle],
            {"status": JobStatus.CANCELLED.value, "closed_at": now, "closed_reason": reason, "updated_at": now,
             "next_attempt_at": None, "lease_owner": None, "lease_expires_at": None},
        ):
            return "cancelled"
        if guarded_update(self.session, Job, open_, {"closed_at": now, "closed_reason": reason, "updated_at": now}):
            return "closed"
        return None

    def cancel_sale(self, job_id: int, now: datetime, reason: str, draft_message: str, *,
                    withdraw: bool = False) -> str:
        """Stop a sale job because its order was cancelled (or fully refunded) at the shop,
        as far as it can still be stopped. No commit. Returns what it found:

        * ``cancelled``: nothing made at the provider yet and no worker on it: cancelled;
        * ``draft``: an invoice (maybe) made, not sent to GİB, no worker on it: with
          ``withdraw`` (the provider deletes drafts) queued for a worker to withdraw it — its
          GİB-send claim is refused, closed — else waits for an operator (``draft_message``);
        * ``stopping``: a worker is on it and has not claimed the GİB send: the claim will
          fail (``claim`` checks ``closed_at``) and the job stops there;
        * ``probing``: its GİB send is in doubt and no worker on it: queued, so that its probe
          decides (never sent: stopped, its draft handled; sent: reported issued);
        * ``sent``: the GİB send was done (or the job completed): too late to stop — the
          invoice must be cancelled or returned;
        * ``already``: an earlier cancel delivery closed it.
        """
        job = self.get(job_id)
        if job is None:
            raise LookupError(job_id)
        if job.closed_at is not None:
            return "already"
        open_ = [Job.id == job_id, Job.closed_at.is_(None), Job.status != JobStatus.COMPLETED.value]
        idle = or_(Job.lease_owner.is_(None), Job.lease_expires_at < now)
        stop = {"closed_at": now, "closed_reason": reason, "updated_at": now, "next_attempt_at": None,
                "lease_owner": None, "lease_expires_at": None}
        if guarded_update(self.session, Job, [*open_, Job.step_invoice == "pending", idle],
                          {**stop, "status": JobStatus.CANCELLED.value, "attention_category": None,
                           "last_error_class": None, "last_error_message": reason}):
            return "cancelled"
        draft = (
            {**stop, "status": JobStatus.QUEUED.value, "next_attempt_at": now, "attention_category": None,
             "last_error_class": None, "last_error_message": f"{reason}: its draft is to be withdrawn"}
            if withdraw else
            {**stop, "status": JobStatus.NEEDS_ATTENTION.value,
             "attention_category": AttentionCategory.CANCELLED_BEFORE_SEND.value,
             "last_error_class": AttentionCategory.CANCELLED_BEFORE_SEND.value, "last_error_message": draft_message}
        )
        if guarded_update(self.session, Job, [*open_, Job.step_e_document == "pending", idle], draft):
            return "draft"
        if guarded_update(self.session, Job, [*open_, Job.step_e_document == "pending"],
                          {"closed_at": now, "closed_reason": reason, "updated_at": now}):
            return "stopping"
        # A send in doubt (intent recorded, outcome unknown): the job's own probe decides.
        # Never sent → its send claim is refused (closed) and the draft handled as above;
        # sent → it finishes and reports the invoice issued despite the cancel.
        in_doubt = [*open_, Job.step_e_document.in_(("in_progress", "failed"))]
        if guarded_update(self.session, Job, [*in_doubt, idle],
                          {**stop, "status": JobStatus.QUEUED.value, "next_attempt_at": now,
                           "attention_category": None, "last_error_class": None,
                           "last_error_message": f"{reason}: its GİB send is in doubt and is probed first"}):
            return "probing"
        if guarded_update(self.session, Job, in_doubt, {"closed_at": now, "closed_reason": reason, "updated_at": now}):
            return "stopping"
        return "sent"

    def replace_order_if_unmade(self, job_id: int, now: datetime, order_json: str) -> bool:
        """A newer order for a job that has made nothing at the provider and that no worker
        holds: it invoices the new one. False: too late (the invoice step began). No commit."""
        idle = or_(Job.lease_owner.is_(None), Job.lease_expires_at < now)
        return guarded_update(
            self.session, Job, [Job.id == job_id, Job.step_invoice == "pending", idle],
            {"order_json": order_json, "updated_at": now},
        )

    def replace_order_before_send(self, job_id: int, now: datetime, order_json: str, category: str,
                                  message: str) -> bool:
        """A refund for a job not sent to GİB that no worker holds: it takes ``order_json`` (what
        was kept, or its own order when the refund cannot be applied) and stops for an operator,
        so a draft made is never sent with the old amount (its retry re-reads the provider's
        total before the send). False: sent, closed, or a worker is on it. No commit."""
        idle = or_(Job.lease_owner.is_(None), Job.lease_expires_at < now)
        return guarded_update(
            self.session, Job,
            [Job.id == job_id, Job.step_e_document == "pending", Job.closed_at.is_(None),
             Job.status != JobStatus.COMPLETED.value, idle],
            {"order_json": order_json, "status": JobStatus.NEEDS_ATTENTION.value, "next_attempt_at": None,
             "attention_category": category, "last_error_class": category, "last_error_message": message,
             "updated_at": now},
        )

    def set_fields(self, job_id: int, now: datetime, **fields: Any) -> bool:
        """Unconditional write for operators (retry, cancel); may clear a lease. No commit."""
        check_columns(Job, fields)
        return guarded_update(self.session, Job, [Job.id == job_id], {**fields, "updated_at": now})

    @staticmethod
    def _check_writable(fields: dict[str, Any]) -> None:
        check_columns(Job, fields)
        clash = sorted(_LEASE_COLUMNS.intersection(fields))
        if clash:
            raise TypeError(f"{', '.join(clash)} are managed by the lease methods")


__all__ = ["JobRepository"]
