"""`sync-engine sandbox` serves every simulator under its prefix, with --faults and
--latency-ms applied, state in memory."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from sync_engine.devtools.devstack import DevStack, free_port
from tests.support.services import redis_url


def test_sandbox_command_serves_all_simulators_with_faults_and_latency(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stack = DevStack(tmp_path, url, "sqlite:///unused.db", redis_url(14))
    stack.prepare()
    stack.start_sandbox(port, "--faults", "sinapp:invoice_create:before_500:1:1", "--latency-ms", "150", "--seed", "3")
    try:
        rules = httpx.get(f"{url}/__faults", timeout=5).json()
        assert [(r["provider"], r["endpoint"], r["mode"], r["times"]) for r in rules] == [
            ("sinapp", "invoice_create", "before_500", 1)
        ]
        # every prefix answers (with its provider's own refusal: no credentials sent)
        for path in ("/turkcell/v1/currentaccounts", "/kolaybi/kolaybi/v1/associates",
                     "/faturaentegrator/api/customers", "/sinapp/api/v1/invoices.php?number=1&order=1",
                     "/shopify/demo-shop/admin/api/2024-10/orders.json", "/woocommerce/kolay-shop/wp-json/wc/v3/orders"):
            status = httpx.get(url + path, timeout=5, headers={"Accept": "application/json"}).status_code
            assert status in (400, 401, 403), (path, status)
        # the latency applies to simulated endpoints that pass auth and reach the guard
        started = time.perf_counter()
        httpx.get(f"{url}/shopify/demo-shop/admin/api/2024-10/orders.json", timeout=5,
                  headers={"X-Shopify-Access-Token": "shpat_demo_shop"})
        assert time.perf_counter() - started >= 0.15
        # refused requests changed nothing; the one authorised list call is in the ledger
        assert httpx.get(f"{url}/__ledger", timeout=5).json()["summary"] == {"shopify": {"list_call": 1}}
        # the example stores' shop credentials survive a reset (reconciliation pulls with them)
        httpx.post(f"{url}/__reset", timeout=5).raise_for_status()
        again = httpx.get(f"{url}/shopify/demo-shop/admin/api/2024-10/orders.json", timeout=5,
                          headers={"X-Shopify-Access-Token": "shpat_demo_shop"})
        assert again.status_code == 200
    finally:
        stack.stop_all()
