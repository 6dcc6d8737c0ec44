"""Provider side: the provider's invoices for the window's days against the state table.

The provider is asked for its list only — page by page, as large as its API allows — and
every comparison happens here, so the calls grow with N / page size and an invoice that
matches its job costs no call of its own. A listing that fails part-way classifies nothing:
half a list would make every unlisted invoice look "missing".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.domain import Order
from sync_engine.domain.keys import sale_key_parts
from sync_engine.pipeline.context import build_request, invoice_settings
from sync_engine.providers.base import Capability, Provider, RemoteInvoice
from sync_engine.providers.http import CallRecord, observe_calls
from sync_engine.reconcile.classify import classify_invoiced
from sync_engine.reconcile.findings import Action, Category, Finding, StoreReport
from sync_engine.reconcile.matching import JobIndex, invoice_evidence, match
from sync_engine.reconcile.plan import Planned
from sync_engine.reconcile.progress import Progress
from sync_engine.reconcile.repository import JobSnapshot, ReconcileJobs
from sync_engine.reconcile.window import Window

# Jobs are selected by creation time, invoices by the order's date. A job is created after
# its order (webhook delay, shop clock, or a reconciliation days later), so the creation
# range reaches a day before the first listed day and a few days past the last.
JOBS_BEFORE = timedelta(days=1)
JOBS_AFTER = timedelta(days=3)


class ProviderSideUnavailable(Exception):
    """The provider cannot list its invoices (SinApp has no list endpoint)."""


@dataclass
class Listing:
    invoices: list[RemoteInvoice]
    calls: Counter[str]  # provider calls by operation name


def list_invoices(
    provider: Provider, window: Window, progress: Progress, store_id: str, calls: Counter[str]
) -> Listing:
    """Every invoice the provider issued on the window's days; ``calls`` counts the HTTP
    calls by operation as they happen (so a listing that fails still shows its cost)."""
    if Capability.LIST_INVOICES not in provider.capabilities:
        raise ProviderSideUnavailable(
            f"{provider.name} cannot list its invoices (no list_invoices capability); "
            "its invoices are checked by the pipeline's own find/probe calls only"
        )
    def count(call: CallRecord) -> None:
        calls[call.operation] += 1

    invoices: list[RemoteInvoice] = []
    progress.start(store_id, f"{provider.name} invoices")
    try:
        with observe_calls(count):
            for invoice in provider.list_invoices(window.first_day, window.last_day):
                invoices.append(invoice)
                progress.advance()
    finally:
        progress.finish()
    return Listing(invoices, calls)


@dataclass
class ProviderSide:
    sessions: sessionmaker[Session]
    store: Any
    window: Window
    report: StoreReport
    clock: Callable[[], datetime]

    def classify(self, provider: Provider, listing: Listing) -> list[Planned]:
        now = self.clock()
        index = JobIndex()
        in_window = 0
        with self.sessions() as session:
            jobs = ReconcileJobs(session)
            low = self.window.start - JOBS_BEFORE
            high = min(self.window.end + JOBS_AFTER, now + timedelta(seconds=1))
            for job in jobs.created_between(self.store.id, low, high):
                # A store that changed provider keeps its old jobs: not this provider's to list.
                if job.provider != provider.name or job.facts is None:
                    continue
                if self.window.covers_day(job.facts.issue_date):
                    index.add(job)
                    in_window += 1
            matches = match(index, listing.invoices, store_id=self.store.id, platform=self.store.platform)
            if matches.unresolved:
                # Ours by reference, but the job was created outside the range read above.
                for job in jobs.by_keys(matches.unresolved):
                    if job.store_id == self.store.id:
                        index.add(job)
                        matches.by_job[job.id].extend(matches.unresolved.pop(job.idempotency_key))
            plans: list[Planned] = []
            for job in index.jobs.values():
                planned = classify_invoiced(
                    job, matches.by_job.get(job.id, []), capabilities=provider.capabilities,
                    window=self.window, now=now,
                )
                if planned is not None:
                    plans.append(planned)
            for planned in plans:
                if planned.repair is not None and planned.findings[-1].category is Category.ADOPT:
                    rounding = _rounding_difference(jobs, provider, self.store, planned.repair.job)
                    if rounding is not None:
                        planned.repair.fields["rounding_difference"] = rounding
        for key, invoices in matches.unresolved.items():
            plans.append(Planned([Finding(
                Category.UNKNOWN_AT_PROVIDER, Action.REPORTED,
                order_id=(sale_key_parts(key, self.store.id) or (key,))[0],
                invoice_ref=invoices[0].invoice_number or invoices[0].invoice_id,
                evidence={"idempotency_key": key, "invoices": [invoice_evidence(i) for i in invoices]},
            )]))
        self.report.stats.update(
            provider_invoices=len(listing.invoices),
            provider_invoices_matched=sum(len(v) for v in matches.by_job.values()),
            provider_invoices_foreign=matches.foreign,
            jobs_checked=len(index),
            jobs_in_window=in_window,
            provider_calls_by_operation=dict(listing.calls),
        )
        return plans


def _rounding_difference(jobs: ReconcileJobs, provider: Provider, store: Any, job: JobSnapshot) -> Decimal | None:
    """What the invoice step would have recorded (DESIGN §7: a rounding difference is
    recorded on the job, never silent), computed locally: no provider call."""
    order_json = jobs.order_json(job.id)
    if order_json is None:
        return None
    order = Order.model_validate_json(order_json)
    document_type = None  # the route only changes the document, never the amounts
    request = build_request(job.idempotency_key, order, invoice_settings(store), document_type, None)
    return provider.rounding_difference(request)
