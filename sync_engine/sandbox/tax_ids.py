"""TCKN / VKN checks for the simulators, written from GİB's published algorithms
(FACTS.md §5.8), on purpose independent of ``sync_engine.domain``: a bug in the product's
own validator must not be mirrored by the provider it is tested against."""

from __future__ import annotations

ANONYMOUS_TCKN = "11111111111"  # GİB practice for a consumer who gives no TCKN; fails the checksum


def is_tckn(value: str) -> bool:
    """11 digits, first not 0; d10 = (7·odd − even) mod 10; d11 = sum(d1..d10) mod 10."""
    if len(value) != 11 or not value.isdigit() or value[0] == "0":
        return False
    d = [int(c) for c in value]
    d10 = (7 * (d[0] + d[2] + d[4] + d[6] + d[8]) - (d[1] + d[3] + d[5] + d[7])) % 10
    return d[9] == d10 and d[10] == sum(d[:10]) % 10


def is_vkn(value: str) -> bool:
    """10 digits; for i = 0..8: t = (d[i] + 9 − i) mod 10, then (t · 2^(9−i)) mod 9, 9 for 0
    (t = 0 stays 0); check digit = (10 − Σt mod 10) mod 10."""
    if len(value) != 10 or not value.isdigit():
        return False
    total = 0
    for i in range(9):
        t = (int(value[i]) + 9 - i) % 10
        if t:
            t = (t * 2 ** (9 - i)) % 9 or 9
        total += t
    return int(value[9]) == (10 - total % 10) % 10


def is_identifier(value: str, *, allow_anonymous: bool = True) -> bool:
    """A valid VKN (10) or TCKN (11), or the anonymous-consumer TCKN where allowed."""
    if allow_anonymous and value == ANONYMOUS_TCKN:
        return True
    return is_vkn(value) if len(value) == 10 else is_tckn(value)
