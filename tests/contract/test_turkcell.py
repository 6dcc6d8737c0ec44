"""The Turkcell e-Şirket adapter against its simulator over real HTTP on loopback, with a
real Redis (db 15, keys under a random namespace only)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import redis
from pydantic import SecretStr

from sync_engine.providers.turkcell.config import TurkcellEsirketConfig
from sync_engine.domain import Address, Buyer, BuyerKind, Order
from sync_engine.domain.keys import return_key
from sync_engine.providers.base import (
    RouteSource,
    BaseProvider,
    Capability,
    DocumentRoute,
    DocumentType,
    InvoiceRef,
    InvoiceRequest,
    JournalRef,
    ReturnOf,
    SendState,
)
from sync_engine.providers.errors import AuthError, PermanentError, TransientError
from sync_engine.providers.ratelimit import RedisTokenBucket
from sync_engine.providers.turkcell import TurkcellEsirketProvider
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.providers.http import dumps
from sync_engine.sandbox.contract import Refusal as ContractRefusal
from sync_engine.sandbox.contract import refusals
from sync_engine.sandbox.turkcell import TurkcellSimulator
from sync_engine.sandbox.turkcell.contract import CONTRACTS, LIST_BODIES
from tests.support.providers import TURKCELL_LINES as LINES
from tests.support.providers import TURKCELL_SETTINGS as SETTINGS
from tests.support.providers import assert_no_violations, sale_request
from tests.support.providers import redis_client, redis_namespace, sandbox, sandbox_server, sim  # noqa: F401

pytestmark = pytest.mark.redis

SIMULATOR = TurkcellSimulator  # the one the sandbox fixtures serve
P = "turkcell"
EFATURA_VKN = "1234567890"
EFATURA_ALIAS = "urn:mail:defaultpk@ornekteknoloji.com.tr"


# --- fixtures ---------------------------------------------------------------------------------


def make_provider(
    server: SandboxServer, rds: redis.Redis | None, namespace: str, **over: Any
) -> TurkcellEsirketProvider:
    kwargs: dict[str, Any] = dict(
        base_url=f"{server.url}/turkcell",
        efatura_base_url=f"{server.url}/turkcell/efatura",
        token_url=f"{server.url}/turkcell/v1/token",
        username="demo",
        password="demo-password",
        pool_account_code="120.01",
        redis_client=rds,
        timeout_s=5.0,
        namespace=namespace,
        account_key=f"{namespace}account",
    )
    kwargs.update(over)
    return TurkcellEsirketProvider(**kwargs)


@pytest.fixture
def provider(
    sandbox_server: SandboxServer, redis_client: redis.Redis, redis_namespace: str, sandbox: Sandbox
) -> Iterator[TurkcellEsirketProvider]:
    p = make_provider(sandbox_server, redis_client, redis_namespace)
    yield p
    p.close()


# --- orders -----------------------------------------------------------------------------------


def person(tckn: str = "10000000146") -> Buyer:
    return Buyer(
        kind=BuyerKind.PERSON, tax_id=tckn, first_name="Ayşe", last_name="Yılmaz", email="ayse@example.com",
        phone="+90 532 111 22 33", address=Address(line1="Moda Cd. 1", district="Kadıköy", city="İstanbul"),
    )


def company(vkn: str = EFATURA_VKN) -> Buyer:
    return Buyer(
        kind=BuyerKind.COMPANY, tax_id=vkn, company_name="Örnek Teknoloji A.Ş.", tax_office="Kozyatağı",
        address=Address(line1="Atatürk Cd. 5", district="Ataşehir", city="İstanbul"),
    )


def anonymous(email: str) -> Buyer:
    return Buyer(kind=BuyerKind.ANONYMOUS, tax_id="11111111111", first_name="Mehmet", last_name="Demir",
                 email=email, address=Address(city="Ankara"))


def order(buyer: Buyer | None = None, order_id: str = "5550001", created: datetime | None = None) -> Order:
    return Order(
        store_id="demo-shop", platform="shopify", order_id=order_id, order_name=f"#{order_id[-4:]}",
        created_at=created or datetime(2026, 1, 15, 9, 30, tzinfo=UTC), buyer=buyer or person(),
        lines=LINES, paid_total=Decimal("512.84"),
    )


def request(o: Order, route: DocumentRoute, issue: date = date(2026, 1, 15)) -> InvoiceRequest:
    return sale_request(o, SETTINGS, issue, route)


def prepared(provider: TurkcellEsirketProvider, o: Order | None = None) -> InvoiceRequest:
    o = o or order()
    req = request(o, provider.route(o))
    provider.upsert_customer(o)
    provider.create_invoice(req, None)
    return req


# --- declaration -------------------------------------------------------------------------------


def test_capabilities_are_declared_and_implemented() -> None:
    assert TurkcellEsirketProvider.name == "turkcell_esirket"
    assert TurkcellEsirketProvider.list_page_size == 500
    assert TurkcellEsirketProvider.capabilities == frozenset(Capability) - {Capability.PROFORMA}
    methods = {
        Capability.CUSTOMER: "upsert_customer", Capability.INVOICE: "create_invoice",
        Capability.E_DOCUMENT: "send_e_document", Capability.E_DOCUMENT_STATE: "e_document_state",
        Capability.JOURNAL: "journal", Capability.FIND_INVOICE: "find_invoice",
        Capability.LIST_INVOICES: "list_invoices",
        Capability.GIB_DIRECTORY: "route", Capability.CANCEL_E_ARCHIVE: "cancel_e_archive",
        Capability.WITHDRAW_DRAFT: "withdraw_draft", Capability.RETURN_INVOICE: "create_return_invoice",
        Capability.REVERSE_JOURNAL: "reverse_journal", Capability.BUYER_RETURNS: "find_buyer_return",
    }
    for capability in TurkcellEsirketProvider.capabilities:
        name = methods[capability]
        assert getattr(TurkcellEsirketProvider, name) is not getattr(BaseProvider, name), name


def test_from_config_reads_the_documented_keys(
    sandbox_server: SandboxServer, redis_client: redis.Redis, sandbox: Sandbox
) -> None:
    url = sandbox_server.url
    cfg = TurkcellEsirketConfig(
        name="turkcell_esirket", base_url=f"{url}/turkcell", efatura_base_url=f"{url}/turkcell/efatura",
        token_url=f"{url}/turkcell/v1/token", username="demo", password=SecretStr("demo-password"),
        pool_account_code="120.01", timeout_s=3.0, max_requests_per_s=50,
    )
    p = TurkcellEsirketProvider.from_config(cfg, redis=None)  # no Redis: process-local caches
    try:
        o = order()
        ref = p.upsert_customer(o)
        assert ref.customer_id
        assert p.http.client.timeout.read == 3.0
    finally:
        p.close()


# --- routing -----------------------------------------------------------------------------------


def test_the_anonymous_consumer_routes_to_e_arsiv_without_a_call(provider: TurkcellEsirketProvider, sim: TurkcellSimulator) -> None:
    route = provider.route(order(anonymous("a@example.com")))
    assert (route.type, route.alias, route.source, route.checked_at) == (
        DocumentType.E_ARSIV, None, RouteSource.ANONYMOUS, None)
    assert sum(sim.hits.values()) == 0


def test_a_person_with_a_tckn_is_looked_up_too(provider: TurkcellEsirketProvider, sim: TurkcellSimulator, sandbox: Sandbox) -> None:
    # Sole proprietors are e-Fatura users under their TCKN: every real tax id is asked.
    route = provider.route(order(person()))
    assert (route.type, route.source) == (DocumentType.E_ARSIV, RouteSource.GIB_DIRECTORY)
    assert route.checked_at is not None
    assert sim.hits["gibuser_isuser"] == 1
    assert sim.last_query["gibuser_isuser"]["identifier"] == person().tax_id
    sandbox.state.gib.register("20000000046", "urn:mail:defaultpk@sahis.com.tr")
    registered = person("20000000046")
    route = provider.route(order(registered))
    assert (route.type, route.alias) == (DocumentType.E_FATURA, "urn:mail:defaultpk@sahis.com.tr")


def test_registered_company_routes_to_e_fatura_and_the_answer_is_cached(
    provider: TurkcellEsirketProvider, sim: TurkcellSimulator, sandbox_server: SandboxServer,
    redis_client: redis.Redis, redis_namespace: str,
) -> None:
    route = provider.route(order(company()))
    assert (route.type, route.alias, route.source) == (DocumentType.E_FATURA, EFATURA_ALIAS, RouteSource.GIB_DIRECTORY)
    assert (sim.hits["gibuser_isuser"], sim.hits["gibuser_getuser"]) == (1, 1)
    assert sim.last_query["gibuser_isuser"] == {"identifier": EFATURA_VKN, "appType": "1"}
    ttl = redis_client.ttl(f"{redis_namespace}turkcell:gibuser:{EFATURA_VKN}")
    assert 0 < ttl <= 86400
    other = make_provider(sandbox_server, redis_client, redis_namespace)  # another worker shares the Redis cache
    try:
        assert other.route(order(company())) == route, "the cached answer keeps its lookup time"
    finally:
        other.close()
    assert sim.hits["gibuser_isuser"] == 1


def test_unregistered_company_routes_to_e_arsiv(provider: TurkcellEsirketProvider, sim: TurkcellSimulator) -> None:
    o = order(company("1000000018"))
    assert provider.route(o).type is DocumentType.E_ARSIV
    assert provider.route(o).type is DocumentType.E_ARSIV
    assert (sim.hits["gibuser_isuser"], sim.hits["gibuser_getuser"]) == (1, 0)


def test_shop_alias_hint_wins_when_gib_lists_it(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    sandbox.state.gib.register(EFATURA_VKN, "urn:mail:fatura@ornekteknoloji.com.tr")
    buyer = company().model_copy(update={"efatura_alias": "urn:mail:fatura@ornekteknoloji.com.tr"})
    assert provider.route(order(buyer)).alias == "urn:mail:fatura@ornekteknoloji.com.tr"


def test_directory_outage_is_transient_and_not_cached(provider: TurkcellEsirketProvider, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    sandbox.state.faults.add(FaultRule(P, "gibuser_isuser", FaultMode.BEFORE_500, times=1))
    with pytest.raises(TransientError):
        provider.route(order(company()))
    assert provider.route(order(company())).type is DocumentType.E_FATURA
    assert sim.hits["gibuser_isuser"] == 2


# --- customer ----------------------------------------------------------------------------------


def test_upsert_customer_creates_matches_and_is_idempotent(provider: TurkcellEsirketProvider, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    first = provider.upsert_customer(order())
    second = provider.upsert_customer(order(order_id="5550002"))
    assert first.customer_id == second.customer_id
    assert sandbox.ledger.count(P, "cari_created") == 1
    assert sandbox.ledger.count(P, "cari_matched") == 1
    assert sim.hits["account_list"] == 1  # the pool account id is looked up once
    cari = sim.caris.caris[int(first.customer_id)]
    assert cari.addresses[0]["isDefault"] is True and cari.addresses[0]["city"] == "İstanbul"
    assert sim.caris.matched_account(cari.id)["code"] == "120.01"
    assert_no_violations(sandbox)


def test_each_anonymous_consumer_gets_one_coded_cari(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    a1 = provider.upsert_customer(order(anonymous("mehmet@example.com")))
    a2 = provider.upsert_customer(order(anonymous("zeynep@example.com")))
    again = provider.upsert_customer(order(anonymous("Mehmet@Example.com"), order_id="5550009"))
    assert a1.customer_id != a2.customer_id and again.customer_id == a1.customer_id
    keys = sandbox.ledger.per_key(P, "cari_created")
    assert len(keys) == 2 and all(k.startswith("11111111111:A") for k in keys)
    assert sandbox.ledger.count(P, "cari_matched") == 2
    assert_no_violations(sandbox)


def test_a_cari_the_merchant_already_matched_is_left_alone(provider: TurkcellEsirketProvider, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    created = sim.caris.create_cari({"name": "Ayşe", "surname": "Yılmaz", "identifier": "10000000146"})
    sim.caris.create_match({"currentAccountId": created["id"], "accountId": 3})
    ref = provider.upsert_customer(order())
    assert ref.customer_id == str(created["id"])
    assert sandbox.ledger.count(P, "cari_matched") == 1
    assert sim.hits["cari_account_create"] == 0


def test_cari_created_behind_a_timeout_is_found_on_retry(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    sandbox.state.faults.add(FaultRule(P, "cari_create", FaultMode.AFTER_504, times=1))
    with pytest.raises(TransientError):
        provider.upsert_customer(order())
    ref = provider.upsert_customer(order())
    assert sandbox.ledger.count(P, "cari_created") == 1
    assert sandbox.ledger.count(P, "cari_matched") == 1
    assert ref.customer_id


# --- invoice -----------------------------------------------------------------------------------


def test_create_invoice_twice_updates_the_same_ettn(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    o = order()
    req = request(o, provider.route(o))
    provider.upsert_customer(o)
    first = provider.create_invoice(req, None)
    second = provider.create_invoice(req, None)
    assert first.invoice_id == second.invoice_id == req.ettn and first.ettn == req.ettn
    assert first.invoice_number is None  # assigned by GİB on send
    assert sandbox.ledger.count(P, "invoice_created", req.ettn) == 1
    assert sandbox.ledger.count(P, "invoice_updated", req.ettn) == 1
    assert len(sandbox[P].invoices.invoices) == 1
    stored = sandbox[P].invoices.invoices[req.ettn]
    assert stored.totals["payableAmount"] == Decimal("512.84") == o.paid_total
    assert stored.content["description"] == "Sipariş #0001 (shopify 5550001)"
    assert_no_violations(sandbox)


def test_the_providers_own_total_is_read_from_save_and_get(provider: TurkcellEsirketProvider, sim: TurkcellSimulator) -> None:
    o = order()
    req = request(o, provider.route(o))
    provider.upsert_customer(o)
    assert provider.create_invoice(req, None).total == Decimal("512.84")
    assert provider.find_invoice(req).total == Decimal("512.84")  # type: ignore[union-attr]
    # what the provider holds is what the pipeline compares: here it computed otherwise
    sim.invoices.invoices[req.ettn].totals["payableAmount"] = Decimal("512.85")
    assert provider.find_invoice(req).total == Decimal("512.85")  # type: ignore[union-attr]


def test_find_invoice(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    req = prepared(provider)
    found = provider.find_invoice(req)
    assert found is not None and found.ettn == req.ettn and found.invoice_number is None
    other = request(order(order_id="9999999"), DocumentRoute(DocumentType.E_ARSIV))
    assert provider.find_invoice(other) is None
    assert_no_violations(sandbox)


def test_e_arsiv_flow_send_state_journal_cancel(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    req = prepared(provider)
    ref = provider.find_invoice(req)
    assert ref is not None
    assert provider.e_document_state(req, ref).state is SendState.NOT_SENT
    sent = provider.send_e_document(req, ref)
    assert sent.state is SendState.IN_PROGRESS
    assert sent.invoice_number == "DMS2026000000001" and sent.gib_uuid == req.ettn
    assert provider.e_document_state(req, ref).state is SendState.IN_PROGRESS
    sandbox.state.clock.advance(sandbox.state.status_step_s)
    state = provider.e_document_state(req, ref)
    assert (state.state, state.raw_status, state.invoice_number) == (SendState.SENT, "50", "DMS2026000000001")
    assert provider.find_invoice(req).invoice_number == "DMS2026000000001"  # type: ignore[union-attr]
    assert provider.journal(req, ref).reference == req.ettn
    sandbox.state.clock.advance(sandbox.state.status_step_s)
    assert provider.e_document_state(req, ref).raw_status == "60"
    provider.cancel_e_archive(req, ref)
    assert provider.e_document_state(req, ref).state is SendState.CANCELLED
    effects = sandbox.ledger.summary()[P]
    assert (effects["gib_send"], effects["journal"], effects["cancel"]) == (1, 1, 1)
    gib = sandbox.ledger.effects(P, "gib_send")[0]
    assert gib.key == req.ettn and gib.detail["document_type"] == "e_arsiv"
    assert_no_violations(sandbox)


def test_e_fatura_flow(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    o = order(company())
    req = prepared(provider, o)
    assert (req.route.type, req.route.alias) == (DocumentType.E_FATURA, EFATURA_ALIAS)
    ref = provider.find_invoice(req)
    assert ref is not None
    assert provider.e_document_state(req, ref).state is SendState.NOT_SENT
    sent = provider.send_e_document(req, ref)
    assert sent.invoice_number == "DMS2026000000001"
    sandbox.state.clock.advance(2 * sandbox.state.status_step_s)
    assert provider.e_document_state(req, ref).raw_status == "60"
    provider.journal(req, ref)
    with pytest.raises(PermanentError, match="İADE"):
        provider.cancel_e_archive(req, ref)
    gib = sandbox.ledger.effects(P, "gib_send")[0]
    assert gib.detail["document_type"] == "e_fatura"
    assert sandbox[P].invoices.invoices[req.ettn].target_alias == EFATURA_ALIAS
    assert sandbox.ledger.count(P, "cancel") == 0
    assert_no_violations(sandbox)


def test_a_second_send_is_refused_and_gib_sees_one(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    req = prepared(provider)
    ref = provider.find_invoice(req)
    assert ref is not None
    provider.send_e_document(req, ref)
    with pytest.raises(PermanentError) as caught:
        provider.send_e_document(req, ref)
    assert caught.value.status == 409 and "iki kez" in caught.value.message
    assert sandbox.ledger.count(P, "gib_send", req.ettn) == 1


@pytest.mark.parametrize(
    ("code", "state"),
    [(40, SendState.FAILED), (80, SendState.FAILED), (62, SendState.FAILED), (30, SendState.IN_PROGRESS),
     (0, SendState.IN_PROGRESS), (70, SendState.SENT), (10, SendState.CANCELLED)],
)
def test_provider_statuses_map_to_send_states(provider: TurkcellEsirketProvider, sim: TurkcellSimulator, code: int, state: SendState) -> None:
    req = prepared(provider)
    ref = provider.find_invoice(req)
    assert ref is not None
    provider.send_e_document(req, ref)
    sim.force_status(req.ettn, code, "GİB: şematron hatası" if state is SendState.FAILED else None)
    got = provider.e_document_state(req, ref)
    assert (got.state, got.raw_status) == (state, str(code))
    # a failure carries GİB's own words for the operator
    if state is SendState.FAILED:
        assert got.message == "GİB: şematron hatası"
    elif state is not SendState.CANCELLED:
        assert got.message is None


@pytest.mark.parametrize("code", [45, 999])
def test_an_unknown_status_is_permanent_never_sent(provider: TurkcellEsirketProvider, sim: TurkcellSimulator, code: int) -> None:
    req = prepared(provider)
    ref = provider.find_invoice(req)
    assert ref is not None
    provider.send_e_document(req, ref)
    sim.force_status(req.ettn, code)
    with pytest.raises(PermanentError, match=f"unknown e-Fatura status {code}"):
        provider.e_document_state(req, ref)


def test_a_returning_buyer_gets_the_cari_and_address_brought_up_to_date(
    provider: TurkcellEsirketProvider, sandbox: Sandbox, sim: TurkcellSimulator
) -> None:
    first = provider.upsert_customer(order())
    assert sandbox.ledger.count(P, "cari_updated") == 0
    # the merchant's own entries on the cari survive our update
    sim.caris.caris[int(first.customer_id)].extra.update(mersisNumber="0123456789012345", maturity=30)
    same = provider.upsert_customer(order(order_id="5550002"))  # nothing changed: no writes
    assert same.customer_id == first.customer_id
    assert sandbox.ledger.count(P, "cari_updated") == 0 and sandbox.ledger.count(P, "address_updated") == 0
    moved = person().model_copy(update={
        "last_name": "Kaya", "email": "ayse.kaya@example.com", "phone": "0532 999 88 77",
        "address": Address(line1="Bağdat Cd. 200", district="Maltepe", city="İstanbul"),
    })
    again = provider.upsert_customer(order(moved, order_id="5550003"))
    assert again.customer_id == first.customer_id
    cari = sim.caris.caris[int(first.customer_id)]
    assert (cari.name, cari.surname) == ("Ayşe", "Kaya")
    assert (cari.extra["mersisNumber"], cari.extra["maturity"]) == ("0123456789012345", 30)
    [address] = cari.addresses
    assert (address["streetName"], address["subDivisionName"], address["emailAddress"], address["phoneNumber"], address["isDefault"]) == (
        "Bağdat Cd. 200", "Maltepe", "ayse.kaya@example.com", "05329998877", True)
    assert sandbox.ledger.count(P, "cari_updated") == 1 and sandbox.ledger.count(P, "address_updated") == 1
    # and the invoice that follows names the new address (the e-Fatura service takes it whole)
    req = request(order(moved, order_id="5550003"), DocumentRoute(DocumentType.E_ARSIV))
    provider.create_invoice(req, None)
    provider.send_e_document(req, provider.find_invoice(req))  # type: ignore[arg-type]
    sent = sim.invoices.invoices[req.ettn].sent_body
    assert sent is not None and sent["addressBook"]["receiverStreet"] == "Bağdat Cd. 200"
    assert sent["addressBook"]["receiverPersonSurName"] == "Kaya"
    assert_no_violations(sandbox)


def test_a_known_cari_is_read_by_id_and_brought_up_to_date(
    provider: TurkcellEsirketProvider, sandbox: Sandbox, sim: TurkcellSimulator
) -> None:
    first = provider.upsert_customer(order())
    lists = sim.hits["cari_list"]
    moved = person().model_copy(update={"address": Address(line1="Bağdat Cd. 200", district="Maltepe", city="İstanbul")})
    again = provider.upsert_customer(order(moved, order_id="5550002"), known=first)
    assert again.customer_id == first.customer_id
    assert sim.hits["cari_list"] == lists  # read by its id, not searched again
    [address] = sim.caris.caris[int(first.customer_id)].addresses
    assert (address["streetName"], address["subDivisionName"]) == ("Bağdat Cd. 200", "Maltepe")
    assert sandbox.ledger.count(P, "address_updated") == 1 and sandbox.ledger.count(P, "cari_created") == 1
    # a known cari the merchant deleted meanwhile: found or created anew
    sim.caris.caris.clear()
    fresh = provider.upsert_customer(order(moved, order_id="5550003"), known=first)
    assert fresh.customer_id != first.customer_id and sandbox.ledger.count(P, "cari_created") == 2
    assert_no_violations(sandbox)


def test_a_cari_without_a_default_address_gets_one(provider: TurkcellEsirketProvider, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    first = provider.upsert_customer(order())
    sim.caris.caris[int(first.customer_id)].addresses.clear()
    provider.upsert_customer(order(order_id="5550002"))
    assert [a["isDefault"] for a in sim.caris.caris[int(first.customer_id)].addresses] == [True]
    assert_no_violations(sandbox)


def test_an_order_over_a_field_limit_stops_before_any_call(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    from sync_engine.providers.errors import OrderDataError

    long = person().model_copy(update={"last_name": "Y" * 300})
    with pytest.raises(OrderDataError) as info:
        provider.upsert_customer(order(long))
    assert info.value.field == "surname" and "300" in str(info.value)
    assert sandbox.ledger.count(P, "cari_created") == 0


def test_journal_twice_is_one_entry(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    req = prepared(provider)
    ref = provider.find_invoice(req)
    assert ref is not None
    provider.journal(req, ref)
    provider.journal(req, ref)
    assert sandbox.ledger.count(P, "journal", req.ettn) == 1
    assert_no_violations(sandbox)


def test_journal_refusal_keeps_the_providers_message(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    req = prepared(provider)
    ref = provider.find_invoice(req)
    assert ref is not None
    provider.send_e_document(req, ref)
    sandbox.state.clock.advance(2 * sandbox.state.status_step_s)
    provider.cancel_e_archive(req, ref)
    with pytest.raises(PermanentError, match="İptal edilmiş fatura"):
        provider.journal(req, ref)
    assert sandbox.ledger.count(P, "journal") == 0


def test_cancel_before_approval_is_refused(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    req = prepared(provider)
    ref = provider.find_invoice(req)
    assert ref is not None
    provider.send_e_document(req, ref)
    with pytest.raises(PermanentError, match="60"):
        provider.cancel_e_archive(req, ref)


def test_list_invoices_pages_without_per_invoice_reads(
    sandbox_server: SandboxServer, redis_client: redis.Redis, redis_namespace: str, sandbox: Sandbox,
    sim: TurkcellSimulator,
) -> None:
    p = make_provider(sandbox_server, redis_client, redis_namespace, page_size=2)
    try:
        reqs = []
        for i, day in enumerate((10, 12, 12, 12, 18)):
            o = order(order_id=f"55500{i}0")
            req = request(o, DocumentRoute(DocumentType.E_ARSIV), issue=date(2026, 1, day))
            p.upsert_customer(o)
            p.create_invoice(req, None)
            reqs.append(req)
        outside = request(order(order_id="5559990"), DocumentRoute(DocumentType.E_ARSIV), issue=date(2026, 2, 1))
        p.create_invoice(outside, None)
        p.send_e_document(reqs[0], p.find_invoice(reqs[0]))  # type: ignore[arg-type]
        p.journal(reqs[1], p.find_invoice(reqs[1]))  # type: ignore[arg-type]

        hits_before_list = sim.hits["invoice_get"]
        listed = list(p.list_invoices(date(2026, 1, 1), date(2026, 1, 31)))
        # one filter per day (31), and the 12th's three invoices take two pages of 2
        assert sim.hits["invoice_list"] == 32
        assert sim.hits["invoice_get"] == hits_before_list
        assert [r.ettn for r in listed] == [r.ettn for r in reqs]
        # one list call per page and no detail GET per invoice: the ETTN identifies the order
        assert [r.order_ref for r in listed] == [None] * len(reqs)
        first, second = listed[0], listed[1]
        assert (first.sent, first.invoice_number, first.journaled) == (True, "DMS2026000000001", False)
        assert (second.sent, second.invoice_number, second.journaled) == (False, None, True)
        assert all(r.total == Decimal("512.84") for r in listed)
        assert [r.issue_date for r in listed] == [date(2026, 1, d) for d in (10, 12, 12, 12, 18)]
        assert_no_violations(sandbox)
    finally:
        p.close()


def test_list_invoices_asks_for_500_per_page(provider: TurkcellEsirketProvider, sim: TurkcellSimulator) -> None:
    assert list(provider.list_invoices(date(2026, 1, 1), date(2026, 1, 31))) == []
    query = sim.last_query["invoice_list"]
    assert (query["pageIndex"], query["pageSize"]) == ("0", "500")
    # only documented operators: the last day, "ile başlayan"
    assert json.loads(query["filterQuery"]) == [
        {"category": "IssueDate", "operator": "ile başlayan", "value": "2026-01-31"}
    ]


# --- faults ------------------------------------------------------------------------------------


def test_before_500_is_transient_and_nothing_happened(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    o = order()
    req = request(o, provider.route(o))
    provider.upsert_customer(o)
    sandbox.state.faults.add(FaultRule(P, "invoice_save", FaultMode.BEFORE_500, times=1))
    with pytest.raises(TransientError) as caught:
        provider.create_invoice(req, None)
    assert caught.value.status == 500 and "injected" in caught.value.message
    assert sandbox.ledger.count(P, "invoice_created") == 0
    assert provider.find_invoice(req) is None


def test_after_504_the_invoice_exists_and_a_retry_does_not_duplicate(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    o = order()
    req = request(o, provider.route(o))
    provider.upsert_customer(o)
    sandbox.state.faults.add(FaultRule(P, "invoice_save", FaultMode.AFTER_504, times=1))
    with pytest.raises(TransientError) as caught:
        provider.create_invoice(req, None)
    assert caught.value.status == 504
    assert provider.find_invoice(req) is not None
    provider.create_invoice(req, None)
    assert sandbox.ledger.count(P, "invoice_created", req.ettn) == 1
    assert len(sandbox[P].invoices.invoices) == 1


def test_stalled_send_is_a_timeout_and_the_probe_says_it_went(
    provider: TurkcellEsirketProvider, sandbox_server: SandboxServer, redis_client: redis.Redis,
    redis_namespace: str, sandbox: Sandbox,
) -> None:
    req = prepared(provider)
    ref = provider.find_invoice(req)
    assert ref is not None
    impatient = make_provider(sandbox_server, redis_client, redis_namespace, timeout_s=0.5)  # shares the cached token
    try:
        sandbox.state.faults.add(FaultRule(P, "earchive_create", FaultMode.AFTER_STALL, stall_s=1.5, times=1))
        with pytest.raises(TransientError, match="timeout"):
            impatient.send_e_document(req, ref)
    finally:
        impatient.close()
    assert sandbox.ledger.count(P, "gib_send", req.ettn) == 1
    # The pipeline asks before any retry: never NOT_SENT once the provider has it.
    state = provider.e_document_state(req, ref)
    assert state.state is SendState.IN_PROGRESS and state.invoice_number == "DMS2026000000001"


def test_rate_429_is_transient_with_retry_after_and_pauses_the_account(
    sandbox_server: SandboxServer, redis_client: redis.Redis, redis_namespace: str, sandbox: Sandbox
) -> None:
    budget = RedisTokenBucket(redis_client, f"{redis_namespace}account", 100)
    p = make_provider(sandbox_server, redis_client, redis_namespace, budget=budget)
    try:
        sandbox.state.faults.add(FaultRule(P, "cari_list", FaultMode.RATE_429, retry_after_s=2, times=1))
        with pytest.raises(TransientError) as caught:
            p.upsert_customer(order())
        assert (caught.value.status, caught.value.retry_after) == (429, 2.0)
        assert budget.try_acquire() > 1.0  # every worker of this account now waits
        assert sandbox.ledger.count(P, "cari_created") == 0
    finally:
        p.close()


def test_latency_slows_but_succeeds(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    req = prepared(provider)
    sandbox.state.faults.add(FaultRule(P, "invoice_get", FaultMode.LATENCY, latency_ms=300))
    t0 = time.perf_counter()
    assert provider.find_invoice(req) is not None
    assert time.perf_counter() - t0 >= 0.3


def test_probe_outage_is_transient_never_not_sent(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    req = prepared(provider)
    ref = provider.find_invoice(req)
    assert ref is not None
    sandbox.state.faults.add(FaultRule(P, "earchive_getinvoice", FaultMode.BEFORE_500))
    with pytest.raises(TransientError):
        provider.e_document_state(req, ref)


# --- auth ------------------------------------------------------------------------------------------


def test_token_is_cached_in_redis_and_shared_by_workers(
    sandbox_server: SandboxServer, redis_client: redis.Redis, redis_namespace: str, sandbox: Sandbox,
    sim: TurkcellSimulator,
) -> None:
    a = make_provider(sandbox_server, redis_client, redis_namespace)
    b = make_provider(sandbox_server, redis_client, redis_namespace)
    try:
        a.upsert_customer(order())
        b.upsert_customer(order())
        assert sim.hits["token"] == 1
        keys = list(redis_client.scan_iter(match=f"{redis_namespace}token:*"))
        assert len(keys) == 1 and 0 < redis_client.ttl(keys[0]) < 86400
    finally:
        a.close()
        b.close()


def test_expired_token_is_refreshed_once(provider: TurkcellEsirketProvider, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    provider.upsert_customer(order())
    sandbox.state.clock.advance(86401)  # the sandbox says expired; Redis still holds it
    provider.upsert_customer(order())
    assert sim.hits["token"] == 2
    assert_no_violations(sandbox)


def test_a_token_lost_by_the_provider_is_refreshed(provider: TurkcellEsirketProvider, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    provider.route(order(company()))
    sim.tokens.clear()  # revoked early
    provider.upsert_customer(order())
    assert sim.hits["token"] == 2


def test_bad_credentials_are_an_auth_error(
    sandbox_server: SandboxServer, redis_client: redis.Redis, redis_namespace: str, sandbox: Sandbox
) -> None:
    p = make_provider(sandbox_server, redis_client, redis_namespace, password="wrong")
    try:
        with pytest.raises(AuthError) as caught:
            p.upsert_customer(order())
        assert caught.value.status == 422 and "hatalı" in caught.value.message
        assert sandbox.ledger.count(P, "cari_created") == 0
    finally:
        p.close()


def test_a_401_after_refresh_is_an_auth_error(provider: TurkcellEsirketProvider, sim: TurkcellSimulator) -> None:
    sim.token_ttl_s = 0  # every token is born expired: the refresh cannot help
    try:
        with pytest.raises(AuthError) as caught:
            provider.upsert_customer(order())
        assert caught.value.status == 401
        assert sim.hits["token"] == 2
    finally:
        sim.token_ttl_s = 86400


def test_happy_paths_leave_no_violations(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    for o in (order(), order(company(), order_id="5550002"), order(anonymous("x@example.com"), order_id="5550003"),
              order(company("1000000018"), order_id="5550004")):
        req = prepared(provider, o)
        ref = provider.find_invoice(req)
        assert ref is not None
        provider.send_e_document(req, ref)
        provider.e_document_state(req, ref)
        provider.journal(req, ref)
    list(provider.list_invoices(date(2026, 1, 1), date(2026, 1, 31)))
    assert sandbox.ledger.count(P, "gib_send") == 4
    numbers = sorted(e.detail["invoice_number"] for e in sandbox.ledger.effects(P, "gib_send"))
    assert numbers == [f"DMS2026{n:09d}" for n in range(1, 5)]
    assert_no_violations(sandbox)


def test_injected_business_refusal_is_permanent_with_the_message(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    o = order()
    req = request(o, provider.route(o))
    provider.upsert_customer(o)
    sandbox.state.faults.add(FaultRule(P, "invoice_save", FaultMode("refuse_422"), times=1))
    with pytest.raises(PermanentError) as caught:
        provider.create_invoice(req, None)
    assert caught.value.status == 422 and "refused" in caught.value.message
    assert sandbox.ledger.count(P, "invoice_created") == 0


def test_registry_finds_the_adapter() -> None:
    from sync_engine.providers.registry import provider_class

    assert provider_class("turkcell_esirket") is TurkcellEsirketProvider


# --- the adapter's real requests against the documented contracts ---------------------------


def test_every_real_request_is_accepted_by_its_contract(
    provider: TurkcellEsirketProvider, sandbox: Sandbox, sim: TurkcellSimulator
) -> None:
    """Person, company (e-Fatura), anonymous, a returning buyer who moved: the whole flow,
    then every request the simulator received re-checked against its contract."""
    moved = person().model_copy(update={"address": Address(line1="Bağdat Cd. 200", district="Maltepe", city="İstanbul")})
    for o in (order(), order(company(), order_id="5550002"), order(anonymous("x@example.com"), order_id="5550003"),
              order(moved, order_id="5550004")):
        req = prepared(provider, o)
        ref = provider.find_invoice(req)
        assert ref is not None
        provider.e_document_state(req, ref)
        provider.send_e_document(req, ref)
        sandbox.state.clock.advance(2 * sandbox.state.status_step_s)
        provider.e_document_state(req, ref)
        provider.journal(req, ref)
    # a return of the first order's sale, journaled; the sale's entry reversed; an e-Fatura
    # buyer's İADE looked up
    sale = request(order(), provider.route(order()))
    ret = returned(provider, sale)
    provider.reverse_journal(sale, provider.find_invoice(sale))  # type: ignore[arg-type]
    assert provider.journal_reference(ret, provider.find_invoice(ret)) is not None  # type: ignore[arg-type]
    efatura_sale = request(order(company(), order_id="5550002"), provider.route(order(company(), order_id="5550002")))
    provider.find_buyer_return(return_req(order(company(), order_id="5550002")), original_of(provider, efatura_sale))
    list(provider.list_invoices(date(2026, 1, 14), date(2026, 1, 16)))
    seen = {ep: sim.received(ep) for ep in CONTRACTS}
    for ep in ("token", "cari_list", "cari_create", "address_list", "address_update", "cari_account_list",
               "cari_account_create", "account_list", "invoice_save", "invoice_get", "invoice_list",
               "earchive_create", "outbox_create", "earchive_getinvoice", "outbox_getinvoice",
               "earchive_status", "outbox_status",
               "invoice_accounting", "invoice_reverse", "invoice_incoming_list", "gibuser_isuser",
               "gibuser_getuser"):
        assert seen[ep], f"the flow never called {ep}"
    for ep, bodies in seen.items():
        for body in bodies:
            items_ = body if ep in LIST_BODIES else [body]
            for item in items_:
                assert CONTRACTS[ep].violations(item) == [], (ep, item)
    assert_no_violations(sandbox)


# --- returns (İADE), ters kayıt and the buyer's İADE ---------------------------------------------

REFUND_LINES = (LINES[0].model_copy(update={"quantity": Decimal(1), "discount": Decimal("10.00")}),)


def return_req(sale_order: Order, lines: tuple = REFUND_LINES, paid: str = "189.90", refund_id: str = "9001",
               route: DocumentRoute | None = None) -> InvoiceRequest:
    """The return job's request: the refunded lines, the refund's total, the return key."""
    o = sale_order.model_copy(update={"lines": lines, "paid_total": Decimal(paid), "order_name": f"{sale_order.order_name} İADE"})
    key = return_key(o.store_id, o.order_id, refund_id)
    return sale_request(o, SETTINGS, date(2026, 1, 20), route or DocumentRoute(DocumentType.E_ARSIV), key=key)


def original_of(provider: TurkcellEsirketProvider, sale: InvoiceRequest) -> ReturnOf:
    ref = provider.find_invoice(sale)
    assert ref is not None and ref.invoice_number
    return ReturnOf(invoice_id=sale.ettn, invoice_number=ref.invoice_number, issue_date=sale.issue_date,
                    ettn=sale.ettn, document_type=sale.route.type)


def sold(provider: TurkcellEsirketProvider, sandbox: Sandbox, o: Order | None = None) -> InvoiceRequest:
    """A sale sent to GİB (approved: 60) and journaled."""
    req = prepared(provider, o)
    ref = provider.find_invoice(req)
    assert ref is not None
    provider.send_e_document(req, ref)
    sandbox.state.clock.advance(2 * sandbox.state.status_step_s)
    provider.journal(req, ref)
    return req


def returned(provider: TurkcellEsirketProvider, sale: InvoiceRequest, **kw: Any) -> InvoiceRequest:
    """What the pipeline's return job does: create ▸ send ▸ journal, with the sale's calls."""
    ret = return_req(sale.order, **kw)
    ref = provider.create_return_invoice(ret, original_of(provider, sale), None)
    assert ref.total == ret.order.paid_total
    provider.send_e_document(ret, ref)
    provider.journal(ret, ref)
    return ret


def test_a_return_is_an_iade_e_arsiv_naming_the_sale_sent_and_journaled_once(
    provider: TurkcellEsirketProvider, sandbox: Sandbox, sim: TurkcellSimulator
) -> None:
    sale = sold(provider, sandbox)
    ret = returned(provider, sale)
    sale_number = provider.find_invoice(sale).invoice_number  # type: ignore[union-attr]
    record = sim.invoices.invoices[ret.ettn]
    assert record.content["type"] == 2 and record.content["returnInvoiceNumber"] == sale_number
    document = record.sent_body
    assert document is not None and document["generalInfoModel"]["type"] == 2
    assert (document["generalInfoModel"]["returnInvoiceNumber"], document["generalInfoModel"]["returnInvoiceDate"]) == (
        sale_number, "2026-01-15T00:00:00Z")
    assert provider.find_invoice(ret).invoice_number == "DMS2026000000002"  # type: ignore[union-attr]
    assert sandbox.ledger.count(P, "return_invoice_created", ret.ettn) == 1
    assert [e.detail["invoice_type"] for e in sandbox.ledger.effects(P, "gib_send")] == ["SATIS", "IADE"]
    assert sandbox.ledger.count(P, "journal", ret.ettn) == 1
    assert sandbox.ledger.count(P, "journal_reversed") == 0  # a return is journaled itself; the sale stands
    assert_no_violations(sandbox)


def test_a_return_saved_again_is_the_same_one(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    sale = sold(provider, sandbox)
    ret = return_req(sale.order)
    original = original_of(provider, sale)
    sandbox.state.faults.add(FaultRule(P, "invoice_save", FaultMode.AFTER_504, times=1))
    with pytest.raises(TransientError):
        provider.create_return_invoice(ret, original, None)
    assert provider.find_invoice(ret) is not None  # what the pipeline asks after an unknown outcome
    provider.create_return_invoice(ret, original, None)
    assert sandbox.ledger.count(P, "return_invoice_created", ret.ettn) == 1
    assert sandbox.ledger.count(P, "invoice_updated", ret.ettn) == 1


def test_an_e_fatura_or_an_unnumbered_sale_gets_no_return_of_ours(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    sale = sold(provider, sandbox)
    e_fatura = DocumentRoute(DocumentType.E_FATURA, EFATURA_ALIAS)
    with pytest.raises(PermanentError, match="buyer's own İADE"):
        provider.create_return_invoice(return_req(sale.order, route=e_fatura), original_of(provider, sale), None)
    with pytest.raises(PermanentError, match="no number"):
        provider.create_return_invoice(return_req(sale.order), ReturnOf(sale.ettn, None, sale.issue_date), None)
    assert sandbox.ledger.count(P, "return_invoice_created") == 0


def test_the_sandbox_refuses_a_return_above_what_is_left(provider: TurkcellEsirketProvider, sandbox: Sandbox) -> None:
    sale = sold(provider, sandbox)  # 512.84 paid
    returned(provider, sale, lines=LINES[:1], paid="379.80", refund_id="9001")
    with pytest.raises(PermanentError, match="aşamaz"):
        provider.create_return_invoice(return_req(sale.order, lines=LINES[:1], paid="379.80", refund_id="9002"),
                                       original_of(provider, sale), None)
    assert sandbox.ledger.count(P, "return_invoice_created") == 1


def test_ters_kayit_once_and_the_probe_after_an_unknown_outcome(
    provider: TurkcellEsirketProvider, sandbox: Sandbox, sim: TurkcellSimulator
) -> None:
    sale = sold(provider, sandbox)
    ref = provider.find_invoice(sale)
    assert ref is not None
    assert provider.journal_reference(sale, ref) == JournalRef(sale.ettn)
    provider.cancel_e_archive(sale, ref)
    sandbox.state.faults.add(FaultRule(P, "invoice_reverse", FaultMode.AFTER_504, times=1))
    with pytest.raises(TransientError):
        provider.reverse_journal(sale, ref)
    # the step's probe before any second call: not journaled any more, so no call is made
    assert provider.journal_reference(sale, ref) is None
    assert sim.hits["invoice_reverse"] == 1 and sandbox.ledger.count(P, "journal_reversed", sale.ettn) == 1
    # a second reversal would be refused by the provider, with its own words
    with pytest.raises(PermanentError, match="muhasebeleştirilmiş olmalıdır"):
        provider.reverse_journal(sale, ref)
    assert sandbox.ledger.count(P, "journal_reversed") == 1


def test_journal_reference_of_an_unknown_invoice_is_none(provider: TurkcellEsirketProvider) -> None:
    req = request(order(), DocumentRoute(DocumentType.E_ARSIV))
    assert provider.journal_reference(req, InvoiceRef(req.ettn, req.ettn)) is None


def _buyers_iade(number: str | None, payable_lines: list[dict[str, Any]], **over: Any) -> dict[str, Any]:
    return {
        "sender": {"identifier": EFATURA_VKN, "name": "Örnek Teknoloji A.Ş.", "alias": EFATURA_ALIAS},
        "invoiceNumber": over.pop("invoiceNumber", "ORN2026000000042"), "issueDate": "2026-01-25T00:00:00Z",
        "type": 2, "returnInvoiceNumber": number, "returnInvoiceDate": "2026-01-15T00:00:00Z",
        "invoiceLines": payable_lines, **over,
    }


# The buyer's own İADE of one T-shirt: 189.90 = 158.25 + 31.65
IADE_LINE = [{"inventoryServiceCode": "TS-1", "inventoryCard": "Tişört", "amount": 1, "unitCode": "C62",
              "unitPrice": Decimal("158.25"), "lineExtensionAmount": Decimal("158.25"), "vatRate": 20,
              "vatAmount": Decimal("31.65")}]


def test_the_buyers_iade_of_an_e_fatura_is_found_in_the_incoming_list(
    sandbox_server: SandboxServer, redis_client: redis.Redis, redis_namespace: str, sandbox: Sandbox,
    sim: TurkcellSimulator,
) -> None:
    provider = make_provider(sandbox_server, redis_client, redis_namespace, page_size=1)  # one per page
    try:
        sale_order = order(company())
        sale = sold(provider, sandbox, sale_order)
        original = original_of(provider, sale)
        refund = return_req(sale_order, route=sale.route)
        assert provider.find_buyer_return(refund, original) is None  # not arrived yet
        # the buyer's other documents: a sale, an İade of another invoice, an İade of another amount
        sim.place_incoming(_buyers_iade(None, IADE_LINE, type=1, returnInvoiceDate=None, invoiceNumber="ORN2026000000040"))
        sim.place_incoming(_buyers_iade("DMS2026000000099", IADE_LINE, invoiceNumber="ORN2026000000041"))
        half = [{**IADE_LINE[0], "unitPrice": Decimal("79.13"), "lineExtensionAmount": Decimal("79.13"), "vatAmount": Decimal("15.83")}]
        sim.place_incoming(_buyers_iade(original.invoice_number, half, invoiceNumber="ORN2026000000043"))
        assert provider.find_buyer_return(refund, original) is None
        placed = sim.place_incoming(_buyers_iade(original.invoice_number, IADE_LINE))
        reads_before = len(sim.received("invoice_get"))
        found = provider.find_buyer_return(refund, original)
        assert found is not None
        assert (found.ettn, found.invoice_number, found.total, found.sent) == (
            placed["generalInfoModel"]["ettn"], "ORN2026000000042", Decimal("189.90"), True)
        # filtered by sender and type, 1 per page, until hasNextPage is false; only the
        # candidates with the refunded amount are read one by one
        queries = sim.received("invoice_incoming_list")
        assert {q["pageSize"] for q in queries} == {"1"} and json.loads(queries[-1]["filterQuery"]) == [
            {"category": "TargetVknTckn", "operator": "eşittir", "value": EFATURA_VKN},
            {"category": "Type", "operator": "eşittir", "value": "2"}]
        reads = sim.received("invoice_get")[reads_before:]
        assert reads == [{"isSend": "false"}] * 2  # the other invoice's İade of the same amount, then the one
        assert_no_violations(sandbox)
    finally:
        provider.close()


# --- every documented mark and rule refused over HTTP, in Turkcell's error shape -------------

VALID_LINE = {
    "inventoryCard": "Tişört", "amount": Decimal(2), "unitCode": "C62", "unitPrice": Decimal("50.00"),
    "lineAmount": Decimal("100.00"), "vatRate": Decimal(20), "vatAmount": Decimal("20.00"),
    "discountAmount": Decimal("0.00"), "vatExemptionReasonCode": "351",
}
ARCHIVE = {
    "isInternetSale": True, "websiteUrl": "https://demo-shop.example", "shipmentSendType": "ELEKTRONIK",
    "shipmentSenderName": "Yurtiçi Kargo", "shipmentSenderTcknVkn": "1000000026", "shipmentDate": "2026-01-15T00:00:00Z",
}
PAYMENT = {"paymentMeansCode": "48", "paymentDueDate": "2026-01-15T09:31:00Z", "instructionNote": "iyzico"}
ADDRESS = {
    "isDefault": True, "addressName": "Fatura Adresi", "subDivisionName": "Kadıköy", "city": "İstanbul",
    "country": "Türkiye", "streetName": "Moda Cd. 1", "emailAddress": "ayse@example.com", "phoneNumber": "5321112233",
    "webSite": "https://ayse.example",
}
CARI = {"name": "Ayşe", "surname": "Yılmaz", "identifier": "10000000146", "code": "A1", "taxOffice": "Kadıköy"}
GENERAL = {"ettn": "3f1d2c4b-5a69-4b7c-8d9e-0f1a2b3c4d5e", "prefix": "DMS", "issueDate": "2026-01-15T00:00:00Z",
           "type": 1, "currencyCode": "TRY"}


def _service(e_arsiv: bool) -> dict[str, Any]:
    book: dict[str, Any] = {"identificationNumber": "10000000146", "name": "Ayşe", "receiverPersonSurName": "Yılmaz",
                            "receiverStreet": "Moda Cd. 1", "receiverDistrict": "Kadıköy", "receiverCity": "İstanbul",
                            "receiverCountry": "Türkiye", "receiverCountryId": 1, "receiverEmail": "ayse@example.com",
                            "receiverTaxOffice": "Kadıköy"}
    if not e_arsiv:
        book["alias"] = EFATURA_ALIAS
    body: dict[str, Any] = {
        "status": 20, "recordType": 0 if e_arsiv else 1, "addressBook": book,
        "generalInfoModel": {**GENERAL, "invoiceProfileType": 4 if e_arsiv else 0},
        "invoiceLines": [dict(VALID_LINE)], "paymentMeansModel": dict(PAYMENT),
    }
    if e_arsiv:
        body["archiveInfoModel"] = dict(ARCHIVE)
    return body


EXAMPLES: dict[str, Any] = {
    "token": {"username": "demo", "password": "demo-password", "client_id": "serviceApi"},
    "cari_list": {"pageIndex": "0", "pageSize": "10",
                  "filterQuery": '[{"category":"Identifier","operator":"eşittir","value":"10000000146"}]'},
    "cari_create": {**CARI, "currentAccountAddress": dict(ADDRESS)},
    "cari_update": {"id": 1001, **CARI},
    "address_list": {"currentAccountId": "1001"},
    "address_create": {"currentAccountId": 1001, **ADDRESS},
    "address_update": {"id": 5001, "currentAccountId": 1001, **ADDRESS},
    "cari_account_list": {"currentAccountId": "1001", "pageIndex": "0", "pageSize": "10"},
    "cari_account_create": {"currentAccountId": 1001, "accountId": 2, "name": "120.01 havuz"},
    "account_list": {"pageIndex": "0", "pageSize": "10",
                     "filterQuery": '[{"category":"Code","operator":"eşittir","value":"120.01"}]'},
    "invoice_list": {"pageIndex": "0", "pageSize": "500",
                     "filterQuery": '[{"category":"IssueDate","operator":"ile başlayan","value":"2026-01-15"}]'},
    "invoice_incoming_list": {"pageIndex": "0", "pageSize": "500",
                              "filterQuery": '[{"category":"TargetVknTckn","operator":"eşittir","value":"1234567890"}]'},
    "invoice_get": {"isSend": "true"},
    "invoice_save": {
        "description": "Sipariş #1001 (shopify 5550001)", "currentAccountIdentifier": "10000000146", "isSend": True,
        "recordType": 0, "notes": [{"note": "Sipariş"}],
        "generalInfoModel": {**GENERAL, "invoiceProfileType": 0},
        "invoiceLines": [{"inventoryServiceCode": "TS-1", "inventoryCard": "Tişört", "amount": Decimal(2),
                          "unitCode": "C62", "unitPrice": Decimal("50.00"), "discountAmount": Decimal("0.00"),
                          "lineExtensionAmount": Decimal("100.00"), "vatRate": Decimal(20), "vatAmount": Decimal("20.00"),
                          "vatExemptionReasonCode": "351"}],
        "paymentMeansModel": dict(PAYMENT), "archiveInfoModel": dict(ARCHIVE),
    },
    "invoice_accounting": {"ettn": GENERAL["ettn"], "isSend": True},
    "earchive_create": _service(True),
    "outbox_create": _service(False),
    "earchive_getinvoice": {"guid": GENERAL["ettn"]},
    "gibuser_isuser": {"identifier": EFATURA_VKN, "appType": "1"},
    "gibuser_getuser": {"identifier": EFATURA_VKN},
}
EXAMPLES["invoice_update"] = EXAMPLES["invoice_save"]
EXAMPLES["invoice_reverse"] = EXAMPLES["invoice_accounting"]
EXAMPLES["outbox_getinvoice"] = EXAMPLES["earchive_getinvoice"]
EXAMPLES["earchive_status"] = EXAMPLES["outbox_status"] = {}

ROUTES: dict[str, tuple[str, str]] = {  # endpoint name → (method, path under /turkcell)
    "token": ("POST", "/v1/token"),
    "cari_list": ("GET", "/v1/currentaccounts"),
    "cari_create": ("POST", "/v1/currentaccounts"),
    "cari_update": ("PUT", "/v1/currentaccounts/1001"),
    "address_list": ("GET", "/v1/currentaccountaddresses"),
    "address_create": ("POST", "/v1/currentaccountaddresses"),
    "address_update": ("PUT", "/v1/currentaccountaddresses"),
    "cari_account_list": ("GET", "/v1/currentaccountaccounts"),
    "cari_account_create": ("POST", "/v1/currentaccountaccounts"),
    "account_list": ("GET", "/v1/accounts"),
    "invoice_list": ("GET", "/v1/invoices/outgoing"),
    "invoice_incoming_list": ("GET", "/v1/invoices/incoming"),
    "invoice_get": ("GET", f"/v1/invoices/{GENERAL['ettn']}"),
    "invoice_save": ("POST", "/v1/invoices"),
    "invoice_update": ("PUT", "/v1/invoices"),
    "invoice_accounting": ("POST", "/v1/invoices/accounting"),
    "invoice_reverse": ("POST", "/v1/invoices/reverse"),
    "earchive_create": ("POST", "/efatura/v2/earchive/create"),
    "outbox_create": ("POST", "/efatura/v1/outboxinvoice/create"),
    "earchive_getinvoice": ("GET", "/efatura/v2/earchive/getinvoice"),
    "outbox_getinvoice": ("GET", "/efatura/v1/outboxinvoice/getinvoice"),
    "earchive_status": ("GET", "/efatura/v2/earchive/3f1d2c4b-5a69-4b7c-8d9e-0f1a2b3c4d5e/status"),
    "outbox_status": ("GET", "/efatura/v2/outboxinvoice/3f1d2c4b-5a69-4b7c-8d9e-0f1a2b3c4d5e/status"),
    "gibuser_isuser": ("GET", "/efatura/v1/gibuser/isuser"),
    "gibuser_getuser": ("GET", "/efatura/v1/gibuser/getuser"),
}


def test_every_contract_has_an_example_and_a_route() -> None:
    assert set(EXAMPLES) == set(CONTRACTS) == set(ROUTES)


def _cases() -> list[tuple[str, ContractRefusal]]:
    out = []
    for ep, contract in CONTRACTS.items():
        for case in refusals(contract, EXAMPLES[ep]):
            # Query parameters and form fields are text on the wire: a wrong JSON kind cannot be sent.
            if (ROUTES[ep][0] == "GET" or ep == "token") and case.what.startswith("kind "):
                continue
            out.append((ep, case))
    return out


CASES = _cases()


@pytest.mark.parametrize(("ep", "case"), CASES, ids=[f"{ep} | {c.what}" for ep, c in CASES])
def test_the_simulator_refuses_what_the_contract_refuses(
    sandbox_server: SandboxServer, sandbox: Sandbox, sim: TurkcellSimulator, ep: str, case: ContractRefusal
) -> None:
    method, path = ROUTES[ep]
    base = f"{sandbox_server.url}/turkcell"
    with httpx.Client(base_url=base, timeout=5) as client:
        if ep == "token":
            response = client.post(path, data=case.body)
        else:
            token = client.post("/v1/token", data=EXAMPLES["token"]).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            if method == "GET":
                response = client.get(path, params=case.body, headers=headers)
            else:
                body = [case.body] if ep in LIST_BODIES else case.body
                response = client.request(method, path, content=dumps(body),
                                          headers={**headers, "Content-Type": "application/json"})
    expected = "; ".join(v.message for v in CONTRACTS[ep].violations(case.body))
    if ep == "token":
        # OAuth-style answer of the token endpoint
        assert response.status_code == 422, (case.what, response.text)
        assert response.json()["error_description"] == expected
    else:
        assert response.status_code == 400, (case.what, response.text)
        # Turkcell's own error shape, naming exactly what the contract found (so no stateful
        # check answered in its place)
        assert response.json() == {"Error": expected}, case.what
    assert [v.status for v in sandbox.state.violations.list(P)] == [response.status_code]
    assert sandbox.ledger.summary().get(P, {}) == {}


@pytest.mark.parametrize(
    ("answer", "seconds"),
    [({"access_token": "t", "expires_in": "86400"}, 86400.0), ({"access_token": "t", "expires_in": 3600}, 3600.0)],
)
def test_the_token_answer_is_read_liberally(answer: dict, seconds: float) -> None:
    from sync_engine.providers.turkcell.adapter import _token_from

    response = httpx.Response(200, json=answer, request=httpx.Request("POST", "http://x/v1/token"))
    assert _token_from(response).expires_in_s == seconds


@pytest.mark.parametrize(
    ("answer", "field"),
    [({"expires_in": "86400"}, "access_token"), ({"access_token": "t"}, "expires_in"),
     ({"access_token": "t", "expires_in": "bir gün"}, "expires_in"), (["t"], "access_token")],
)
def test_a_token_answer_without_its_fields_is_an_auth_error_naming_them(answer: object, field: str) -> None:
    from sync_engine.providers.turkcell.adapter import _token_from

    response = httpx.Response(200, json=answer, request=httpx.Request("POST", "http://x/v1/token"))
    with pytest.raises(AuthError, match=field):
        _token_from(response)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b'{"Error": "Fatura bulunamad\\u0131"}', "Fatura bulunamadı"),
        (b'{"Error": {"title": "Validation", "detail": "prefix zorunlu"}}', "Validation: prefix zorunlu"),
        ('{"message": "ETTN daha önce kullanılmış"}'.encode(), "ETTN daha önce kullanılmış"),
        (b'{"errors": {"addressBook.name": ["zorunlu"]}}', "addressBook.name: zorunlu"),
        (b'{"errors": ["a", "b"]}', "a; b"),
        (b'{"error": "invalid_grant", "error_description": "hatal\\u0131"}', "hatalı"),
        (b"<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
    ],
)
def test_message_of_reads_every_documented_error_shape(body: bytes, text: str) -> None:
    from sync_engine.providers.turkcell.adapter import message_of

    assert message_of(httpx.Response(400, content=body, request=httpx.Request("GET", "http://x"))) == text
