"""How the shop platforms write JSON and stamp times, byte for byte (payloads README §2).

The simulators answer with these bytes and the dev tools' webhook sender signs them: one
writer, so a signed test webhook and a simulated API answer cannot drift apart. It lives in
the sandbox (which imports nothing outside itself); ``sync_engine.devtools`` imports it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

Payload = Mapping[str, Any] | list[Any] | bytes

# Turkey has kept UTC+03:00 all year since 2016; shops there stamp orders with it.
TR_TZ = timezone(timedelta(hours=3))


def json_number(value: Any) -> float:
    """``json.dumps`` default: payloads read back with ``parse_float=Decimal`` carry Decimal
    numbers where the platforms send floats (tax rates, WooCommerce line prices)."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def shopify_body(payload: Payload) -> bytes:
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=json_number).encode("utf-8")


def wp_json_encode(payload: Any) -> bytes:
    """PHP ``json_encode`` with default flags, as ``wp_json_encode`` calls it.

    ``ensure_ascii`` gives PHP's ``\\uXXXX`` (lowercase hex, surrogate pairs beyond the BMP);
    a "/" can only occur inside JSON strings, so escaping every one is exact.
    """
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"), default=json_number)
    return text.replace("/", "\\/").encode("ascii")
