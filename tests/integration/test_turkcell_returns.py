"""#12 at Turkcell e-Şirket over real HTTP against its simulator, after a sale made by the real
pipeline (real Redis, namespaced; real SQL, SQLite and PostgreSQL): the return (İADE) e-Arşiv
for what a refund gave back, sent and journaled with the sale's calls; the sale's journal
entry reversed once after its e-Arşiv is cancelled, an unknown outcome probed, never called
twice; an e-Fatura buyer's own İADE found in the incoming list.

The return and cancel jobs' steps are the pipeline's (another branch); here the adapter is
called as those steps call it, with the ``ReturnOf`` built from the sale job's row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import redis

from sync_engine.domain.invoice import invoice_date
from sync_engine.domain.keys import ettn_for, return_key, sale_key
from sync_engine.pipeline.context import build_request
from sync_engine.pipeline.retry import RetryPolicy
from sync_engine.pipeline.runner import JobRunner
from sync_engine.providers.base import DocumentType, InvoiceRef, ReturnOf
from sync_engine.providers.errors import TransientError
from sync_engine.providers.turkcell import TurkcellEsirketProvider
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.sandbox.turkcell import TurkcellSimulator
from sync_engine.store.repositories import JobRepository
from sync_engine.domain import Address, Buyer, BuyerKind
from tests.support.orders import SETTINGS, order, runtime
from tests.support.providers import redis_client, redis_namespace, sandbox, sandbox_server, sim  # noqa: F401

pytestmark = pytest.mark.redis

SIMULATOR = TurkcellSimulator
P = "turkcell"
EFATURA_VKN = "1234567890"  # seeded in the sandbox's GİB directory
COMPANY = Buyer(kind=BuyerKind.COMPANY, tax_id=EFATURA_VKN, company_name="Örnek Teknoloji A.Ş.", tax_office="Kozyatağı",
                address=Address(line1="Atatürk Cd. 5", district="Ataşehir", city="İstanbul"))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def provider(
    sandbox_server: SandboxServer, redis_client: redis.Redis, redis_namespace: str, sandbox: Sandbox
) -> Iterator[TurkcellEsirketProvider]:
    p = TurkcellEsirketProvider(
        base_url=f"{sandbox_server.url}/turkcell", efatura_base_url=f"{sandbox_server.url}/turkcell/efatura",
        token_url=f"{sandbox_server.url}/turkcell/v1/token", username="demo", password="demo-password",
        pool_account_code="120.01", redis_client=redis_client, timeout_s=5.0, namespace=redis_namespace,
        account_key=f"{redis_namespace}account",
    )
    yield p
    p.close()


def _sold(session_factory, provider, sandbox: Sandbox, order_id: str, **kw):  # noqa: ANN001, ANN003, ANN202
    """The sale through the pipeline until completed (sent, GİB 60, journaled); its job row."""
    o = order(order_id=order_id, **kw)
    with session_factory() as s:
        job, _ = JobRepository(s).create_if_absent(
            sale_key("shop", order_id), store_id="shop", platform="shopify", order_id=order_id,
            order_name=o.order_name, provider="turkcell_esirket", provider_account="acct", status="queued",
            order_json=o.model_dump_json(),
        )
        s.commit()
        job_id = job.id
    clock = Clock()
    runner = JobRunner(session_factory, lambda _s: runtime(provider, "tc-acct"), clock=clock,
                       policy=RetryPolicy(base_s=1, cap_s=60, max_attempts=20), lease_ttl_s=60)
    for _ in range(5):
        result = runner.run(job_id)
        if result.status == "completed":
            break
        sandbox.state.clock.advance(sandbox.state.status_step_s)
        clock.now += timedelta(seconds=result.retry_in or 1)
    assert result.status == "completed"
    sandbox.state.clock.advance(sandbox.state.status_step_s)  # GİB: 60
    with session_factory() as s:
        return o, JobRepository(s).get(job_id)


def _original(job, o) -> ReturnOf:  # noqa: ANN001
    """What the return step builds from the sale job's row."""
    return ReturnOf(invoice_id=job.invoice_id, invoice_number=job.invoice_number, issue_date=invoice_date(o.created_at),
                    ettn=job.ettn, document_type=DocumentType(job.document_type or "e_arsiv"))


def _return_request(o, job, refund_id: str):  # noqa: ANN001, ANN202
    """The return job's request: one of the two T-shirts given back (149.90, no discount)."""
    refunded = o.lines[0].model_copy(update={"quantity": Decimal(1)})
    returned = o.model_copy(update={"lines": (refunded,), "order_name": f"{o.order_name} İADE",
                                    "paid_total": refunded.unit_price})
    return build_request(return_key("shop", o.order_id, refund_id), returned, SETTINGS, job.document_type, job.document_alias)


