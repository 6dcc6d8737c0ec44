"""The webhook inbox: one row per (store, platform, event key), whatever the shop resends.

The unique key, not a lookup, decides whether a delivery is new (STYLE: polar's
external_event inbox); only a new event may enqueue work.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_engine.store.models import InboundEvent
from sync_engine.store.repositories._common import guarded_update, insert_or_ignore, utcnow


class EventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def insert_if_new(
        self,
        store_id: str,
        platform: str,
        event_key: str,
        *,
        topic: str | None,
        source: str,
        headers: dict[str, Any],
        raw_body: bytes,
        status: str,
        reason: str | None = None,
        job_id: int | None = None,
        received_at: datetime | None = None,
    ) -> tuple[InboundEvent, bool]:
        """Store the event unless its key was seen; returns (event, created).

        On a duplicate the first delivery's row comes back unchanged (with its job_id, so
        the caller can answer "duplicate" with the job). `headers` must already be redacted.
        Does not commit.
        """
        values: dict[str, Any] = {
            "store_id": store_id,
            "platform": platform,
            "event_key": event_key,
            "topic": topic,
            "source": source,
            "received_at": received_at if received_at is not None else utcnow(),
            "headers": headers,
            "raw_body": raw_body,
            "status": status,
            "reason": reason,
            "job_id": job_id,
        }
        new_id = insert_or_ignore(
            self.session, InboundEvent, values, ["store_id", "platform", "event_key"]
        )
        event = self.session.scalars(
            select(InboundEvent)
            .where(
                InboundEvent.store_id == store_id,
                InboundEvent.platform == platform,
                InboundEvent.event_key == event_key,
            )
            .execution_options(populate_existing=True)
        ).one()
        return event, new_id is not None

    def get(self, event_id: int) -> InboundEvent | None:
        return self.session.get(InboundEvent, event_id)

    def list(
        self, store_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> builtins.list[InboundEvent]:
        """Newest first."""
        stmt = select(InboundEvent).order_by(InboundEvent.id.desc()).limit(limit)
        if store_id is not None:
            stmt = stmt.where(InboundEvent.store_id == store_id)
        if status is not None:
            stmt = stmt.where(InboundEvent.status == status)
        return builtins.list(self.session.scalars(stmt))

    def set_status(
        self, event_id: int, status: str, reason: str | None = None, job_id: int | None = None
    ) -> bool:
        """Record what became of the event. `reason` is always written (None clears it);
        `job_id` only when given, so a later status change cannot unlink the event's job.
        Does not commit."""
        values: dict[str, Any] = {"status": status, "reason": reason}
        if job_id is not None:
            values["job_id"] = job_id
        return guarded_update(self.session, InboundEvent, [InboundEvent.id == event_id], values)
