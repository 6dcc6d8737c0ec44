"""List endpoints: Strapi-style filters and Laravel pagination (assumed; DESIGN §7).

Filters are ``filters[<field>][<operator>]=<value>`` (``$in`` takes ``[$in][0]=…&[$in][1]=…``);
several filters are ANDed. Operators: ``$eq``, ``$eqi`` (case-insensitive), ``$ne``, ``$in``,
``$contains``, ``$containsi``, ``$gt``, ``$gte``, ``$lt``, ``$lte``. An unknown field or
operator is refused with 422 (Strapi answers 400 "Invalid key"; this API's errors are
Laravel's, so the simulator keeps Laravel's 422 shape).

Pagination (choice, where the documents are silent): Laravel's own ``page`` and ``per_page``
(default 15, at most 100), ``sort=<field>:asc|desc`` (default ``id:asc``), and the answer is a
Laravel resource collection: ``{"data": [...], "links": {...}, "meta": {current_page,
last_page, per_page, total, from, to, path}}``. Strapi's ``pagination[page]`` is not accepted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sync_engine.sandbox.faturaentegrator.errors import ErrorBag
from sync_engine.sandbox.http_util import parse_bracket_form

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 15
COMPARISONS = ("$gt", "$gte", "$lt", "$lte")
OPERATORS = ("$eq", "$eqi", "$ne", "$in", "$contains", "$containsi", *COMPARISONS)

Row = dict[str, Any]


@dataclass
class ListQuery:
    predicates: list[Callable[[Row], bool]] = field(default_factory=list)
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: str = "id"
    descending: bool = False


def _predicate(name: str, op: str, value: Any) -> Callable[[Row], bool]:
    def test(row: Row) -> bool:
        current = row.get(name)
        text = None if current is None else str(current)
        if op == "$eq":
            return text == value
        if op == "$eqi":
            return text is not None and text.casefold() == value.casefold()
        if op == "$ne":
            return text != value
        if op == "$in":
            return text in value
        if op == "$contains":
            return text is not None and value in text
        if op == "$containsi":
            return text is not None and value.casefold() in text.casefold()
        if text is None:
            return False
        # Comparisons: dates in Y-m-d and ids compare correctly as zero-padded / numeric.
        left: Any = int(text) if isinstance(current, int) else text
        right: Any = int(value) if isinstance(current, int) else value
        return {
            "$gt": left > right, "$gte": left >= right, "$lt": left < right, "$lte": left <= right,
        }[op]

    return test


def _int_param(bag: ErrorBag, params: dict[str, Any], name: str, default: int, maximum: int | None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not isinstance(raw, str) or not raw.isdigit():
        bag.add(name, f"The {name.replace('_', ' ')} field must be an integer.")
        return default
    value = int(raw)
    if value < 1:
        bag.add(name, f"The {name.replace('_', ' ')} field must be at least 1.")
    elif maximum is not None and value > maximum:
        bag.add(name, f"The {name.replace('_', ' ')} field must not be greater than {maximum}.")
    return value


def parse_list_query(
    pairs: list[tuple[str, str]], fields: dict[str, str], sortable: tuple[str, ...]
) -> tuple[ListQuery, ErrorBag]:
    """``fields``: filterable field -> kind (``text``, ``date`` or ``int``)."""
    params = parse_bracket_form(pairs)
    bag = ErrorBag()
    query = ListQuery(
        page=_int_param(bag, params, "page", 1, None),
        per_page=_int_param(bag, params, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
    )
    sort = params.get("sort") or "id:asc"
    sort_field, _, direction = str(sort).partition(":")
    if sort_field not in sortable or direction not in ("", "asc", "desc"):
        bag.add("sort", "The selected sort is invalid.")
    else:
        query.sort, query.descending = sort_field, direction == "desc"

    filters = params.get("filters") or {}
    if not isinstance(filters, dict):
        bag.add("filters", "The filters field must be an array.")
        return query, bag
    for name, ops in filters.items():
        key = f"filters.{name}"
        if name not in fields:
            bag.add(key, f"Invalid filter key: {name}.")
            continue
        if not isinstance(ops, dict):
            bag.add(key, f"The {key} field must be an array of operators.")
            continue
        for op, value in ops.items():
            if op not in OPERATORS:
                bag.add(f"{key}.{op}", f"Invalid filter operator: {op}.")
                continue
            if op == "$in":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    bag.add(f"{key}.{op}", f"The {key}.{op} field must be an array.")
                    continue
            elif not isinstance(value, str):
                bag.add(f"{key}.{op}", f"The {key}.{op} field must be a string.")
                continue
            if fields[name] == "date" and op != "$in":
                try:
                    date.fromisoformat(value)
                    if len(value) != 10:
                        raise ValueError
                except ValueError:
                    bag.add(f"{key}.{op}", f"The {key}.{op} field must match the format Y-m-d.")
                    continue
            if fields[name] == "int" and op in COMPARISONS and not value.lstrip("-").isdigit():
                bag.add(f"{key}.{op}", f"The {key}.{op} field must be an integer.")
                continue
            query.predicates.append(_predicate(name, op, value))
    return query, bag


def paginate(rows: list[Row], query: ListQuery, render: Callable[[Row], Row], url: str) -> dict[str, Any]:
    matching = [r for r in rows if all(p(r) for p in query.predicates)]
    matching.sort(key=lambda r: (r.get(query.sort) is None, r.get(query.sort), r["id"]), reverse=query.descending)
    total = len(matching)
    last_page = max(1, math.ceil(total / query.per_page))
    start = (query.page - 1) * query.per_page
    chunk = matching[start : start + query.per_page]

    def link(page: int) -> str:
        return f"{url}?page={page}&per_page={query.per_page}"

    return {
        "data": [render(r) for r in chunk],
        "links": {
            "first": link(1),
            "last": link(last_page),
            "prev": link(query.page - 1) if query.page > 1 else None,
            "next": link(query.page + 1) if query.page < last_page else None,
        },
        "meta": {
            "current_page": query.page,
            "from": start + 1 if chunk else None,
            "last_page": last_page,
            "path": url,
            "per_page": query.per_page,
            "to": start + len(chunk) if chunk else None,
            "total": total,
        },
    }
