"""Shop-side refund bodies for the tests: Shopify ``refunds/create`` objects, orders carrying
their refunds, and WooCommerce refund objects (wc/v3), built from the sandbox's order payloads
the way the shops compute them (prices include tax)."""

from __future__ import annotations

from copy import deepcopy
from decimal import Decimal
from typing import Any

D = Decimal

__all__ = ["everything", "refunded", "shopify_refund", "woo_refund"]


def shopify_refund(payload: dict[str, Any], refund_id: int, items: list[tuple[int, int]], *,
                   shipping: bool = False) -> dict[str, Any]:
    """A refunds/create body for ``items`` [(line index, quantity)] of a sandbox order (prices
    include tax: a line's subtotal is its money back, VAT included)."""
    lines, money = [], D(0)
    for index, quantity in items:
        item = payload["line_items"][index]
        price = D(item["price"]) * quantity
        discount = sum((D(a["amount"]) for a in item.get("discount_allocations") or []), D(0))
        subtotal = price - discount * quantity / item["quantity"]
        tax = sum((D(t["price"]) for t in item["tax_lines"]), D(0)) * quantity / item["quantity"]
        subtotal, tax = subtotal.quantize(D("0.01")), tax.quantize(D("0.01"))
        lines.append({"id": refund_id * 10 + index, "line_item_id": item["id"], "quantity": quantity,
                      "subtotal": str(subtotal), "total_tax": str(tax)})
        money += subtotal
    ship_lines = []
    if shipping:
        ship = payload["shipping_lines"][0]
        ship_lines.append({"id": refund_id * 10 + 9, "shipping_line_id": ship["id"],
                           "subtotal_amount_set": {"shop_money": {"amount": ship["price"], "currency_code": "TRY"}},
                           "tax_amount_set": {"shop_money": {"amount": "0.00", "currency_code": "TRY"}}})
        money += D(ship["price"])
    return {
        "id": refund_id, "order_id": payload["id"], "created_at": "2025-03-06T12:00:00+03:00",
        "processed_at": "2025-03-06T12:00:00+03:00", "note": "iade", "refund_line_items": lines,
        "refund_shipping_lines": ship_lines, "order_adjustments": [],
        "transactions": [{"id": refund_id + 1, "kind": "refund", "status": "success", "amount": str(money),
                          "currency": "TRY"}],
    }


def everything(payload: dict[str, Any], refund_id: int) -> dict[str, Any]:
    return shopify_refund(payload, refund_id, [(i, li["quantity"]) for i, li in enumerate(payload["line_items"])],
                          shipping=True)


def refunded(payload: dict[str, Any], *refunds: dict[str, Any], status: str = "partially_refunded") -> dict[str, Any]:
    return {**deepcopy(payload), "financial_status": status, "refunds": list(refunds),
            "updated_at": "2025-03-06T12:00:01+03:00"}


def woo_refund(payload: dict[str, Any], refund_id: int, index: int) -> dict[str, Any]:
    item = payload["line_items"][index]
    money = D(item["total"]) + D(item["total_tax"])
    return {"id": refund_id, "date_created": "2025-03-06T12:00:00", "date_created_gmt": "2025-03-06T09:00:00",
            "amount": str(money), "reason": "", "refunded_by": 1, "refunded_payment": True, "meta_data": [],
            "line_items": [{"id": refund_id + 1, "name": item["name"], "quantity": -item["quantity"],
                            "subtotal": f"-{item['subtotal']}", "total": f"-{item['total']}",
                            "total_tax": f"-{item['total_tax']}",
                            "meta_data": [{"id": 1, "key": "_refunded_item_id", "value": str(item["id"])}]}],
            "shipping_lines": []}
