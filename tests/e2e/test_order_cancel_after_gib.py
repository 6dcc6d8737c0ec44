"""#12 on the live stack: an order cancelled at the shop after its e-Arşiv went to GİB.
Real worker processes, the simulators over HTTP: KolayBi's e-Arşiv is cancelled at GİB once
and the cancel job completes; Turkcell's is cancelled once it reaches status 60, then the job
reverses its journal entry (ters kayıt, seed 004) once. A second cancel delivery cancels or
reverses nothing again."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from sync_engine.config import load_stores
from tests.support.deliver import deliver
from tests.support.stack import live_stack
from tests.support.web import paid_shopify, paid_woocommerce

pytestmark = pytest.mark.slow



def cancelled(store_id: str, payload: dict[str, Any], stamp: str) -> tuple[dict[str, Any], str]:
    undone = copy.deepcopy(payload)
    if store_id == "demo-shop":
        undone.update(cancelled_at=stamp, updated_at=stamp, financial_status="refunded", cancel_reason="customer")
        return undone, "orders/cancelled"
    undone.update(status="cancelled", date_modified_gmt=stamp[:19])
    return undone, "order.updated"


def test_a_cancel_after_the_gib_send_cancels_the_e_arsiv_once(db_url: str, tmp_path: Path) -> None:
    with live_stack(db_url, tmp_path) as stack:
        stores = load_stores(stack.dev.stores_file, environ=stack.dev.env)
        orders = {"demo-shop": paid_shopify(61), "kolay-shop": paid_woocommerce(62)}
        sales = {s: deliver(stack, stores, s, p, "orders/paid" if s == "demo-shop" else "order.updated").job_id
                 for s, p in orders.items()}
        done = stack.wait(list(sales.values()), timeout_s=120)
        # Turkcell's type came from GİB's directory; KolayBi chose it at send time.
        assert [(j.status, j.document_type) for j in done] == [("completed", "e_arsiv"), ("completed", None)], \
            [(j.status, j.last_error_message) for j in done]

        cancels = {}
        for store_id, payload in orders.items():
            undone, topic = cancelled(store_id, payload, "2030-01-01T10:00:00+03:00")
            result = deliver(stack, stores, store_id, undone, topic)
            assert result.status == "accepted" and "cancelling its e-Arşiv" in (result.reason or ""), result
            cancels[store_id] = result.job_id
        kolay, turkcell = stack.wait([cancels["kolay-shop"], cancels["demo-shop"]], timeout_s=120)

        assert (kolay.kind, kolay.status, kolay.e_document_status) == ("cancel", "completed", "cancelled")
        # Turkcell: cancelled at GİB, then its journal entry reversed (ters kayıt) by the job.
        assert (turkcell.status, turkcell.e_document_status, turkcell.step_journal) == (
            "completed", "cancelled", "done"), turkcell.last_error_message
        for sim in ("kolaybi", "turkcell"):
            per_key = stack.sandbox.ledger.per_key(sim, "cancel")
            assert len(per_key) == 1 and set(per_key.values()) == {1}, (sim, per_key)
        reversed_ = stack.sandbox.ledger.per_key("turkcell", "journal_reversed")
        assert len(reversed_) == 1 and set(reversed_.values()) == {1}, reversed_

        # The shop sends the cancel again (a later update of the cancelled order): recorded
        # once, cancelled once.
        for store_id, payload in orders.items():
            undone, topic = cancelled(store_id, payload, "2030-01-01T11:00:00+03:00")
            again = deliver(stack, stores, store_id, undone, topic)
            assert again.job_id == cancels[store_id] and "already recorded" in (again.reason or "")
        for sim in ("kolaybi", "turkcell"):
            assert sum(stack.sandbox.ledger.per_key(sim, "cancel").values()) == 1
        assert sum(stack.sandbox.ledger.per_key("turkcell", "journal_reversed").values()) == 1


def test_a_cancel_between_the_invoice_and_the_gib_send_withdraws_the_draft(db_url: str, tmp_path: Path) -> None:
    """The invoice is made, the GİB send keeps failing (the provider is down for it), the
    order is cancelled: the send never happens and the draft is deleted at the provider."""
    from sync_engine.sandbox.core import FaultMode, FaultRule

    with live_stack(db_url, tmp_path) as stack:
        faults = stack.sandbox.state.faults
        faults.add(FaultRule("kolaybi", "e_document_create", FaultMode.BEFORE_500, probability=1.0))
        faults.add(FaultRule("turkcell", "earchive_create", FaultMode.BEFORE_500, probability=1.0))
        stores = load_stores(stack.dev.stores_file, environ=stack.dev.env)
        orders = {"demo-shop": paid_shopify(71), "kolay-shop": paid_woocommerce(72)}
        sales = {s: deliver(stack, stores, s, p, "orders/paid" if s == "demo-shop" else "order.updated").job_id
                 for s, p in orders.items()}
        stack.wait(list(sales.values()), timeout_s=90,
                   until=lambda j: j.step_invoice == "done" and j.step_e_document != "pending")
        for store_id, payload in orders.items():
            undone, topic = cancelled(store_id, payload, "2030-01-02T10:00:00+03:00")
            result = deliver(stack, stores, store_id, undone, topic)
            assert result.status == "accepted", result
        turkcell, kolay = stack.wait([sales["demo-shop"], sales["kolay-shop"]], timeout_s=90,
                                     until=lambda j: j.status == "cancelled")
        for job in (turkcell, kolay):
            assert "was withdrawn" in (job.last_error_message or ""), job.last_error_message
            assert job.step_e_document != "done"
        for sim in ("turkcell", "kolaybi"):
            assert stack.sandbox.ledger.count(sim, "gib_send") == 0
            deleted = stack.sandbox.ledger.per_key(sim, "invoice_deleted")
            assert len(deleted) == 1 and set(deleted.values()) == {1}, (sim, deleted)
