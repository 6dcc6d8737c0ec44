"""The ``sync-engine`` command line (DESIGN §4). Heavy imports happen inside commands so
``--help`` is instant and a command only loads what it uses."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from sync_engine.logging import redact_text
from sync_engine.reconcile.cli import reconcile_command
from sync_engine.store.cli import db_app

app = typer.Typer(
    help="sync-engine: e-commerce orders to Turkish e-invoices (e-Fatura / e-Arşiv), exactly once.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db", help="Database schema (Alembic migrations).")
app.command("reconcile")(reconcile_command)
jobs_app = typer.Typer(help="Inspect, explain, retry, cancel and resolve jobs.", no_args_is_help=True)
docs_app = typer.Typer(help="Generated documentation.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
events_app = typer.Typer(help="Inbound webhook events.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(events_app, name="events")
providers_app = typer.Typer(help="Provider accounts: read-only checks before going live.", no_args_is_help=True)
app.add_typer(providers_app, name="providers")

# Tables of jobs are wide: do not squeeze them to 80 columns when output is not a terminal.
console = Console(width=None if sys.stdout.isatty() else 160)


def _sessions():  # noqa: ANN202
    from sync_engine.bootstrap import bootstrap

    # Log lines would interleave with the tables and the JSON these commands print.
    return bootstrap(configure_logs=False).sessions


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


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8900,
    faults: Annotated[
        Optional[list[str]],
        typer.Option("--faults", help="provider:endpoint:mode[:probability[:times]], repeatable; "
                     "modes before_500, after_504, after_stall, rate_429, latency."),
    ] = None,
    latency_ms: Annotated[int, typer.Option(help="Latency added to every simulated call.")] = 0,
    seed: Annotated[int, typer.Option(help="Seed for reproducible fault injection.")] = 0,
    gib_step_s: Annotated[float, typer.Option(help="Seconds between GİB status steps (queued → at GİB → approved).")] = 30.0,
) -> None:
    """Serve the provider and shop simulators (state in memory)."""
    import uvicorn

    from sync_engine.sandbox.app import Sandbox
    from sync_engine.sandbox.core import FaultRule

    from sync_engine.sandbox.credentials import configure_sandbox

    sb = Sandbox(seed=seed, configure=configure_sandbox)
    sb.state.faults.base_latency_ms = latency_ms
    sb.state.status_step_s = gib_step_s
    for spec in faults or []:
        sb.state.faults.add(FaultRule.parse(spec))
    console.print(f"sandbox on http://{host}:{port} — simulators: {', '.join(sb.simulators)}")
    uvicorn.run(sb.build_app(), host=host, port=port, log_level="warning")


@app.command()
def demo(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every job to finish.")] = 180.0,
    sandbox_port: Annotated[int, typer.Option(help="Sandbox port (a free one if taken).")] = 8900,
    web_port: Annotated[int, typer.Option(help="Web port (a free one if taken).")] = 8000,
    redis_url: Annotated[str, typer.Option(
        envvar="SYNC_REDIS_URL",
        help="Redis for the demo (its own database number; flushed). If none answers there, or "
             "with `embedded`, the demo starts an embedded Redis (the demo extra) and stops it at the end.",
    )] = "redis://127.0.0.1:6379/9",
) -> None:
    """Run the whole product against the sandbox: signed webhooks in, invoices at GİB out."""
    from sync_engine.devtools.demo import run_demo

    result = run_demo(timeout_s=timeout, sandbox_port=sandbox_port, web_port=web_port, redis_url=redis_url, console=console)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def bench(
    orders: Annotated[int, typer.Option(help="Orders per worker-pool configuration.")] = 300,
    latency_ms: Annotated[int, typer.Option(help="Latency the sandbox adds to every provider call.")] = 50,
    pools: Annotated[Optional[list[str]], typer.Option("--pool", help="pool:concurrency, repeatable (first is the baseline).")] = None,
    ingest_requests: Annotated[int, typer.Option(help="Webhook deliveries for the ingest figure (0 to skip).")] = 2000,
    baseline: Annotated[bool, typer.Option("--baseline", help="The engine vs a bare Celery/FastAPI stack on a provider stub, then the sandbox pools; ends with a BENCH {json} line.")] = False,
    baseline_orders: Annotated[int, typer.Option(help="Orders on each side of the baseline pipeline.")] = 2000,
    reconcile_orders: Annotated[int, typer.Option(help="Orders for the reconciliation figure with --baseline (0 to skip).")] = 100_000,
) -> None:
    """Measure throughput on the real stack: worker pools (orders/s) and webhook ingest (req/s)."""
    from sync_engine.devtools.bench import DEFAULT_POOLS, PoolConfig, run_bench, run_ingest_bench

    if baseline:
        from sync_engine.devtools.bench_baseline import print_bench_line, run_baseline

        result = run_baseline(orders=baseline_orders, latency_ms=latency_ms, reconcile_orders=reconcile_orders,
                              console=console)
        # The full sandbox stays as a second table (its own CPU shares the machine).
        run_bench(orders=orders, latency_ms=latency_ms, pools=(PoolConfig("threads", 50),), console=console)
        print_bench_line(result)
        return

    configs = tuple(PoolConfig(p.split(":")[0], int(p.split(":")[1])) for p in pools) if pools else DEFAULT_POOLS
    run_bench(orders=orders, latency_ms=latency_ms, pools=configs, console=console)
    if ingest_requests:
        run_ingest_bench(requests=ingest_requests, console=console)


# -- jobs ------------------------------------------------------------------------------------


@jobs_app.command("list")
def jobs_list(
    status: Annotated[Optional[str], typer.Option(help="Filter by status.")] = None,
    store: Annotated[Optional[str], typer.Option(help="Filter by store id.")] = None,
    limit: Annotated[int, typer.Option(help="How many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """List jobs, newest first."""
    from sync_engine.pipeline.ops import job_view
    from sync_engine.store.repositories import JobRepository

    with _sessions()() as session:
        jobs, _ = JobRepository(session).list(status=status, store_id=store, limit=limit)
        views = [job_view(j) for j in jobs]
    if as_json:
        typer.echo(json.dumps(views, indent=2, ensure_ascii=False))
        return
    table = Table("id", "store", "order", "status", "customer", "invoice", "e_document", "journal", "invoice no", "last error")
    for v in views:
        s = v["steps"]
        table.add_row(
            str(v["id"]), v["store_id"], v["order_name"] or v["order_id"], v["status"],
            s["customer"]["state"], s["invoice"]["state"], s["e_document"]["state"], s["journal"]["state"],
            v["invoice_number"] or "", ((v["last_error"] or {}).get("message") or "")[:60],
        )
    console.print(table)


@jobs_app.command("show")
def jobs_show(
    job_id: Annotated[int, typer.Argument(help="Job id.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Show a job and its timeline (one line per provider call)."""
    from sync_engine.pipeline.ops import OpsError, job_detail

    with _sessions()() as session:
        try:
            view = job_detail(session, job_id)
        except OpsError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(view, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]job {view['id']}[/bold] {view['store_id']} {view['order_name']} — {view['status']}")
    for name, step in view["steps"].items():
        console.print(f"  {name:<11} {step['state']:<12} {step['external_id'] or ''}")
    console.print(f"  ETTN {view['ettn'] or '-'}  number {view['invoice_number'] or '-'}  GİB uuid {view['gib_uuid'] or '-'}")
    if view["last_error"]:
        console.print(f"  [yellow]{view['attention_category'] or ''} {view['last_error']['message']}[/yellow]")
    table = Table("started", "step", "operation", "try", "ms", "HTTP", "error", "message", title="timeline")
    for a in view["attempts"]:
        table.add_row(
            a["started_at"], a["step"], a["operation"], str(a["attempt"]), str(a["duration_ms"]),
            str(a["http_status"] or ""), a["error_class"] or "", (a["message"] or "")[:80],
        )
    console.print(table)


