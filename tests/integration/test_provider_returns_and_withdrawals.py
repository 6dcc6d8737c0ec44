"""Issue #12 at FaturaEntegratör, KolayBi and SinApp with the real adapters against their
simulators over HTTP (Redis real: KolayBi's token cache, the rate budgets).

* A return: sale → GİB send → return (İADE) invoice referencing it → its send, and the ledger
  holds the return once (a repeated create finds it, never makes a second).
* A draft withdrawn by the pipeline's own cancel step (``_cancelled_before``, which looks the
  draft up first): withdrawn once; run again, it finds the draft gone (FE) or cancelled
  already (SinApp's soft cancel, whose repeat has no effect), and the ledger still shows one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import redis

from sync_engine.domain import InvoiceLine, Order
from sync_engine.ingest import _withdraws_drafts
from sync_engine.pipeline.steps import StepContext, _cancelled_before
from sync_engine.providers.auth import TokenCache
from sync_engine.providers.base import BaseProvider, Capability, InvoiceRequest, ReturnOf, SendState
from sync_engine.providers.faturaentegrator import FaturaEntegratorProvider
from sync_engine.providers.kolaybi import KolayBiProvider
from sync_engine.providers.ratelimit import RedisTokenBucket
from sync_engine.providers.sinapp.adapter import SinAppProvider
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.faturaentegrator import DEFAULT_API_KEY as FE_KEY
from sync_engine.sandbox.faturaentegrator import FaturaEntegratorSimulator
from sync_engine.sandbox.kolaybi import DEFAULT_API_KEY as KB_KEY
from sync_engine.sandbox.kolaybi import DEFAULT_CHANNEL, KolayBiSimulator
from sync_engine.sandbox.sinapp.simulator import DEMO_API_KEY, DEMO_API_SECRET, SinAppSimulator
from tests.support.orders import SETTINGS, order, runtime
from tests.support.providers import assert_no_violations, redis_client, sale_request  # noqa: F401
from tests.support.returns import refunded, return_request

pytestmark = pytest.mark.redis

SIMULATORS = (FaturaEntegratorSimulator, KolayBiSimulator, SinAppSimulator)
CONTACTS = replace(SETTINGS, default_contact_phone="02125550000", default_contact_email="fatura@demo-shop.example")


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(Sandbox(simulators=list(SIMULATORS))) as served:
        yield served


@pytest.fixture
def sandbox(server: SandboxServer) -> Sandbox:
    server.sandbox.reset()
    return server.sandbox


@pytest.fixture
def providers(server: SandboxServer, sandbox: Sandbox, redis_client: redis.Redis) -> Iterator[dict[str, BaseProvider]]:  # noqa: F811
    space = f"returns-{uuid.uuid4().hex[:12]}:"

    def budget(name: str) -> RedisTokenBucket:
        return RedisTokenBucket(redis_client, f"{space}{name}", 1000.0)

    made: dict[str, BaseProvider] = {
        "faturaentegrator": FaturaEntegratorProvider(
            base_url=f"{server.url}/faturaentegrator", api_key=FE_KEY, sale_channel_id=1,
            invoice_integration_id=1, timeout_s=5.0, budget=budget("fe"),
        ),
        "kolaybi": KolayBiProvider(
            base_url=f"{server.url}/kolaybi", api_key=KB_KEY, channel=DEFAULT_CHANNEL, timeout_s=5.0,
            token_cache=TokenCache(redis_client, namespace=f"{space}token:"), account_key=f"{space}kolaybi",
        ),
        "sinapp": SinAppProvider(
            base_url=f"{server.url}/sinapp", api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET,
            website="demo-shop.example", company_name="Demo Mağazacılık A.Ş.", timeout_s=5.0, budget=budget("sinapp"),
        ),
    }
    yield made
    for provider in made.values():
        provider.close()
    for pattern in (f"{space}*", f"sync:rate:{space}*"):
        for key in redis_client.scan_iter(match=pattern):
            redis_client.delete(key)


def today(sandbox: Sandbox) -> date:
    return sandbox.state.clock.now().astimezone(UTC).date()


def sale(o: Order, sandbox: Sandbox) -> InvoiceRequest:
    return sale_request(o, CONTACTS, today(sandbox))


def sent_to_gib(provider: BaseProvider, sandbox: Sandbox, req: InvoiceRequest) -> ReturnOf:
    """Sale invoiced and sent; GİB's answer awaited on the sandbox clock."""
    ref = provider.create_invoice(req, provider.upsert_customer(req.order))
    provider.send_e_document(req, ref)
    sandbox.state.clock.advance(sandbox.state.status_step_s)
    state = provider.e_document_state(req, ref)
    assert state.state is SendState.SENT, state
    return ReturnOf(ref.invoice_id, state.invoice_number, req.issue_date, state.gib_uuid)


