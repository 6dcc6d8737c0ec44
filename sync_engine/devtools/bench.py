"""``sync-engine bench``: throughput of the real stack, to choose the worker pool by
measurement (DESIGN §8) and to track regressions.

Each run starts the sandbox (with provider latency) and one worker process with the pool
under test, loads N orders as queued jobs in PostgreSQL, enqueues them all and times them to
completion. Figures are printed with their ratio to the first configuration (the baseline,
measured in the same run). A second figure is webhook ingest: signed Shopify deliveries per
second through the web process (HMAC, normalise, one transaction, enqueue).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from sync_engine.devtools.devstack import DevStack, free_port, sandbox_secrets
from sync_engine.domain import Address, Buyer, BuyerKind, InvoiceLine, LineKind, Order
from sync_engine.domain.keys import sale_key

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def bench_redis_url() -> str:
    """SYNC_BENCH_REDIS_URL, else SYNC_REDIS_URL, else db 11 of the local Redis: the bench
    flushes it between runs, so it must not be a Redis anything else relies on."""
    return os.environ.get("SYNC_BENCH_REDIS_URL") or os.environ.get("SYNC_REDIS_URL") or "redis://127.0.0.1:6379/11"


@dataclass(frozen=True)
class PoolConfig:
    pool: str
    concurrency: int

    @property
    def label(self) -> str:
        return f"{self.pool} -c {self.concurrency}"


DEFAULT_POOLS = (PoolConfig("prefork", 4), PoolConfig("threads", 16), PoolConfig("threads", 50), PoolConfig("gevent", 50))


@dataclass
class PoolResult:
    config: PoolConfig
    orders: int
    seconds: float
    completed: int

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


def bench_order(rng: random.Random, n: int, tag: str = "b", *, store_id: str = "demo-shop",
                platform: str = "shopify") -> Order:
    from sync_engine.devtools.orders import generate_tckn

    buyer = Buyer(
        kind=BuyerKind.PERSON, tax_id=generate_tckn(rng), first_name="Bench", last_name=f"Alıcı{n}",
        email=f"bench{n}@example.com", phone=f"+90555{n % 10_000_000:07d}", address=Address(line1="Test Sok. 1", district="Kadıköy", city="İstanbul"),
    )
    lines = (
        InvoiceLine(sku="SKU-1", name="Ürün", quantity=Decimal(2), unit_price=Decimal("120.00"), vat_rate=Decimal(20)),
        InvoiceLine(sku="SKU-2", name="Kitap", quantity=Decimal(1), unit_price=Decimal("55.50"), vat_rate=Decimal(10)),
        InvoiceLine(name="Kargo", quantity=Decimal(1), unit_price=Decimal("29.90"), vat_rate=Decimal(20), kind=LineKind.SHIPPING),
    )
    return Order(
        store_id=store_id, platform=platform, order_id=f"{tag}{n}", order_name=f"#{tag.upper()}{n}",
        created_at=datetime.now(UTC), buyer=buyer, lines=lines, paid_total=Decimal("325.40"),
    )


class TempPostgres:
    def __init__(self) -> None:
        self.name = f"sync_bench_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")

    def __enter__(self) -> str:
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        return PG_ADMIN.rsplit("/", 1)[0] + f"/{self.name}"

    def __exit__(self, *exc: object) -> None:
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def _load_jobs(sessions, orders: list[Order]) -> list[int]:  # noqa: ANN001
    return _load_jobs_for(sessions, orders, provider="turkcell_esirket")


def _load_jobs_for(sessions, orders: list[Order], *, provider: str) -> list[int]:  # noqa: ANN001
    from sync_engine.store.repositories import JobRepository

    ids = []
    with sessions() as session:
        repo = JobRepository(session)
        for order in orders:
            job, _ = repo.create_if_absent(
                sale_key(order.store_id, order.order_id), store_id=order.store_id, platform=order.platform,
                order_id=order.order_id, order_name=order.order_name, provider=provider,
                provider_account="bench", status="queued", order_json=order.model_dump_json(),
                next_attempt_at=datetime.now(UTC),
            )
            ids.append(job.id)
        session.commit()
    return ids


def run_pool(config: PoolConfig, *, orders: int, workdir: Path, sandbox_url: str, db_url: str,
             redis_url: str, console: Console, timeout_s: float) -> PoolResult:
    import redis as redis_lib

    from sync_engine.store.db import make_engine, make_session_factory, upgrade
    from workers.celery_app import make_celery

    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.begin() as c:
        c.execute(text("TRUNCATE attempts, inbound_events, jobs, buyer_mappings RESTART IDENTITY CASCADE"))
    sessions = make_session_factory(engine)
    redis_lib.Redis.from_url(redis_url).flushdb()
    stack = DevStack(workdir / config.label.replace(" ", ""), sandbox_url, db_url, redis_url,
                     extra_env={"SYNC_LOG_LEVEL": "WARNING", "SYNC_LOG_FORMAT": "json"})
    # The example store allows 10 requests/s: the shared rate budget would be what we
    # measure. Lift it so the pool is.
    stack.prepare(lambda text: text.replace("max_requests_per_s = 10", "max_requests_per_s = 100000"))
    # A fresh provider for each configuration, and order ids of its own.
    import httpx

    httpx.post(f"{sandbox_url}/__reset", timeout=10).raise_for_status()
    rng = random.Random(42)
    tag = config.pool[0] + str(config.concurrency) + "-"
    ids = _load_jobs(sessions, [bench_order(rng, n, tag) for n in range(orders)])
    celery = make_celery(redis_url)
    stack.start_worker("worker", concurrency=config.concurrency, pool=config.pool)
    time.sleep(3)  # let the worker connect before the clock starts
    started = time.perf_counter()
    for job_id in ids:
        celery.send_task("sync_engine.run_job", (job_id,))
    completed = 0
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        with engine.connect() as c:
            counts = dict(c.execute(text("SELECT status, count(*) FROM jobs GROUP BY status")).all())
        completed = counts.get("completed", 0)
        if completed + counts.get("needs_attention", 0) >= orders:
            break
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    stack.stop_all()
    engine.dispose()
    return PoolResult(config, orders, elapsed, completed)


def run_bench(*, orders: int = 300, latency_ms: int = 50, pools: tuple[PoolConfig, ...] = DEFAULT_POOLS,
              workdir: Path = Path("var/bench"), timeout_s: float = 300, console: Console | None = None) -> list[PoolResult]:
    console = console or Console()
    redis_url = bench_redis_url()
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[PoolResult] = []
    with TempPostgres() as db_url:
        sandbox = DevStack(workdir / "sandbox", sandbox_url, db_url, redis_url)
        sandbox.prepare()
        sandbox.start_sandbox(sandbox_port, "--latency-ms", str(latency_ms), "--gib-step-s", "1")
        try:
            console.print(f"[bold]worker pools[/bold]: {orders} orders, Turkcell (4 steps, ~8 calls), "
                          f"{latency_ms} ms provider latency, PostgreSQL state, one worker process")
            for config in pools:
                result = run_pool(config, orders=orders, workdir=workdir, sandbox_url=sandbox_url,
                                  db_url=db_url, redis_url=redis_url, console=console, timeout_s=timeout_s)
                console.print(f"  {config.label:<16} {result.completed}/{orders} in {result.seconds:6.1f} s = {result.rate:6.1f} orders/s")
                results.append(result)
        finally:
            sandbox.stop_all()
    table = Table(title=f"worker pool throughput ({latency_ms} ms provider latency)")
    for col in ("pool", "orders", "seconds", "orders/s", "× baseline"):
        table.add_column(col, justify="right")
    base = results[0].rate or 1.0
    for r in results:
        table.add_row(r.config.label, f"{r.completed}/{r.orders}", f"{r.seconds:.1f}", f"{r.rate:.1f}", f"{r.rate / base:.2f}")
    console.print(table)
    return results


def run_ingest_bench(*, requests: int = 2000, concurrency: int = 16, workdir: Path = Path("var/bench"),
                     console: Console | None = None) -> float:
    """Signed Shopify webhooks per second through one web process (PostgreSQL, Redis)."""
    import httpx

    from sync_engine.devtools.orders import shopify_order
    from sync_engine.devtools.webhooks import build_shopify
    from sync_engine.store.db import upgrade

    console = console or Console()
    redis_url = bench_redis_url()
    port = free_port()
    secret = sandbox_secrets()["DEMO_SHOP_WEBHOOK_SECRET"]
    rng = random.Random(7)
    deliveries = []
    for n in range(requests):
        payload = shopify_order(rng, n=n + 1, kind="person")
        deliveries.append(build_shopify(payload, secret=secret, topic="orders/paid", event_id=str(uuid.uuid4()),
                                        shop_domain="demo-shop.myshopify.com", api_version="2024-10",
                                        triggered_at=datetime.now(UTC)))
    with TempPostgres() as db_url:
        upgrade(db_url)
        stack = DevStack(workdir / "ingest", "http://127.0.0.1:1", db_url, redis_url,
                         extra_env={"SYNC_LOG_LEVEL": "WARNING"})
        stack.prepare()
        stack.start_web(port)
        url = f"http://127.0.0.1:{port}/webhooks/shopify/demo-shop"
        try:
            with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:
                def send(item: tuple[dict[str, str], bytes]) -> int:
                    headers, body = item
                    return client.post(url, content=body, headers=headers).status_code
                started = time.perf_counter()
                with ThreadPoolExecutor(concurrency) as pool:
                    codes = list(pool.map(send, deliveries))
                elapsed = time.perf_counter() - started
        finally:
            stack.stop_all()
    rate = requests / elapsed
    accepted = sum(1 for c in codes if c == 202)
    console.print(f"[bold]webhook ingest[/bold]: {requests} signed Shopify deliveries, {concurrency} concurrent "
                  f"clients, one uvicorn process: {accepted} × 202 in {elapsed:.1f} s = {rate:.0f} req/s")
    return rate
