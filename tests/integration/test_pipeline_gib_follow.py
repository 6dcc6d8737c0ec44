"""After the GİB send the document is followed until GİB's final answer; the provider's own
total is checked before the send; a returning buyer's cari is brought up to date; the route's
source is recorded. On SQLite and PostgreSQL, with a scripted provider and a test clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sync_engine.domain import Address, Buyer, BuyerKind
from sync_engine.domain.keys import ettn_for, proforma_key, sale_key
from sync_engine.pipeline.retry import RetryPolicy
from sync_engine.pipeline.runner import JobRunner
from sync_engine.providers.base import Capability, EDocumentState, SendState
from sync_engine.providers.errors import OrderDataError
from sync_engine.store.repositories import JobRepository
from tests.support.orders import PERSON, order, runtime
from tests.support.scripted_provider import FAIL_BEFORE, LOSE_RESPONSE, OK, ScriptedProvider

QUEUED = EDocumentState(SendState.IN_PROGRESS, raw_status="20")
AT_GIB = EDocumentState(SendState.SENT, gib_uuid="gib-1", invoice_number="DMS2026000000007", raw_status="50")
REJECTED = EDocumentState(SendState.FAILED, raw_status="80", message="Alıcı faturayı reddetti: tutar hatalı")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _job(session_factory, order_id: str, **kw) -> int:  # noqa: ANN001, ANN003
    o = order(order_id=order_id, **kw)
    with session_factory() as s:
        job, _ = JobRepository(s).create_if_absent(
            sale_key("shop", order_id), store_id="shop", platform="shopify", order_id=order_id,
            order_name=o.order_name, provider="scripted", provider_account="acct", status="queued",
            order_json=o.model_dump_json(),
        )
        s.commit()
        return job.id


def _runner(session_factory, provider, clock, account, **kw) -> JobRunner:  # noqa: ANN001, ANN003
    policy = RetryPolicy(base_s=1, cap_s=60, max_attempts=kw.pop("max_attempts", 20))
    return JobRunner(session_factory, lambda _s: runtime(provider, account), clock=clock,
                     policy=policy, lease_ttl_s=60, **kw)


def _get(session_factory, job_id: int):  # noqa: ANN001, ANN202
    with session_factory() as s:
        return JobRepository(s).get(job_id)


def test_a_queued_send_is_polled_until_gib_answers_then_journaled(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider()
    provider.gib_answers.extend([QUEUED, QUEUED, AT_GIB])
    clock = Clock()
    runner = _runner(session_factory, provider, clock, "acct-follow")
    job_id = _job(session_factory, "f-1")
    ettn = ettn_for(sale_key("shop", "f-1"))

    first = runner.run(job_id)
    job = _get(session_factory, job_id)
    assert first.status == "retrying" and job.last_error_class == "AwaitingGib"
    assert job.step_e_document == "in_progress" and job.e_document_status == "20"
    assert job.step_journal == "pending", "the journal waits for GİB's final answer"
    assert job.e_document_sent_at == clock.now
    assert provider.effects.journals[ettn] == 0

    clock.now += timedelta(seconds=first.retry_in or 0)
    assert runner.run(job_id).status == "retrying"  # still queued: looked at, not resent
    clock.now += timedelta(seconds=10)
    assert runner.run(job_id).status == "completed"
    job = _get(session_factory, job_id)
    assert job.step_e_document == "done" and job.e_document_status == "50"
    assert job.invoice_number == "DMS2026000000007" and job.gib_uuid == "gib-1"
    assert provider.effects.gib_sends[ettn] == 1
    assert provider.effects.journals[ettn] == 1
    assert provider.operations.count("send") == 1 and provider.operations.count("probe") == 2


def test_polling_backs_off_and_uses_no_retry_budget(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider()
    provider.gib_answers.extend([QUEUED])  # GİB stays silent
    clock = Clock()
    runner = _runner(session_factory, provider, clock, "acct-backoff", max_attempts=3)
    job_id = _job(session_factory, "f-2")
    delays = []
    for _ in range(8):  # more runs than the retry budget: waiting is not failing
        result = runner.run(job_id)
        assert result.status == "retrying"
        delays.append(result.retry_in)
        clock.now += timedelta(seconds=result.retry_in or 0)
    assert delays == sorted(delays) and delays[-1] > delays[0], delays
    assert max(delays) <= 60
    # a transient failure now still has its budget: it retries rather than giving up
    provider.script.extend([FAIL_BEFORE])
    assert runner.run(job_id).status == "retrying"
    assert _get(session_factory, job_id).last_error_class == "TransientError"
    assert provider.effects.gib_sends[ettn_for(sale_key("shop", "f-2"))] == 1


def test_a_later_rejection_goes_to_an_operator_with_gibs_words(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider()
    provider.gib_answers.extend([QUEUED, REJECTED])
    clock = Clock()
    runner = _runner(session_factory, provider, clock, "acct-reject")
    job_id = _job(session_factory, "f-3")
    assert runner.run(job_id).status == "retrying"
    clock.now += timedelta(seconds=5)
    assert runner.run(job_id).status == "needs_attention"
    job = _get(session_factory, job_id)
    assert job.attention_category == "gib_send_failed"
    assert "Alıcı faturayı reddetti: tutar hatalı" in job.last_error_message and "80" in job.last_error_message
    assert job.e_document_message == "Alıcı faturayı reddetti: tutar hatalı"
    assert job.step_journal == "pending"
    # an operator retry asks again; it never sends the rejected document a second time
    with session_factory() as s:
        JobRepository(s).set_fields(job_id, clock.now, status="queued", attention_category=None)
        s.commit()
    assert runner.run(job_id).status == "needs_attention"
    assert provider.effects.gib_sends[ettn_for(sale_key("shop", "f-3"))] == 1


def test_no_final_answer_within_the_wait_goes_to_an_operator(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider()
    provider.gib_answers.extend([QUEUED])
    clock = Clock()
    runner = _runner(session_factory, provider, clock, "acct-silent", gib_answer_wait_s=3600)
    job_id = _job(session_factory, "f-4")
    assert runner.run(job_id).status == "retrying"
    clock.now += timedelta(hours=2)
    assert runner.run(job_id).status == "needs_attention"
    job = _get(session_factory, job_id)
    assert job.attention_category == "gib_no_answer" and "not resending" in job.last_error_message
    assert provider.effects.gib_sends[ettn_for(sale_key("shop", "f-4"))] == 1


def test_a_provider_total_off_by_a_kurus_stops_before_the_send(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider()
    clock = Clock()
    runner = _runner(session_factory, provider, clock, "acct-total")
    job_id = _job(session_factory, "t-1")
    ettn = ettn_for(sale_key("shop", "t-1"))
    paid_total = order(order_id="t-1").paid_total
    provider.invoice_total = paid_total - Decimal("0.01")
    assert runner.run(job_id).status == "needs_attention"
    job = _get(session_factory, job_id)
    assert job.attention_category == "total_mismatch"
    assert str(paid_total) in job.last_error_message and str(paid_total - Decimal("0.01")) in job.last_error_message
    assert job.provider_total == paid_total - Decimal("0.01")
    assert provider.effects.gib_sends[ettn] == 0 and provider.effects.journals[ettn] == 0
    # the operator corrects the draft at the provider and retries: the total is read again
    provider.invoice_total = paid_total
    with session_factory() as s:
        JobRepository(s).set_fields(job_id, clock.now, status="queued", attention_category=None)
        s.commit()
    assert runner.run(job_id).status == "completed"
    assert _get(session_factory, job_id).provider_total == paid_total
    assert provider.effects.gib_sends[ettn] == 1


def test_a_returning_buyer_with_a_new_address_gets_the_cari_updated_first(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider()
    clock = Clock()
    runner = _runner(session_factory, provider, clock, "acct-moved")
    assert runner.run(_job(session_factory, "b-1")).status == "completed"
    assert runner.run(_job(session_factory, "b-2")).status == "completed"
    assert provider.updates == [], "the same details: no update call"
    moved = PERSON.model_copy(update={"address": Address(line1="Yeni Sokak 5", district="Kadıköy", city="İstanbul")})
    before = len(provider.operations)
    assert runner.run(_job(session_factory, "b-3", buyer=moved)).status == "completed"
    assert provider.operations[before:before + 2] == ["customer", "invoice"], "updated before the invoice"
    assert len(provider.updates) == 1
    customer_id, sent = provider.updates[0]
    assert customer_id == f"C-{PERSON.tax_id}:{PERSON.distinguishing_code or ''}"
    assert sent.buyer.address.line1 == "Yeni Sokak 5"
    # the new details are now the mapped ones: the next order of the moved buyer updates nothing
    assert runner.run(_job(session_factory, "b-4", buyer=moved)).status == "completed"
    assert len(provider.updates) == 1
    assert sum(provider.effects.cari.values()) == 1


def test_the_route_source_is_recorded_on_the_job(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider()
    runner = _runner(session_factory, provider, Clock(), "acct-route")
    job_id = _job(session_factory, "r-1")
    assert runner.run(job_id).status == "completed"
    job = _get(session_factory, job_id)
    # the scripted provider has no GİB directory: the provider decides at send time
    assert job.route_source == "provider" and job.document_type is None
    registered = Buyer(kind=BuyerKind.COMPANY, tax_id="4540536920", company_name="Alıcı A.Ş.",
                       tax_office="Kadıköy", efatura_registered=True, efatura_alias="urn:mail:defaultpk@alici.com")
    job_id = _job(session_factory, "r-2", buyer=registered)
    assert runner.run(job_id).status == "completed"
    job = _get(session_factory, job_id)
    assert (job.route_source, job.document_type, job.document_alias) == (
        "shop_flag", "e_fatura", "urn:mail:defaultpk@alici.com")


def test_an_order_the_contract_cannot_carry_stops_with_the_field_named(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider()

    def refuse(req, customer):  # noqa: ANN001, ANN202
        raise OrderDataError("scripted", "addressBook.receiverStreet", "612 characters, the provider's limit is 200")

    provider.create_invoice = refuse  # type: ignore[method-assign]
    runner = _runner(session_factory, provider, Clock(), "acct-long")
    job_id = _job(session_factory, "d-1")
    assert runner.run(job_id).status == "needs_attention"
    job = _get(session_factory, job_id)
    assert job.attention_category == "invalid_order"
    assert "addressBook.receiverStreet" in job.last_error_message and "612" in job.last_error_message
    assert sum(provider.effects.invoices.values()) == 0 and sum(provider.effects.gib_sends.values()) == 0


WITH_PROFORMA = ScriptedProvider.capabilities | {Capability.PROFORMA}


def _proforma_job(session_factory, order_id: str) -> int:  # noqa: ANN001
    o = order(order_id=order_id)
    with session_factory() as s:
        job, _ = JobRepository(s).create_if_absent(
            proforma_key("shop", order_id), store_id="shop", platform="shopify", order_id=order_id,
            order_name=o.order_name, kind="proforma", provider="scripted", provider_account="acct",
            status="queued", order_json=o.model_dump_json(),
        )
        s.commit()
        return job.id


def test_a_proforma_job_makes_one_proforma_and_nothing_at_gib(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=WITH_PROFORMA)
    provider.invoice_total = order(order_id="p-1").paid_total
    clock = Clock()
    runner = _runner(session_factory, provider, clock, "acct-proforma")
    job_id = _proforma_job(session_factory, "p-1")
    provider.script.extend([OK, LOSE_RESPONSE])  # the cari, then the proforma's answer is lost
    assert runner.run(job_id).status == "retrying"
    clock.now += timedelta(seconds=5)
    assert runner.run(job_id).status == "completed"
    job = _get(session_factory, job_id)
    assert (job.step_customer, job.step_invoice, job.step_e_document, job.step_journal) == (
        "done", "done", "skipped", "skipped")
    assert job.invoice_id == f"P-{proforma_key('shop', 'p-1')}" and job.provider_total == provider.invoice_total
    assert provider.effects.proformas[proforma_key("shop", "p-1")] == 1, "found, not made twice"
    assert sum(provider.effects.invoices.values()) == 0 and sum(provider.effects.gib_sends.values()) == 0


def test_a_proforma_total_the_provider_got_wrong_stops_the_job(session_factory) -> None:  # noqa: ANN001
    provider = ScriptedProvider(capabilities=WITH_PROFORMA)
    provider.invoice_total = order(order_id="p-2").paid_total + Decimal("0.01")
    runner = _runner(session_factory, provider, Clock(), "acct-proforma-total")
    job_id = _proforma_job(session_factory, "p-2")
    assert runner.run(job_id).status == "needs_attention"
    assert _get(session_factory, job_id).attention_category == "total_mismatch"
