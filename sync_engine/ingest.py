"""Ingest: one delivery (webhook, reconciliation pull or replay) into the state table.

The raw event and the job are written in ONE transaction; the caller enqueues after commit.
No provider is called here. Nothing with a valid signature is dropped: unparseable or
not-yet-invoiceable orders are stored and visible, with the reason, and can be replayed.
(polar's external_event inbox: insert-on-conflict-do-nothing, act only when the row is new.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sync_engine.domain import Order
from sync_engine.domain.edits import order_difference
from sync_engine.domain.keys import cancel_key, proforma_key, return_key, sale_key
from sync_engine.domain.refunds import Refund, RefundProblem, kept_order, return_order
from sync_engine.domain.states import AttentionCategory, DocumentType, EventStatus, JobKind, JobStatus
from sync_engine.logging import get_logger
from sync_engine.platforms._util import blocking_problems
from sync_engine.platforms.base import EventKind, MalformedPayload, ParsedDelivery, PlatformAdapter
from sync_engine.platforms.identity import DEFAULT_RULES, BuyerRules, Problem, category_of, rules_for
from sync_engine.reissue import edit_after_invoice
from sync_engine.store.repositories import EventRepository, JobRepository

# Header values kept with the event for operators; signatures and tokens are not kept.
# Everything a replay parses again must be kept too: Shopify's X-Shopify-Test flag turns an
# order body into a test notification, and a replay without it would invoice the sample.
_KEPT_HEADERS = ("topic", "event", "resource", "webhook-id", "delivery-id", "triggered-at", "shop-domain", "api-version", "source", "user-agent", "content-type", "webhook-timestamp", "shopify-test")
# Column limits of inbound_events and jobs (store/models.py). PostgreSQL enforces them and
# refuses NUL in text; these values come from the sender, and a signed delivery must be
# stored or refused with a reason, never turned into a 500.
_EVENT_KEY_MAX = 255
_TOPIC_MAX = 128
_ORDER_ID_MAX = 64
_ORDER_NAME_MAX = 128

log = get_logger(__name__)


@dataclass(frozen=True)
class IngestResult:
    http_status: int
    status: str  # accepted | duplicate | needs_attention | ignored | ping | rejected
    job_id: int | None = None
    event_id: int | None = None
    reason: str | None = None
    enqueue: bool = False  # the caller enqueues job_id after its commit
    wake: tuple[int, ...] = ()  # other jobs the caller enqueues after its commit

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.job_id is not None:
            out["job_id"] = self.job_id
        if self.reason:
            out["reason"] = self.reason
        return out


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        k.lower(): v for k, v in headers.items() if any(part in k.lower() for part in _KEPT_HEADERS)
        and "signature" not in k.lower() and "hmac" not in k.lower()
    }


def ingest(
    session: Session,
    *,
    store: Any,
    adapter: PlatformAdapter,
    headers: Mapping[str, str],
    body: bytes,
    source: str,
    now: datetime,
    parsed: ParsedDelivery | None = None,
) -> IngestResult:
    """Store the (already signature-checked) delivery and create its job. Does not commit."""
    events = EventRepository(session)
    try:
        parsed = _fit(parsed) if parsed else parse_delivery(adapter, headers, body, store.id, rules_for(store))
    except MalformedPayload as exc:
        key = "malformed:" + hashlib.sha256(body).hexdigest()
        events.insert_if_new(
            store.id, adapter.name, key, topic=None, source=source, headers=kept_headers(headers),
            raw_body=body, status=EventStatus.REJECTED, reason=_text(str(exc), 2000),
        )
        return IngestResult(400, "rejected", reason=f"malformed payload: {_text(str(exc))}")

    if parsed.kind is EventKind.PING:
        return IngestResult(200, "ping")

    event, created = events.insert_if_new(
        store.id, adapter.name, parsed.event_key, topic=parsed.topic, source=source,
        headers=kept_headers(headers), raw_body=body, status=EventStatus.ACCEPTED,
    )
    if not created:
        return IngestResult(200, "duplicate", job_id=event.job_id, event_id=event.id)
    return _act(session, event, parsed, store=store, now=now)


def _act(session: Session, event: Any, parsed: ParsedDelivery, *, store: Any, now: datetime) -> IngestResult:
    events = EventRepository(session)
    if parsed.kind is EventKind.TEST:
        reason = parsed.problem or "test notification: not invoiced"
        events.set_status(event.id, EventStatus.IGNORED, reason, None)
        return IngestResult(202, "ignored", event_id=event.id, reason=reason)
    if parsed.kind is EventKind.REFUND and parsed.refund is not None and parsed.order_id is not None:
        return _refund_delivery(session, event, parsed, store=store, now=now)
    if parsed.cancelled and parsed.order_id is not None:
        # A proforma still open is closed out (the buyer must not pay against it), and the
        # sale invoice is stopped before GİB, or flagged for cancelling / returning.
        _close_proforma(session, store.id, parsed.order_id, "order cancelled at the shop", now)
        return _cancel(session, event, parsed, store=store, now=now)
    if parsed.kind is EventKind.ORDER and parsed.order_id is not None:
        cancelled = _cancelled_since(session, store.id, parsed)
        if cancelled is not None:
            events.set_status(event.id, EventStatus.IGNORED, cancelled.reason, cancelled.job_id)
            return IngestResult(202, "ignored", job_id=cancelled.job_id, event_id=event.id, reason=cancelled.reason)
    if (
        parsed.kind is EventKind.ORDER and parsed.order_id is not None and parsed.order is not None
        and parsed.awaiting_payment and _wants_proforma(store)
    ):
        return _proforma_job(session, event, parsed, store=store, now=now)
    if parsed.kind is not EventKind.ORDER or parsed.order_id is None or not parsed.invoiceable:
        reason = parsed.problem or "not an invoiceable order event; stored"
        events.set_status(event.id, EventStatus.IGNORED, reason, None)
        return IngestResult(202, "ignored", event_id=event.id, reason=reason)

    # Due for a sale invoice. The platform reports why it cannot be invoiced automatically
    # (no order could be built, foreign currency, lines not adding up to the paid total…).
    order = parsed.order
    problem = parsed.problem or ("missing order" if order is None else None)
    if order is not None and not problem and (parsed.refunds or parsed.refunds_unfetched):
        # Partly refunded: the invoice is for what the buyer kept (checked like any order).
        sale = JobRepository(session).live_sale(store.id, parsed.order_id)
        if sale is not None and sale.order_json and sale_sent(sale) and parsed.refunds:
            # Sent: each new refund is returned (a return job names what it cannot return).
            refunded = _refunded_sale(session, event, sale, order, parsed.refunds, store=store, now=now)
            if refunded is not None:
                return refunded
        kept = _kept(order, parsed)
        if isinstance(kept, str):
            problem = kept
            if sale is not None and not sale_sent(sale) and sale.closed_at is None:
                # Not to be invoiced for what was sold, and what was kept is not known.
                return _stop_for_refund(session, event, sale, problem, now)
        elif kept is None:
            return _cancel(session, event, _fully_refunded(parsed, order), store=store, now=now)
        else:
            order, problem = kept, "; ".join(blocking_problems(kept)) or None
            if sale is not None:
                refunded = _refunded_sale(session, event, sale, kept, parsed.refunds, store=store, now=now)
                if refunded is not None:
                    return refunded
    fields: dict[str, Any] = dict(
        store_id=store.id,
        platform=parsed.order.platform if order else store.platform,
        order_id=parsed.order_id,
        order_name=parsed.order_name or parsed.order_id,
        kind="sale",
        provider=store.provider.name,
        provider_account=store.provider.account_key(),
        order_json=order.model_dump_json() if order else None,
        created_at=now,
        updated_at=now,
    )
    fields.update(_initial_status(problem, now))
    job, job_created = JobRepository(session).create_if_absent(sale_key(store.id, parsed.order_id), **fields)
    if not job_created:
        if _fixes_invalid_order(job, order, problem):
            # The order could not be invoiced before (e.g. a company without a VKN) and this
            # event (the shop's update, or a replay after a mapping fix) brings a good one.
            # Nothing was created at the provider yet, so the job simply starts over.
            JobRepository(session).set_fields(
                job.id, now, order_json=order.model_dump_json(), status=JobStatus.QUEUED.value,
                next_attempt_at=now, attention_category=None, last_error_class=None,
                last_error_message=None, attempt_count=0,
            )
            events.set_status(event.id, EventStatus.ACCEPTED, "order fixed; job re-queued", job.id)
            return IngestResult(202, "accepted", job_id=job.id, event_id=event.id, enqueue=True)
        if problem and job.status == JobStatus.NEEDS_ATTENTION.value:
            # Still not invoiceable (e.g. orders/paid after orders/create, both without a
            # VKN, or a replay with nothing fixed): say so, as the first event did (DESIGN §7).
            events.set_status(event.id, EventStatus.NEEDS_ATTENTION, problem, job.id)
            return IngestResult(202, "needs_attention", job_id=job.id, event_id=event.id, reason=problem)
        changed = _edited(session, store, job, order, problem, now)
        if changed is not None:
            events.set_status(event.id, changed.status, changed.reason, changed.job_id)
            return IngestResult(202, changed.status.value, job_id=changed.job_id, event_id=event.id,
                                reason=changed.reason, wake=changed.wake)
        # Another event about the same order (orders/create, then orders/paid…): one job.
        events.set_status(event.id, EventStatus.ACCEPTED, "job already exists for this order", job.id)
        return IngestResult(202, "accepted", job_id=job.id, event_id=event.id, reason="job already exists")
    # Paid: the order's proforma (if any) has served; the sale job invoices the order.
    _close_proforma(session, store.id, parsed.order_id, f"order paid; invoiced by job {job.id}", now)
    if problem:
        events.set_status(event.id, EventStatus.NEEDS_ATTENTION, problem, job.id)
        return IngestResult(202, "needs_attention", job_id=job.id, event_id=event.id, reason=problem)
    events.set_status(event.id, EventStatus.ACCEPTED, None, job.id)
    return IngestResult(202, "accepted", job_id=job.id, event_id=event.id, enqueue=True)


@dataclass(frozen=True)
class _Cancelled:
    job_id: int
    reason: str


def _cancelled_since(session: Session, store_id: str, parsed: ParsedDelivery) -> _Cancelled | None:
    """The order's cancel, unless this delivery is newer by the shop's own clock (a
    WooCommerce order taken out of "cancelled" again). A late or retried delivery of the
    order as it was before the cancel (Shopify retries carry their first body) is not."""
    assert parsed.order_id is not None
    cancel = JobRepository(session).get_by_key(cancel_key(store_id, parsed.order_id))
    if cancel is None:
        return None
    cancelled_at = _shop_time(cancel.order_json)
    delivered = parsed.order.updated_at if parsed.order is not None else None
    if cancelled_at is not None and delivered is not None and delivered > cancelled_at:
        return None
    return _Cancelled(cancel.id, f"order was cancelled at the shop (job {cancel.id}); this delivery is not newer, so it is not invoiced")


def _shop_time(order_json: str | None) -> datetime | None:
    if not order_json:
        return None
    value = json.loads(order_json).get("updated_at")
    return datetime.fromisoformat(value) if value else None


def _cancel(session: Session, event: Any, parsed: ParsedDelivery, *, store: Any, now: datetime) -> IngestResult:
    """An order cancelled (or fully refunded) at the shop: its cancel job, once, recording
    what the cancel meant for the sale invoice — stopped before anything was made, stopped
    before GİB with a draft to delete, stopping (a worker is on it), or already sent and so
    to be cancelled at the provider or answered with a return invoice (#12)."""
    assert parsed.order_id is not None
    events = EventRepository(session)
    jobs = JobRepository(session)
    why = parsed.problem or "order cancelled at the shop"
    order = parsed.order
    cancel, created = jobs.create_if_absent(
        cancel_key(store.id, parsed.order_id), store_id=store.id,
        platform=order.platform if order else store.platform, order_id=parsed.order_id,
        order_name=parsed.order_name or parsed.order_id, kind=JobKind.CANCEL.value,
        provider=store.provider.name, provider_account=store.provider.account_key(),
        order_json=order.model_dump_json() if order else None, status=JobStatus.RUNNING.value,
        created_at=now, updated_at=now,
    )
    if not created:
        reason = f"cancel already recorded (job {cancel.id})"
        events.set_status(event.id, EventStatus.ACCEPTED, reason, cancel.id)
        return IngestResult(202, "accepted", job_id=cancel.id, event_id=event.id, reason=reason)
    sale = jobs.live_sale(store.id, parsed.order_id)
    status, category = JobStatus.COMPLETED, None
    wake: tuple[int, ...] = ()
    if sale is None:
        message = f"{why}: no invoice had been made"
    else:
        draft = (f"{why} before the GİB send: nothing was sent to GİB; the draft invoice "
                 f"{sale.invoice_number or sale.invoice_id or '(if one was made)'} at {sale.provider} is to be deleted there")
        withdraw = _withdraws_drafts(store)
        outcome = jobs.cancel_sale(sale.id, now, why, draft, withdraw=withdraw)
        wake = (sale.id,) if (outcome == "draft" and withdraw) or outcome == "probing" else ()
        message = {
            "cancelled": f"{why}: sale job {sale.id} stopped before anything was made at the provider",
            "draft": (f"{why}: sale job {sale.id} stopped before the GİB send; its draft is withdrawn at the provider"
                      if withdraw else f"{why}: sale job {sale.id} stopped before the GİB send; it waits for its draft to be deleted"),
            "stopping": f"{why}: sale job {sale.id} is stopped before its GİB send",
            "probing": (f"{why}: sale job {sale.id}'s GİB send is in doubt; its probe decides — never sent: "
                        "stopped and its draft handled; sent: the job says so"),
            "already": f"{why}: sale job {sale.id} was already closed",
        }.get(outcome, "")
        # A refund already answered with a return job: cancelling the e-Arşiv too would undo
        # that part twice; the rest is returned as well.
        returned = any(jobs.get_by_key(return_key(store.id, parsed.order_id, r.refund_id)) for r in parsed.refunds)
        if outcome == "sent" and not returned and _cancels_e_archive(store, sale, now):
            # The provider cancels e-Arşiv at GİB: the cancel job does it (and asks for the
            # journal reversal where the sale was journaled), on the sale's own document.
            jobs.set_fields(
                cancel.id, now, status=JobStatus.QUEUED.value, next_attempt_at=now,
                order_json=cancel.order_json or sale.order_json, document_type=sale.document_type,
                document_alias=sale.document_alias, customer_id=sale.customer_id, invoice_id=sale.invoice_id,
                ettn=sale.ettn, invoice_number=sale.invoice_number, gib_uuid=sale.gib_uuid,
                journal_ref=sale.journal_ref, step_customer="skipped", step_invoice="skipped",
                last_error_message=f"{why}: e-Arşiv {sale.invoice_number or sale.invoice_id} to be cancelled at GİB",
            )
            # The sale's document is the cancel job's now: closed, so that nothing re-drives
            # it (reconciliation would see a cancelled, reversed invoice as "not journaled").
            jobs.set_fields(sale.id, now, closed_at=now,
                            closed_reason=f"{why} after the GİB send: its e-Arşiv is cancelled by job {cancel.id}")
            log.info("order cancelled", store=store.id, sale_job=sale.id, outcome="e_archive_cancel")
            events.set_status(event.id, EventStatus.ACCEPTED, f"{why}: cancelling its e-Arşiv", cancel.id)
            return IngestResult(202, "accepted", job_id=cancel.id, event_id=event.id,
                                reason=f"{why}: cancelling its e-Arşiv at GİB", enqueue=True)
        if outcome == "sent" and parsed.refunds and sale.order_json:
            # Refunded after the send and not cancelled at GİB above (an e-Fatura, a provider
            # that cannot cancel): a return job for each refund not yet returned.
            result = _returns(session, event, sale, list(parsed.refunds), store=store, now=now)
            jobs.set_fields(cancel.id, now, status=JobStatus.COMPLETED.value, completed_at=now,
                            last_error_message=f"{why} after its invoice was sent: returned by job {result.job_id}")
            return result
        if outcome == "sent":
            status, category = JobStatus.NEEDS_ATTENTION, AttentionCategory.CANCELLED_AFTER_SEND
            message = f"{why} after its invoice was sent: " + _after_send_instruction(sale)
        log.info("order cancelled", store=store.id, sale_job=sale.id, outcome=outcome)
    jobs.set_fields(
        cancel.id, now, status=status.value, attention_category=category.value if category else None,
        last_error_class=category.value if category else None, last_error_message=message,
        completed_at=now if status is JobStatus.COMPLETED else None,
    )
    events.set_status(event.id, EventStatus.NEEDS_ATTENTION if category else EventStatus.ACCEPTED, message, cancel.id)
    return IngestResult(202, "needs_attention" if category else "accepted", job_id=cancel.id, event_id=event.id,
                        reason=message, wake=wake if sale is not None else ())


def _capabilities(store: Any) -> frozenset[Any]:
    from sync_engine.providers.registry import provider_class

    return provider_class(store.provider.name).capabilities


def _withdraws_drafts(store: Any) -> bool:
    from sync_engine.providers.base import Capability

    capabilities = _capabilities(store)
    return Capability.WITHDRAW_DRAFT in capabilities and Capability.FIND_INVOICE in capabilities


def _cancels_e_archive(store: Any, sale: Any, now: datetime) -> bool:
    """Whether the cancel job can cancel this sale's document at GİB itself: an e-Arşiv whose
    send was made (or is being made), at a provider that cancels e-Arşiv, within the store's
    cancel window. Where the provider chose the type at send time (KolayBi) the job does not
    know it: the cancel is tried, and a provider that finds an e-Fatura refuses it (the job
    then says so, in its words). Past the window a refund is answered with a return invoice."""
    from sync_engine.providers.base import Capability

    e_archive = sale.document_type == DocumentType.E_ARSIV.value or (
        sale.document_type is None and sale.route_source == "provider")
    return (
        e_archive
        and sale.step_e_document in ("in_progress", "done")
        and Capability.CANCEL_E_ARCHIVE in _capabilities(store)
        and _within_cancel_window(store, sale, now)
    )


def _within_cancel_window(store: Any, sale: Any, now: datetime) -> bool:
    # ASSUMPTION (I, FACTS §5.5): an e-Arşiv is cancelled within the GİB portal's 8-day
    # window; later, the sale stands and a refund is documented by a return (İADE) invoice.
    # ``[stores.invoice] e_archive_cancel_days`` sets it (0: never cancel, always return).
    days = store.invoice.e_archive_cancel_days
    sent_at = sale.e_document_sent_at or sale.updated_at
    if sent_at is None:
        return days > 0
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    return now - sent_at <= timedelta(days=days)


def _after_send_instruction(sale: Any) -> str:
    number = sale.invoice_number or sale.invoice_id or f"of job {sale.id}"
    if sale.document_type == DocumentType.E_FATURA.value:
        # FACTS §5.5: an accepted e-Fatura cannot be cancelled; it is corrected by the
        # buyer's return (İADE) invoice.
        return (f"e-Fatura {number} cannot be cancelled by the seller: the buyer issues a return (İADE) "
                "invoice for it; record the return when it arrives, and reverse the journal then")
    if sale.document_type == DocumentType.E_ARSIV.value:
        # FACTS §5.5: the issuer cancels an e-Arşiv through the provider (Turkcell only in
        # status 60; a GİB-portal cancellation waits up to 8 days for the buyer's approval).
        return (f"cancel e-Arşiv invoice {number} at {sale.provider} (e-Arşiv iptal), or document the "
                "return (İADE); reverse its journal if it was journaled")
    return f"invoice {number} at {sale.provider} was issued: cancel it there or issue a return (İADE) invoice"


@dataclass(frozen=True)
class _Edit:
    status: EventStatus
    reason: str
    job_id: int
    wake: tuple[int, ...] = ()


def _edited(session: Session, store: Any, job: Any, order: Any, problem: str | None, now: datetime) -> _Edit | None:
    """A newer version of an order that already has its sale job (the shop's clock decides
    "newer"), compared with the order's live sale (the newest, after a reissue). Nothing made
    at the provider yet: the job takes the new order, so the invoice is what the customer now
    pays. The invoice made: ``reissue.edit_after_invoice`` flags the job with the difference
    (``amount_changed_after_invoice``) and, where the store opts in, returns and reissues it."""
    job = JobRepository(session).live_sale(job.store_id, job.order_id) or job
    if order is None or not job.order_json:
        return None
    stored = Order.model_validate_json(job.order_json)
    if stored.updated_at is not None and order.updated_at is not None and order.updated_at <= stored.updated_at:
        return None
    difference = order_difference(stored, order)
    if difference is None:
        return None
    if job.step_invoice == "pending" and JobRepository(session).replace_order_if_unmade(job.id, now, order.model_dump_json()):
        return _Edit(EventStatus.ACCEPTED, f"order changed before it was invoiced ({difference}); the job invoices the new one", job.id)
    outcome = edit_after_invoice(session, store, job, order, difference, now, problem=problem)
    return _Edit(outcome.status, outcome.reason, outcome.job_id, outcome.wake)


REFUNDS_UNFETCHED = ("order was partly refunded (refunds {ids}) but the lines of its refunds could not be "
                     "fetched from the shop's API{why}: what the buyer kept is not known; replay the event "
                     "once the shop API answers")


def _kept(order: Order, parsed: ParsedDelivery) -> Order | None | str:
    """What the buyer kept of the delivered order, or why it cannot be told (a text)."""
    if parsed.refunds_unfetched:
        why = f" ({parsed.refunds_error})" if parsed.refunds_error else ""
        return REFUNDS_UNFETCHED.format(ids=", ".join(parsed.refunds_unfetched), why=why)
    try:
        return kept_order(order, parsed.refunds)
    except RefundProblem as exc:
        return f"order was partly refunded and what the buyer kept cannot be invoiced automatically: {exc}"


def _fully_refunded(parsed: ParsedDelivery, order: Order | None) -> ParsedDelivery:
    return dataclasses.replace(parsed, kind=EventKind.ORDER, order=order, cancelled=True, invoiceable=False,
                               problem="order fully refunded at the shop")


def sale_sent(sale: Any) -> bool:
    """The sale's document went (or may have gone) to GİB, or the provider has no GİB step
    and the invoice is issued: a refund now needs a return (ingest and reconciliation)."""
    return sale.step_e_document in ("in_progress", "done") or sale.status == JobStatus.COMPLETED.value


def _refund_delivery(session: Session, event: Any, parsed: ParsedDelivery, *, store: Any, now: datetime) -> IngestResult:
    """A refund delivered on its own (Shopify refunds/create, a WooCommerce refund object):
    applied to the order's sale job — its order replaced by what was kept before the GİB
    send, a return job after it."""
    assert parsed.refund is not None and parsed.order_id is not None
    events = EventRepository(session)
    refund = parsed.refund if parsed.refund.created_at else parsed.refund.model_copy(update={"created_at": now})
    sale = JobRepository(session).live_sale(store.id, parsed.order_id)
    if sale is None or not sale.order_json:
        # Out of order (the refund before its order) or an order not invoiced here: the
        # order's own delivery lists its refunds and is invoiced for what was kept.
        reason = "refund for an order without a sale invoice job here; stored (the order's delivery lists it)"
        events.set_status(event.id, EventStatus.IGNORED, reason, sale.id if sale else None)
        return IngestResult(202, "ignored", job_id=sale.id if sale else None, event_id=event.id, reason=reason)
    stored = Order.model_validate_json(sale.order_json)
    if sale_sent(sale):
        try:
            nothing_kept = kept_order(stored, [refund]) is None
        except RefundProblem:
            nothing_kept = False  # the return job names the problem
        if nothing_kept and _cancels_e_archive(store, sale, now):
            return _cancel(session, event, _fully_refunded(parsed, stored), store=store, now=now)
        return _returns(session, event, sale, [refund], store=store, now=now)
    if refund.refund_id in stored.refund_ids:
        reason = f"refund {refund.refund_id} already taken off sale job {sale.id}'s order"
        events.set_status(event.id, EventStatus.ACCEPTED, reason, sale.id)
        return IngestResult(202, "accepted", job_id=sale.id, event_id=event.id, reason=reason)
    try:
        kept = kept_order(stored, [refund])
    except RefundProblem as exc:
        return _stop_for_refund(session, event, sale, f"refund cannot be applied automatically: {exc}", now)
    if kept is None:
        return _cancel(session, event, _fully_refunded(parsed, stored), store=store, now=now)
    result = _refunded_sale(session, event, sale, kept, (refund,), store=store, now=now)
    assert result is not None  # not sent, and the refund is new
    return result


def _refunded_sale(session: Session, event: Any, sale: Any, kept: Order, refunds: tuple[Refund, ...], *,
                   store: Any, now: datetime) -> IngestResult | None:
    """A sale job whose order was refunded (in part) after the job was made. None: no refund
    it has not taken yet (the caller goes on as for any other update of the order)."""
    events = EventRepository(session)
    jobs = JobRepository(session)
    stored = Order.model_validate_json(sale.order_json) if sale.order_json else None
    taken = set(stored.refund_ids) if stored else set()
    new = [r for r in refunds if r.refund_id not in taken]
    if not new:
        return None
    if sale.closed_at is not None:
        reason = f"refund for sale job {sale.id}, which is closed ({sale.closed_reason or 'cancelled'})"
        events.set_status(event.id, EventStatus.IGNORED, reason, sale.id)
        return IngestResult(202, "ignored", job_id=sale.id, event_id=event.id, reason=reason)
    if sale_sent(sale):
        return _returns(session, event, sale, new, store=store, now=now)
    ids = ", ".join(r.refund_id for r in new)
    old_total = stored.paid_total if stored else None
    if sale.step_invoice == "pending" and jobs.replace_order_if_unmade(sale.id, now, kept.model_dump_json()):
        reason = f"refunded before it was invoiced (refund {ids}): the job invoices what was kept, {kept.paid_total}"
        log.info("refund applied", store=store.id, sale_job=sale.id, outcome="order_replaced")
        events.set_status(event.id, EventStatus.ACCEPTED, reason, sale.id)
        return IngestResult(202, "accepted", job_id=sale.id, event_id=event.id, reason=reason)
    # The invoice may already be saved at the provider with the old amount: the job takes
    # the kept order and stops, so that draft is never sent to GİB as it is.
    message = (f"refunded before the GİB send (refund {ids}): the invoice "
               f"{sale.invoice_number or sale.invoice_id or '(if one was made)'} at {sale.provider} was made for "
               f"{old_total} but the buyer kept {kept.paid_total}; correct (or delete) it at the provider to "
               "the kept lines, then retry — nothing was sent to GİB")
    if jobs.replace_order_before_send(sale.id, now, kept.model_dump_json(), AttentionCategory.TOTAL_MISMATCH.value,
                                      message):
        log.info("refund applied", store=store.id, sale_job=sale.id, outcome="draft_to_correct")
        events.set_status(event.id, EventStatus.NEEDS_ATTENTION, message, sale.id)
        return IngestResult(202, "needs_attention", job_id=sale.id, event_id=event.id, reason=message)
    # A worker is on the job right now: whether it sends first is not known here.
    reason = (f"refund {ids} arrived while sale job {sale.id} was being worked on: replay this event once the "
              "job stops (before its GİB send the order is replaced; after it a return job is opened)")
    jobs.set_fields(sale.id, now, edited_at=now, edit_note=f"refund {ids} to apply (event {event.id})")
    log.warning("refund during a run", store=store.id, sale_job=sale.id, outcome="replay_needed")
    events.set_status(event.id, EventStatus.NEEDS_ATTENTION, reason, sale.id)
    return IngestResult(202, "needs_attention", job_id=sale.id, event_id=event.id, reason=reason)


def _stop_for_refund(session: Session, event: Any, sale: Any, problem: str, now: datetime) -> IngestResult:
    """A refund before the GİB send that cannot be taken off the sale job's order: the job
    stops for an operator (it must not invoice what was sold), its order kept as it is."""
    jobs = JobRepository(session)
    message = _text(f"{problem}; sale job {sale.id} stopped before the GİB send", 2000)
    category = AttentionCategory.INVALID_ORDER.value  # a corrected order delivery restarts it
    if sale.closed_at is not None or sale_sent(sale):
        reason = f"refund for sale job {sale.id}, which is closed or sent: {problem}"
        EventRepository(session).set_status(event.id, EventStatus.IGNORED, reason, sale.id)
        return IngestResult(202, "ignored", job_id=sale.id, event_id=event.id, reason=reason)
    if not sale.order_json or not jobs.replace_order_before_send(sale.id, now, sale.order_json, category, message):
        message = _text(f"{problem}; sale job {sale.id} was being worked on: replay this event once it stops", 2000)
        jobs.set_fields(sale.id, now, edited_at=now, edit_note=message)
    log.warning("refund not applied", store=sale.store_id, sale_job=sale.id, outcome="needs_attention")
    EventRepository(session).set_status(event.id, EventStatus.NEEDS_ATTENTION, message, sale.id)
    return IngestResult(202, "needs_attention", job_id=sale.id, event_id=event.id, reason=message)


def _returns(session: Session, event: Any, sale: Any, refunds: list[Refund], *, store: Any,
             now: datetime) -> IngestResult:
    """One return (İADE) job per refund of a sent sale invoice, key
    ``{store}:{order}:return:{refund_id}``: a refund delivered again finds its job.

    The return job's order is exactly what was refunded (``return_order``). It carries over
    from the sale only what the return is made *on*: the sale's cari (``customer_id``; its
    customer step is skipped) and routing (document type and alias). Its own invoice_id,
    ETTN, number and GİB uuid stay empty for its own document; the sale invoice it answers is
    found by the return step (``JobRepository.sale_returned_by``) and read for ``ReturnOf``.
    """
    events = EventRepository(session)
    jobs = JobRepository(session)
    assert sale.order_json
    sale_order = Order.model_validate_json(sale.order_json)
    made: list[int] = []
    new: list[int] = []
    problems: list[str] = []
    for refund in refunds:
        refund = refund if refund.created_at else refund.model_copy(update={"created_at": now})
        try:
            returned: Order | None = return_order(sale_order, refund)
            problem = None
        except RefundProblem as exc:
            returned, problem = None, _text(
                f"refunded after its invoice was sent, and the return cannot be made automatically: {exc}; "
                f"document the return of invoice {sale.invoice_number or sale.invoice_id or sale.id} by hand")
        status: dict[str, Any] = (
            dict(status=JobStatus.QUEUED.value, next_attempt_at=now) if problem is None else dict(
                status=JobStatus.NEEDS_ATTENTION.value, attention_category=AttentionCategory.REFUND_AFTER_SEND.value,
                last_error_class=AttentionCategory.REFUND_AFTER_SEND.value, last_error_message=problem))
        job, created = jobs.create_if_absent(
            return_key(store.id, sale.order_id, refund.refund_id), store_id=store.id, platform=sale.platform,
            order_id=sale.order_id, order_name=_text(f"{sale.order_name or sale.order_id} İADE", _ORDER_NAME_MAX),
            kind=JobKind.RETURN.value, provider=sale.provider, provider_account=sale.provider_account,
            order_json=returned.model_dump_json() if returned else None, customer_id=sale.customer_id,
            document_type=sale.document_type, document_alias=sale.document_alias, route_source=sale.route_source,
            route_checked_at=sale.route_checked_at, step_customer="skipped", created_at=now, updated_at=now,
            **status,
        )
        made.append(job.id)
        if created:
            log.info("refund after send", store=store.id, sale_job=sale.id, return_job=job.id,
                     outcome="return_job" if problem is None else "needs_attention")
            if problem is None:
                new.append(job.id)
            else:
                problems.append(problem)
    if problems:
        reason = "; ".join(problems)
        events.set_status(event.id, EventStatus.NEEDS_ATTENTION, reason, made[0])
        return IngestResult(202, "needs_attention", job_id=made[0], event_id=event.id, reason=reason, wake=tuple(new))
    reason = (f"refunded after its invoice was sent: return job {', '.join(map(str, made))}"
              if new else f"return already recorded (job {', '.join(map(str, made))})")
    events.set_status(event.id, EventStatus.ACCEPTED, reason, made[0])
    return IngestResult(202, "accepted", job_id=made[0], event_id=event.id, reason=reason, wake=tuple(new))


def _initial_status(problem: str | None, now: datetime) -> dict[str, Any]:
    """A new job runs now, or waits for an operator when the order cannot be invoiced."""
    if problem:
        category = category_of(problem).value
        return dict(
            status=JobStatus.NEEDS_ATTENTION.value,
            attention_category=category,
            last_error_class=category,
            last_error_message=problem,
        )
    return dict(status=JobStatus.QUEUED.value, next_attempt_at=now)


def _wants_proforma(store: Any) -> bool:
    invoice = getattr(store, "invoice", None)
    return bool(getattr(invoice, "proforma_for_pending", False))


def _proforma_job(session: Session, event: Any, parsed: ParsedDelivery, *, store: Any, now: datetime) -> IngestResult:
    """An order awaiting a bank transfer at a store that sends proformas: its own job
    (``{store}:{order}:proforma``), exactly once. Never after the order was paid: a sale
    job for the order means the proforma is not needed (an out-of-order delivery)."""
    events = EventRepository(session)
    jobs = JobRepository(session)
    order = parsed.order
    assert order is not None and parsed.order_id is not None
    sale = jobs.get_by_key(sale_key(store.id, parsed.order_id))
    if sale is not None:
        reason = "order already paid (sale job exists); no proforma"
        events.set_status(event.id, EventStatus.IGNORED, reason, sale.id)
        return IngestResult(202, "ignored", job_id=sale.id, event_id=event.id, reason=reason)
    problem = "; ".join(order.invoicing_problems()) or None
    fields: dict[str, Any] = dict(
        store_id=store.id, platform=order.platform, order_id=parsed.order_id,
        order_name=parsed.order_name or parsed.order_id, kind=JobKind.PROFORMA.value,
        provider=store.provider.name, provider_account=store.provider.account_key(),
        order_json=order.model_dump_json(), created_at=now, updated_at=now,
    )
    fields.update(_initial_status(problem, now))
    job, created = jobs.create_if_absent(proforma_key(store.id, parsed.order_id), **fields)
    if not created:
        if _fixes_invalid_order(job, order, problem):
            jobs.set_fields(
                job.id, now, order_json=order.model_dump_json(), status=JobStatus.QUEUED.value,
                next_attempt_at=now, attention_category=None, last_error_class=None,
                last_error_message=None, attempt_count=0,
            )
            events.set_status(event.id, EventStatus.ACCEPTED, "order fixed; proforma job re-queued", job.id)
            return IngestResult(202, "accepted", job_id=job.id, event_id=event.id, enqueue=True)
        events.set_status(event.id, EventStatus.ACCEPTED, "proforma job already exists for this order", job.id)
        return IngestResult(202, "accepted", job_id=job.id, event_id=event.id, reason="proforma job already exists")
    if problem:
        events.set_status(event.id, EventStatus.NEEDS_ATTENTION, problem, job.id)
        return IngestResult(202, "needs_attention", job_id=job.id, event_id=event.id, reason=problem)
    events.set_status(event.id, EventStatus.ACCEPTED, "awaiting payment: proforma", job.id)
    return IngestResult(202, "accepted", job_id=job.id, event_id=event.id, enqueue=True)


def _close_proforma(session: Session, store_id: str, order_id: str, reason: str, now: datetime) -> None:
    jobs = JobRepository(session)
    proforma = jobs.get_by_key(proforma_key(store_id, order_id))
    if proforma is None:
        return
    outcome = jobs.close(proforma.id, now, reason)
    if outcome is not None:
        log.info("proforma closed", store=store_id, job_id=proforma.id, outcome=outcome, reason=reason)


# The reasons a job waits for better order data (not for the provider): a later event or a
# replay that brings a good order starts such a job over.
_ORDER_DATA_CATEGORIES = frozenset({AttentionCategory.INVALID_ORDER.value, AttentionCategory.INVALID_TAX_ID.value})


def _fixes_invalid_order(job: Any, order: Any, problem: str | None) -> bool:
    return (
        order is not None
        and not problem
        and job.status == JobStatus.NEEDS_ATTENTION.value
        and job.attention_category in _ORDER_DATA_CATEGORIES
        and job.step_customer == "pending"
        and job.step_invoice == "pending"
    )


def fetch_refund_details(parsed: ParsedDelivery, store: Any, *, timeout_s: float = 5.0) -> ParsedDelivery:
    """An order that lists refunds by id only (WooCommerce), completed with their lines from
    the shop's Admin API (the store's ``shop_api_url`` / ``shop_api_token``), by the platform
    adapter (``complete_refunds``). Call it outside a database transaction: it is a network
    call. When the shop cannot be asked, the delivery keeps ``refunds_unfetched`` with the
    reason in ``refunds_error``, and ingest parks the order in needs_attention."""
    if not parsed.refunds_unfetched or parsed.order_id is None:
        return parsed
    from sync_engine.platforms.clients import make_lister
    from sync_engine.platforms.registry import get_platform

    if store.shop_api_url is None or store.shop_api_token is None:
        return dataclasses.replace(parsed, refunds_error="no shop_api_url / shop_api_token for the store")
    try:
        lister = make_lister(store.platform, str(store.shop_api_url), store.shop_api_token.get_secret_value(),
                             timeout_s=timeout_s)
        try:
            return get_platform(store.platform).complete_refunds(parsed, lister)
        finally:
            lister.close()
    except Exception as exc:  # noqa: BLE001 - any failure leaves the order waiting, with its reason
        log.warning("refund details not fetched", store=store.id, reason=type(exc).__name__)
        return dataclasses.replace(parsed, refunds_error=_text(f"{type(exc).__name__}: {exc}", 300))


def replay(session: Session, event: Any, *, store: Any, adapter: PlatformAdapter, now: datetime) -> IngestResult:
    """Re-run a stored event (after fixing a mapping, or once the shop sent the missing VKN):
    parse its raw body again and act on it as if it had just arrived. The signature was
    checked when it was stored. Does not commit."""
    headers = dict(event.headers or {})
    try:
        parsed = parse_delivery(adapter, headers, bytes(event.raw_body), store.id, rules_for(store))
    except MalformedPayload as exc:
        EventRepository(session).set_status(event.id, EventStatus.REJECTED, _text(str(exc), 2000), None)
        return IngestResult(400, "rejected", event_id=event.id, reason=f"malformed payload: {_text(str(exc))}")
    if parsed.kind is EventKind.PING:
        return IngestResult(200, "ping", event_id=event.id)
    return _act(session, event, fetch_refund_details(parsed, store), store=store, now=now)


def parse_delivery(adapter: PlatformAdapter, headers: Mapping[str, str], body: bytes, store_id: str,
                   rules: BuyerRules = DEFAULT_RULES) -> ParsedDelivery:
    """``adapter.parse``, with every failure a ``MalformedPayload`` and every value fitted to
    its column.

    A mapper that trips over a shape it did not expect (a ``null`` line item, a list where
    an object belongs, JSON nested too deep) has still been handed a signed body: it is
    stored as rejected with the reason and can be replayed once the mapper is fixed, rather
    than lost to a 500 the shop gives up retrying.
    """
    try:
        parsed = adapter.parse(headers, body, store_id, rules)
    except MalformedPayload:
        raise
    except Exception as exc:  # noqa: BLE001 - see the docstring
        # One line with the reason: the raw body is stored for the replay, and the traceback
        # (which would print values from the body) only at DEBUG, for whoever fixes the mapper.
        reason = f"unexpected payload shape ({type(exc).__name__}: {exc})"
        log.warning("signed delivery rejected", platform=adapter.name, store=store_id, reason=reason)
        log.debug("platform mapper traceback", platform=adapter.name, store=store_id, exc_info=True)
        raise MalformedPayload(reason) from exc
    return _fit(parsed)


def _fit(parsed: ParsedDelivery) -> ParsedDelivery:
    order_id = parsed.order_id
    if order_id is not None and (len(order_id) > _ORDER_ID_MAX or _text(order_id) != order_id):
        # An id is a key: cutting it could merge two orders into one job. No shop sends this.
        raise MalformedPayload(f"order id is not a plausible id ({len(order_id)} characters)")
    key = parsed.event_key
    if len(key) > _EVENT_KEY_MAX or _text(key) != key:
        # Hashed, not cut: the key must stay distinct per event and equal per redelivery.
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return dataclasses.replace(
        parsed,
        event_key=key,
        topic=_text(parsed.topic, _TOPIC_MAX) if parsed.topic is not None else None,
        order_name=_text(parsed.order_name, _ORDER_NAME_MAX) if parsed.order_name is not None else None,
        problem=_fitted_problem(parsed.problem),
    )


def _fitted_problem(problem: str | None) -> str | None:
    if problem is None:
        return None
    return Problem(_text(problem), category_of(problem))  # keeps its attention category


def _text(value: str, limit: int | None = None) -> str:
    """Text a column can hold: no NUL (PostgreSQL refuses it), no lone surrogate (JSON's
    "\\ud800" decodes to one, and no driver can encode it), at most ``limit`` characters."""
    cleaned = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return cleaned[:limit] if limit is not None else cleaned
