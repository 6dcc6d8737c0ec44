"""Property-based (hypothesis stateful) test of the job state machine on a real database.

Random interleavings of worker runs, provider failures before and after the effect, lost
responses, worker crashes mid-call, duplicate deliveries while a lease is held, clock jumps
past leases and retry times, and operator retries. After every step:
no effect twice, no step skipped, no job moves backwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from sync_engine.domain.keys import ettn_for, sale_key
from sync_engine.pipeline.ops import retry_job
from sync_engine.pipeline.retry import RetryPolicy
from sync_engine.pipeline.runner import JobRunner
from sync_engine.pipeline.states import STEPS, JobStatus, StepState
from sync_engine.store.repositories import JobRepository
from tests.support.orders import order, runtime
from tests.support.scripted_provider import BEHAVIOURS, Crash, ScriptedProvider

STEP_RANK = {StepState.PENDING: 0, StepState.IN_PROGRESS: 1, StepState.FAILED: 1, StepState.DONE: 2, StepState.SKIPPED: 2}
LEASE_TTL = 60.0


def make_machine(session_factory):  # noqa: ANN001, ANN201
    class PipelineMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            self.now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
            self.provider = ScriptedProvider()
            self.order = order(order_id=f"o{id(self)}")
            self.key = sale_key("shop", self.order.order_id)
            with session_factory() as s:
                job, _ = JobRepository(s).create_if_absent(
                    self.key, store_id="shop", platform="shopify", order_id=self.order.order_id,
                    order_name=self.order.order_name, provider="scripted", provider_account="acct",
                    status=JobStatus.QUEUED.value, order_json=self.order.model_dump_json(),
                )
                s.commit()
                self.job_id = job.id
            self.runners = {
                name: JobRunner(
                    # a fresh provider account per example: each example starts with no cari
                    session_factory, lambda _store: runtime(self.provider, f"acct-{id(self)}"), owner=name,
                    policy=RetryPolicy(base_s=1, cap_s=30, max_attempts=1000), lease_ttl_s=LEASE_TTL,
                    clock=lambda: self.now,
                )
                for name in ("worker-a", "worker-b")
            }
            self.last = self._snapshot()
            self.completed_seen = False
            self.cancel_outcome: str | None = None  # what the shop's cancel found, once it came

        def _snapshot(self) -> dict[str, str]:
            with session_factory() as s:
                job = JobRepository(s).get(self.job_id)
                return {"status": job.status, **{st_.value: getattr(job, st_.column) for st_ in STEPS},
                        "lease_owner": job.lease_owner or ""}

        @rule(worker=st.sampled_from(["worker-a", "worker-b"]),
              script=st.lists(st.sampled_from(BEHAVIOURS), max_size=3))
        def run(self, worker: str, script: list[str]) -> None:
            self.provider.script.extend(script)
            try:
                self.runners[worker].run(self.job_id)
            except Crash:
                pass  # the process died; its lease stays until it expires
            self.provider.script.clear()

        @rule()
        def duplicate_delivery_while_leased(self) -> None:
            with session_factory() as s:
                job = JobRepository(s).get(self.job_id)
                owner, expires = job.lease_owner, job.lease_expires_at
            if owner and expires > self.now:
                # A second delivery while a live lease is held leaves without any effect.
                calls = self.provider.calls
                result = self.runners["worker-b"].run(self.job_id)
                assert not result.ran and self.provider.calls == calls

        @precondition(lambda self: self.cancel_outcome is None)
        @rule()
        def order_cancelled_at_the_shop(self) -> None:
            # At any point: before the job started, mid-run with a lease held (a crashed
            # worker's), after the invoice, after the send.
            with session_factory() as s:
                self.cancel_outcome = JobRepository(s).cancel_sale(
                    self.job_id, self.now, "order cancelled at the shop", "draft to delete")
                s.commit()
            self.invoices_at_cancel = self.provider.effects.invoices[ettn_for(self.key)]

        @rule(seconds=st.sampled_from([1.0, 30.0, LEASE_TTL + 1, 3600.0]))
        def advance_clock(self, seconds: float) -> None:
            self.now += timedelta(seconds=seconds)

        @precondition(lambda self: self._snapshot()["status"] == JobStatus.NEEDS_ATTENTION.value)
        @rule()
        def operator_fixes_and_retries(self) -> None:
            self.provider.refusing = False
            with session_factory() as s:
                retry_job(s, self.job_id, self.now)
                s.commit()

        @invariant()
        def no_effect_twice(self) -> None:
            e = self.provider.effects
            for counter in (e.cari, e.invoices, e.gib_sends, e.journals):
                assert all(v <= 1 for v in counter.values()), counter

        @invariant()
        def no_step_skipped_and_no_step_backwards(self) -> None:
            snap = self._snapshot()
            ranks = [STEP_RANK[StepState(snap[s.value])] for s in STEPS]
            # a later step never finished before an earlier one
            for earlier, later in zip(ranks, ranks[1:]):
                if later == 2:
                    assert earlier == 2, snap
            for s in STEPS:
                assert STEP_RANK[StepState(snap[s.value])] >= STEP_RANK[StepState(self.last[s.value])], (self.last, snap)
            if self.completed_seen:
                assert snap["status"] == JobStatus.COMPLETED.value
            if snap["status"] == JobStatus.COMPLETED.value:
                self.completed_seen = True
                e = self.provider.effects
                ettn = ettn_for(self.key)
                assert e.invoices[ettn] == 1 and e.gib_sends[ettn] == 1 and e.journals[ettn] == 1
                assert sum(e.cari.values()) == 1
            self.last = snap

        @invariant()
        def a_cancel_before_the_send_claim_means_no_gib_send_ever(self) -> None:
            if self.cancel_outcome in ("cancelled", "draft", "stopping"):
                ettn = ettn_for(self.key)
                assert self.provider.effects.gib_sends[ettn] == 0, self.cancel_outcome
                assert self._snapshot()["status"] != JobStatus.COMPLETED.value
            if self.cancel_outcome == "cancelled":
                # Nothing had been made: nothing is made after either.
                assert self.provider.effects.invoices[ettn_for(self.key)] == self.invoices_at_cancel == 0

        @invariant()
        def effects_match_recorded_state(self) -> None:
            snap = self._snapshot()
            ettn = ettn_for(self.key)
            if snap["e_document"] == StepState.DONE.value:
                assert self.provider.effects.gib_sends[ettn] == 1

    return PipelineMachine


def test_state_machine_never_duplicates_or_regresses(session_factory) -> None:  # noqa: ANN001
    machine = make_machine(session_factory)
    machine.TestCase.settings = settings(
        max_examples=25, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    machine.TestCase().runTest()
