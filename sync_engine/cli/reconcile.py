"""``sync-engine reconcile``: run the reconciliation now, for one store or all, and show it.

Registered in ``sync_engine/cli/main.py`` as ``app.command("reconcile")(reconcile_command)``;
``python -m sync_engine.cli.reconcile`` runs the same command on its own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sync_engine.cli.common import console, wiring_with_stores
from sync_engine.reconcile.findings import StoreReport

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
err_console = Console(stderr=True)

# Rows of differences shown per store; the stored report and --json have all of them.
SHOWN_ITEMS = 50


class RichProgress:
    """One bar per store and phase while the run pages (orders, then invoices)."""

    def __init__(self, progress: Any) -> None:  # a rich.progress.Progress
        self._progress = progress
        self._task: Any = None

    def start(self, store_id: str, phase: str, total: int | None = None) -> None:
        self._task = self._progress.add_task(f"{store_id}: {phase}", total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)

    def finish(self) -> None:
        if self._task is not None:
            # The lists give no total up front: close the bar at what was counted.
            done = next(t.completed for t in self._progress.tasks if t.id == self._task)
            self._progress.update(self._task, total=done)
            self._task = None


@app.command()
def reconcile_command(
    store: Annotated[Optional[list[str]], typer.Option("--store", help="Only this store (repeatable); default: every store.")] = None,
    date: Annotated[Optional[str], typer.Option("--date", help="The day to reconcile (YYYY-MM-DD, the store's zone); default: yesterday.")] = None,
    from_: Annotated[Optional[str], typer.Option("--from", help="Start: a date (whole days) or an ISO date-time.")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="End: a date (included) or an ISO date-time (excluded).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be done; change nothing (no writes, no queue, no stored report).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
    overlap_hours: Annotated[float, typer.Option("--overlap-hours", help="Margin added to both ends of the shop's update-time window.")] = 2.0,
) -> None:
    """Compare shop orders, the state table and the provider's invoices; re-drive what is
    safe through the pipeline, flag the rest, store the report."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from sync_engine.reconcile.service import ReconcileDeps, reconcile_stores
    from sync_engine.reconcile.window import choose_window

    # With --json, stdout is the report: log lines go to stderr.
    wiring, stores = wiring_with_stores(err_console)
    now = datetime.now(UTC)
    overlap = timedelta(hours=overlap_hours)
    try:
        windows = {sid: choose_window(zone=cfg.zone, now=now, day=date, start=from_, end=to, overlap=overlap)
                   for sid, cfg in stores.items()}
    except ValueError as exc:
        err_console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    unknown = [s for s in store or [] if s not in stores]
    if unknown:
        err_console.print(f"[red]{escape(f'unknown store(s): {unknown}; known: {list(stores)}')}[/red]")
        raise typer.Exit(2)

    providers: dict[str, Any] = {}

    def provider_for(cfg: Any) -> Any:
        if cfg.id not in providers:
            providers[cfg.id] = wiring.provider_for(cfg)
        return providers[cfg.id]

    def enqueue(job_id: int) -> object:
        from sync_engine.queue import enqueue as send

        return send(job_id)

    bar = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    )
    try:
        with bar:
            deps = ReconcileDeps(
                sessions=wiring.sessions, provider_for=provider_for, enqueue=enqueue,
                progress=RichProgress(bar),
            )
            reports = reconcile_stores(deps, stores, store_ids=store, window_for=lambda cfg: windows[cfg.id],
                                       dry_run=dry_run)
    finally:
        for provider in providers.values():
            provider.close()
        wiring.close()

    if as_json:
        typer.echo(json.dumps({"runs": [r.as_json() for r in reports]}, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            show_report(report)
    if any(r.status != "ok" for r in reports):
        raise typer.Exit(1)


def show_report(report: StoreReport, out: Console | None = None) -> None:
    out = out or console
    mode = " (dry run: nothing was changed)" if report.dry_run else ""
    run = f"run {report.run_id}" if report.run_id is not None else "not stored"
    out.rule(f"{report.store_id} — {report.window_start:%Y-%m-%d %H:%M} .. {report.window_end:%Y-%m-%d %H:%M} UTC{mode}")
    out.print(
        f"{run}, status [bold]{report.status}[/bold]; shop calls {report.shop_calls}, "
        f"provider calls {report.provider_calls}; {report.differences} difference(s), "
        f"{report.repairs} repair(s)"
    )
    stats = report.stats
    out.print(
        f"orders seen {stats.get('shop_orders', '-')} (with a job {stats.get('shop_orders_with_job', '-')}), "
        f"invoices listed {stats.get('provider_invoices', '-')} (matched {stats.get('provider_invoices_matched', '-')}, "
        f"not ours {stats.get('provider_invoices_foreign', '-')}), jobs checked {stats.get('jobs_checked', '-')}"
    )
    for note in report.notes:
        out.print(f"[yellow]note:[/yellow] {escape(note)}")
    summary = Table("category", "count", "actions", title="summary")
    by_category: dict[str, dict[str, int]] = {}
    for finding in report.findings:
        actions = by_category.setdefault(finding.category.value, {})
        label = finding.as_json(report.dry_run)["action"]
        actions[label] = actions.get(label, 0) + 1
    for category, count in report.category_counts().items():
        actions = by_category.get(category, {})
        summary.add_row(category, str(count), ", ".join(f"{a} {n}" for a, n in sorted(actions.items())))
    out.print(summary)
    if report.findings:
        items = Table("category", "action", "order", "job", "invoice", "detail", title="differences")
        for finding in report.findings[:SHOWN_ITEMS]:
            shown = finding.as_json(report.dry_run)
            items.add_row(shown["category"], shown["action"], escape(str(finding.order_id or "")),
                          str(finding.job_id or ""), escape(str(finding.invoice_ref or "")),
                          escape(_detail(finding.evidence)))
        out.print(items)
        if len(report.findings) > SHOWN_ITEMS:
            out.print(f"… and {len(report.findings) - SHOWN_ITEMS} more (see --json or the stored report)")


def _detail(evidence: dict[str, Any]) -> str:
    keys = ("reason", "difference", "paid_total", "provider_total", "listed", "ingest_status", "problem")
    parts = [f"{k}={evidence[k]}" for k in keys if evidence.get(k) not in (None, "")]
    return ", ".join(parts)[:90]


if __name__ == "__main__":  # pragma: no cover - `python -m sync_engine.cli.reconcile`
    app()
