"""Scaffolding the provider suites share: the contract tests, the simulator tests and the
golden mapping tests of Turkcell e-Şirket, KolayBi, FaturaEntegratör and SinApp.

The fixtures are plain pytest fixtures. A test module imports the ones it uses by name, and
names its simulator class in a module attribute ``SIMULATOR`` (the name every simulator package
exports it under), so one set of fixtures serves all four providers::

    from tests.support.providers import sandbox, sandbox_server, sim  # noqa: F401

    SIMULATOR = KolayBiSimulator  # the one the sandbox fixtures serve

Fixtures
--------
sandbox_server   Module-wide: a `Sandbox` holding only the module's ``SIMULATOR``, served over
                 real HTTP on loopback. Starting uvicorn per test would cost more than most tests.
sandbox          The served sandbox, reset before the test (state, ledger, faults, clock, books).
                 A module that needs the reset even in tests that never ask for the sandbox
                 says ``pytestmark = pytest.mark.usefixtures("sandbox")``.
sim              The module's simulator inside that (reset) sandbox.
redis_client     A client of the real Redis, database 15 (the tests' database; other suites
                 and other test processes share it), closed after the test.
redis_namespace  A random key prefix ``<module>-<hex>:`` for this test. Afterwards every key
                 under it and every rate budget ``sync:rate:<prefix>*`` is deleted — only
                 those: a ``flushdb`` would wipe what concurrent suites are using.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import redis

from sync_engine.domain import InvoiceLine, LineKind, Order, compute_invoice
from sync_engine.domain.keys import ettn_for, sale_key
from sync_engine.providers.base import DocumentRoute, DocumentType, InvoiceRequest, InvoiceSettings
from sync_engine.sandbox.app import Sandbox, SandboxServer
from tests.support.services import redis_url

REDIS_URL = redis_url(15)
E_ARSIV = DocumentRoute(DocumentType.E_ARSIV)

__all__ = [
    "E_ARSIV",
    "KOLAYBI_LINES",
    "REDIS_URL",
    "SINAPP_SETTINGS",
    "TURKCELL_LINES",
    "TURKCELL_SETTINGS",
    "apply_changes",
    "assert_no_violations",
    "redis_client",
    "redis_namespace",
    "sale_request",
    "sandbox",
    "sandbox_server",
    "sim",
]


# --- the sandbox ------------------------------------------------------------------------------


def _simulator_of(request: pytest.FixtureRequest) -> Any:
    try:
        return request.module.SIMULATOR
    except AttributeError:
        raise pytest.UsageError(
            f"{request.module.__name__} uses the sandbox fixtures but names no SIMULATOR"
        ) from None


@pytest.fixture(scope="module")
def sandbox_server(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    with SandboxServer(Sandbox(simulators=[_simulator_of(request)])) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Sandbox:
    sandbox_server.sandbox.reset()
    return sandbox_server.sandbox


@pytest.fixture
def sim(request: pytest.FixtureRequest, sandbox: Sandbox) -> Any:
    return sandbox[_simulator_of(request).name]


def assert_no_violations(sandbox: Sandbox) -> None:
    """Nothing the adapter (or test) sent broke the provider's documented contract."""
    found = sandbox.state.violations.list()
    # This module is not assertion-rewritten by pytest: say what was found ourselves.
    assert found == [], f"contract violations: {found}"


def apply_changes(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Edit a request body in place by ``a__b__0__c`` paths (digits index lists); a value of
    ``...`` removes the key. Returns the body."""
    for path, value in changes.items():
        *parents, last = path.split("__")
        node: Any = body
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is ...:
            node.pop(last, None)
        else:
            node[last] = value
    return body


# --- Redis ------------------------------------------------------------------------------------


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def redis_namespace(request: pytest.FixtureRequest, redis_client: redis.Redis) -> Iterator[str]:
    module = request.module.__name__.rpartition(".")[2]
    namespace = f"{module}-{uuid.uuid4().hex[:12]}:"
    yield namespace
    for pattern in (f"{namespace}*", f"sync:rate:{namespace}*"):
        for key in redis_client.scan_iter(match=pattern):
            redis_client.delete(key)


# --- invoice requests -------------------------------------------------------------------------


def sale_request(
    order: Order, settings: InvoiceSettings, issue_date: date, route: DocumentRoute = E_ARSIV,
    *, key: str | None = None, ettn: str | None = None,
) -> InvoiceRequest:
    """The request the pipeline builds for an order's sale invoice: idempotency key from the
    store and order id (unless given), ETTN derived from that key (unless given)."""
    key = key or sale_key(order.store_id, order.order_id)
    return InvoiceRequest(
        idempotency_key=key, ettn=ettn or ettn_for(key), order=order, invoice=compute_invoice(order),
        settings=settings, route=route, issue_date=issue_date,
    )


# --- data one provider's contract and mapping suites share ------------------------------------
# Golden values in the mapping tests and totals in the contract tests are computed from these:
# change them and both suites must be re-derived.

TURKCELL_SETTINGS = InvoiceSettings(
    prefix="DMS", website="https://demo-shop.example", seller_name="Demo Mağazacılık A.Ş.",
    seller_vkn="1000000018", carrier_name="Yurtiçi Kargo", carrier_vkn="1000000026",
)
# VAT 20 % with a discount, 10 %, 1 % and shipping: paid 512.84.
TURKCELL_LINES = (
    InvoiceLine(sku="TS-1", name="Tişört", quantity=Decimal(2), unit_price=Decimal("199.90"), vat_rate=Decimal(20), discount=Decimal("20.00")),
    InvoiceLine(sku="KT-9", name="Kitap", quantity=Decimal(1), unit_price=Decimal("55.55"), vat_rate=Decimal(10)),
    InvoiceLine(name="Ekmek", quantity=Decimal(3), unit_price=Decimal("12.50"), vat_rate=Decimal(1)),
    InvoiceLine(name="Kargo", quantity=Decimal(1), unit_price=Decimal("39.99"), vat_rate=Decimal(20), kind=LineKind.SHIPPING),
)

# VAT 20 % with a discount, 10 %, 1 % and shipping: paid 564.72.
KOLAYBI_LINES = (
    InvoiceLine(sku="KUPA-01", name="Seramik Kupa", quantity="2", unit_price="149.90", vat_rate="20",
                discount="29.98"),
    InvoiceLine(name="El Yapımı Sabun", quantity="3", unit_price="45.00", vat_rate="10"),
    InvoiceLine(sku="KITAP-7", name="Roman", quantity="1", unit_price="120.00", vat_rate="1"),
    InvoiceLine(name="Standart Kargo", quantity="1", unit_price="39.90", vat_rate="20", kind=LineKind.SHIPPING),
)

SINAPP_SETTINGS = InvoiceSettings(
    prefix="DMS", website="https://demo-shop.example", seller_name="Demo Mağazacılık A.Ş.",
    seller_vkn="1234567890", carrier_name="Demo Mağazacılık A.Ş.", carrier_vkn="1234567890",
)
