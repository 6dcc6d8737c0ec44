"""The job state machine: customer ▸ invoice ▸ e_document (GİB) ▸ journal.

One run of a job:
1. Take the lease with one conditional UPDATE (committed at once). A second delivery of the
   same job finds it leased and leaves without effect.
2. Walk the steps from the first unfinished one. Each step commits its external ids before
   the next starts, so a crash loses at most the step in flight, and the next run resumes
   there, whichever worker picks it up. Every write is conditional on still holding the
   lease, so a worker that lost its lease (stalled past expiry) cannot overwrite anything.
3. End in ``completed``, ``retrying`` (with ``next_attempt_at``) or ``needs_attention``.

Knows nothing of Celery or FastAPI: the task wrapper calls ``run`` and re-enqueues.
"""

from __future__ import annotations

import socket
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.domain import Order
from sync_engine.domain.keys import sale_key
from sync_engine.logging import bind_job_context, get_logger
from sync_engine.pipeline.context import ProviderResolver, StoreRuntime, build_request
from sync_engine.pipeline.retry import RetryPolicy
from sync_engine.pipeline.states import (
    FINISHED,
    STEPS,
    AttentionCategory,
    JobKind,
    JobStatus,
    Step,
    StepState,
    step_capability,
)
from sync_engine.pipeline.steps import StepContext, StepOutcome, run_step
from sync_engine.providers.errors import (
    AuthError,
    OrderDataError,
    PermanentError,
    ProviderError,
    TransientError,
)
from sync_engine.providers.http import CallRecord, guard_calls, observe_calls
from sync_engine.store.repositories import AttemptRepository, JobRepository

log = get_logger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class RunResult:
    job_id: int
    ran: bool  # False: leased elsewhere, finished, or gone
    status: str | None = None
    retry_in: float | None = None  # seconds, when the job should run again


class LeaseLost(Exception):
    """Another worker owns the job now; stop without touching it."""


class JobRunner:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        resolve: ProviderResolver | Callable[[str], StoreRuntime],
        *,
        policy: RetryPolicy | None = None,
        lease_ttl_s: float = 300.0,
        gib_answer_wait_s: float = 48 * 3600.0,
        buyer_return_wait_s: float = 8 * 24 * 3600.0,
        owner: str | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = session_factory
        self.resolve = resolve
        self.policy = policy or RetryPolicy()
        self.lease_ttl_s = lease_ttl_s
        self.gib_answer_wait_s = gib_answer_wait_s
        self.buyer_return_wait_s = buyer_return_wait_s
        self.owner = owner or default_owner()
        self.clock = clock

    # -- the run -----------------------------------------------------------------------------

    def run(self, job_id: int) -> RunResult:
        # A fresh owner per run, not per process: threads of one worker share this runner,
        # and a thread that stalled past its lease must not pass the owner check of the
        # thread that took the job over.
        return _Run(self, job_id, f"{self.owner}:{uuid.uuid4().hex[:12]}").run()


