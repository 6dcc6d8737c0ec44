"""Reconciliation finds orders edited after their invoice (#12 items 4–5), against the
sandbox over HTTP with real workers, real Redis and the state table on SQLite and
PostgreSQL: the merchant edits an invoiced order in the Shopify admin and the edit webhook
never arrives. Without the opt-in the run flags the sale job with the difference; with
``reissue_on_edit`` it returns the invoice in full and invoices the edited order anew. A dry
run first changes nothing; a second run changes nothing."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sync_engine.domain.keys import reissue_key, return_key
from sync_engine.reconcile.findings import Category
from sync_engine.devtools.orders import TR_TZ, shopify_order
from tests.integration.test_reconcile import RECONCILE_REDIS_URL, Harness, _fast_budgets, categories
from tests.support import stack as stack_module
from tests.support.stack import live_stack

pytestmark = pytest.mark.slow

STORE = "demo-shop"
# Kept by an edit in the admin: the order's identity, its buyer and its date.
_KEPT = ("id", "name", "order_number", "customer", "billing_address", "shipping_address", "note_attributes",
         "email", "created_at", "processed_at", "updated_at")


@contextmanager
def edits_harness(db_url: str, tmp_path: Path, *, reissue: bool) -> Iterator[Harness]:
    def transform(text: str) -> str:
        text = _fast_budgets(text)
        # The example stores file carries the opt-in, commented out, for demo-shop.
        return text.replace("# reissue_on_edit = true", "reissue_on_edit = true", 1) if reissue else text

    default_url = stack_module.TEST_REDIS_URL
    stack_module.TEST_REDIS_URL = RECONCILE_REDIS_URL
    try:
        with live_stack(db_url, tmp_path, transform=transform) as stack:
            h = Harness(stack)
            try:
                assert h.stores[STORE].invoice.reissue_on_edit is reissue
                yield h
            finally:
                h.close()
    finally:
        stack_module.TEST_REDIS_URL = default_url


def invoiced_orders(h: Harness) -> list[dict[str, Any]]:
    payloads = [h.add_order(STORE) for _ in range(3)]
    for payload in payloads:
        h.deliver(STORE, payload)
    settled = h.wait_settled([STORE])
    assert all(j.status == "completed" for j in settled), [(j.id, j.last_error_message) for j in settled]
    return payloads


def edit_at_the_shop(h: Harness, payload: dict[str, Any]) -> dict[str, Any]:
    """Later that day the merchant changes the order's lines (and so its total)."""
    other = shopify_order(random.Random(4711), n=90, kind="person", shop_domain=f"{STORE}.myshopify.com")
    changes = {k: v for k, v in other.items() if k not in _KEPT}
    clock = h.sandbox.state.clock
    shift = (datetime.combine(h.day, time(18, 0), TR_TZ) - clock.now()).total_seconds()
    clock.advance(shift)
    try:
        edited = h.sandbox["shopify"].update_order(STORE, payload["id"], changes)
    finally:
        clock.advance(-shift)
    assert edited["total_price"] != payload["total_price"]
    return edited


def unchanged_but_runs(h: Harness, before: dict[str, Any]) -> bool:
    return {k: v for k, v in h.snapshot().items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}


def test_an_edit_whose_webhook_never_came_is_flagged_with_the_difference(db_url: str, tmp_path: Path) -> None:
    with edits_harness(db_url, tmp_path, reissue=False) as h:
        payloads = invoiced_orders(h)
        edit_at_the_shop(h, payloads[0])

        before = h.snapshot()
        dry = h.reconcile(STORE, dry_run=True)
        assert categories(dry) == {"amount_changed_after_invoice": 1}, dry.as_json()
        assert [i["action"] for i in dry.as_json()["items"]] == ["would_flag"] and h.snapshot() == before

        report = h.reconcile(STORE)
        assert categories(report) == {"amount_changed_after_invoice": 1}, report.as_json()
        (finding,) = report.findings
        assert finding.category is Category.AMOUNT_CHANGED_AFTER_INVOICE and finding.action.value == "flagged"
        difference = finding.evidence["difference"]
        assert difference.startswith("total ") and " TRY (" in difference and finding.evidence["ingest_status"] == "needs_attention"
        sale = next(j for j in h.jobs(STORE) if j.order_id == str(payloads[0]["id"]))
        assert finding.job_id == sale.id and sale.status == "completed"
        assert sale.edited_at is not None and sale.edit_note == difference
        assert [j.kind for j in h.jobs(STORE)] == ["sale"] * 3  # flagged only: no return, no new invoice

        # The next run finds the same difference already flagged and changes nothing.
        before = h.snapshot()
        again = h.reconcile(STORE)
        assert categories(again) == {"amount_changed_after_invoice": 1}
        assert [f.action.value for f in again.findings] == ["already_flagged"] and again.repairs == 0
        assert unchanged_but_runs(h, before)


def test_with_the_opt_in_an_edit_found_by_reconciliation_is_returned_and_reissued_once(
    db_url: str, tmp_path: Path
) -> None:
    with edits_harness(db_url, tmp_path, reissue=True) as h:
        payloads = invoiced_orders(h)
        order_id = str(payloads[0]["id"])
        edited = edit_at_the_shop(h, payloads[0])

        before = h.snapshot()
        dry = h.reconcile(STORE, dry_run=True)
        assert categories(dry) == {"amount_changed_after_invoice": 1}, dry.as_json()
        assert [i["action"] for i in dry.as_json()["items"]] == ["would_reissue"] and h.snapshot() == before

        report = h.reconcile(STORE)
        (finding,) = report.findings
        assert finding.action.value == "reissued" and finding.evidence["ingest_status"] == "accepted", finding
        jobs = [j for j in h.jobs(STORE) if j.order_id == order_id]
        assert [j.kind for j in jobs] == ["sale", "return", "sale"]
        sale, returned, reissued = jobs
        assert returned.idempotency_key == return_key(STORE, order_id, "edit-1")
        assert reissued.idempotency_key == reissue_key(STORE, order_id, 1)
        # The return is the whole first invoice; the new sale is what the buyer pays now.
        assert json.loads(returned.order_json or "{}")["paid_total"] == json.loads(sale.order_json or "{}")["paid_total"]
        assert Decimal(json.loads(reissued.order_json or "{}")["paid_total"]) == Decimal(str(edited["total_price"]))
        assert reissued.status == "queued" and f"job {returned.id}" in (sale.edit_note or "")
        assert returned.id in h.enqueued and reissued.id not in h.enqueued
        # The pipeline makes the return at Turkcell once: an İade e-Arşiv of the whole invoice.
        (returned,) = h.stack.wait([returned.id], timeout_s=120)
        assert returned.status == "completed", (returned.attention_category, returned.last_error_message)
        assert h.sandbox.ledger.count("turkcell", "return_invoice_created") == 1

        # The next run: the live sale is the new one and matches the shop; nothing new.
        again = h.reconcile(STORE)
        assert again.repairs == 0, again.as_json()
        assert not [f for f in again.findings if f.category is Category.AMOUNT_CHANGED_AFTER_INVOICE], again.as_json()
        assert [j.id for j in h.jobs(STORE) if j.order_id == order_id] == [sale.id, returned.id, reissued.id]
        assert h.sandbox.ledger.count("turkcell", "return_invoice_created") == 1
