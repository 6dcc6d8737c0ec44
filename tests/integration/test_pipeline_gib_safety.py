"""GİB send safety at the runner level, on SQLite and PostgreSQL: after an unknown outcome
the provider is asked first; if it cannot be asked, the job waits for an operator — a sent
e-invoice cannot be taken back, so a blind resend is never an option."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync_engine.domain.keys import ettn_for, sale_key
from sync_engine.pipeline.retry import RetryPolicy
from sync_engine.pipeline.runner import JobRunner
from sync_engine.providers.base import Capability
from sync_engine.store.repositories import JobRepository
from tests.support.orders import order, runtime
from tests.support.scripted_provider import FAIL_BEFORE, LOSE_RESPONSE, OK, ScriptedProvider

NO_PROBE = frozenset({Capability.CUSTOMER, Capability.INVOICE, Capability.FIND_INVOICE, Capability.E_DOCUMENT})


def _job(session_factory, order_id: str) -> int:  # noqa: ANN001
    o = order(order_id=order_id)
    with session_factory() as s:
        job, _ = JobRepository(s).create_if_absent(
            sale_key("shop", order_id), store_id="shop", platform="shopify", order_id=order_id,
            order_name=o.order_name, provider="scripted", provider_account="acct", status="queued",
            order_json=o.model_dump_json(),
        )
        s.commit()
        return job.id


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _runner(session_factory, provider: ScriptedProvider, clock: Clock, account: str) -> JobRunner:  # noqa: ANN001
    return JobRunner(session_factory, lambda _s: runtime(provider, account), clock=clock,
                     policy=RetryPolicy(base_s=1, cap_s=2, max_attempts=20), lease_ttl_s=60)


def test_lost_send_response_without_a_probe_waits_for_an_operator(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=NO_PROBE)
    clock = Clock()
    runner = _runner(session_factory, provider, clock, "acct-noprobe")
    job_id = _job(session_factory, "np-1")
    # customer, invoice ok; the GİB send happens but its answer is lost
    provider.script.extend([OK, OK, LOSE_RESPONSE])
    assert runner.run(job_id).status == "retrying"
    clock.now += timedelta(seconds=5)
    result = runner.run(job_id)
    with session_factory() as s:
        job = JobRepository(s).get(job_id)
    assert result.status == "needs_attention"
    assert job.attention_category == "gib_send_unconfirmed" and "not resending" in job.last_error_message
    assert provider.effects.gib_sends[ettn_for(sale_key("shop", "np-1"))] == 1
    # and an operator retry asks nothing it cannot ask: still no second send
    clock.now += timedelta(seconds=5)
    with session_factory() as s:
        JobRepository(s).set_fields(job_id, clock.now, status="queued", attention_category=None)
        s.commit()
    assert runner.run(job_id).status == "needs_attention"
    assert provider.effects.gib_sends[ettn_for(sale_key("shop", "np-1"))] == 1


def test_probe_failing_transiently_is_retried_and_never_replaced_by_a_send(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider()
    clock = Clock()
    runner = _runner(session_factory, provider, clock, "acct-probe")
    job_id = _job(session_factory, "pr-1")
    ettn = ettn_for(sale_key("shop", "pr-1"))
    provider.script.extend([OK, OK, LOSE_RESPONSE])  # sent, answer lost
    assert runner.run(job_id).status == "retrying"
    for _ in range(3):  # the provider cannot answer the probe for a while
        clock.now += timedelta(seconds=5)
        provider.script.extend([FAIL_BEFORE])
        assert runner.run(job_id).status == "retrying"
        assert provider.effects.gib_sends[ettn] == 1
    clock.now += timedelta(seconds=5)
    assert runner.run(job_id).status == "completed"
    assert provider.effects.gib_sends[ettn] == 1
    with session_factory() as s:
        job = JobRepository(s).get(job_id)
    assert job.gib_uuid == f"gib-{ettn}" and job.step_e_document == "done"
    # one send; then four probes (three failed, one answered "sent"); never a second send
    assert provider.operations.count("send") == 1 and provider.operations.count("probe") == 4


def test_provider_without_gib_step_skips_it_by_capability(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=frozenset({Capability.INVOICE, Capability.FIND_INVOICE}))
    runner = _runner(session_factory, provider, Clock(), "acct-skip")
    job_id = _job(session_factory, "sk-1")
    assert runner.run(job_id).status == "completed"
    with session_factory() as s:
        job = JobRepository(s).get(job_id)
    assert (job.step_customer, job.step_invoice, job.step_e_document, job.step_journal) == (
        "skipped", "done", "skipped", "skipped")
    assert not provider.effects.gib_sends and not provider.effects.cari