def _actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in a bare container
        return "cli"


@jobs_app.command("retry")
def jobs_retry(
    job_id: Annotated[Optional[int], typer.Argument(help="Job id (or use --filter).")] = None,
    filter_: Annotated[Optional[str], typer.Option("--filter", help="Retry every needs_attention job matching "
                       "key=value[,key=value…]: status, store, provider, document_type, kind, "
                       "attention_category, date_from, date_to, q.")] = None,
    force: Annotated[bool, typer.Option(help="Retry a job that is not in needs_attention.")] = False,
) -> None:
    """Re-queue a needs_attention job (or every one matching --filter) after its cause is fixed."""
    from sync_engine.pipeline.ops import OpsError, retry_job
    from sync_engine.web.ui import actions
    from sync_engine.web.ui.queries import FilterError, JobFilter
    from sync_engine.queue import enqueue

    if (job_id is None) == (filter_ is None):
        console.print("[red]give a job id or --filter, not both[/red]")
        raise typer.Exit(2)
    now = datetime.now(UTC)
    with _sessions()() as session:
        try:
            if filter_ is not None:
                ids = actions.retry_matching(session, JobFilter.parse(filter_), _actor(), now)
            else:
                assert job_id is not None
                retry_job(session, job_id, now, force=force)
                actions.audit(session, _actor(), "retry", now, job_id=job_id, detail={"force": force} if force else None)
                ids = [job_id]
            session.commit()
        except (OpsError, FilterError) as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    queued = [enqueue(i) for i in ids]
    for i, ok in zip(ids, queued, strict=True):
        console.print(f"job {i} queued" + ("" if ok else " (broker down: the sweeper will pick it up)"))
    if filter_ is not None:
        console.print(f"{len(ids)} job(s) queued")


