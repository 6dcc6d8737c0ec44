"""The FaturaEntegratör adapter against its simulator over real HTTP on loopback, with the
rate budget in the real Redis (db 15, only this test's own keys are touched)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import redis
from pydantic import SecretStr

from sync_engine.providers.faturaentegrator.config import FaturaEntegratorConfig
from sync_engine.domain import ANONYMOUS_TCKN, Address, Buyer, BuyerKind, InvoiceLine, Order
from sync_engine.providers.base import Capability, CustomerRef, InvoiceRef, InvoiceRequest, ReturnOf, SendState
from sync_engine.providers.errors import (
    AuthError,
    OrderDataError,
    PermanentError,
    TransientError,
    UnsupportedCapability,
)
from sync_engine.providers.faturaentegrator import FaturaEntegratorProvider
from sync_engine.providers.http import CallRecord, dumps, observe_calls
from sync_engine.providers.ratelimit import RedisTokenBucket
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.contract import Refusal, refusals
from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.sandbox.faturaentegrator import DEFAULT_API_KEY, NAME, FaturaEntegratorSimulator
from sync_engine.sandbox.faturaentegrator.contract import CONTRACTS, example
from sync_engine.sandbox.faturaentegrator.simulator import ISTANBUL
from tests.support.orders import PERSON, SETTINGS, order
from tests.support.providers import assert_no_violations, sale_request
from tests.support.providers import redis_client, redis_namespace, sandbox, sandbox_server  # noqa: F401
from tests.support.returns import refunded, return_request

pytestmark = pytest.mark.redis

SIMULATOR = FaturaEntegratorSimulator  # the one the sandbox fixtures serve
COMPANY = Buyer(
    kind=BuyerKind.COMPANY, tax_id="1234567890", company_name="Örnek Teknoloji A.Ş.",
    tax_office="Pamukkale", email="muhasebe@ornek.com.tr",
    address=Address(line1="Uydukent Sitesi No: 5", district="Pamukkale", city="Denizli"),
)


def anonymous(email: str = "", first: str = "Zeynep", last: str = "Kaya") -> Buyer:
    return Buyer(
        kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN, first_name=first, last_name=last, email=email,
        address=Address(line1="Atatürk Cad. 3", district="Konak", city="İzmir"),
    )


@pytest.fixture
def make_provider(
    sandbox_server: SandboxServer, sandbox: Sandbox, redis_client: redis.Redis, redis_namespace: str
) -> Iterator[Callable[..., FaturaEntegratorProvider]]:
    made: list[FaturaEntegratorProvider] = []

    def make(**kw: Any) -> FaturaEntegratorProvider:
        # An account (so a rate budget) of its own per provider made.
        budget = RedisTokenBucket(redis_client, f"{redis_namespace}{uuid.uuid4().hex[:12]}", 1000.0)
        args: dict[str, Any] = dict(
            base_url=f"{sandbox_server.url}/faturaentegrator", api_key=DEFAULT_API_KEY, sale_channel_id=1,
            invoice_integration_id=1, timeout_s=5.0, budget=budget,
        )
        args.update(kw)
        provider = FaturaEntegratorProvider(**args)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.close()


@pytest.fixture
def provider(make_provider: Callable[..., FaturaEntegratorProvider]) -> FaturaEntegratorProvider:
    return make_provider()


def today(sandbox: Sandbox) -> date:
    return sandbox.state.clock.now().astimezone(ISTANBUL).date()


def request(o: Order, issue: date) -> InvoiceRequest:
    return sale_request(o, SETTINGS, issue)


def invoiced(provider: FaturaEntegratorProvider, sandbox: Sandbox, o: Order | None = None):  # noqa: ANN201
    o = o or order()
    req = request(o, today(sandbox))
    customer = provider.upsert_customer(o)
    return req, provider.create_invoice(req, customer)


# -- declared surface ----------------------------------------------------------------------------


def test_capabilities_are_what_the_api_offers(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    assert provider.name == "faturaentegrator"
    assert provider.capabilities == {
        Capability.CUSTOMER, Capability.INVOICE, Capability.E_DOCUMENT, Capability.E_DOCUMENT_STATE,
        Capability.FIND_INVOICE, Capability.LIST_INVOICES, Capability.RETURN_INVOICE,
        Capability.WITHDRAW_DRAFT,
    }
    req = request(order(), today(sandbox))
    with pytest.raises(UnsupportedCapability):
        provider.journal(req, None)  # type: ignore[arg-type]


def test_from_config(
    sandbox_server: SandboxServer, sandbox: Sandbox, redis_client: redis.Redis, request: pytest.FixtureRequest
) -> None:
    cfg = FaturaEntegratorConfig(
        name="faturaentegrator", base_url=f"{sandbox_server.url}/faturaentegrator",
        api_key=SecretStr(DEFAULT_API_KEY), sale_channel_id="1", invoice_integration_id=1,
        timeout_s=3, max_requests_per_s=50,
    )
    provider = FaturaEntegratorProvider.from_config(cfg, redis=redis_client)
    assert isinstance(provider.http.budget, RedisTokenBucket)
    # The config's account key is not under a test namespace: delete its budget by name.
    request.addfinalizer(lambda: redis_client.delete(provider.http.budget.key))  # type: ignore[union-attr]
    try:
        ref = provider.upsert_customer(order())
        _, inv = invoiced(provider, sandbox)
    finally:
        provider.close()
    assert ref.customer_id == "1" and inv.invoice_id == "1"
    assert redis_client.exists(provider.http.budget.key)
    assert_no_violations(sandbox)


# -- customers -----------------------------------------------------------------------------------


def test_upsert_customer_twice_creates_one(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    first = provider.upsert_customer(order())
    second = provider.upsert_customer(order(order_id="1002"))
    assert first == second == CustomerRef("1")
    assert sandbox.ledger.count(NAME, "cari_created", PERSON.tax_id) == 1
    company = provider.upsert_customer(order(buyer=COMPANY))
    assert company.customer_id == "2" and provider.upsert_customer(order(buyer=COMPANY)) == company
    assert sandbox.ledger.count(NAME, "cari_created") == 2
    assert_no_violations(sandbox)


def test_anonymous_consumers_get_one_customer_each(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    a = provider.upsert_customer(order(buyer=anonymous("zeynep@example.com")))
    b = provider.upsert_customer(order(buyer=anonymous("mehmet@example.com", "Mehmet", "Öz")))
    c = provider.upsert_customer(order(buyer=anonymous("", "Can", "Ak")))
    assert len({a.customer_id, b.customer_id, c.customer_id}) == 3
    assert provider.upsert_customer(order(buyer=anonymous("ZEYNEP@example.com"))) == a
    assert provider.upsert_customer(order(buyer=anonymous("", "Can", "Ak"))) == c
    assert sandbox.ledger.count(NAME, "cari_created", ANONYMOUS_TCKN) == 3
    assert_no_violations(sandbox)


def test_customer_search_pages_through_every_match(
    make_provider: Callable[..., FaturaEntegratorProvider], sandbox: Sandbox
) -> None:
    provider = make_provider(page_size=2)
    # Three other anonymous buyers named the same but with other addresses fill page one
    # and two; ours is only found on page two.
    for city in ("Ankara", "Bursa", "Konya"):
        buyer = anonymous("", "Can", "Ak").model_copy(update={"address": Address(line1="X", city=city)})
        provider.upsert_customer(order(buyer=buyer))
    ours = provider.upsert_customer(order(buyer=anonymous("", "Can", "Ak")))
    assert ours.customer_id == "4"
    assert provider.upsert_customer(order(buyer=anonymous("", "Can", "Ak"))) == ours
    assert sandbox.ledger.count(NAME, "cari_created") == 4
    assert_no_violations(sandbox)


# -- invoices ------------------------------------------------------------------------------------


def test_create_invoice_is_idempotent_and_totals_match(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    req = request(order(), today(sandbox))
    assert provider.find_invoice(req) is None
    customer = provider.upsert_customer(req.order)
    first = provider.create_invoice(req, customer)
    second = provider.create_invoice(req, customer)
    assert first == second and first.invoice_id == "1" and first.ettn is None
    assert provider.find_invoice(req) == first
    assert sandbox.ledger.count(NAME, "invoice_created") == 1
    (remote,) = list(provider.list_invoices(req.issue_date, req.issue_date))
    assert remote.total == req.order.paid_total - provider.rounding_difference(req) == Decimal("409.79")
    assert (remote.order_ref, remote.sent) == (req.idempotency_key, False)
    assert_no_violations(sandbox)


def test_unreachable_gross_reads_back_fe_s_own_total(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    # One piece at 20 % paid 12.03: no net reaches it under FE's per-line VAT (10.02 → 12.02,
    # 10.03 → 12.04) and one piece cannot be split. The adapter says so, and the total it
    # reads back is FE's own, which the pipeline compares with the paid 12.03 before GİB.
    lines = (InvoiceLine(name="Kalem", quantity=Decimal(1), unit_price=Decimal("12.03"), vat_rate=Decimal(20)),)
    req, inv = invoiced(provider, sandbox, order(lines=lines))
    assert provider.rounding_difference(req) == Decimal("0.01")
    assert inv.total == Decimal("12.02") != req.order.paid_total
    (remote,) = list(provider.list_invoices(req.issue_date, req.issue_date))
    assert remote.total == Decimal("12.02")


def test_the_issue_s_order_lands_on_the_kurus(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    # Issue #10: 33.33 × 3 at 20 % paid 99.99 came out at 99.98. No single net reaches 99.99
    # (83.32 → 99.98, 83.33 → 100.00): the line goes as 2 + 1 pieces and lands exactly.
    lines = (InvoiceLine(name="Kupa", quantity=Decimal(3), unit_price=Decimal("33.33"), vat_rate=Decimal(20)),)
    req, inv = invoiced(provider, sandbox, order(lines=lines))
    assert inv.total == Decimal("99.99") == req.order.paid_total
    assert provider.rounding_difference(req) == 0
    (_, body), = [r for r in sandbox[NAME].received if r[0] == "POST /api/invoices"]
    assert [(line["quantity"], line["name"]) for line in body["lines"]] == [(2, "Kupa"), (1, "Kupa")]
    assert_no_violations(sandbox)


def test_create_invoice_needs_a_customer(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    with pytest.raises(PermanentError):
        provider.create_invoice(request(order(), today(sandbox)), None)


def test_validation_refusal_is_permanent_with_the_providers_message(
    make_provider: Callable[..., FaturaEntegratorProvider], sandbox: Sandbox
) -> None:
    provider = make_provider(invoice_integration_id=99)
    with pytest.raises(PermanentError) as exc:
        invoiced(provider, sandbox)
    assert exc.value.status == 422
    assert "invoice_integration_id: The selected invoice integration id is invalid." in exc.value.message
    assert sandbox.ledger.count(NAME, "invoice_created") == 0


def test_list_invoices_pages_through_a_date_window(
    make_provider: Callable[..., FaturaEntegratorProvider], sandbox: Sandbox
) -> None:
    provider = make_provider(page_size=2)
    days = [date(2026, 3, d) for d in (1, 2, 2, 3, 9)]
    for i, day in enumerate(days):
        o = order(order_id=str(2000 + i))
        provider.create_invoice(request(o, day), provider.upsert_customer(o))
    listed = list(provider.list_invoices(date(2026, 3, 2), date(2026, 3, 3)))
    assert [(r.order_ref, r.issue_date) for r in listed] == [
        ("shop:2001:sale", date(2026, 3, 2)), ("shop:2002:sale", date(2026, 3, 2)),
        ("shop:2003:sale", date(2026, 3, 3)),
    ]
    assert all(r.total == Decimal("409.79") and r.journaled is None for r in listed)
    assert list(provider.list_invoices(date(2026, 4, 1), date(2026, 4, 30))) == []
    assert_no_violations(sandbox)


# -- formalize (GİB) -----------------------------------------------------------------------------


def test_send_then_state_on_the_clock_and_never_twice(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    req, inv = invoiced(provider, sandbox)
    assert provider.e_document_state(req, inv).state is SendState.NOT_SENT
    sent = provider.send_e_document(req, inv)
    year = today(sandbox).year
    assert (sent.state, sent.raw_status, sent.invoice_number) == (
        SendState.IN_PROGRESS, "pending", f"FEN{year}000000001",
    )
    assert uuid.UUID(sent.gib_uuid or "")
    assert_no_violations(sandbox)
    sandbox.state.clock.advance(sandbox.state.status_step_s / 2)
    running = provider.e_document_state(req, inv)
    assert (running.state, running.raw_status) == (SendState.IN_PROGRESS, "running")
    sandbox.state.clock.advance(sandbox.state.status_step_s / 2)
    state = provider.e_document_state(req, inv)
    assert (state.state, state.gib_uuid, state.invoice_number) == (SendState.SENT, sent.gib_uuid, sent.invoice_number)
    (remote,) = list(provider.list_invoices(req.issue_date, req.issue_date))
    assert (remote.sent, remote.ettn, remote.invoice_number) == (True, sent.gib_uuid, sent.invoice_number)
    assert_no_violations(sandbox)
    # The adapter itself does not guard: the provider's refusal arrives as a PermanentError.
    with pytest.raises(PermanentError) as exc:
        provider.send_e_document(req, inv)
    assert "zaten" in exc.value.message
    assert sandbox.ledger.count(NAME, "gib_send") == 1


def test_registered_company_gets_an_e_fatura(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    req, inv = invoiced(provider, sandbox, order(buyer=COMPANY))
    provider.send_e_document(req, inv)
    (effect,) = sandbox.ledger.effects(NAME, "gib_send")
    assert (effect.detail["document_type"], effect.detail["alias"]) == (
        "e_fatura", "urn:mail:defaultpk@ornekteknoloji.com.tr",
    )
    assert_no_violations(sandbox)


def test_gib_failure_maps_to_failed(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    sandbox[NAME].fail_formalizations("GİB: geçersiz alıcı")
    req, inv = invoiced(provider, sandbox)
    provider.send_e_document(req, inv)
    sandbox.state.clock.advance(sandbox.state.status_step_s)
    state = provider.e_document_state(req, inv)
    assert (state.state, state.raw_status, state.message) == (SendState.FAILED, "failed", "GİB: geçersiz alıcı")


@pytest.mark.parametrize(
    ("status", "expected"),
    [(None, SendState.NOT_SENT), ("pending", SendState.IN_PROGRESS), ("running", SendState.IN_PROGRESS),
     ("completed", SendState.SENT), ("failed", SendState.FAILED), ("not_required", SendState.FAILED),
     ("canceled", SendState.CANCELLED)],
)
def test_every_formal_status_over_http(
    provider: FaturaEntegratorProvider, sandbox: Sandbox, status: str | None, expected: SendState
) -> None:
    req, inv = invoiced(provider, sandbox)
    sandbox[NAME].set_formal_status(int(inv.invoice_id), status)
    state = provider.e_document_state(req, inv)
    assert (state.state, state.raw_status) == (expected, status)


def test_an_unknown_formal_status_is_a_classified_error(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    req, inv = invoiced(provider, sandbox)
    sandbox[NAME].set_formal_status(int(inv.invoice_id), "archived")
    with pytest.raises(PermanentError) as exc:
        provider.e_document_state(req, inv)
    assert "archived" in exc.value.message


# -- faults and errors ---------------------------------------------------------------------------


def test_before_500_is_transient_and_nothing_happened(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    sandbox.state.faults.add(FaultRule(NAME, "customers_create", FaultMode.BEFORE_500, times=1))
    with pytest.raises(TransientError) as exc:
        provider.upsert_customer(order())
    assert exc.value.status == 500
    assert sandbox.ledger.count(NAME, "cari_created") == 0
    provider.upsert_customer(order())
    assert sandbox.ledger.count(NAME, "cari_created") == 1


def test_after_504_then_retry_finds_the_invoice(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    o = order()
    req = request(o, today(sandbox))
    customer = provider.upsert_customer(o)
    sandbox.state.faults.add(FaultRule(NAME, "invoices_create", FaultMode.AFTER_504, times=1))
    with pytest.raises(TransientError) as exc:
        provider.create_invoice(req, customer)
    assert exc.value.status == 504
    found = provider.find_invoice(req)
    assert found is not None and provider.create_invoice(req, customer) == found
    assert sandbox.ledger.count(NAME, "invoice_created") == 1


def test_after_stall_on_formalize_times_out_and_the_probe_sees_the_send(
    make_provider: Callable[..., FaturaEntegratorProvider], sandbox: Sandbox
) -> None:
    provider = make_provider(timeout_s=0.5)
    req, inv = invoiced(provider, sandbox)
    sandbox.state.faults.add(FaultRule(NAME, "invoices_formalize", FaultMode.AFTER_STALL, stall_s=1.5, times=1))
    with pytest.raises(TransientError) as exc:
        provider.send_e_document(req, inv)
    assert exc.value.status is None and "timeout" in exc.value.message
    # What the pipeline does next: ask, and send only if the provider says not sent.
    assert provider.e_document_state(req, inv).state is SendState.IN_PROGRESS
    assert sandbox.ledger.count(NAME, "gib_send") == 1


def test_rate_429_is_transient_with_retry_after_and_pauses_the_account(
    make_provider: Callable[..., FaturaEntegratorProvider], sandbox: Sandbox,
    redis_client: redis.Redis,
) -> None:
    provider = make_provider()
    sandbox.state.faults.add(FaultRule(NAME, "customers_list", FaultMode.RATE_429, retry_after_s=2, times=1))
    with pytest.raises(TransientError) as exc:
        provider.upsert_customer(order())
    assert (exc.value.status, exc.value.retry_after) == (429, 2.0)
    assert provider.http.budget is not None
    blocked_until = float(redis_client.hget(provider.http.budget.key, "blocked_until") or 0)  # type: ignore[union-attr]
    sec, usec = redis_client.time()
    assert 1.0 < blocked_until - (sec + usec / 1e6) <= 2.0
    assert sandbox.ledger.count(NAME, "cari_created") == 0


def test_latency_within_and_beyond_the_timeout(
    make_provider: Callable[..., FaturaEntegratorProvider], sandbox: Sandbox
) -> None:
    sandbox.state.faults.add(FaultRule(NAME, "invoices_get", FaultMode.LATENCY, latency_ms=200))
    provider = make_provider()
    req, inv = invoiced(provider, sandbox)
    start = datetime.now()
    assert provider.e_document_state(req, inv).state is SendState.NOT_SENT
    assert (datetime.now() - start).total_seconds() >= 0.2
    slow = make_provider(timeout_s=0.1)
    with pytest.raises(TransientError):
        slow.e_document_state(req, inv)
    # Let the abandoned request finish here, not in the next test's fresh sandbox.
    time.sleep(0.3)


def test_bad_credentials_are_an_auth_error(
    make_provider: Callable[..., FaturaEntegratorProvider], sandbox: Sandbox
) -> None:
    provider = make_provider(api_key="not-the-key")
    with pytest.raises(AuthError) as exc:
        provider.upsert_customer(order())
    assert (exc.value.status, exc.value.message) == (401, "Unauthenticated.")
    assert "not-the-key" not in repr(provider.http.client.headers)


# -- the adapter's real requests, and every documented mark refused over HTTP --------------------


def test_every_request_the_adapter_makes_keeps_its_contract(
    provider: FaturaEntegratorProvider, sandbox: Sandbox
) -> None:
    assert all(c.ok for c in provider.check()), provider.check()
    zero = InvoiceLine(name="Kitap", quantity=Decimal(2), unit_price=Decimal("45.50"), vat_rate=Decimal(0),
                       vat_exemption_code="301")
    for o in (order(), order(order_id="1002", buyer=COMPANY), order(order_id="1003", lines=(zero,)),
              order(order_id="1004", buyer=anonymous())):
        req, inv = invoiced(provider, sandbox, o)
        provider.send_e_document(req, inv)
    received = sandbox[NAME].received
    assert {ep for ep, _ in received} == {
        "POST /api/check/auth", "POST /api/customers", "POST /api/invoices", "POST /api/invoices/{id}/formalize",
    }
    for ep, body in received:
        contract = next(c for c in CONTRACTS.values() if c.endpoint == ep)
        assert contract.violations(body) == [], (ep, body)
    assert_no_violations(sandbox)


def test_a_known_buyer_s_new_details_reach_the_invoice(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    # FE documents no customer update: the mapped cari is kept, and the invoice carries the
    # buyer's current details inline beside its id (as the vendor's Odoo module sends them).
    known = provider.upsert_customer(order())
    moved = PERSON.model_copy(update={"address": Address(line1="Yeni Sokak 5", district="Moda", city="İstanbul")})
    o = order(order_id="1009", buyer=moved)
    assert provider.upsert_customer(o, known=known) == known
    req = request(o, today(sandbox))
    inv = provider.create_invoice(req, known)
    shown = sandbox[NAME].invoices[int(inv.invoice_id)].customer
    assert (shown["id"], shown["address"], shown["district"]) == (int(known.customer_id), "Yeni Sokak 5", "Moda")
    assert sandbox.ledger.count(NAME, "cari_created") == 1
    assert_no_violations(sandbox)


def test_a_zero_rate_line_with_a_code_fe_does_not_list_is_refused_before_any_call(
    provider: FaturaEntegratorProvider, sandbox: Sandbox
) -> None:
    zero = InvoiceLine(name="Kitap", quantity=Decimal(1), unit_price=Decimal("45.50"), vat_rate=Decimal(0),
                       vat_exemption_code="351")
    o = order(lines=(zero,))
    customer = provider.upsert_customer(o)
    calls: list[CallRecord] = []
    with observe_calls(calls.append), pytest.raises(OrderDataError) as exc:
        provider.create_invoice(request(o, today(sandbox)), customer)
    assert exc.value.field == "lines[0].exemption_code"
    assert calls == []
    assert sandbox.ledger.count(NAME, "invoice_created") == 0


# -- returns (İADE) and draft withdrawal ----------------------------------------------------------


def formalized(provider: FaturaEntegratorProvider, sandbox: Sandbox, o: Order) -> tuple[InvoiceRequest, ReturnOf]:
    """The sale invoiced, formalized and completed at GİB: what a return may reference."""
    req, inv = invoiced(provider, sandbox, o)
    provider.send_e_document(req, inv)
    sandbox.state.clock.advance(sandbox.state.status_step_s)
    state = provider.e_document_state(req, inv)
    assert state.state is SendState.SENT
    return req, ReturnOf(inv.invoice_id, state.invoice_number, req.issue_date, state.gib_uuid)


def test_a_return_of_one_discounted_unit_references_the_sale_and_lands_on_the_kurus(
    provider: FaturaEntegratorProvider, sandbox: Sandbox
) -> None:
    mug = InvoiceLine(sku="MUG-1", name="Kupa", quantity=Decimal(3), unit_price=Decimal("33.33"),
                      vat_rate=Decimal(20), discount=Decimal("10.00"))
    o = order(order_id="2001", lines=(mug,))
    _, original = formalized(provider, sandbox, o)
    ret = return_request(o, (refunded(mug, Decimal(1)),), SETTINGS, today(sandbox))
    assert ret.order.paid_total == Decimal("30.00")  # 33.33 − a third of 10.00, VAT included
    customer = provider.upsert_customer(ret.order)
    ref = provider.create_return_invoice(ret, original, customer)
    assert ref.total == Decimal("30.00")
    stored = sandbox[NAME].invoices[int(ref.invoice_id)].data
    assert (stored["type"], stored["return_invoice_number"], stored["return_invoice_date"]) == (
        "IADE", original.invoice_number, original.issue_date)
    assert stored["order_id"] == ret.idempotency_key
    # Idempotent, and found by the return job's key (not the sale's).
    assert provider.create_return_invoice(ret, original, customer) == ref
    assert provider.find_invoice(ret) == ref
    sent = provider.send_e_document(ret, ref)
    assert sent.state is SendState.IN_PROGRESS
    assert sandbox.ledger.summary()[NAME] == {
        "cari_created": 1, "invoice_created": 1, "return_invoice_created": 1, "gib_send": 2,
    }
    assert_no_violations(sandbox)


def test_a_return_needs_a_formalized_sale_and_is_refused_before_any_call_without_its_number(
    provider: FaturaEntegratorProvider, sandbox: Sandbox
) -> None:
    o = order(order_id="2002")
    req, inv = invoiced(provider, sandbox, o)
    ret = return_request(o, o.lines[:1], SETTINGS, today(sandbox))
    customer = provider.upsert_customer(o)
    calls: list[CallRecord] = []
    with observe_calls(calls.append), pytest.raises(PermanentError):
        provider.create_return_invoice(ret, ReturnOf(inv.invoice_id, None, None), customer)
    assert calls == []
    # Formalize asked for, GİB not done yet: FE refuses the reference (pending is not completed).
    sent = provider.send_e_document(req, inv)
    with pytest.raises(PermanentError) as exc:
        provider.create_return_invoice(ret, ReturnOf(inv.invoice_id, sent.invoice_number, req.issue_date), customer)
    assert (exc.value.status, "resmileşmemiş" in exc.value.message) == (422, True)
    assert sandbox.ledger.count(NAME, "return_invoice_created") == 0


def test_returns_may_not_give_back_more_than_the_sale_held(
    provider: FaturaEntegratorProvider, sandbox: Sandbox
) -> None:
    o = order(order_id="2003")
    _, original = formalized(provider, sandbox, o)
    customer = provider.upsert_customer(o)
    tshirts = return_request(o, (o.lines[0],), SETTINGS, today(sandbox), refund_id="r1")
    provider.create_return_invoice(tshirts, original, customer)
    # A second refund of everything: more than what is left of the sale.
    everything = return_request(o, o.lines, SETTINGS, today(sandbox), refund_id="r2")
    with pytest.raises(PermanentError) as exc:
        provider.create_return_invoice(everything, original, customer)
    assert exc.value.status == 422 and "aşamaz" in exc.value.message
    assert sandbox.ledger.count(NAME, "return_invoice_created") == 1


def test_a_shipping_only_return(provider: FaturaEntegratorProvider, sandbox: Sandbox) -> None:
    o = order(order_id="2004")
    _, original = formalized(provider, sandbox, o)
    ret = return_request(o, (o.lines[2],), SETTINGS, today(sandbox))
    ref = provider.create_return_invoice(ret, original, provider.upsert_customer(o))
    assert ref.total == Decimal("29.99")
    stored = sandbox[NAME].invoices[int(ref.invoice_id)].data
    assert "shipment" not in stored  # nothing travels back on a shipping-only return
    assert_no_violations(sandbox)


def test_a_draft_is_withdrawn_once_and_a_formalized_invoice_never(
    provider: FaturaEntegratorProvider, sandbox: Sandbox
) -> None:
    req, inv = invoiced(provider, sandbox)
    provider.withdraw_draft(req, inv)
    assert provider.find_invoice(req) is None
    assert_no_violations(sandbox)
    provider.withdraw_draft(req, inv)  # gone already (FE's 404): nothing to do
    assert sandbox.ledger.count(NAME, "invoice_deleted") == 1

    sent_req, sent = invoiced(provider, sandbox, order(order_id="2005"))
    provider.send_e_document(sent_req, sent)
    with pytest.raises(PermanentError) as exc:
        provider.withdraw_draft(sent_req, sent)
    assert exc.value.status == 422 and "silinemez" in exc.value.message
    assert provider.find_invoice(sent_req) is not None
    assert sandbox.ledger.count(NAME, "invoice_deleted") == 1


HEADERS = {"Accept": "application/json", "Authorization": f"Bearer {DEFAULT_API_KEY}"}
PATHS = {
    "check_auth": "/api/check/auth", "customers_create": "/api/customers", "invoices_create": "/api/invoices",
    "invoices_formalize": "/api/invoices/1/formalize",
}
CASES = [(ep, case) for ep, contract in CONTRACTS.items() for case in refusals(contract, example(ep))]


def _seed(client: httpx.Client) -> None:
    """The customer and invoice the examples name exist, so only the contract can refuse."""
    assert client.post("/api/customers", content=dumps(example("customers_create")),
                       headers={"Content-Type": "application/json"}).status_code == 201
    assert client.post("/api/invoices", content=dumps(example("invoices_create")),
                       headers={"Content-Type": "application/json"}).status_code == 201


@pytest.mark.parametrize(("ep", "case"), CASES, ids=[f"{ep} | {c.what}" for ep, c in CASES])
def test_the_simulator_refuses_what_the_contract_refuses(
    sandbox_server: SandboxServer, sandbox: Sandbox, ep: str, case: Refusal
) -> None:
    with httpx.Client(base_url=f"{sandbox_server.url}/faturaentegrator", headers=HEADERS, timeout=5) as client:
        _seed(client)
        before = [e.kind for e in sandbox.ledger.effects(NAME)]
        response = client.post(PATHS[ep], content=dumps(case.body), headers={"Content-Type": "application/json"})
    assert response.status_code == 422, (case.what, response.text)
    answer = response.json()
    # Laravel's shape: message + errors{dot.key: [messages]} (FACTS §2.4).
    assert isinstance(answer["message"], str) and answer["message"]
    assert answer["errors"] and all(isinstance(m, list) and m for m in answer["errors"].values())
    assert [(v.endpoint, v.status) for v in sandbox.state.violations.list(NAME)] == [(ep, 422)]
    assert [e.kind for e in sandbox.ledger.effects(NAME)] == before  # nothing happened


def test_the_examples_are_accepted(sandbox_server: SandboxServer, sandbox: Sandbox) -> None:
    with httpx.Client(base_url=f"{sandbox_server.url}/faturaentegrator", headers=HEADERS, timeout=5) as client:
        _seed(client)
        assert client.post("/api/check/auth").json()["success"] is True
        assert client.post("/api/invoices/1/formalize").status_code == 202
    assert sandbox.ledger.count(NAME, "gib_send") == 1
    assert_no_violations(sandbox)


def test_a_formalize_answer_without_the_invoice_is_read_from_the_invoice() -> None:
    # I: FE's formalize answer is not documented; a bare {"success": true} is followed by a
    # GET of the invoice, whose formal_status decides.
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, json={"success": True, "message": "Kuyruğa alındı"})
        return httpx.Response(200, json={"success": True, "data": {"id": 5, "formal_status": "pending", "total": "1.00"}})

    provider = FaturaEntegratorProvider(base_url="http://fe.test", api_key="k", sale_channel_id=1, invoice_integration_id=1)
    provider.http.client = httpx.Client(base_url="http://fe.test", transport=httpx.MockTransport(handler))
    req = request(order(), date(2026, 11, 20))
    state = provider.send_e_document(req, InvoiceRef("5"))
    assert (state.state, state.raw_status) == (SendState.IN_PROGRESS, "pending")
