"""An order edited at the shop after its sale invoice was made (#12 items 4–5): flag the
sale job with the difference and, where the store opts in (``[stores.invoice]
reissue_on_edit``), return the invoice in full and invoice the edited order anew.

One function for both ways an edit is seen — a webhook (ingest) and the nightly
reconciliation's shop listing (which goes through ingest too) — and one pure plan of what it
will do, so that reconciliation can report (or, in a dry run, only report) exactly that.

The rule that keeps money from being invoiced twice and nothing from being lost:

* A sale version is returned and reissued only once its GİB send is done (the edit is then
  final for it) and at most once: the return's key (``return:edit-{n}``) and the new sale's
  (``sale:r{n}``) are derived from the version being replaced, so a second delivery, a
  concurrent one or a reconciliation run finds the same two jobs.
* The new sale waits ``REISSUE_SETTLE`` before it starts: a further edit in that time (or any
  time before its invoice step begins) changes its order (ingest's "edited before it was
  invoiced"), not a third invoice.
* A further edit seen after the new sale's invoice was made but before its GİB send is only
  flagged; the next edit delivery or reconciliation run after the send reissues it.
* The return is the replaced version's whole order, so the returned and the new invoice
  together invoice exactly the edited order.
* An e-Fatura is never returned by the seller (FACTS §5.5: the buyer issues the İADE):
  flagged only, with the instruction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from sync_engine.domain import Order
from sync_engine.domain.keys import edit_return_id, reissue_key, return_key, sale_key_parts
from sync_engine.domain.states import DocumentType, EventStatus, JobKind, JobStatus, StepState
from sync_engine.logging import get_logger
from sync_engine.store.repositories import JobRepository

log = get_logger(__name__)

# Assumption (the documents are silent): a merchant's burst of edits (Shopify's order edit
# sends orders/edited and orders/updated, a second correction follows within minutes) is
# over within ten minutes; the reissued sale starts after that, so the burst makes one invoice.
REISSUE_SETTLE = timedelta(minutes=10)

_ORDER_NAME_MAX = 128  # jobs.order_name

# Between the difference and what was done about it in ``jobs.edit_note``.
_NOTE_SEPARATOR = " — "


class EditAction(StrEnum):
    FLAG = "flag"  # the job is flagged; a person issues the return and the new invoice
    REISSUE = "reissue"  # a return job for the whole invoice and a new sale job


@dataclass(frozen=True)
class EditPlan:
    action: EditAction
    note: str  # what ``edit_note`` will say: the difference, then why / what was done
    version: int  # the sale version the edit is about (0: the first invoice)


@dataclass(frozen=True)
class EditOutcome:
    status: EventStatus
    reason: str
    job_id: int  # the sale job the edit was about
    wake: tuple[int, ...] = ()  # jobs the caller enqueues after its commit


def _sent(sale: Any) -> bool:
    """The invoice is at GİB: its send is done, or the provider has no GİB step of ours and
    its invoice is the issued document (SinApp)."""
    return sale.step_e_document == StepState.DONE.value or (
        sale.step_e_document == StepState.SKIPPED.value and sale.step_invoice == StepState.DONE.value
    )


def _number(sale: Any) -> str:
    return str(sale.invoice_number or sale.invoice_id or f"of job {sale.id}")


def plan_edit(store: Any, sale: Any, difference: str, problem: str | None = None) -> EditPlan:
    """What an edit (``difference``, from ``order_difference``) of a sale whose invoice was
    made leads to. ``problem``: why the edited order cannot be invoiced as it is, if it cannot."""
    parts = sale_key_parts(sale.idempotency_key, sale.store_id)
    version = parts[1] if parts is not None else 0
    opted_in = bool(getattr(getattr(store, "invoice", None), "reissue_on_edit", False))

    def flag(why: str | None) -> EditPlan:
        return EditPlan(EditAction.FLAG, difference + (_NOTE_SEPARATOR + why if why else ""), version)

    if not opted_in:
        return flag(None)
    number = _number(sale)
    if sale.document_type == DocumentType.E_FATURA.value:
        return flag(f"e-Fatura {number} cannot be returned by the seller: the buyer issues a return (İADE) "
                    "invoice for it; then issue a new invoice for the edited order")
    if sale.closed_at is not None or sale.status == JobStatus.CANCELLED.value:
        return flag(f"the sale was stopped ({sale.closed_reason or sale.status}); not reissued")
    if problem:
        return flag(f"the edited order cannot be invoiced as it is ({problem}); not reissued")
    if not _sent(sale):
        return flag(f"invoice {number} is returned and reissued once its GİB send is done")
    return EditPlan(EditAction.REISSUE, difference, version)


def flagged(sale: Any, plan: EditPlan) -> bool:
    """An earlier delivery or run already flagged this very difference, with this outcome."""
    return plan.action is EditAction.FLAG and sale.edit_note == plan.note


def edit_after_invoice(
    session: Session, store: Any, sale: Any, order: Order, difference: str, now: datetime,
    *, problem: str | None = None,
) -> EditOutcome:
    """Flag ``sale`` (the order's live sale, its invoice made) with the edit and, per
    ``plan_edit``, return and reissue it. Does not commit; the caller enqueues ``wake``."""
    jobs = JobRepository(session)
    plan = plan_edit(store, sale, difference, problem)
    if flagged(sale, plan):
        return EditOutcome(EventStatus.ACCEPTED, f"order change already flagged: {difference}", sale.id)
    if plan.action is EditAction.FLAG:
        jobs.set_fields(sale.id, now, edited_at=now, edit_note=plan.note)
        log.warning("order changed after its invoice", store=sale.store_id, job_id=sale.id, change=difference)
        return EditOutcome(EventStatus.NEEDS_ATTENTION, f"amount_changed_after_invoice: {plan.note}; the invoice "
                           "stands until a return and a new invoice are issued", sale.id)
    returned, reissued = _reissue(jobs, store, sale, order, plan.version + 1, now)
    note = (f"{difference}{_NOTE_SEPARATOR}invoice {_number(sale)} returned in full by job {returned.id}; "
            f"the edited order is invoiced by job {reissued.id}")
    if sale.edit_note != note:
        jobs.set_fields(sale.id, now, edited_at=now, edit_note=note)
    log.info("order changed after its invoice: reissued", store=sale.store_id, job_id=sale.id,
             return_job=returned.id, sale_job=reissued.id, change=difference)
    return EditOutcome(EventStatus.ACCEPTED, f"amount_changed_after_invoice: {note}", sale.id, wake=(returned.id,))


def _reissue(jobs: JobRepository, store: Any, sale: Any, order: Order, version: int, now: datetime) -> tuple[Any, Any]:
    """The return of ``sale`` in full and the new sale for ``order``, each created once."""
    invoiced = Order.model_validate_json(sale.order_json)
    common = dict(
        store_id=sale.store_id, platform=sale.platform, order_id=sale.order_id, created_at=now, updated_at=now,
    )
    returned, _ = jobs.create_if_absent(
        return_key(sale.store_id, sale.order_id, edit_return_id(version)), **common,
        # As ingest makes a refund's return job: its own document ids empty, on the sale's
        # provider account, cari (customer step skipped) and routing; the sale it answers is
        # found from its key (JobRepository.sale_returned_by).
        kind=JobKind.RETURN.value, order_name=f"{sale.order_name or sale.order_id} İADE"[:_ORDER_NAME_MAX],
        provider=sale.provider, provider_account=sale.provider_account,
        # All of what was invoiced, under a name that tells the two documents apart.
        order_json=invoiced.model_copy(update={"order_name": f"{invoiced.order_name} İADE"}).model_dump_json(),
        step_customer=StepState.SKIPPED.value, customer_id=sale.customer_id,
        document_type=sale.document_type, document_alias=sale.document_alias, route_source=sale.route_source,
        route_checked_at=sale.route_checked_at, status=JobStatus.QUEUED.value, next_attempt_at=now,
    )
    reissued, created = jobs.create_if_absent(
        reissue_key(sale.store_id, sale.order_id, version), **common, kind=JobKind.SALE.value,
        order_name=sale.order_name, provider=store.provider.name, provider_account=store.provider.account_key(),
        order_json=order.model_dump_json(), status=JobStatus.QUEUED.value,
        # Not woken: the sweeper starts it once due (REISSUE_SETTLE, see the module's rule).
        next_attempt_at=now + REISSUE_SETTLE,
    )
    if not created and _newer(order, reissued.order_json):
        # A concurrent delivery of another edit made it first: the newest order wins while
        # nothing is made at the provider (as ingest's "edited before it was invoiced").
        jobs.replace_order_if_unmade(reissued.id, now, order.model_dump_json())
    return returned, reissued


def _newer(order: Order, order_json: str | None) -> bool:
    if not order_json or order.updated_at is None:
        return False
    stored = json.loads(order_json).get("updated_at")
    return stored is None or order.updated_at > datetime.fromisoformat(stored)


__all__ = ["REISSUE_SETTLE", "EditAction", "EditOutcome", "EditPlan", "edit_after_invoice", "flagged", "plan_edit"]
