"""A live stack for integration tests: the sandbox in this process (so tests read its ledger
and inject faults directly), workers as real subprocesses, real Redis and a real database."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import redis
from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.devtools.devstack import DevStack
from sync_engine.domain import Order
from sync_engine.domain.states import JobStatus
from sync_engine.domain.keys import sale_key
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.credentials import configure_sandbox
from sync_engine.store.db import make_engine, make_session_factory
from sync_engine.store.repositories import JobRepository
from workers.celery_app import make_celery
from tests.support.services import redis_url

# Our own Redis database for broker tests; flushed at the start of each stack.
TEST_REDIS_URL = redis_url(13)

# store id in stores.example.toml -> provider
STORES = {
    "demo-shop": "turkcell_esirket",
    "kolay-shop": "kolaybi",
    "entegre-shop": "faturaentegrator",
    "sinapp-shop": "sinapp",
}

# Statuses a job does not leave without an operator (or an event) acting on it.
SETTLED = frozenset({JobStatus.COMPLETED, JobStatus.NEEDS_ATTENTION, JobStatus.CANCELLED})

FAST_ENV = {
    "SYNC_LEASE_TTL_S": "4",
    "SYNC_RETRY_BASE_S": "0.2",
    "SYNC_RETRY_CAP_S": "1.5",
    "SYNC_MAX_ATTEMPTS": "30",
    "SYNC_LOG_FORMAT": "json",
}


@dataclass
class LiveStack:
    sandbox: Sandbox
    server: SandboxServer
    dev: DevStack
    sessions: sessionmaker[Session]
    celery: Celery
    redis: redis.Redis

    def create_job(self, store_id: str, order: Order) -> int:
        with self.sessions() as session:
            job, _ = JobRepository(session).create_if_absent(
                sale_key(store_id, order.order_id), store_id=store_id, platform=order.platform,
                order_id=order.order_id, order_name=order.order_name, provider=STORES[store_id],
                provider_account=f"{STORES[store_id]}:test", status="queued",
                order_json=order.model_dump_json(), next_attempt_at=datetime.now(UTC),
            )
            session.commit()
            return job.id

    def enqueue(self, job_id: int) -> None:
        self.celery.send_task("sync_engine.run_job", (job_id,))

    def sweep(self) -> None:
        self.celery.send_task("sync_engine.sweep")

    def all_jobs(self) -> list[object]:
        from sync_engine.store.models import Job

        with self.sessions() as session:
            return list(session.query(Job).order_by(Job.id))

    def job(self, job_id: int):  # noqa: ANN201
        with self.sessions() as session:
            return JobRepository(session).get(job_id)

    def wait(self, job_ids: list[int], timeout_s: float = 60, *, sweep_every_s: float | None = None,
             until: Callable[[object], bool] | None = None) -> list[object]:
        done = until or (lambda j: j.status in ("completed", "needs_attention"))
        deadline = time.monotonic() + timeout_s
        last_sweep = time.monotonic()
        while time.monotonic() < deadline:
            jobs = [self.job(i) for i in job_ids]
            if all(done(j) for j in jobs):
                return jobs
            if all(j.status in SETTLED for j in jobs):
                break  # nothing will move any more: fail now, with the reasons, not at the timeout
            if sweep_every_s is not None and time.monotonic() - last_sweep > sweep_every_s:
                self.sweep()
                last_sweep = time.monotonic()
            time.sleep(0.2)
        else:
            timeout_s = -timeout_s  # marks "timed out" in the message below
        states = [(j.id, j.status, j.step_customer, j.step_invoice, j.step_e_document, j.step_journal, j.last_error_message) for j in (self.job(i) for i in job_ids)]
        logs = "\n".join((self.dev.workdir / f).read_text()[-3000:] for f in ("worker.log",) if (self.dev.workdir / f).exists())
        what = f"jobs not finished in {-timeout_s}s" if timeout_s < 0 else "jobs settled short of the goal"
        raise AssertionError(f"{what}: {states}\n{logs}")


@contextmanager
def live_stack(db_url: str, workdir: Path, *, transform: Callable[[str], str] | None = None,
               env: dict[str, str] | None = None, start_worker: bool = True) -> Iterator[LiveStack]:
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    sandbox = Sandbox(configure=configure_sandbox)
    # GİB answers within a second or two, so the pipeline's follow-up polls finish quickly.
    sandbox.state.status_step_s = 1.0
    server = SandboxServer(sandbox).start()
    dev = DevStack(workdir, server.url, db_url, TEST_REDIS_URL, extra_env={**FAST_ENV, **(env or {})})
    dev.prepare(transform)
    stack = LiveStack(sandbox, server, dev, make_session_factory(make_engine(db_url)), make_celery(TEST_REDIS_URL), client)
    try:
        if start_worker:
            dev.start_worker()
        yield stack
    finally:
        dev.stop_all()
        server.stop()
        client.flushdb()
