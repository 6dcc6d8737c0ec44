"""Sign and deliver webhooks byte for byte as the shop platforms do (payloads README §2).

``build_*`` are pure: they return ``(headers, body)`` and take every id and time as an
argument (fresh ones are drawn when left out). ``WebhookSender`` posts them over real HTTP
and can redeliver a delivery the way the platform retries it.

* Shopify: compact JSON, UTF-8 as is; ``X-Shopify-Hmac-Sha256`` = base64 HMAC-SHA256 of the
  raw body with the app's client secret. ``X-Shopify-Webhook-Id`` is new per delivery,
  ``X-Shopify-Event-Id`` is shared by every delivery of one merchant action, and a retry
  carries the original body and ``X-Shopify-Triggered-At``.
* WooCommerce: ``trim(wp_json_encode($payload))`` — PHP escapes ``/`` as ``\\/`` and every
  non-ASCII character as ``\\uXXXX`` — signed with ``wp_specialchars_decode($secret)``; the
  first request after saving a webhook is an unsigned form-encoded ping ``webhook_id=N``.
  Delivery-ID is ``wp_hash(id . time())``: two deliveries in one second share it.
* Standard Webhooks (generic platform): ``webhook-signature: v1,<base64 HMAC-SHA256 of
  "{id}.{timestamp}.{body}">`` keyed with the base64 part of ``whsec_…``; a retry keeps
  ``webhook-id`` and is signed again with a fresh timestamp.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx

# The shops' JSON writers are the simulators' too: one copy, in the sandbox.
from sync_engine.sandbox.shop_wire import Payload, shopify_body, wp_json_encode

SHOPIFY_USER_AGENT = "Shopify-Captain-Hook"
WC_VERSION = "9.3.3"
WP_VERSION = "6.6.2"
# Stands in for WordPress's per-site auth salt inside wp_hash().
_WP_SALT = b"sandbox-wp-auth-salt"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def hmac_b64(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


# --- Shopify ---------------------------------------------------------------------------

def shopify_signature(body: bytes, secret: str) -> str:
    return hmac_b64(secret.encode("utf-8"), body)


def build_shopify(
    payload: Payload,
    *,
    secret: str,
    topic: str = "orders/create",
    shop_domain: str = "demo-shop.myshopify.com",
    api_version: str = "2024-10",
    webhook_id: str | None = None,
    event_id: str | None = None,
    triggered_at: datetime | None = None,
) -> tuple[dict[str, str], bytes]:
    body = shopify_body(payload)
    when = (triggered_at or _utcnow()).astimezone(UTC)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": SHOPIFY_USER_AGENT,
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": shopify_signature(body, secret),
        "X-Shopify-Shop-Domain": shop_domain,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": when.isoformat(timespec="microseconds").replace("+00:00", "Z"),
    }
    return headers, body


# --- WooCommerce -----------------------------------------------------------------------

def wp_specialchars_decode(text: str) -> str:
    """What ``wp_specialchars_decode($secret, ENT_QUOTES)`` does to a webhook secret."""
    for entity, char in (
        ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#039;", "'"), ("&#39;", "'"),
        ("&#x27;", "'"), ("&#034;", '"'), ("&#34;", '"'), ("&#x22;", '"'), ("&amp;", "&"),
    ):
        text = text.replace(entity, char)
    return text


def woocommerce_signature(body: bytes, secret: str) -> str:
    return hmac_b64(wp_specialchars_decode(secret).encode("utf-8"), body)


def woocommerce_delivery_id(webhook_id: int, when: datetime) -> str:
    return hmac.new(_WP_SALT, f"{webhook_id}{int(when.timestamp())}".encode(), hashlib.md5).hexdigest()


def woocommerce_user_agent(wc_version: str = WC_VERSION, wp_version: str = WP_VERSION) -> str:
    return f"WooCommerce/{wc_version} Hookshot (WordPress/{wp_version})"


def build_woocommerce(
    payload: Payload,
    *,
    secret: str,
    topic: str = "order.created",
    source: str = "https://demo-shop.example/",
    webhook_id: int = 1,
    now: datetime | None = None,
    wc_version: str = WC_VERSION,
    wp_version: str = WP_VERSION,
) -> tuple[dict[str, str], bytes]:
    body = payload if isinstance(payload, bytes) else wp_json_encode(payload)
    body = body.strip(b" \t\n\r\0\x0b")  # PHP trim()
    resource, _, event = topic.partition(".")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": woocommerce_user_agent(wc_version, wp_version),
        "X-WC-Webhook-Source": source if source.endswith("/") else source + "/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": woocommerce_signature(body, secret),
        "X-WC-Webhook-ID": str(webhook_id),
        "X-WC-Webhook-Delivery-ID": woocommerce_delivery_id(webhook_id, now or _utcnow()),
    }
    return headers, body


def build_woocommerce_ping(
    webhook_id: int, *, wc_version: str = WC_VERSION, wp_version: str = WP_VERSION
) -> tuple[dict[str, str], bytes]:
    # deliver_ping() sets only the user agent; curl adds the form content type for a
    # string body. No signature, no X-WC-* headers.
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": woocommerce_user_agent(wc_version, wp_version),
    }
    return headers, f"webhook_id={webhook_id}".encode("ascii")


# --- Standard Webhooks -----------------------------------------------------------------

def standard_signature(msg_id: str, timestamp: int, body: bytes, secret: str) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return "v1," + hmac_b64(key, f"{msg_id}.{timestamp}.".encode() + body)


def build_standard(
    payload: Payload,
    *,
    secret: str,
    msg_id: str | None = None,
    timestamp: int | None = None,
) -> tuple[dict[str, str], bytes]:
    body = shopify_body(payload)
    msg_id = msg_id or "msg_" + secrets.token_hex(12)
    ts = timestamp if timestamp is not None else int(_utcnow().timestamp())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": standard_signature(msg_id, ts, body, secret),
    }
    return headers, body


# --- delivery --------------------------------------------------------------------------

def post(client: httpx.Client, url: str, headers: Mapping[str, str], body: bytes) -> httpx.Response:
    """POST the exact bytes: ``content=`` so httpx never re-encodes the body."""
    return client.post(url, content=body, headers=dict(headers))


@dataclass(frozen=True)
class Delivery:
    platform: str  # shopify | woocommerce | woocommerce_ping | standard
    url: str
    headers: dict[str, str]
    body: bytes
    status: int
    response: httpx.Response | None = field(default=None, repr=False, compare=False)
    secret: str = field(default="", repr=False)
    options: dict[str, Any] = field(default_factory=dict)


class WebhookSender:
    """Posts signed deliveries; ``clock`` lets tests use the sandbox clock."""

    def __init__(self, client: httpx.Client, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.client = client
        self.clock = clock

    def _send(self, platform: str, url: str, headers: dict[str, str], body: bytes,
              secret: str, options: dict[str, Any]) -> Delivery:
        response = post(self.client, url, headers, body)
        return Delivery(platform, url, headers, body, response.status_code, response, secret, options)

    def shopify(self, url: str, payload: Payload, *, secret: str, topic: str = "orders/create",
                shop_domain: str = "demo-shop.myshopify.com", api_version: str = "2024-10",
                event_id: str | None = None) -> Delivery:
        options = dict(topic=topic, shop_domain=shop_domain, api_version=api_version,
                       event_id=event_id or str(uuid.uuid4()), triggered_at=self.clock())
        headers, body = build_shopify(payload, secret=secret, **options)
        return self._send("shopify", url, headers, body, secret, options)

    def woocommerce(self, url: str, payload: Payload, *, secret: str, topic: str = "order.created",
                    source: str = "https://demo-shop.example/", webhook_id: int = 1) -> Delivery:
        options = dict(topic=topic, source=source, webhook_id=webhook_id)
        headers, body = build_woocommerce(payload, secret=secret, now=self.clock(), **options)
        return self._send("woocommerce", url, headers, body, secret, options)

    def woocommerce_ping(self, url: str, webhook_id: int = 1) -> Delivery:
        headers, body = build_woocommerce_ping(webhook_id)
        return self._send("woocommerce_ping", url, headers, body, "", {"webhook_id": webhook_id})

    def standard(self, url: str, payload: Payload, *, secret: str, msg_id: str | None = None) -> Delivery:
        options = {"msg_id": msg_id or "msg_" + secrets.token_hex(12)}
        headers, body = build_standard(payload, secret=secret, timestamp=int(self.clock().timestamp()), **options)
        return self._send("standard", url, headers, body, secret, options)

    def redeliver(self, delivery: Delivery, *, new_webhook_id: bool = True) -> Delivery:
        """Send ``delivery`` again as the platform's retry would.

        Shopify: the original body, event id and triggered-at, with a new webhook id (pass
        ``new_webhook_id=False`` to repeat it). WooCommerce: the same body and a delivery id
        recomputed for this second. Standard Webhooks: same id, new timestamp and signature.
        """
        if delivery.platform == "shopify":
            o = delivery.options
            headers, body = build_shopify(
                delivery.body, secret=delivery.secret, topic=o["topic"], shop_domain=o["shop_domain"],
                api_version=o["api_version"], event_id=o["event_id"], triggered_at=o["triggered_at"],
                webhook_id=None if new_webhook_id else delivery.headers["X-Shopify-Webhook-Id"],
            )
        elif delivery.platform == "woocommerce":
            headers, body = build_woocommerce(delivery.body, secret=delivery.secret, now=self.clock(), **delivery.options)
        elif delivery.platform == "woocommerce_ping":
            headers, body = delivery.headers, delivery.body
        elif delivery.platform == "standard":
            headers, body = build_standard(delivery.body, secret=delivery.secret,
                                           timestamp=int(self.clock().timestamp()), **delivery.options)
        else:
            raise ValueError(f"cannot redeliver a {delivery.platform!r} delivery")
        response = post(self.client, delivery.url, headers, body)
        return replace(delivery, headers=headers, body=body, status=response.status_code, response=response)
