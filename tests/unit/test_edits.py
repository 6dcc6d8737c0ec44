"""Edits after the invoice, the pure parts: what differs for the invoice (total, lines, buyer —
ids masked), the reissue keys, and what an edit leads to (``reissue.plan_edit``)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from sync_engine.config.stores import InvoiceConfig
from sync_engine.domain import Buyer, BuyerKind, InvoiceLine
from sync_engine.domain.edits import order_difference
from sync_engine.domain.keys import (
    edit_return_id,
    ettn_for,
    reissue_key,
    return_key,
    sale_key,
    sale_key_parts,
    sale_version_key,
)
from sync_engine.reconcile.matching import reference_key
from sync_engine.reissue import EditAction, flagged, plan_edit
from tests.support.orders import PERSON, order


def test_a_changed_total_and_lines_are_told_with_the_amounts() -> None:
    before = order()
    line = InvoiceLine(sku="TSHIRT-1", name="Tişört", quantity=Decimal(4), unit_price=Decimal("149.90"), vat_rate=Decimal(20))
    after = order(lines=(line, *before.lines[1:]))
    text = order_difference(before, after)
    delta = after.paid_total - before.paid_total
    assert text == (f"total {before.paid_total} → {after.paid_total} TRY (+{delta}); lines 3 → 3 (1 new or changed)")
    assert order_difference(before, order()) is None


def test_a_changed_buyer_is_told_by_name_with_the_tax_id_masked() -> None:
    other = Buyer(kind=BuyerKind.COMPANY, tax_id="4540536920", company_name="Örnek Ltd.", tax_office="Kadıköy")
    text = order_difference(order(), order(buyer=other))
    assert text == "buyer Ayşe Yılmaz (*********46) → Örnek Ltd. (********20)"
    assert "10000000146" not in (text or "") and "4540536920" not in (text or "")
    # Only who the buyer is counts: a new phone number is the cari's business.
    assert order_difference(order(), order(buyer=PERSON.model_copy(update={"phone": "5559999999"}))) is None


def test_reissue_keys_are_their_own_and_parse_back() -> None:
    assert reissue_key("s", "1001", 2) == "s:1001:sale:r2"
    assert sale_version_key("s", "1001", 0) == sale_key("s", "1001") and sale_version_key("s", "1001", 1) == "s:1001:sale:r1"
    assert return_key("s", "1001", edit_return_id(1)) == "s:1001:return:edit-1"
    assert sale_key_parts("s:1001:sale", "s") == ("1001", 0) and sale_key_parts("s:1001:sale:r3", "s") == ("1001", 3)
    assert sale_key_parts("s:1001:return:edit-1", "s") is None and sale_key_parts("t:1001:sale", "s") is None
    assert sale_key_parts("s:1001:sale:r0", "s") is None
    # Its own ETTN: the same key would make Turkcell overwrite the sent invoice.
    assert ettn_for(reissue_key("s", "1001", 1)) != ettn_for(sale_key("s", "1001"))
    # FaturaEntegratör carries the key as its order_id: a reissue's is ours too.
    assert reference_key("s:1001:sale:r1", "s", "shopify") == "s:1001:sale:r1"
    with pytest.raises(ValueError):
        reissue_key("s", "1001", 0)


def test_reissue_on_edit_is_off_by_default() -> None:
    base = dict(prefix="DMS", website="https://x.example", seller_name="X A.Ş.", seller_vkn="1000036109")
    assert InvoiceConfig(**base).reissue_on_edit is False
    assert InvoiceConfig(**base, reissue_on_edit=True).reissue_on_edit is True


def _store(reissue: bool) -> Any:
    return SimpleNamespace(invoice=SimpleNamespace(reissue_on_edit=reissue))


def _sale(**changes: Any) -> Any:
    base = dict(
        id=7, idempotency_key=sale_key("s", "1001"), store_id="s", status="completed", step_invoice="done",
        step_e_document="done", invoice_number="DMS2026000000007", invoice_id="inv-7", document_type="e_arsiv",
        closed_at=None, closed_reason=None, edit_note=None,
    )
    return SimpleNamespace(**{**base, **changes})


DIFF = "total 100.00 → 120.00 TRY (+20.00)"


def test_without_the_opt_in_an_edit_is_flagged_with_the_difference_only() -> None:
    plan = plan_edit(_store(False), _sale(), DIFF)
    assert (plan.action, plan.note, plan.version) == (EditAction.FLAG, DIFF, 0)
    assert flagged(_sale(edit_note=DIFF), plan) and not flagged(_sale(edit_note="total 1 → 2"), plan)


@pytest.mark.parametrize(("sale", "action", "said"), [
    (_sale(), EditAction.REISSUE, None),
    (_sale(idempotency_key=reissue_key("s", "1001", 2)), EditAction.REISSUE, None),
    (_sale(step_e_document="skipped"), EditAction.REISSUE, None),  # SinApp: the invoice is the document
    (_sale(document_type="e_fatura"), EditAction.FLAG, "cannot be returned by the seller"),
    (_sale(step_e_document="in_progress"), EditAction.FLAG, "once its GİB send is done"),
    (_sale(step_e_document="pending"), EditAction.FLAG, "once its GİB send is done"),
    (_sale(closed_at=datetime(2026, 1, 1, tzinfo=UTC), closed_reason="order cancelled"), EditAction.FLAG, "stopped"),
])
def test_with_the_opt_in_only_a_sent_non_e_fatura_invoice_is_reissued(sale: Any, action: EditAction, said: str | None) -> None:
    plan = plan_edit(_store(True), sale, DIFF)
    assert plan.action is action and plan.note.startswith(DIFF)
    if said:
        assert said in plan.note
    # A reissue is never "already flagged": the next edit of a sent sale is always acted on.
    assert not flagged(_sale(edit_note=plan.note), plan) or plan.action is EditAction.FLAG


def test_an_edited_order_that_cannot_be_invoiced_is_not_reissued() -> None:
    plan = plan_edit(_store(True), _sale(), DIFF, "currency USD is not invoiced automatically")
    assert plan.action is EditAction.FLAG and "cannot be invoiced as it is" in plan.note


def test_the_version_is_that_of_the_sale_being_replaced() -> None:
    assert plan_edit(_store(True), _sale(idempotency_key=reissue_key("s", "1001", 2)), DIFF).version == 2
