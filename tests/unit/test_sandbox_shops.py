"""The shop-platform side of the sandbox: the order factory's arithmetic and identity, the
Shopify and WooCommerce list endpoints over real HTTP, and the webhook signers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sync_engine.domain import (
    ANONYMOUS_TCKN,
    Buyer,
    BuyerKind,
    InvoiceLine,
    LineKind,
    Order,
    compute_invoice,
    is_valid_tckn,
    is_valid_vkn,
    round_kurus,
)
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.core import FaultMode, FaultRule, SandboxState
from sync_engine.devtools.orders import (
    EFATURA_COMPANIES,
    KINDS,
    demo_orders,
    generate_tckn,
    generate_vkn,
    random_orders,
    shopify_order,
    woocommerce_order,
)
from sync_engine.sandbox.shopify import AUTH_ERROR, DEFAULT_ACCESS_TOKEN, ShopifySimulator
from sync_engine.devtools.webhooks import (
    WebhookSender,
    build_shopify,
    build_standard,
    build_woocommerce,
    build_woocommerce_ping,
    woocommerce_signature,
)
from sync_engine.sandbox.shop_wire import wp_json_encode
from sync_engine.sandbox.woocommerce import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    WooCommerceSimulator,
)

D = Decimal
HUNDRED = D(100)
ORDERS_PATH = "/shopify/s1/admin/api/2024-10/orders.json"
WOO_PATH = "/woocommerce/w1/wp-json/wc/v3/orders"
SHOPIFY_AUTH = {"X-Shopify-Access-Token": DEFAULT_ACCESS_TOKEN}
WOO_AUTH = (DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET)


def _load(payload: dict[str, Any]) -> dict[str, Any]:
    """As a parser sees it: JSON bytes parsed with Decimal floats."""
    return json.loads(json.dumps(payload), parse_float=Decimal)


def _rate_pct(rate: Decimal) -> int:
    return int(rate * 100)


# --- factory: Shopify ----------------------------------------------------------------

def _identity_attrs(order: dict[str, Any]) -> dict[str, str]:
    return {a["name"]: a["value"] for a in order["note_attributes"]}


@pytest.mark.parametrize("kind", KINDS)
def test_shopify_orders_add_up_like_shopify(kind: str) -> None:
    rng = random.Random(f"shopify-{kind}")
    seen_rates: set[int] = set()
    discounted = 0
    for n in range(1, 201):
        o = _load(shopify_order(rng, n=n, kind=kind))
        assert o["currency"] == "TRY" and o["taxes_included"] is True
        assert o["financial_status"] == "paid"
        assert o["created_at"].endswith("+03:00") and o["updated_at"] >= o["created_at"]
        assert 5 * 10**12 <= o["id"] <= 8 * 10**17
        assert o["name"] == f"#{1000 + n}" and o["number"] == n

        gross = [D(li["price"]) * li["quantity"] for li in o["line_items"]]
        alloc = [sum((D(a["amount"]) for a in li["discount_allocations"]), D(0)) for li in o["line_items"]]
        ship = sum((D(s["price"]) for s in o["shipping_lines"]), D(0))
        assert sum(gross) == D(o["total_line_items_price"])
        assert sum(alloc) == D(o["total_discounts"])
        if o["discount_codes"]:
            discounted += 1
            assert D(o["discount_codes"][0]["amount"]) == D(o["total_discounts"])
        assert D(o["subtotal_price"]) == sum(gross) - sum(alloc)
        assert ship == D(o["total_shipping_price_set"]["shop_money"]["amount"])
        assert D(o["total_price"]) == D(o["subtotal_price"]) + ship == D(o["current_total_price"])

        # Per rate: the lines' and shipping's tax lines add up to the order's tax line,
        # which Shopify rounds once from the exact tax-inclusive amounts.
        per_rate: dict[int, Decimal] = defaultdict(Decimal)
        exact: dict[int, Decimal] = defaultdict(Decimal)
        for li, g, d in zip(o["line_items"], gross, alloc, strict=True):
            (tl,) = li["tax_lines"]
            rate = _rate_pct(tl["rate"])
            assert tl["title"] == "KDV" and rate in (1, 10, 20)
            seen_rates.add(rate)
            line_exact = (g - d) * rate / (HUNDRED + rate)
            assert abs(D(tl["price"]) - line_exact) < D("0.02")
            per_rate[rate] += D(tl["price"])
            exact[rate] += line_exact
        for s in o["shipping_lines"]:
            for tl in s["tax_lines"]:
                rate = _rate_pct(tl["rate"])
                per_rate[rate] += D(tl["price"])
                exact[rate] += D(s["price"]) * rate / (HUNDRED + rate)
        order_rates = {_rate_pct(t["rate"]): D(t["price"]) for t in o["tax_lines"]}
        assert order_rates == dict(per_rate)
        assert order_rates == {r: round_kurus(v) for r, v in exact.items()}
        assert sum(order_rates.values()) == D(o["total_tax"])

        # The domain's invoice arithmetic reaches the same paid total.
        lines = [
            InvoiceLine(sku=li["sku"], name=li["title"], quantity=li["quantity"], unit_price=li["price"],
                        vat_rate=_rate_pct(li["tax_lines"][0]["rate"]), discount=a)
            for li, a in zip(o["line_items"], alloc, strict=True)
        ] + [
            InvoiceLine(name=s["title"], quantity=1, unit_price=s["price"], vat_rate=20, kind=LineKind.SHIPPING)
            for s in o["shipping_lines"] if D(s["price"]) > 0
        ]
        order = Order(store_id="s", platform="shopify", order_id=str(o["id"]), order_name=o["name"],
                      created_at=o["created_at"], buyer=Buyer(kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN),
                      lines=tuple(lines), paid_total=o["total_price"])
        assert compute_invoice(order).difference == 0

        attrs = _identity_attrs(o)
        company = o["billing_address"]["company"]
        if kind == "person":
            (tckn,) = attrs.values()
            assert is_valid_tckn(tckn) and not company
        elif kind == "company":
            vkn = attrs.get("Vergi No") or attrs["vkn"]
            office = attrs.get("Vergi Dairesi") or attrs["tax_office"]
            assert is_valid_vkn(vkn) and office.strip() and company.strip()
        else:
            assert not any(is_valid_tckn(v) for v in attrs.values()) and not company
    assert seen_rates == {1, 10, 20}
    assert 20 <= discounted <= 100


# --- factory: WooCommerce ------------------------------------------------------------

def _meta(order: dict[str, Any]) -> dict[str, str]:
    return {m["key"]: m["value"] for m in order["meta_data"]}


@pytest.mark.parametrize("kind", KINDS)
def test_woocommerce_orders_add_up_like_woocommerce(kind: str) -> None:
    rng = random.Random(f"woo-{kind}")
    seen_rates: set[int] = set()
    for n in range(1, 201):
        o = _load(woocommerce_order(rng, n=n, kind=kind))
        assert o["prices_include_tax"] is True and o["status"] == "processing"
        assert o["currency"] == "TRY" and o["date_paid_gmt"]
        created = datetime.fromisoformat(o["date_created"])
        assert created.tzinfo is None
        assert datetime.fromisoformat(o["date_created_gmt"]) == created - timedelta(hours=3)
        assert o["date_modified_gmt"] >= o["date_created_gmt"]

        rate_of = {t["rate_id"]: t["rate_percent"] for t in o["tax_lines"]}
        tax_by_rate: dict[int, Decimal] = defaultdict(Decimal)
        for li in o["line_items"]:
            total, tax = D(li["total"]), D(li["total_tax"])
            (t,) = li["taxes"]
            rate = rate_of[t["id"]]
            seen_rates.add(rate)
            assert D(t["total"]) == tax and D(t["subtotal"]) == D(li["subtotal_tax"])
            # VAT-exclusive REST amounts, each rounded from the VAT-inclusive line.
            assert tax == round_kurus((total + tax) * rate / (HUNDRED + rate))
            assert D(li["subtotal"]) >= total
            assert abs(li["price"] - total / li["quantity"]) < D("1e-9")
            tax_by_rate[rate] += tax
        lines_net = sum((D(li["total"]) for li in o["line_items"]), D(0))
        cart_tax = sum(tax_by_rate.values(), D(0))
        ship_net = sum((D(s["total"]) for s in o["shipping_lines"]), D(0))
        ship_tax = sum((D(s["total_tax"]) for s in o["shipping_lines"]), D(0))
        assert D(o["cart_tax"]) == cart_tax
        assert (D(o["shipping_total"]), D(o["shipping_tax"])) == (ship_net, ship_tax)
        assert ship_tax == round_kurus(ship_net * D("0.2"))
        assert D(o["total_tax"]) == cart_tax + ship_tax
        assert D(o["total"]) == lines_net + cart_tax + ship_net + ship_tax
        assert D(o["discount_total"]) == sum(D(li["subtotal"]) - D(li["total"]) for li in o["line_items"])
        assert D(o["discount_tax"]) == sum(D(li["subtotal_tax"]) - D(li["total_tax"]) for li in o["line_items"])
        for c in o["coupon_lines"]:
            assert (D(c["discount"]), D(c["discount_tax"])) == (D(o["discount_total"]), D(o["discount_tax"]))
        assert {t["rate_percent"]: D(t["tax_total"]) for t in o["tax_lines"] if D(t["tax_total"])} == {
            r: v for r, v in tax_by_rate.items() if v
        }
        assert sum((D(t["shipping_tax_total"]) for t in o["tax_lines"]), D(0)) == ship_tax

        meta = _meta(o)
        for key in ("_billing_hez_TC_number", "_billing_hez_tax_number", "_billing_hez_tax_office"):
            assert key in meta
        if kind == "person":
            assert meta["_billing_hez_invoice_type"] == "person"
            assert is_valid_tckn(meta["_billing_hez_TC_number"])
        elif kind == "company":
            assert meta["_billing_hez_invoice_type"] == "company"
            assert is_valid_vkn(meta["_billing_hez_tax_number"]) and meta["_billing_hez_tax_office"]
            assert o["billing"]["company"]
        else:
            assert not is_valid_tckn(meta["_billing_hez_TC_number"]) and not o["billing"]["company"]
    assert seen_rates == {1, 10, 20}


def test_factory_is_deterministic_per_seed() -> None:
    assert shopify_order(random.Random(7), n=3, kind="person") == shopify_order(random.Random(7), n=3, kind="person")
    assert woocommerce_order(random.Random(7), n=3, kind="company") == woocommerce_order(random.Random(7), n=3, kind="company")
    assert shopify_order(random.Random(7), n=3, kind="person") != shopify_order(random.Random(8), n=3, kind="person")


def test_generated_tax_ids_pass_checksums() -> None:
    rng = random.Random(11)
    tcknos = {generate_tckn(rng) for _ in range(500)}
    vkns = {generate_vkn(rng) for _ in range(500)}
    assert all(is_valid_tckn(t) and t[0] != "0" and t != ANONYMOUS_TCKN for t in tcknos)
    assert all(is_valid_vkn(v) and len(v) == 10 for v in vkns)
    assert len(tcknos) > 490 and len(vkns) > 490


def test_efatura_companies_use_registered_valid_vkns() -> None:
    registered = SandboxState().gib
    assert len(EFATURA_COMPANIES) == 2 and all(is_valid_vkn(v) and registered.is_registered(v) for v, _, _ in EFATURA_COMPANIES)
    o = shopify_order(random.Random(1), n=1, kind="company", efatura=True)
    assert _identity_attrs(o).get("Vergi No", _identity_attrs(o).get("vkn")) in {v for v, _, _ in EFATURA_COMPANIES}


def test_demo_orders_are_fixed_and_cover_every_path() -> None:
    shop = demo_orders("shopify")
    assert shop == demo_orders("shopify") and len(shop) >= 6
    assert [o["name"] for o in shop] == [f"#{1001 + i}" for i in range(len(shop))]
    rates = {_rate_pct(D(str(t["rate"]))) for o in shop for li in o["line_items"] for t in li["tax_lines"]}
    assert rates == {1, 10, 20}
    assert any(o["discount_codes"] for o in shop)
    assert any(D(o["total_shipping_price_set"]["shop_money"]["amount"]) > 0 for o in shop)
    kinds = set()
    for o in shop:
        attrs = _identity_attrs(o)
        if o["billing_address"]["company"]:
            vkn = attrs.get("Vergi No") or attrs["vkn"]
            assert is_valid_vkn(vkn)
            kinds.add("efatura" if vkn == "1234567890" else "company")
        elif any(is_valid_tckn(v) for v in attrs.values()):
            kinds.add("person")
        else:
            kinds.add("anonymous")
    assert kinds == {"person", "anonymous", "company", "efatura"}
    woo = demo_orders("woocommerce")
    assert [o["number"] for o in woo] == [o["name"][1:] for o in shop]
    assert [o["total"] for o in woo] != []
    later = demo_orders("shopify", start=datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    assert later[0]["created_at"] == "2026-01-05T15:00:00+03:00"


def test_wp_json_encode_escapes_like_php() -> None:
    body = wp_json_encode({"href": "https://x.example/a/b", "city": "İstanbul", "sym": "₺", "e": "😀"})
    assert body == (b'{"href":"https:\\/\\/x.example\\/a\\/b","city":"\\u0130stanbul",'
                    b'"sym":"\\u20ba","e":"\\ud83d\\ude00"}')


# --- HTTP fixtures -------------------------------------------------------------------

class _Echo:
    """A webhook receiver: records the raw bytes and headers of every POST."""

    name = "echo"
    prefix = "/echo"

    def __init__(self, state: SandboxState) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.received.clear()

    def router(self) -> APIRouter:
        r = APIRouter()

        @r.post("/hook")
        async def hook(request: Request) -> JSONResponse:
            body = await request.body()
            with self._lock:
                self.received.append((dict(request.headers), body))
            return JSONResponse({"ok": True})

        return r


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox([ShopifySimulator, WooCommerceSimulator, _Echo])
    with SandboxServer(sb) as server:
        sb.url = server.url  # type: ignore[attr-defined]
        yield sb


@pytest.fixture()
def sb(sandbox: Sandbox) -> Iterator[Sandbox]:
    sandbox.reset()
    yield sandbox
    sandbox.reset()


@pytest.fixture()
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=10) as client:  # type: ignore[attr-defined]
        yield client


@pytest.fixture(scope="module")
def thousand() -> list[dict[str, Any]]:
    return random_orders("shopify", random.Random(1000), 1000)


# --- Shopify list --------------------------------------------------------------------

def test_shopify_list_refuses_missing_or_wrong_token(sb: Sandbox, http: httpx.Client) -> None:
    sb["shopify"].set_token("s1", "shpat_right")
    for headers in ({}, {"X-Shopify-Access-Token": "shpat_wrong"}):
        r = http.get(ORDERS_PATH, headers=headers)
        assert r.status_code == 401 and r.json() == {"errors": AUTH_ERROR}
    assert http.get(ORDERS_PATH, headers={"X-Shopify-Access-Token": "shpat_right"}).status_code == 200
    assert sb.ledger.count("shopify", "list_call") == 1
    assert [v.status for v in sb.state.violations.list("shopify")] == [401, 401]


def test_shopify_limit_outside_1_to_250_is_refused(sb: Sandbox, http: httpx.Client) -> None:
    for limit in ("251", "0", "abc"):
        r = http.get(ORDERS_PATH, params={"limit": limit}, headers=SHOPIFY_AUTH)
        assert r.status_code == 400 and "limit" in r.json()["errors"]
    assert http.get(ORDERS_PATH, params={"limit": 250}, headers=SHOPIFY_AUTH).status_code == 200
    assert sb.ledger.count("shopify", "list_call") == 1


def _pages(http: httpx.Client, params: dict[str, Any]) -> Iterator[httpx.Response]:
    r = http.get(ORDERS_PATH, params=params, headers=SHOPIFY_AUTH)
    while True:
        assert r.status_code == 200, r.text
        yield r
        nxt = r.links.get("next")
        if not nxt:
            return
        r = http.get(nxt["url"], headers=SHOPIFY_AUTH)


@pytest.mark.parametrize("limit", [250, 97])  # 97: a short last page
def test_shopify_cursor_pagination_returns_every_order_once(
    sb: Sandbox, http: httpx.Client, thousand: list[dict[str, Any]], limit: int
) -> None:
    sb["shopify"].add_orders("s1", thousand)
    pages = list(_pages(http, {"status": "any", "limit": limit}))
    bodies = [r.json()["orders"] for r in pages]
    ids = [o["id"] for body in bodies for o in body]
    assert len(pages) == -(-1000 // limit)
    assert len(ids) == 1000 and set(ids) == {o["id"] for o in thousand}
    created = [(o["created_at"], o["id"]) for body in bodies for o in body]
    assert created == sorted(created, reverse=True)  # default: created_at desc
    assert sb.ledger.count("shopify", "list_call") == len(pages)
    assert "previous" not in pages[0].links and "next" not in pages[-1].links
    # Every later page links back to exactly the page before it.
    back = http.get(pages[2].links["previous"]["url"], headers=SHOPIFY_AUTH)
    assert [o["id"] for o in back.json()["orders"]] == [o["id"] for o in bodies[1]]
    assert sb.state.violations.list() == []
    # fields rides along with page_info and trims every page.
    slim = list(_pages(http, {"status": "any", "limit": 200, "fields": "id,name"}))
    assert len(slim) == 5 and all(set(o) == {"id", "name"} for r in slim for o in r.json()["orders"])


def test_shopify_cursor_neither_skips_nor_repeats_when_orders_arrive(
    sb: Sandbox, http: httpx.Client, thousand: list[dict[str, Any]]
) -> None:
    sb["shopify"].add_orders("s1", thousand[:600])
    pages = _pages(http, {"status": "any", "limit": 250, "order": "id asc", "fields": "id,updated_at"})
    ids = [o["id"] for o in next(pages).json()["orders"]]
    sb["shopify"].add_orders("s1", thousand[600:])
    for r in pages:
        ids += [o["id"] for o in r.json()["orders"]]
    # The cursor is the last row's key: the 600 present from the start come exactly once
    # (newcomers sorting before the cursor are, as on Shopify, not revisited).
    assert len(ids) == len(set(ids))
    assert {o["id"] for o in thousand[:600]} <= set(ids)
    assert ids == sorted(ids)


def test_shopify_page_info_carries_filters_and_refuses_others(
    sb: Sandbox, http: httpx.Client, thousand: list[dict[str, Any]]
) -> None:
    sb["shopify"].add_orders("s1", thousand[:300])
    first = http.get(ORDERS_PATH, params={"status": "any", "limit": 100}, headers=SHOPIFY_AUTH)
    page_info = parse_qs(urlsplit(first.links["next"]["url"]).query)["page_info"][0]
    r = http.get(ORDERS_PATH, params={"page_info": page_info, "status": "any"}, headers=SHOPIFY_AUTH)
    assert r.status_code == 400
    assert r.json() == {"errors": {"status": "status cannot be passed when page_info is present. See "
                                   "https://shopify.dev/api/usage/pagination-rest for more information."}}
    r = http.get(ORDERS_PATH, params={"page_info": "bm90LWEtY3Vyc29y", "limit": 5}, headers=SHOPIFY_AUTH)
    assert r.status_code == 400 and r.json() == {"errors": {"page_info": "Invalid value."}}
    ok = http.get(ORDERS_PATH, params={"page_info": page_info, "limit": 150}, headers=SHOPIFY_AUTH)
    assert ok.status_code == 200 and len(ok.json()["orders"]) == 150


def test_shopify_updated_at_window_and_update_order(sb: Sandbox, http: httpx.Client, thousand: list[dict[str, Any]]) -> None:
    sim = sb["shopify"]
    sim.add_orders("s1", thousand[:50])
    sb.state.clock.advance(3600)
    touched = [thousand[i]["id"] for i in (3, 17, 42)]
    for order_id in touched:
        updated = sim.update_order("s1", order_id, {"note": "adres değişti"})
        assert updated["updated_at"].endswith("+03:00") and updated["note"] == "adres değişti"
    since = (sb.state.clock.now() - timedelta(minutes=5)).isoformat()
    r = http.get(ORDERS_PATH, params={"status": "any", "updated_at_min": since}, headers=SHOPIFY_AUTH)
    assert sorted(o["id"] for o in r.json()["orders"]) == sorted(touched)
    # Bounds are inclusive, and a time without an offset is the shop's +03:00.
    one = thousand[0]
    for params in ({"updated_at_min": one["updated_at"], "updated_at_max": one["updated_at"]},
                   {"updated_at_min": one["updated_at"][:19], "updated_at_max": one["updated_at"][:19]}):
        r = http.get(ORDERS_PATH, params={"status": "any", **params}, headers=SHOPIFY_AUTH)
        assert [o["id"] for o in r.json()["orders"]] == [one["id"]]


def test_shopify_default_status_open_hides_cancelled(sb: Sandbox, http: httpx.Client, thousand: list[dict[str, Any]]) -> None:
    sim = sb["shopify"]
    sim.add_orders("s1", thousand[:10])
    sim.cancel_order("s1", thousand[4]["id"])
    open_ids = {o["id"] for o in http.get(ORDERS_PATH, headers=SHOPIFY_AUTH).json()["orders"]}
    any_ids = {o["id"] for o in http.get(ORDERS_PATH, params={"status": "any"}, headers=SHOPIFY_AUTH).json()["orders"]}
    assert thousand[4]["id"] not in open_ids and len(open_ids) == 9 and len(any_ids) == 10
    cancelled = http.get(ORDERS_PATH, params={"status": "cancelled"}, headers=SHOPIFY_AUTH).json()["orders"]
    assert [o["id"] for o in cancelled] == [thousand[4]["id"]]
    count = http.get("/shopify/s1/admin/api/2024-10/orders/count.json", params={"status": "any"}, headers=SHOPIFY_AUTH)
    assert count.json() == {"count": 10}


def test_shopify_get_single_order(sb: Sandbox, http: httpx.Client, thousand: list[dict[str, Any]]) -> None:
    sb["shopify"].add_order("s1", thousand[0])
    r = http.get(f"/shopify/s1/admin/api/2024-10/orders/{thousand[0]['id']}.json", headers=SHOPIFY_AUTH)
    assert r.status_code == 200
    assert json.loads(r.content, parse_float=Decimal)["order"]["id"] == thousand[0]["id"]  # > 2^53 intact
    missing = http.get("/shopify/s1/admin/api/2024-10/orders/1.json", headers=SHOPIFY_AUTH)
    assert missing.status_code == 404 and missing.json() == {"errors": "Not Found"}


def test_shopify_list_faults(sb: Sandbox, http: httpx.Client, thousand: list[dict[str, Any]]) -> None:
    sb["shopify"].add_orders("s1", thousand[:5])
    sb.state.faults.add(FaultRule("shopify", "orders_list", FaultMode.BEFORE_500, times=1))
    assert http.get(ORDERS_PATH, headers=SHOPIFY_AUTH).status_code == 500
    assert sb.ledger.count("shopify", "list_call") == 0
    sb.state.faults.add(FaultRule("shopify", "orders_list", FaultMode.RATE_429, times=1, retry_after_s=2))
    r = http.get(ORDERS_PATH, headers=SHOPIFY_AUTH)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    assert r.json()["errors"].startswith("Exceeded 2 calls per second")
    sb.state.faults.add(FaultRule("shopify", "orders_list", FaultMode.AFTER_504, times=1))
    assert http.get(ORDERS_PATH, headers=SHOPIFY_AUTH).status_code == 504
    assert sb.ledger.count("shopify", "list_call") == 1  # served, then the gateway timed out
    assert http.get(ORDERS_PATH, headers=SHOPIFY_AUTH).status_code == 200


# --- WooCommerce list ----------------------------------------------------------------

@pytest.fixture(scope="module")
def woo_orders() -> list[dict[str, Any]]:
    return random_orders("woocommerce", random.Random(250), 250)


def test_woocommerce_auth(sb: Sandbox, http: httpx.Client) -> None:
    r = http.get(WOO_PATH)
    assert r.status_code == 401 and r.json() == {
        "code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
        "data": {"status": 401}}
    r = http.get(WOO_PATH, auth=(DEFAULT_CONSUMER_KEY, "cs_wrong"))
    assert r.status_code == 401 and r.json()["code"] == "woocommerce_rest_authentication_error"
    assert r.json()["message"] == "Consumer secret is invalid."
    assert http.get(WOO_PATH, auth=("ck_unknown", "cs_x")).json()["code"] == "woocommerce_rest_cannot_view"
    assert http.get(WOO_PATH, auth=WOO_AUTH).status_code == 200
    query = {"consumer_key": DEFAULT_CONSUMER_KEY, "consumer_secret": DEFAULT_CONSUMER_SECRET}
    assert http.get(WOO_PATH, params=query).status_code == 200
    assert sb.ledger.count("woocommerce", "list_call") == 2


def test_woocommerce_pages_and_headers(sb: Sandbox, http: httpx.Client, woo_orders: list[dict[str, Any]]) -> None:
    sb["woocommerce"].add_orders("w1", woo_orders)
    seen: list[int] = []
    for page, size in ((1, 100), (2, 100), (3, 50)):
        r = http.get(WOO_PATH, params={"per_page": 100, "page": page, "orderby": "id", "order": "asc"}, auth=WOO_AUTH)
        assert r.status_code == 200 and (r.headers["X-WP-Total"], r.headers["X-WP-TotalPages"]) == ("250", "3")
        assert len(r.json()) == size
        assert ("next" in r.links) == (page < 3) and ("prev" in r.links) == (page > 1)
        seen += [o["id"] for o in r.json()]
    assert seen == sorted(o["id"] for o in woo_orders)
    # wp_json_encode on the wire: escaped slashes and \u escapes, parsed back intact.
    assert b"https:\\/\\/demo-shop.example" in r.content and b"\\u20ba" in r.content
    assert r.json()[0]["currency_symbol"] == "₺"
    beyond = http.get(WOO_PATH, params={"per_page": 100, "page": 4}, auth=WOO_AUTH)
    assert beyond.status_code == 200 and beyond.json() == [] and beyond.headers["X-WP-Total"] == "250"
    default = http.get(WOO_PATH, auth=WOO_AUTH).json()
    assert len(default) == 10 and default[0]["date_created_gmt"] >= default[-1]["date_created_gmt"]
    r = http.get(WOO_PATH, params={"per_page": 101}, auth=WOO_AUTH)
    assert r.status_code == 400 and r.json()["code"] == "rest_invalid_param"
    assert r.json()["data"]["params"] == {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"}
    assert sb.ledger.count("woocommerce", "list_call") == 5


def test_woocommerce_modified_window_is_exclusive(sb: Sandbox, http: httpx.Client, woo_orders: list[dict[str, Any]]) -> None:
    sim = sb["woocommerce"]
    sim.add_orders("w1", woo_orders[:20])
    sb.state.clock.advance(7200)
    updated = sim.update_order("w1", woo_orders[5]["id"], {"status": "completed"})
    gmt = updated["date_modified_gmt"]
    after = (datetime.fromisoformat(gmt) - timedelta(seconds=1)).isoformat()
    r = http.get(WOO_PATH, params={"modified_after": after, "dates_are_gmt": "true"}, auth=WOO_AUTH)
    assert [o["id"] for o in r.json()] == [woo_orders[5]["id"]]
    assert http.get(WOO_PATH, params={"modified_after": gmt, "dates_are_gmt": "true"}, auth=WOO_AUTH).json() == []
    # Without dates_are_gmt a bare time is site time (+03:00).
    r = http.get(WOO_PATH, params={"modified_after": updated["date_modified"][:19]}, auth=WOO_AUTH)
    assert r.json() == []
    local_after = (datetime.fromisoformat(updated["date_modified"]) - timedelta(seconds=1)).isoformat()
    assert [o["id"] for o in http.get(WOO_PATH, params={"modified_after": local_after}, auth=WOO_AUTH).json()] == [
        woo_orders[5]["id"]]
    bad = http.get(WOO_PATH, params={"modified_after": "dün"}, auth=WOO_AUTH)
    assert bad.status_code == 400 and bad.json()["data"]["params"] == {"modified_after": "Invalid date."}
    assert [o["id"] for o in http.get(WOO_PATH, params={"status": "completed"}, auth=WOO_AUTH).json()] == [
        woo_orders[5]["id"]]


def test_woocommerce_get_single_order_and_faults(sb: Sandbox, http: httpx.Client, woo_orders: list[dict[str, Any]]) -> None:
    sb["woocommerce"].add_order("w1", woo_orders[0])
    r = http.get(f"{WOO_PATH}/{woo_orders[0]['id']}", auth=WOO_AUTH)
    assert r.status_code == 200 and r.json()["id"] == woo_orders[0]["id"]
    missing = http.get(f"{WOO_PATH}/999999", auth=WOO_AUTH)
    assert missing.status_code == 404 and missing.json()["code"] == "woocommerce_rest_shop_order_invalid_id"
    assert http.get(f"{WOO_PATH}/{woo_orders[0]['id']}").json()["message"] == "Sorry, you cannot view this resource."
    sb.state.faults.add(FaultRule("woocommerce", "orders_list", FaultMode.BEFORE_500, times=1))
    r = http.get(WOO_PATH, auth=WOO_AUTH)
    assert r.status_code == 500 and r.json()["data"] == {"status": 500} and r.json()["code"] == "internal_server_error"
    assert sb.ledger.count("woocommerce", "list_call") == 0
    assert http.get(WOO_PATH, auth=WOO_AUTH).status_code == 200
    assert sb.ledger.count("woocommerce", "list_call") == 1


# --- webhook signatures --------------------------------------------------------------

def test_shopify_signature_known_answer() -> None:
    headers, body = build_shopify(b'{"foo": "bar"}', secret="test_secret_key", topic="orders/create")
    assert body == b'{"foo": "bar"}'
    assert headers["X-Shopify-Hmac-Sha256"] == "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="


def test_woocommerce_signature_known_answer() -> None:
    assert woocommerce_signature(b"secret", "") == "GBDo00G55h6IiV+6CxqivQPLbI//KzaOZm747971tPs="
    headers, body = build_woocommerce(b"secret", secret="")
    assert body == b"secret" and headers["X-WC-Webhook-Signature"] == "GBDo00G55h6IiV+6CxqivQPLbI//KzaOZm747971tPs="


def test_standard_webhooks_known_answer() -> None:
    # The Standard Webhooks reference test vector.
    headers, _ = build_standard(b'{"test": 2432232314}', secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330)
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-id"] == "msg_p5jXN8AQM9LWM0D4loKWxJek" and headers["webhook-timestamp"] == "1614265330"


def _b64_hmac(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def test_shopify_delivery_headers_and_raw_utf8_body() -> None:
    payload = demo_orders("shopify")[0]
    at = datetime(2025, 3, 3, 7, 15, 0, 123456, tzinfo=UTC)
    headers, body = build_shopify(payload, secret="shpss_x", topic="orders/paid", shop_domain="s1.myshopify.com",
                                  event_id="ev-1", triggered_at=at)
    assert "Kadıköy".encode() in body  # UTF-8 as is, not \u-escaped
    assert body == json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert json.loads(body) == payload
    assert headers["X-Shopify-Hmac-Sha256"] == _b64_hmac(b"shpss_x", body)
    assert headers["X-Shopify-Topic"] == "orders/paid" and headers["X-Shopify-Shop-Domain"] == "s1.myshopify.com"
    assert headers["X-Shopify-Event-Id"] == "ev-1" and headers["X-Shopify-API-Version"] == "2024-10"
    assert headers["X-Shopify-Triggered-At"] == "2025-03-03T07:15:00.123456Z"
    again, _ = build_shopify(payload, secret="shpss_x", event_id="ev-1", triggered_at=at)
    assert again["X-Shopify-Webhook-Id"] != headers["X-Shopify-Webhook-Id"]


def test_woocommerce_delivery_body_headers_and_secret_decoding() -> None:
    payload = demo_orders("woocommerce")[2]
    at = datetime(2025, 3, 3, 7, 15, 0, tzinfo=UTC)
    headers, body = build_woocommerce(payload, secret="s&amp;cr&#039;t", topic="order.updated",
                                      source="https://shop.example", webhook_id=7, now=at)
    body.decode("ascii")  # every non-ASCII character is \u-escaped
    assert b"Kar\\u015f\\u0131yaka" in body
    assert b"https:\\/\\/" in body and json.loads(body) == payload
    assert headers["X-WC-Webhook-Signature"] == _b64_hmac(b"s&cr't", body)
    assert (headers["X-WC-Webhook-Topic"], headers["X-WC-Webhook-Resource"], headers["X-WC-Webhook-Event"]) == (
        "order.updated", "order", "updated")
    assert headers["X-WC-Webhook-Source"] == "https://shop.example/" and headers["X-WC-Webhook-ID"] == "7"
    assert len(headers["X-WC-Webhook-Delivery-ID"]) == 32 and int(headers["X-WC-Webhook-Delivery-ID"], 16) >= 0
    assert headers["User-Agent"].startswith("WooCommerce/") and "Hookshot (WordPress/" in headers["User-Agent"]
    # Delivery-ID is a hash of id + second: the same second gives the same id.
    same, _ = build_woocommerce(payload, secret="x", webhook_id=7, now=at + timedelta(microseconds=5))
    assert same["X-WC-Webhook-Delivery-ID"] == headers["X-WC-Webhook-Delivery-ID"]
    ping_headers, ping = build_woocommerce_ping(7)
    assert ping == b"webhook_id=7" and not any(h.startswith("X-WC-") for h in ping_headers)
    assert ping_headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_sender_posts_exact_bytes_and_redelivers(sb: Sandbox, sandbox: Sandbox) -> None:
    url = f"{sandbox.url}/echo/hook"  # type: ignore[attr-defined]
    echo = sb["echo"]
    clock = sb.state.clock
    with httpx.Client(timeout=10) as client:
        sender = WebhookSender(client, clock=clock.now)
        payload = demo_orders("shopify")[3]
        first = sender.shopify(url, payload, secret="shpss_k", topic="orders/paid")
        clock.advance(60)
        retry = sender.redeliver(first)
        woo = sender.woocommerce(url, demo_orders("woocommerce")[0], secret="wc_secret", webhook_id=3)
        ping = sender.woocommerce_ping(url, 3)
        std = sender.standard(url, {"order": {"id": "G-1", "total": "10.00"}}, secret="whsec_" + base64.b64encode(b"k" * 24).decode())
        clock.advance(30)
        std_retry = sender.redeliver(std)
    assert [d.status for d in (first, retry, woo, ping, std, std_retry)] == [200] * 6
    got = echo.received
    assert len(got) == 6
    (h1, b1), (h2, b2), (h3, b3), (h4, b4), (h5, b5), (h6, b6) = got
    assert b1 == b2 == first.body and _b64_hmac(b"shpss_k", b1) == h1["x-shopify-hmac-sha256"]
    assert h1["x-shopify-event-id"] == h2["x-shopify-event-id"]
    assert h1["x-shopify-triggered-at"] == h2["x-shopify-triggered-at"]
    assert h1["x-shopify-webhook-id"] != h2["x-shopify-webhook-id"]
    assert _b64_hmac(b"wc_secret", b3) == h3["x-wc-webhook-signature"] and b3.isascii()
    assert b4 == b"webhook_id=3" and "x-wc-webhook-signature" not in h4
    assert h5["webhook-id"] == h6["webhook-id"]
    assert 30 <= int(h6["webhook-timestamp"]) - int(h5["webhook-timestamp"]) <= 31
    assert h5["webhook-signature"] != h6["webhook-signature"] and b5 == b6
