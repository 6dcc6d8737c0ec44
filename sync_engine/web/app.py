"""The web process: ``create_app()`` (uvicorn factory) wires settings, stores, DB and Redis."""

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
    import redis

    from sync_engine.config import get_settings, load_stores
    from sync_engine.logging import configure_logging
    from sync_engine.store.db import make_engine, make_session_factory
    from sync_engine.web.ui.config import load_operator_tokens
    from sync_engine.queue import enqueue

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    ctx = WebContext(
        sessions=make_session_factory(make_engine(settings.database_url)),
        stores=load_stores(settings.stores_file),
        redis=redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2),
        admin_token=settings.admin_token.get_secret_value() if settings.admin_token else None,
        enqueue=enqueue,
        operators=load_operator_tokens(settings.stores_file),
    )
    return build_app(ctx)
