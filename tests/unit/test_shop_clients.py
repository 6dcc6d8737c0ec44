"""The reconciliation order listers against the shop simulators over real loopback HTTP."""

from __future__ import annotations

import math
import random
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sync_engine.platforms.clients import (
    ShopifyOrderLister,
    WooCommerceOrderLister,
    link_targets,
    make_lister,
)
from sync_engine.providers.errors import (
    AuthError,
    PermanentError,
    TransientError,
    UnsupportedCapability,
)
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.devtools.orders import random_orders
from sync_engine.sandbox.shopify import DEFAULT_ACCESS_TOKEN, ShopifySimulator
from sync_engine.sandbox.woocommerce import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    WooCommerceSimulator,
)

N = 1234
ALL_TIME = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def shop_orders() -> list[dict[str, Any]]:
    return random_orders("shopify", random.Random(1234), N)


@pytest.fixture(scope="module")
def woo_orders() -> list[dict[str, Any]]:
    return random_orders("woocommerce", random.Random(4321), N)


@pytest.fixture(scope="module")
def server(shop_orders: list[dict[str, Any]], woo_orders: list[dict[str, Any]]) -> Iterator[SandboxServer]:
    sandbox = Sandbox([ShopifySimulator, WooCommerceSimulator])
    # Seeded once for the module; tests that change orders use shops of their own.
    sandbox["shopify"].add_orders("big", shop_orders)
    sandbox["woocommerce"].add_orders("big", woo_orders)
    with SandboxServer(sandbox) as srv:
        yield srv


@pytest.fixture()
def sb(server: SandboxServer) -> Iterator[Sandbox]:
    """Fresh clock, ledger, faults and violations per test (the orders stay)."""
    server.sandbox.state.reset()
    yield server.sandbox
    server.sandbox.state.reset()


def shopify(server: SandboxServer, shop: str = "big", **kw: Any) -> ShopifyOrderLister:
    return ShopifyOrderLister(f"{server.url}/shopify/{shop}", kw.pop("token", DEFAULT_ACCESS_TOKEN), **kw)


def woo(server: SandboxServer, shop: str = "big", **kw: Any) -> WooCommerceOrderLister:
    return WooCommerceOrderLister(f"{server.url}/woocommerce/{shop}", DEFAULT_CONSUMER_KEY,
                                  kw.pop("secret", DEFAULT_CONSUMER_SECRET), **kw)


@pytest.mark.parametrize("page_size", [250, 100])
def test_shopify_lister_yields_every_order_once(
    sb: Sandbox, server: SandboxServer, shop_orders: list[dict[str, Any]], page_size: int
) -> None:
    with shopify(server, page_size=page_size) as lister:
        ids = [o["id"] for o in lister.iter_orders(*ALL_TIME)]
    assert len(ids) == N and set(ids) == {o["id"] for o in shop_orders}
    assert lister.calls == math.ceil(N / page_size)
    assert sb.ledger.count("shopify", "list_call") == lister.calls
    # After the first page only limit and page_info were sent, else the simulator refuses.
    assert sb.state.violations.list() == []


@pytest.mark.parametrize("page_size", [100, 50])
def test_woocommerce_lister_yields_every_order_once(
    sb: Sandbox, server: SandboxServer, woo_orders: list[dict[str, Any]], page_size: int
) -> None:
    with woo(server, page_size=page_size) as lister:
        ids = [o["id"] for o in lister.iter_orders(*ALL_TIME)]
    assert len(ids) == N and set(ids) == {o["id"] for o in woo_orders}
    assert lister.calls == math.ceil(N / page_size)
    assert sb.ledger.count("woocommerce", "list_call") == lister.calls
    assert sb.state.violations.list() == []


