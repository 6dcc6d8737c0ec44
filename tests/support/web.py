"""Web-layer test harness shared by the webhook, ops, fuzz and replay tests: the app
built on a real database, a real Celery producer on real Redis (db 12), signed deliveries."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from celery import Celery
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.config import StoreConfig, load_stores
from sync_engine.devtools.devstack import stores_toml
from sync_engine.sandbox.credentials import SHOP_SECRETS as SANDBOX_SECRETS
from sync_engine.devtools.orders import shopify_order, woocommerce_order
from sync_engine.devtools.webhooks import (
    build_shopify,
    build_standard,
    build_woocommerce,
)
from sync_engine.store.models import InboundEvent, Job
from sync_engine.web.app import build_app
from sync_engine.web.deps import WebContext
from workers.celery_app import make_celery
from tests.support.services import redis_url

# --- the harness (shared with the other web test files) --------------------------------

REDIS_URL = redis_url(12)
# Nothing listens on port 1: connection refused at once, the fastest "Redis is down".
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"
ADMIN_TOKEN = "t0ken"
QUEUE = "celery"  # the Celery default queue: a Redis list in db 12

GENERIC_SECRET = "whsec_" + base64.b64encode(b"generic-shop-32-byte-test-secret").decode()
ROTATED_SECRET = "demo-shop-rotated-secret"
ENV: dict[str, str] = {
    **SANDBOX_SECRETS,
    "KOLAYBI_API_KEY": "k",
    "TURKCELL_PASSWORD": "p",
    "FATURAENTEGRATOR_API_KEY": "f",
    "SINAPP_API_KEY": "s",
    "SINAPP_API_SECRET": "ss",
    "GENERIC_SHOP_WEBHOOK_SECRET": GENERIC_SECRET,
    "DEMO_SHOP_NEW_SECRET": ROTATED_SECRET,
}
SHOPIFY_SECRET = SANDBOX_SECRETS["DEMO_SHOP_WEBHOOK_SECRET"]
WOO_SECRET = SANDBOX_SECRETS["KOLAY_SHOP_WEBHOOK_SECRET"]

# The example file has no generic store: one more shop, sending Standard Webhooks.
GENERIC_STORE = """
[[stores]]
id = "generic-shop"
platform = "generic"
webhook_secret = "env:GENERIC_SHOP_WEBHOOK_SECRET"

[stores.provider]
name = "kolaybi"
base_url = "http://127.0.0.1:8900/kolaybi"
api_key = "env:KOLAYBI_API_KEY"
channel = "sync-engine"

