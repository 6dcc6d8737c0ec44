"""The KolayBi adapter against its simulator over real HTTP on loopback, with real Redis
(db 15, keys under a random per-test prefix, removed afterwards)."""

from __future__ import annotations

import time
from dataclasses import replace
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
import redis
from pydantic import SecretStr

from sync_engine.providers.kolaybi.config import KolayBiConfig
from sync_engine.domain import Address, Buyer, BuyerKind, InvoiceLine, LineKind, Order
from sync_engine.providers.auth import TokenCache
from sync_engine.providers.base import (
    BaseProvider,
    Capability,
    CustomerRef,
    InvoiceRef,
    InvoiceRequest,
    ReturnOf,
    SendState,
)
from sync_engine.providers.errors import AuthError, PermanentError, TransientError, UnsupportedCapability
from sync_engine.providers.http import CallRecord, observe_calls
from sync_engine.providers.kolaybi import KolayBiProvider, message_of
from sync_engine.providers.kolaybi.forms import bracket_form
from sync_engine.providers.ratelimit import RedisTokenBucket
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.contract import Refusal, refusals
from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.sandbox.http_util import parse_bracket_form
from sync_engine.sandbox.kolaybi import contract as kb_contract
from sync_engine.sandbox.kolaybi import DEFAULT_API_KEY, DEFAULT_CHANNEL, KolayBiSimulator
from tests.support.orders import SETTINGS
from tests.support.providers import KOLAYBI_LINES as LINES
from tests.support.providers import assert_no_violations, sale_request
from tests.support.providers import redis_client, redis_namespace, sandbox, sandbox_server, sim  # noqa: F401
from tests.support.returns import refunded, return_request

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

    provider.cancel_e_archive(req, ref)
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
        provider.cancel_e_archive(req, ref)


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
        Capability.FIND_INVOICE, Capability.LIST_INVOICES, Capability.PROFORMA, Capability.CANCEL_E_ARCHIVE,
        Capability.WITHDRAW_DRAFT, Capability.RETURN_INVOICE,
    }
    methods = {Capability.CUSTOMER: "upsert_customer", Capability.INVOICE: "create_invoice",
               Capability.E_DOCUMENT: "send_e_document", Capability.E_DOCUMENT_STATE: "e_document_state",
               Capability.FIND_INVOICE: "find_invoice", Capability.LIST_INVOICES: "list_invoices",
               Capability.JOURNAL: "journal", Capability.PROFORMA: "create_proforma",
               Capability.RETURN_INVOICE: "create_return_invoice"}
    for capability, method in methods.items():
        overridden = getattr(KolayBiProvider, method) is not getattr(BaseProvider, method)
        assert overridden == provider.supports(capability), capability
    req = make_request()
    with pytest.raises(UnsupportedCapability):
        provider.journal(req, provider.create_invoice(req, provider.upsert_customer(req.order)))


# --- return (İADE) invoices -----------------------------------------------------------------


def sent_sale(provider: KolayBiProvider, buyer: Buyer = PERSON) -> tuple[InvoiceRequest, InvoiceRef, ReturnOf]:
    req = make_request(buyer)
    ref = provider.create_invoice(req, provider.upsert_customer(req.order))
    state = provider.send_e_document(req, ref)
    return req, ref, ReturnOf(ref.invoice_id, state.invoice_number, req.issue_date, state.gib_uuid)


def test_a_return_of_one_discounted_unit_references_the_sent_sale(
    provider: KolayBiProvider, sandbox: Sandbox, sim: KolayBiSimulator
) -> None:
    sale, _, original = sent_sale(provider)
    cup = sale.order.lines[0]  # 2 × 149.90 with 29.98 off: one cup back is 134.91
    ret = return_request(sale.order, (refunded(cup, Decimal(1)),), SETTINGS, date(2024, 5, 6))
    assert ret.order.paid_total == Decimal("134.91")
    customer = provider.upsert_customer(ret.order)
    ref = provider.create_return_invoice(ret, original, customer)
    stored = kolaybi_invoice(sim, ref.invoice_id)
    assert (stored["type"], stored["total_amount"], stored["return_invoice_references"]) == (
        "sale_return_invoice", 134.91, [{"serial_no": original.invoice_number, "issue_date": "2024-05-02"}])
    # Idempotent, found by the return job's own key; the sale is still found by its own.
    assert provider.create_return_invoice(ret, original, customer) == ref
    assert provider.find_invoice(ret) == ref
    assert provider.find_invoice(sale).invoice_id == original.invoice_id  # type: ignore[union-attr]
    sent = provider.send_e_document(ret, ref)
    assert (sent.state, sent.invoice_number) == (SendState.SENT, "DMS2024000000002")
    summary = sandbox.ledger.summary()["kolaybi"]
    assert (summary["invoice_created"], summary["return_invoice_created"], summary["gib_send"]) == (1, 1, 2)
    assert_no_violations(sandbox)