def _shopify_updated(o: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(o["updated_at"])


def _woo_modified(o: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(o["date_modified_gmt"]).replace(tzinfo=UTC)


def test_window_is_half_open_on_both_platforms(
    sb: Sandbox, server: SandboxServer, shop_orders: list[dict[str, Any]], woo_orders: list[dict[str, Any]]
) -> None:
    for make, orders, stamp in ((shopify, shop_orders, _shopify_updated), (woo, woo_orders, _woo_modified)):
        times = sorted(stamp(o) for o in orders)
        low, high = times[200], times[700]  # both are some order's exact update time
        expected = {o["id"] for o in orders if low <= stamp(o) < high}
        with make(server) as lister:
            got = [o["id"] for o in lister.iter_orders(low, high)]
        assert len(got) == len(set(got)) and set(got) == expected and len(expected) == 500
        # Sub-second bounds: everything in the same second but before `high` still counts.
        with make(server) as lister:
            got = {o["id"] for o in lister.iter_orders(low - timedelta(microseconds=1), high + timedelta(microseconds=1))}
        assert got == {o["id"] for o in orders if low <= stamp(o) <= high}


def test_updates_move_orders_into_the_window(sb: Sandbox, server: SandboxServer, shop_orders: list[dict[str, Any]],
                                             woo_orders: list[dict[str, Any]]) -> None:
    sb["shopify"].add_orders("upd", shop_orders[:20])
    sb["woocommerce"].add_orders("upd", woo_orders[:20])
    start = sb.state.clock.now()
    sb.state.clock.advance(60)
    sb["shopify"].cancel_order("upd", shop_orders[10]["id"])  # closed: only status=any sees it
    sb["woocommerce"].update_order("upd", woo_orders[10]["id"], {"status": "refunded"})
    end = sb.state.clock.now() + timedelta(seconds=1)
    with shopify(server, shop="upd") as s, woo(server, shop="upd") as w:
        assert [o["id"] for o in s.iter_orders(start, end)] == [shop_orders[10]["id"]]
        assert [o["id"] for o in w.iter_orders(start, end)] == [woo_orders[10]["id"]]
        assert (s.calls, w.calls) == (1, 1)


def test_amounts_arrive_as_decimal(sb: Sandbox, server: SandboxServer) -> None:
    with shopify(server) as s, woo(server) as w:
        order = next(s.iter_orders(*ALL_TIME))
        assert order["line_items"][0]["tax_lines"][0]["rate"] in (Decimal("0.2"), Decimal("0.1"), Decimal("0.01"))
        assert isinstance(order["id"], int) and order["id"] >= 5 * 10**12
        assert isinstance(order["total_price"], str)  # Shopify money is text
        wo = next(w.iter_orders(*ALL_TIME))
        assert isinstance(wo["line_items"][0]["price"], Decimal)  # a PHP float on the wire
        assert wo["currency_symbol"] == "₺"


def test_empty_shop_costs_one_call(sb: Sandbox, server: SandboxServer) -> None:
    with shopify(server, shop="empty") as s, woo(server, shop="empty") as w:
        assert list(s.iter_orders(*ALL_TIME)) == [] and list(w.iter_orders(*ALL_TIME)) == []
        assert (s.calls, w.calls) == (1, 1)


def test_get_single_order(sb: Sandbox, server: SandboxServer, shop_orders: list[dict[str, Any]],
                          woo_orders: list[dict[str, Any]]) -> None:
    with shopify(server) as s, woo(server) as w:
        assert s.get_order(str(shop_orders[3]["id"]))["name"] == shop_orders[3]["name"]
        assert w.get_order(str(woo_orders[3]["id"]))["number"] == woo_orders[3]["number"]
        with pytest.raises(PermanentError) as missing:
            w.get_order("1")
        assert missing.value.status == 404 and "Invalid ID" in missing.value.message


def test_errors_are_classified(sb: Sandbox, server: SandboxServer) -> None:
    with shopify(server, token="shpat_wrong") as s:
        with pytest.raises(AuthError) as auth:
            list(s.iter_orders(*ALL_TIME))
        assert auth.value.provider == "shopify" and "Invalid API key" in auth.value.message
    with woo(server, secret="cs_wrong") as w:
        with pytest.raises(AuthError) as auth:
            list(w.iter_orders(*ALL_TIME))
        assert auth.value.provider == "woocommerce" and auth.value.message == "Consumer secret is invalid."
    with shopify(server, page_size=251) as s:
        with pytest.raises(PermanentError) as bad:
            list(s.iter_orders(*ALL_TIME))
        assert bad.value.status == 400 and "limit" in bad.value.message
    with woo(server, page_size=101) as w:
        with pytest.raises(PermanentError) as bad:
            list(w.iter_orders(*ALL_TIME))
        assert bad.value.message == "Invalid parameter(s): per_page"

    sb.state.faults.add(FaultRule("shopify", "orders_list", FaultMode.RATE_429, times=1, retry_after_s=3))
    sb.state.faults.add(FaultRule("woocommerce", "orders_list", FaultMode.BEFORE_500, times=1))
    with shopify(server) as s, woo(server) as w:
        with pytest.raises(TransientError) as limited:
            list(s.iter_orders(*ALL_TIME))
        assert limited.value.status == 429 and limited.value.retry_after == 3.0
        with pytest.raises(TransientError) as crashed:
            list(w.iter_orders(*ALL_TIME))
        assert crashed.value.status == 500
        # A fault in the middle of paging surfaces too, after the pages before it.
        sb.state.faults.add(FaultRule("shopify", "orders_list", FaultMode.AFTER_504, times=1))
        with pytest.raises(TransientError):
            list(s.iter_orders(*ALL_TIME))


def test_unreachable_shop_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with ShopifyOrderLister(f"http://127.0.0.1:{port}/shopify/x", "t", timeout_s=2) as s:
        with pytest.raises(TransientError) as down:
            list(s.iter_orders(*ALL_TIME))
    assert down.value.status is None and "connection error" in down.value.message


def test_naive_window_is_refused() -> None:
    with ShopifyOrderLister("http://127.0.0.1:1", "t") as s:
        with pytest.raises(ValueError):
            list(s.iter_orders(datetime(2025, 1, 1), datetime(2025, 1, 2)))


def test_make_lister_and_link_parsing(server: SandboxServer) -> None:
    lister = make_lister("woocommerce", "https://shop.example", "ck_1:cs_2")
    assert isinstance(lister, WooCommerceOrderLister)
    lister.close()
    lister = make_lister("Shopify", "https://x.myshopify.com", "shpat_1", page_size=50)
    assert isinstance(lister, ShopifyOrderLister) and lister.page_size == 50
    lister.close()
    with pytest.raises(ValueError):
        make_lister("woocommerce", "https://shop.example", "no-colon")
    with pytest.raises(UnsupportedCapability):
        make_lister("generic", "https://shop.example", "t")
    header = ('<https://s.myshopify.com/admin/api/2024-10/orders.json?limit=5&page_info=abc>; rel="previous", '
              '<https://s.myshopify.com/admin/api/2024-10/orders.json?limit=5&page_info=def>; rel="next"')
    assert link_targets(header)["next"].endswith("page_info=def")
    assert link_targets(header)["previous"].endswith("page_info=abc")
    assert link_targets(None) == {}


def test_woocommerce_refunds_of_an_order(sb: Sandbox, server: SandboxServer, woo_orders: list[dict[str, Any]]) -> None:
    sim = sb["woocommerce"]
    order = {**woo_orders[5], "id": 990001, "refunds": []}
    sim.add_order("refunds", order)
    refund = {"id": 990101, "date_created_gmt": "2025-03-16T09:00:00", "amount": "10.00", "reason": "", "refunded_by": 1,
              "line_items": [{"id": 990102, "quantity": -1, "total": "-8.33", "total_tax": "-1.67",
                              "meta_data": [{"key": "_refunded_item_id", "value": str(order["line_items"][0]["id"])}]}],
              "shipping_lines": []}
    updated = sim.add_refund("refunds", 990001, refund)
    # The order lists it WooCommerce's way: {id, reason, total} with a negative total.
    assert updated["refunds"] == [{"id": 990101, "reason": "", "total": "-10.00"}]
    with woo(server, "refunds") as w:
        got = w.get_refunds("990001")
        assert [r["id"] for r in got] == [990101]
        assert got[0]["line_items"][0]["total_tax"] == "-1.67"
        with pytest.raises(PermanentError) as missing:
            w.get_refunds("1")
        assert missing.value.status == 404 and "Invalid order ID" in missing.value.message
    with woo(server, "refunds", secret="cs_wrong") as w, pytest.raises(AuthError):
        w.get_refunds("990001")
