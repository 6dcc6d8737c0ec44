"""The web process: ``create_app()`` (uvicorn factory) takes settings, stores, DB and Redis from
the one wiring (``sync_engine.bootstrap``)."""

from __future__ import annotations

from fastapi import FastAPI

from sync_engine.web.deps import WebContext
from sync_engine.web.metrics import Metrics
from sync_engine.web.ops import ops_router
from sync_engine.web.ui.routes import install as install_console
from sync_engine.web.webhooks import webhook_router


def build_app(ctx: WebContext) -> FastAPI:
    app = FastAPI(title="sync-engine", version="0.1.0")
    metrics = Metrics(ctx.sessions)
    app.include_router(webhook_router(ctx, metrics))
    app.include_router(ops_router(ctx, metrics))
    install_console(app, ctx)  # the operator console under /ui/ (#15)
    app.state.ctx = ctx
    app.state.metrics = metrics
    return app


def create_app() -> FastAPI:
    from sync_engine.bootstrap import WEB_REDIS_TIMEOUT_S, bootstrap
    from sync_engine.queue import enqueue
    from sync_engine.web.ui.config import load_operator_tokens

    wiring = bootstrap(redis_timeout_s=WEB_REDIS_TIMEOUT_S)
    settings = wiring.settings
    ctx = WebContext(
        sessions=wiring.sessions,
        stores=wiring.stores,
        redis=wiring.redis,
        admin_token=settings.admin_token.get_secret_value() if settings.admin_token else None,
        enqueue=enqueue,
        operators=load_operator_tokens(settings.stores_file),
    )
    return build_app(ctx)