def test_a_shipping_only_return(provider: KolayBiProvider, sim: KolayBiSimulator, sandbox: Sandbox) -> None:
    sale, _, original = sent_sale(provider)
    ret = return_request(sale.order, (sale.order.lines[3],), SETTINGS, date(2024, 5, 6), refund_id="ship")
    ref = provider.create_return_invoice(ret, original, provider.upsert_customer(ret.order))
    assert kolaybi_invoice(sim, ref.invoice_id)["total_amount"] == 39.90
    assert_no_violations(sandbox)


def test_a_return_of_an_unsent_sale_stops_before_any_call(provider: KolayBiProvider, sandbox: Sandbox) -> None:
    req = make_request()
    customer = provider.upsert_customer(req.order)
    ref = provider.create_invoice(req, customer)
    ret = return_request(req.order, req.order.lines[:1], SETTINGS, date(2024, 5, 6))
    calls: list[CallRecord] = []
    with observe_calls(calls.append), pytest.raises(PermanentError):
        provider.create_return_invoice(ret, ReturnOf(ref.invoice_id, None, None), customer)
    assert [c.operation for c in calls] == ["kolaybi.invoices.search"]  # the search, nothing made
    assert sandbox.ledger.count("kolaybi", "return_invoice_created") == 0


@pytest.mark.parametrize(
    ("reference", "said"),
    [({"serial_no": "DMS2024000000099", "issue_date": "2024-05-02"}, "bulunamadı"),
     ({"serial_no": "UNSENT", "issue_date": "2024-05-02"}, "gönderilmiş bir fatura değil"),
     ({"serial_no": "SENT", "issue_date": "2024-05-01"}, "tarihi")],
)
def test_kolaybi_refuses_a_return_of_no_sent_sale(
    sandbox_server: SandboxServer, sandbox: Sandbox, sim: KolayBiSimulator, reference: dict, said: str
) -> None:
    api = _Raw(sandbox_server)
    api.setup()  # invoice 9001, not sent
    sent = {**VALID["POST /kolaybi/v1/invoices"], "document_scenario": None, "vat_exemption_reason_code": None,
            "document_type": None}
    sent = {k: v for k, v in sent.items() if v is not None}
    document_id = api.post("/invoices", sent).json()["data"]["document_id"]
    assert api.post("/invoices/e-document/create", {"document_id": str(document_id)}).status_code == 200
    if reference["serial_no"] == "UNSENT":
        sim.books.invoices[9001].no = "DMS2024000000050"  # numbered, yet never sent
        reference = {**reference, "serial_no": "DMS2024000000050"}
    elif reference["serial_no"] == "SENT":
        reference = {**reference, "serial_no": sim.books.invoices[document_id].no}
    before = len(sandbox.ledger.effects("kolaybi"))
    body = {**sent, "type": "sale_return_invoice", "return_invoice_references": [reference]}
    response = api.post("/invoices", body)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["success"] is False and said in answer["message"]
    assert len(sandbox.ledger.effects("kolaybi")) == before


def test_a_return_of_a_sent_sale_is_accepted_over_plain_http(
    sandbox_server: SandboxServer, sandbox: Sandbox, sim: KolayBiSimulator
) -> None:
    api = _Raw(sandbox_server)
    api.setup()
    assert api.post("/invoices/e-document/create", {"document_id": "9001"}).status_code == 200
    number = sim.books.invoices[9001].no
    body = {"contact_id": "1001", "address_id": "5001", "order_date": "2024-05-03", "currency": "TRY",
            "receiver_email": "ayse@example.com", "items": [dict(_ITEM)], "type": "sale_return_invoice",
            "return_invoice_references": [{"serial_no": number, "issue_date": "2024-05-02"}]}
    response = api.post("/invoices", body)
    assert response.status_code == 200, response.text
    assert sandbox.ledger.count("kolaybi", "return_invoice_created") == 1
    assert_no_violations(sandbox)


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


