"""JSON answers of the simulators, with Decimal amounts written as exact JSON numbers
(``12.30``, as the providers write them), never through a float. The sandbox's own writer:
it must not share the product's serialiser, or a bug there could never show in a test."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "\u0001sandbox-decimal:"
_MARKED = re.compile(r'"\\u0001sandbox-decimal:(-?[0-9]+(?:\.[0-9]+)?)"')


def _marked(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _MARK + format(value, "f")
    if isinstance(value, dict):
        return {key: _marked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_marked(item) for item in value]
    return value


def dumps(payload: Any) -> bytes:
    return _MARKED.sub(r"\1", json.dumps(_marked(payload), ensure_ascii=False)).encode()
