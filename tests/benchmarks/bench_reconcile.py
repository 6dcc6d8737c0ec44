"""Benchmark: a nightly reconciliation of 100,000 orders against the sandbox, over HTTP.

    python -m tests.benchmarks.bench_reconcile                 # 100,000 vs a 10,000 baseline
    python -m tests.benchmarks.bench_reconcile --orders 20000 --baseline 2000 --db postgres

The Shopify simulator (shop ``demo-shop``) and the Turkcell e-Şirket simulator are seeded
directly in memory with N paid orders of one day and their invoices (sent to GİB and
journaled), and the state table with N matching completed jobs; a small share of orders
(``--missing``) has neither job nor invoice — lost webhooks the run must ingest. Then
``reconcile_store`` runs for real (HTTP listers, the real Turkcell adapter, SQL), once at the
baseline size and once at N, and the figures are printed: calls to the shop and to the
provider, wall time, rows per second, and the ratio N / baseline, which must stay near
N / baseline for calls (they grow with N / page size, never per order) and for time.

Seeding shortcuts (the run itself takes none): orders go straight into the Shopify
simulator's store as rows sharing their nested objects with a few rendered templates (its
payloads are never mutated), so 100,000 orders cost ~1.5 GB instead of ~6 GB; invoices go
straight into the Turkcell simulator's invoice book; jobs are bulk-inserted. The seeded
objects are then frozen out of the garbage collector (``gc.freeze``): they live in this
process only because the sandbox does, and full collections walking millions of sandbox
objects would be charged to the reconciler.

Time spent inside the simulators' list handlers is measured and shown apart. The Turkcell
simulator filters and sorts its whole invoice book on every page request — O(N) per page,
where a real API pages an index — which at 100,000 invoices is ~0.7 s a page and made the
sandbox, not the reconciler, 60 % of the wall time. By default the benchmark therefore
memoizes that filter-and-sort between the pages of one listing (the answers are the same:
the simulator's own ``page`` function slices and renders, and nothing changes the book
during the run); ``--raw-simulators`` measures without it.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from sync_engine.config import load_stores
from sync_engine.devtools.devstack import sandbox_secrets, stores_toml
from sync_engine.domain.keys import ettn_for, sale_key
from sync_engine.platforms.registry import get_platform
from sync_engine.platforms.clients import SHOPIFY_MAX_PAGE
from sync_engine.providers.registry import build_provider
from sync_engine.reconcile.findings import StoreReport
from sync_engine.reconcile.service import ReconcileDeps, reconcile_store
from sync_engine.reconcile.window import day_window
from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.credentials import configure_sandbox
from sync_engine.devtools.orders import TR_TZ, shopify_order
from sync_engine.sandbox.shopify import _Stored
from sync_engine.sandbox.turkcell.invoices import JOURNALED, Invoice
from sync_engine.sandbox.shop_wire import shopify_body
from sync_engine.store.db import make_engine, make_session_factory, upgrade
from sync_engine.store.models import Job

STORE = "demo-shop"  # Shopify → Turkcell e-Şirket in stores.example.toml
TEMPLATES = 64
TURKCELL_PAGE = 500


@dataclass
class Figures:
    orders: int
    missing: int
    seed_s: float
    wall_s: float
    sim_s: float
    report: StoreReport

    @property
    def shop_calls(self) -> int:
        return self.report.shop_calls

    @property
    def provider_list_calls(self) -> int:
        return int(self.report.stats.get("provider_calls_by_operation", {}).get("invoices.outgoing", 0))

    @property
    def own_s(self) -> float:
        return self.wall_s - self.sim_s


# -- seeding -------------------------------------------------------------------------------------


def templates(day: date) -> list[tuple[dict[str, Any], Any]]:
    """A few rendered orders (payload, Order) that every seeded order is a copy of."""
    rng = random.Random(2024)
    adapter = get_platform("shopify")
    out = []
    for n in range(1, TEMPLATES + 1):
        kind = ("person", "anonymous", "person", "company")[n % 4]
        payload = shopify_order(rng, n=n, kind=kind, created_at=datetime.combine(day, datetime.min.time(), TR_TZ),
                                efatura=False)
        order, problem = adapter.order_from_resource(payload, STORE)
        assert order is not None, problem
        out.append((payload, order))
    return out


def seed(sandbox: Sandbox, engine: Any, shapes: list[tuple[dict[str, Any], Any]], n: int,
         missing_every: int, day: date) -> int:
    """N orders in the shop; an invoice and a completed job for every one but the missing."""
    shop = sandbox["shopify"]._shop(STORE)  # noqa: SLF001 - seeding the store in bulk
    book = sandbox["turkcell"].invoices
    cari_id = sandbox["turkcell"].caris.create_cari({"name": "Ayşe", "surname": "Yılmaz", "identifier": "10000000146"})["id"]
    cari = sandbox["turkcell"].caris.caris[cari_id]
    content = {"description": "bench", "currentAccountAlias": None, "note": None, "notes": [],
               "invoiceProfileType": 0, "type": 1, "currencyCode": "TRY", "exchangeRate": None,
               "invoiceLines": [{}], "archiveInfoModel": None, "paymentMeansModel": None}
    start = datetime.combine(day, datetime.min.time(), TR_TZ)
    step = timedelta(seconds=86_000 / n)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    missing = 0
    for i in range(n):
        payload, order = shapes[i % len(shapes)]
        when = start + step * i
        stamp = when.replace(microsecond=0).isoformat()
        order_id = str(5_000_000_000_000 + i)
        name = f"#{100_000 + i}"
        clone = {**payload, "id": int(order_id), "name": name, "order_number": 100_000 + i,
                 "created_at": stamp, "updated_at": stamp, "processed_at": stamp}
        moment = datetime.fromisoformat(stamp).timestamp()
        shop.orders[int(order_id)] = _Stored(clone, moment, moment, moment, _raw=shopify_body(clone))
        if i % missing_every == missing_every - 1:
            missing += 1  # the webhook was lost: no job, and so no invoice either
            continue
        key = sale_key(STORE, order_id)
        ettn = ettn_for(key)
        number = f"DMS{day.year}{i + 1:09d}"
        paid = order.paid_total
        created = datetime.fromisoformat(stamp)
        book.invoices[ettn] = Invoice(
            ettn=ettn, cari=cari, record_type=0, prefix="DMS", issue_date=created, content=content,
            totals={"lineExtensionAmount": paid, "taxExclusiveAmount": paid, "taxInclusiveAmount": paid,
                    "allowanceTotalAmount": Decimal("0.00"), "payableAmount": paid, "taxTotal": Decimal("0.00")},
            created_at=created, updated_at=created, record_status=JOURNALED, service_id=ettn,
            service_kind="earchive", invoice_number=number, sent_at=now - timedelta(hours=1),
        )
        job_time = created.astimezone(UTC) + timedelta(seconds=3)
        rows.append(dict(
            idempotency_key=key, store_id=STORE, platform="shopify", order_id=order_id, order_name=name,
            kind="sale", provider="turkcell_esirket", provider_account="turkcell_esirket:bench",
            status="completed", step_customer="done", step_invoice="done", step_e_document="done",
            step_journal="done", customer_id="1", invoice_id=ettn, ettn=ettn, invoice_number=number,
            gib_uuid=ettn, journal_ref=ettn, document_type="e_arsiv", e_document_status="60",
            rounding_difference=Decimal("0.00"), attempt_count=1,
            order_json=order.model_copy(update={"order_id": order_id, "order_name": name, "created_at": created}).model_dump_json(),
            created_at=job_time, updated_at=job_time, completed_at=job_time,
        ))
        if len(rows) >= 5000:
            _insert(engine, rows)
            rows = []
    if rows:
        _insert(engine, rows)
    shop.version += 1
    return missing


def _insert(engine: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(Job), rows)


# -- measuring -----------------------------------------------------------------------------------


class SimClock:
    """Time spent inside the simulators' list handlers (they run in this process)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, target: Any, name: str) -> None:
        inner: Callable[..., Any] = getattr(target, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - began

        setattr(target, name, timed)


def memoize_turkcell_listing(book: Any) -> None:
    """One filter-and-sort of the invoice book per listing instead of one per page."""
    from sync_engine.sandbox.turkcell.common import page, parse_filter

    selected: dict[str, list[Any]] = {}

    def list_outgoing(query: Any) -> dict[str, Any]:
        wanted = query.get("filterQuery") or ""
        if wanted not in selected:
            # The filter the adapter sends (IssueDate) and the simulator's own order.
            conditions = parse_filter(wanted, {"IssueDate": lambda i: i.issue_date}, frozenset({"IssueDate"}))
            ordered = sorted(book.invoices.values(), key=lambda i: (i.created_at, i.ettn))
            selected[wanted] = [i for i in ordered if all(c.test(i) for c in conditions)]
        rest = {k: v for k, v in query.items() if k != "filterQuery"}
        return page(selected[wanted], rest, render=book.list_item, categories={}, paging_required=True)

    book.list_outgoing = list_outgoing


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        upgrade(url)
        yield url
        return
    from tests.conftest_db import temporary_pg_database

    with temporary_pg_database("sync_bench_") as url:
        upgrade(url)
        yield url


def run_once(n: int, missing_every: int, db: str, day: date, shapes: list[tuple[dict[str, Any], Any]],
             raw_simulators: bool) -> Figures:
    with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as tmp, database(db, Path(tmp)) as url:
        sandbox = Sandbox(configure=configure_sandbox)
        with SandboxServer(sandbox) as server:
            stores_file = Path(tmp) / "stores.toml"
            stores_file.write_text(stores_toml(server.url), encoding="utf-8")
            secrets = sandbox_secrets()
            stores = load_stores(stores_file, environ=secrets)
            store = stores[STORE]
            engine = make_engine(url)
            sessions = make_session_factory(engine)
            began = time.perf_counter()
            missing = seed(sandbox, engine, shapes, n, missing_every, day)
            seed_s = time.perf_counter() - began
            gc.collect()
            gc.freeze()

            if not raw_simulators:
                memoize_turkcell_listing(sandbox["turkcell"].invoices)
            sim = SimClock()
            sim.wrap(sandbox["shopify"], "_page")
            sim.wrap(sandbox["turkcell"].invoices, "list_outgoing")
            # No Redis: no shared rate budget, so the run is not throttled to the account's 10/s.
            provider = build_provider(store.provider, redis_client=None)
            enqueued: list[int] = []
            deps = ReconcileDeps(sessions=sessions, provider_for=lambda _s: provider, enqueue=enqueued.append)
            began = time.perf_counter()
            report = reconcile_store(deps, store, day_window(day, store.zone))
            wall = time.perf_counter() - began
            provider.close()
            engine.dispose()
            gc.unfreeze()
            _check(report, n, missing, enqueued)
            return Figures(n, missing, seed_s, wall, sim.seconds, report)


def _check(report: StoreReport, n: int, missing: int, enqueued: list[int]) -> None:
    counts = {k: v for k, v in report.category_counts().items() if v}
    expected = {"missing_job": missing} if missing else {}
    if report.status != "ok" or counts != expected or len(enqueued) != missing:
        raise SystemExit(f"unexpected result at N={n}: status {report.status}, {counts}, "
                         f"{len(enqueued)} enqueued, notes {report.notes}")
    if report.stats.get("provider_invoices") != n - missing or report.stats.get("shop_orders") != n:
        raise SystemExit(f"not everything was listed at N={n}: {report.stats}")


# -- output --------------------------------------------------------------------------------------


def show(base: Figures, big: Figures, raw: bool) -> None:
    def row(label: str, a: object, b: object, ratio: str = "") -> None:
        print(f"  {label:<34}{a!s:>14}{b!s:>14}{ratio:>10}")

    def ratio(a: float, b: float) -> str:
        return f"{b / a:.2f}x" if a else "-"

    scale = big.orders / base.orders
    print()
    print(f"Reconciliation of one day, Shopify (250/page) → Turkcell (500/page), over HTTP; ratio = N / baseline ({scale:.0f}x orders)")
    print(f"  simulators: {'raw (O(N) filter-and-sort per Turkcell page)' if raw else 'Turkcell listing memoized per run'}")
    row("", "baseline", "N", "ratio")
    row("orders in the shop", base.orders, big.orders, ratio(base.orders, big.orders))
    row("lost webhooks ingested", base.missing, big.missing, ratio(base.missing, big.missing))
    row("shop list calls", base.shop_calls, big.shop_calls, ratio(base.shop_calls, big.shop_calls))
    row("  expected ceil(N/250)", math.ceil(base.orders / SHOPIFY_MAX_PAGE), math.ceil(big.orders / SHOPIFY_MAX_PAGE))
    row("provider list calls", base.provider_list_calls, big.provider_list_calls,
        ratio(base.provider_list_calls, big.provider_list_calls))
    row("  expected ceil(invoices/500)", math.ceil((base.orders - base.missing) / TURKCELL_PAGE),
        math.ceil((big.orders - big.missing) / TURKCELL_PAGE))
    row("provider calls, all operations", base.report.provider_calls, big.report.provider_calls,
        ratio(base.report.provider_calls, big.report.provider_calls))
    row("wall time, s", f"{base.wall_s:.1f}", f"{big.wall_s:.1f}", ratio(base.wall_s, big.wall_s))
    for phase in ("shop_side", "provider_side", "stuck_jobs"):
        a = base.report.stats["timings_s"][phase]
        b = big.report.stats["timings_s"][phase]
        row(f"  {phase.replace('_', ' ')}, s", f"{a:.1f}", f"{b:.1f}", ratio(a, b))
    row("  inside the simulators, s", f"{base.sim_s:.1f}", f"{big.sim_s:.1f}", ratio(base.sim_s, big.sim_s))
    row("reconciler's own time, s", f"{base.own_s:.1f}", f"{big.own_s:.1f}", ratio(base.own_s, big.own_s))
    row("rows/s (orders / wall)", f"{base.orders / base.wall_s:,.0f}", f"{big.orders / big.wall_s:,.0f}")
    row("rows/s (orders / own time)", f"{base.orders / base.own_s:,.0f}", f"{big.orders / big.own_s:,.0f}")
    row("seeding (not measured above), s", f"{base.seed_s:.1f}", f"{big.seed_s:.1f}")
    print()
    print(f"  per-operation provider calls at N: {big.report.stats.get('provider_calls_by_operation')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="N, the measured size")
    parser.add_argument("--baseline", type=int, default=10_000, help="the size N is compared with")
    parser.add_argument("--missing", type=int, default=1000,
                        help="one order in this many has no job (a lost webhook)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--raw-simulators", action="store_true",
                        help="do not memoize the Turkcell simulator's per-page filter-and-sort")
    parser.add_argument("--json", action="store_true",
                        help="end with one line RECONCILE {json} (read by sync-engine bench --baseline)")
    args = parser.parse_args(argv)
    day = (datetime.now(TR_TZ) - timedelta(days=1)).date()
    shapes = templates(day)
    figures = []
    for n in (args.baseline, args.orders):
        print(f"N={n:,} on {args.db}: seeding and reconciling …", file=sys.stderr, flush=True)
        figures.append(run_once(n, args.missing, args.db, day, shapes, args.raw_simulators))
        gc.collect()
    show(*figures, raw=args.raw_simulators)
    if args.json:
        import json

        big = figures[-1]
        print("RECONCILE " + json.dumps({
            "orders": big.orders, "wall_s": round(big.wall_s, 2), "own_s": round(big.own_s, 2),
            "shop_calls": big.shop_calls, "provider_list_calls": big.provider_list_calls,
            "provider_calls": big.report.provider_calls,
            "expected_shop_calls": math.ceil(big.orders / SHOPIFY_MAX_PAGE),
            "expected_provider_list_calls": math.ceil((big.orders - big.missing) / TURKCELL_PAGE),
        }), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
