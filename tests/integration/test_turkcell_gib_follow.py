"""The pipeline against the Turkcell e-Şirket simulator over real HTTP: after the send the
document's status is followed until GİB's final answer; a rejection (80) or an error (40)
stops the job for an operator with GİB's own words, and the journal waits for the final
answer. Real Redis (namespaced), real SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis

from sync_engine.domain.keys import ettn_for, sale_key
from sync_engine.pipeline.retry import RetryPolicy
from sync_engine.pipeline.runner import JobRunner
from sync_engine.providers.turkcell import TurkcellEsirketProvider
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.turkcell import TurkcellSimulator
from sync_engine.store.repositories import JobRepository
from sync_engine.domain import Address
from tests.support.orders import PERSON, order, runtime
from tests.support.providers import redis_client, redis_namespace, sandbox, sandbox_server, sim  # noqa: F401

pytestmark = pytest.mark.redis

SIMULATOR = TurkcellSimulator
P = "turkcell"


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


def _job(session_factory, order_id: str, **kw) -> int:  # noqa: ANN001, ANN003
    o = order(order_id=order_id, **kw)
    with session_factory() as s:
        job, _ = JobRepository(s).create_if_absent(
            sale_key("shop", order_id), store_id="shop", platform="shopify", order_id=order_id,
            order_name=o.order_name, provider="turkcell_esirket", provider_account="acct", status="queued",
            order_json=o.model_dump_json(),
        )
        s.commit()
        return job.id


def _runner(session_factory, provider, clock) -> JobRunner:  # noqa: ANN001
    return JobRunner(session_factory, lambda _s: runtime(provider, "tc-acct"), clock=clock,
                     policy=RetryPolicy(base_s=1, cap_s=60, max_attempts=20), lease_ttl_s=60)


def _get(session_factory, job_id: int):  # noqa: ANN001, ANN202
    with session_factory() as s:
        return JobRepository(s).get(job_id)


def test_the_send_is_followed_to_gibs_answer_then_journaled(session_factory, provider, sandbox: Sandbox) -> None:  # noqa: ANN001
    clock = Clock()
    runner = _runner(session_factory, provider, clock)
    job_id = _job(session_factory, "tc-1")
    first = runner.run(job_id)
    job = _get(session_factory, job_id)
    assert first.status == "retrying" and job.last_error_class == "AwaitingGib"
    assert (job.step_e_document, job.e_document_status, job.step_journal) == ("in_progress", "20", "pending")
    assert sandbox.ledger.count(P, "journal") == 0, "the journal waits for GİB's final answer"
    sandbox.state.clock.advance(sandbox.state.status_step_s)  # GİB: 50
    clock.now += timedelta(seconds=first.retry_in or 0)
    assert runner.run(job_id).status == "completed"
    job = _get(session_factory, job_id)
    assert (job.step_e_document, job.e_document_status) == ("done", "50")
    assert job.invoice_number == "DMS2026000000001"
    ettn = ettn_for(sale_key("shop", "tc-1"))
    assert sandbox.ledger.count(P, "gib_send", ettn) == 1 and sandbox.ledger.count(P, "journal", ettn) == 1
    assert sandbox.state.violations.list() == []


@pytest.mark.parametrize(("code", "words"), [(80, "Alıcı faturayı reddetti: tutar hatalı"), (40, "Şematron hatası: 1150")])
def test_a_rejection_or_error_goes_to_an_operator_with_gibs_words(
    session_factory, provider, sandbox: Sandbox, sim: TurkcellSimulator, code: int, words: str  # noqa: ANN001
) -> None:
    clock = Clock()
    runner = _runner(session_factory, provider, clock)
    job_id = _job(session_factory, f"tc-{code}")
    first = runner.run(job_id)
    assert first.status == "retrying"
    ettn = ettn_for(sale_key("shop", f"tc-{code}"))
    sim.force_status(ettn, code, words)
    clock.now += timedelta(seconds=first.retry_in or 0)
    assert runner.run(job_id).status == "needs_attention"
    job = _get(session_factory, job_id)
    assert job.attention_category == "gib_send_failed"
    assert job.e_document_message == words and str(code) in job.last_error_message
    assert job.step_journal == "pending"
    assert sandbox.ledger.count(P, "gib_send", ettn) == 1 and sandbox.ledger.count(P, "journal") == 0


def test_an_unknown_status_is_never_read_as_sent(session_factory, provider, sandbox: Sandbox, sim: TurkcellSimulator) -> None:  # noqa: ANN001
    clock = Clock()
    runner = _runner(session_factory, provider, clock)
    job_id = _job(session_factory, "tc-unknown")
    first = runner.run(job_id)
    ettn = ettn_for(sale_key("shop", "tc-unknown"))
    sim.force_status(ettn, 45)
    clock.now += timedelta(seconds=first.retry_in or 0)
    assert runner.run(job_id).status == "needs_attention"
    job = _get(session_factory, job_id)
    assert "unknown e-Fatura status 45" in job.last_error_message
    assert job.step_journal == "pending"
    assert sandbox.ledger.count(P, "gib_send", ettn) == 1 and sandbox.ledger.count(P, "journal") == 0


def test_a_returning_buyer_who_moved_gets_the_cari_updated_before_the_invoice(
    session_factory, provider, sandbox: Sandbox, sim: TurkcellSimulator  # noqa: ANN001
) -> None:
    clock = Clock()
    runner = _runner(session_factory, provider, clock)
    first = _job(session_factory, "tc-r1")
    runner.run(first)
    moved = PERSON.model_copy(update={
        "phone": "5559998877", "address": Address(line1="Bağdat Cd. 200", district="Maltepe", city="İstanbul"),
    })
    second = _job(session_factory, "tc-r2", buyer=moved)
    runner.run(second)
    [cari] = sim.caris.caris.values()
    [address] = cari.addresses
    assert (address["streetName"], address["subDivisionName"], address["phoneNumber"]) == (
        "Bağdat Cd. 200", "Maltepe", "5559998877")
    assert sandbox.ledger.count(P, "cari_created") == 1 and sandbox.ledger.count(P, "address_updated") == 1
    ettn = ettn_for(sale_key("shop", "tc-r2"))
    body = sim.invoices.invoices[ettn].sent_body
    assert body is not None and body["addressBook"]["receiverStreet"] == "Bağdat Cd. 200"
    assert sandbox.state.violations.list() == []