def test_sale_send_return_send_journal_shows_one_return(session_factory, provider, sandbox: Sandbox, sim: TurkcellSimulator) -> None:  # noqa: ANN001
    o, sale = _sold(session_factory, provider, sandbox, "tc-ret-1")
    req = _return_request(o, sale, "9001")
    original = _original(sale, o)
    ref = provider.create_return_invoice(req, original, None)
    assert ref.total == req.order.paid_total == Decimal("149.90")
    assert provider.find_invoice(req) is not None
    sent = provider.send_e_document(req, ref)
    assert sent.invoice_number == "DMS2026000000002"
    sandbox.state.clock.advance(sandbox.state.status_step_s)
    assert provider.e_document_state(req, ref).raw_status == "50"
    assert provider.journal_reference(req, ref) is None
    provider.journal(req, ref)
    assert provider.journal_reference(req, ref) is not None
    ret_ettn = ettn_for(return_key("shop", "tc-ret-1", "9001"))
    assert sandbox.ledger.count(P, "return_invoice_created") == 1 == sandbox.ledger.count(P, "return_invoice_created", ret_ettn)
    [gib] = [e for e in sandbox.ledger.effects(P, "gib_send") if e.key == ret_ettn]
    assert gib.detail["invoice_type"] == "IADE" and gib.detail["payable"] == "149.90"
    body = sim.invoices.invoices[ret_ettn].sent_body
    assert body["generalInfoModel"]["returnInvoiceNumber"] == sale.invoice_number == "DMS2026000000001"
    assert sandbox.ledger.count(P, "journal", ret_ettn) == 1 and sandbox.ledger.count(P, "journal_reversed") == 0
    assert sandbox.state.violations.list() == []


def test_cancel_then_reverse_once_with_the_probe(session_factory, provider, sandbox: Sandbox, sim: TurkcellSimulator) -> None:  # noqa: ANN001
    o, sale = _sold(session_factory, provider, sandbox, "tc-rev-1")
    req = build_request(sale.idempotency_key, o, SETTINGS, sale.document_type, sale.document_alias)
    invoice = InvoiceRef(invoice_id=sale.invoice_id, ettn=sale.ettn, invoice_number=sale.invoice_number)
    provider.cancel_e_archive(req, invoice)
    # the reversal step: intent, call (its answer lost), probe, no second call
    sandbox.state.faults.add(FaultRule(P, "invoice_reverse", FaultMode.AFTER_504, times=1))
    assert provider.journal_reference(req, invoice) is not None
    with pytest.raises(TransientError):
        provider.reverse_journal(req, invoice)
    if provider.journal_reference(req, invoice) is not None:  # as the step decides
        provider.reverse_journal(req, invoice)
    assert sim.hits["invoice_reverse"] == 1
    assert sandbox.ledger.count(P, "cancel", sale.ettn) == 1 and sandbox.ledger.count(P, "journal_reversed", sale.ettn) == 1
    assert sandbox.state.violations.list() == []


def test_the_buyers_iade_of_an_e_fatura_is_found(session_factory, provider, sandbox: Sandbox, sim: TurkcellSimulator) -> None:  # noqa: ANN001
    o, sale = _sold(session_factory, provider, sandbox, "tc-buyer-1", buyer=COMPANY)
    assert sale.document_type == "e_fatura"
    req = _return_request(o, sale, "9001")
    original = _original(sale, o)
    assert provider.find_buyer_return(req, original) is None  # waits: nothing arrived
    net = (Decimal("149.90") / Decimal("1.2")).quantize(Decimal("0.01"))
    placed = sim.place_incoming({
        "sender": {"identifier": EFATURA_VKN, "name": "Örnek Teknoloji A.Ş."}, "invoiceNumber": "ORN2026000000042",
        "issueDate": "2026-11-25T00:00:00Z", "type": 2, "returnInvoiceNumber": sale.invoice_number,
        "returnInvoiceDate": "2026-11-20T00:00:00Z",
        "invoiceLines": [{"inventoryCard": "Tişört", "amount": 1, "unitCode": "C62", "unitPrice": net,
                          "lineExtensionAmount": net, "vatRate": 20, "vatAmount": Decimal("149.90") - net}],
    })
    found = provider.find_buyer_return(req, original)
    assert found is not None and found.ettn == placed["generalInfoModel"]["ettn"]
    assert (found.invoice_number, found.total) == ("ORN2026000000042", Decimal("149.90"))
    assert sandbox.ledger.count(P, "return_invoice_created") == 0  # nothing of ours
    assert sandbox.state.violations.list() == []
