"""``sync-engine bench --baseline``: the engine measured against a bare stack, side by side in
one run, on the same Redis, PostgreSQL, provider stub, pool and concurrency (issue #17).

* pipeline — the engine's SinApp pipeline (a one-call provider; every safety on: lease,
  attempt rows, the intent claim before the create, the Redis rate budget) vs a bare Celery
  chain making the same number of provider calls, one task and one SQL UPDATE per call
  (``bench_bare``). Orders/s and CPU ms per order of the worker, Redis and the PostgreSQL
  backends, read from ``/proc`` (utime + stime).
* ingest — the engine's webhook endpoint (signature, raw event stored, job upserted, enqueue
  after commit) vs a bare FastAPI endpoint (HMAC + pydantic + one INSERT + ``apply_async``),
  the same signed Shopify deliveries at the same concurrency: req/s, p50/p99/max, web CPU.
* worker RSS sampled over the engine's pipeline run (growth from the first fifth to the end).
* reconciliation of N orders against the sandbox (``tests/benchmarks/bench_reconcile``, its
  own process: seeding 100,000 orders costs ~1.5 GB), when asked for.

Prints a table and ends with one line ``BENCH {json}``.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from sync_engine.devtools.bench import TempPostgres, bench_order, bench_redis_url
from sync_engine.devtools.devstack import DevStack, free_port, sandbox_secrets, wait_http

STORE = "sinapp-shop"  # WooCommerce → SinApp in stores.example.toml
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


class CpuMeter:
    """CPU seconds spent by named processes between ``start`` and ``stop``. PostgreSQL is the
    backends serving the bench database (one per pooled connection, they live as long as the
    pool); a backend that both started and ended inside the window is missed (rare: pools)."""

    def __init__(self, engine, redis_pid: int | None) -> None:  # noqa: ANN001
        self.engine = engine
        self.redis_pid = redis_pid
        self.pids: dict[str, int] = {}
        self.before: dict[str, float] = {}
        self.pg_before: dict[int, float] = {}
        self.pg_seen: dict[int, float] = {}  # newest CPU reading of every backend seen

    def _pg(self) -> dict[int, float]:
        with self.engine.connect() as c:
            pids = [r[0] for r in c.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"))]
        return {pid: cpu_s(pid) for pid in pids}

    def sample(self) -> None:
        """Read the backends now: one that closes before ``stop`` is still counted."""
        self.pg_seen.update(self._pg())

    def _xacts(self) -> tuple[int, int]:
        with self.engine.connect() as c:
            row = c.execute(text(
                "SELECT xact_commit + xact_rollback, sessions FROM pg_stat_database "
                "WHERE datname = current_database()")).one()
            return int(row[0]), int(row[1])

    def start(self, **pids: int) -> None:
        self.xacts_before = self._xacts()
        self.pg_seen = {}
        self.pids = dict(pids)
        if self.redis_pid:
            self.pids["redis"] = self.redis_pid
        self.before = {name: cpu_s(pid) for name, pid in self.pids.items()}
        self.pg_before = self._pg()

    def stop(self) -> dict[str, float]:
        out = {name: cpu_s(pid) - self.before[name] for name, pid in self.pids.items()}
        self.sample()
        out["postgres"] = sum(cpu - self.pg_before.get(pid, 0.0) for pid, cpu in self.pg_seen.items())
        return out

    def transactions(self) -> tuple[int, int]:
        """Transactions committed or rolled back in the bench database since ``start``. An
        idle backend reports its counters up to 10 s late (PGSTAT_IDLE_INTERVAL): call this
        after the processes went idle and that long after; the meter's own queries count too
        (a handful)."""
        time.sleep(11)
        xacts, sessions = self._xacts()
        return xacts - self.xacts_before[0], sessions - self.xacts_before[1]


@dataclass
class PipelineFigures:
    side: str
    orders: int
    completed: int
    seconds: float
    calls: int
    cpu: dict[str, float]
    transactions: int = 0
    sessions: int = 0  # PostgreSQL backends started (connections opened)
    rss: list[tuple[int, float]] = field(default_factory=list)  # (completed, MB)

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def cpu_ms(self, name: str) -> float:
        return 1000 * self.cpu.get(name, 0.0) / max(self.completed, 1)

    @property
    def rss_growth_pct(self) -> float | None:
        if len(self.rss) < 5:
            return None
        total = self.rss[-1][0] or 1
        early = [mb for done, mb in self.rss if done >= total / 5]
        return 100 * (self.rss[-1][1] - early[0]) / early[0] if early and early[0] else None


@dataclass
class IngestFigures:
    side: str
    requests: int
    accepted: int
    seconds: float
    latencies_ms: list[float]
    cpu: dict[str, float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def _stub_count(url: str) -> int:
    return int(httpx.get(f"{url}/__count", timeout=10).json()["total"])


def _redis_pid(redis_url: str) -> int | None:
    import redis as redis_lib

    try:
        return int(redis_lib.Redis.from_url(redis_url).info("server")["process_id"])
    except Exception:  # noqa: BLE001 - a remote Redis: its CPU is not ours to read
        return None


def _lift_rate_limit(stub_url: str) -> Callable[[str], str]:
    # The example stores allow 10 requests/s per account: the shared budget would be what we
    # measure. Lift it (the Lua budget still runs on every call) so the pipeline is.
    def transform(toml: str) -> str:
        toml = toml.replace("max_requests_per_s = 10", "max_requests_per_s = 100000")
        return re.sub(r'(base_url = "' + re.escape(stub_url) + r'/sinapp")', r"\1\nmax_requests_per_s = 100000", toml)
    return transform


def _wait_jobs(engine, sql: str, orders: int, timeout_s: float, sample=None) -> int:  # noqa: ANN001
    deadline = time.perf_counter() + timeout_s
    done = 0
    while time.perf_counter() < deadline:
        with engine.connect() as c:
            counts = dict(c.execute(text(sql)).all())
        done = counts.get("completed", 0)
        if sample:
            sample(done)
        if done + counts.get("needs_attention", 0) >= orders:
            break
        time.sleep(0.2)
    return done


def run_engine_pipeline(*, orders: int, pool: str, concurrency: int, workdir: Path, stub_url: str, db_url: str,
                        redis_url: str, timeout_s: float) -> PipelineFigures:
    import redis as redis_lib

    from sync_engine.devtools.bench import _load_jobs_for
    from sync_engine.store.db import make_engine, make_session_factory
    from workers.celery_app import make_celery

    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    redis_lib.Redis.from_url(redis_url).flushdb()
    stack = DevStack(workdir / "engine", stub_url, db_url, redis_url,
                     extra_env={"SYNC_LOG_LEVEL": "WARNING", "SYNC_LOG_FORMAT": "json"})
    stack.prepare(_lift_rate_limit(stub_url))
    rng = random.Random(42)
    ids = _load_jobs_for(sessions, [bench_order(rng, n, "e-", store_id=STORE, platform="woocommerce")
                                    for n in range(orders)], provider="sinapp")
    celery = make_celery(redis_url)
    worker = stack.start_worker("worker", concurrency=concurrency, pool=pool)
    time.sleep(4)  # let the worker connect before the clock starts
    meter = CpuMeter(engine, _redis_pid(redis_url))
    calls0 = _stub_count(stub_url)
    meter.start(worker=worker.pid)
    rss: list[tuple[int, float]] = []
    started = time.perf_counter()
    for job_id in ids:
        celery.send_task("sync_engine.run_job", (job_id,))
    done = _wait_jobs(engine, "SELECT status, count(*) FROM jobs GROUP BY status", orders, timeout_s,
                      sample=lambda d: (rss.append((d, rss_mb(worker.pid))), meter.sample()))
    elapsed = time.perf_counter() - started
    cpu = meter.stop()
    calls = _stub_count(stub_url) - calls0
    xacts, conns = meter.transactions()
    stack.stop_all()
    engine.dispose()
    return PipelineFigures("engine", orders, done, elapsed, calls, cpu, xacts, conns, rss)


def run_bare_pipeline(*, orders: int, calls_per_order: int, pool: str, concurrency: int, workdir: Path,
                      stub_url: str, db_url: str, redis_url: str, timeout_s: float) -> PipelineFigures:
    import redis as redis_lib

    from sync_engine.devtools.bench_bare import create_schema, make_celery
    from sync_engine.store.db import make_engine

    create_schema(db_url)
    engine = make_engine(db_url)
    with engine.begin() as c:
        c.execute(text("TRUNCATE bare_jobs RESTART IDENTITY"))
        ids = [r[0] for r in c.execute(text(
            "INSERT INTO bare_jobs (status) SELECT 'queued' FROM generate_series(1, :n) RETURNING id"), {"n": orders})]
    redis_lib.Redis.from_url(redis_url).flushdb()
    env = {**_bare_env(db_url, redis_url, stub_url)}
    log = open(workdir / "bare-worker.log", "ab")  # noqa: SIM115 - lives with the process
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sync_engine.devtools.bench_bare", "worker", "-P", pool, "-c", str(concurrency),
         "--loglevel", "WARNING", "--without-mingle", "--without-gossip", "-n", "bare@%h"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True)
    celery = make_celery(redis_url)
    time.sleep(4)
    meter = CpuMeter(engine, _redis_pid(redis_url))
    calls0 = _stub_count(stub_url)
    meter.start(worker=worker.pid)
    started = time.perf_counter()
    for job_id in ids:
        celery.send_task("bare.step", (job_id, calls_per_order, "/bare/step"))
    done = _wait_jobs(engine, "SELECT status, count(*) FROM bare_jobs GROUP BY status", orders, timeout_s,
                      sample=lambda _d: meter.sample())
    elapsed = time.perf_counter() - started
    cpu = meter.stop()
    calls = _stub_count(stub_url) - calls0
    xacts, conns = meter.transactions()
    _stop(worker)
    engine.dispose()
    return PipelineFigures("bare", orders, done, elapsed, calls, cpu, xacts, conns)


def _bare_env(db_url: str, redis_url: str, stub_url: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SYNC_")}, "BARE_DATABASE_URL": db_url,
            "BARE_REDIS_URL": redis_url, "BARE_STUB_URL": stub_url, "PYTHONUNBUFFERED": "1",
            "BARE_WEBHOOK_SECRET": sandbox_secrets()["DEMO_SHOP_WEBHOOK_SECRET"]}


def _stop(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def _deliveries(n: int, seed: int) -> list[tuple[dict[str, str], bytes]]:
    from sync_engine.devtools.orders import shopify_order
    from sync_engine.devtools.webhooks import build_shopify

    secret = sandbox_secrets()["DEMO_SHOP_WEBHOOK_SECRET"]
    rng = random.Random(seed)
    return [build_shopify(shopify_order(rng, n=seed * 5000 + i + 1, kind="person"), secret=secret,
                          topic="orders/paid", event_id=str(uuid.uuid4()), shop_domain="demo-shop.myshopify.com",
                          api_version="2024-10", triggered_at=datetime.now(UTC)) for i in range(n)]


def _blast(url: str, deliveries: list[tuple[dict[str, str], bytes]], concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:
        def send(item: tuple[dict[str, str], bytes]) -> int:
            headers, body = item
            t0 = time.perf_counter()
            code = client.post(url, content=body, headers=headers).status_code
            latencies.append(1000 * (time.perf_counter() - t0))
            return code
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            codes = list(pool.map(send, deliveries))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, sum(1 for c in codes if c == 202)


def run_ingest(side: str, *, requests: int, concurrency: int, workdir: Path, db_url: str, redis_url: str,
               seed: int) -> IngestFigures:
    from sync_engine.store.db import make_engine

    deliveries = _deliveries(requests, seed)
    warmup = _deliveries(50, seed + 10)
    port = free_port()
    engine = make_engine(db_url)
    if side == "engine":
        stack = DevStack(workdir / "ingest", "http://127.0.0.1:1", db_url, redis_url, extra_env={"SYNC_LOG_LEVEL": "WARNING"})
        stack.prepare()
        proc = stack.start_web(port)
        stop = stack.stop_all
    else:
        log = open(workdir / "bare-web.log", "ab")  # noqa: SIM115 - lives with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "sync_engine.devtools.bench_bare:create_web", "--port", str(port),
             "--log-level", "warning", "--no-access-log"],
            env=_bare_env(db_url, redis_url, "http://127.0.0.1:1"), stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
            start_new_session=True)
        wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        stop = lambda: _stop(proc)  # noqa: E731
    url = f"http://127.0.0.1:{port}/webhooks/shopify/demo-shop"
    try:
        _blast(url, warmup, min(concurrency, 10))  # connections and first-request imports
        meter = CpuMeter(engine, _redis_pid(redis_url))
        meter.start(web=proc.pid)
        elapsed, latencies, accepted = _blast(url, deliveries, concurrency)
        cpu = meter.stop()
    finally:
        stop()
        engine.dispose()
    return IngestFigures(side, requests, accepted, elapsed, latencies, cpu)


def run_reconcile(orders: int) -> dict | None:
    argv = [sys.executable, "-m", "tests.benchmarks.bench_reconcile", "--orders", str(orders),
            "--baseline", str(max(orders // 10, 1000)), "--db", "postgres", "--json"]
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(argv, cwd=repo, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RECONCILE "):
            return json.loads(line.split(" ", 1)[1])
    sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
    return None


def _quiet_http_logs() -> None:
    import logging

    # httpx logs every request at INFO: thousands of lines from the load generator itself.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_baseline(*, orders: int = 2000, latency_ms: int = 50, pool: str = "threads", concurrency: int = 50,
                 ingest_requests: int = 3000, ingest_concurrency: int = 50, reconcile_orders: int = 0,
                 workdir: Path = Path("var/bench"), timeout_s: float = 600, console: Console | None = None) -> dict:
    from sync_engine.store.db import upgrade

    console = console or Console()
    _quiet_http_logs()
    redis_url = bench_redis_url()
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    stub_port = free_port()
    stub_url = f"http://127.0.0.1:{stub_port}"
    stub_log = open(workdir / "stub.log", "ab")  # noqa: SIM115
    stub = subprocess.Popen([sys.executable, "-m", "sync_engine.devtools.bench_stub", "--port", str(stub_port),
                             "--latency-ms", str(latency_ms)], stdout=stub_log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    wait_http(f"{stub_url}/__count", stub)
    label = f"{pool} -c {concurrency}"
    console.print(f"[bold]engine vs bare stack[/bold]: {orders} orders, SinApp (one call per order), "
                  f"{latency_ms} ms stub latency, one worker process {label}; load average {load[0]:.2f}")
    try:
        with TempPostgres() as db_url:
            upgrade(db_url)
            eng = run_engine_pipeline(orders=orders, pool=pool, concurrency=concurrency, workdir=workdir,
                                      stub_url=stub_url, db_url=db_url, redis_url=redis_url, timeout_s=timeout_s)
            per_order = max(1, round(eng.calls / max(eng.completed, 1)))
            bare = run_bare_pipeline(orders=orders, calls_per_order=per_order, pool=pool, concurrency=concurrency,
                                     workdir=workdir, stub_url=stub_url, db_url=db_url, redis_url=redis_url,
                                     timeout_s=timeout_s)
            ing_e = run_ingest("engine", requests=ingest_requests, concurrency=ingest_concurrency, workdir=workdir,
                               db_url=db_url, redis_url=redis_url, seed=1)
            ing_b = run_ingest("bare", requests=ingest_requests, concurrency=ingest_concurrency, workdir=workdir,
                               db_url=db_url, redis_url=redis_url, seed=2)
    finally:
        _stop(stub)
    rec = run_reconcile(reconcile_orders) if reconcile_orders else None
    result = _report(console, eng, bare, ing_e, ing_b, rec, latency_ms, label, load, ingest_concurrency)
    return result


def print_bench_line(result: dict) -> None:
    # print(), not the rich console: one physical line whatever the terminal width.
    print("BENCH " + json.dumps(result, sort_keys=False), flush=True)


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def _report(console: Console, eng: PipelineFigures, bare: PipelineFigures, ing_e: IngestFigures,
            ing_b: IngestFigures, rec: dict | None, latency_ms: int, label: str, load: tuple,
            ing_concurrency: int) -> dict:
    t = Table(title=f"pipeline: engine vs bare Celery chain ({label}, {latency_ms} ms stub latency)")
    for col in ("", "engine", "bare", "engine / bare"):
        t.add_column(col, justify="right")
    def row(name: str, a: float, b: float, fmt: str = "{:.1f}") -> None:
        t.add_row(name, fmt.format(a), fmt.format(b), f"{a / b:.2f}" if b else "-")
    row("orders completed", eng.completed, bare.completed, "{:.0f}")
    row("provider calls / order", eng.calls / max(eng.completed, 1), bare.calls / max(bare.completed, 1), "{:.2f}")
    row("orders/s", eng.rate, bare.rate)
    row("SQL transactions / order", eng.transactions / max(eng.completed, 1), bare.transactions / max(bare.completed, 1), "{:.1f}")
    row("PostgreSQL connections opened", eng.sessions, bare.sessions, "{:.0f}")
    for name in ("worker", "redis", "postgres"):
        row(f"CPU ms / order, {name}", eng.cpu_ms(name), bare.cpu_ms(name), "{:.2f}")
    total_e = sum(eng.cpu_ms(n) for n in ("worker", "redis", "postgres"))
    total_b = sum(bare.cpu_ms(n) for n in ("worker", "redis", "postgres"))
    row("CPU ms / order, all", total_e, total_b, "{:.2f}")
    console.print(t)
    t2 = Table(title=f"webhook ingest: engine vs bare FastAPI ({ing_e.requests} signed Shopify deliveries, "
                     f"{ing_concurrency} concurrent clients, one uvicorn process)")
    for col in ("", "engine", "bare", "engine / bare"):
        t2.add_column(col, justify="right")
    def row2(name: str, a: float, b: float, fmt: str = "{:.1f}") -> None:
        t2.add_row(name, fmt.format(a), fmt.format(b), f"{a / b:.2f}" if b else "-")
    row2("accepted (202)", ing_e.accepted, ing_b.accepted, "{:.0f}")
    row2("req/s", ing_e.rate, ing_b.rate)
    for p in (50, 99):
        row2(f"p{p} ms", ing_e.pct(p), ing_b.pct(p))
    row2("max ms", max(ing_e.latencies_ms), max(ing_b.latencies_ms))
    for name in ("web", "redis", "postgres"):
        row2(f"CPU ms / request, {name}", 1000 * ing_e.cpu[name] / ing_e.requests,
             1000 * ing_b.cpu[name] / ing_b.requests, "{:.2f}")
    console.print(t2)
    growth = eng.rss_growth_pct
    if eng.rss:
        console.print(f"engine worker RSS over {eng.completed} orders: {eng.rss[0][1]:.0f} MB at start, "
                      f"{eng.rss[-1][1]:.0f} MB at the end ({growth if growth is not None else float('nan'):+.1f} % "
                      "from the first fifth of the run)")
    if rec:
        console.print(f"reconciliation of {rec['orders']:,} orders: {rec['wall_s']:.1f} s, {rec['shop_calls']} shop "
                      f"list calls (⌈N/250⌉ = {rec['expected_shop_calls']}), {rec['provider_list_calls']} provider list "
                      f"calls (⌈invoices/500⌉ = {rec['expected_provider_list_calls']}), {rec['provider_calls']} provider calls")
    return {
        "pool": label, "latency_ms": latency_ms, "orders": eng.orders, "load_avg_1m": round(load[0], 2),
        "pipeline_engine_orders_s": round(eng.rate, 1), "pipeline_bare_orders_s": round(bare.rate, 1),
        "pipeline_ratio": _ratio(eng.rate, bare.rate),
        "pipeline_cpu_ms_engine": round(eng.cpu_ms("worker"), 2), "pipeline_cpu_ms_bare": round(bare.cpu_ms("worker"), 2),
        "pipeline_cpu_ratio": _ratio(eng.cpu_ms("worker"), bare.cpu_ms("worker")),
        "pipeline_cpu_all_ratio": _ratio(total_e, total_b),
        "pipeline_pg_cpu_ratio": _ratio(eng.cpu_ms("postgres"), bare.cpu_ms("postgres")),
        "calls_per_order": round(eng.calls / max(eng.completed, 1), 2),
        "pipeline_tx_per_order_engine": round(eng.transactions / max(eng.completed, 1), 1),
        "pipeline_tx_per_order_bare": round(bare.transactions / max(bare.completed, 1), 1),
        "pipeline_pg_connections_engine": eng.sessions, "pipeline_pg_connections_bare": bare.sessions,
        "ingest_engine_rps": round(ing_e.rate, 1), "ingest_bare_rps": round(ing_b.rate, 1),
        "ingest_ratio": _ratio(ing_e.rate, ing_b.rate),
        "ingest_p99_ms": round(ing_e.pct(99), 1), "ingest_bare_p99_ms": round(ing_b.pct(99), 1),
        "ingest_p99_ratio": _ratio(ing_e.pct(99), ing_b.pct(99)),
        "ingest_cpu_ratio": _ratio(ing_e.cpu["web"], ing_b.cpu["web"]),
        "reconcile_orders": rec["orders"] if rec else None,
        "reconcile_100k_s": rec["wall_s"] if rec and rec["orders"] >= 100_000 else None,
        "reconcile_s": rec["wall_s"] if rec else None,
        "rss_orders": eng.completed,
        "rss_growth_pct": round(growth, 1) if growth is not None else None,
    }
