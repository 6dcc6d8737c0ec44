"""WooCommerce wc/v3 simulator: per-site order stores and the order list reconciliation pulls.

Endpoints (fault names in brackets, ledger kinds in braces):

* ``GET /woocommerce/{shop}/wp-json/wc/v3/orders`` [orders_list] {list_call}
* ``GET /woocommerce/{shop}/wp-json/wc/v3/orders/{id}`` [orders_get] {get_call}
* ``GET /woocommerce/{shop}/wp-json/wc/v3/orders/{id}/refunds`` [refunds_list] {refunds_call}:
  the order's refund objects, newest first (an unknown order: 404
  ``woocommerce_rest_order_invalid_id`` "Invalid order ID.")
* ``POST /woocommerce/{shop}/__sandbox/orders`` (not WooCommerce: seeds orders for a demo in
  another process; body = one order or a list)

Contract kept, as WooCommerce and the WP REST server do it:

* consumer key + secret as HTTP Basic or as ``consumer_key`` / ``consumer_secret`` query
  parameters. An unknown key leaves the request anonymous: 401 ``woocommerce_rest_cannot_view``
  ("Sorry, you cannot list resources."); a known key with a wrong secret: 401
  ``woocommerce_rest_authentication_error`` ("Consumer secret is invalid."). Errors have the
  WP REST shape ``{"code", "message", "data": {"status"}}``;
* page-based pagination: ``page`` (≥ 1), ``per_page`` 1..100 (default 10), with the totals in
  ``X-WP-Total`` / ``X-WP-TotalPages`` and a ``Link`` header; a page past the end is an empty
  list, not an error. Parameter errors are 400 ``rest_invalid_param``;
* ``modified_after`` / ``modified_before`` / ``after`` / ``before`` are exclusive bounds
  (WP_Date_Query); without an offset they are site-local time, or GMT with
  ``dates_are_gmt=true``; ``status`` (default any, comma list), ``orderby`` (date, id,
  include, title, slug, modified; default date) and ``order`` (default desc);
* response bodies are ``wp_json_encode`` output (``\\/`` and ``\\uXXXX`` escapes).

Assumptions: the site is served over HTTPS, so Basic / query-string keys are accepted
(WooCommerce demands OAuth 1.0a signatures over plain HTTP; the sandbox's loopback HTTP stands
in for HTTPS). ``title`` and ``slug`` order like ``date``, ``include`` like ``id``.
"""

from __future__ import annotations

import base64
import copy
import hmac
import json
import math
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response

from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.shop_wire import TR_TZ, wp_json_encode

DEFAULT_CONSUMER_KEY = "ck_" + "5a" * 20
DEFAULT_CONSUMER_SECRET = "cs_" + "c3" * 20
STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
            "trash", "checkout-draft")
ORDERBY = ("date", "id", "include", "title", "slug", "modified")
# WP's rest_parse_date: RFC 3339 with an optional offset.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$")


class _WPError(Exception):
    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"code": code, "message": message, "data": {"status": status, **data}}


def wp_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(wp_json_encode(body), status_code=status, headers=headers,
                    media_type="application/json; charset=UTF-8")


def _invalid_param(name: str, message: str, code: str = "rest_invalid_param") -> _WPError:
    return _WPError(
        400, "rest_invalid_param", f"Invalid parameter(s): {name}",
        params={name: message}, details={name: {"code": code, "message": message, "data": None}},
    )


def _gmt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class _Stored:
    payload: dict[str, Any]  # replaced, never mutated, once stored
    created: datetime  # UTC
    modified: datetime  # UTC
    _raw: bytes | None = field(default=None, repr=False)

    @property
    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = wp_json_encode(self.payload)
        return self._raw

    @classmethod
    def of(cls, payload: dict[str, Any]) -> _Stored:
        created = _gmt(payload["date_created_gmt"])
        return cls(payload, created, _gmt(payload.get("date_modified_gmt") or payload["date_created_gmt"]))

    @property
    def id(self) -> int:
        return int(self.payload["id"])


@dataclass
class _Site:
    key: str = DEFAULT_CONSUMER_KEY
    secret: str = DEFAULT_CONSUMER_SECRET
    orders: dict[int, _Stored] = field(default_factory=dict)
    refunds: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # order id → refund objects


