"""The bare stack ``sync-engine bench --baseline`` measures the engine against (issue #17).

What a team would write by hand with the same libraries and none of the engine's safety:
* a Celery chain: each step is one task doing one httpx POST to the provider stub and one
  PostgreSQL UPDATE, then enqueueing the next step;
* a FastAPI endpoint: HMAC check, pydantic parse, one INSERT, ``apply_async``.

It imports nothing from the engine, so the figures are the libraries' cost alone. The Celery
settings that shape throughput (late acks, prefetch 1, no result backend, JSON) are the
engine's (``workers/celery_app.py``), so both sides run the same pool the same way.

    BARE_DATABASE_URL=... BARE_REDIS_URL=... BARE_STUB_URL=... \
        celery -A sync_engine.devtools.bench_bare worker -P threads -c 50
    uvicorn --factory sync_engine.devtools.bench_bare:create_web
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

import httpx
from celery import Celery
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bare_jobs (id bigserial PRIMARY KEY, status text NOT NULL, "
    "steps_done int NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS bare_events (id bigserial PRIMARY KEY, event_id text UNIQUE, "
    "topic text, body bytea NOT NULL, received_at timestamptz NOT NULL DEFAULT now())",
)


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set")
    return value


def make_celery(broker: str) -> Celery:
    app = Celery("bench_bare", broker=broker)
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_ignore_result=True, result_backend=None, task_serializer="json",
        accept_content=["json"], worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
    )
    return app


app = make_celery(os.environ.get("BARE_REDIS_URL", "redis://127.0.0.1:6379/11"))
celery = app


@cache
def _db() -> Engine:
    # The engine's pool settings (sync_engine.store.db.make_engine: SQLAlchemy's default pool,
    # pre-ping on), so both sides pay the same per checkout.
    return create_engine(_env("BARE_DATABASE_URL"), pool_pre_ping=True)


@cache
def _http() -> httpx.Client:
    return httpx.Client(base_url=_env("BARE_STUB_URL"), timeout=10)


def create_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as c:
        for statement in SCHEMA:
            c.execute(text(statement))
    engine.dispose()


@app.task(name="bare.step")
def step(job_id: int, remaining: int, path: str) -> None:
    """One step: one provider call, one state write, then the next step."""
    response = _http().post(path, json={"job": job_id, "remaining": remaining})
    response.raise_for_status()
    done = remaining <= 1
    with _db().begin() as c:
        c.execute(
            text("UPDATE bare_jobs SET steps_done = steps_done + 1, status = :s, updated_at = now() WHERE id = :id"),
            {"s": "completed" if done else "running", "id": job_id},
        )
    if not done:
        step.apply_async((job_id, remaining - 1, path))


# -- the bare webhook endpoint ---------------------------------------------------------------


class ShopifyOrder(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    total_price: str
    currency: str


def create_web() -> FastAPI:
    secret = _env("BARE_WEBHOOK_SECRET").encode()
    web = FastAPI()

    def handle(headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        given = headers.get("x-shopify-hmac-sha256", "")
        expected = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(given, expected):
            return 401, {"status": "unauthorized"}
        ShopifyOrder.model_validate_json(body)
        with _db().begin() as c:
            row = c.execute(
                text("INSERT INTO bare_events (event_id, topic, body) VALUES (:e, :t, :b) "
                     "ON CONFLICT (event_id) DO NOTHING RETURNING id"),
                {"e": headers.get("x-shopify-event-id"), "t": headers.get("x-shopify-topic"), "b": body},
            ).first()
        if row is None:
            return 200, {"status": "duplicate"}
        step.apply_async((row[0], 1, "/bare/ingested"))
        return 202, {"status": "accepted", "event": row[0]}

    @web.post("/webhooks/shopify/{store_id}")
    async def receive(store_id: str, request: Request) -> JSONResponse:
        body = await request.body()
        status, answer = await run_in_threadpool(handle, dict(request.headers), body)
        return JSONResponse(answer, status_code=status)

    @web.get("/healthz")
    async def healthz() -> dict:
        return {"ok": True}

    return web
