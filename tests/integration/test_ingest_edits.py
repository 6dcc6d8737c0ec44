"""Edits after the invoice through the real webhook endpoint (#12 items 4–5), on SQLite and
PostgreSQL: without the opt-in the sale job is flagged; with ``reissue_on_edit`` an edit
after the GİB send makes one return job (the whole invoiced order) and one new sale job (the
edited order), once, whatever the deliveries; an e-Fatura and an unsent invoice are flagged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sync_engine.cli import app
from sync_engine.config import get_settings

from sync_engine.domain.keys import reissue_key, return_key, sale_key
from sync_engine.reissue import REISSUE_SETTLE
from sync_engine.store.models import Job
from sync_engine.store.repositories import JobRepository
from tests.support.web import (
    ADMIN_TOKEN,
    WebHarness,
    body_of,
    paid_shopify,
    web,  # noqa: F401 - a fixture, used by name
)

STORE = "demo-shop"


def opt_in(web: WebHarness) -> None:
    store = web.stores[STORE]
    web.stores[STORE] = store.model_copy(update={"invoice": store.invoice.model_copy(update={"reissue_on_edit": True})})


def edited(payload: dict[str, Any], seed: int, stamp: str) -> dict[str, Any]:
    """The same order (id, name, buyer) with other lines and total: an edit in the admin."""
    other = paid_shopify(seed=1000 + seed)
    keep = ("id", "name", "order_number", "customer", "billing_address", "shipping_address", "note_attributes",
            "email", "created_at", "processed_at")
    changed = {**other, **{k: payload[k] for k in keep if k in payload}, "updated_at": stamp}
    assert changed["total_price"] != payload["total_price"]
    return changed


def invoiced(web: WebHarness, payload: dict[str, Any], *, sent: bool = True, document_type: str = "e_arsiv") -> int:
    """The order's sale job, invoiced (and sent to GİB) as a worker would have left it."""
    job_id = body_of(web.shopify(payload, topic="orders/paid"))["job_id"]
    with web.sessions() as session:
        JobRepository(session).set_fields(
            job_id, datetime.now(UTC), status="completed" if sent else "running", step_customer="done",
            customer_id="cari-77", step_invoice="done", step_e_document="done" if sent else "pending",
            step_journal="done" if sent else "pending", invoice_number="DMS2026000000018",
            invoice_id="inv-18", document_type=document_type,
        )
        session.commit()
    return job_id


def order_jobs(web: WebHarness, order_id: Any) -> list[Job]:
    with web.sessions() as session:
        return list(session.scalars(select(Job).where(Job.store_id == STORE, Job.order_id == str(order_id))
                                    .order_by(Job.id)))


def test_reissue_after_the_gib_send_makes_one_return_and_one_new_sale(web: WebHarness) -> None:
    opt_in(web)
    payload = paid_shopify(21)
    sale_id = invoiced(web, payload)
    first = edited(payload, 2, "2030-01-01T10:00:00+03:00")
    answer = body_of(web.shopify(first, topic="orders/updated", webhook_id="edit-1", event_id="edit-1"))
    assert answer["status"] == "accepted", answer
    assert answer["reason"].startswith("amount_changed_after_invoice: total ") and "returned in full" in answer["reason"]

    order_id = str(payload["id"])
    sale, returned, reissued = order_jobs(web, order_id)
    assert sale.id == sale_id and sale.status == "completed" and sale.edited_at is not None
    assert sale.edit_note and sale.edit_note.startswith("total ") and f"job {returned.id}" in sale.edit_note
    # The return: the whole invoiced order, on the sale's cari, queued and woken now.
    assert returned.idempotency_key == return_key(STORE, order_id, "edit-1") and returned.kind == "return"
    assert (returned.status, returned.step_customer, returned.customer_id) == ("queued", "skipped", "cari-77")
    assert json.loads(returned.order_json or "{}")["paid_total"] == json.loads(sale.order_json or "{}")["paid_total"]
    assert json.loads(returned.order_json or "{}")["order_name"].endswith(" İADE")
    with web.sessions() as session:
        assert JobRepository(session).sale_returned_by(returned).id == sale.id  # type: ignore[union-attr]
    # The new sale: the edited order, waiting out the settle time (not woken).
    assert reissued.idempotency_key == reissue_key(STORE, order_id, 1) and reissued.kind == "sale"
    assert Decimal(json.loads(reissued.order_json or "{}")["paid_total"]) == Decimal(str(first["total_price"]))
    assert reissued.status == "queued" and reissued.next_attempt_at is not None
    assert reissued.next_attempt_at - reissued.created_at == REISSUE_SETTLE
    assert web.queued_job_ids() == [sale.id, returned.id]  # the paid order's job, then the return

    # The same delivery again, and the same edit with a newer stamp: nothing new.
    assert body_of(web.shopify(first, topic="orders/updated", webhook_id="edit-1", event_id="edit-1"))["status"] == "duplicate"
    body_of(web.shopify({**first, "updated_at": "2030-01-01T10:01:00+03:00"}, topic="orders/updated"))
    assert [j.id for j in order_jobs(web, order_id)] == [sale.id, returned.id, reissued.id]
    assert web.queued_job_ids() == [sale.id, returned.id]

    # A second edit before the reissue ran: it changes the new sale's order, no third invoice.
    second = edited(payload, 3, "2030-01-01T10:05:00+03:00")
    answer = body_of(web.shopify(second, topic="orders/updated"))
    assert answer["status"] == "accepted" and "the job invoices the new one" in answer["reason"]
    assert answer["job_id"] == reissued.id
    jobs = order_jobs(web, order_id)
    assert [j.id for j in jobs] == [sale.id, returned.id, reissued.id]
    assert Decimal(json.loads(jobs[2].order_json or "{}")["paid_total"]) == Decimal(str(second["total_price"]))
    # The returned order is still the first invoice's, all of it.
    assert jobs[1].order_json == returned.order_json