class WooCommerceSimulator:
    name = "woocommerce"
    prefix = "/woocommerce"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._sites: dict[str, _Site] = {}

    # --- test and demo API -----------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._sites.clear()

    def _site(self, shop: str) -> _Site:
        return self._sites.setdefault(shop, _Site())

    def set_keys(self, shop: str, key: str, secret: str) -> None:
        with self._lock:
            site = self._site(shop)
            site.key, site.secret = key, secret

    def add_order(self, shop: str, payload: dict[str, Any]) -> dict[str, Any]:
        # A JSON round trip both isolates the stored order from the caller and serialises it once.
        raw = wp_json_encode(payload)
        stored = _Stored.of(json.loads(raw))
        stored._raw = raw
        with self._lock:
            orders = self._site(shop).orders
            if stored.id in orders:
                raise ValueError(f"order {stored.id} already exists in site {shop!r}")
            orders[stored.id] = stored
        return copy.deepcopy(stored.payload)

    def add_orders(self, shop: str, payloads: list[dict[str, Any]]) -> None:
        for payload in payloads:
            self.add_order(shop, payload)

    def update_order(self, shop: str, order_id: int | str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
        """Apply top-level ``changes`` and stamp ``date_modified`` (site time) and
        ``date_modified_gmt`` from the sandbox clock, as a save in wp-admin does."""
        now = self.state.clock.now().replace(microsecond=0)
        with self._lock:
            orders = self._site(shop).orders
            payload = copy.deepcopy(orders[int(order_id)].payload)
            payload.update(copy.deepcopy(changes or {}))
            payload["date_modified"] = now.astimezone(TR_TZ).replace(tzinfo=None).isoformat()
            payload["date_modified_gmt"] = now.astimezone(UTC).replace(tzinfo=None).isoformat()
            orders[int(order_id)] = _Stored.of(payload)
            return copy.deepcopy(payload)

    def orders(self, shop: str) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(s.payload) for s in self._site(shop).orders.values()]

    def add_refund(self, shop: str, order_id: int | str, refund: dict[str, Any]) -> dict[str, Any]:
        """Store a refund object (wc/v3 shape: positive ``amount``; line items with negative
        quantity, total and total_tax, ``_refunded_item_id`` meta) and list it in the order's
        ``refunds[]`` as WooCommerce does: ``{id, reason, total}`` with a negative total. The
        order's ``total`` stays as it was; ``status`` becomes ``refunded`` when the refunds
        reach it. Returns the updated order."""
        stored = json.loads(wp_json_encode(refund))
        with self._lock:
            order = self._site(shop).orders[int(order_id)].payload
            refunds = self._site(shop).refunds.setdefault(int(order_id), [])
            refunds.insert(0, stored)
            summaries = [{"id": r["id"], "reason": r.get("reason", ""), "total": f"-{r['amount']}"} for r in refunds]
            refunded = sum((Decimal(str(r["amount"])) for r in refunds), Decimal(0))
            status = "refunded" if refunded >= Decimal(str(order["total"])) else order.get("status")
        return self.update_order(shop, order_id, {"refunds": summaries, "status": status})

    # --- HTTP ------------------------------------------------------------------------

    def _error(self, status: int, message: str) -> Response:
        code = {429: "too_many_requests"}.get(status, "internal_server_error")
        if status >= 500 and status != 504:
            message = "<p>There has been a critical error on this website.</p>"
        return wp_response({"code": code, "message": message, "data": {"status": status}}, status)

    def _refuse(self, endpoint: str, exc: _WPError) -> Response:
        self.state.violations.add(self.name, endpoint, exc.status, exc.body["message"])
        return wp_response(exc.body, exc.status)

    def _authenticate(self, request: Request, shop: str, action: str) -> None:
        key = secret = ""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                key, _, secret = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                key = secret = ""
        if not (key and secret):
            key = request.query_params.get("consumer_key", "")
            secret = request.query_params.get("consumer_secret", "")
        with self._lock:
            site = self._site(shop)
            expected_key, expected_secret = site.key, site.secret
        if key and secret and hmac.compare_digest(key, expected_key):
            if hmac.compare_digest(secret, expected_secret):
                return
            raise _WPError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        raise _WPError(401, "woocommerce_rest_cannot_view", f"Sorry, you cannot {action}.")

    def router(self) -> APIRouter:
        r = APIRouter()

        @r.get("/{shop}/wp-json/wc/v3/orders")
        def list_orders(shop: str, request: Request) -> Response:
            try:
                self._authenticate(request, shop, "list resources")
                query = self._query(dict(request.query_params))
            except _WPError as exc:
                return self._refuse("orders_list", exc)

            def effect() -> Response:
                rows = self._matching(shop, query)
                per_page, page = query["per_page"], query["page"]
                total = len(rows)
                pages = math.ceil(total / per_page)
                chosen = rows[(page - 1) * per_page: page * per_page]
                self.state.ledger.record(self.name, "list_call", shop, page=page, count=len(chosen))
                headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
                links = self._links(request, page, pages)
                if links:
                    headers["Link"] = links
                return Response(b"[" + b",".join(row.raw for row in chosen) + b"]", headers=headers,
                                media_type="application/json; charset=UTF-8")

            return self.state.guarded(self.name, "orders_list", effect, self._error)

        @r.get("/{shop}/wp-json/wc/v3/orders/{order_id}")
        def get_order(shop: str, order_id: str, request: Request) -> Response:
            try:
                self._authenticate(request, shop, "view this resource")
            except _WPError as exc:
                return self._refuse("orders_get", exc)

            def effect() -> Response:
                with self._lock:
                    row = self._site(shop).orders.get(int(order_id)) if order_id.isdigit() else None
                self.state.ledger.record(self.name, "get_call", f"{shop}:{order_id}", found=row is not None)
                if row is None:
                    return wp_response({"code": "woocommerce_rest_shop_order_invalid_id",
                                        "message": "Invalid ID.", "data": {"status": 404}}, 404)
                return Response(row.raw, media_type="application/json; charset=UTF-8")

            return self.state.guarded(self.name, "orders_get", effect, self._error)

        @r.get("/{shop}/wp-json/wc/v3/orders/{order_id}/refunds")
        def list_refunds(shop: str, order_id: str, request: Request) -> Response:
            try:
                self._authenticate(request, shop, "list resources")
            except _WPError as exc:
                return self._refuse("refunds_list", exc)

            def effect() -> Response:
                with self._lock:
                    site = self._site(shop)
                    known = order_id.isdigit() and int(order_id) in site.orders
                    rows = copy.deepcopy(site.refunds.get(int(order_id), [])) if known else []
                self.state.ledger.record(self.name, "refunds_call", f"{shop}:{order_id}", found=known)
                if not known:
                    return wp_response({"code": "woocommerce_rest_order_invalid_id",
                                        "message": "Invalid order ID.", "data": {"status": 404}}, 404)
                return wp_response(rows, headers={"X-WP-Total": str(len(rows)), "X-WP-TotalPages": "1"})

            return self.state.guarded(self.name, "refunds_list", effect, self._error)

        @r.post("/{shop}/__sandbox/orders")
        def seed(shop: str, body: Any = Body(...)) -> dict[str, int]:
            payloads = body if isinstance(body, list) else [body]
            self.add_orders(shop, payloads)
            return {"added": len(payloads)}

        return r

    # --- listing ---------------------------------------------------------------------

    def _query(self, params: dict[str, str]) -> dict[str, Any]:
        query: dict[str, Any] = {}
        for name, default, low, high in (("page", 1, 1, None), ("per_page", 10, 1, 100)):
            text = params.get(name, str(default))
            if not re.fullmatch(r"-?\d+", text.strip()):
                raise _invalid_param(name, f"{name} is not of type integer.", "rest_invalid_type")
            value = int(text)
            if value < low or (high is not None and value > high):
                bound = f"between {low} (inclusive) and {high} (inclusive)" if high else f"greater than or equal to {low}"
                raise _invalid_param(name, f"{name} must be {bound}", "rest_out_of_bounds")
            query[name] = value
        gmt = params.get("dates_are_gmt", "false").lower() in ("1", "true")
        for name in ("after", "before", "modified_after", "modified_before"):
            if params.get(name):
                text = params[name].strip().replace(" ", "+")
                if not _DATE.match(text):
                    raise _invalid_param(name, "Invalid date.", "rest_invalid_date")
                when = datetime.fromisoformat(text.replace("Z", "+00:00"))
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC if gmt else TR_TZ)
                query[name] = when.astimezone(UTC)
        statuses = [s.strip() for s in params.get("status", "any").split(",") if s.strip()]
        for status in statuses:
            if status != "any" and status not in STATUSES:
                raise _invalid_param("status", f"status[0] is not one of any, {', '.join(STATUSES)}.",
                                     "rest_not_in_enum")
        query["status"] = set(statuses)
        orderby = params.get("orderby", "date")
        if orderby not in ORDERBY:
            raise _invalid_param("orderby", f"orderby is not one of {', '.join(ORDERBY)}.", "rest_not_in_enum")
        order = params.get("order", "desc")
        if order not in ("asc", "desc"):
            raise _invalid_param("order", "order is not one of asc and desc.", "rest_not_in_enum")
        query["orderby"], query["order"] = orderby, order
        return query

    def _matching(self, shop: str, q: dict[str, Any]) -> list[_Stored]:
        with self._lock:
            rows = list(self._site(shop).orders.values())
        out = []
        for row in rows:
            status = row.payload.get("status")
            # "any" is every status except the trash and checkout drafts.
            if "any" in q["status"]:
                if status in ("trash", "checkout-draft"):
                    continue
            elif status not in q["status"]:
                continue
            if "after" in q and not row.created > q["after"]:
                continue
            if "before" in q and not row.created < q["before"]:
                continue
            if "modified_after" in q and not row.modified > q["modified_after"]:
                continue
            if "modified_before" in q and not row.modified < q["modified_before"]:
                continue
            out.append(row)

        def key(row: _Stored) -> tuple[float, int]:
            if q["orderby"] in ("id", "include"):
                return (0.0, row.id)
            when = row.modified if q["orderby"] == "modified" else row.created
            return (when.timestamp(), row.id)

        return sorted(out, key=key, reverse=q["order"] == "desc")

    def _links(self, request: Request, page: int, pages: int) -> str:
        base = str(request.url.replace(query=""))
        params = {k: v for k, v in request.query_params.items()
                  if k not in ("page", "consumer_key", "consumer_secret")}
        links = []
        if page > 1:
            prev = min(page - 1, pages) if pages else 1
            links.append(f'<{base}?{urlencode({**params, "page": prev})}>; rel="prev"')
        if pages > page:
            links.append(f'<{base}?{urlencode({**params, "page": page + 1})}>; rel="next"')
        return ", ".join(links)


SIMULATOR = WooCommerceSimulator
