"""`sync-engine db upgrade|current` (the `db_app` group) against a blank database."""

from __future__ import annotations

from typer.testing import CliRunner

from sync_engine.cli.db import db_app
from sync_engine.store.db import head_revision


def test_current_then_upgrade_then_current(blank_db_url: str) -> None:
    runner = CliRunner()
    env = {"SYNC_DATABASE_URL": blank_db_url}

    before = runner.invoke(db_app, ["current"], env=env)
    assert before.exit_code == 1
    assert "not migrated" in before.output

    upgraded = runner.invoke(db_app, ["upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert f"at revision {head_revision()}" in upgraded.output

    after = runner.invoke(db_app, ["current"], env=env)
    assert after.exit_code == 0
    assert f"at revision {head_revision()} (up to date)" in after.output


def test_password_is_not_printed() -> None:
    from sync_engine.cli.db import _shown

    shown = _shown("postgresql+psycopg://sync:s3cret@db.internal:5432/sync")
    assert "s3cret" not in shown and "db.internal" in shown
