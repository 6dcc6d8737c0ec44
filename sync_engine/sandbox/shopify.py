"""Shopify Admin REST simulator: per-shop order stores and the order list reconciliation pulls.

Endpoints (fault names in brackets, ledger kinds in braces):

* ``GET /shopify/{shop}/admin/api/{version}/orders.json`` [orders_list] {list_call}
* ``GET /shopify/{shop}/admin/api/{version}/orders/count.json`` [orders_count]
* ``GET /shopify/{shop}/admin/api/{version}/orders/{id}.json`` [orders_get] {get_call}
* ``POST /shopify/{shop}/__sandbox/orders`` (not Shopify: lets a demo in another process seed
  orders; body = one order or a list)

Contract kept, as Shopify does it:

* ``X-Shopify-Access-Token`` per shop, else 401 ``{"errors": "[API] Invalid API key or
  access token (unrecognized login or wrong password)"}``;
* ``status`` defaults to ``open`` — a reconciliation that forgets ``status=any`` misses
  closed and cancelled orders, as it would against the real shop;
* ``limit`` 1..250, default 50; cursor pagination through ``page_info`` in the ``Link``
  header (``rel="next"`` / ``rel="previous"``). A request with ``page_info`` may carry only
  ``limit`` and ``fields``; anything else is refused with 400, as Shopify refuses it. The
  cursor holds the filters and the last row's sort key (keyset), so orders added while a
  client pages are neither skipped nor repeated;
* ``updated_at_min`` / ``updated_at_max`` (and ``created_at_*``) are inclusive; a time
  without an offset is read in the shop's zone (+03:00);
* default sort ``created_at desc`` with the id as tie-breaker; ``order=<field> asc|desc``
  for created_at, updated_at, processed_at and id.

Assumptions where Shopify's documents are silent: the error texts for a limit out of range
and for a malformed time (400 with an ``errors`` object keyed by the parameter), and 404
``{"errors": "Not Found"}`` for an unknown order. Calls refused before the fault plan runs
(auth, validation) are not counted as ``list_call``; refused requests are recorded as
contract violations.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response

from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.shop_wire import TR_TZ, shopify_body

DEFAULT_ACCESS_TOKEN = "shpat_sandbox0000000000000000000000"
AUTH_ERROR = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RATE_LIMIT_ERROR = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
PAGE_INFO_ALLOWED = frozenset({"page_info", "limit", "fields"})
FILTERS = (
    "status", "ids", "since_id", "created_at_min", "created_at_max", "updated_at_min",
    "updated_at_max", "processed_at_min", "processed_at_max", "financial_status",
    "fulfillment_status", "order",
)
SORT_FIELDS = ("created_at", "updated_at", "processed_at", "id")
_VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")


class _Refused(Exception):
    def __init__(self, status: int, errors: Any) -> None:
        super().__init__(str(errors))
        self.status = status
        self.errors = errors


def parse_time(text: str) -> datetime:
    """Shopify's accepted form: ISO 8601; a time without an offset is in the shop's zone."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    return value if value.tzinfo else value.replace(tzinfo=TR_TZ)


def shop_time(when: datetime) -> str:
    return when.astimezone(TR_TZ).replace(microsecond=0).isoformat()


@dataclass
class _Stored:
    payload: dict[str, Any]  # replaced, never mutated, once stored
    created: float
    updated: float
    processed: float
    _raw: bytes | None = field(default=None, repr=False)

    @property
    def raw(self) -> bytes:
        # Serialised once: a page of 250 orders is ~2 MB of JSON.
        if self._raw is None:
            self._raw = _dumps(self.payload)
        return self._raw

    @classmethod
    def of(cls, payload: dict[str, Any]) -> _Stored:
        created = parse_time(payload["created_at"]).timestamp()
        return cls(
            payload,
            created,
            parse_time(payload.get("updated_at") or payload["created_at"]).timestamp(),
            parse_time(payload.get("processed_at") or payload["created_at"]).timestamp(),
        )

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    def sort_value(self, name: str) -> float:
        return {"created_at": self.created, "updated_at": self.updated,
                "processed_at": self.processed, "id": 0.0}[name]


@dataclass
class _Shop:
    token: str = DEFAULT_ACCESS_TOKEN
    orders: dict[int, _Stored] = field(default_factory=dict)
    version: int = 0  # bumped by every change to ``orders``: invalidates ``listings``
    # filters (JSON) -> (version, matching rows in list order, their sort keys)
    listings: dict[str, tuple[int, list[_Stored], list[list[float]]]] = field(default_factory=dict)


