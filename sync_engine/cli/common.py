"""What the command groups share: the console they print on and the one wiring."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from sync_engine.bootstrap import Wiring
    from sync_engine.config import StoreConfig

# Tables of jobs are wide: do not squeeze them to 80 columns when output is not a terminal.
console = Console(width=None if sys.stdout.isatty() else 160)


def sessions() -> sessionmaker[Session]:
    from sync_engine.bootstrap import bootstrap

    # Log lines would interleave with the tables and the JSON these commands print.
    return bootstrap(configure_logs=False).sessions


def wiring_with_stores(out: Console) -> tuple[Wiring, dict[str, StoreConfig]]:
    """The wiring of a command that works on the stores, logging to stderr (stdout is the
    command's report). A stores file that cannot be used: its problems on ``out``, exit 2."""
    from sync_engine.bootstrap import bootstrap
    from sync_engine.config import ConfigError

    wiring = bootstrap(log_stream=sys.stderr)
    try:
        return wiring, wiring.stores
    except ConfigError as exc:
        out.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
