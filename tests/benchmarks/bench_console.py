"""Benchmark: the console's pages with 100,000 jobs in PostgreSQL (issue #15: < 200 ms each).

    python -m tests.benchmarks.bench_console                    # 100,000 jobs, PostgreSQL
    python -m tests.benchmarks.bench_console --jobs 20000 --repeat 10

A fresh database (migrated to head, so with migration 0005's indexes) is bulk-loaded with N
jobs over 5 stores, 4 providers, both document types and all three kinds, spread over 90
days, a few percent in needs_attention with a reason; 3 attempts per 10th job, one webhook
event per job, a few reconciliation runs. Then every page is requested through the real app
(ASGI, in process: the figures are the server's, without a network) after login, each
filter alone and combined, first page and a deep keyset page; each is timed over
``--repeat`` requests after one warm-up and the median and worst are printed, with PASS or
FAIL against the 200 ms budget. The load itself is not timed. Runnable by hand, not a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text

from sync_engine.store.db import make_engine, make_session_factory, upgrade
from sync_engine.store.models import Attempt, InboundEvent, Job, ReconcileItem, ReconcileRun
from sync_engine.web.app import build_app
from sync_engine.web.deps import WebContext

BUDGET_MS = 200.0
TOKEN = "bench-console-token"
STORES = ["demo-shop", "kolay-shop", "fe-shop", "sin-shop", "generic-shop"]
PROVIDERS = ["turkcell_esirket", "kolaybi", "faturaentegrator", "sinapp"]
CATEGORIES = ["invalid_tax_id", "provider_refused", "retries_exhausted", "gib_send_failed", "total_mismatch"]


def load(url: str, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    engine = make_engine(url)
    now = datetime.now(UTC)
    batch: list[dict] = []
    events: list[dict] = []
    attempts: list[dict] = []
    with engine.begin() as conn:
        for i in range(1, n + 1):
            store = STORES[i % len(STORES)]
            roll = rnd.random()
            status = ("needs_attention" if roll < 0.03 else "retrying" if roll < 0.05 else
                      "queued" if roll < 0.06 else "cancelled" if roll < 0.07 else "completed")
            created = now - timedelta(seconds=int((n - i) * 90 * 86400 / n))
            kind = "proforma" if i % 23 == 0 else "cancel" if i % 97 == 0 else "sale"
            batch.append(dict(
                id=i, idempotency_key=f"{store}:{i}:{kind}", store_id=store, platform="shopify",
                order_id=str(5_000_000_000 + i), order_name=f"#{1000 + i}", kind=kind,
                provider=PROVIDERS[i % len(PROVIDERS)], provider_account="acct", status=status,
                document_type="e_fatura" if i % 5 == 0 else "e_arsiv",
                attention_category=rnd.choice(CATEGORIES) if status == "needs_attention" else None,
                invoice_number=f"DMS2026{i:09d}" if status == "completed" else None,
                last_error_message="HTTP 503 Service Unavailable" if status in ("needs_attention", "retrying") else None,
                created_at=created, updated_at=created, attempt_count=1, wait_count=0,
                step_customer="done", step_invoice="done" if status == "completed" else "pending",
                step_e_document="done" if status == "completed" else "pending",
                step_journal="done" if status == "completed" else "pending",
            ))
            events.append(dict(store_id=store, platform="shopify", event_key=f"ev-{i}", topic="orders/paid",
                               source="webhook", received_at=created, headers={}, raw_body=b"{}",
                               status="accepted" if status != "needs_attention" else "needs_attention", job_id=i))
            if i % 10 == 0:
                for a in range(3):
                    attempts.append(dict(job_id=i, step="invoice", operation="invoices.create", attempt_no=a + 1,
                                         started_at=created + timedelta(seconds=a), duration_ms=rnd.randint(20, 900),
                                         http_status=201 if a == 2 else rnd.choice([429, 503]),
                                         error_class=None if a == 2 else "TransientError", message=None))
            if len(batch) >= 5000:
                conn.execute(insert(Job), batch)
                conn.execute(insert(InboundEvent), events)
                if attempts:
                    conn.execute(insert(Attempt), attempts)
                batch, events, attempts = [], [], []
        for rows, model in ((batch, Job), (events, InboundEvent), (attempts, Attempt)):
            if rows:
                conn.execute(insert(model), rows)
        for r in range(20):
            run = conn.execute(insert(ReconcileRun).returning(ReconcileRun.id), dict(
                store_id=STORES[r % len(STORES)], window_start=now - timedelta(days=r + 1), window_end=now - timedelta(days=r),
                dry_run=False, started_at=now - timedelta(days=r), finished_at=now - timedelta(days=r),
                status="finished", shop_calls=40, provider_calls=40)).scalar_one()
            conn.execute(insert(ReconcileItem), [dict(run_id=run, category="missing_job", order_id=str(k),
                                                      action="created_job") for k in range(5)])
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('jobs_id_seq', (SELECT max(id) FROM jobs))"))
            conn.execute(text("ANALYZE"))
    engine.dispose()


def pages(client: TestClient, n: int) -> list[tuple[str, str]]:
    deep = n // 2
    some_day = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    with_rows = client.get("/ui/jobs?status=needs_attention").text
    order = with_rows.split('class="order-link">', 1)[1].split("<", 1)[0] if 'class="order-link">' in with_rows else "#1500"
    job_path = with_rows.split('href="/ui/orders/', 1)[1].split("#", 1)[0].split('"', 1)[0] if "/ui/orders/" in with_rows else ""
    return [
        ("jobs, no filter", "/ui/jobs"),
        ("jobs, deep page", f"/ui/jobs?cursor={deep}"),
        ("jobs, status", "/ui/jobs?status=needs_attention"),
        ("jobs, store", "/ui/jobs?store=kolay-shop"),
        ("jobs, provider", "/ui/jobs?provider=sinapp"),
        ("jobs, document type", "/ui/jobs?document_type=e_fatura"),
        ("jobs, kind", "/ui/jobs?kind=proforma"),
        ("jobs, reason", "/ui/jobs?attention_category=gib_send_failed"),
        ("jobs, date range", f"/ui/jobs?date_from={some_day}&date_to={some_day}"),
        ("jobs, order text", f"/ui/jobs?q={order.lstrip('#')}"),
        ("jobs, all filters", f"/ui/jobs?status=completed&store=demo-shop&provider=turkcell_esirket&kind=sale&document_type=e_arsiv&date_from={some_day}"),
        ("order chain", f"/ui/orders/{job_path}"),
        ("needs attention", "/ui/attention"),
        ("webhook inbox", "/ui/events"),
        ("inbox, needs_attention", "/ui/events?status=needs_attention"),
        ("reconciliation", "/ui/reconcile"),
        ("provider health", "/ui/health"),
        ("audit log", "/ui/audit"),
    ]


def run(url: str, n: int, repeat: int) -> bool:
    print(f"loading {n:,} jobs …", flush=True)
    started = time.perf_counter()
    load(url, n)
    print(f"loaded in {time.perf_counter() - started:.1f} s")
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        assert session.scalar(select(Job.id).order_by(Job.id.desc()).limit(1)) == n
    app = build_app(WebContext(sessions=sessions, stores={}, redis=None, admin_token=TOKEN, enqueue=lambda _j: True))
    ok = True
    with TestClient(app) as client:
        client.post("/ui/login", data={"token": TOKEN})
        print(f"\n{'page':<26} {'median ms':>10} {'worst ms':>10}  verdict  ({repeat} requests each)")
        for name, path in pages(client, n):
            assert client.get(path).status_code == 200, path  # warm-up
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                r = client.get(path)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, (path, r.status_code)
            median, worst = statistics.median(times), max(times)
            verdict = "PASS" if median < BUDGET_MS else "FAIL"
            ok &= verdict == "PASS"
            print(f"{name:<26} {median:>10.1f} {worst:>10.1f}  {verdict}")
    engine.dispose()
    print(f"\n{'all pages under' if ok else 'SOME PAGES OVER'} {BUDGET_MS:.0f} ms (median) with {n:,} jobs")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            upgrade(url)
            return 0 if run(url, args.jobs, args.repeat) else 1
    from tests.conftest_db import temporary_pg_database

    with temporary_pg_database("sync_bench_console_") as url:
        upgrade(url)
        return 0 if run(url, args.jobs, args.repeat) else 1


if __name__ == "__main__":
    sys.exit(main())