# --- proformas (seed 003) --------------------------------------------------------------------


def test_proforma_per_seed_003_with_its_total_read_back(provider: KolayBiProvider, sandbox: Sandbox,
                                                        sim: KolayBiSimulator) -> None:
    req = make_request(order_id="2001", issue=date(2024, 5, 1))
    customer = provider.upsert_customer(req.order)
    ref = provider.create_proforma(req, customer)
    assert ref.total == Decimal("564.72") == req.order.paid_total  # the answer's total_amount
    [body] = sim.received("POST /kolaybi/v1/proformas")
    assert (body["contact_id"], body["address_id"]) == (customer.customer_id, str(customer.extra["address_id"]))
    assert (body["order_date"], body["due_date"], body["currency"]) == ("2024-05-01", "2024-05-04", "TRY")
    assert body["serial_no"] == "#2001" == ref.number  # the order name numbers the proforma
    assert body["description"] == f"Proforma {req.reference}"
    assert [i["vat_rate"] for i in body["items"]] == ["20", "10", "1", "20"]
    assert {i["product_id"] for i in body["items"]} == {str(p) for p in sim.books.products}
    assert set(body) == {"contact_id", "address_id", "order_date", "currency", "items", "serial_no",
                         "due_date", "description"}  # no e-Belge field: a proforma never goes to GİB
    assert sandbox.ledger.count("kolaybi", "proforma_created", "#2001") == 1
    assert sandbox.ledger.count("kolaybi", "invoice_created") == 0
    # Seed 003 documents no list or get: nothing to search, said so rather than guessed.
    assert provider.find_proforma(req) is None
    assert_no_violations(sandbox)


def test_proforma_due_days_come_from_the_store(provider: KolayBiProvider, sim: KolayBiSimulator) -> None:
    req = make_request(order_id="2002", issue=date(2024, 5, 1))
    req = replace(req, settings=replace(req.settings, proforma_due_days=10))
    provider.create_proforma(req, provider.upsert_customer(req.order))
    assert sim.received("POST /kolaybi/v1/proformas")[0]["due_date"] == "2024-05-11"


def test_a_proforma_answer_without_a_total_is_classified_naming_the_field() -> None:
    p = KolayBiProvider(base_url="http://kolaybi.test", api_key="k", channel="c")

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/access_token"):
            return httpx.Response(200, json={"success": True, "data": "tok"})
        if request.url.path.endswith("/products") and request.method == "GET":
            return httpx.Response(200, json={"success": True, "data": [{"id": 1, "code": "KARGO"}],
                                             "pagination": {"current_page": 1, "per_page": 100, "total": 1}})
        return httpx.Response(200, json={"data": {"id": 5, "document_id": "#1"}})

    p.http.client = httpx.Client(base_url="http://kolaybi.test", transport=httpx.MockTransport(answer),
                                 auth=p.http.client.auth)
    lines = (InvoiceLine(name="Standart Kargo", quantity="1", unit_price="39.90", vat_rate="20",
                         kind=LineKind.SHIPPING),)
    req = make_request(lines=lines, paid="39.90")
    with pytest.raises(PermanentError, match="data.total_amount"):
        p.create_proforma(req, CustomerRef("1001", {"address_id": 5001}))


# --- the cari kept current -----------------------------------------------------------------------


def test_known_cari_gets_the_new_address_before_the_invoice(provider: KolayBiProvider, sandbox: Sandbox,
                                                            sim: KolayBiSimulator) -> None:
    first = provider.upsert_customer(make_request().order)
    moved = PERSON.model_copy(update={"address": Address(line1="Bağdat Cad. 5", district="Maltepe",
                                                         city="İstanbul")})
    req = make_request(moved, "5012360")
    known = provider.upsert_customer(req.order, known=first)
    assert known.customer_id == first.customer_id and known.extra["address_id"] != first.extra["address_id"]
    [address] = sim.received("POST /kolaybi/v1/address/create")
    assert (address["associate_id"], address["city"], address["district"]) == (
        first.customer_id, "İstanbul", "Maltepe")
    ref = provider.create_invoice(req, known)
    assert kolaybi_invoice(sim, ref.invoice_id)["address_id"] == known.extra["address_id"]
    assert sandbox.ledger.count("kolaybi", "cari_created") == 1
    assert_no_violations(sandbox)


