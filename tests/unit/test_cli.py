"""Every command of the external contract (DESIGN §4) exists and has --help; the jobs
commands read a real database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from sync_engine.cli import app
from sync_engine.store.repositories import AttemptRepository, JobRepository

COMMANDS = [
    [], ["web"], ["worker"], ["beat"], ["sandbox"], ["demo"], ["db"], ["db", "upgrade"],
    ["jobs"], ["jobs", "list"], ["jobs", "show"], ["jobs", "retry"], ["jobs", "explain"],
    ["jobs", "cancel"], ["jobs", "resolve"], ["events"], ["events", "list"],
    ["events", "replay"], ["reconcile"], ["bench"], ["docs", "providers"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "sync-engine")
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_jobs_list_show_and_retry_refusal(db_url: str, session_factory, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from sync_engine.config import get_settings

    monkeypatch.setenv("SYNC_DATABASE_URL", db_url)
    get_settings.cache_clear()
    now = datetime.now(UTC)
    with session_factory() as session:
        job, _ = JobRepository(session).create_if_absent(
            "shop:42:sale", store_id="shop", platform="shopify", order_id="42", order_name="#42",
            provider="kolaybi", provider_account="acct", status="needs_attention",
            last_error_class="PermanentError", last_error_message="kolaybi invoices.create HTTP 422: receiver e-mail required",
        )
        session.flush()
        AttemptRepository(session).add(job.id, "invoice", "kolaybi.invoices.create", 1, now, 35,
                                       http_status=422, error_class="PermanentError", message="receiver e-mail required")
        session.commit()
        job_id = job.id
    try:
        runner = CliRunner()
        listed = runner.invoke(app, ["jobs", "list", "--json"])
        assert listed.exit_code == 0, listed.output
        views = json.loads(listed.output)
        assert [v["idempotency_key"] for v in views] == ["shop:42:sale"]
        shown = runner.invoke(app, ["jobs", "show", str(job_id), "--json"])
        detail = json.loads(shown.output)
        assert detail["attempts"][0]["operation"] == "kolaybi.invoices.create"
        assert detail["attempts"][0]["http_status"] == 422
        text = runner.invoke(app, ["jobs", "show", str(job_id)]).output
        assert "timeline" in text and "receiver e-mail required" in text
        missing = runner.invoke(app, ["jobs", "show", "99999"])
        assert missing.exit_code == 1 and "not found" in missing.output
        with session_factory() as session:
            JobRepository(session).set_fields(job_id, now, status="completed")
            session.commit()
        refused = runner.invoke(app, ["jobs", "retry", str(job_id)])
        assert refused.exit_code == 1 and "only needs_attention" in refused.output
    finally:
        get_settings.cache_clear()
