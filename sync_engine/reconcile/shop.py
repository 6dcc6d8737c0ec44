"""Shop side: every order the shop updated in the window, checked against the state table.

A paid order without a job is a lost webhook (Shopify gives up after 8 retries over 4 hours;
WooCommerce never retries and disables a failing webhook). It goes through ``ingest`` exactly
as its webhook would have — raw event stored, job created in the same transaction — with the
source ``reconciliation``, and is enqueued after the commit. Orders that have a job cost one
set lookup per page and no call at all.
"""

from __future__ import annotations

import dataclasses

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.domain import Order
from sync_engine.domain.edits import order_difference
from sync_engine.domain.keys import proforma_key, return_key
from sync_engine.ingest import ingest, sale_sent
from sync_engine.platforms import blocking_problems, id_text, text
from sync_engine.platforms.base import EventKind, ParsedDelivery, PlatformAdapter
from sync_engine.platforms.registry import get_platform
from sync_engine.platforms.identity import DEFAULT_RULES, BuyerRules, rules_for
from sync_engine.platforms.clients import OrderLister, make_lister
from sync_engine.reconcile.findings import Action, Category, Finding, StoreReport
from sync_engine.reconcile.progress import Progress
from sync_engine.reconcile.repository import ReconcileJobs
from sync_engine.reconcile.restarts import with_restarts
from sync_engine.reconcile.window import Window
from sync_engine.reissue import EditAction, flagged, plan_edit
from sync_engine.store.models import EventSource
from sync_engine.store.repositories import JobRepository

# One bulk "which of these have a job" query per this many orders (a Shopify page).
BATCH = 250
class ShopSideUnavailable(Exception):
    """The store cannot be listed (no shop API configured, or a platform without a lister)."""


def lister_for(store: Any, timeout_s: float = 30.0) -> OrderLister:
    if store.shop_api_url is None or store.shop_api_token is None:
        raise ShopSideUnavailable("no shop_api_url / shop_api_token in the stores file")
    try:
        return make_lister(
            store.platform, str(store.shop_api_url), store.shop_api_token.get_secret_value(),
            timeout_s=timeout_s,
        )
    except Exception as exc:  # UnsupportedCapability for generic shops, a malformed token
        raise ShopSideUnavailable(str(exc)) from exc


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        # The lister parsed numbers as Decimal. Platforms send rates and prices as JSON
        # numbers of a few digits, which a float prints back exactly; anything a float
        # would round stays a string rather than change value.
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def resource_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_number).encode("utf-8")


def delivery_for(adapter: PlatformAdapter, payload: dict[str, Any], store_id: str,
                 *, awaiting_payment: bool = False, rules: BuyerRules = DEFAULT_RULES) -> ParsedDelivery:
    """The ParsedDelivery a webhook of this (paid, not cancelled) order would have given; with
    ``awaiting_payment``, that of the unpaid order waiting for a transfer."""
    order_id = id_text(payload.get("id"))
    assert order_id is not None
    order, problem = adapter.order_from_resource(payload, store_id, rules)
    if order is not None:
        # The platform adapters' own check: an order that needs a person (foreign currency,
        # lines not adding up) becomes a needs_attention job with the reason.
        problem = "; ".join(blocking_problems(order)) or None
    # A partly refunded order is invoiced for what was kept (ingest); refunds listed by id
    # only are not fetched here: the order waits for an operator's replay instead.
    refunds, unfetched = adapter.refunds_of(payload)
    return ParsedDelivery(
        refunds=refunds,
        refunds_unfetched=unfetched,
        refunds_error="not fetched during reconciliation" if unfetched else None,
        kind=EventKind.ORDER,
        event_key=f"reconcile:{order_id}:{adapter.updated_at_text(payload)}",
        topic=next(iter(adapter.replay_headers().values()), None),
        order_id=order_id,
        order_name=order.order_name if order is not None else adapter.order_name_of(payload, order_id),
        invoiceable=not awaiting_payment,
        order=order,
        problem=problem,
        awaiting_payment=awaiting_payment,
    )


