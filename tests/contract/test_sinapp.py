"""The SinApp adapter against the SinApp simulator over real HTTP on loopback, with the rate
budget in the real Redis (db 15, keys under this test's own random namespace)."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
import redis

from sync_engine.providers.sinapp.config import SinAppConfig
from sync_engine.domain import (
    ANONYMOUS_TCKN,
    Address,
    Buyer,
    BuyerKind,
    InvoiceLine,
    LineKind,
    Order,
    Payment,
    PaymentMethod,
)
from sync_engine.domain.keys import return_key, short_ref
from sync_engine.providers.base import (
    BaseProvider,
    Capability,
    InvoiceRef,
    InvoiceRequest,
    InvoiceSettings,
    Routing,
)
from sync_engine.providers.errors import (
    AuthError,
    OrderDataError,
    PermanentError,
    TransientError,
    UnsupportedCapability,
)
from sync_engine.providers.http import CallRecord, dumps, observe_calls
from sync_engine.providers.ratelimit import RedisTokenBucket
from sync_engine.providers.sinapp import SinAppProvider, message_of
from sync_engine.providers.sinapp import paths
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.contract import Refusal, refusals
from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.sandbox.sinapp import CONTRACTS, DEMO_API_KEY, DEMO_API_SECRET, SinAppSimulator
from sync_engine.sandbox.sinapp.contract import example
from sync_engine.sandbox.sinapp.simulator import ISTANBUL
from tests.support.providers import SINAPP_SETTINGS as SETTINGS
from tests.support.providers import assert_no_violations, sale_request
from tests.support.providers import redis_client, redis_namespace, sandbox, sandbox_server  # noqa: F401

pytestmark = pytest.mark.redis

SIMULATOR = SinAppSimulator  # the one the sandbox fixtures serve
AUTH = {"X-Api-Key": DEMO_API_KEY, "X-Api-Secret": DEMO_API_SECRET}
WEBSITE = "demo-shop.example"
COMPANY_NAME = "Demo Mağazacılık A.Ş."
ADDRESS = Address(line1="Atatürk Cad. No: 1", district="Çankaya", city="Ankara")
PERSON = Buyer(kind=BuyerKind.PERSON, tax_id="10000000146", first_name="Ayşe",
               last_name="Yılmaz", email="ayse@example.com", phone="05551234567", address=ADDRESS)
COMPANY = Buyer(kind=BuyerKind.COMPANY, tax_id="1234567890", company_name="Örnek Teknoloji A.Ş.",
                tax_office="Çankaya", first_name="Mehmet", last_name="Demir",
                email="fatura@ornek.com.tr", phone="03121234567", address=ADDRESS)
# A consumer who gave nothing but an address: the store's contact defaults fill the phone and
# e-mail SinApp requires ([stores.invoice] default_contact_phone / default_contact_email).
ANONYMOUS = Buyer(kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN, address=ADDRESS)
WITH_DEFAULTS = dataclasses.replace(
    SETTINGS, default_contact_phone="02125550000", default_contact_email="fatura@demo-shop.example"
)
LINES = (
    InvoiceLine(name="Kahve Makinesi", quantity=Decimal(1), unit_price=Decimal("2499.90"),
                vat_rate=Decimal(20), discount=Decimal("250.00")),
    InvoiceLine(name="Filtre Kahve 250 g", quantity=Decimal(3), unit_price=Decimal("89.90"),
                vat_rate=Decimal(1)),
    InvoiceLine(name="Yurtiçi Kargo", quantity=Decimal(1), unit_price=Decimal("39.90"),
                vat_rate=Decimal(20), kind=LineKind.SHIPPING),
)
PAID = Decimal("2559.50")  # 2249.90 + 269.70 + 39.90


def make_request(
    buyer: Buyer = PERSON, *, order_id: str | None = None, paid: Decimal = PAID,
    key: str | None = None, settings: InvoiceSettings = WITH_DEFAULTS,
) -> InvoiceRequest:
    order = Order(
        store_id="demo-shop", platform="shopify",
        order_id=order_id or str(uuid.uuid4().int % 10**12), order_name="#1001",
        created_at=datetime(2025, 5, 2, 9, 0, tzinfo=UTC), buyer=buyer, lines=LINES,
        paid_total=paid, payment=Payment(method=PaymentMethod.CREDIT_CARD, platform="PayTR"),
    )
    return sale_request(order, settings, date(2025, 5, 2), key=key)


@pytest.fixture
def budget(redis_client: redis.Redis, redis_namespace: str) -> RedisTokenBucket:
    return RedisTokenBucket(redis_client, f"{redis_namespace}{uuid.uuid4().hex[:8]}", rate_per_s=500)


def make_provider(
    server: SandboxServer, budget: RedisTokenBucket | None = None, *, timeout_s: float = 5.0,
    api_key: str = DEMO_API_KEY, api_secret: str = DEMO_API_SECRET, website: str = WEBSITE,
) -> SinAppProvider:
    return SinAppProvider(
        base_url=f"{server.url}/sinapp", api_key=api_key, api_secret=api_secret,
        website=website, company_name=COMPANY_NAME, timeout_s=timeout_s, budget=budget,
    )


@pytest.fixture
def provider(sandbox_server: SandboxServer, sandbox: Sandbox, budget: RedisTokenBucket) -> Iterator[SinAppProvider]:
    p = make_provider(sandbox_server, budget)
    yield p
    p.close()


def add_fault(sandbox: Sandbox, endpoint: str, mode: FaultMode, **kw: object) -> None:
    sandbox.state.faults.add(FaultRule("sinapp", endpoint, mode, times=1, **kw))  # type: ignore[arg-type]


def created(sandbox: Sandbox, req: InvoiceRequest | None = None) -> int:
    key = short_ref(req.idempotency_key) if req is not None else None
    return sandbox.ledger.count("sinapp", "invoice_created", key)


# --- declared capabilities -------------------------------------------------------------

OPERATION_OF = {
    Capability.CUSTOMER: "upsert_customer",
    Capability.INVOICE: "create_invoice",
    Capability.E_DOCUMENT: "send_e_document",
    Capability.E_DOCUMENT_STATE: "e_document_state",
    Capability.JOURNAL: "journal",
    Capability.FIND_INVOICE: "find_invoice",
    Capability.LIST_INVOICES: "list_invoices",
    Capability.WITHDRAW_DRAFT: "withdraw_draft",
    Capability.RETURN_INVOICE: "create_return_invoice",
}


def test_declared_capabilities_match_the_implemented_operations() -> None:
    assert SinAppProvider.name == "sinapp"
    assert SinAppProvider.capabilities == {
        Capability.INVOICE, Capability.FIND_INVOICE, Capability.WITHDRAW_DRAFT,
    }
    # No return document is documented (FACTS §3): a return is never declared.
    assert Capability.RETURN_INVOICE not in SinAppProvider.capabilities
    # SinApp has no GİB step at all (FACTS §3): nothing e-document is claimed.
    assert Capability.E_DOCUMENT not in SinAppProvider.capabilities
    assert Capability.E_DOCUMENT_STATE not in SinAppProvider.capabilities
    assert SinAppProvider.routing is Routing.NONE
    for capability, method in OPERATION_OF.items():
        overridden = getattr(SinAppProvider, method) is not getattr(BaseProvider, method)
        assert overridden == (capability in SinAppProvider.capabilities), capability


def test_what_sinapp_does_not_offer_raises_unsupported(provider: SinAppProvider) -> None:
    req = make_request()
    ref = InvoiceRef(invoice_id="x")
    for call in (
        lambda: provider.upsert_customer(req.order),
        lambda: provider.send_e_document(req, ref),
        lambda: provider.e_document_state(req, ref),
        lambda: provider.journal(req, ref),
        lambda: provider.list_invoices(date(2025, 1, 1), date(2025, 1, 31)),
    ):
        with pytest.raises(UnsupportedCapability):
            call()


# --- happy paths -----------------------------------------------------------------------


@pytest.mark.parametrize("buyer", [PERSON, COMPANY, ANONYMOUS], ids=["person", "company", "anonymous"])
def test_create_invoice(provider: SinAppProvider, sandbox: Sandbox, buyer: Buyer) -> None:
    req = make_request(buyer)
    ref = provider.create_invoice(req, None)
    year = sandbox.state.clock.now().astimezone(ISTANBUL).year
    assert ref.invoice_id == short_ref(req.idempotency_key)
    assert ref.ettn is None  # SinApp is not a GİB integrator
    assert ref.invoice_number is not None and ref.invoice_number.startswith(f"INV-{year}-")
    stored = sandbox["sinapp"].invoice(ref.invoice_id)
    assert stored.order_id == req.order.order_id
    assert [(c.title, c.price) for c in stored.courses] == [
        ("Kahve Makinesi", Decimal("2249.90")),
        ("Filtre Kahve 250 g x 3", Decimal("269.70")),
        ("Kargo", Decimal("39.90")),
    ]
    assert stored.total == stored.payment["amount"] == PAID
    assert stored.channel == {"website": WEBSITE, "company_name": COMPANY_NAME}
    assert stored.customer["invoice_type"] == ("company" if buyer is COMPANY else "individual")
    assert created(sandbox, req) == 1
    assert_no_violations(sandbox)


def test_find_invoice(provider: SinAppProvider, sandbox: Sandbox) -> None:
    req = make_request()
    assert provider.find_invoice(req) is None
    ref = provider.create_invoice(req, None)
    # The detail answer carries SinApp's grand_total: the provider total the pipeline checks.
    assert provider.find_invoice(req) == dataclasses.replace(ref, total=PAID)
    other_order = make_request(order_id="424242")
    assert provider.find_invoice(other_order) is None
    assert_no_violations(sandbox)


def test_withdraw_draft_is_a_soft_cancel_and_repeatable(provider: SinAppProvider, sandbox: Sandbox) -> None:
    req = make_request()
    ref = provider.create_invoice(req, None)
    provider.withdraw_draft(req, ref)
    provider.withdraw_draft(req, ref)  # SinApp's documented success again, no second effect
    assert sandbox.ledger.count("sinapp", "cancel", ref.invoice_id) == 1
    assert sandbox.ledger.count("sinapp", "invoice_deleted", ref.invoice_id) == 1
    assert sandbox["sinapp"].invoice(ref.invoice_id).status == "cancelled"
    assert provider.find_invoice(req).invoice_id == ref.invoice_id  # still there, cancelled
    assert_no_violations(sandbox)


def test_from_config_with_a_redis_budget(
    sandbox_server: SandboxServer, sandbox: Sandbox, redis_client: redis.Redis, redis_namespace: str
) -> None:
    api_key = f"{redis_namespace}key"
    sandbox["sinapp"].add_credentials(api_key, "cfg-secret")
    cfg = SinAppConfig.model_validate({
        "name": "sinapp", "base_url": f"{sandbox_server.url}/sinapp", "api_key": api_key,
        "api_secret": "cfg-secret", "website": WEBSITE, "company_name": COMPANY_NAME,
        "timeout_s": 3, "max_requests_per_s": 50,
    })
    provider = SinAppProvider.from_config(cfg, redis=redis_client)
    try:
        budget = provider.http.budget
        assert isinstance(budget, RedisTokenBucket)
        assert provider.http.client.timeout.read == 3
        ref = provider.create_invoice(make_request(), None)
        assert ref.invoice_number
        assert redis_client.exists(budget.key)
    finally:
        provider.close()
        redis_client.delete(f"sync:rate:{cfg.account_key()}")  # the one key this test made
    assert_no_violations(sandbox)


# --- idempotency -----------------------------------------------------------------------


def test_creating_twice_creates_once(provider: SinAppProvider, sandbox: Sandbox) -> None:
    req = make_request()
    first = provider.create_invoice(req, None)
    calls: list[CallRecord] = []
    with observe_calls(calls.append):
        second = provider.create_invoice(req, None)
    assert second == dataclasses.replace(first, total=PAID)
    assert [(c.operation, c.http_status) for c in calls] == [
        ("sinapp.invoice.create", 409), ("sinapp.invoice.get", 200)
    ]
    assert created(sandbox) == 1
    assert_no_violations(sandbox)


def test_a_409_that_cannot_be_read_back_is_not_taken_for_ours(
    provider: SinAppProvider, sandbox: Sandbox
) -> None:
    req = make_request(order_id="1001")
    provider.create_invoice(req, None)
    # The same invoice_id but another order: never answer with someone else's invoice.
    clash = make_request(order_id="2002", key=req.idempotency_key)
    with pytest.raises(PermanentError) as info:
        provider.create_invoice(clash, None)
    assert info.value.status == 409
    assert created(sandbox) == 1


# --- faults ----------------------------------------------------------------------------


def test_before_500_is_transient_and_has_no_effect(provider: SinAppProvider, sandbox: Sandbox) -> None:
    req = make_request()
    add_fault(sandbox, "invoice_create", FaultMode.BEFORE_500)
    with pytest.raises(TransientError) as info:
        provider.create_invoice(req, None)
    assert info.value.status == 500
    assert "injected" in info.value.message  # the provider's own message, via message_of
    assert created(sandbox) == 0
    provider.create_invoice(req, None)
    assert created(sandbox) == 1


def test_after_504_is_transient_and_the_retry_reads_it_back(
    provider: SinAppProvider, sandbox: Sandbox
) -> None:
    req = make_request()
    add_fault(sandbox, "invoice_create", FaultMode.AFTER_504)
    with pytest.raises(TransientError) as info:
        provider.create_invoice(req, None)
    assert info.value.status == 504
    assert created(sandbox, req) == 1
    assert provider.find_invoice(req) is not None  # the pipeline's probe after an unknown outcome
    ref = provider.create_invoice(req, None)
    assert ref.invoice_number == sandbox["sinapp"].invoice(ref.invoice_id).invoice_number
    assert created(sandbox, req) == 1


def test_after_stall_times_out_as_transient_and_the_retry_creates_nothing_new(
    sandbox_server: SandboxServer, sandbox: Sandbox
) -> None:
    req = make_request()
    add_fault(sandbox, "invoice_create", FaultMode.AFTER_STALL, stall_s=1.5)
    impatient = make_provider(sandbox_server, timeout_s=0.5)
    try:
        started = time.perf_counter()
        with pytest.raises(TransientError) as info:
            impatient.create_invoice(req, None)
        assert time.perf_counter() - started < 1.4
        assert info.value.message.startswith("timeout")
        assert created(sandbox, req) == 1
        assert impatient.create_invoice(req, None).invoice_number is not None
        assert created(sandbox, req) == 1
    finally:
        impatient.close()


def test_rate_429_is_transient_with_retry_after_and_pauses_the_account(
    provider: SinAppProvider, sandbox: Sandbox, budget: RedisTokenBucket
) -> None:
    add_fault(sandbox, "invoice_create", FaultMode.RATE_429, retry_after_s=2)
    with pytest.raises(TransientError) as info:
        provider.create_invoice(make_request(), None)
    assert info.value.status == 429
    assert info.value.retry_after == 2.0
    assert created(sandbox) == 0
    blocked_until = float(budget.redis.hget(budget.key, "blocked_until"))
    sec, usec = budget.redis.time()
    assert 1.0 < blocked_until - (sec + usec / 1e6) <= 2.0
    assert budget.try_acquire() > 1.0  # every worker of this account now waits


def test_latency_is_only_slower(provider: SinAppProvider, sandbox: Sandbox) -> None:
    add_fault(sandbox, "invoice_create", FaultMode.LATENCY, latency_ms=300)
    started = time.perf_counter()
    provider.create_invoice(make_request(), None)
    assert time.perf_counter() - started >= 0.3
    assert created(sandbox) == 1


@pytest.mark.parametrize(
    ("endpoint", "mode"),
    [("invoice_get", FaultMode.BEFORE_500), ("invoice_get", FaultMode.RATE_429)],
)
def test_a_failing_probe_is_never_read_as_not_found(
    provider: SinAppProvider, sandbox: Sandbox, endpoint: str, mode: FaultMode
) -> None:
    add_fault(sandbox, endpoint, mode)
    with pytest.raises(TransientError):
        provider.find_invoice(make_request())


def test_cancel_fault_is_transient(provider: SinAppProvider, sandbox: Sandbox) -> None:
    req = make_request()
    ref = provider.create_invoice(req, None)
    add_fault(sandbox, "invoice_delete", FaultMode.AFTER_504)
    with pytest.raises(TransientError):
        provider.withdraw_draft(req, ref)
    provider.withdraw_draft(req, ref)  # the retry is harmless: cancelling is idempotent
    assert sandbox.ledger.count("sinapp", "cancel") == 1


# --- refusals --------------------------------------------------------------------------


def test_bad_credentials_are_an_auth_error(sandbox_server: SandboxServer, sandbox: Sandbox) -> None:
    wrong = make_provider(sandbox_server, api_secret="not-the-secret")
    req = make_request()
    try:
        for call in (
            lambda: wrong.create_invoice(req, None),
            lambda: wrong.find_invoice(req),
            lambda: wrong.withdraw_draft(req, InvoiceRef(invoice_id=short_ref(req.idempotency_key))),
        ):
            with pytest.raises(AuthError) as info:
                call()
            assert info.value.status == 401
            assert "geçersiz API anahtarı" in info.value.message
    finally:
        wrong.close()
    assert created(sandbox) == 0


def test_a_refused_payload_is_permanent_with_the_provider_message(
    provider: SinAppProvider, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync_engine.providers.sinapp import adapter

    real = adapter.invoice_payload

    def broken(*args: object, **kw: object) -> dict:
        payload = real(*args, **kw)
        payload["fatura_bilgileri"]["identity_number"] = "123"
        return payload

    monkeypatch.setattr(adapter, "invoice_payload", broken)
    with pytest.raises(PermanentError) as info:
        provider.create_invoice(make_request(), None)
    assert info.value.status == 400
    assert info.value.message == "fatura_bilgileri.identity_number alanının biçimi geçersiz"
    assert created(sandbox) == 0


def test_a_blank_channel_is_refused_before_any_call(
    sandbox_server: SandboxServer, sandbox: Sandbox
) -> None:
    misconfigured = make_provider(sandbox_server, website="  ")
    calls: list[CallRecord] = []
    try:
        with observe_calls(calls.append), pytest.raises(OrderDataError) as info:
            misconfigured.create_invoice(make_request(), None)
    finally:
        misconfigured.close()
    assert info.value.field == "Channel.website"
    assert calls == []


def test_an_order_that_does_not_add_up_is_refused_before_any_call(
    provider: SinAppProvider, sandbox: Sandbox
) -> None:
    calls: list[CallRecord] = []
    with observe_calls(calls.append), pytest.raises(PermanentError, match="paid"):
        provider.create_invoice(make_request(paid=PAID + Decimal("10.00")), None)
    assert calls == []


def test_a_return_invoice_is_refused(provider: SinAppProvider, sandbox: Sandbox) -> None:
    req = make_request(key=return_key("demo-shop", "77", "9"))
    with pytest.raises(PermanentError, match="İADE"):
        provider.create_invoice(req, None)
    assert created(sandbox) == 0


def test_cancelling_an_unknown_invoice_is_permanent(provider: SinAppProvider, sandbox: Sandbox) -> None:
    with pytest.raises(PermanentError) as info:
        provider.withdraw_draft(make_request(), InvoiceRef(invoice_id="se_unknown"))
    assert info.value.status == 404


def test_message_of_reads_the_documented_error_shape() -> None:
    def response(status: int, content: bytes) -> httpx.Response:
        return httpx.Response(status, content=content, request=httpx.Request("GET", "http://x"))

    refused = '{"success": false, "message": "Geçersiz JSON"}'.encode()
    assert message_of(response(400, refused)) == "Geçersiz JSON"
    not_found = b'{"status": "error", "message": "Fatura bulunamadi"}'
    assert message_of(response(404, not_found)) == "Fatura bulunamadi"
    assert message_of(response(502, b"<html>Bad Gateway</html>")) == "<html>Bad Gateway</html>"
    assert message_of(response(500, b'["no message"]')) == '["no message"]'


# --- the adapter's real requests against the documented contracts ---------------------------

CREATE_EP = f"POST {paths.INVOICE_CREATE}"
DETAIL_EP = f"GET {paths.INVOICE_DETAIL}"
DELETE_EP = f"DELETE {paths.INVOICE_DELETE}"


def received(sandbox: Sandbox, endpoint: str) -> list:
    return sandbox["sinapp"].received(endpoint)


@pytest.mark.parametrize("buyer", [PERSON, COMPANY, ANONYMOUS], ids=["person", "company", "anonymous"])
def test_every_real_request_is_accepted_by_its_contract(
    provider: SinAppProvider, sandbox: Sandbox, buyer: Buyer
) -> None:
    req = make_request(buyer)
    ref = provider.create_invoice(req, None)
    provider.create_invoice(req, None)  # 409, then the detail GET reads it back
    provider.find_invoice(req)
    provider.withdraw_draft(req, ref)
    provider.check()
    seen = {ep: received(sandbox, ep) for ep in (CREATE_EP, DETAIL_EP, DELETE_EP)}
    assert [len(seen[ep]) for ep in (CREATE_EP, DETAIL_EP, DELETE_EP)] == [2, 3, 1]
    for ep, bodies in seen.items():
        for body in bodies:
            assert CONTRACTS[ep].violations(body) == [], (ep, body)
    # The create path is the API reference's; the other documented one is never called.
    assert received(sandbox, "POST /api/v1/invoices.php") == []
    assert_no_violations(sandbox)


def test_the_real_create_carries_every_required_field(provider: SinAppProvider, sandbox: Sandbox) -> None:
    provider.create_invoice(make_request(ANONYMOUS), None)
    [body] = received(sandbox, CREATE_EP)
    billing = body["fatura_bilgileri"]
    assert billing["contact_phone"] == "02125550000"  # the store default: the order had none
    assert billing["contact_email"] == "fatura@demo-shop.example"
    assert (billing["contact_name"], billing["contact_surname"]) == ("Nihai", "Tüketici")
    assert billing["identity_number"] == ANONYMOUS_TCKN
    details = body["siparis_detaylari"]
    assert details["payment_method"] == "1"  # a String, as documented
    assert details["total_course_price"] == details["amount"] == PAID  # JSON numbers, exact
    assert details["payment_date"] == "2025-05-02 12:00:00"  # Y-m-d H:i:s, Istanbul time


def test_no_phone_anywhere_stops_before_any_call_naming_the_field(
    provider: SinAppProvider, sandbox: Sandbox
) -> None:
    no_phone = PERSON.model_copy(update={"phone": ""})
    calls: list[CallRecord] = []
    with observe_calls(calls.append), pytest.raises(OrderDataError) as info:
        provider.create_invoice(make_request(no_phone, settings=SETTINGS), None)
    assert info.value.field == "fatura_bilgileri.contact_phone"
    assert calls == []
    # With the store's default the same order is invoiced.
    provider.create_invoice(make_request(no_phone), None)
    assert received(sandbox, CREATE_EP)[0]["fatura_bilgileri"]["contact_phone"] == "02125550000"


# --- every documented mark and rule refused over HTTP, in SinApp's error shape ---------------

ENDPOINT_NAME = {  # the simulator's fault / violation endpoint names
    "POST": "invoice_create", "PUT": "invoice_update", "DELETE": "invoice_delete",
    "GET": "invoice_get",
}


def _cases() -> list[tuple[str, Refusal]]:
    out = []
    for ep, contract in CONTRACTS.items():
        for case in refusals(contract, example(ep)):
            # Query parameters are always text on the wire: a wrong JSON kind cannot be sent.
            if ep.startswith("GET ") and case.what.startswith("kind "):
                continue
            out.append((ep, case))
    return out


CASES = _cases()


@pytest.mark.parametrize(("ep", "case"), CASES, ids=[f"{ep} | {c.what}" for ep, c in CASES])
def test_the_simulator_refuses_what_the_contract_refuses(
    sandbox_server: SandboxServer, sandbox: Sandbox, ep: str, case: Refusal
) -> None:
    method, path = ep.split(" ", 1)
    if method in ("PUT", "DELETE", "GET"):
        # The invoice the example names exists, so only the contract can refuse.
        with httpx.Client(base_url=f"{sandbox_server.url}/sinapp", headers=AUTH, timeout=5) as c:
            assert c.post(paths.INVOICE_CREATE, json=example(CREATE_EP)).status_code == 200
    with httpx.Client(base_url=f"{sandbox_server.url}/sinapp", headers=AUTH, timeout=5) as client:
        if method == "GET":
            response = client.get(path, params=case.body)
        else:
            response = client.request(method, path, content=dumps(case.body),
                                      headers={"Content-Type": "application/json"})
    assert response.status_code == 400, (case.what, response.text)
    answer = response.json()
    assert answer["success"] is False and isinstance(answer["message"], str) and answer["message"]
    assert [(v.endpoint, v.status) for v in sandbox.state.violations.list("sinapp")] == [
        (ENDPOINT_NAME[method], 400)
    ]
    effects = sandbox.ledger.effects("sinapp")
    assert [e.kind for e in effects] == ([] if method == "POST" else ["invoice_created"])


def test_the_document_examples_are_accepted(sandbox_server: SandboxServer, sandbox: Sandbox) -> None:
    with httpx.Client(base_url=f"{sandbox_server.url}/sinapp", headers=AUTH, timeout=5) as client:
        assert client.post("/api/v1/invoices.php", json=example(CREATE_EP)).status_code == 200
        assert client.get(paths.INVOICE_DETAIL, params=example(DETAIL_EP)).status_code == 200
        assert client.put(paths.INVOICE_UPDATE,
                          json=example("PUT /api/v1/invoice_operations.php")).status_code == 200
        assert client.request("DELETE", paths.INVOICE_DELETE,
                              json=example(DELETE_EP)).status_code == 200
    assert_no_violations(sandbox)


# --- answers read liberally (mixed envelopes, FACTS §3) --------------------------------------


def mocked(handler) -> SinAppProvider:  # type: ignore[no-untyped-def]
    p = SinAppProvider(base_url="http://sinapp.test", api_key="k", api_secret="s",
                       website=WEBSITE, company_name=COMPANY_NAME)
    p.http.client = httpx.Client(base_url="http://sinapp.test",
                                 transport=httpx.MockTransport(handler))
    return p


def answering(status: int, body: object) -> SinAppProvider:
    return mocked(lambda request: httpx.Response(status, json=body))


def test_create_accepts_either_success_marker() -> None:
    for body in ({"success": True, "invoice_id": 1, "invoice_number": "INV-1"},
                 {"status": "success", "data": {"invoice_number": "INV-1"}}):
        assert answering(200, body).create_invoice(make_request(), None).invoice_number == "INV-1"


def test_a_create_answer_without_either_marker_is_an_unknown_outcome() -> None:
    with pytest.raises(TransientError, match="success"):
        answering(200, {"message": "tamam"}).create_invoice(make_request(), None)


def test_a_create_that_says_no_is_permanent_with_its_words() -> None:
    with pytest.raises(PermanentError, match="Limit aşıldı"):
        answering(200, {"success": False, "message": "Limit aşıldı"}).create_invoice(
            make_request(), None)


def test_detail_answers_in_either_envelope_give_the_total() -> None:
    invoice = {"id": "1", "invoice_number": "INV-2024-001", "grand_total": "2559.50"}
    for body in ({"status": "success", "data": {"invoice": invoice}},
                 {"success": True, "data": {"invoice": invoice}},
                 {"status": "success", "data": invoice}):
        ref = answering(200, body).find_invoice(make_request())
        assert (ref.invoice_number, ref.total) == ("INV-2024-001", PAID)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "success", "data": {"items": []}}, "data.invoice"),
        ({"status": "error", "message": "?"}, "status"),
        ({"status": "success", "data": {"invoice": {"grand_total": "?"}}}, "data.invoice.grand_total"),
    ],
)
def test_a_detail_answer_none_of_the_shapes_fits_names_the_field(body: dict, field: str) -> None:
    with pytest.raises(PermanentError, match=field.replace(".", r"\.")):
        answering(200, body).find_invoice(make_request())
