"""End to end at the KolayBi shop (issue 13): a WooCommerce order awaiting a bank transfer
(on-hold, BACS) → signed webhook → web → worker → one proforma at KolayBi (seed 003), nothing
at GİB; the transfer arrives (processing) → the sale invoice → GİB once. The stores file is
``stores.example.toml``, where kolay-shop sets ``proforma_for_pending = true``."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.console import Console

from sync_engine.devtools.demo import TRANSFER_STORE, post_transfer_order, post_transfer_paid
from sync_engine.devtools.devstack import free_port
from sync_engine.store.repositories import JobRepository
from tests.support.stack import LiveStack, live_stack

pytestmark = pytest.mark.slow


def _jobs(stack: LiveStack) -> list:
    with stack.sessions() as session:
        jobs, _ = JobRepository(session).list(limit=100)
    return jobs


def _wait_for(stack: LiveStack, kind: str, timeout_s: float = 90) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [j for j in _jobs(stack) if j.kind == kind]
        if found and found[0].status in ("completed", "needs_attention"):
            return found[0]
        time.sleep(0.3)
    raise AssertionError(f"no settled {kind} job: {[(j.kind, j.status, j.last_error_message) for j in _jobs(stack)]}")


def test_pending_order_gets_one_proforma_then_paid_one_invoice_and_one_gib_send(
    db_url: str, tmp_path: Path
) -> None:
    console = Console(file=io.StringIO())
    with live_stack(db_url, tmp_path) as stack:
        assert stack.dev.proforma_store(TRANSFER_STORE)
        port = free_port()
        stack.dev.start_web(port)
        web = f"http://127.0.0.1:{port}"
        ledger = stack.sandbox.ledger

        order_id = post_transfer_order(web, console)
        proforma = _wait_for(stack, "proforma")
        assert proforma.status == "completed", proforma.last_error_message
        assert proforma.store_id == TRANSFER_STORE and proforma.order_id == order_id
        made = ledger.effects("kolaybi", "proforma_created")
        assert [e.key for e in made] == ["#2001"]  # numbered by the order name
        assert proforma.invoice_id == str(made[0].detail["proforma_id"])
        assert (ledger.count("kolaybi", "invoice_created"), ledger.count("kolaybi", "gib_send")) == (0, 0)
        assert [j.kind for j in _jobs(stack)] == ["proforma"]

        post_transfer_paid(web, order_id, console)
        sale = _wait_for(stack, "sale", timeout_s=120)
        assert sale.status == "completed", sale.last_error_message
        assert sale.order_id == order_id and sale.gib_uuid and sale.invoice_number
        assert ledger.count("kolaybi", "proforma_created") == 1
        assert ledger.count("kolaybi", "invoice_created") == 1
        assert ledger.per_key("kolaybi", "gib_send") == {sale.invoice_id: 1}
        assert sorted(j.kind for j in _jobs(stack)) == ["proforma", "sale"]
        assert stack.sandbox.state.violations.list("kolaybi") == []
