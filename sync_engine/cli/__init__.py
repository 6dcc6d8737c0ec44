"""The ``sync-engine`` command line: ``app`` is the console script's entry point (pyproject)."""

from sync_engine.cli.main import app

__all__ = ["app"]