def _newer_at_shop(updated_at_text: str, invoiced_at: datetime | None) -> bool:
    """Whether the listed order is newer than the one invoiced (ingest's rule for an edit);
    a stamp that cannot be read is compared by content."""
    if invoiced_at is None or not updated_at_text:
        return True
    try:
        listed = datetime.fromisoformat(updated_at_text.replace("Z", "+00:00"))
    except ValueError:
        return True
    if listed.tzinfo is None:  # WooCommerce's *_gmt stamps carry no offset
        listed = listed.replace(tzinfo=UTC)
    return listed > invoiced_at


def _batches(orders: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for order in orders:
        batch.append(order)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class ShopSide:
    sessions: sessionmaker[Session]
    store: Any
    window: Window
    report: StoreReport
    progress: Progress
    clock: Callable[[], datetime]
    dry_run: bool
    to_enqueue: list[int] = field(default_factory=list)
    ingested: set[int] = field(default_factory=set)  # every job this side ingested (or found)
    seen: set[str] = field(default_factory=set)  # order ids handled in this run

    def run(self, lister: OrderLister, sleep: Callable[[float], None]) -> None:
        self.report.stats.update(shop_orders=0, shop_orders_with_job=0, shop_not_invoiceable=0)
        try:
            with_restarts(lambda: self._list(lister), what=f"{self.store.id} orders", sleep=sleep)
        finally:
            self.report.shop_calls = lister.calls

    def _list(self, lister: OrderLister) -> None:
        adapter = get_platform(self.store.platform)
        self.progress.start(self.store.id, "shop orders")
        try:
            orders = lister.iter_orders(self.window.shop_start, self.window.shop_end)
            for batch in _batches(orders, BATCH):
                # After a restart the first pages come again: each order is handled once.
                fresh = [o for o in batch if (id_text(o.get("id")) or "") not in self.seen]
                self._batch(adapter, fresh)
                self.report.shop_calls = lister.calls
                self.progress.advance(len(batch))
        finally:
            self.progress.finish()

    def _batch(self, adapter: PlatformAdapter, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        stats = self.report.stats
        stats["shop_orders"] += len(batch)
        ids = [id_text(o.get("id")) or "" for o in batch]
        self.seen.update(ids)
        with self.sessions() as session:
            known = ReconcileJobs(session).order_ids_with_jobs(self.store.id, ids)
            proformas = (
                ReconcileJobs(session).order_ids_with_jobs(self.store.id, ids, kind="proforma")
                if self.wants_proformas else set()
            )
            stats["shop_orders_with_job"] += sum(1 for i in ids if i in known)
            cancels = ReconcileJobs(session).order_ids_with_jobs(self.store.id, ids, kind="cancel")
            made = ReconcileJobs(session).made_sales(self.store.id, [i for i in ids if i in known and i not in cancels])
            pending: list[int] = []
            for order_id, payload in zip(ids, batch, strict=True):
                if order_id in known and order_id not in cancels and adapter.cancel_reason(payload):
                    self._missed_cancel(session, adapter, order_id, payload, pending)
                    continue
                if order_id in made:
                    self._missed_returns(session, adapter, order_id, payload, made[order_id], pending)
                    self._edit(session, adapter, order_id, payload, made[order_id], pending)
                    continue
                if not order_id or order_id in known:
                    continue
                reason = adapter.not_invoiceable_reason(payload)
                if reason is not None:
                    stats["shop_not_invoiceable"] += 1
                    if order_id in proformas and adapter.cancel_reason(payload):
                        self._close_proforma(session, order_id, "order cancelled at the shop")
                    elif self.wants_proformas and order_id not in proformas and adapter.awaits_payment(payload):
                        self._missing(session, adapter, order_id, payload, pending, awaiting=True)
                    continue
                self._missing(session, adapter, order_id, payload, pending)
            if not self.dry_run:
                session.commit()
        # After the commit: a worker woken earlier would not find the row.
        self.to_enqueue.extend(pending)

    @property
    def wants_proformas(self) -> bool:
        return bool(getattr(getattr(self.store, "invoice", None), "proforma_for_pending", False))

    def _close_proforma(self, session: Session, order_id: str, reason: str) -> None:
        """A cancel the webhook never brought: the open proforma is closed out (the
        provider has no endpoint for it; the chain and this report record it)."""
        job = JobRepository(session).get_by_key(proforma_key(self.store.id, order_id))
        if job is None or job.closed_at is not None:
            return
        self.report.add(Finding(Category.PROFORMA_CLOSED, Action.CLOSED, order_id=order_id, job_id=job.id,
                                invoice_ref=job.invoice_id, evidence={"reason": reason}))
        if not self.dry_run:
            JobRepository(session).close(job.id, self.clock(), reason)

    def _missed_cancel(self, session: Session, adapter: PlatformAdapter, order_id: str,
                       payload: dict[str, Any], pending: list[int]) -> None:
        """An order invoiced (or being invoiced) here and cancelled at the shop, the cancel
        webhook lost: it goes through ingest as that webhook would have — the sale job is
        stopped before GİB where it still can be, else flagged for cancelling / returning."""
        parsed = dataclasses.replace(
            delivery_for(adapter, payload, self.store.id, rules=rules_for(self.store)),
            event_key=f"reconcile-cancel:{order_id}:{adapter.updated_at_text(payload)}",
            invoiceable=False, cancelled=True, problem=adapter.cancel_reason(payload),
        )
        finding = Finding(Category.CANCEL_MISSED, Action.INGESTED, order_id=order_id,
                          evidence={"order_name": parsed.order_name, "updated_at": adapter.updated_at_text(payload),
                                    "reason": parsed.problem})
        self.report.add(finding)
        if not self.dry_run:
            self._ingest(session, adapter, payload, parsed, finding, pending)

    def _missed_returns(self, session: Session, adapter: PlatformAdapter, order_id: str,
                        payload: dict[str, Any], sale: Any, pending: list[int]) -> None:
        """Refunds the shop lists for an order whose invoice went to GİB, with no return job
        (the refund webhook lost): each goes through ingest as that webhook would have, and
        gets its return job. A run after that finds the jobs and changes nothing. WooCommerce
        lists refunds without their lines: those wait for the order's replay (the report says
        which)."""
        if sale.closed_at is not None or not sale_sent(sale):
            return
        refunds, unfetched = adapter.refunds_of(payload)
        jobs = JobRepository(session)
        for refund in refunds:
            if jobs.get_by_key(return_key(self.store.id, order_id, refund.refund_id)) is not None:
                continue
            finding = Finding(Category.RETURN_MISSED, Action.INGESTED, order_id=order_id,
                              evidence={"refund_id": refund.refund_id, "refunded": str(refund.total),
                                        "sale_job": sale.id, "invoice": sale.invoice_number or sale.invoice_id})
            self.report.add(finding)
            if self.dry_run:
                continue
            parsed = ParsedDelivery(
                kind=EventKind.REFUND, event_key=f"reconcile-refund:{order_id}:{refund.refund_id}",
                topic="refunds/create", order_id=order_id, order_name=text(payload.get("name")) or None,
                invoiceable=False, order=None, problem=None, refund=refund,
            )
            self._ingest(session, adapter, payload, parsed, finding, pending)
        missing = [r for r in unfetched if jobs.get_by_key(return_key(self.store.id, order_id, r)) is None]
        if missing:
            self.report.add(Finding(Category.RETURN_MISSED, Action.REPORTED, order_id=order_id,
                                    evidence={"refund_ids": missing, "why": "the shop lists these refunds "
                                              "without their lines; replay the order's event to return them"}))

    def _edit(self, session: Session, adapter: PlatformAdapter, order_id: str, payload: dict[str, Any],
              sale: Any, pending: list[int]) -> None:
        """An order invoiced here whose shop version now differs for the invoice (the edit
        webhook lost, or seen before the GİB send): it goes through ingest as that webhook
        would have — flagged, or returned and reissued where the store opts in — and a run
        that finds it flagged with the same difference changes nothing."""
        # The stamps first (a plain JSON read): most listed orders are as invoiced, and a full
        # parse of both orders for each of 100,000 would cost the run half a minute.
        invoiced_at = json.loads(sale.order_json).get("updated_at")
        if not _newer_at_shop(adapter.updated_at_text(payload),
                              datetime.fromisoformat(invoiced_at) if invoiced_at else None):
            return
        stored = Order.model_validate_json(sale.order_json)
        parsed = delivery_for(adapter, payload, self.store.id, rules=rules_for(self.store))
        if parsed.order is None:
            return
        difference = order_difference(stored, parsed.order)
        if difference is None:
            return
        plan = plan_edit(self.store, sale, difference, parsed.problem)
        # One event per listed version, sale job and outcome: an edit flagged before the GİB
        # send and reissued by a later run after it is two events, not a duplicate.
        parsed = dataclasses.replace(
            parsed, event_key=f"reconcile-edit:{order_id}:{adapter.updated_at_text(payload)}:{sale.id}:{plan.action}")
        action = Action.REISSUED if plan.action is EditAction.REISSUE else Action.FLAGGED
        finding = Finding(
            Category.AMOUNT_CHANGED_AFTER_INVOICE, Action.ALREADY_FLAGGED if flagged(sale, plan) else action,
            order_id=order_id, job_id=sale.id, invoice_ref=sale.invoice_number or sale.invoice_id,
            evidence={"order_name": parsed.order_name, "updated_at": adapter.updated_at_text(payload),
                      "difference": difference, "note": plan.note, "document_type": sale.document_type,
                      "steps": {"invoice": sale.step_invoice, "e_document": sale.step_e_document}},
        )
        self.report.add(finding)
        if self.dry_run or finding.action is Action.ALREADY_FLAGGED:
            return
        result = self._ingest(session, adapter, payload, parsed, finding, pending)
        if result.status == "duplicate":
            # This very listing was ingested by an earlier run whose flag a person since
            # cleared or another edit replaced: nothing is written again.
            finding.action = Action.REPORTED

    def _missing(self, session: Session, adapter: PlatformAdapter, order_id: str,
                 payload: dict[str, Any], pending: list[int], *, awaiting: bool = False) -> None:
        parsed = delivery_for(adapter, payload, self.store.id, awaiting_payment=awaiting,
                              rules=rules_for(self.store))
        evidence: dict[str, Any] = {
            "order_name": parsed.order_name,
            "updated_at": adapter.updated_at_text(payload),
            "paid_total": str(parsed.order.paid_total) if parsed.order is not None else None,
            "problem": parsed.problem,
        }
        category = Category.MISSING_PROFORMA if awaiting else Category.MISSING_JOB
        finding = Finding(category, Action.INGESTED, order_id=order_id, evidence=evidence)
        self.report.add(finding)
        if self.dry_run:
            return
        result = self._ingest(session, adapter, payload, parsed, finding, pending)
        if not result.enqueue and result.status != "needs_attention":
            # A webhook won the race (the job appeared while we paged): nothing was created.
            finding.action = Action.REPORTED

    def _ingest(self, session: Session, adapter: PlatformAdapter, payload: dict[str, Any],
                parsed: ParsedDelivery, finding: Finding, pending: list[int]) -> Any:
        """The listed order through ingest, as its lost webhook would have gone; the jobs it
        made or woke are this run's (not "stuck" as well) and are enqueued after the commit."""
        result = ingest(
            session, store=self.store, adapter=adapter,
            headers={**adapter.replay_headers(), "X-Sync-Source": EventSource.RECONCILIATION.value},
            body=resource_body(payload), source=EventSource.RECONCILIATION.value, now=self.clock(),
            parsed=parsed,
        )
        finding.job_id = result.job_id
        if result.job_id is not None:
            self.ingested.add(result.job_id)
        finding.evidence["ingest_status"] = result.status
        if result.reason:
            finding.evidence["ingest_reason"] = result.reason
        if result.enqueue and result.job_id is not None:
            pending.append(result.job_id)
        pending.extend(result.wake)  # e.g. a sale job whose draft is to be withdrawn
        return result
