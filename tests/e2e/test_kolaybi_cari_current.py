"""A returning KolayBi buyer through the real pipeline (worker process, sandbox over HTTP):
a new address is added to the known cari before the invoice (``/address/create``); a changed
surname cannot be (KolayBi documents no associate update), so the job stops in
needs_attention naming the field, and nothing is invoiced under the old name."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync_engine.domain import Address
from tests.support.orders import PERSON, order
from tests.support.stack import live_stack

pytestmark = pytest.mark.slow

STORE = "kolay-shop"


def test_a_returning_buyer_moves_then_changes_name(db_url: str, tmp_path: Path) -> None:
    with live_stack(db_url, tmp_path) as stack:
        ledger = stack.sandbox.ledger
        first = stack.create_job(STORE, order(order_id="cari-1", store_id=STORE))
        stack.enqueue(first)
        [done] = stack.wait([first])
        assert done.status == "completed", done.last_error_message

        moved = PERSON.model_copy(update={"address": Address(line1="Atatürk Cad. 9", district="Çankaya",
                                                             city="Ankara")})
        second = stack.create_job(STORE, order(order_id="cari-2", store_id=STORE, buyer=moved))
        stack.enqueue(second)
        [again] = stack.wait([second])
        assert again.status == "completed", again.last_error_message
        assert again.customer_id == done.customer_id
        assert ledger.count("kolaybi", "cari_created") == 1
        [address] = ledger.effects("kolaybi", "address_created")
        invoice = stack.sandbox["kolaybi"].books.invoices[int(again.invoice_id)]
        assert invoice.address_id == int(address.key)  # the new address is on the invoice

        renamed = moved.model_copy(update={"last_name": "Kaya"})
        third = stack.create_job(STORE, order(order_id="cari-3", store_id=STORE, buyer=renamed))
        stack.enqueue(third)
        [stopped] = stack.wait([third])
        assert stopped.status == "needs_attention"
        assert "surname (KolayBi has 'Yılmaz', the order 'Kaya')" in stopped.last_error_message
        assert stopped.invoice_id is None
        assert ledger.count("kolaybi", "invoice_created") == 2
        assert stack.sandbox.state.violations.list("kolaybi") == []