@pytest.mark.parametrize(
    ("buyer", "change", "named"),
    [
        (PERSON, {"last_name": "Kaya"}, "surname"),
        (PERSON, {"first_name": "Ayşegül"}, "name"),
        (COMPANY, {"company_name": "Örnek Yazılım A.Ş."}, "name"),
        (COMPANY, {"tax_office": "Üsküdar"}, "tax_office"),
    ],
)
def test_a_changed_name_cannot_be_updated_and_stops_naming_the_field(
    provider: KolayBiProvider, sandbox: Sandbox, buyer: Buyer, change: dict, named: str
) -> None:
    known = provider.upsert_customer(make_request(buyer).order)
    renamed = buyer.model_copy(update=change)
    calls: list[CallRecord] = []
    with observe_calls(calls.append), pytest.raises(PermanentError) as caught:
        provider.upsert_customer(make_request(renamed, "5012361").order, known=known)
    assert f"{named} (KolayBi has" in caught.value.message
    assert "cannot update a cari" in caught.value.message
    assert {c.operation for c in calls} == {"kolaybi.associates.search"}  # nothing written
    # Case and spacing are no change.
    def turkish_upper(text: str) -> str:
        return text.translate(str.maketrans({"i": "İ", "ı": "I"})).upper()

    same = buyer.model_copy(update={k: f" {turkish_upper(str(getattr(buyer, k)))}  " for k in change})
    assert provider.upsert_customer(make_request(same, "5012362").order, known=known) == known
    assert sandbox.ledger.count("kolaybi", "cari_created") == 1


# --- every real request inside its documented contract --------------------------------------------


def test_every_real_request_is_accepted_by_its_contract(
    provider: KolayBiProvider, sandbox: Sandbox, sim: KolayBiSimulator
) -> None:
    CONTRACTS = kb_contract.CONTRACTS
    anon = Buyer(kind=BuyerKind.ANONYMOUS, tax_id="11111111111", first_name="Mehmet", last_name="Demir",
                 email="mehmet@example.com", address=ADDRESS)
    for n, buyer in enumerate((PERSON, COMPANY, anon)):
        req = make_request(buyer, f"50130{n}")
        customer = provider.upsert_customer(req.order)
        ref = provider.create_invoice(req, customer)
        provider.send_e_document(req, ref)
        provider.e_document_state(req, ref)
        provider.create_proforma(make_request(buyer, f"50131{n}"), customer)
    moved = PERSON.model_copy(update={"address": Address(line1="Bağdat Cad. 5", district="", city="Ankara")})
    provider.upsert_customer(make_request(moved, "501399").order, known=customer)
    provider.cancel_e_archive(req, ref)
    list(provider.list_invoices(date(2024, 5, 1), date(2024, 5, 31)))
    assert all(c.ok for c in provider.check())
    seen: dict[str, int] = {}
    for ep in CONTRACTS:
        for body in sim.received(ep):
            assert CONTRACTS[ep].violations(body) == [], (ep, body)
            seen[ep] = seen.get(ep, 0) + 1
    assert set(seen) == set(CONTRACTS)  # every documented contract was exercised
    assert_no_violations(sandbox)


def test_the_documents_examples_are_accepted(sandbox_server: SandboxServer, sim: KolayBiSimulator,
                                             sandbox: Sandbox) -> None:
    example = kb_contract.example
    api = _Raw(sandbox_server)
    api.setup()
    proforma = example("proforma")  # seed 003's cURL example, ids pointing at existing records
    proforma.update(contact_id="1001", address_id="5001")
    proforma["items"][0]["product_id"] = "2001"
    answer = api.post("/proformas", proforma)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["total_amount"] == 236.0  # 2 × 100.00 + 18 % KDV, as seed 003 shows
    # Seed 002's e-document example (document_id of the invoice the setup made).
    assert api.post("/invoices/e-document/create", {"document_id": "9001"}).status_code == 200
    assert sandbox.ledger.count("kolaybi", "proforma_created", "PROF-001") == 1
    assert_no_violations(sandbox)