def test_a_further_edit_after_the_reissue_was_sent_reissues_that_one(web: WebHarness) -> None:
    opt_in(web)
    payload = paid_shopify(22)
    invoiced(web, payload)
    body_of(web.shopify(edited(payload, 4, "2030-01-01T10:00:00+03:00"), topic="orders/updated"))
    order_id = str(payload["id"])
    _, _, reissued = order_jobs(web, order_id)
    with web.sessions() as session:
        JobRepository(session).set_fields(reissued.id, datetime.now(UTC), status="completed", step_customer="done",
                                          step_invoice="done", step_e_document="done", step_journal="done",
                                          invoice_number="DMS2026000000019", document_type="e_arsiv")
        session.commit()
    body_of(web.shopify(edited(payload, 5, "2030-01-02T10:00:00+03:00"), topic="orders/updated"))
    keys = [j.idempotency_key for j in order_jobs(web, order_id)]
    assert keys == [sale_key(STORE, order_id), return_key(STORE, order_id, "edit-1"), reissue_key(STORE, order_id, 1),
                    return_key(STORE, order_id, "edit-2"), reissue_key(STORE, order_id, 2)]
    with web.sessions() as session:
        repo = JobRepository(session)
        second_return = repo.get_by_key(return_key(STORE, order_id, "edit-2"))
        assert second_return is not None and repo.sale_returned_by(second_return).id == reissued.id  # type: ignore[union-attr]
        assert repo.live_sale(STORE, order_id).idempotency_key == reissue_key(STORE, order_id, 2)  # type: ignore[union-attr]


def test_an_e_fatura_is_only_flagged_with_the_instruction(
    web: WebHarness, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    opt_in(web)
    payload = paid_shopify(23)
    sale_id = invoiced(web, payload, document_type="e_fatura")
    answer = body_of(web.shopify(edited(payload, 6, "2030-01-01T10:00:00+03:00"), topic="orders/updated"))
    assert answer["status"] == "needs_attention" and answer["reason"].startswith("amount_changed_after_invoice: total ")
    (sale,) = order_jobs(web, payload["id"])
    assert sale.id == sale_id and "cannot be returned by the seller" in (sale.edit_note or "")
    # Shown where an operator looks: the ops API, the console's order page, `jobs show`.
    view = web.api("GET", f"/api/jobs/{sale_id}").json()
    assert view["edited"]["note"] == sale.edit_note
    web.client.post("/ui/login", data={"token": ADMIN_TOKEN, "next": "/ui/jobs"}, follow_redirects=False)
    page = web.client.get(f"/ui/orders/{STORE}/{payload['id']}").text
    assert f'id="edited-{sale_id}"' in page and "cannot be returned by the seller" in page
    monkeypatch.setenv("SYNC_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        shown = CliRunner().invoke(app, ["jobs", "show", str(sale_id)], env={"COLUMNS": "400"})
    finally:
        get_settings.cache_clear()
    assert shown.exit_code == 0 and "edited after its invoice" in shown.output, shown.output
    assert "cannot be returned by the seller" in shown.output


def test_an_edit_before_the_gib_send_is_flagged_until_the_send(web: WebHarness) -> None:
    opt_in(web)
    payload = paid_shopify(24)
    invoiced(web, payload, sent=False)
    change = edited(payload, 7, "2030-01-01T10:00:00+03:00")
    answer = body_of(web.shopify(change, topic="orders/updated"))
    assert answer["status"] == "needs_attention"
    (sale,) = order_jobs(web, payload["id"])
    assert "once its GİB send is done" in (sale.edit_note or "")
    # Sent now: the next delivery of the edit (or the next reconciliation) reissues it.
    with web.sessions() as session:
        JobRepository(session).set_fields(sale.id, datetime.now(UTC), status="completed", step_e_document="done")
        session.commit()
    answer = body_of(web.shopify({**change, "updated_at": "2030-01-01T10:30:00+03:00"}, topic="orders/updated"))
    assert answer["status"] == "accepted" and "returned in full" in answer["reason"]
    assert [j.kind for j in order_jobs(web, payload["id"])] == ["sale", "return", "sale"]


def test_without_the_opt_in_a_buyer_change_is_flagged_with_the_name_and_a_masked_id(web: WebHarness) -> None:
    payload = paid_shopify(25)
    sale_id = invoiced(web, payload)
    other = paid_shopify(seed=2025)
    change = {**payload, "customer": other["customer"], "billing_address": other["billing_address"],
              "note_attributes": other.get("note_attributes", []), "updated_at": "2030-01-01T10:00:00+03:00"}
    answer = body_of(web.shopify(change, topic="orders/updated"))
    assert answer["status"] == "needs_attention", answer
    (sale,) = order_jobs(web, payload["id"])
    assert sale.id == sale_id and (sale.edit_note or "").startswith("buyer "), sale.edit_note
    tckns = [a["value"] for p in (payload, other) for a in p.get("note_attributes", []) if "kimlik" in a["name"].lower()]
    assert tckns and not any(t in (sale.edit_note or "") for t in tckns)
