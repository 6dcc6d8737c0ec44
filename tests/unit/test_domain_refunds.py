"""kept_order / return_order: what the buyer kept and what the return invoice says, to the kuruş."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from sync_engine.domain import (
    ANONYMOUS_TCKN,
    Buyer,
    BuyerKind,
    InvoiceLine,
    LineKind,
    Order,
    compute_invoice,
)
from sync_engine.domain.refunds import Refund, RefundLine, RefundProblem, kept_order, return_order

D = Decimal
BUYER = Buyer(kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN, first_name="Ali", last_name="Veli")
REFUNDED_AT = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)


def line(ref: str, quantity: str, unit_price: str, rate: str = "20", discount: str = "0.00", **kw: Any) -> InvoiceLine:
    return InvoiceLine(line_ref=ref, name=f"item {ref}", quantity=D(quantity), unit_price=D(unit_price),
                       vat_rate=D(rate), discount=D(discount), **kw)


def shipping(price: str, rate: str = "20") -> InvoiceLine:
    return InvoiceLine(line_ref="shipping", name="Kargo", quantity=D(1), unit_price=D(price), vat_rate=D(rate),
                       kind=LineKind.SHIPPING)


def order(lines: list[InvoiceLine], paid: str, **kw: Any) -> Order:
    return Order(store_id="shop", platform="shopify", order_id="1001", order_name="#1001",
                 created_at=datetime(2025, 3, 14, 9, 0, tzinfo=UTC), buyer=BUYER, lines=tuple(lines),
                 paid_total=D(paid), **kw)


def refund(rid: str, total: str, *lines: RefundLine, **kw: Any) -> Refund:
    return Refund(refund_id=rid, order_id="1001", total=D(total), lines=lines, created_at=REFUNDED_AT, **kw)


def rl(ref: str, quantity: str, amount: str | None = None, tax: str | None = None) -> RefundLine:
    return RefundLine(line_ref=ref, quantity=D(quantity), amount=None if amount is None else D(amount),
                      tax=None if tax is None else D(tax))


# VAT-inclusive (Turkish Shopify shop): 3 × 100.00 with a 30.00 discount, shipping 29.90.
INCLUSIVE = order([line("L1", "3", "100.00", discount="30.00"), line("L2", "1", "50.00", rate="10"),
                   shipping("29.90")], "349.90")


def total_of(o: Order) -> Decimal:
    return compute_invoice(o).grand_total


def test_kept_order_takes_refunded_units_and_their_discount_share_off_the_line() -> None:
    kept = kept_order(INCLUSIVE, [refund("R1", "90.00", rl("L1", "1", "90.00"))])
    assert kept is not None
    l1 = next(ln for ln in kept.lines if ln.line_ref == "L1")
    assert (l1.quantity, l1.discount) == (D(2), D("20.00"))
    assert kept.paid_total == D("259.90") == total_of(kept)
    assert kept.refund_ids == ("R1",)


def test_a_line_refunded_in_full_is_removed_and_shipping_refunded_comes_off_the_shipping_line() -> None:
    kept = kept_order(INCLUSIVE, [refund("R1", "79.90", rl("L2", "1", "50.00"), rl("shipping", "1", "29.90"))])
    assert kept is not None
    assert [ln.line_ref for ln in kept.lines] == ["L1"]
    assert kept.paid_total == D("270.00") == total_of(kept)


def test_part_of_the_shipping_refunded() -> None:
    kept = kept_order(INCLUSIVE, [refund("R1", "9.90", rl("shipping", "1", "9.90"))])
    assert kept is not None
    ship = next(ln for ln in kept.lines if ln.kind is LineKind.SHIPPING)
    assert ship.unit_price == D("20.00")
    assert kept.paid_total == D("340.00") == total_of(kept)


def test_nothing_kept_is_none() -> None:
    everything = refund("R1", "349.90", rl("L1", "3", "270.00"), rl("L2", "1", "50.00"), rl("shipping", "1", "29.90"))
    assert kept_order(INCLUSIVE, [everything]) is None


def test_a_refund_already_taken_off_is_not_taken_twice() -> None:
    r1 = refund("R1", "90.00", rl("L1", "1", "90.00"))
    once = kept_order(INCLUSIVE, [r1])
    assert once is not None
    assert kept_order(once, [r1]) == once
    twice = kept_order(once, [r1, refund("R2", "50.00", rl("L2", "1", "50.00"))])
    assert twice is not None and twice.paid_total == D("209.90") and twice.refund_ids == ("R1", "R2")


def test_vat_exclusive_order_has_its_reported_vat_reduced_by_the_refunds_tax() -> None:
    # WooCommerce-style: net prices, the shop's VAT per rate: 2 × 100 at 20 % = 40.00, shipping 10 + 2.00.
    o = order([line("11", "2", "100.00"), shipping("10.00")], "252.00", prices_include_vat=False,
              reported_vat={D(20): D("42.00")})
    kept = kept_order(o, [refund("R1", "120.00", rl("11", "1", "120.00", "20.00"))])
    assert kept is not None
    assert kept.reported_vat == {D(20): D("22.00")}
    assert kept.paid_total == D("132.00") == total_of(kept)


def test_refund_discrepancy_is_a_problem_naming_both_figures() -> None:
    r = refund("R9", "110.00", rl("L2", "1", "50.00"), discrepancy="60.00")
    with pytest.raises(RefundProblem, match=r"gave back 110\.00 but its lines and shipping come to 50\.00"):
        kept_order(INCLUSIVE, [r])


def test_a_refund_with_no_lines_is_a_problem() -> None:
    with pytest.raises(RefundProblem, match=r"gave back 10\.00 but names no line"):
        kept_order(INCLUSIVE, [refund("R2", "10.00")])


def test_lines_not_adding_up_to_the_refund_is_a_problem() -> None:
    with pytest.raises(RefundProblem, match=r"gave back 41\.94 but its lines and shipping come to 0\.00"):
        kept_order(INCLUSIVE, [refund("R3", "41.94", rl("L2", "1", "0.00", "0.00"))])


def test_unknown_line_and_too_many_units_are_problems() -> None:
    with pytest.raises(RefundProblem, match="names line 'L7'"):
        kept_order(INCLUSIVE, [refund("R4", "10.00", rl("L7", "1", "10.00"))])
    with pytest.raises(RefundProblem, match="gives back 4 of line 'item L1' but only 3"):
        kept_order(INCLUSIVE, [refund("R5", "300.00", rl("L1", "4", "300.00"))])


def test_refunded_money_not_matching_the_kept_lines_is_a_problem() -> None:
    # The shop gave back 105.00 for one unit sold at 100.00 less its discount share: the
    # kept lines do not add up to paid less refunded.
    with pytest.raises(RefundProblem, match=r"add up to 259\.90 TRY but paid less refunded is 244\.90"):
        kept_order(INCLUSIVE, [refund("R6", "105.00", rl("L1", "1", "105.00"))])


def test_return_order_is_exactly_the_refunded_lines_at_the_sale_prices() -> None:
    r = refund("R1", "169.90", rl("L1", "2", "180.00"), rl("shipping", "1", "29.90"), note="wrong size")
    with pytest.raises(RefundProblem):  # 180 + 29.90 is not 169.90
        return_order(INCLUSIVE, r)
    r = refund("R1", "209.90", rl("L1", "2", "180.00"), rl("shipping", "1", "29.90"), note="wrong size")
    ret = return_order(INCLUSIVE, r)
    assert ret.order_name == "#1001 İADE"
    assert ret.buyer == INCLUSIVE.buyer and ret.created_at == REFUNDED_AT and ret.note == "wrong size"
    assert [(ln.line_ref, ln.quantity, ln.unit_price, ln.discount) for ln in ret.lines] == [
        ("L1", D(2), D("100.00"), D("20.00")), ("shipping", D(1), D("29.90"), D("0.00"))]
    assert ret.paid_total == D("209.90") == total_of(ret)


def test_return_order_takes_the_refunds_tax_per_rate() -> None:
    o = order([line("11", "2", "100.00"), line("12", "1", "10.00", rate="10")], "251.00", prices_include_vat=False,
              reported_vat={D(20): D("40.00"), D(10): D("1.00")})
    ret = return_order(o, refund("R1", "131.00", rl("11", "1", "120.00", "20.00"), rl("12", "1", "11.00", "1.00")))
    assert ret.reported_vat == {D(20): D("20.00"), D(10): D("1.00")}
    invoice = compute_invoice(ret)
    assert invoice.grand_total == D("131.00")
    assert {g.rate: g.vat for g in invoice.groups} == {D(20): D("20.00"), D(10): D("1.00")}


def test_return_order_uneven_discount_share_is_the_shops_own() -> None:
    # 3 units, 10.00 discount spread 3.34/3.33/3.33 by the shop: refunding one unit at 96.67
    # takes 3.33 of the discount, and the kept two carry 6.67.
    o = order([line("L1", "3", "100.00", discount="10.00")], "290.00")
    ret = return_order(o, refund("R1", "96.67", rl("L1", "1", "96.67")))
    assert ret.lines[0].discount == D("3.33") and total_of(ret) == D("96.67")
    kept = kept_order(o, [refund("R1", "96.67", rl("L1", "1", "96.67"))])
    assert kept is not None and kept.lines[0].discount == D("6.67") and total_of(kept) == D("193.33")


def test_return_order_without_per_line_amounts_uses_the_pro_rata_discount() -> None:
    o = order([line("L1", "4", "25.00", discount="10.00")], "90.00")
    ret = return_order(o, refund("R1", "45.00", rl("L1", "2")))
    assert ret.lines[0].discount == D("5.00") and total_of(ret) == D("45.00")
    with pytest.raises(RefundProblem, match=r"add up to 45\.00 TRY but the refund's total is 40\.00"):
        return_order(o, refund("R1", "40.00", rl("L1", "2")))


def test_return_of_a_discrepant_refund_is_a_problem() -> None:
    with pytest.raises(RefundProblem, match="refund discrepancy of 89.64"):
        return_order(INCLUSIVE, refund("R1", "139.64", rl("L2", "1", "50.00"), discrepancy="89.64"))