@jobs_app.command("cancel")
def jobs_cancel(
    job_id: Annotated[int, typer.Argument(help="Job id.")],
    note: Annotated[str, typer.Option(help="Why (kept on the job's history).")] = "",
) -> None:
    """Cancel a job before anything reached GİB (refused after a GİB send)."""
    from sync_engine.pipeline.ops import OpsError
    from sync_engine.web.ui import actions

    with _sessions()() as session:
        try:
            actions.cancel(session, job_id, _actor(), datetime.now(UTC), note)
            session.commit()
        except OpsError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    console.print(f"job {job_id} cancelled")


@jobs_app.command("resolve")
def jobs_resolve(
    job_id: Annotated[int, typer.Argument(help="Job id.")],
    note: Annotated[str, typer.Option(help="What was done (required; kept on the job's history).")],
) -> None:
    """Close a needs_attention job settled by hand, with a note."""
    from sync_engine.pipeline.ops import OpsError
    from sync_engine.web.ui import actions

    with _sessions()() as session:
        try:
            job = actions.resolve(session, job_id, _actor(), datetime.now(UTC), note)
            session.commit()
        except OpsError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
        console.print(f"job {job_id} resolved ({job.status})")


@jobs_app.command("explain")
def jobs_explain(
    order: Annotated[str, typer.Argument(help="Order name (#1001) or number (its id at the shop).")],
    store: Annotated[Optional[str], typer.Option(help="Store id, when several shops have the order.")] = None,
    lang: Annotated[str, typer.Option(help="tr or en.")] = "en",
) -> None:
    """An order's document chain, each step's attempts, and what happens next."""
    from sync_engine.web.ui import queries, texts

    now = datetime.now(UTC)
    with _sessions()() as session:
        found = queries.find_orders(session, order, store)
        if not found:
            console.print(f"[red]no order {order!r}{f' in {store}' if store else ''}[/red]")
            raise typer.Exit(1)
        if len(found) > 1:
            console.print(f"[red]{order!r} names {len(found)} orders: "
                          f"{', '.join(f'{s}/{o}' for s, o in found)}; add --store[/red]")
            raise typer.Exit(1)
        store_id, order_id = found[0]
        chain = queries.order_jobs(session, store_id, order_id)
        attempts = queries.attempts_of(session, [j.id for j in chain])
        history = queries.audit_of(session, [j.id for j in chain])
        console.print(f"[bold]{store_id} order {chain[0].order_name or order_id}[/bold] ({order_id})")
        for job in chain:
            kind = texts.label(texts.KIND_LABEL.get(job.kind, job.kind), lang)
            console.print(f"\n[bold]{kind}[/bold] job {job.id} — {job.status}"
                          + (f" ({job.attention_category})" if job.attention_category else ""))
            for step in ("customer", "invoice", "e_document", "journal"):
                console.print(f"  {texts.label(step, lang):<36} {getattr(job, 'step_' + step)}")
            console.print(f"  {job.document_type or '-'}  number {job.invoice_number or '-'}  ETTN {job.ettn or '-'}"
                          f"  GİB {job.e_document_status or '-'}")
            for a in attempts[job.id]:
                console.print(f"    {a.started_at:%Y-%m-%d %H:%M:%S} {a.step:<10} {a.operation:<28} "
                              f"{a.duration_ms:>6} ms  {a.http_status or '':<4} {a.error_class or 'ok'} "
                              f"{redact_text(a.message or '')[:80]}")
            if job.closed_reason:
                console.print(f"  closed: {redact_text(job.closed_reason)}")
            console.print(f"  [cyan]next:[/cyan] {texts.next_action(job, now, lang)}")
        for h in history:
            console.print(f"  history: {h.at:%Y-%m-%d %H:%M} {h.actor} {h.action} job {h.job_id} "
                          f"{(h.detail or {}).get('note') or ''}")


