"""Shop order-list clients for reconciliation: every order updated in a window, each once.

Both listers yield the platform's own order resources (the same shape as webhook bodies, so
``PlatformAdapter.order_from_resource`` reads them), parsed with ``parse_float=Decimal`` so
no amount passes through a binary float. The window is half-open, ``[updated_min,
updated_max)``: the platforms filter at one-second resolution with different inclusivity
(Shopify's bounds are inclusive, WordPress date queries exclusive), so each lister asks for
a slightly wider window and trims it exactly on its side.

Errors are classified once by ``classify_response``: 401/403 → ``AuthError``, 408/425/429
and 5xx → ``TransientError`` (with Retry-After), other 4xx → ``PermanentError``; transport
failures → ``TransientError``. ``calls`` counts HTTP requests, so callers (and tests) can
check the paging cost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx

from sync_engine.errors import (
    PermanentError,
    UnsupportedCapability,
    classify_response,
    transport_error,
)

_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([A-Za-z]+)"?')
SHOPIFY_MAX_PAGE = 250
WOOCOMMERCE_MAX_PAGE = 100


class OrderLister(Protocol):
    platform: str
    calls: int

    def iter_orders(self, updated_min: datetime, updated_max: datetime) -> Iterator[dict[str, Any]]: ...
    def get_order(self, order_id: str) -> dict[str, Any]: ...
    def close(self) -> None: ...


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone")
    return value.astimezone(UTC)


def _floor_second(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def _ceil_second(value: datetime) -> datetime:
    return value if value.microsecond == 0 else value.replace(microsecond=0) + timedelta(seconds=1)


def link_targets(header: str | None) -> dict[str, str]:
    """``Link: <url>; rel="next", <url>; rel="previous"`` → {rel: url}."""
    return {rel: url for url, rel in _LINK.findall(header or "")}


class _HttpLister:
    platform = ""

    def __init__(self, *, timeout_s: float, client: httpx.Client | None,
                 auth: httpx.Auth | None = None, headers: dict[str, str] | None = None) -> None:
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=timeout_s)
        self._auth = auth
        self._headers = headers or {}
        self._timeout = timeout_s
        self.calls = 0

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def __enter__(self) -> _HttpLister:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error_message(self, response: httpx.Response) -> str:
        raise NotImplementedError

    def _get(self, url: str, params: dict[str, Any], endpoint: str) -> tuple[httpx.Response, Any]:
        self.calls += 1
        try:
            response = self._client.get(url, params=params, headers=self._headers,
                                        auth=self._auth or httpx.USE_CLIENT_DEFAULT,
                                        timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise transport_error(exc, provider=self.platform, endpoint=endpoint) from exc
        # Only an error answer is read for its message: a page of 250 orders is megabytes.
        message = self._error_message(response) if response.status_code >= 400 else ""
        error = classify_response(response, provider=self.platform, endpoint=endpoint, message=message)
        if error is not None:
            raise error
        try:
            data = json.loads(response.content, parse_float=Decimal)
        except ValueError as exc:
            # A 200 that is not JSON is a wrong URL (a theme page, WordPress with plain
            # permalinks), not something a retry fixes.
            raise PermanentError("response is not JSON: check the shop API URL",
                                 provider=self.platform, endpoint=endpoint,
                                 status=response.status_code, body=response.text) from exc
        return response, data

    def _shape_error(self, endpoint: str, response: httpx.Response, what: str) -> PermanentError:
        return PermanentError(f"unexpected response: {what}", provider=self.platform,
                              endpoint=endpoint, status=response.status_code, body=response.text)


def _json_message(response: httpx.Response, key: str) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value) if value else ""


class ShopifyOrderLister(_HttpLister):
    """``GET /admin/api/{version}/orders.json`` with cursor pagination (``Link`` rel=next).

    ``api_url`` is the shop's base, e.g. ``https://demo-shop.myshopify.com`` (or the
    sandbox's ``http://127.0.0.1:8900/shopify/demo-shop``).
    """

    platform = "shopify"

    def __init__(self, api_url: str, token: str, *, api_version: str = "2024-10",
                 page_size: int = SHOPIFY_MAX_PAGE, timeout_s: float = 10,
                 client: httpx.Client | None = None) -> None:
        super().__init__(timeout_s=timeout_s, client=client,
                         headers={"X-Shopify-Access-Token": token, "Accept": "application/json"})
        self.base = f"{api_url.rstrip('/')}/admin/api/{api_version}"
        self.page_size = page_size

    def _error_message(self, response: httpx.Response) -> str:
        return _json_message(response, "errors")

    def iter_orders(self, updated_min: datetime, updated_max: datetime) -> Iterator[dict[str, Any]]:
        low, high = _aware(updated_min, "updated_min"), _aware(updated_max, "updated_max")
        url = f"{self.base}/orders.json"
        # status defaults to "open" on Shopify: closed and cancelled orders need "any".
        params: dict[str, Any] = {
            "status": "any",
            "updated_at_min": _floor_second(low).isoformat(),
            "updated_at_max": _ceil_second(high).isoformat(),
            "limit": self.page_size,
        }
        seen: set[str] = set()
        while True:
            response, data = self._get(url, params, "orders_list")
            orders = data.get("orders") if isinstance(data, dict) else None
            if not isinstance(orders, list):
                raise self._shape_error("orders_list", response, "no orders list")
            for order in orders:
                key = str(order.get("id"))
                updated = datetime.fromisoformat(str(order.get("updated_at")).replace("Z", "+00:00"))
                if key in seen or not low <= updated < high:
                    continue
                seen.add(key)
                yield order
            next_url = link_targets(response.headers.get("link")).get("next")
            if not next_url:
                return
            page_info = parse_qs(urlsplit(next_url).query).get("page_info", [""])[0]
            if not page_info:
                raise self._shape_error("orders_list", response, "next link without page_info")
            # With page_info Shopify accepts only limit (and fields): the filters ride in the cursor.
            params = {"limit": self.page_size, "page_info": page_info}

    def get_order(self, order_id: str) -> dict[str, Any]:
        response, data = self._get(f"{self.base}/orders/{order_id}.json", {}, "orders_get")
        if not isinstance(data, dict) or not isinstance(data.get("order"), dict):
            raise self._shape_error("orders_get", response, "no order object")
        return data["order"]


class WooCommerceOrderLister(_HttpLister):
    """``GET /wp-json/wc/v3/orders`` page by page until ``X-WP-TotalPages``.

    ``api_url`` is the site's base, e.g. ``https://shop.example`` (or the sandbox's
    ``http://127.0.0.1:8900/woocommerce/demo-shop``). Keys travel as HTTP Basic, which
    WooCommerce accepts over HTTPS.
    """

    platform = "woocommerce"

    def __init__(self, api_url: str, key: str, secret: str, *,
                 page_size: int = WOOCOMMERCE_MAX_PAGE, timeout_s: float = 10,
                 client: httpx.Client | None = None) -> None:
        super().__init__(timeout_s=timeout_s, client=client, auth=httpx.BasicAuth(key, secret),
                         headers={"Accept": "application/json"})
        self.base = f"{api_url.rstrip('/')}/wp-json/wc/v3"
        self.page_size = page_size

    def _error_message(self, response: httpx.Response) -> str:
        return _json_message(response, "message")

    def iter_orders(self, updated_min: datetime, updated_max: datetime) -> Iterator[dict[str, Any]]:
        low, high = _aware(updated_min, "updated_min"), _aware(updated_max, "updated_max")
        url = f"{self.base}/orders"
        base_params: dict[str, Any] = {
            # WordPress date bounds are exclusive: start a second early, trim below.
            "modified_after": (_floor_second(low) - timedelta(seconds=1)).replace(tzinfo=None).isoformat(),
            "modified_before": _ceil_second(high).replace(tzinfo=None).isoformat(),
            "dates_are_gmt": "true",
            # Ascending ids keep earlier pages stable while new orders arrive.
            "orderby": "id",
            "order": "asc",
            "per_page": self.page_size,
        }
        seen: set[str] = set()
        page = 1
        while True:
            response, data = self._get(url, {**base_params, "page": page}, "orders_list")
            if not isinstance(data, list):
                raise self._shape_error("orders_list", response, "not a list of orders")
            for order in data:
                key = str(order.get("id"))
                modified = datetime.fromisoformat(str(order.get("date_modified_gmt"))).replace(tzinfo=UTC)
                if key in seen or not low <= modified < high:
                    continue
                seen.add(key)
                yield order
            total_pages = response.headers.get("x-wp-totalpages")
            if total_pages is not None and total_pages.strip().isdigit():
                if page >= int(total_pages):
                    return
            elif len(data) < self.page_size:
                return
            page += 1

    def get_order(self, order_id: str) -> dict[str, Any]:
        response, data = self._get(f"{self.base}/orders/{order_id}", {}, "orders_get")
        if not isinstance(data, dict):
            raise self._shape_error("orders_get", response, "no order object")
        return data

    def get_refunds(self, order_id: str) -> list[dict[str, Any]]:
        """``GET /wp-json/wc/v3/orders/{id}/refunds``: the order's refund objects, with their
        ``line_items`` and ``shipping_lines`` (an order's own ``refunds[]`` has only
        ``{id, reason, total}``). One page of 100: no order is refunded a hundred times."""
        response, data = self._get(f"{self.base}/orders/{order_id}/refunds",
                                   {"per_page": WOOCOMMERCE_MAX_PAGE}, "refunds_list")
        if not isinstance(data, list):
            raise self._shape_error("refunds_list", response, "not a list of refunds")
        return data


def make_lister(platform: str, api_url: str, token: str, **options: Any) -> OrderLister:
    """The lister for a store's ``platform``; WooCommerce's ``token`` is ``key:secret``."""
    name = platform.strip().lower()
    if name == "shopify":
        return ShopifyOrderLister(api_url, token, **options)
    if name == "woocommerce":
        key, sep, secret = token.partition(":")
        if not sep:
            raise ValueError("a WooCommerce shop_api_token is 'consumer_key:consumer_secret'")
        return WooCommerceOrderLister(api_url, key, secret, **options)
    raise UnsupportedCapability(name, "order listing")
