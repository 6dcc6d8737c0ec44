"""`sync-engine docs …`: documentation generated from the code."""

from __future__ import annotations

import typer

from sync_engine.cli.common import console

docs_app = typer.Typer(help="Generated documentation.", no_args_is_help=True)


@docs_app.command("providers")
def docs_providers() -> None:
    """Regenerate docs/providers.md (the feature matrix) from the adapters' capabilities."""
    from sync_engine.providers.matrix import write_matrix

    console.print(f"wrote {write_matrix()}")