[stores.invoice]
prefix = "GNR"
website = "https://generic-shop.example"
seller_name = "Genel Ticaret A.Ş."
seller_vkn = "1000036109"
"""
# Shopify rotating its signing secret: the store lists the new one and the old one.
ROTATION = (
    'webhook_secret = "env:DEMO_SHOP_WEBHOOK_SECRET"',
    'webhook_secret = ["env:DEMO_SHOP_NEW_SECRET", "env:DEMO_SHOP_WEBHOOK_SECRET"]',
)

# The documented generic example (docs/generic-webhook.md), paid, one person.
GENERIC_ORDER: dict[str, Any] = {
    "order_id": "100234",
    "order_name": "#1234",
    "created_at": "2025-03-14T10:21:05+03:00",
    "currency": "TRY",
    "prices_include_vat": True,
    "paid": True,
    "buyer": {
        "kind": "person", "tax_id": "10000000146", "first_name": "Ayşe", "last_name": "Yılmaz",
        "email": "ayse@example.com",
        "address": {"line1": "Moda Cad. No: 12 D: 3", "district": "Kadıköy", "city": "İstanbul",
                    "postal_code": "34710"},
    },
    "lines": [
        {"sku": "TS-001-M", "name": "Pamuk Tişört (M)", "quantity": "2", "unit_price": "349.90",
         "vat_rate": "20", "discount": "70.00"},
        {"name": "Kargo", "quantity": "1", "unit_price": "49.90", "vat_rate": "20", "kind": "shipping"},
    ],
    "paid_total": "679.70",
}


def write_stores(directory: Path, *, rotation: bool = False) -> Path:
    text = stores_toml("http://127.0.0.1:8900") + GENERIC_STORE
    if rotation:
        text = text.replace(*ROTATION, 1)
    path = directory / ("stores-rotation.toml" if rotation else "stores.toml")
    path.write_text(text, encoding="utf-8")
    return path


def load_test_stores(directory: Path, *, rotation: bool = False) -> dict[str, StoreConfig]:
    return load_stores(write_stores(directory, rotation=rotation), environ=ENV)


@dataclass
class CeleryEnqueue:
    """``workers.tasks.enqueue`` with a Celery app of our own: True when the broker took it.

    It also looks the job up in a session of its own at send time: only a committed row is
    visible there, which is what "enqueue after commit" promises the worker.
    """

    celery: Celery
    sessions: sessionmaker[Session]
    calls: list[tuple[int, bool]] = field(default_factory=list)
    seen_status: dict[int, str | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def __call__(self, job_id: int) -> bool:
        with self.sessions() as session:
            self.seen_status[job_id] = session.scalar(select(Job.status).where(Job.id == job_id))
        try:
            self.celery.send_task("sync_engine.run_job", (job_id,), retry=False)
        except Exception as exc:  # noqa: BLE001 - any broker failure means "not queued"
            self.errors.append(f"{type(exc).__name__}: {exc}")
            self.calls.append((job_id, False))
            return False
        self.calls.append((job_id, True))
        return True


@dataclass
class WebHarness:
    client: TestClient
    sessions: sessionmaker[Session]
    stores: dict[str, StoreConfig]
    enqueue: CeleryEnqueue
    broker: redis.Redis

    # -- requests ------------------------------------------------------------------------
    def post(self, platform: str, store: str, headers: Mapping[str, str], body: bytes) -> httpx.Response:
        return self.client.post(f"/webhooks/{platform}/{store}", content=body, headers=dict(headers))

    def shopify(self, payload: Any, *, store: str = "demo-shop", secret: str = SHOPIFY_SECRET,
                **options: Any) -> httpx.Response:
        headers, body = build_shopify(payload, secret=secret, **options)
        return self.post("shopify", store, headers, body)

    def woocommerce(self, payload: Any, *, store: str = "kolay-shop", secret: str = WOO_SECRET,
                    **options: Any) -> httpx.Response:
        headers, body = build_woocommerce(payload, secret=secret, **options)
        return self.post("woocommerce", store, headers, body)

    def generic(self, payload: Any, *, secret: str = GENERIC_SECRET, **options: Any) -> httpx.Response:
        headers, body = build_standard(payload, secret=secret, **options)
        return self.post("generic", "generic-shop", headers, body)

    def api(self, method: str, path: str, token: str | None = ADMIN_TOKEN, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.client.request(method, path, headers=headers, **kw)

    # -- state ---------------------------------------------------------------------------
    def counts(self) -> tuple[int, int]:
        with self.sessions() as session:
            return (
                session.scalar(select(func.count()).select_from(InboundEvent)) or 0,
                session.scalar(select(func.count()).select_from(Job)) or 0,
            )

    def events(self) -> list[InboundEvent]:
        with self.sessions() as session:
            return list(session.scalars(select(InboundEvent).order_by(InboundEvent.id)))

    def jobs(self) -> list[Job]:
        with self.sessions() as session:
            return list(session.scalars(select(Job).order_by(Job.id)))

    def job(self, job_id: int) -> Job:
        with self.sessions() as session:
            job = session.get(Job, job_id)
            assert job is not None
            return job

    def assert_queued(self, *job_ids: int) -> None:
        """Each job was sent once, after its commit, and its message sits in the Redis list."""
        # kombu refusing the installed redis-py (VersionMismatch) is an environment defect
        # that stops every enqueue in production too: say so instead of a bare False.
        assert self.enqueue.errors == [], f"the broker refused the message: {self.enqueue.errors}"
        assert self.enqueue.calls == [(j, True) for j in job_ids]
        assert all(self.enqueue.seen_status[j] == "queued" for j in job_ids)
        assert self.broker.llen(QUEUE) == len(job_ids)
        assert self.queued_job_ids() == list(job_ids)

    def queued_job_ids(self) -> list[int]:
        """The job ids of the run_job messages waiting in the Redis list, oldest first."""
        ids = []
        for raw in reversed(self.broker.lrange(QUEUE, 0, -1)):  # LPUSH: newest at the head
            message = json.loads(raw)
            assert message["headers"]["task"] == "sync_engine.run_job"
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            ids.append(int(args[0]))
        return ids


@contextmanager
def web_harness(
    sessions: sessionmaker[Session],
    directory: Path,
    *,
    broker_url: str = REDIS_URL,
    health_redis_url: str = REDIS_URL,
    admin_token: str | None = ADMIN_TOKEN,
    rotation: bool = False,
) -> Iterator[WebHarness]:
    broker = redis.Redis.from_url(REDIS_URL)
    broker.delete(QUEUE)
    celery = make_celery(broker_url)
    enqueue = CeleryEnqueue(celery, sessions)
    health = redis.Redis.from_url(health_redis_url, socket_connect_timeout=1, socket_timeout=1)
    stores = load_test_stores(directory, rotation=rotation)
    app = build_app(WebContext(sessions=sessions, stores=stores, redis=health,
                               admin_token=admin_token, enqueue=enqueue))
    try:
        with TestClient(app) as client:
            yield WebHarness(client, sessions, stores, enqueue, broker)
    finally:
        celery.close()
        broker.delete(QUEUE)
        broker.close()
        health.close()


def paid_shopify(n: int = 1, kind: str = "person", seed: int | None = None) -> dict[str, Any]:
    return shopify_order(random.Random(seed if seed is not None else n), n=n, kind=kind)


def paid_woocommerce(n: int = 1, kind: str = "person", seed: int | None = None) -> dict[str, Any]:
    return woocommerce_order(random.Random(seed if seed is not None else n), n=n, kind=kind)


def shopify_company_without_vkn(n: int = 4) -> dict[str, Any]:
    payload = paid_shopify(n, "company")
    assert payload["billing_address"]["company"]
    payload["note_attributes"] = []  # the checkout lost the Vergi No / Vergi Dairesi fields
    return payload


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def web(session_factory: sessionmaker[Session], tmp_path: Path) -> Iterator[WebHarness]:
    with web_harness(session_factory, tmp_path) as harness:
        yield harness


def body_of(response: httpx.Response) -> dict[str, Any]:
    data = response.json()
    assert isinstance(data, dict)
    return data


# --- Shopify -----------------------------------------------------------------------------
