"""#12 on the live stack: a partial refund after the sale invoice went to GİB. Real worker
processes, the four simulators and the WooCommerce shop over HTTP: at Turkcell, KolayBi and
FaturaEntegratör the refund becomes one return (İADE) invoice for exactly what was refunded,
sent to GİB once (and journaled at Turkcell); SinApp, which has no return document, names the
return to make by hand. Delivering the refund again makes nothing new."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sync_engine.config import load_stores
from sync_engine.domain import Order, compute_invoice
from sync_engine.domain.invoice import invoice_date
from tests.support.refunds import shopify_refund, woo_refund
from tests.support.deliver import deliver
from tests.support.stack import live_stack
from tests.support.web import paid_shopify, paid_woocommerce

pytestmark = pytest.mark.slow

D = Decimal
EFATURA_VKN = "1234567890"  # seeded in the sandbox's GİB directory
SIMULATOR = {"demo-shop": "turkcell", "kolay-shop": "kolaybi", "entegre-shop": "faturaentegrator"}


def refund_of(stack: Any, store_id: str, payload: dict[str, Any], refund_id: int) -> tuple[dict[str, Any], str, D]:
    """One unit of the order's first line given back: the delivery that says so, its topic and
    the money refunded. WooCommerce lists the refund on the order (its lines come from the
    shop's API); Shopify sends the refund object."""
    if store_id in ("kolay-shop", "sinapp-shop"):
        woo = stack.sandbox["woocommerce"]
        woo.add_order(store_id, payload)
        refund = woo_refund(payload, refund_id, 0)
        order = woo.add_refund(store_id, payload["id"], refund)
        return {**order, "date_modified_gmt": "2030-01-03T09:00:00"}, "order.updated", D(refund["amount"])
    refund = shopify_refund(payload, refund_id, [(0, 1)])
    return refund, "refunds/create", D(refund["transactions"][0]["amount"])


def test_a_partial_refund_after_the_gib_send_is_returned_once_where_the_provider_can(
    db_url: str, tmp_path: Path,
) -> None:
    with live_stack(db_url, tmp_path) as stack:
        stores = load_stores(stack.dev.stores_file, environ=stack.dev.env)
        orders = {"demo-shop": paid_shopify(81), "kolay-shop": paid_woocommerce(88),
                  "entegre-shop": paid_shopify(83), "sinapp-shop": paid_woocommerce(91)}
        sales = {s: deliver(stack, stores, s, p, "orders/paid" if stores[s].platform == "shopify" else "order.updated").job_id
                 for s, p in orders.items()}
        done = stack.wait(list(sales.values()), timeout_s=150)
        assert all(j.status == "completed" for j in done), [(j.store_id, j.status, j.last_error_message) for j in done]

        returns, refunded, deliveries = {}, {}, {}
        for n, (store_id, payload) in enumerate(orders.items()):
            delivery, topic, money = refund_of(stack, store_id, payload, 5100 + n)
            deliveries[store_id] = (delivery, topic)
            result = deliver(stack, stores, store_id, delivery, topic)
            assert result.status == "accepted" and result.job_id, (store_id, result)
            returns[store_id], refunded[store_id] = result.job_id, money
        settled = dict(zip(returns, stack.wait(list(returns.values()), timeout_s=150)))

        for store_id, sim in SIMULATOR.items():
            ret, sale = settled[store_id], stack.job(sales[store_id])
            assert (ret.kind, ret.status) == ("return", "completed"), (store_id, ret.status, ret.last_error_message)
            order = Order.model_validate_json(ret.order_json)
            # Exactly the refund, to the kuruş, as the provider computed it.
            assert order.paid_total == refunded[store_id] == compute_invoice(order).grand_total
            assert ret.provider_total in (None, refunded[store_id]), (store_id, ret.provider_total)
            assert ret.invoice_id and ret.invoice_id != sale.invoice_id and ret.step_e_document == "done"
            made = stack.sandbox.ledger.per_key(sim, "return_invoice_created")
            assert len(made) == 1 and set(made.values()) == {1}, (sim, made)
        # Turkcell journals the return like the sale.
        assert settled["demo-shop"].step_journal == "done" and settled["demo-shop"].journal_ref

        sinapp = settled["sinapp-shop"]
        assert (sinapp.status, sinapp.attention_category) == ("needs_attention", "refund_after_send")
        sale_number = stack.job(sales["sinapp-shop"]).invoice_number or stack.job(sales["sinapp-shop"]).invoice_id
        assert str(sale_number) in (sinapp.last_error_message or ""), sinapp.last_error_message
        assert f"{refunded['sinapp-shop']:.2f}" in (sinapp.last_error_message or "")

        # The same refunds delivered again: the same jobs, no second return anywhere.
        for store_id, (delivery, topic) in deliveries.items():
            again = deliver(stack, stores, store_id, delivery, topic)
            assert again.job_id == returns[store_id], (store_id, again)
        for sim in SIMULATOR.values():
            assert sum(stack.sandbox.ledger.per_key(sim, "return_invoice_created").values()) == 1


def test_a_refund_of_an_e_fatura_waits_for_the_buyers_iade_and_records_it(db_url: str, tmp_path: Path) -> None:
    """An e-Fatura cannot be cancelled or returned by the seller (FACTS §5.5): the return job
    waits until the buyer's İADE invoice, naming the sale invoice, arrives in Turkcell's
    incoming list (seed 004, Gelen faturalar), records it, and makes no document of its own."""
    with live_stack(db_url, tmp_path) as stack:
        stores = load_stores(stack.dev.stores_file, environ=stack.dev.env)
        payload = paid_shopify(81, "company")
        for attribute in payload["note_attributes"]:
            if attribute["name"] == "Vergi No":
                attribute["value"] = EFATURA_VKN  # registered in the sandbox's GİB directory
        sale_id = deliver(stack, stores, "demo-shop", payload, "orders/paid").job_id
        (sale,) = stack.wait([sale_id], timeout_s=120)
        assert (sale.status, sale.document_type) == ("completed", "e_fatura"), sale.last_error_message

        refund = shopify_refund(payload, 6100, [(0, 1)])
        ret_id = deliver(stack, stores, "demo-shop", refund, "refunds/create").job_id
        (waiting,) = stack.wait([ret_id], timeout_s=60, until=lambda j: j.last_error_class == "AwaitingBuyerReturn")
        assert waiting.status == "retrying" and waiting.invoice_id is None

        returned = Order.model_validate_json(waiting.order_json)
        computed = compute_invoice(returned)
        sale_day = invoice_date(Order.model_validate_json(sale.order_json).created_at)
        stack.sandbox["turkcell"].place_incoming({
            "sender": {"identifier": EFATURA_VKN, "name": "Alıcı Şirket A.Ş."}, "invoiceNumber": "ALC2030000000007",
            "issueDate": "2030-01-04T00:00:00Z", "type": 2, "returnInvoiceNumber": sale.invoice_number,
            "returnInvoiceDate": f"{sale_day.isoformat()}T00:00:00Z",
            "invoiceLines": [{"inventoryCard": "İade", "amount": 1, "unitCode": "C62", "unitPrice": g.net,
                              "lineExtensionAmount": g.net, "vatRate": g.rate, "vatAmount": g.vat}
                             for g in computed.groups],
        })
        stack.enqueue(ret_id)  # the next poll would find it too; no need to wait for it
        (ret,) = stack.wait([ret_id], timeout_s=60, until=lambda j: j.status in ("completed", "needs_attention"))
        assert (ret.status, ret.invoice_number) == ("completed", "ALC2030000000007"), ret.last_error_message
        assert stack.sandbox.ledger.count("turkcell", "return_invoice_created") == 0  # the buyer's, not ours
        assert sum(stack.sandbox.ledger.per_key("turkcell", "gib_send").values()) == 1  # the sale only
