"""The one encoder of KolayBi request bodies: nested payloads → PHP bracket form fields.

KolayBi (Laravel) reads ``items[0][product_id]=1`` and ``addresses[city]=İstanbul`` the way
PHP's ``http_build_query`` writes them; JSON bodies are not read. Values are written so that
Laravel's rules accept them: booleans as ``1``/``0`` (its ``boolean`` rule refuses
``true``/``false`` in form input), Decimals exactly as they are (never through float), dates
as Y-m-d. ``None`` and empty lists are left out, as ``http_build_query`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot form-encode {type(value).__name__} (floats are not money)")


def bracket_form(payload: Mapping[str, Any]) -> dict[str, str]:
    """Flatten ``payload`` into ordered form fields with bracket keys."""
    fields: dict[str, str] = {}

    def walk(key: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, Mapping):
            for name, item in value.items():
                walk(f"{key}[{name}]" if key else str(name), item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(f"{key}[{index}]", item)
        else:
            fields[key] = _scalar(value)

    walk("", payload)
    return fields
