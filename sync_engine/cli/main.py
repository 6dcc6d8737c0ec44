"""The ``sync-engine`` command line (DESIGN §4): the app, the long-running processes (web,
worker, beat), and one module per command group mounted on it. Heavy imports happen inside
commands so ``--help`` is instant and a command only loads what it uses."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer
from rich.console import Console

from sync_engine.cli import dev
from sync_engine.cli.db import db_app
from sync_engine.cli.docs import docs_app
from sync_engine.cli.events import events_app
from sync_engine.cli.jobs import jobs_app
from sync_engine.cli.providers import providers_app
from sync_engine.cli.reconcile import reconcile_command

app = typer.Typer(
    help="sync-engine: e-commerce orders to Turkish e-invoices (e-Fatura / e-Arşiv), exactly once.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db", help="Database schema (Alembic migrations).")
app.command("reconcile")(reconcile_command)
app.add_typer(docs_app, name="docs")
app.add_typer(jobs_app, name="jobs")
app.add_typer(events_app, name="events")
app.add_typer(providers_app, name="providers")


# -- processes --------------------------------------------------------------------------------


def _refuse_embedded_redis(command: str) -> None:
    """The embedded Redis lives and dies with ``sync-engine demo``; a production process on
    it would lose its broker, rate budgets and caches when the demo ends. Refuse, loudly."""
    from sync_engine.config import EMBEDDED_REDIS, get_settings, is_embedded_redis

    if is_embedded_redis(get_settings().redis_url):
        Console(stderr=True).print(
            f"[red]SYNC_REDIS_URL={EMBEDDED_REDIS} is for `sync-engine demo` only: the embedded Redis "
            f"stops with the demo. `sync-engine {command}` needs a Redis of its own; set "
            "SYNC_REDIS_URL=redis://host:6379/0.[/red]"
        )
        raise typer.Exit(2)


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
) -> None:
    """Serve webhooks, the ops API, the operator console (/ui/), /healthz and /metrics."""
    _refuse_embedded_redis("web")
    import uvicorn

    from sync_engine.bootstrap import bootstrap

    bootstrap()  # the redacting log handler, before uvicorn logs its first line
    # log_config=None: uvicorn keeps our redacting handlers instead of installing its own.
    uvicorn.run(
        "sync_engine.web.app:create_app", factory=True, host=host, port=port, workers=workers,
        log_config=None,
    )


@app.command()
def worker(
    pool: Annotated[str, typer.Option(help="Celery pool: threads (default), prefork or gevent.")] = "threads",
    concurrency: Annotated[int, typer.Option(help="Slots per worker process.")] = 16,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO",
    hostname: Annotated[Optional[str], typer.Option(help="Worker node name.")] = None,
) -> None:
    """Run a Celery worker that drives jobs through the pipeline."""
    _refuse_embedded_redis("worker")
    import os

    argv = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "-P", pool,
            "-c", str(concurrency), "--loglevel", loglevel, "--without-mingle", "--without-gossip"]
    if hostname:
        argv += ["-n", hostname]
    # Celery's own entry point: it monkey-patches for gevent before anything else is
    # imported (worker_main() from here would be too late, and a gevent pool would hang).
    os.execv(sys.executable, argv)


@app.command()
def beat(
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO",
    schedule_file: Annotated[str, typer.Option(help="Where beat keeps its state.")] = "var/celerybeat-schedule",
) -> None:
    """Run Celery beat: the sweeper every minute and the nightly reconciliation."""
    _refuse_embedded_redis("beat")
    from pathlib import Path

    from workers.celery_app import app as celery_app

    Path(schedule_file).parent.mkdir(parents=True, exist_ok=True)
    celery_app.start(["beat", "--loglevel", loglevel, "-s", schedule_file])


# -- dev commands (sync_engine/cli/dev.py) ----------------------------------------------------

app.command()(dev.sandbox)
app.command()(dev.demo)
app.command()(dev.bench)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
