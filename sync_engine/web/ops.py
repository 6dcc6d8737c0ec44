"""Ops API (bearer SYNC_ADMIN_TOKEN), /healthz and /metrics."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from sync_engine.pipeline.ops import OpsError, job_detail, job_view, order_chain, retry_job
from sync_engine.store.repositories import JobRepository
from sync_engine.web.deps import WebContext
from sync_engine.web.metrics import Metrics


def ops_router(ctx: WebContext, metrics: Metrics) -> APIRouter:
    def require_admin(authorization: str | None = Header(default=None)) -> None:
        if not ctx.admin_token:
            raise HTTPException(503, "ops API disabled: set SYNC_ADMIN_TOKEN")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), ctx.admin_token.encode()):
            raise HTTPException(401, "bearer token required", headers={"WWW-Authenticate": "Bearer"})

    api = APIRouter(prefix="/api", dependencies=[Depends(require_admin)])

    @api.get("/jobs")
    def list_jobs(
        status: str | None = None,
        store: str | None = None,
        limit: int = Query(50, ge=1, le=500),
        cursor: int | None = None,
    ) -> dict[str, Any]:
        with ctx.sessions() as session:
            # `?status=&store=` (empty values) means no filter, not "status equals ''".
            jobs, next_cursor = JobRepository(session).list(
                status=status or None, store_id=store or None, limit=limit, cursor=cursor
            )
            return {"items": [job_view(j) for j in jobs], "next_cursor": next_cursor}

    @api.get("/jobs/{job_id}")
    def get_job(job_id: int) -> dict[str, Any]:
        with ctx.sessions() as session:
            try:
                return job_detail(session, job_id)
            except OpsError as exc:
                raise HTTPException(404, str(exc)) from exc

    @api.get("/orders/{store_id}/{order_id}")
    def get_order_chain(store_id: str, order_id: str) -> dict[str, Any]:
        with ctx.sessions() as session:
            chain = order_chain(session, store_id, order_id)
        if not chain:
            raise HTTPException(404, f"no job for order {order_id} of store {store_id}")
        return {"store_id": store_id, "order_id": order_id, "chain": chain}

    @api.post("/jobs/{job_id}/retry")
    def retry(job_id: int, force: bool = False) -> dict[str, Any]:
        with ctx.sessions() as session:
            try:
                job = retry_job(session, job_id, datetime.now(UTC), force=force)
                session.commit()
            except OpsError as exc:
                code = 404 if "not found" in str(exc) else 409
                raise HTTPException(code, str(exc)) from exc
            view = job_view(job)
        view["enqueued"] = ctx.enqueue(job_id)
        return view

    root = APIRouter()

    @root.get("/healthz")
    def healthz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            with ctx.sessions() as session:
                session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - health reports any failure
            checks["database"] = f"error: {exc.__class__.__name__}"
        try:
            if ctx.redis is None:
                raise RuntimeError("no redis configured")
            ctx.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {exc.__class__.__name__}"
        healthy = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if healthy else "degraded", **checks}, status_code=200 if healthy else 503)

    @root.get("/metrics")
    def prometheus() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    root.include_router(api)
    return root
