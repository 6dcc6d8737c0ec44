"""`sync-engine jobs …`: list, show, explain, retry, cancel and resolve jobs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Optional, TypeVar

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from sync_engine.cli.common import console, sessions
from sync_engine.logging import redact_text

T = TypeVar("T")

jobs_app = typer.Typer(help="Inspect, explain, retry, cancel and resolve jobs.", no_args_is_help=True)


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

    with sessions()() as session:
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

    with sessions()() as session:
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
    if view["edited"]:
        console.print(f"  [yellow]edited after its invoice ({view['edited']['at']}): {view['edited']['note']}[/yellow]")
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


def _act(change: Callable[[Session], T]) -> T:
    """One operator action in its own transaction; a refusal (OpsError) is exit 1."""
    from sync_engine.pipeline.ops import OpsError

    with sessions()() as session:
        try:
            result = change(session)
            session.commit()
        except OpsError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    return result


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
    with sessions()() as session:
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
    from sync_engine.web.ui import actions

    _act(lambda session: actions.cancel(session, job_id, _actor(), datetime.now(UTC), note))
    console.print(f"job {job_id} cancelled")


@jobs_app.command("resolve")
def jobs_resolve(
    job_id: Annotated[int, typer.Argument(help="Job id.")],
    note: Annotated[str, typer.Option(help="What was done (required; kept on the job's history).")],
) -> None:
    """Close a needs_attention job settled by hand, with a note."""
    from sync_engine.web.ui import actions

    status = _act(lambda session: actions.resolve(session, job_id, _actor(), datetime.now(UTC), note).status)
    console.print(f"job {job_id} resolved ({status})")


@jobs_app.command("explain")
def jobs_explain(
    order: Annotated[str, typer.Argument(help="Order name (#1001) or number (its id at the shop).")],
    store: Annotated[Optional[str], typer.Option(help="Store id, when several shops have the order.")] = None,
    lang: Annotated[str, typer.Option(help="tr or en.")] = "en",
) -> None:
    """An order's document chain, each step's attempts, and what happens next."""
    from sync_engine.web.ui import queries, texts

    now = datetime.now(UTC)
    with sessions()() as session:
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
            if job.edit_note:
                console.print(f"  edited after its invoice: {redact_text(job.edit_note)}")
            console.print(f"  [cyan]next:[/cyan] {texts.next_action(job, now, lang)}")
        for h in history:
            console.print(f"  history: {h.at:%Y-%m-%d %H:%M} {h.actor} {h.action} job {h.job_id} "
                          f"{(h.detail or {}).get('note') or ''}")