@events_app.command("list")
def events_list(
    store: Annotated[Optional[str], typer.Option(help="Filter by store id.")] = None,
    status: Annotated[Optional[str], typer.Option(help="accepted, duplicate, ignored, needs_attention, rejected.")] = None,
    limit: Annotated[int, typer.Option(help="How many.")] = 50,
) -> None:
    """List stored inbound events, newest first."""
    from sync_engine.store.repositories import EventRepository

    with _sessions()() as session:
        events = EventRepository(session).list(store_id=store, status=status, limit=limit)
        table = Table("id", "store", "platform", "topic", "source", "status", "job", "reason")
        for e in events:
            table.add_row(str(e.id), e.store_id, e.platform, e.topic or "", e.source, e.status,
                          str(e.job_id or ""), (e.reason or "")[:70])
    console.print(table)


@events_app.command("replay")
def events_replay(
    event_ids: Annotated[Optional[list[int]], typer.Argument(help="Event ids; default: every event matching the filters.")] = None,
    store: Annotated[Optional[str], typer.Option(help="Only this store's events.")] = None,
    status: Annotated[Optional[str], typer.Option(help="Only events in this status (e.g. needs_attention, rejected).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many events.")] = 1000,
) -> None:
    """Re-run stored events through normalisation and job creation (e.g. after fixing a
    mapping, or a shop added a missing VKN). Jobs are never duplicated: one per order."""
    from sync_engine.bootstrap import bootstrap
    from sync_engine.ingest import replay
    from sync_engine.queue import enqueue
    from sync_engine.store.repositories import EventRepository

    wiring = bootstrap(configure_logs=False)
    stores = wiring.stores
    results: list[tuple[int, str, str]] = []
    to_enqueue: list[int] = []
    with wiring.sessions() as session:
        repo = EventRepository(session)
        events = [repo.get(i) for i in event_ids] if event_ids else repo.list(store_id=store, status=status, limit=limit)
        for event in events:
            if event is None:
                continue
            if event.store_id not in stores:
                results.append((event.id, "skipped", f"store {event.store_id} is not configured"))
                continue
            result = replay(session, event, store=stores[event.store_id], adapter=wiring.platform_for(event.platform),
                            now=datetime.now(UTC))
            session.commit()
            results.append((event.id, result.status, result.reason or ""))
            if result.enqueue and result.job_id is not None:
                to_enqueue.append(result.job_id)
            to_enqueue.extend(result.wake)
    for job_id in to_enqueue:
        enqueue(job_id)
    table = Table("event", "result", "reason")
    for row in results:
        table.add_row(str(row[0]), row[1], row[2][:80])
    console.print(table)
    console.print(f"{len(results)} event(s) replayed, {len(to_enqueue)} job(s) queued")


@docs_app.command("providers")
def docs_providers() -> None:
    """Regenerate docs/providers.md (the feature matrix) from the adapters' capabilities."""
    from sync_engine.providers.matrix import write_matrix

    console.print(f"wrote {write_matrix()}")


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())


@providers_app.command("check")
def providers_check(
    store: Annotated[Optional[list[str]], typer.Option("--store", help="Only this store (repeatable); default: every store.")] = None,
) -> None:
    """Verify each store's provider account with read-only calls; exit 1 if anything fails."""
    import redis
    from rich.markup import escape

    from sync_engine.bootstrap import bootstrap
    from sync_engine.config import ConfigError
    from sync_engine.providers.check import check_stores, print_checks

    wiring = bootstrap(log_stream=sys.stderr)
    try:
        stores = wiring.stores
    except ConfigError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    try:
        wiring.redis.ping()
        cached = True
    except redis.RedisError:
        cached = False  # token and directory caches are skipped; the calls are still made
    rows = check_stores(stores, lambda s: wiring.provider_for(s, cache_in_redis=cached), store)
    if print_checks(rows):
        raise typer.Exit(1)
