"""POST /webhooks/{platform}/{store_id} (DESIGN §4 status codes).

401: bad signature, nothing stored. 413: body over 1 MiB. 400: malformed (stored as a
rejected event). 202: accepted / needs_attention / ignored. 200: duplicate delivery or ping.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from sync_engine.ingest import fetch_refund_details, ingest, parse_delivery
from sync_engine.platforms.base import MalformedPayload
from sync_engine.platforms.identity import rules_for
from sync_engine.logging import get_logger
from sync_engine.platforms.base import SignatureError
from sync_engine.platforms.registry import get_platform
from sync_engine.web.deps import WebContext
from sync_engine.web.metrics import Metrics

MAX_BODY = 1024 * 1024
log = get_logger(__name__)


class BodyTooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int = MAX_BODY) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def webhook_router(ctx: WebContext, metrics: Metrics) -> APIRouter:
    router = APIRouter()

    @router.post("/webhooks/{platform}/{store_id}")
    async def receive(platform: str, store_id: str, request: Request) -> JSONResponse:
        store = ctx.stores.get(store_id)
        known = store is not None and store.platform == platform

        def answer(status: int, result: str, body: dict) -> JSONResponse:
            # Labels come from the configuration, never from the path: anyone can post to
            # /webhooks/<anything>/<anything>, and every new label value is a new series.
            metrics.webhooks.labels(platform=platform if known else "unknown", result=result).inc()
            return JSONResponse(body, status_code=status)

        if not known:
            return answer(404, "unknown_store", {"status": "unknown_store", "reason": f"no {platform} store {store_id!r}"})
        try:
            body = await read_limited(request)
        except BodyTooLarge:
            return answer(413, "too_large", {"status": "rejected", "reason": "body over 1 MiB"})
        result, status = await run_in_threadpool(_handle, ctx, store, platform, dict(request.headers), body)
        return answer(status, result.get("status", "error"), result)

    return router


def _handle(ctx: WebContext, store: object, platform: str, headers: dict[str, str], body: bytes) -> tuple[dict, int]:
    """The blocking part (HMAC, SQL, broker) runs in a worker thread, off the event loop."""
    adapter = get_platform(platform)
    secrets = [s.get_secret_value() for s in store.webhook_secret]  # type: ignore[attr-defined]
    try:
        adapter.verify(headers, body, secrets, now=datetime.now(UTC))
    except SignatureError as exc:
        log.warning("webhook signature rejected", store=store.id, platform=platform, reason=str(exc))  # type: ignore[attr-defined]
        return {"status": "unauthorized", "reason": "invalid signature"}, 401
    try:
        # Parsed here, before the transaction: a WooCommerce order listing refunds by id
        # needs their lines from the shop's API (a network call).
        parsed = fetch_refund_details(parse_delivery(adapter, headers, body, store.id, rules_for(store)), store)  # type: ignore[attr-defined]
    except MalformedPayload:
        parsed = None  # ingest parses again and stores it as rejected, with the reason
    with ctx.sessions() as session:
        result = ingest(
            session, store=store, adapter=adapter, headers=headers, body=body,
            source="webhook", now=datetime.now(UTC), parsed=parsed,
        )
        session.commit()
    # One line per delivery, with the reason when it was not simply accepted.
    outcome = log.warning if result.http_status >= 400 else log.info
    outcome("webhook handled", store=store.id, platform=platform, status=result.status,  # type: ignore[attr-defined]
            http_status=result.http_status, job_id=result.job_id, event_id=result.event_id, reason=result.reason)
    if result.enqueue and result.job_id is not None:
        ctx.enqueue(result.job_id)
    for job_id in result.wake:
        ctx.enqueue(job_id)  # after commit: the worker must find the row
    return result.body(), result.http_status