def _dumps(value: Any) -> bytes:
    return shopify_body(value)


def _encode_cursor(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(text: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("d") not in ("next", "prev"):
            raise ValueError("bad cursor")
        return data
    except ValueError as exc:
        raise _Refused(400, {"page_info": "Invalid value."}) from exc


class ShopifySimulator:
    name = "shopify"
    prefix = "/shopify"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._shops: dict[str, _Shop] = {}

    # --- test and demo API -----------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._shops.clear()

    def _shop(self, shop: str) -> _Shop:
        return self._shops.setdefault(shop, _Shop())

    def set_token(self, shop: str, token: str) -> None:
        with self._lock:
            self._shop(shop).token = token

    def _insert(self, shop: str, payload: dict[str, Any]) -> _Stored:
        # A JSON round trip both isolates the stored order from the caller and serialises it once.
        raw = _dumps(payload)
        stored = _Stored.of(json.loads(raw))
        stored._raw = raw
        with self._lock:
            target = self._shop(shop)
            if stored.id in target.orders:
                raise ValueError(f"order {stored.id} already exists in shop {shop!r}")
            target.orders[stored.id] = stored
            target.version += 1
        return stored

    def add_order(self, shop: str, payload: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(self._insert(shop, payload).payload)

    def add_orders(self, shop: str, payloads: list[dict[str, Any]]) -> None:
        """Bulk seeding (a benchmark's 100,000 orders): no copy of each order handed back."""
        for payload in payloads:
            self._insert(shop, payload)

    def update_order(self, shop: str, order_id: int | str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
        """Apply top-level ``changes`` and bump ``updated_at`` to the sandbox clock, as any
        change in the Shopify admin does."""
        with self._lock:
            stored = self._shop(shop).orders[int(order_id)]
            payload = copy.deepcopy(stored.payload)
            payload.update(copy.deepcopy(changes or {}))
            payload["updated_at"] = shop_time(self.state.clock.now())
            self._shops[shop].orders[int(order_id)] = _Stored.of(payload)
            self._shops[shop].version += 1
            return copy.deepcopy(payload)

    def cancel_order(self, shop: str, order_id: int | str, reason: str = "customer") -> dict[str, Any]:
        """Cancel with a full refund (the admin's default for a paid order): closed too."""
        now = shop_time(self.state.clock.now())
        return self.update_order(shop, order_id, {
            "cancelled_at": now, "closed_at": now, "cancel_reason": reason,
            "financial_status": "refunded",
        })

    def refund_order(self, shop: str, order_id: int | str, refund: dict[str, Any]) -> dict[str, Any]:
        """A refund made in the admin: the order lists it in ``refunds[]`` (the REST order
        resource carries its refunds) and is ``partially_refunded``, or ``refunded`` once the
        refunds' transactions reach its total."""
        with self._lock:
            stored = self._shop(shop).orders[int(order_id)].payload
            refunds = [*copy.deepcopy(stored.get("refunds") or []), copy.deepcopy(refund)]
            total = Decimal(str(stored.get("total_price") or "0"))
        back = sum((Decimal(str(t.get("amount") or "0")) for r in refunds for t in r.get("transactions") or []
                    if t.get("kind") == "refund" and t.get("status") == "success"), Decimal(0))
        return self.update_order(shop, order_id, {
            "refunds": refunds, "financial_status": "refunded" if back >= total else "partially_refunded",
        })

    def orders(self, shop: str) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(s.payload) for s in self._shop(shop).orders.values()]

    # --- HTTP ------------------------------------------------------------------------

    def _error(self, status: int, message: str) -> Response:
        return JSONResponse({"errors": RATE_LIMIT_ERROR if status == 429 else message}, status_code=status)

    def _refuse(self, endpoint: str, exc: _Refused) -> Response:
        self.state.violations.add(self.name, endpoint, exc.status, json.dumps(exc.errors, ensure_ascii=False))
        return JSONResponse({"errors": exc.errors}, status_code=exc.status)

    def _authorise(self, request: Request, shop: str, version: str) -> None:
        if not _VERSION.match(version):
            raise _Refused(404, "Not Found")
        with self._lock:
            expected = self._shop(shop).token
        if request.headers.get("x-shopify-access-token") != expected:
            raise _Refused(401, AUTH_ERROR)

    def router(self) -> APIRouter:
        r = APIRouter()

        @r.get("/{shop}/admin/api/{version}/orders.json")
        def list_orders(shop: str, version: str, request: Request) -> Response:
            try:
                self._authorise(request, shop, version)
                page = self._plan_page(shop, version, request)
            except _Refused as exc:
                return self._refuse("orders_list", exc)

            def effect() -> Response:
                items, links = self._page(shop, page)
                self.state.ledger.record(self.name, "list_call", shop, count=len(items),
                                         cursor=page["cursor"] is not None)
                response = Response(b'{"orders":[' + b",".join(items) + b"]}",
                                    media_type="application/json; charset=utf-8")
                if links:
                    response.headers["Link"] = ", ".join(links)
                response.headers["X-Shopify-API-Version"] = version
                response.headers["X-Shopify-Shop-Api-Call-Limit"] = "1/40"
                return response

            return self.state.guarded(self.name, "orders_list", effect, self._error)

        @r.get("/{shop}/admin/api/{version}/orders/count.json")
        def count_orders(shop: str, version: str, request: Request) -> Response:
            try:
                self._authorise(request, shop, version)
                filters = self._filters(dict(request.query_params))
            except _Refused as exc:
                return self._refuse("orders_count", exc)

            def effect() -> Response:
                return JSONResponse({"count": len(self._matching(shop, filters))})

            return self.state.guarded(self.name, "orders_count", effect, self._error)

        @r.get("/{shop}/admin/api/{version}/orders/{order_id}.json")
        def get_order(shop: str, version: str, order_id: str, request: Request) -> Response:
            try:
                self._authorise(request, shop, version)
            except _Refused as exc:
                return self._refuse("orders_get", exc)

            def effect() -> Response:
                with self._lock:
                    stored = self._shop(shop).orders.get(int(order_id)) if order_id.isdigit() else None
                self.state.ledger.record(self.name, "get_call", f"{shop}:{order_id}", found=stored is not None)
                if stored is None:
                    return JSONResponse({"errors": "Not Found"}, status_code=404)
                return Response(b'{"order":' + stored.raw + b"}", media_type="application/json; charset=utf-8",
                                headers={"X-Shopify-API-Version": version})

            return self.state.guarded(self.name, "orders_get", effect, self._error)

        @r.post("/{shop}/__sandbox/orders")
        def seed(shop: str, body: Any = Body(...)) -> dict[str, int]:
            payloads = body if isinstance(body, list) else [body]
            self.add_orders(shop, payloads)
            return {"added": len(payloads)}

        return r

    # --- listing ---------------------------------------------------------------------

    def _filters(self, params: dict[str, str]) -> dict[str, Any]:
        filters: dict[str, Any] = {"status": params.get("status", "open")}
        if filters["status"] not in ("open", "closed", "cancelled", "any"):
            raise _Refused(400, {"status": "Invalid value."})
        for name in ("created_at_min", "created_at_max", "updated_at_min", "updated_at_max",
                     "processed_at_min", "processed_at_max"):
            if params.get(name):
                try:
                    filters[name] = parse_time(params[name]).timestamp()
                except ValueError:
                    raise _Refused(400, {name: "Invalid value."}) from None
        if params.get("since_id"):
            if not params["since_id"].isdigit():
                raise _Refused(400, {"since_id": "Invalid value."})
            filters["since_id"] = int(params["since_id"])
        if params.get("ids"):
            filters["ids"] = sorted(int(x) for x in params["ids"].split(",") if x.strip().isdigit())
        for name in ("financial_status", "fulfillment_status"):
            if params.get(name) and params[name] != "any":
                filters[name] = params[name]
        field_name, _, direction = params.get("order", "").partition(" ")
        if field_name not in SORT_FIELDS or direction.lower() not in ("asc", "desc"):
            # Shopify ignores a sort it does not know.
            field_name, direction = "created_at", "desc"
        filters["order"] = f"{field_name} {direction.lower()}"
        return filters

    def _plan_page(self, shop: str, version: str, request: Request) -> dict[str, Any]:
        params = dict(request.query_params)
        limit_text = params.get("limit", "50")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 250:
            raise _Refused(400, {"limit": "must be between 1 and 250"})
        cursor = None
        if "page_info" in params:
            extra = sorted(set(params) - PAGE_INFO_ALLOWED)
            if extra:
                raise _Refused(400, {
                    name: f"{name} cannot be passed when page_info is present. See "
                    "https://shopify.dev/api/usage/pagination-rest for more information."
                    for name in extra
                })
            cursor = _decode_cursor(params["page_info"])
            filters = cursor.get("f")
            if not isinstance(filters, dict):
                raise _Refused(400, {"page_info": "Invalid value."})
        else:
            filters = self._filters(params)
        fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()]
        base = str(request.url.replace(query=""))
        return {"limit": int(limit_text), "cursor": cursor, "filters": filters, "fields": fields,
                "base": base}

    def _matching(self, shop: str, f: dict[str, Any]) -> list[_Stored]:
        with self._lock:
            rows = list(self._shop(shop).orders.values())
        out = []
        for row in rows:
            p = row.payload
            status = f["status"]
            if status == "open" and (p.get("closed_at") or p.get("cancelled_at")):
                continue
            if status == "closed" and not p.get("closed_at"):
                continue
            if status == "cancelled" and not p.get("cancelled_at"):
                continue
            if not _in_range(row.created, f.get("created_at_min"), f.get("created_at_max")):
                continue
            if not _in_range(row.updated, f.get("updated_at_min"), f.get("updated_at_max")):
                continue
            if not _in_range(row.processed, f.get("processed_at_min"), f.get("processed_at_max")):
                continue
            if "since_id" in f and row.id <= f["since_id"]:
                continue
            if "ids" in f and row.id not in f["ids"]:
                continue
            if "financial_status" in f and p.get("financial_status") != f["financial_status"]:
                continue
            if "fulfillment_status" in f and p.get("fulfillment_status") != f["fulfillment_status"]:
                continue
            out.append(row)
        return out

    def _page(self, shop: str, page: dict[str, Any]) -> tuple[list[bytes], list[str]]:
        filters = page["filters"]
        field_name, _, direction = filters["order"].partition(" ")
        sign = -1 if direction == "desc" else 1

        def key(row: _Stored) -> tuple[float, int]:
            return (sign * row.sort_value(field_name), sign * row.id)

        rows, keys = self._listing(shop, filters, key)
        limit = page["limit"]
        cursor = page["cursor"]
        if cursor is None:
            start = 0
        elif cursor["d"] == "next":
            start = bisect_right(keys, cursor["k"])
        else:
            start = max(0, bisect_left(keys, cursor["k"]) - limit)
        end = min(len(rows), start + limit)
        if cursor is not None and cursor["d"] == "prev":
            end = min(end, bisect_left(keys, cursor["k"]))
        chosen = rows[start:end]

        links = []
        if chosen and start > 0:
            links.append(self._link(page, {"d": "prev", "k": keys[start], "f": filters}, "previous"))
        if chosen and end < len(rows):
            links.append(self._link(page, {"d": "next", "k": keys[end - 1], "f": filters}, "next"))
        if page["fields"]:
            wanted = page["fields"]
            return [_dumps({k: v for k, v in row.payload.items() if k in wanted}) for row in chosen], links
        return [row.raw for row in chosen], links

    def _listing(
        self, shop: str, filters: dict[str, Any], key: Callable[[_Stored], tuple[float, int]]
    ) -> tuple[list[_Stored], list[list[float]]]:
        """The matching rows in list order with their sort keys, kept until the shop's orders
        change. A client paging through 100,000 orders asks 400 times for one list; filtering
        and sorting the whole shop again for each page would make the sandbox — not the
        client under test — the cost a benchmark measures (Shopify itself pages an index)."""
        cache_key = json.dumps(filters, sort_keys=True)
        with self._lock:
            target = self._shop(shop)
            version = target.version
            hit = target.listings.get(cache_key)
        if hit is not None and hit[0] == version:
            return hit[1], hit[2]
        rows = sorted(self._matching(shop, filters), key=key)
        keys = [list(key(row)) for row in rows]
        with self._lock:
            if len(target.listings) > 16:
                target.listings.clear()
            target.listings[cache_key] = (version, rows, keys)
        return rows, keys

    def _link(self, page: dict[str, Any], cursor: dict[str, Any], rel: str) -> str:
        query = {"limit": page["limit"], "page_info": _encode_cursor(cursor)}
        if page["fields"]:
            query["fields"] = ",".join(page["fields"])
        return f'<{page["base"]}?{urlencode(query)}>; rel="{rel}"'


def _in_range(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


SIMULATOR = ShopifySimulator
