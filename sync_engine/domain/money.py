"""Money arithmetic: the one place where amounts are parsed and rounded.

Every amount on an invoice is a ``Decimal`` in kuruş precision (0.01), rounded half-up,
which is how GİB's UBL validation and Turkish accounting practice round. No float ever
enters: shop payloads carry money as strings *and* as JSON numbers, so ``to_money``
accepts both but converts numbers through ``str`` (and callers parse JSON with
``parse_float=Decimal``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

KURUS = Decimal("0.01")
ZERO = Decimal("0.00")
# No order is worth a trillion lira; anything larger is garbage, not money (and would
# overflow the 14-digit columns of the state table).
MAX_AMOUNT = Decimal(10) ** 12


class MoneyError(ValueError):
    """An amount that cannot be read as money."""


def round_kurus(value: Decimal) -> Decimal:
    """Round to kuruş, half-up. The only rounding rule for amounts in sync-engine."""
    try:
        rounded = value.quantize(KURUS, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise MoneyError(f"amount out of range: {value!r}") from exc
    return rounded if rounded else abs(rounded)  # never "-0.00"


def to_decimal(value: object) -> Decimal:
    """Read a shop amount (str, int, Decimal, or a JSON float) without binary-float error."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):  # bool is an int subclass; never money
        raise MoneyError(f"not an amount: {value!r}")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr() of a float is the shortest string that round-trips: 0.1 -> "0.1".
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise MoneyError("empty amount")
        try:
            result = Decimal(text)
        except InvalidOperation as exc:
            raise MoneyError(f"not an amount: {value!r}") from exc
    else:
        raise MoneyError(f"not an amount: {value!r}")
    if not result.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    if abs(result) >= MAX_AMOUNT:
        raise MoneyError(f"amount out of range: {value!r}")
    if result.as_tuple().exponent > 0:  # type: ignore[operator]
        # "1e3" reads as Decimal('1E+3'), which str() prints as "1E+3": an invoice wants 1000.
        result = result.quantize(Decimal(1))
    return result


def to_money(value: object) -> Decimal:
    """Read an amount and round it to kuruş."""
    return round_kurus(to_decimal(value))


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` (kuruş) over ``weights`` so the parts sum to ``total`` exactly.

    Largest-remainder method: every part is the floor of its exact share in kuruş, and the
    kuruş left over go to the parts with the largest remainders (ties to the earlier part,
    so the result is deterministic). Used to spread an order discount over lines and a
    VAT-group's net or VAT amount over its lines.
    """
    total = round_kurus(total)
    if not weights:
        if total != ZERO:
            raise MoneyError(f"cannot allocate {total} over no weights")
        return []
    if any(w < 0 for w in weights):
        raise MoneyError("allocation weights must not be negative")
    weight_sum = sum(weights, Decimal(0))
    cents = int((total / KURUS).to_integral_value())
    sign = -1 if cents < 0 else 1
    cents = abs(cents)
    if weight_sum == 0:
        shares = [Decimal(cents) / len(weights)] * len(weights)
    else:
        shares = [Decimal(cents) * w / weight_sum for w in weights]
    floors = [int(s) for s in shares]  # shares are non-negative: int() floors
    leftover = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Decimal(sign * c) * KURUS for c in floors]
