"""`sync-engine db …`: schema commands, mounted by sync_engine/cli/main.py as the `db` group."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from sync_engine.store.db import DEFAULT_DATABASE_URL, current_revision, head_revision, upgrade

db_app = typer.Typer(help="State store schema (Alembic migrations).", no_args_is_help=True)

UrlOption = Annotated[
    str,
    typer.Option(
        "--url",
        envvar="SYNC_DATABASE_URL",
        help="Database URL (SQLite file or postgresql+psycopg://…).",
        show_default=True,
    ),
]


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def upgrade_command(url: UrlOption = DEFAULT_DATABASE_URL) -> None:
    """Migrate the state store to the newest schema and print the revision reached."""
    revision = upgrade(url)
    typer.echo(f"{_shown(url)}: at revision {revision}")


@db_app.command("current")
def current_command(url: UrlOption = DEFAULT_DATABASE_URL) -> None:
    """Print the state store's schema revision (and whether it is the newest)."""
    revision = current_revision(url)
    head = head_revision()
    if revision is None:
        typer.echo(f"{_shown(url)}: not migrated (head is {head}); run `sync-engine db upgrade`")
        raise typer.Exit(code=1)
    note = "up to date" if revision == head else f"behind head {head}"
    typer.echo(f"{_shown(url)}: at revision {revision} ({note})")
