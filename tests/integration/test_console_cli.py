"""CLI parity with the console (#15): `jobs explain ORDER`, `jobs retry --filter`, `jobs
cancel ID`, `jobs resolve ID --note`, on a real database, each written to the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sync_engine.cli import app
from sync_engine.store.models import AuditEntry, Job
from sync_engine.store.repositories import AttemptRepository, JobRepository


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The CLI on the test database; the ids it hands to the broker are recorded."""
    import sync_engine.queue
    from sync_engine.config import get_settings

    monkeypatch.setenv("SYNC_DATABASE_URL", db_url)
    get_settings.cache_clear()
    sent: list[int] = []
    monkeypatch.setattr(sync_engine.queue, "enqueue", lambda job_id, countdown=None: sent.append(job_id) or True)
    yield sent
    get_settings.cache_clear()


def add_job(session_factory, n: int, **fields) -> int:  # noqa: ANN001
    with session_factory() as session:
        job, _ = JobRepository(session).create_if_absent(
            f"shop:{n}:sale", store_id="shop", platform="shopify", order_id=str(n), order_name=f"#{n}",
            provider="kolaybi", provider_account="acct", **fields)
        session.commit()
        return job.id


def test_explain_prints_the_chain_attempts_and_next_action(cli: list[int], session_factory) -> None:  # noqa: ANN001
    now = datetime.now(UTC)
    sale = add_job(session_factory, 42, status="needs_attention", attention_category="total_mismatch",
                   last_error_message="provider total 100.01, paid 100.00")
    with session_factory() as session:
        JobRepository(session).create_if_absent("shop:42:proforma", store_id="shop", platform="shopify",
                                                order_id="42", order_name="#42", kind="proforma",
                                                provider="kolaybi", provider_account="acct", status="completed")
        AttemptRepository(session).add(sale, "invoice", "kolaybi.invoices.create", 1, now - timedelta(minutes=1),
                                       87, http_status=201)
        session.commit()
    out = CliRunner().invoke(app, ["jobs", "explain", "#42"])
    assert out.exit_code == 0, out.output
    assert "Sale invoice" in out.output and "Proforma" in out.output
    assert "kolaybi.invoices.create" in out.output and "87 ms" in out.output
    assert "Waits for an operator" in out.output and "VAT rates" in out.output
    tr = CliRunner().invoke(app, ["jobs", "explain", "42", "--lang", "tr"])
    assert "Satış faturası" in tr.output and "Operatörü bekliyor" in tr.output
    missing = CliRunner().invoke(app, ["jobs", "explain", "#999"])
    assert missing.exit_code == 1 and "no order" in missing.output


def test_retry_filter_cancel_and_resolve(cli: list[int], session_factory) -> None:  # noqa: ANN001
    a = add_job(session_factory, 1, status="needs_attention", attention_category="auth")
    b = add_job(session_factory, 2, status="needs_attention", attention_category="auth")
    c = add_job(session_factory, 3, status="needs_attention", attention_category="config")
    d = add_job(session_factory, 4, status="queued")
    runner = CliRunner()
    bad = runner.invoke(app, ["jobs", "retry", "--filter", "colour=red"])
    assert bad.exit_code == 1 and "expected key=value" in bad.output
    out = runner.invoke(app, ["jobs", "retry", "--filter", "attention_category=auth,store=shop"])
    assert out.exit_code == 0, out.output
    assert cli == [a, b] and "2 job(s) queued" in out.output
    refused = runner.invoke(app, ["jobs", "resolve", str(c), "--note", " "])
    assert refused.exit_code == 1 and "note is required" in refused.output
    done = runner.invoke(app, ["jobs", "resolve", str(c), "--note", "store config fixed, order invoiced by hand"])
    assert done.exit_code == 0, done.output
    cancelled = runner.invoke(app, ["jobs", "cancel", str(d), "--note", "test order"])
    assert cancelled.exit_code == 0, cancelled.output
    again = runner.invoke(app, ["jobs", "cancel", str(d)])
    assert again.exit_code == 1 and "cancelled" in again.output
    with session_factory() as session:
        statuses = {j.id: j.status for j in session.scalars(select(Job))}
        assert statuses == {a: "queued", b: "queued", c: "cancelled", d: "cancelled"}
        audit = [(e.action, e.job_id) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert audit == [("retry_bulk", None), ("resolve", c), ("cancel", d)]
        assert all(e.actor.startswith("cli") for e in session.scalars(select(AuditEntry)))