# --- every derived refusal over HTTP, in KolayBi's error shape ------------------------------------


_ADDRESS_FORM = {"address": "Moda Cad. 12", "city": "İstanbul", "district": "Kadıköy", "country": "Türkiye",
                 "address_type": "invoice", "is_abroad": "0", "street": "Moda Cad.", "building_name": "Apt",
                 "number": "12", "postal_code": "34710"}
_SALE = {"url": "https://kolay-shop.example", "payment_type": "credit-card", "payment_platform": "iyzico",
         "payment_date": "2024-05-01"}
_SHIPMENT = {"carrier_company": "Örnek Kargo A.Ş.", "carrier_person": "Ali Veli",
             "carrier_company_tax_number": "4567890128", "carrier_date": "2024-05-02"}
_ITEM = {"product_id": "2001", "quantity": "2", "unit_price": "100.00", "vat_rate": "20",
         "description": "Kupa", "discount_amount": "10.00"}
# One valid request per contract, every optional field present so each mark can be broken; the
# ids are those the setup creates (associate 1001, its address 5001, product 2001, invoice 9001).
VALID: dict[str, dict] = {
    "POST /kolaybi/v1/access_token": {"api_key": DEFAULT_API_KEY},
    "GET /kolaybi/v1/associates": {"code": "A1", "name": "Ayşe", "surname": "Yılmaz", "identity_no": "12345678950",
                                   "email": "ayse@example.com", "group": "customer", "page": "1", "per_page": "10"},
    "POST /kolaybi/v1/associates": {
        "name": "Zeynep", "surname": "Kaya", "identity_no": "10000000146", "is_corporate": "0",
        "associate_type": "customer", "tax_office": "Kadıköy", "website": "https://z.example", "code": "Z1",
        "tags": ["web"], "phone": "+905551112233", "email": "zeynep@example.com", "addresses": dict(_ADDRESS_FORM)},
    "POST /kolaybi/v1/address/create": {"associate_id": "1001", **_ADDRESS_FORM, "address_location": "other"},
    "GET /kolaybi/v1/products": {"barcode": "869", "code": "KUPA-01", "name": "Kupa", "type": "good",
                                 "group": "Mutfak", "full_text_search": "kupa", "page": "1", "per_page": "10"},
    "POST /kolaybi/v1/products": {"name": "Tabak", "code": "TABAK-1", "barcode": "8690001", "description": "Tabak",
                                  "product_type": "good", "vat_rate": "20", "price": "50.00",
                                  "price_currency": "TRY", "quantity": "5"},
    "POST /kolaybi/v1/invoices": {
        "contact_id": "1001", "address_id": "5001", "order_date": "2024-05-02", "currency": "TRY",
        "items": [{**_ITEM, "gtip_no": "691200000000"}], "serial_no": "KLY", "due_date": "2024-05-09",
        "description": "#1001 (woocommerce 1001)", "receiver_email": "ayse@example.com", "type": "sale_invoice",
        "tracking_currency": "TRY", "tags": ["web"], "subtotal_discount_amount": "0",
        "subtotal_correction_amount": "0.01", "exchange_rate": "1", "cross_currency_rate": "1",
        "document_scenario": "TEMELFATURA", "document_type": "SATIS", "vat_exemption_reason_code": "351",
        "shipment_include": "0", "order_reference": {"serial_no": "#1001", "issue_date": "2024-05-01"},
        "internet_sale": dict(_SALE), "internet_sale_shipment": dict(_SHIPMENT)},
    "GET /kolaybi/v1/invoices": {"type": "sale_invoice", "page": "1", "per_page": "10"},
    "GET /kolaybi/v1/invoices/{document_id}": {},
    "GET /kolaybi/v1/companies": {},
    "POST /kolaybi/v1/invoices/e-document/create": {"document_id": "9001", "prefix": "KLY"},
    "POST /kolaybi/v1/invoices/e-document/cancel": {"document_id": "9001", "cancel_date": "2024-05-03",
                                                   "cancel_time": "10:00"},
    "GET /kolaybi/v1/e_document/invoices": {
        "company_id": "1", "direction": "outbound", "document_id": "9001", "min_issue_date": "2024-05-01",
        "max_issue_date": "2024-05-31", "min_total_amount": "0", "max_total_amount": "1000",
        "party_name": "Ayşe", "page": "1", "per_page": "10"},
    "POST /kolaybi/v1/proformas": {
        "contact_id": "1001", "address_id": "5001", "order_date": "2024-05-02", "currency": "TRY",
        "items": [dict(_ITEM)], "serial_no": "#1001", "due_date": "2024-05-05", "description": "Proforma #1001"},
}


