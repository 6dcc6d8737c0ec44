"""ReconcileRepository: runs, their items, newest runs first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.store.db import session_scope
from sync_engine.store.repositories import ReconcileRepository

T0 = datetime(2024, 11, 21, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_run_lifecycle_and_items(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        runs = ReconcileRepository(session)
        run = runs.start_run("demo-shop", T0 - DAY, T0, dry_run=True, started_at=T0)
        assert (run.status, run.finished_at, run.shop_calls) == ("running", None, 0)
        missing = runs.add_item(
            run.id, "missing_invoice", "redrive", order_id="5678901234567890123", job_id=4,
            evidence={"shop_total": "118.00", "provider_hits": 0},
        )
        orphan = runs.add_item(run.id, "orphan_invoice", "flag", invoice_ref="DMS2024000000017")
        runs.finish_run(
            run.id, finished_at=T0 + timedelta(minutes=3), status="completed",
            counts={"orders": 12, "missing_invoice": 1, "orphan_invoice": 1},
            shop_calls=2, provider_calls=5,
        )
        run_id = run.id

    with session_factory() as session:
        runs = ReconcileRepository(session)
        loaded = runs.get_run(run_id)
        assert loaded is not None
        assert loaded.dry_run is True
        assert (loaded.status, loaded.shop_calls, loaded.provider_calls) == ("completed", 2, 5)
        assert loaded.counts == {"orders": 12, "missing_invoice": 1, "orphan_invoice": 1}
        assert loaded.window_start == T0 - DAY and loaded.finished_at == T0 + timedelta(minutes=3)
        items = runs.items(run_id)
        assert [i.id for i in items] == [missing.id, orphan.id]
        assert items[0].evidence == {"shop_total": "118.00", "provider_hits": 0}
        assert (items[1].order_id, items[1].invoice_ref) == (None, "DMS2024000000017")
        assert runs.get_run(999_999) is None


def test_latest_runs_newest_first(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        runs = ReconcileRepository(session)
        ids = [
            runs.start_run(store, T0 + n * DAY - DAY, T0 + n * DAY, dry_run=False,
                           started_at=T0 + n * DAY).id
            for n, store in enumerate(["demo-shop", "other-shop", "demo-shop", "demo-shop"])
        ]
    with session_factory() as session:
        runs = ReconcileRepository(session)
        assert [r.id for r in runs.latest_runs()] == ids[::-1]
        assert [r.id for r in runs.latest_runs("demo-shop", limit=2)] == [ids[3], ids[2]]
        assert [r.id for r in runs.latest_runs("other-shop")] == [ids[1]]
