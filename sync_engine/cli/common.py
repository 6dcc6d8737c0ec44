"""What the command groups share: the console they print on and the one wiring's sessions."""

from __future__ import annotations

import sys

from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

# Tables of jobs are wide: do not squeeze them to 80 columns when output is not a terminal.
console = Console(width=None if sys.stdout.isatty() else 160)


def sessions() -> sessionmaker[Session]:
    from sync_engine.bootstrap import bootstrap

    # Log lines would interleave with the tables and the JSON these commands print.
    return bootstrap(configure_logs=False).sessions
