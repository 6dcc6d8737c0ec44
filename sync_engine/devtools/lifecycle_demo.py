"""The demo's second act (#12): an order's life after "paid", through the same signed webhooks
a shop sends — one cancel before the GİB send (the cancel arrives first, then the shop's late
``orders/paid`` retry: never invoiced), one cancel after the send (Turkcell cancels the
e-Arşiv at GİB once it is approved, then reverses its journal entry), and one partial refund
after the send (FaturaEntegratör: a return (İADE) invoice for exactly what was refunded).
It ends with each order's document chain and the sandbox ledger's word on each effect."""

from __future__ import annotations

import copy
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

CANCEL_STORE = "demo-shop"  # Shopify → Turkcell e-Şirket (e-Arşiv cancel + ters kayıt)
REFUND_STORE = "entegre-shop"  # Shopify → FaturaEntegratör (return invoice, type IADE)
SETTLED = ("completed", "needs_attention", "cancelled")


@dataclass(frozen=True)
class Act:
    what: str  # shown to the reader
    store_id: str
    order_id: str
    settled: tuple[str, ...]  # the job kinds whose settling ends the act


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).replace(microsecond=0).isoformat()


def cancelled(payload: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The order as Shopify sends it in ``orders/cancelled``: newer by its own clock."""
    undone = copy.deepcopy(payload)
    undone.update(cancelled_at=_stamp(at), updated_at=_stamp(at), financial_status="refunded",
                  cancel_reason="customer")
    return undone


def one_unit_refund(payload: dict[str, Any], refund_id: int, at: datetime) -> dict[str, Any]:
    """A Shopify ``refunds/create`` body giving back one unit of the order's first line, with
    its share of the line's discount and tax (a Turkish store: prices include tax)."""
    item = payload["line_items"][0]
    quantity = Decimal(item["quantity"])
    discount = sum((Decimal(a["amount"]) for a in item.get("discount_allocations") or []), Decimal(0))
    subtotal = (Decimal(item["price"]) - discount / quantity).quantize(Decimal("0.01"))
    tax = (sum((Decimal(t["price"]) for t in item["tax_lines"]), Decimal(0)) / quantity).quantize(Decimal("0.01"))
    return {
        "id": refund_id, "order_id": payload["id"], "created_at": _stamp(at), "processed_at": _stamp(at),
        "note": "müşteri bir ürünü iade etti", "restock": True, "order_adjustments": [],
        "refund_line_items": [{"id": refund_id + 1, "line_item_id": item["id"], "quantity": 1,
                               "subtotal": str(subtotal), "total_tax": str(tax)}],
        "refund_shipping_lines": [],
        "transactions": [{"id": refund_id + 2, "kind": "refund", "status": "success", "amount": str(subtotal),
                          "currency": payload.get("currency", "TRY")}],
    }


def post_lifecycle(web_url: str, payloads: dict[str, list[dict[str, Any]]], sent: dict[str, list[str]],
                   secrets: dict[str, str], console: Console) -> list[Act]:
    """Post the three stories; ``payloads`` are the demo's orders per store and ``sent`` the
    order ids whose invoice went to GİB."""
    from sync_engine.devtools.orders import demo_orders
    from sync_engine.devtools.webhooks import WebhookSender

    now = datetime.now(UTC)
    acts: list[Act] = []
    with httpx.Client(timeout=10) as client:
        sender = WebhookSender(client)

        def shopify(store: str, body: dict[str, Any], topic: str) -> int:
            return int(sender.shopify(f"{web_url}/webhooks/shopify/{store}", body, secret=secrets[store],
                                      topic=topic, shop_domain=f"{store}.myshopify.com").status)

        # 1. Cancelled before anything was invoiced; then the shop retries its old orders/paid.
        fresh = copy.deepcopy(demo_orders("shopify", start=now - timedelta(minutes=30))[0])
        fresh.update(id=int(fresh["id"]) + 9000, name=f"#{int(fresh['order_number']) + 9000}",
                     order_number=int(fresh["order_number"]) + 9000)
        a = shopify(CANCEL_STORE, cancelled(fresh, now), "orders/cancelled")
        b = shopify(CANCEL_STORE, fresh, "orders/paid")
        console.print(f"  {CANCEL_STORE}: order {fresh['name']} cancelled (HTTP {a}), then its late "
                      f"orders/paid retry (HTTP {b}) → never invoiced")
        acts.append(Act("cancel before the GİB send", CANCEL_STORE, str(fresh["id"]), ("cancel",)))

        # 2. Cancelled after its e-Arşiv went to GİB.
        if sent.get(CANCEL_STORE):
            order = next(p for p in payloads[CANCEL_STORE] if str(p["id"]) == sent[CANCEL_STORE][0])
            status = shopify(CANCEL_STORE, cancelled(order, now), "orders/cancelled")
            console.print(f"  {CANCEL_STORE}: order {order['name']} cancelled after its GİB send (HTTP {status}) "
                          "→ e-Arşiv cancelled at GİB, journal reversed")
            acts.append(Act("cancel after the GİB send", CANCEL_STORE, str(order["id"]), ("cancel",)))

        # 3. One unit given back after the send.
        if sent.get(REFUND_STORE):
            order = next(p for p in payloads[REFUND_STORE] if str(p["id"]) == sent[REFUND_STORE][0])
            status = shopify(REFUND_STORE, one_unit_refund(order, 880001, now), "refunds/create")
            console.print(f"  {REFUND_STORE}: one item of order {order['name']} refunded after its GİB send "
                          f"(HTTP {status}) → return (İADE) invoice")
            acts.append(Act("partial refund after the GİB send", REFUND_STORE, str(order["id"]), ("return",)))
    return acts


def wait_for(sessions: Any, acts: list[Act], timeout_s: float) -> None:
    from sync_engine.store.repositories import JobRepository

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with sessions() as session:
            jobs = [j for act in acts for j in JobRepository(session).for_order(act.store_id, act.order_id)
                    if j.kind in act.settled]
        if len(jobs) >= len(acts) and all(j.status in SETTLED for j in jobs):
            return
        time.sleep(0.5)


def judge_lifecycle(sessions: Any, acts: list[Act], ledger: dict[str, Any]) -> list[tuple[bool, str]]:
    """What the chains say, checked against what the sandbox providers really did."""
    from sync_engine.pipeline.ops import order_chain

    effects: list[dict[str, Any]] = ledger.get("effects", [])

    def count(sim: str, kind: str) -> Counter[str]:
        return Counter(e["key"] for e in effects if e["provider"] == sim and e["kind"] == kind)

    verdict: list[tuple[bool, str]] = []
    with sessions() as session:
        chains = {act.what: order_chain(session, act.store_id, act.order_id) for act in acts}
    for act in acts:
        chain = chains[act.what]
        kinds = {c["kind"]: c for c in chain}
        if act.what == "cancel before the GİB send":
            ok = "sale" not in kinds and kinds.get("cancel", {}).get("status") == "completed"
            verdict.append((ok, f"{act.what}: no sale invoice made, nothing sent to GİB"))
        elif act.what == "cancel after the GİB send":
            cancel = kinds.get("cancel", {})
            cancels, reversals = count("turkcell", "cancel"), count("turkcell", "journal_reversed")
            ok = (cancel.get("status") == "completed" and cancel.get("e_document_status") == "cancelled"
                  and len(cancels) == 1 and set(cancels.values()) == {1} and set(reversals.values()) == {1})
            verdict.append((ok, f"{act.what}: e-Arşiv cancelled at GİB {sum(cancels.values())}×, "
                                f"journal reversed {sum(reversals.values())}×"))
        else:
            ret = kinds.get("return", {})
            made, sends = count("faturaentegrator", "return_invoice_created"), count("faturaentegrator", "gib_send")
            ok = (ret.get("status") == "completed" and len(made) == 1 and set(made.values()) == {1}
                  and ret.get("document_id") in sends and sends[ret.get("document_id")] == 1)
            verdict.append((ok, f"{act.what}: {sum(made.values())} return invoice(s) at the provider, "
                                "sent to GİB once"))
    return verdict


def show_chains(sessions: Any, acts: list[Act], console: Console) -> None:
    from sync_engine.pipeline.ops import order_chain

    table = Table(title="document chains (cancels and refunds)")
    for col in ("story", "order", "job", "kind", "status", "document", "GİB", "what happened"):
        table.add_column(col)
    with sessions() as session:
        for act in acts:
            for c in order_chain(session, act.store_id, act.order_id):
                table.add_row(act.what, c["order_name"] or act.order_id, str(c["job_id"]), c["kind"], c["status"],
                              c["invoice_number"] or c["document_id"] or "—", c["e_document_status"] or "—",
                              (c["closed_reason"] or c["message"] or "")[:70])
    console.print(table)
