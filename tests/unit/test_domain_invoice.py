"""compute_invoice: golden examples worked by hand, and the cart property the invoice must keep.

The property is the promise to the merchant: whatever the cart, the invoice's grand total is
what the customer paid, to the kuruş, and every VAT rate's subtotal is what the shop charged
for that rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_engine.domain.invoice import vat_parity_problems
from sync_engine.platforms._util import blocking_problems
from sync_engine.domain import (
    ANONYMOUS_TCKN,
    Buyer,
    BuyerKind,
    ComputedInvoice,
    InvoiceLine,
    LineKind,
    Order,
    compute_invoice,
    round_kurus,
)

D = Decimal
HUNDRED = D(100)
BUYER = Buyer(kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN, first_name="Ali", last_name="Veli")


def make_order(lines: Sequence[InvoiceLine], paid_total: Decimal | str, **kw: Any) -> Order:
    return Order(
        store_id="shop",
        platform="generic",
        order_id="1001",
        order_name="#1001",
        created_at=datetime(2025, 3, 14, 9, 0, tzinfo=UTC),
        buyer=BUYER,
        lines=tuple(lines),
        paid_total=paid_total,
        **kw,
    )


def line(
    name: str, quantity: str, unit_price: str, rate: str, discount: str = "0.00", **kw: Any
) -> InvoiceLine:
    return InvoiceLine(
        name=name,
        quantity=D(quantity),
        unit_price=D(unit_price),
        vat_rate=D(rate),
        discount=D(discount),
        **kw,
    )


def amounts(invoice: ComputedInvoice) -> list[tuple[Decimal, Decimal]]:
    return [(cl.net_amount, cl.vat_amount) for cl in invoice.lines]


def groups(invoice: ComputedInvoice) -> list[tuple[Decimal, Decimal, Decimal]]:
    return [(g.rate, g.net, g.vat) for g in invoice.groups]


def every_amount(invoice: ComputedInvoice) -> list[Decimal]:
    found = [
        invoice.paid_total,
        invoice.net_total,
        invoice.vat_total,
        invoice.grand_total,
        invoice.difference,
        invoice.discount_total_net,
    ]
    for g in invoice.groups:
        found += [g.net, g.vat, g.gross]
    for cl in invoice.lines:
        found += [cl.gross_before_discount, cl.net_amount, cl.vat_amount, cl.gross_amount]
        found += [cl.discount_net, cl.discount_gross]
    return found


# --- golden examples ---------------------------------------------------------------------


def test_inclusive_docstring_example() -> None:
    # Gross G = 99.99 + 0.01 = 100.00.
    # VAT V = round(100.00 × 20 / 120) = round(16.6666…) = 16.67; net N = 100.00 − 16.67 = 83.33.
    # N over weights 99.99 / 0.01: shares 8332.1667 and 0.8333 kuruş; floors 8332 + 0 leave
    # one kuruş for the larger remainder (the 0.01 line) → nets 83.32 / 0.01.
    # Line VAT = paid − net: 99.99 − 83.32 = 16.67, 0.01 − 0.01 = 0.00.
    invoice = compute_invoice(
        make_order([line("A", "1", "99.99", "20"), line("B", "1", "0.01", "20")], "100.00")
    )
    assert amounts(invoice) == [(D("83.32"), D("16.67")), (D("0.01"), D("0.00"))]
    assert groups(invoice) == [(D(20), D("83.33"), D("16.67"))]
    assert invoice.grand_total == D("100.00")
    assert invoice.difference == D("0.00")


def test_inclusive_half_kurus_tie_rounds_vat_up() -> None:
    # V = 39.99 × 20 / 120 = 6.665 exactly: a tie, half-up → 6.67 (half-even would say 6.66).
    # N = 39.99 − 6.67 = 33.32.
    invoice = compute_invoice(make_order([line("Kargo", "1", "39.99", "20")], "39.99"))
    assert amounts(invoice) == [(D("33.32"), D("6.67"))]
    assert groups(invoice) == [(D(20), D("33.32"), D("6.67"))]
    assert invoice.difference == 0


def test_inclusive_mixed_rates_with_discounts_and_shipping() -> None:
    lines = [
        line("Zeytinyağı", "2", "149.90", "1", "10.00"),  # 299.80 − 10.00 = 289.80 paid
        line("Kitap", "3", "45.50", "10", "6.50"),  # 136.50 − 6.50 = 130.00 paid
        line("Tişört", "1", "249.99", "20", "25.00"),  # 249.99 − 25.00 = 224.99 paid
        line("Kargo", "1", "39.99", "20", kind=LineKind.SHIPPING),  # 39.99 paid
    ]
    # Paid: 289.80 + 130.00 + 224.99 + 39.99 = 684.78.
    invoice = compute_invoice(make_order(lines, "684.78"))

    # 1 %:  G = 289.80, V = round(289.80 / 101 = 2.8693…) = 2.87, N = 286.93.
    # 10 %: G = 130.00, V = round(130.00 × 10 / 110 = 11.8181…) = 11.82, N = 118.18.
    # 20 %: G = 224.99 + 39.99 = 264.98, V = round(264.98 / 6 = 44.1633…) = 44.16,
    #       N = 220.82 over weights 224.99 / 39.99: shares 18749.4497 and 3332.5503 kuruş,
    #       floors 18749 + 3332 = 22081 leave one kuruş for the larger remainder (Kargo)
    #       → nets 187.49 / 33.33, VAT 224.99 − 187.49 = 37.50 and 39.99 − 33.33 = 6.66.
    assert groups(invoice) == [
        (D(1), D("286.93"), D("2.87")),
        (D(10), D("118.18"), D("11.82")),
        (D(20), D("220.82"), D("44.16")),
    ]
    assert amounts(invoice) == [
        (D("286.93"), D("2.87")),
        (D("118.18"), D("11.82")),
        (D("187.49"), D("37.50")),
        (D("33.33"), D("6.66")),
    ]
    # Discount net of VAT = round(before × 100 / (100 + r)) − line net:
    # 296.83 − 286.93 = 9.90; 124.09 − 118.18 = 5.91; 208.33 − 187.49 = 20.84; Kargo none.
    assert [str(cl.discount_net) for cl in invoice.lines] == ["9.90", "5.91", "20.84", "0.00"]
    before = [str(cl.gross_before_discount) for cl in invoice.lines]
    assert before == ["299.80", "136.50", "249.99", "39.99"]
    # Kitap: (118.18 + 5.91) / 3 = 41.36333333 net per unit, 8 places.
    assert invoice.lines[1].unit_price_net == D("41.36333333")
    assert invoice.net_total == D("625.93")
    assert invoice.vat_total == D("58.85")
    assert invoice.grand_total == D("684.78")
    assert invoice.difference == 0


EXCLUSIVE_LINES = [
    line("Defter", "3", "33.33", "20"),  # net 99.99
    line("Kitap", "1", "50.00", "10", "5.00"),  # net 50.00 − 5.00 = 45.00
    line("Kargo", "1", "25.00", "20", kind=LineKind.SHIPPING),  # net 25.00
]


def test_exclusive_recomputes_vat_per_rate() -> None:
    # 20 %: N = 99.99 + 25.00 = 124.99, V = round(24.998) = 25.00, spread over weights
    #       99.99 / 25.00: shares 1999.96 and 500.04 kuruş, floors 1999 + 500 leave one
    #       kuruş for the larger remainder (Defter) → 20.00 / 5.00.
    # 10 %: N = 45.00, V = round(4.50) = 4.50.
    # Paid: 124.99 + 25.00 + 45.00 + 4.50 = 199.49.
    invoice = compute_invoice(make_order(EXCLUSIVE_LINES, "199.49", prices_include_vat=False))
    assert groups(invoice) == [(D(20), D("124.99"), D("25.00")), (D(10), D("45.00"), D("4.50"))]
    assert amounts(invoice) == [
        (D("99.99"), D("20.00")),
        (D("45.00"), D("4.50")),
        (D("25.00"), D("5.00")),
    ]
    # VAT-exclusive discounts are already net.
    assert [cl.discount_net for cl in invoice.lines] == [D("0.00"), D("5.00"), D("0.00")]
    assert invoice.difference == 0


def test_exclusive_uses_the_vat_the_shop_reported() -> None:
    # This shop rounds VAT per unit: 3 × round(33.33 × 0.20 = 6.666) = 3 × 6.67 = 20.01 for
    # the notebooks, 5.00 for shipping → 25.01 at 20 %, one kuruş more than round(N × r).
    # Paid: 124.99 + 25.01 + 45.00 + 4.50 = 199.50.
    # V = 25.01 over weights 99.99 / 25.00: shares 2000.76 and 500.24 kuruş, floors
    # 2000 + 500 leave one kuruş for the larger remainder (Defter) → 20.01 / 5.00.
    order = make_order(
        EXCLUSIVE_LINES,
        "199.50",
        prices_include_vat=False,
        reported_vat={D(20): D("25.01"), D(10): D("4.50")},
    )
    invoice = compute_invoice(order)
    assert groups(invoice) == [(D(20), D("124.99"), D("25.01")), (D(10), D("45.00"), D("4.50"))]
    assert amounts(invoice) == [
        (D("99.99"), D("20.01")),
        (D("45.00"), D("4.50")),
        (D("25.00"), D("5.00")),
    ]
    assert invoice.grand_total == D("199.50")
    assert invoice.difference == 0

    # Without the report the recomputed VAT would miss the paid total by that kuruş.
    unreported = order.model_copy(update={"reported_vat": {}})
    assert compute_invoice(unreported).difference == D("0.01")


def test_zero_rate_with_exemption_code() -> None:
    # 0 %: V = 0, N = G = 2 × 50.00 = 100.00; 20 % line: V = round(12.00 / 6 = 2.00), N = 10.00.
    order = make_order(
        [
            line("Kitap", "2", "50.00", "0", vat_exemption_code="351"),
            line("Kargo", "1", "12.00", "20", kind=LineKind.SHIPPING),
        ],
        "112.00",
    )
    assert order.invoicing_problems() == []
    invoice = compute_invoice(order)
    assert groups(invoice) == [(D(0), D("100.00"), D("0.00")), (D(20), D("10.00"), D("2.00"))]
    assert amounts(invoice) == [(D("100.00"), D("0.00")), (D("10.00"), D("2.00"))]
    assert invoice.difference == 0


def test_equal_rates_written_differently_form_one_group() -> None:
    # "20" and "20.00" are the same rate; splitting them would round VAT twice.
    invoice = compute_invoice(
        make_order([line("A", "1", "19.99", "20"), line("B", "1", "19.99", "20.00")], "39.98")
    )
    assert len(invoice.groups) == 1
    # V = round(39.98 / 6 = 6.6633…) = 6.66, N = 33.32 split evenly 16.66 / 16.66.
    assert groups(invoice) == [(D(20), D("33.32"), D("6.66"))]
    assert amounts(invoice) == [(D("16.66"), D("3.33")), (D("16.66"), D("3.33"))]


def test_a_paid_total_that_does_not_match_is_reported_as_difference() -> None:
    invoice = compute_invoice(make_order([line("A", "1", "100.00", "20")], "100.01"))
    assert invoice.grand_total == D("100.00")
    assert invoice.difference == D("0.01")


def test_a_discount_larger_than_the_line_is_refused() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        compute_invoice(make_order([line("A", "1", "10.00", "20", "10.01")], "0.00"))


def test_a_fully_discounted_line_stays_on_the_invoice_at_zero() -> None:
    gift = line("Hediye", "1", "50.00", "20", "50.00")
    invoice = compute_invoice(make_order([gift, line("A", "1", "12.00", "20")], "12.00"))
    assert amounts(invoice) == [(D("0.00"), D("0.00")), (D("10.00"), D("2.00"))]


# --- the cart property -------------------------------------------------------------------

RATES = (D(0), D(1), D(10), D(20))
KG_QUANTITIES = st.one_of(
    st.sampled_from([D("0.5"), D("2.25"), D("0.125"), D("1.5")]),
    st.integers(min_value=1, max_value=50_000).map(lambda grams: D(grams).scaleb(-3)),
)
PRICES = st.integers(min_value=1, max_value=10_000_000).map(lambda kurus: D(kurus).scaleb(-2))


@st.composite
def cart_lines(draw: st.DrawFn) -> InvoiceLine:
    rate = draw(st.sampled_from(RATES))
    if draw(st.booleans()):
        quantity, unit_code = draw(KG_QUANTITIES), "KGM"
    else:
        quantity, unit_code = D(draw(st.integers(min_value=1, max_value=20))), "C62"
    price = draw(PRICES)
    before_kurus = int(round_kurus(quantity * price).scaleb(2))
    discount_kurus = draw(
        st.one_of(
            st.just(0),
            st.integers(min_value=0, max_value=before_kurus),
            st.just(before_kurus),
        )
    )
    return InvoiceLine(
        name=f"item {rate}%",
        quantity=quantity,
        unit_code=unit_code,
        unit_price=price,
        vat_rate=rate,
        discount=D(discount_kurus).scaleb(-2),
        vat_exemption_code="351" if rate == 0 else None,
        kind=draw(st.sampled_from(list(LineKind))),
    )


def shop_line_amount(item: InvoiceLine) -> Decimal:
    return round_kurus(item.quantity * item.unit_price) - item.discount


def shop_charges(
    lines: Sequence[InvoiceLine], include_vat: bool, vat_rounding: str
) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
    """What the shop charged per rate (gross), and the VAT it reports per rate if it does.

    vat_rounding, for VAT-exclusive shops: "per_rate" rounds each rate's VAT once and does not
    report it; "reported_per_rate" does the same and reports it; "reported_per_line" rounds
    each line's VAT (as many carts do) and reports the sums.
    """
    gross: dict[Decimal, Decimal] = {}
    reported: dict[Decimal, Decimal] = {}
    for rate in dict.fromkeys(item.vat_rate for item in lines):
        paid = [shop_line_amount(item) for item in lines if item.vat_rate == rate]
        net = sum(paid, D("0.00"))
        if include_vat:
            gross[rate] = net
            continue
        if vat_rounding == "reported_per_line":
            vat = sum((round_kurus(p * rate / HUNDRED) for p in paid), D("0.00"))
        else:
            vat = round_kurus(net * rate / HUNDRED)
        if vat_rounding != "per_rate":
            reported[rate] = vat
        gross[rate] = net + vat
    return gross, reported


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(cart_lines(), min_size=1, max_size=8),
    include_vat=st.booleans(),
    vat_rounding=st.sampled_from(["per_rate", "reported_per_rate", "reported_per_line"]),
)
def test_invoice_adds_up_to_what_the_shop_charged(
    lines: list[InvoiceLine], include_vat: bool, vat_rounding: str
) -> None:
    gross_by_rate, reported = shop_charges(lines, include_vat, vat_rounding)
    paid = sum(gross_by_rate.values(), D("0.00"))
    order = make_order(lines, paid, prices_include_vat=include_vat, reported_vat=reported)
    assert order.invoicing_problems() == []

    invoice = compute_invoice(order)

    assert invoice.grand_total == paid
    assert invoice.difference == 0
    assert {g.rate: g.net + g.vat for g in invoice.groups} == gross_by_rate
    assert sum((cl.net_amount for cl in invoice.lines), D(0)) == invoice.net_total
    assert sum((cl.vat_amount for cl in invoice.lines), D(0)) == invoice.vat_total
    for group in invoice.groups:
        members = [cl for cl in invoice.lines if cl.vat_rate == group.rate]
        assert sum((cl.net_amount for cl in members), D(0)) == group.net
        assert sum((cl.vat_amount for cl in members), D(0)) == group.vat
        for cl in members:
            assert cl.net_amount >= 0
            assert cl.vat_amount >= 0
            assert cl.discount_net >= 0
            # Spreading a rounded group figure moves each line by under a kuruş, plus the
            # group's own rounding; a line is never further off than a kuruş per line.
            expected_vat = cl.net_amount * cl.vat_rate / HUNDRED
            assert abs(cl.vat_amount - expected_vat) <= D("0.01") * len(members)
    for cl in invoice.lines:
        charged = shop_line_amount(cl.line)
        assert cl.gross_before_discount == round_kurus(cl.quantity * cl.line.unit_price)
        if include_vat:
            assert cl.gross_amount == charged  # each line's gross is what that line cost
        else:
            assert cl.net_amount == charged
            assert cl.discount_net == cl.line.discount
    assert all(a.as_tuple().exponent == -2 for a in every_amount(invoice))


# --- tax parity with the shop (vat_parity_problems) ----------------------------------------


def test_a_20_percent_line_whose_shop_tax_is_zero_is_refused_with_both_figures() -> None:
    # The shop says 20 % and charged no tax: invoicing 20 % adds 16.67 it never charged.
    order = make_order([line("Kazak", "1", "83.33", "20")], "83.33", prices_include_vat=False,
                       reported_vat={Decimal(20): Decimal("0.00")})
    (problem,) = vat_parity_problems(order)
    assert "VAT at 20%" in problem and "charged 0.00 TRY" in problem and "is 16.67" in problem
    assert blocking_problems(order) == [problem]


def test_per_item_rounding_is_the_tax_the_shop_charged_on_an_inclusive_order() -> None:
    # 200 × 0.07 at 20 % inclusive: the shop rounds each item's tax (0.01) and charged 2.00;
    # rounding the group would say 2.33. The invoice carries 2.00 and the totals still meet.
    order = make_order([line("Vida", "200", "0.07", "20")], "14.00",
                       reported_vat={Decimal(20): Decimal("2.00")})
    assert vat_parity_problems(order) == []
    invoice = compute_invoice(order)
    assert groups(invoice) == [(Decimal(20), Decimal("12.00"), Decimal("2.00"))]
    assert invoice.grand_total == Decimal("14.00")


def test_a_kurus_of_line_rounding_passes_and_a_wrong_rate_does_not() -> None:
    lines = [line(f"Kalem {n}", "1", "0.33", "20") for n in range(3)]
    shop_rounded = make_order(lines, "1.20", prices_include_vat=False, reported_vat={Decimal(20): Decimal("0.21")})
    assert vat_parity_problems(shop_rounded) == []  # 3 × 0.07 against 0.198: within 3 half-kuruş
    wrong_rate = make_order(lines, "1.09", prices_include_vat=False, reported_vat={Decimal(20): Decimal("0.10")})
    assert vat_parity_problems(wrong_rate)  # 10 % charged on a 20 % line


def test_an_invoice_is_dated_in_turkiyes_time_whatever_offset_the_shop_gave() -> None:
    from sync_engine.domain.invoice import invoice_date

    assert invoice_date(datetime(2026, 3, 9, 22, 30, tzinfo=UTC)) == datetime(2026, 3, 10).date()  # 01:30 TR
    assert invoice_date(datetime(2026, 3, 10, 20, 59, tzinfo=UTC)) == datetime(2026, 3, 10).date()  # 23:59 TR