class _Run:
    """One run of one job, holding the lease under its own owner id."""

    def __init__(self, runner: JobRunner, job_id: int, owner: str) -> None:
        self.sessions = runner.sessions
        self.resolve = runner.resolve
        self.policy = runner.policy
        self.lease_ttl_s = runner.lease_ttl_s
        self.gib_answer_wait_s = runner.gib_answer_wait_s
        self.buyer_return_wait_s = runner.buyer_return_wait_s
        self.clock = runner.clock
        self.owner = owner
        self.job_id = job_id
        self.waits = 0  # of the job's runs so far, those that only waited
        # Writes that can ride on the next held write instead of a transaction of their own
        # (issue #17): skip marks of steps the provider does not offer and the route of the
        # document (``StepContext.save_with_next``) — derived again by a run that follows a
        # crash before they land, and always on the job before an effect (whose intent claim
        # carries them).
        self.pending: dict[str, object] = {}
        # Provider calls of the step in flight, written (attempt rows) in the transaction of
        # the step's next write — its intent, its result or the run's ending.
        self.calls: list[tuple[Step, int, CallRecord]] = []
        self.lease_at: datetime | None = None  # when this run last extended its lease

    def run(self) -> RunResult:
        job_id = self.job_id
        now = self.clock()
        # One session: the lease (with the run counter, in the same UPDATE, committed at
        # once), then the snapshot read.
        with self.sessions() as session:
            jobs = JobRepository(session)
            if not jobs.take_lease(job_id, self.owner, self.lease_ttl_s, now, count_attempt=True):
                return RunResult(job_id, ran=False)
            self.lease_at = now
            job = jobs.get(job_id)
            assert job is not None
            attempt_no = job.attempt_count or 1
            self.waits = job.wait_count or 0
            snapshot = {c: getattr(job, c) for c in _SNAPSHOT_COLUMNS}
        try:
            with bind_job_context(
                store=snapshot["store_id"], order=snapshot["order_id"], job_id=job_id, attempt=attempt_no
            ):
                return self._run_steps(job_id, snapshot, attempt_no)
        except LeaseLost:
            self._flush_calls()  # the calls were made: their rows stay the job's timeline
            log.warning("lease lost; leaving the job to its new owner", job_id=job_id)
            return RunResult(job_id, ran=False)

    # -- persistence helpers (each commits: state must survive a crash right after) --------
    # Each held write also renews the lease and carries the attempt rows of the calls made
    # since the last one, in its own transaction: one commit per step where there were four.

    def _add_calls(self, session: Session) -> None:
        repo = AttemptRepository(session)
        for step, attempt_no, call in self.calls:
            repo.add(
                self.job_id, step.value, call.operation, attempt_no,
                datetime.fromtimestamp(call.started_at, UTC), call.duration_ms,
                http_status=call.http_status, error_class=call.error_class, message=call.message,
            )

    def _flush_calls(self) -> None:
        """Attempt rows alone (a write that failed its guard rolled back with them)."""
        if not self.calls:
            return
        with self.sessions() as session:
            self._add_calls(session)
            session.commit()
        self.calls.clear()

    def _written(self, now: datetime) -> None:
        self.calls.clear()
        self.pending.clear()
        self.lease_at = now

    def _update(self, job_id: int, **fields: object) -> None:
        now = self.clock()
        with self.sessions() as session:
            ok = JobRepository(session).update_held(
                job_id, self.owner, now, extend_s=self.lease_ttl_s, **{**self.pending, **fields}
            )
            if ok:
                self._add_calls(session)
                session.commit()
        if not ok:
            raise LeaseLost(job_id)
        self._written(now)

    def _claim(self, job_id: int, **fields: object) -> bool:
        """The intent of an effect, unless the order was cancelled (False). LeaseLost if
        another worker owns the job now."""
        now = self.clock()
        with self.sessions() as session:
            jobs = JobRepository(session)
            if jobs.claim(job_id, self.owner, now, extend_s=self.lease_ttl_s, **{**self.pending, **fields}):
                self._add_calls(session)
                session.commit()
                self._written(now)
                return True
            held = jobs.holds(job_id, self.owner)
        self._flush_calls()
        if not held:
            raise LeaseLost(job_id)
        return False

    def _renew(self, job_id: int, *, force: bool = False) -> None:
        """Extend the lease before each step, so a long job is not taken over mid-way —
        unless this run's last held write extended it moments ago (every held write renews
        it): then the lease still runs for at least 90 % of its term, as a renewal now would
        give, and the step's own guarded writes still find out if it was taken."""
        now = self.clock()
        recent = self.lease_at is not None and (now - self.lease_at).total_seconds() < self.lease_ttl_s / 10
        if recent and not force:
            return
        with self.sessions() as session:
            ok = JobRepository(session).renew_lease(job_id, self.owner, self.lease_ttl_s, now)
        if not ok:
            raise LeaseLost(job_id)
        self.lease_at = now

    def _release(self, job_id: int, status: JobStatus, **fields: object) -> None:
        now = self.clock()
        with self.sessions() as session:
            if JobRepository(session).release(
                job_id, self.owner, now, status=status.value, **{**self.pending, **fields}
            ):
                self._add_calls(session)
                session.commit()
                self._written(now)
        self._flush_calls()

    def _record_call(self, job_id: int, step: Step, attempt_no: int) -> Callable[[CallRecord], None]:
        def record(call: CallRecord) -> None:
            self.calls.append((step, attempt_no, call))

        return record

    def _run_steps(self, job_id: int, job: dict[str, object], attempt_no: int) -> RunResult:
        if job["order_json"] is None:
            return self._attention(
                job_id, AttentionCategory.INVALID_ORDER, "the order could not be read from the event"
            )
        try:
            runtime = self.resolve(str(job["store_id"]))
        except Exception as exc:  # a store missing from the stores file, a bad provider config
            return self._attention(job_id, AttentionCategory.CONFIG, str(exc))
        order = Order.model_validate_json(str(job["order_json"]))
        problems = order.invoicing_problems()
        if problems:
            return self._attention(job_id, AttentionCategory.INVALID_ORDER, "; ".join(problems))

        ctx = StepContext(
            job_id=job_id,
            job=job,
            order=order,
            runtime=runtime,
            owner=self.owner,
            sessions=self.sessions,
            clock=self.clock,
            lease_ttl_s=self.lease_ttl_s,
            update=lambda **f: self._update(job_id, **f),
            claim=lambda **f: self._claim(job_id, **f),
            request_factory=lambda document_type, alias: build_request(
                _document_key(job, self.sessions), order, runtime.settings, document_type, alias
            ),
            poll_delay=self.policy.poll_delay,
            gib_answer_wait_s=self.gib_answer_wait_s,
            buyer_return_wait_s=self.buyer_return_wait_s,
            defer=self.pending.update,
        )
        if ctx.computed.difference != 0:
            return self._attention(
                job_id,
                AttentionCategory.INVALID_ORDER,
                f"order lines add up to {ctx.computed.grand_total} but the customer paid "
                f"{ctx.computed.paid_total} (difference {ctx.computed.difference})",
            )

        kind = str(job.get("kind") or "sale")
        for step in STEPS:
            state = StepState(str(job[step.column]))
            if state in FINISHED:
                continue
            capability = step_capability(kind, step)
            if capability is None or not runtime.provider.supports(capability):
                self.pending[step.column] = StepState.SKIPPED.value  # lands with the next write
                job[step.column] = StepState.SKIPPED.value
                continue
            self._renew(job_id)
            try:
                with bind_job_context(step=step.value), observe_calls(
                    self._record_call(job_id, step, attempt_no)
                ), guard_calls(lambda: self._renew(job_id, force=True)):
                    outcome = run_step(step, ctx, state, kind)
            except LeaseLost:
                raise
            except TransientError as exc:
                return self._transient(job_id, step, attempt_no, exc)
            except AuthError as exc:
                self._update(job_id, **{step.column: StepState.FAILED.value})
                return self._attention(job_id, AttentionCategory.AUTH, str(exc), exc)
            except OrderDataError as exc:
                # Nothing was sent: the order has a value the provider's contract cannot carry
                # whole (a required field missing, a name longer than the field).
                self._update(job_id, **{step.column: StepState.FAILED.value})
                return self._attention(job_id, AttentionCategory.INVALID_ORDER, str(exc), exc)
            except PermanentError as exc:
                self._update(job_id, **{step.column: StepState.FAILED.value})
                return self._attention(job_id, AttentionCategory.PROVIDER_REFUSED, str(exc), exc)
            except Exception as exc:  # a bug or an unexpected answer: retry, bounded
                log.exception("unexpected error in step", step=step.value)
                return self._transient(job_id, step, attempt_no, exc)
            if isinstance(outcome, StepOutcome) and outcome.cancelled:
                log.info("job stopped: order cancelled", step=step.value)
                self._release(job_id, JobStatus.CANCELLED, next_attempt_at=None, last_error_class=None,
                              last_error_message=outcome.message, attention_category=None)
                return RunResult(job_id, ran=True, status=JobStatus.CANCELLED.value)
            if isinstance(outcome, StepOutcome) and outcome.attention is not None:
                return self._attention(job_id, outcome.attention, outcome.message or "")
            if isinstance(outcome, StepOutcome) and outcome.retry_in is not None:
                return self._wait(job_id, outcome)
            job.update(ctx.job)

        closed = self._complete(job_id, check_closed=kind == JobKind.SALE)
        if closed is not None:
            # Cancelled at the shop while the document was being made, by a provider whose
            # invoice is the legal document itself (no GİB step of ours to stop before): it
            # exists now, so it must be cancelled or returned at the provider.
            return self._attention(
                job_id, AttentionCategory.CANCELLED_AFTER_SEND,
                f"{closed}, but its invoice {job.get('invoice_number') or job.get('invoice_id')} was "
                "already issued: cancel it at the provider or issue a return (İADE) invoice",
            )
        log.info("job completed")
        return RunResult(job_id, ran=True, status=JobStatus.COMPLETED.value)

    def _complete(self, job_id: int, *, check_closed: bool) -> str | None:
        """Release the job as completed — unless ``check_closed`` and the order was closed
        at the shop meanwhile: then nothing is written and the close reason is returned.
        The read and the release share one session and transaction."""
        now = self.clock()
        with self.sessions() as session:
            jobs = JobRepository(session)
            if check_closed:
                job = jobs.get(job_id)
                if job is not None and job.closed_at is not None:
                    return job.closed_reason
            if jobs.release(
                job_id, self.owner, now, status=JobStatus.COMPLETED.value, completed_at=now,
                last_error_class=None, last_error_message=None, attention_category=None,
                next_attempt_at=None, **self.pending,
            ):
                self._add_calls(session)
                session.commit()
                self._written(now)
        self._flush_calls()
        return None

    # -- endings ------------------------------------------------------------------------------

    def _attention(
        self, job_id: int, category: AttentionCategory, message: str, exc: BaseException | None = None
    ) -> RunResult:
        log.warning("job needs attention", category=category.value, reason=message)
        self._release(
            job_id,
            JobStatus.NEEDS_ATTENTION,
            attention_category=category.value,
            last_error_class=type(exc).__name__ if exc else category.value,
            last_error_message=message[:4000],
            next_attempt_at=None,
        )
        return RunResult(job_id, ran=True, status=JobStatus.NEEDS_ATTENTION.value)

    def _wait(self, job_id: int, outcome: StepOutcome) -> RunResult:
        """A run that only waited (GİB's answer, another job's claim) uses up no retry."""
        return self._retry(
            job_id, float(outcome.retry_in or 0.0), outcome.message, outcome.wait_kind,
            wait_count=self.waits + 1,
        )

    def _transient(self, job_id: int, step: Step, attempt_no: int, exc: BaseException) -> RunResult:
        message = str(exc)
        if self.policy.exhausted(attempt_no - self.waits):
            log.error("retries exhausted", step=step.value, error=message, exc_info=exc)
            return self._attention(
                job_id,
                AttentionCategory.RETRIES_EXHAUSTED,
                f"{step.value}: {message} (after {attempt_no} attempts)",
                exc,
            )
        retry_after = exc.retry_after if isinstance(exc, ProviderError) else None
        delay = self.policy.delay(attempt_no, retry_after)
        # No traceback while retries remain (OCA queue_job's rule): the attempt row has it all.
        log.info("transient error; will retry", step=step.value, error=message, retry_in=round(delay, 2))
        return self._retry(job_id, delay, message, type(exc).__name__)

    def _retry(
        self, job_id: int, delay: float, message: str | None, error_class: str, **fields: object
    ) -> RunResult:
        self._release(
            job_id,
            JobStatus.RETRYING,
            next_attempt_at=self.clock() + timedelta(seconds=delay),
            last_error_class=error_class,
            last_error_message=(message or "")[:4000],
            **fields,
        )
        return RunResult(job_id, ran=True, status=JobStatus.RETRYING.value, retry_in=delay)


def _document_key(job: dict[str, object], sessions: sessionmaker[Session]) -> str:
    """The idempotency key of the document a job works on: its own, except a cancel job's,
    which works on its order's live sale invoice (same ETTN, same request) — the newest sale
    job, a reissue after an edit (``JobRepository.live_sale``)."""
    if str(job.get("kind") or "") == JobKind.CANCEL:
        store_id, order_id = str(job["store_id"]), str(job["order_id"])
        with sessions() as session:
            sale = JobRepository(session).live_sale(store_id, order_id)
        return sale.idempotency_key if sale is not None else sale_key(store_id, order_id)
    return str(job["idempotency_key"])


_SNAPSHOT_COLUMNS = (
    "id", "idempotency_key", "kind", "store_id", "order_id", "order_json", "status",
    "step_customer", "step_invoice", "step_e_document", "step_journal",
    "customer_id", "invoice_id", "ettn", "invoice_number", "gib_uuid", "journal_ref",
    "document_type", "document_alias", "e_document_status", "attempt_count",
    "route_source", "route_checked_at", "provider_total", "e_document_sent_at", "created_at",
)
