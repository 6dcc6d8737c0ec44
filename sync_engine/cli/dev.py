"""The dev commands: `sync-engine sandbox`, `demo` and `bench`. They run the simulators and the
dev tools (``sync_engine.sandbox``, ``sync_engine.devtools``), which the product never imports:
the imports are inside the command bodies (an import-linter contract allows them here only),
so the production commands load none of it, and the image, which leaves both out, still starts."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from sync_engine.cli.common import console


def sandbox(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8900,
    faults: Annotated[
        Optional[list[str]],
        typer.Option("--faults", help="provider:endpoint:mode[:probability[:times]], repeatable; "
                     "modes before_500, after_504, after_stall, rate_429, latency."),
    ] = None,
    latency_ms: Annotated[int, typer.Option(help="Latency added to every simulated call.")] = 0,
    seed: Annotated[int, typer.Option(help="Seed for reproducible fault injection.")] = 0,
    gib_step_s: Annotated[float, typer.Option(help="Seconds between GİB status steps (queued → at GİB → approved).")] = 30.0,
) -> None:
    """Serve the provider and shop simulators (state in memory)."""
    import uvicorn

    from sync_engine.sandbox.app import Sandbox
    from sync_engine.sandbox.core import FaultRule

    from sync_engine.sandbox.credentials import configure_sandbox

    sb = Sandbox(seed=seed, configure=configure_sandbox)
    sb.state.faults.base_latency_ms = latency_ms
    sb.state.status_step_s = gib_step_s
    for spec in faults or []:
        sb.state.faults.add(FaultRule.parse(spec))
    console.print(f"sandbox on http://{host}:{port} — simulators: {', '.join(sb.simulators)}")
    uvicorn.run(sb.build_app(), host=host, port=port, log_level="warning")


def demo(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every job to finish.")] = 180.0,
    sandbox_port: Annotated[int, typer.Option(help="Sandbox port (a free one if taken).")] = 8900,
    web_port: Annotated[int, typer.Option(help="Web port (a free one if taken).")] = 8000,
    redis_url: Annotated[str, typer.Option(
        envvar="SYNC_REDIS_URL",
        help="Redis for the demo (its own database number; flushed). If none answers there, or "
             "with `embedded`, the demo starts an embedded Redis (the demo extra) and stops it at the end.",
    )] = "redis://127.0.0.1:6379/9",
) -> None:
    """Run the whole product against the sandbox: signed webhooks in, invoices at GİB out."""
    from sync_engine.devtools.demo import run_demo

    result = run_demo(timeout_s=timeout, sandbox_port=sandbox_port, web_port=web_port, redis_url=redis_url, console=console)
    raise typer.Exit(0 if result.ok else 1)


def bench(
    orders: Annotated[int, typer.Option(help="Orders per worker-pool configuration.")] = 300,
    latency_ms: Annotated[int, typer.Option(help="Latency the sandbox adds to every provider call.")] = 50,
    pools: Annotated[Optional[list[str]], typer.Option("--pool", help="pool:concurrency, repeatable (first is the baseline).")] = None,
    ingest_requests: Annotated[int, typer.Option(help="Webhook deliveries for the ingest figure (0 to skip).")] = 2000,
    baseline: Annotated[bool, typer.Option("--baseline", help="The engine vs a bare Celery/FastAPI stack on a provider stub, then the sandbox pools; ends with a BENCH {json} line.")] = False,
    baseline_orders: Annotated[int, typer.Option(help="Orders on each side of the baseline pipeline.")] = 2000,
    reconcile_orders: Annotated[int, typer.Option(help="Orders for the reconciliation figure with --baseline (0 to skip).")] = 100_000,
) -> None:
    """Measure throughput on the real stack: worker pools (orders/s) and webhook ingest (req/s)."""
    from sync_engine.devtools.bench import DEFAULT_POOLS, PoolConfig, run_bench, run_ingest_bench

    if baseline:
        from sync_engine.devtools.bench_baseline import print_bench_line, run_baseline

        result = run_baseline(orders=baseline_orders, latency_ms=latency_ms, reconcile_orders=reconcile_orders,
                              console=console)
        # The full sandbox stays as a second table (its own CPU shares the machine).
        run_bench(orders=orders, latency_ms=latency_ms, pools=(PoolConfig("threads", 50),), console=console)
        print_bench_line(result)
        return

    configs = tuple(PoolConfig(p.split(":")[0], int(p.split(":")[1])) for p in pools) if pools else DEFAULT_POOLS
    run_bench(orders=orders, latency_ms=latency_ms, pools=configs, console=console)
    if ingest_requests:
        run_ingest_bench(requests=ingest_requests, console=console)
