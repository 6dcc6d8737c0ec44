"""Money arithmetic: kuruş rounding, reading shop amounts, and largest-remainder allocation."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sync_engine.domain import InvoiceLine, allocate, round_kurus, to_decimal, to_money
from sync_engine.domain.money import MoneyError

D = Decimal


def two_places(value: Decimal) -> bool:
    return value.as_tuple().exponent == -2


# --- round_kurus -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Exact half-kuruş ties go up: GİB and Turkish practice round half-up, and a banker's
        # rounding (half-even) would give 0.00, 2.66 and 2.66 on the first three.
        ("0.005", "0.01"),
        ("2.665", "2.67"),
        ("2.675", "2.68"),
        ("6.665", "6.67"),
        ("0.0049999", "0.00"),
        ("1.0050", "1.01"),
        ("1.00500000000000000001", "1.01"),
        ("16.666666", "16.67"),
        ("100", "100.00"),
        ("0", "0.00"),
        # Negatives round half away from zero, symmetric with positives (refund amounts).
        ("-0.005", "-0.01"),
        ("-2.675", "-2.68"),
        ("-0.0049", "0.00"),
        ("-1.234", "-1.23"),
    ],
)
def test_round_kurus_is_half_up(value: str, expected: str) -> None:
    result = round_kurus(D(value))
    assert result == D(expected)
    assert two_places(result)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-10**12, max_value=10**12))
def test_round_kurus_ties_always_move_away_from_zero(half_kurus: int) -> None:
    # Any value with exactly a half kuruş (x.xx5) is a tie.
    value = D(5 * (2 * half_kurus + 1)).scaleb(-3)
    result = round_kurus(value)
    assert abs(result) > abs(value)
    assert abs(result - value) == D("0.005")


# --- to_decimal / to_money ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", D("12.50")),
        ("  12.50\n", D("12.50")),
        ("0", D("0")),
        ("-3.1", D("-3.1")),
        ("1E+2", D("100")),  # printed plainly: an invoice shows 100, not 1E+2
        (7, D(7)),
        (0, D(0)),
        (10**11, D(10**11)),
        (D("2.675"), D("2.675")),
        # JSON numbers arrive as float when a caller forgot parse_float=Decimal: the shortest
        # repr is used, so the digits the shop wrote survive.
        (0.1, D("0.1")),
        (1.005, D("1.005")),
        (2.675, D("2.675")),
        (149.9, D("149.9")),
    ],
)
def test_to_decimal_reads_shop_amounts_exactly(value: object, expected: Decimal) -> None:
    result = to_decimal(value)
    assert isinstance(result, Decimal)
    assert result == expected
    assert str(result) == str(expected)


def test_to_decimal_of_float_is_not_the_binary_expansion() -> None:
    assert to_decimal(0.1) != Decimal(0.1)
    assert to_decimal(0.1 + 0.2) == D("0.30000000000000004")  # the float's own value, no guess


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.5", "12.50"),
        (12, "12.00"),
        # 1.005 as a float is 1.00499999999999989...; through Decimal(float) it would round to
        # 1.00, through repr it keeps the shop's 1.005 and rounds half-up to 1.01.
        (1.005, "1.01"),
        (2.675, "2.68"),
        (0.1, "0.10"),
        ("0.005", "0.01"),
        (D("-2.675"), "-2.68"),
    ],
)
def test_to_money_rounds_to_kurus(value: object, expected: str) -> None:
    result = to_money(value)
    assert result == D(expected)
    assert str(result) == expected


def test_to_money_of_json_numbers_parsed_as_decimal() -> None:
    payload = json.loads('{"total": 1.005, "tax": 0.1}', parse_float=Decimal)
    assert to_money(payload["total"]) == D("1.01")
    assert str(to_money(payload["tax"])) == "0.10"


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        "",
        "   ",
        "abc",
        "12,50",  # Turkish decimal comma: refused rather than read as 1250
        "1.234,56",
        "12.50 TL",
        "₺12.50",
        "0x10",
        "1.2.3",
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-inf",
        float("nan"),
        float("inf"),
        float("-inf"),
        D("NaN"),
        D("Infinity"),
        None,
        [1],
        {"amount": "1.00"},
        b"1.00",
    ],
)
def test_to_decimal_and_to_money_refuse_non_amounts(value: object) -> None:
    with pytest.raises(MoneyError):
        to_decimal(value)
    with pytest.raises(MoneyError):
        to_money(value)


def test_money_error_is_a_value_error() -> None:
    # Pydantic turns ValueError raised in validators into a ValidationError; anything else
    # escapes as a crash instead of a "malformed payload" answer.
    assert issubclass(MoneyError, ValueError)


@pytest.mark.parametrize("value", ["1e30", "1e26", 10**30, 10**20, "1e12"])
def test_to_money_refuses_out_of_range_amounts_with_money_error(value: object) -> None:
    with pytest.raises(MoneyError):
        to_money(value)


def test_invoice_line_with_out_of_range_discount_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        InvoiceLine(name="x", quantity=D(1), unit_price=D(1), vat_rate=D(20), discount="1e40")


# --- allocate: examples ------------------------------------------------------------------


def test_allocate_docstring_example() -> None:
    # 83.33 over weights 99.99 / 0.01: exact shares 8332.1667 and 0.8333 kuruş; floors 8332
    # and 0 leave one kuruş, which goes to the larger remainder (0.8333, the second part).
    assert allocate(D("83.33"), [D("99.99"), D("0.01")]) == [D("83.32"), D("0.01")]


def test_allocate_ties_go_to_the_earlier_part() -> None:
    assert allocate(D("0.01"), [D(1), D(1)]) == [D("0.01"), D("0.00")]
    assert allocate(D("0.02"), [D(1), D(1), D(1)]) == [D("0.01"), D("0.01"), D("0.00")]
    assert allocate(D("1.00"), [D(1), D(1), D(1)]) == [D("0.34"), D("0.33"), D("0.33")]
    assert allocate(D("-1.00"), [D(1), D(1), D(1)]) == [D("-0.34"), D("-0.33"), D("-0.33")]
    # Among unequal remainders the largest wins even when it is not first.
    assert allocate(D("0.10"), [D(1), D(2)]) == [D("0.03"), D("0.07")]


def test_allocate_all_zero_weights_split_evenly() -> None:
    assert allocate(D("1.00"), [D(0), D(0), D(0)]) == [D("0.34"), D("0.33"), D("0.33")]
    assert allocate(D("0.00"), [D(0), D(0)]) == [D("0.00"), D("0.00")]


def test_allocate_zero_weight_gets_nothing_when_others_weigh() -> None:
    assert allocate(D("10.00"), [D(0), D(3), D(0)]) == [D("0.00"), D("10.00"), D("0.00")]


def test_allocate_rounds_the_total_to_kurus_first() -> None:
    assert allocate(D("0.005"), [D(1)]) == [D("0.01")]
    assert allocate(D("0.004"), []) == []


def test_allocate_empty_weights() -> None:
    assert allocate(D("0.00"), []) == []
    with pytest.raises(MoneyError, match="no weights"):
        allocate(D("0.01"), [])
    with pytest.raises(MoneyError, match="no weights"):
        allocate(D("-5.00"), [])


def test_allocate_refuses_negative_weights() -> None:
    with pytest.raises(MoneyError, match="negative"):
        allocate(D("10.00"), [D(1), D("-0.01")])
    with pytest.raises(MoneyError, match="negative"):
        allocate(D("0.00"), [D(-1)])


# --- allocate: properties ----------------------------------------------------------------

totals = st.integers(min_value=-10**11, max_value=10**11).map(lambda c: D(c).scaleb(-2))
weight_values = st.one_of(
    st.just(D(0)),
    st.builds(
        lambda n, places: D(n).scaleb(-places),
        st.integers(min_value=0, max_value=10**9),
        st.integers(min_value=0, max_value=4),
    ),
)
weight_lists = st.one_of(
    st.lists(weight_values, min_size=1, max_size=15),
    st.lists(st.just(D(0)), min_size=1, max_size=6),
    st.lists(weight_values, min_size=1, max_size=1),
)


def exact_shares(total: Decimal, weights: list[Decimal]) -> list[Fraction]:
    weight_sum = sum((Fraction(w) for w in weights), Fraction(0))
    if weight_sum == 0:
        return [Fraction(total) / len(weights)] * len(weights)
    return [Fraction(total) * Fraction(w) / weight_sum for w in weights]


@settings(max_examples=500, deadline=None)
@given(totals, weight_lists)
def test_allocate_parts_sum_exactly_and_stay_near_their_share(
    total: Decimal, weights: list[Decimal]
) -> None:
    parts = allocate(total, weights)

    assert len(parts) == len(weights)
    assert sum(parts, D(0)) == total
    assert all(two_places(p) for p in parts)
    for part, share in zip(parts, exact_shares(total, weights), strict=True):
        assert abs(Fraction(part) - share) < Fraction(1, 100)
        # Never the wrong sign: a discount split never turns into a surcharge on some line.
        assert part == 0 or (part > 0) == (total > 0)
    if any(weights):
        assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)
    assert allocate(total, list(weights)) == parts


@settings(max_examples=200, deadline=None)
@given(totals, st.integers(min_value=1, max_value=12), weight_values)
def test_allocate_equal_weights_favour_earlier_parts(
    total: Decimal, count: int, weight: Decimal
) -> None:
    parts = allocate(total, [weight] * count)
    magnitudes = [abs(p) for p in parts]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert magnitudes[0] - magnitudes[-1] <= D("0.01")


@settings(max_examples=200, deadline=None)
@given(totals, weight_lists, st.integers(min_value=1, max_value=1000))
def test_allocate_is_invariant_under_weight_scaling(
    total: Decimal, weights: list[Decimal], factor: int
) -> None:
    assert allocate(total, [w * factor for w in weights]) == allocate(total, weights)
