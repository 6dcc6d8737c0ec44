"""Reconciliation runs and the differences each one found (one item per difference)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_engine.store.models import ReconcileItem, ReconcileRun


class ReconcileRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def start_run(
        self,
        store_id: str,
        window_start: datetime,
        window_end: datetime,
        *,
        dry_run: bool,
        started_at: datetime,
        status: str = "running",
    ) -> ReconcileRun:
        """A new run (flushed, so it has an id). Does not commit."""
        run = ReconcileRun(
            store_id=store_id,
            window_start=window_start,
            window_end=window_end,
            dry_run=dry_run,
            started_at=started_at,
            status=status,
            shop_calls=0,
            provider_calls=0,
        )
        self.session.add(run)
        self.session.flush()
        return run

    def add_item(
        self,
        run_id: int,
        category: str,
        action: str,
        *,
        order_id: str | None = None,
        job_id: int | None = None,
        invoice_ref: str | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> ReconcileItem:
        """Record one difference and the action taken (or, in a dry run, proposed)."""
        item = ReconcileItem(
            run_id=run_id,
            category=category,
            action=action,
            order_id=order_id,
            job_id=job_id,
            invoice_ref=invoice_ref,
            evidence=evidence,
        )
        self.session.add(item)
        self.session.flush()
        return item

    def finish_run(
        self,
        run_id: int,
        *,
        finished_at: datetime,
        status: str,
        counts: dict[str, Any] | None = None,
        shop_calls: int = 0,
        provider_calls: int = 0,
    ) -> ReconcileRun:
        run = self.session.get(ReconcileRun, run_id)
        if run is None:
            raise LookupError(f"reconcile run {run_id} does not exist")
        run.finished_at = finished_at
        run.status = status
        run.counts = counts
        run.shop_calls = shop_calls
        run.provider_calls = provider_calls
        self.session.flush()
        return run

    def get_run(self, run_id: int) -> ReconcileRun | None:
        return self.session.get(ReconcileRun, run_id)

    def items(self, run_id: int) -> list[ReconcileItem]:
        stmt = (
            select(ReconcileItem)
            .where(ReconcileItem.run_id == run_id)
            .order_by(ReconcileItem.id)
        )
        return list(self.session.scalars(stmt))

    def latest_runs(self, store_id: str | None = None, limit: int = 20) -> list[ReconcileRun]:
        """Newest first."""
        stmt = (
            select(ReconcileRun)
            .order_by(ReconcileRun.started_at.desc(), ReconcileRun.id.desc())
            .limit(limit)
        )
        if store_id is not None:
            stmt = stmt.where(ReconcileRun.store_id == store_id)
        return list(self.session.scalars(stmt))
