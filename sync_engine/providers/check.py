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
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sync_engine.providers.base import CheckResult

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


def print_checks(rows: list[StoreCheck]) -> int:
    """The table; returns how many checks failed."""
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
    else:
        console.print(f"[green]all {len(rows)} checks passed[/green]")
    return len(failed)
