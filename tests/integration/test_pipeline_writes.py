"""The pipeline's folded writes (issue #17): fewer transactions, the same guarantees.

* a run of a one-call provider (SinApp, over HTTP to the in-process sandbox) commits a
  handful of transactions, and still records its provider call as an attempt row and every
  skipped step as skipped;
* whenever a provider call starts, the run's lease still has at least 90 % of its term
  left, however the clock moves between steps (held writes renew it; a separate renewal
  happens when they are too old);
* a lease taken over while a call is in flight is found at the step's next write: nothing
  more is written, and the call's attempt row is still kept.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.config import load_stores
from sync_engine.devtools.devstack import sandbox_secrets, stores_toml
from sync_engine.domain.keys import sale_key
from sync_engine.pipeline.context import ProviderResolver
from sync_engine.pipeline.runner import JobRunner
from sync_engine.pipeline.states import JobStatus
from sync_engine.providers.registry import build_provider
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.credentials import configure_sandbox
from sync_engine.store.repositories import AttemptRepository, JobRepository
from tests.support.orders import order, runtime
from tests.support.scripted_provider import ScriptedProvider

TTL = 300.0


def _job(sessions: sessionmaker[Session], store_id: str, order_id: str, provider: str) -> int:
    o = order(order_id=order_id, store_id=store_id)
    with sessions() as s:
        job, _ = JobRepository(s).create_if_absent(
            sale_key(store_id, order_id), store_id=store_id, platform="woocommerce", order_id=order_id,
            order_name=o.order_name, provider=provider, provider_account="acct",
            status=JobStatus.QUEUED.value, order_json=o.model_dump_json(),
        )
        s.commit()
        return job.id


def test_one_call_run_commits_few_transactions_and_keeps_its_attempt_row(
    session_factory: sessionmaker[Session], db_engine: Engine, tmp_path: Path
) -> None:
    sandbox = Sandbox(configure=configure_sandbox)
    with SandboxServer(sandbox) as server:
        stores_file = tmp_path / "stores.toml"
        stores_file.write_text(stores_toml(server.url), encoding="utf-8")
        stores = load_stores(stores_file, environ=sandbox_secrets())
        resolver = ProviderResolver(stores, lambda store: build_provider(store.provider, redis_client=None))
        job_id = _job(session_factory, "sinapp-shop", "w-1", "sinapp")
        commits: list[int] = []
        listener = lambda _conn: commits.append(1)  # noqa: E731
        event.listen(db_engine, "commit", listener)
        try:
            result = JobRunner(session_factory, resolver).run(job_id)
        finally:
            event.remove(db_engine, "commit", listener)
            resolver.close()
    assert result.status == JobStatus.COMPLETED.value
    # lease (+ run counter), intent claim, the step's results, completion: was 13 before #17
    assert len(commits) <= 5, len(commits)
    with session_factory() as s:
        job = JobRepository(s).get(job_id)
        attempts = AttemptRepository(s).for_job(job_id)
    assert (job.step_customer, job.step_invoice, job.step_e_document, job.step_journal) == (
        "skipped", "done", "skipped", "skipped")
    assert job.attempt_count == 1 and job.lease_owner is None
    assert [(a.step, a.operation, a.attempt_no) for a in attempts] == [("invoice", "sinapp.invoice.create", 1)]
    assert attempts[0].http_status is not None and 200 <= attempts[0].http_status < 300
    assert sandbox.ledger.per_key("sinapp", "invoice_created") and set(sandbox.ledger.per_key("sinapp", "invoice_created").values()) == {1}


class _LeaseChecking(ScriptedProvider):
    """Checks, as each call starts, how long the job's lease still runs; the clock jumps by a
    random amount before every call."""

    def __init__(self, sessions: sessionmaker[Session], job: list[int], clock: list[datetime], rng: random.Random) -> None:
        super().__init__()
        self.sessions, self.job, self.clock, self.rng = sessions, job, clock, rng
        self.left: list[float] = []
        self.spent, self.last_expires = 0.0, None

    def _do(self, operation: str, effect):  # noqa: ANN001, ANN202
        jump = self.rng.choice((0.0, 1.0, 29.0, 31.0, 120.0, 250.0))
        self.clock[0] += timedelta(seconds=jump)
        with self.sessions() as s:
            expires = s.execute(text("SELECT lease_expires_at FROM jobs WHERE id = :id"), {"id": self.job[0]}).scalar_one()
        if isinstance(expires, str):  # SQLite hands timestamps back as text
            expires = datetime.fromisoformat(expires)
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        # Time spent in calls since the lease was last extended (the original renewed once
        # per step too: calls within a step are not renewed between).
        if expires != self.last_expires:
            self.spent, self.last_expires = 0.0, expires
        self.spent += jump
        self.left.append((expires - self.clock[0]).total_seconds() + self.spent)
        return super()._do(operation, effect)


def test_every_provider_call_starts_with_most_of_the_lease_left(session_factory: sessionmaker[Session]) -> None:
    for seed in range(4):
        clock = [datetime(2026, 12, 4, 9, 0, tzinfo=UTC)]
        job = [_job(session_factory, "shop", f"lease-{seed}", "scripted")]
        provider = _LeaseChecking(session_factory, job, clock, random.Random(seed))
        runner = JobRunner(session_factory, lambda _s, p=provider: runtime(p, f"acct-lease-{seed}"),
                           lease_ttl_s=TTL, clock=lambda: clock[0])
        result = runner.run(job[0])
        assert result.status == JobStatus.COMPLETED.value, result
        # As the call starts (before the jump, which stands for time spent in the call), the
        # lease runs for at least 90 % of its term.
        assert len(provider.left) >= 4
        assert all(left >= 0.9 * TTL - 1e-6 for left in provider.left), provider.left


def test_a_lease_taken_over_mid_call_stops_the_run_and_keeps_the_attempt_row(
    session_factory: sessionmaker[Session], db_engine: Engine, tmp_path: Path
) -> None:
    sandbox = Sandbox(configure=configure_sandbox)
    job_id = _job(session_factory, "sinapp-shop", "w-steal", "sinapp")

    def steal(_request) -> None:  # noqa: ANN001 - httpx event hook: another worker took over
        with db_engine.begin() as c:
            c.execute(text("UPDATE jobs SET lease_owner = 'other-worker' WHERE id = :id"), {"id": job_id})

    with SandboxServer(sandbox) as server:
        stores_file = tmp_path / "stores.toml"
        stores_file.write_text(stores_toml(server.url), encoding="utf-8")
        stores = load_stores(stores_file, environ=sandbox_secrets())

        def build(store):  # noqa: ANN001, ANN202
            provider = build_provider(store.provider, redis_client=None)
            provider.http.client.event_hooks["request"].append(steal)
            return provider

        resolver = ProviderResolver(stores, build)
        try:
            result = JobRunner(session_factory, resolver).run(job_id)
        finally:
            resolver.close()
    assert result.ran is False
    with session_factory() as s:
        job = JobRepository(s).get(job_id)
        attempts = AttemptRepository(s).for_job(job_id)
    # the create happened (the provider has it), but this run wrote nothing after it
    assert job.lease_owner == "other-worker" and job.step_invoice == "in_progress" and job.invoice_id is None
    assert [a.operation for a in attempts] == ["sinapp.invoice.create"]
