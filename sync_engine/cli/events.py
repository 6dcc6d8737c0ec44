"""`sync-engine events …`: the stored inbound webhook events, and replaying them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Optional

import typer
from rich.table import Table

from sync_engine.cli.common import console, sessions

events_app = typer.Typer(help="Inbound webhook events.", no_args_is_help=True)


@events_app.command("list")
def events_list(
    store: Annotated[Optional[str], typer.Option(help="Filter by store id.")] = None,
    status: Annotated[Optional[str], typer.Option(help="accepted, duplicate, ignored, needs_attention, rejected.")] = None,
    limit: Annotated[int, typer.Option(help="How many.")] = 50,
) -> None:
    """List stored inbound events, newest first."""
    from sync_engine.store.repositories import EventRepository

    with sessions()() as session:
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
