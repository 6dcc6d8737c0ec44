"""Small request helpers shared by the simulators."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

_BRACKET = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")


def parse_bracket_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Decode PHP-style bracket keys (``items[0][product_id]=1``) into nested dicts/lists,
    as the real PHP/Laravel back ends do."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = [m.group(1) if m.group(1) is not None else m.group(2) for m in _BRACKET.finditer(key)]
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, {})
        # dicts with all-digit keys become lists below
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {k: _listify(v) for k, v in node.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return node


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    form = await request.form()
    return [(k, v if isinstance(v, str) else "") for k, v in form.multi_items()]


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()