@pytest.mark.parametrize("name", ["faturaentegrator", "kolaybi"])
def test_sale_then_return_each_sent_once(name: str, providers: dict[str, BaseProvider], sandbox: Sandbox) -> None:
    provider = providers[name]
    assert provider.supports(Capability.RETURN_INVOICE)
    mug = InvoiceLine(sku="MUG-1", name="Kupa", quantity=Decimal(3), unit_price=Decimal("33.33"),
                      vat_rate=Decimal(20), discount=Decimal("10.00"))
    o = order(order_id=f"ret-{name}", lines=(mug, order().lines[2]))
    original = sent_to_gib(provider, sandbox, sale(o, sandbox))
    ret = return_request(o, (refunded(mug, Decimal(1)),), CONTACTS, today(sandbox))
    customer = provider.upsert_customer(ret.order)
    ref = provider.create_return_invoice(ret, original, customer)
    assert ref.total == ret.order.paid_total == Decimal("30.00")
    # A lost answer: the retry finds the return by the return job's key, makes none.
    assert provider.create_return_invoice(ret, original, customer) == ref
    assert provider.find_invoice(ret) == ref
    provider.send_e_document(ret, ref)
    sandbox.state.clock.advance(sandbox.state.status_step_s)
    assert provider.e_document_state(ret, ref).state is SendState.SENT
    assert sandbox.ledger.count(name, "return_invoice_created") == 1
    assert sandbox.ledger.count(name, "invoice_created") == 1
    assert sandbox.ledger.count(name, "gib_send") == 2
    assert_no_violations(sandbox)


def test_sinapp_declares_no_return(providers: dict[str, BaseProvider]) -> None:
    assert not providers["sinapp"].supports(Capability.RETURN_INVOICE)


def cancel_step(provider: BaseProvider, req: InvoiceRequest) -> Any:
    """The pipeline's own step for an order cancelled before the GİB send, on this job."""
    ctx = StepContext(
        job_id=1, job={"route_source": "provider", "document_type": "e_arsiv"}, order=req.order,
        runtime=runtime(provider, f"acct-{provider.name}"), owner="test", sessions=None,  # type: ignore[arg-type]
        clock=lambda: datetime.now(UTC), lease_ttl_s=30.0, update=lambda **_: None,
        claim=lambda **_: True, request_factory=lambda _t, _a: req,
    )
    return _cancelled_before(ctx, "GİB send", True)


@pytest.mark.parametrize("name", ["faturaentegrator", "sinapp"])
def test_a_draft_is_withdrawn_once_by_the_cancel_step(
    name: str, providers: dict[str, BaseProvider], sandbox: Sandbox
) -> None:
    provider = providers[name]
    # What ingest asks before it lets the step withdraw (both capabilities declared).
    assert _withdraws_drafts(SimpleNamespace(provider=SimpleNamespace(name=name)))
    req = sale(order(order_id=f"wd-{name}"), sandbox)
    customer = provider.upsert_customer(req.order) if provider.supports(Capability.CUSTOMER) else None
    provider.create_invoice(req, customer)
    first = cancel_step(provider, req)
    assert first.cancelled and "was withdrawn" in (first.message or ""), first
    again = cancel_step(provider, req)
    assert again.cancelled
    if name == "faturaentegrator":
        assert provider.find_invoice(req) is None and "none was left" in (again.message or "")
    assert sandbox.ledger.count(name, "invoice_deleted") == 1
    assert sandbox.ledger.count(name, "gib_send") == 0
    assert_no_violations(sandbox)
