"""A cancel at the shop racing a worker (issue #12, "before the GİB send"): the cancel and
the GİB send claim the same row with one conditional UPDATE each, so exactly one wins —
never a cancelled order at GİB, never a sent invoice the product believes stopped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.domain.keys import ettn_for, sale_key
from sync_engine.pipeline.runner import JobRunner
from sync_engine.pipeline.states import JobStatus
from sync_engine.providers.base import Capability, CustomerRef, InvoiceRef, InvoiceRequest
from sync_engine.store.repositories import JobRepository
from tests.support.orders import order, runtime
from tests.support.scripted_provider import ScriptedProvider


class CancelledWhile(ScriptedProvider):
    """A provider during whose ``operation`` the shop's cancel arrives (ingest, another
    process, its own session)."""

    def __init__(self, sessions: sessionmaker[Session], operation: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.sessions = sessions
        self.operation = operation
        self.job_id = 0
        self.outcome: str | None = None

    def _cancel(self) -> None:
        with self.sessions() as session:
            self.outcome = JobRepository(session).cancel_sale(
                self.job_id, datetime.now(UTC), "order cancelled at the shop", "draft to delete")
            session.commit()

    def upsert_customer(self, order, known=None) -> CustomerRef:  # noqa: ANN001
        ref = super().upsert_customer(order, known)
        if self.operation == "customer":
            self._cancel()
        return ref

    def create_invoice(self, req: InvoiceRequest, customer: CustomerRef | None) -> InvoiceRef:
        ref = super().create_invoice(req, customer)
        if self.operation == "invoice":
            self._cancel()
        return ref


def run_once(session_factory: sessionmaker[Session], provider: CancelledWhile, order_id: str):  # noqa: ANN201
    o = order(order_id=order_id)
    with session_factory() as s:
        job, _ = JobRepository(s).create_if_absent(
            sale_key("shop", o.order_id), store_id="shop", platform="shopify", order_id=o.order_id,
            order_name=o.order_name, provider="scripted", provider_account="acct",
            status=JobStatus.QUEUED.value, order_json=o.model_dump_json(),
        )
        s.commit()
    provider.job_id = job.id
    result = JobRunner(session_factory, lambda _s: runtime(provider, f"acct-{order_id}")).run(job.id)
    with session_factory() as s:
        return result, JobRepository(s).get(job.id), ettn_for(sale_key("shop", o.order_id))


def test_cancel_while_the_cari_is_made_stops_before_any_invoice(session_factory: sessionmaker[Session]) -> None:
    provider = CancelledWhile(session_factory, "customer")
    result, job, ettn = run_once(session_factory, provider, "c-1")
    assert provider.outcome == "stopping"  # a worker held it: it is told through the row
    assert result.status == job.status == JobStatus.CANCELLED.value
    assert provider.effects.invoices[ettn] == 0 and provider.effects.gib_sends[ettn] == 0
    assert "before the invoice was made" in (job.last_error_message or "")


def test_cancel_after_the_invoice_stops_before_gib_and_asks_for_the_draft_to_be_deleted(
    session_factory: sessionmaker[Session],
) -> None:
    provider = CancelledWhile(session_factory, "invoice")
    result, job, ettn = run_once(session_factory, provider, "c-2")
    assert provider.outcome == "stopping"
    assert provider.effects.invoices[ettn] == 1 and provider.effects.gib_sends[ettn] == 0
    assert (job.status, job.attention_category) == ("needs_attention", "cancelled_before_send")
    assert "nothing was sent to GİB" in (job.last_error_message or "")


def test_a_provider_whose_invoice_is_the_document_reports_it_issued(session_factory: sessionmaker[Session]) -> None:
    # No GİB step of ours (SinApp): the cancel came while the invoice was made, so it exists.
    provider = CancelledWhile(session_factory, "invoice",
                              capabilities=frozenset({Capability.CUSTOMER, Capability.INVOICE, Capability.FIND_INVOICE}))
    result, job, ettn = run_once(session_factory, provider, "c-3")
    assert provider.effects.invoices[ettn] == 1
    assert (job.status, job.attention_category) == ("needs_attention", "cancelled_after_send")
    assert "already issued" in (job.last_error_message or "")


@pytest.mark.parametrize("operation", ["never"])
def test_without_a_cancel_the_job_completes(session_factory: sessionmaker[Session], operation: str) -> None:
    provider = CancelledWhile(session_factory, operation)
    result, job, ettn = run_once(session_factory, provider, "c-4")
    assert job.status == JobStatus.COMPLETED.value and provider.effects.gib_sends[ettn] == 1