def _on_the_wire(body: dict) -> dict:
    """What the simulator reads after the body travels as a form (or query): text only."""
    return parse_bracket_form(list(bracket_form(body).items()))


def _cases() -> list[tuple[str, Refusal]]:
    out = []
    for ep, contract in kb_contract.CONTRACTS.items():
        for case in refusals(contract, VALID[ep]):
            # A form or query carries text only: a wrong kind that arrives as valid text (12345 as
            # the string "12345") cannot be sent. The token call alone is JSON.
            if ep.endswith("/access_token") or contract.violations(_on_the_wire(case.body)):
                out.append((ep, case))
    return out


CASES = _cases()


class _Raw:
    """Plain HTTP to the simulator, as KolayBi's own examples call it."""

    def __init__(self, server: SandboxServer) -> None:
        self.client = httpx.Client(base_url=server.url + "/kolaybi/kolaybi/v1", timeout=5)
        token = self.client.post("/access_token", json={"api_key": DEFAULT_API_KEY},
                                 headers={"Channel": DEFAULT_CHANNEL}).json()["data"]
        self.headers = {"Authorization": f"Bearer {token}", "Channel": DEFAULT_CHANNEL}

    def post(self, path: str, body: dict) -> httpx.Response:
        return self.client.post(path, data=bracket_form(body), headers=self.headers)

    def get(self, path: str, params: dict) -> httpx.Response:
        return self.client.get(path, params=bracket_form(params), headers=self.headers)

    def setup(self) -> None:
        """Associate 1001 (address 5001), product 2001, invoice 9001: the ids VALID names."""
        person = {"name": "Ayşe", "surname": "Yılmaz", "identity_no": "12345678950",
                  "email": "ayse@example.com", "addresses": {"city": "İstanbul", "district": "Kadıköy"}}
        assert self.post("/associates", person).json()["data"]["address"][0]["id"] == 5001
        assert self.post("/products", {"name": "Kupa", "code": "KUPA-01"}).json()["data"]["id"] == 2001
        invoice = {"contact_id": "1001", "address_id": "5001", "order_date": "2024-05-02", "currency": "TRY",
                   "receiver_email": "ayse@example.com", "items": [dict(_ITEM)]}
        assert self.post("/invoices", invoice).json()["data"]["document_id"] == 9001


@pytest.mark.parametrize(("ep", "case"), CASES, ids=[f"{ep} | {c.what}" for ep, c in CASES])
def test_the_simulator_refuses_what_the_contract_refuses(
    sandbox_server: SandboxServer, sandbox: Sandbox, ep: str, case: Refusal
) -> None:
    api = _Raw(sandbox_server)
    api.setup()
    before = len(sandbox.ledger.effects("kolaybi"))
    method, path = ep.split(" ", 1)
    path = path.removeprefix("/kolaybi/v1").replace("{document_id}", "9001")
    if path == "/access_token":
        response = api.client.post(path, json=case.body, headers={"Channel": DEFAULT_CHANNEL})
    elif method == "GET":
        response = api.get(path, case.body)
    else:
        response = api.post(path, case.body)
    assert response.status_code == 422, (case.what, response.text)
    answer = response.json()
    assert answer["success"] is False and isinstance(answer["message"], str) and answer["message"]
    assert [v.status for v in sandbox.state.violations.list("kolaybi")] == [422]
    assert len(sandbox.ledger.effects("kolaybi")) == before  # refused: no effect


def test_the_valid_requests_are_accepted(sandbox_server: SandboxServer, sandbox: Sandbox) -> None:
    """The other side of the refusals: each VALID request passes the simulator's contract."""
    api = _Raw(sandbox_server)
    api.setup()
    for ep, body in VALID.items():
        method, path = ep.split(" ", 1)
        path = path.removeprefix("/kolaybi/v1").replace("{document_id}", "9001")
        if path == "/access_token" or path.endswith("/cancel"):
            continue  # the token is the setup's; a cancel needs a sent invoice (below)
        response = api.get(path, body) if method == "GET" else api.post(path, body)
        assert response.status_code == 200, (ep, response.text)
    assert api.post("/invoices/e-document/cancel", VALID["POST /kolaybi/v1/invoices/e-document/cancel"]).status_code == 200
    assert_no_violations(sandbox)


