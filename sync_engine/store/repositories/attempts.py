"""Attempts: every provider call, successful or not — the job's timeline for operators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_engine.store.models import Attempt

# Provider error bodies can be whole HTML pages; the first 2000 characters say what failed.
MESSAGE_LIMIT = 2000
_ERROR_CLASS_LIMIT = 128


class AttemptRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        job_id: int,
        step: str,
        operation: str,
        attempt_no: int,
        started_at: datetime,
        duration_ms: int,
        http_status: int | None = None,
        error_class: str | None = None,
        message: str | None = None,
    ) -> Attempt:
        """Record one call (flushed, so it has an id). Does not commit."""
        attempt = Attempt(
            job_id=job_id,
            step=step,
            operation=operation,
            attempt_no=attempt_no,
            started_at=started_at,
            duration_ms=duration_ms,
            http_status=http_status,
            error_class=None if error_class is None else error_class[:_ERROR_CLASS_LIMIT],
            message=None if message is None else message[:MESSAGE_LIMIT],
        )
        self.session.add(attempt)
        self.session.flush()
        return attempt

    def for_job(self, job_id: int) -> list[Attempt]:
        """The job's attempts in the order they started."""
        stmt = (
            select(Attempt)
            .where(Attempt.job_id == job_id)
            .order_by(Attempt.started_at, Attempt.id)
        )
        return list(self.session.scalars(stmt))
