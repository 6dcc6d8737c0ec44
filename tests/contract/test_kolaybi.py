"""The KolayBi adapter against its simulator over real HTTP on loopback, with real Redis
(db 15, keys under a random per-test prefix, removed afterwards)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
import redis
from pydantic import SecretStr

from sync_engine.providers.kolaybi.config import KolayBiConfig
from sync_engine.domain import Address, Buyer, BuyerKind, InvoiceLine, Order
from sync_engine.providers.auth import TokenCache
from sync_engine.providers.base import BaseProvider, Capability, InvoiceRequest, SendState
from sync_engine.providers.errors import AuthError, PermanentError, TransientError, UnsupportedCapability
from sync_engine.providers.http import CallRecord, observe_calls
from sync_engine.providers.kolaybi import KolayBiProvider
from sync_engine.providers.ratelimit import RedisTokenBucket
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.sandbox.kolaybi import DEFAULT_API_KEY, DEFAULT_CHANNEL, KolayBiSimulator
from tests.support.orders import SETTINGS
from tests.support.providers import KOLAYBI_LINES as LINES
from tests.support.providers import assert_no_violations, sale_request
from tests.support.providers import redis_client, redis_namespace, sandbox, sandbox_server, sim  # noqa: F401

# Every test starts from a reset sandbox, also those that only talk through a provider.
pytestmark = pytest.mark.usefixtures("sandbox")

SIMULATOR = KolayBiSimulator  # the one the sandbox fixtures serve
ADDRESS = Address(line1="Moda Cad. 12", district="Kadıköy", city="İstanbul", postal_code="34710")
PERSON = Buyer(kind=BuyerKind.PERSON, tax_id="12345678950", first_name="Ayşe", last_name="Yılmaz",
               email="ayse@example.com", address=ADDRESS)
COMPANY = Buyer(kind=BuyerKind.COMPANY, tax_id="1234567890", company_name="Örnek Teknoloji A.Ş.",
                tax_office="Kadıköy", email="muhasebe@ornek.com.tr", address=ADDRESS)


def make_request(buyer: Buyer = PERSON, order_id: str = "5012345", *, lines: tuple[InvoiceLine, ...] = LINES,
                 paid: str = "564.72", issue: date = date(2024, 5, 2)) -> InvoiceRequest:
    order = Order(
        store_id="demo-shop", platform="shopify", order_id=order_id, order_name=f"#{order_id[-4:]}",
        created_at=datetime(2024, 5, 1, 10, 30, tzinfo=UTC), buyer=buyer, lines=lines, paid_total=paid,
    )
    return sale_request(order, SETTINGS, issue)


ProviderFactory = Callable[..., KolayBiProvider]


@pytest.fixture
def make_provider(
    sandbox_server: SandboxServer, redis_client: redis.Redis, redis_namespace: str
) -> Iterator[ProviderFactory]:
    made: list[KolayBiProvider] = []

    def factory(**over: object) -> KolayBiProvider:
        kwargs: dict[str, object] = dict(
            base_url=sandbox_server.url + "/kolaybi", api_key=DEFAULT_API_KEY, channel=DEFAULT_CHANNEL,
            timeout_s=5.0, token_cache=TokenCache(redis_client, namespace=redis_namespace + "token:"),
            account_key=redis_namespace + "account",
        )
        kwargs.update(over)
        provider = KolayBiProvider(**kwargs)  # type: ignore[arg-type]
        made.append(provider)
        return provider

    yield factory
    for provider in made:
        provider.close()


@pytest.fixture
def provider(make_provider: ProviderFactory) -> KolayBiProvider:
    return make_provider()


def kolaybi_invoice(sim: KolayBiSimulator, invoice_id: str) -> dict:
    return sim.books.invoices[int(invoice_id)].as_json()


# --- happy paths ---------------------------------------------------------------------------


def test_e_arsiv_from_cari_to_cancel(provider: KolayBiProvider, sandbox: Sandbox, sim: KolayBiSimulator) -> None:
    req = make_request()
    assert provider.find_invoice(req) is None
    customer = provider.upsert_customer(req.order)
    assert set(customer.extra) == {"address_id"}
    ref = provider.create_invoice(req, customer)
    stored = kolaybi_invoice(sim, ref.invoice_id)
    assert (stored["total_amount"], stored["status"], stored["description"]) == (
        564.72, "ready_to_send", req.reference)
    assert (stored["contact_id"], stored["address_id"]) == (int(customer.customer_id), customer.extra["address_id"])
    assert provider.e_document_state(req, ref).state is SendState.NOT_SENT

    sent = provider.send_e_document(req, ref)
    # status sent with the GİB uuid and number: final (FACTS §1.3)
    assert (sent.state, sent.raw_status) == (SendState.SENT, "sent")
    assert sent.invoice_number == "DMS2024000000001"
    assert sent.gib_uuid is not None and len(sent.gib_uuid) == 36
    sandbox.state.clock.advance(sandbox.state.status_step_s)
    approved = provider.e_document_state(req, ref)
    assert (approved.state, approved.gib_uuid, approved.raw_status) == (SendState.SENT, sent.gib_uuid, "approved")

    found = provider.find_invoice(req)
    assert found is not None
    assert (found.invoice_id, found.ettn, found.invoice_number) == (ref.invoice_id, sent.gib_uuid, "DMS2024000000001")
    listed = list(provider.list_invoices(date(2024, 5, 1), date(2024, 5, 31)))
    assert [(r.invoice_id, r.order_ref, r.total, r.sent, r.invoice_number) for r in listed] == [
        (ref.invoice_id, req.reference, Decimal("564.72"), True, "DMS2024000000001")]

    provider.cancel_invoice(req, ref)
    assert provider.e_document_state(req, ref).state is SendState.CANCELLED
    assert sandbox.ledger.summary()["kolaybi"] == {
        "cari_created": 1, "product_created": 4, "invoice_created": 1, "gib_send": 1, "cancel": 1,
    }
    assert sandbox.ledger.effects("kolaybi", "gib_send")[0].detail["document_type"] == "e_arsiv"
    assert_no_violations(sandbox)


def test_registered_company_gets_an_e_fatura_which_cannot_be_cancelled(
    provider: KolayBiProvider, sandbox: Sandbox
) -> None:
    req = make_request(COMPANY)
    ref = provider.create_invoice(req, provider.upsert_customer(req.order))
    assert provider.send_e_document(req, ref).state is SendState.SENT
    assert sandbox.ledger.effects("kolaybi", "gib_send")[0].detail["document_type"] == "e_fatura"
    assert_no_violations(sandbox)
    with pytest.raises(PermanentError, match="iade faturası"):
        provider.cancel_invoice(req, ref)


def test_anonymous_buyers_get_one_cari_each(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    anon = Buyer(kind=BuyerKind.ANONYMOUS, tax_id="11111111111", first_name="Mehmet", last_name="Demir",
                 email="mehmet@example.com", address=ADDRESS)
    other = anon.model_copy(update={"first_name": "Zeynep", "last_name": "Kaya", "email": "zeynep@example.com"})
    first = provider.upsert_customer(make_request(anon).order)
    second = provider.upsert_customer(make_request(other, "5012346").order)
    again = provider.upsert_customer(make_request(anon, "5012347").order)
    assert first.customer_id != second.customer_id
    assert again == first
    assert sandbox.ledger.per_key("kolaybi", "cari_created") == {
        f"11111111111:{anon.distinguishing_code}": 1, f"11111111111:{other.distinguishing_code}": 1,
    }
    assert_no_violations(sandbox)


def test_the_correction_makes_kolaybis_total_the_paid_total(provider: KolayBiProvider, sim: KolayBiSimulator) -> None:
    # KolayBi rounds VAT per item (3 × 0.17); our per-rate VAT is 0.52: +0.01 corrects it.
    lines = tuple(
        InvoiceLine(sku=f"S{i}", name=f"Şeker {i}", quantity="1", unit_price="1.03", vat_rate="20")
        for i in range(3)
    )
    req = make_request(lines=lines, paid="3.09")
    stored = kolaybi_invoice(sim, provider.create_invoice(req, provider.upsert_customer(req.order)).invoice_id)
    assert (stored["vat_amount"], stored["subtotal_correction_amount"], stored["total_amount"]) == (0.51, 0.01, 3.09)


# --- idempotency ---------------------------------------------------------------------------


def test_twice_is_once(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    req = make_request()
    customer = provider.upsert_customer(req.order)
    assert provider.upsert_customer(req.order) == customer
    ref = provider.create_invoice(req, customer)
    assert provider.create_invoice(req, customer) == ref
    # Another order of the same buyer with the same products: new invoice, no new products.
    provider.create_invoice(make_request(order_id="5012399"), customer)
    assert sandbox.ledger.count("kolaybi", "cari_created") == 1
    assert sandbox.ledger.count("kolaybi", "invoice_created") == 2
    assert sandbox.ledger.per_key("kolaybi", "product_created") == {
        "KUPA-01": 1, "SE-FAFE69536760": 1, "KITAP-7": 1, "KARGO": 1}
    assert_no_violations(sandbox)


def test_returning_buyer_with_a_new_address(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    first = provider.upsert_customer(make_request().order)
    moved = PERSON.model_copy(update={"address": Address(line1="Bağdat Cad. 5", district="Maltepe", city="İstanbul")})
    second = provider.upsert_customer(make_request(moved, "5012350").order)
    assert second.customer_id == first.customer_id
    assert second.extra["address_id"] != first.extra["address_id"]
    assert provider.upsert_customer(make_request(moved, "5012351").order) == second
    assert sandbox.ledger.count("kolaybi", "address_created") == 1
    assert_no_violations(sandbox)


def test_send_twice_is_refused_by_kolaybi(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    req = make_request()
    ref = provider.create_invoice(req, provider.upsert_customer(req.order))
    provider.send_e_document(req, ref)
    with pytest.raises(PermanentError, match="zaten GİB'e gönderildi"):
        provider.send_e_document(req, ref)
    assert sandbox.ledger.count("kolaybi", "gib_send") == 1


def test_list_invoices_pages_through_the_window(provider: KolayBiProvider, sim: KolayBiSimulator) -> None:
    customer = provider.upsert_customer(make_request().order)
    for n, day in enumerate((1, 2, 3, 20)):
        req = make_request(order_id=f"50124{n:02d}", issue=date(2024, 5, day))
        provider.send_e_document(req, provider.create_invoice(req, customer))
    provider.list_page_size = 2  # type: ignore[misc]
    window = provider.list_invoices(date(2024, 5, 1), date(2024, 5, 3))
    assert [r.issue_date for r in window] == [date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)]
    assert len(list(provider.list_invoices(date(2024, 5, 1), date(2024, 5, 31)))) == 4
    # Documented parameters only (C [KD-edlist]), company_id from GET /companies, read once.
    lists = sim.received("GET /kolaybi/v1/e_document/invoices")
    assert {tuple(sorted(q)) for q in lists} == {
        ("company_id", "direction", "max_issue_date", "min_issue_date", "page", "per_page")}
    assert {q["company_id"] for q in lists} == {"1"} and {q["direction"] for q in lists} == {"outbound"}
    assert len(sim.received("GET /kolaybi/v1/companies")) == 1


# --- refusals ------------------------------------------------------------------------------


def test_buyer_without_email_stops_before_anything_is_created(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    req = make_request(PERSON.model_copy(update={"email": ""}))
    customer = provider.upsert_customer(req.order)
    with pytest.raises(PermanentError, match="receiver_email"):
        provider.create_invoice(req, customer)
    assert sandbox.ledger.count("kolaybi", "product_created") == 0
    assert sandbox.ledger.count("kolaybi", "invoice_created") == 0


def test_a_paid_total_far_from_the_lines_is_refused(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    req = make_request(paid="570.00")  # 5.28 more than the lines: not a rounding matter
    with pytest.raises(PermanentError, match="subtotal_correction_amount"):
        provider.create_invoice(req, provider.upsert_customer(req.order))
    assert sandbox.ledger.count("kolaybi", "invoice_created") == 0


def test_an_unfixable_buyer_is_a_permanent_error(provider: KolayBiProvider) -> None:
    nameless = PERSON.model_copy(update={"address": Address(line1="Bir sokak")})
    with pytest.raises(PermanentError, match="city"):
        provider.upsert_customer(make_request(nameless).order)


def test_capabilities(provider: KolayBiProvider) -> None:
    assert provider.capabilities == {
        Capability.CUSTOMER, Capability.INVOICE, Capability.E_DOCUMENT, Capability.E_DOCUMENT_STATE,
        Capability.FIND_INVOICE, Capability.LIST_INVOICES, Capability.PROFORMA,
    }
    methods = {Capability.CUSTOMER: "upsert_customer", Capability.INVOICE: "create_invoice",
               Capability.E_DOCUMENT: "send_e_document", Capability.E_DOCUMENT_STATE: "e_document_state",
               Capability.FIND_INVOICE: "find_invoice", Capability.LIST_INVOICES: "list_invoices",
               Capability.JOURNAL: "journal", Capability.PROFORMA: "create_proforma"}
    for capability, method in methods.items():
        overridden = getattr(KolayBiProvider, method) is not getattr(BaseProvider, method)
        assert overridden == provider.supports(capability), capability
    req = make_request()
    with pytest.raises(UnsupportedCapability):
        provider.journal(req, provider.create_invoice(req, provider.upsert_customer(req.order)))


# --- faults --------------------------------------------------------------------------------


def test_before_500_is_transient_and_had_no_effect(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    req = make_request()
    customer = provider.upsert_customer(req.order)
    sandbox.state.faults.add(FaultRule("kolaybi", "invoices_create", FaultMode.BEFORE_500, times=1))
    with pytest.raises(TransientError) as caught:
        provider.create_invoice(req, customer)
    assert caught.value.status == 500
    assert sandbox.ledger.count("kolaybi", "invoice_created") == 0
    provider.create_invoice(req, customer)
    assert sandbox.ledger.count("kolaybi", "invoice_created") == 1


def test_a_gateway_timeout_after_the_create_reads_the_invoice_back(
    provider: KolayBiProvider, sandbox: Sandbox
) -> None:
    req = make_request()
    customer = provider.upsert_customer(req.order)
    sandbox.state.faults.add(FaultRule("kolaybi", "invoices_create", FaultMode.AFTER_504, times=1))
    ref = provider.create_invoice(req, customer)  # the 504 / 524 is answered by a read-back
    assert provider.find_invoice(req) == ref and ref.total == Decimal("564.72")
    assert sandbox.ledger.count("kolaybi", "invoice_created") == 1


def test_a_gateway_timeout_with_nothing_made_stays_transient(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    # A 524 (Cloudflare's timeout) before KolayBi made anything: the read-back finds nothing.
    req = make_request()
    customer = provider.upsert_customer(req.order)
    real = provider.http.client._transport

    def gateway(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/kolaybi/v1/invoices"):
            return httpx.Response(524, text="A timeout occurred")
        return real.handle_request(request)

    provider.http.client._transport = httpx.MockTransport(gateway)
    with pytest.raises(TransientError) as caught:
        provider.create_invoice(req, customer)
    assert caught.value.status == 524
    assert sandbox.ledger.count("kolaybi", "invoice_created") == 0


def test_after_504_on_e_document_the_probe_says_it_left(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    req = make_request()
    ref = provider.create_invoice(req, provider.upsert_customer(req.order))
    sandbox.state.faults.add(FaultRule("kolaybi", "e_document_create", FaultMode.AFTER_504, times=1))
    sent = provider.send_e_document(req, ref)  # read back at once: it left, never sent twice
    assert sent.state is SendState.SENT and sent.invoice_number == "DMS2024000000001"
    assert provider.e_document_state(req, ref) == sent
    assert sandbox.ledger.count("kolaybi", "gib_send") == 1


def test_a_gateway_timeout_before_the_send_is_transient_and_nothing_left(
    provider: KolayBiProvider, sandbox: Sandbox
) -> None:
    req = make_request()
    ref = provider.create_invoice(req, provider.upsert_customer(req.order))
    sandbox.state.faults.add(FaultRule("kolaybi", "e_document_create", FaultMode.BEFORE_500, times=1))
    with pytest.raises(TransientError):
        provider.send_e_document(req, ref)
    assert provider.e_document_state(req, ref).state is SendState.NOT_SENT
    assert sandbox.ledger.count("kolaybi", "gib_send") == 0


def test_after_stall_times_out_and_the_retry_finds_the_cari(make_provider: ProviderFactory, sandbox: Sandbox) -> None:
    impatient = make_provider(timeout_s=0.5)
    req = make_request()
    sandbox.state.faults.add(FaultRule("kolaybi", "associates_create", FaultMode.AFTER_STALL, stall_s=1.5, times=1))
    with pytest.raises(TransientError, match="timeout"):
        impatient.upsert_customer(req.order)
    assert sandbox.ledger.count("kolaybi", "cari_created") == 1
    time.sleep(1.1)  # let the stalled answer finish before the server is reused
    customer = impatient.upsert_customer(req.order)
    assert customer.customer_id == str(sandbox.ledger.effects("kolaybi", "cari_created")[0].detail["associate_id"])
    assert sandbox.ledger.count("kolaybi", "cari_created") == 1


def test_rate_429_is_transient_with_retry_after_and_pauses_the_account(
    make_provider: ProviderFactory, redis_client: redis.Redis, redis_namespace: str, sandbox: Sandbox,
) -> None:
    budget = RedisTokenBucket(redis_client, redis_namespace + "account", 50)
    limited = make_provider(budget=budget)
    sandbox.state.faults.add(FaultRule("kolaybi", "associates_search", FaultMode.RATE_429, retry_after_s=2, times=1))
    with pytest.raises(TransientError) as caught:
        limited.upsert_customer(make_request().order)
    assert (caught.value.status, caught.value.retry_after) == (429, 2.0)
    assert budget.try_acquire() > 1.0  # every worker of this account now waits
    assert sandbox.ledger.count("kolaybi", "cari_created") == 0


def test_refuse_422_is_permanent_with_kolaybis_message(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    req = make_request()
    ref = provider.create_invoice(req, provider.upsert_customer(req.order))
    sandbox.state.faults.add(FaultRule("kolaybi", "e_document_create", FaultMode.REFUSE_422, times=1))
    with pytest.raises(PermanentError, match="injected business rule") as caught:
        provider.send_e_document(req, ref)
    assert caught.value.status == 422
    assert provider.e_document_state(req, ref).state is SendState.NOT_SENT
    assert sandbox.ledger.count("kolaybi", "gib_send") == 0


def test_latency_is_only_slower(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    sandbox.state.faults.add(FaultRule("kolaybi", "associates_search", FaultMode.LATENCY, latency_ms=200))
    started = time.perf_counter()
    provider.upsert_customer(make_request().order)
    assert time.perf_counter() - started >= 0.2
    assert_no_violations(sandbox)


# --- auth ----------------------------------------------------------------------------------


def test_token_is_cached_in_redis_and_shared(make_provider: ProviderFactory, sim: KolayBiSimulator,
                                             redis_client: redis.Redis, redis_namespace: str) -> None:
    make_provider().upsert_customer(make_request().order)
    make_provider().upsert_customer(make_request().order)  # another worker, same account
    assert sim.tokens_issued == 1
    assert redis_client.ttl(f"{redis_namespace}token:{redis_namespace}account|{DEFAULT_CHANNEL}") > 23 * 3600


def test_expired_token_is_replaced_and_the_call_retried(
    provider: KolayBiProvider, sandbox: Sandbox, sim: KolayBiSimulator
) -> None:
    req = make_request()
    customer = provider.upsert_customer(req.order)
    sandbox.state.clock.advance(24 * 3600 + 1)  # the Redis copy is still alive; KolayBi says 401
    provider.create_invoice(req, customer)
    assert sim.tokens_issued == 2
    assert_no_violations(sandbox)


def test_bad_api_key_is_an_auth_error(make_provider: ProviderFactory) -> None:
    with pytest.raises(AuthError, match="Invalid api_key"):
        make_provider(api_key="not-the-key").upsert_customer(make_request().order)


def test_channel_not_of_the_key_is_an_auth_error(make_provider: ProviderFactory) -> None:
    with pytest.raises(AuthError, match="not authorised for channel"):
        make_provider(channel="someone-else").upsert_customer(make_request().order)


def test_token_endpoint_outage_is_transient(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    sandbox.state.faults.add(FaultRule("kolaybi", "access_token", FaultMode.BEFORE_500, times=1))
    with pytest.raises(TransientError):
        provider.upsert_customer(make_request().order)
    provider.upsert_customer(make_request().order)


def test_a_stalled_token_endpoint_times_out(make_provider: ProviderFactory, sandbox: Sandbox) -> None:
    # The token request is built by hand inside the auth flow: it must carry the timeout.
    sandbox.state.faults.add(FaultRule("kolaybi", "access_token", FaultMode.AFTER_STALL, stall_s=1.5, times=1))
    started = time.perf_counter()
    with pytest.raises(TransientError, match="timeout"):
        make_provider(timeout_s=0.5).upsert_customer(make_request().order)
    assert time.perf_counter() - started < 1.4
    time.sleep(1.1)


# --- configuration and observation ---------------------------------------------------------


def test_from_config(sandbox_server: SandboxServer, redis_client: redis.Redis, sandbox: Sandbox) -> None:
    cfg = KolayBiConfig(name="kolaybi", base_url=sandbox_server.url + "/kolaybi",
                        api_key=SecretStr(DEFAULT_API_KEY), channel=DEFAULT_CHANNEL, timeout_s=5,
                        max_requests_per_s=50)
    provider = KolayBiProvider.from_config(cfg, redis=redis_client)
    try:
        provider.upsert_customer(make_request().order)
        assert sandbox.ledger.count("kolaybi", "cari_created") == 1
    finally:
        provider.close()
        redis_client.delete(f"sync:token:{cfg.account_key()}|{DEFAULT_CHANNEL}", f"sync:rate:{cfg.account_key()}")


def test_every_call_is_observed(provider: KolayBiProvider) -> None:
    records: list[CallRecord] = []
    with observe_calls(records.append):
        req = make_request()
        provider.create_invoice(req, provider.upsert_customer(req.order))
    operations = [r.operation for r in records]
    assert operations[:2] == ["kolaybi.associates.search", "kolaybi.associates.create"]
    assert operations.count("kolaybi.products.create") == 4
    assert operations[-1] == "kolaybi.invoices.create"
    assert all(r.http_status == 200 and r.error_class is None for r in records)
