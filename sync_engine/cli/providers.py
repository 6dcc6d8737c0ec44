"""`sync-engine providers …`: read-only checks of each store's provider account."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from sync_engine.cli.common import console, wiring_with_stores

providers_app = typer.Typer(help="Provider accounts: read-only checks before going live.", no_args_is_help=True)


@providers_app.command("check")
def providers_check(
    store: Annotated[Optional[list[str]], typer.Option("--store", help="Only this store (repeatable); default: every store.")] = None,
) -> None:
    """Verify each store's provider account with read-only calls; exit 1 if anything fails."""
    import redis

    from sync_engine.providers.check import check_stores, print_checks

    wiring, stores = wiring_with_stores(console)
    try:
        wiring.redis.ping()
        cached = True
    except redis.RedisError:
        cached = False  # token and directory caches are skipped; the calls are still made
    rows = check_stores(stores, lambda s: wiring.provider_for(s, cache_in_redis=cached), store)
    if print_checks(rows):
        raise typer.Exit(1)