@pytest.mark.parametrize(
    ("body", "said"),
    [({"success": False, "message": "Fatura bulunamadı"}, "Fatura bulunamadı"),
     ({"success": False, "error": {"message": "Geçersiz kanal"}}, "Geçersiz kanal"),
     ({"success": False, "error": "Yetkisiz"}, "Yetkisiz")],
)
def test_message_of_reads_kolaybis_error_shapes(body: dict, said: str) -> None:
    assert message_of(httpx.Response(422, json=body)) == said


def test_a_proforma_asks_for_the_exact_amount_despite_kolaybis_rounding(
    provider: KolayBiProvider, sim: KolayBiSimulator
) -> None:
    # KolayBi rounds VAT per item (3 × 0.17 = 0.51); the customer owes 3.09. Seed 003 has no
    # correction field: one item's net unit price absorbs the kuruş, so KolayBi's own total
    # is the amount to transfer.
    lines = tuple(
        InvoiceLine(sku=f"S{i}", name=f"Şeker {i}", quantity="1", unit_price="1.03", vat_rate="20")
        for i in range(3)
    )
    req = make_request(lines=lines, paid="3.09")
    customer = provider.upsert_customer(req.order)
    ref = provider.create_proforma(req, customer)
    assert ref.total == Decimal("3.09") == req.order.paid_total
    provider.create_invoice(req, customer)  # the invoice corrects with subtotal_correction_amount
    [proforma] = sim.received("POST /kolaybi/v1/proformas")
    [invoice] = sim.received("POST /kolaybi/v1/invoices")
    moved = [(p["unit_price"], i["unit_price"]) for p, i in zip(proforma["items"], invoice["items"], strict=True)
             if p["unit_price"] != i["unit_price"]]
    assert len(moved) == 1 and abs(Decimal(moved[0][0]) - Decimal(moved[0][1])) == Decimal("0.01")
    assert invoice["subtotal_correction_amount"] == "0.01"


def test_a_rejected_e_fatura_fails_with_gibs_own_words(provider: KolayBiProvider, sim: KolayBiSimulator) -> None:
    req = make_request(COMPANY)
    ref = provider.create_invoice(req, provider.upsert_customer(req.order))
    provider.send_e_document(req, ref)
    sim.reject(int(ref.invoice_id), "RED: fiyat hatalı")
    state = provider.e_document_state(req, ref)
    assert (state.state, state.raw_status, state.message) == (SendState.FAILED, "rejected", "RED: fiyat hatalı")


def test_an_unknown_invoice_status_is_a_permanent_error_naming_the_field() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/access_token"):
            return httpx.Response(200, json={"success": True, "data": "tok"})
        return httpx.Response(200, json={"success": True, "data": {
            "document_id": 9001, "status": "processing_at_gib", "uuid": "u", "no": "KLY2024000000001"}})

    p = KolayBiProvider(base_url="http://kolaybi.test", api_key="k", channel="c")
    p.http.client = httpx.Client(base_url="http://kolaybi.test", transport=httpx.MockTransport(answer),
                                 auth=p.http.client.auth)
    with pytest.raises(PermanentError, match="status: KolayBi answered the invoice status 'processing_at_gib'"):
        p.e_document_state(make_request(), InvoiceRef("9001"))


def test_an_invoice_answer_without_either_id_names_the_field() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/access_token"):
            return httpx.Response(200, json={"success": True, "data": "tok"})
        return httpx.Response(200, json={"success": True, "data": {"status": "sent", "uuid": "u"}})

    p = KolayBiProvider(base_url="http://kolaybi.test", api_key="k", channel="c")
    p.http.client = httpx.Client(base_url="http://kolaybi.test", transport=httpx.MockTransport(answer),
                                 auth=p.http.client.auth)
    with pytest.raises(PermanentError, match="data.document_id: the answer carries neither"):
        p.e_document_state(make_request(), InvoiceRef("9001"))
