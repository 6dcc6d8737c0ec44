"""Shop-side money arithmetic for the order factories: how a shop rounds and spreads amounts
when it builds an order. Written apart from ``sync_engine.domain`` on purpose — the payloads
these factories make are the product's input, and a rounding bug shared with the product's own
arithmetic could not show up in the tests that feed it these payloads."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0.00")
_CENT = Decimal("0.01")


def round_kurus(value: Decimal) -> Decimal:
    """Half-up to the kuruş, as shops print amounts."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Spread ``total`` over ``weights`` in whole kuruş that add up to it: each part its floor
    share, the kuruş left over to the largest remainders (earlier part first on a tie)."""
    cents = int((round_kurus(total) * 100).to_integral_value())
    if not weights:
        return []
    weight_sum = sum(weights, Decimal(0))
    shares = [Decimal(cents) * w / weight_sum if weight_sum else Decimal(cents) / len(weights) for w in weights]
    parts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (parts[i] - shares[i], i))
    for i in by_remainder[: cents - sum(parts)]:
        parts[i] += 1
    return [Decimal(p) / 100 for p in parts]
