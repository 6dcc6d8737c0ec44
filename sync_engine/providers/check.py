"""``sync-engine providers check``: before a merchant goes live, read-only calls per store
(token, a one-item list, the buyer-directory lookup, the pool account…) that verify
credentials, base URLs and the answer shapes the adapters rely on, and say what would break —
so that the first real order is not where a contract mistake is found.

Each adapter's ``check()`` does its own calls; this module runs them per store, keeps one
store's failure from hiding another's, and prints the table.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sync_engine.providers.base import CheckResult

providers_app = typer.Typer(help="Provider accounts: read-only checks before going live.", no_args_is_help=True)
console = Console(width=None if sys.stdout.isatty() else 160)


@dataclass(frozen=True)
class StoreCheck:
    store_id: str
    provider: str
    result: CheckResult


def check_stores(stores: Mapping[str, Any], build: Any, only: Iterable[str] | None = None) -> list[StoreCheck]:
    """Run every chosen store's checks. ``build(store)`` gives the store's adapter."""
    chosen = list(only) if only else sorted(stores)
    rows: list[StoreCheck] = []
    for store_id in chosen:
        store = stores.get(store_id)
        if store is None:
            rows.append(StoreCheck(store_id, "?", CheckResult("store", False, "not in the stores file")))
            continue
        name = store.provider.name
        try:
            provider = build(store)
        except Exception as exc:  # a config the adapter cannot use
            rows.append(StoreCheck(store_id, name, CheckResult("adapter", False, f"cannot be built: {exc}")))
            continue
        try:
            results = provider.check()
        except Exception as exc:  # check() reports its own failures; this is a bug in it
            results = [CheckResult("check", False, f"{type(exc).__name__}: {exc}")]
        finally:
            provider.close()
        if not results:
            results = [CheckResult("check", True, "this provider offers no read-only call to check")]
        rows.extend(StoreCheck(store_id, name, r) for r in results)
    return rows


@providers_app.command("check")
def providers_check(
    store: Annotated[Optional[list[str]], typer.Option("--store", help="Only this store (repeatable); default: every store.")] = None,
) -> None:
    """Verify each store's provider account with read-only calls; exit 1 if anything fails."""
    import redis

    from sync_engine.config import ConfigError, get_settings, load_stores
    from sync_engine.logging import configure_logging
    from sync_engine.providers.registry import build_provider

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level, stream=sys.stderr)
    try:
        stores = load_stores(settings.stores_file)
    except ConfigError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError:
        client = None  # token and directory caches are skipped; the calls are still made
    rows = check_stores(stores, lambda s: build_provider(s.provider, redis_client=client), store)
    table = Table(title="provider checks (read-only)")
    for column in ("store", "provider", "check", "", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows:
        mark = "[green]✔[/green]" if row.result.ok else "[red]✘[/red]"
        table.add_row(row.store_id, row.provider, row.result.name, mark, escape(row.result.detail))
    console.print(table)
    failed = [r for r in rows if not r.result.ok]
    if failed:
        console.print(f"[red]{len(failed)} check(s) failed: fix them before the first real order.[/red]")
        raise typer.Exit(1)
    console.print(f"[green]all {len(rows)} checks passed[/green]")
