"""Request plumbing shared by the Turkcell simulator's Muhasebe and e-Fatura service routes:
the error shape, field checks, filterQuery and paging.

Every refusal is a ``Refusal``; the simulator turns it into ``{"Error": "…"}`` with its status
and (unless it is an ordinary "not found" probe answer) records a contract violation.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from fastapi.responses import Response

from sync_engine.sandbox.jsonout import dumps

NAME = "turkcell"

MAX_PAGE_SIZE = 500  # documented: "Tek seferde max 500 kayıttır"


class Refusal(Exception):
    """The provider refuses the request. ``violation=False`` for answers a correct client
    also gets (a 404 from a probe, an expired token)."""

    def __init__(self, status: int, message: str, *, violation: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violation = violation


def error_response(status: int, message: str) -> Response:
    # Documented Muhasebe error shape. Assumption: the e-Fatura service and the gateway
    # (401) answer in the same shape; the published text shows no other.
    return json_response({"Error": message}, status)


def json_response(data: Any, status: int = 200) -> Response:
    # dumps writes Decimals as exact JSON numbers (no float on the way out either).
    return Response(content=dumps(data), status_code=status, media_type="application/json")


def parse_json(raw: bytes, content_type: str) -> Any:
    if content_type != "application/json":
        raise Refusal(415, f"İstek gövdesi application/json olmalıdır (gelen: {content_type or 'yok'}).")
    try:
        # Amounts stay Decimal: a float would hide rounding errors the real API would reject.
        return json.loads(raw or b"null", parse_float=Decimal)
    except ValueError as exc:
        raise Refusal(400, f"Geçersiz JSON: {exc}") from None


def require_object(body: Any, what: str = "İstek gövdesi") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Refusal(400, f"{what} bir JSON nesnesi olmalıdır.")
    return body


# --- field checks ----------------------------------------------------------------------


def text(
    body: Mapping[str, Any],
    field: str,
    *,
    max_len: int | None = None,
    min_len: int | None = None,
    required: bool = False,
    where: str = "",
) -> str | None:
    value = body.get(field)
    label = f"{where}{field}"
    if value is None or value == "":
        if required:
            raise Refusal(400, f"{label} alanı zorunludur.")
        return None
    if not isinstance(value, str):
        raise Refusal(400, f"{label} alanı metin olmalıdır.")
    if max_len is not None and len(value) > max_len:
        raise Refusal(400, f"{label} en fazla {max_len} karakter olabilir.")
    if min_len is not None and len(value) < min_len:
        raise Refusal(400, f"{label} en az {min_len} karakter olmalıdır.")
    return value


def identifier(value: Any, label: str) -> str:
    """VKN (10) or TCKN (11), digits only, as the documents require everywhere."""
    if value is None or value == "":
        raise Refusal(400, f"{label} alanı zorunludur.")
    if not isinstance(value, str) or not value.isdigit() or not value.isascii():
        raise Refusal(400, f"{label} sadece rakamlardan oluşmalıdır.")
    if len(value) not in (10, 11):
        raise Refusal(400, f"{label} 10 veya 11 haneli olmalıdır.")
    return value


def number(
    body: Mapping[str, Any], field: str, *, required: bool = False, minimum: Decimal | None = None,
    where: str = "",
) -> Decimal | None:
    value = body.get(field)
    label = f"{where}{field}"
    if value is None:
        if required:
            raise Refusal(400, f"{label} alanı zorunludur.")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise Refusal(400, f"{label} sayısal olmalıdır.")
    result = Decimal(value)
    if minimum is not None and result < minimum:
        raise Refusal(400, f"{label} {minimum} değerinden küçük olamaz.")
    return result


def integer(
    body: Mapping[str, Any], field: str, *, allowed: Sequence[int] | None = None,
    required: bool = False, where: str = "",
) -> int | None:
    value = body.get(field)
    label = f"{where}{field}"
    if value is None:
        if required:
            raise Refusal(400, f"{label} alanı zorunludur.")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refusal(400, f"{label} tam sayı olmalıdır.")
    if allowed is not None and value not in allowed:
        raise Refusal(400, f"{label} geçersiz: {value} (izin verilen: {', '.join(map(str, allowed))}).")
    return value


def boolean(body: Mapping[str, Any], field: str, *, where: str = "") -> bool | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise Refusal(400, f"{where}{field} true/false olmalıdır.")
    return value


def timestamp(body: Mapping[str, Any], field: str, *, required: bool = False, where: str = "") -> datetime | None:
    value = body.get(field)
    label = f"{where}{field}"
    if value is None or value == "":
        if required:
            raise Refusal(400, f"{label} alanı zorunludur.")
        return None
    if not isinstance(value, str):
        raise Refusal(400, f"{label} tarih (ISO 8601) olmalıdır.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Refusal(400, f"{label} tarih (ISO 8601) olmalıdır: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def ettn(value: Any, label: str = "ettn") -> str:
    if not isinstance(value, str) or not value:
        raise Refusal(400, f"{label} alanı zorunludur.")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Refusal(400, f"{label} geçerli bir GUID olmalıdır: {value!r}") from None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)


def email(body: Mapping[str, Any], field: str, *, where: str = "") -> str | None:
    value = text(body, field, max_len=250, where=where)
    if value is not None and not _EMAIL.match(value):
        raise Refusal(400, f"{where}{field} geçerli bir e-posta adresi olmalıdır.")
    return value


def url(body: Mapping[str, Any], field: str, *, max_len: int = 250, required: bool = False, where: str = "") -> str | None:
    value = text(body, field, max_len=max_len, required=required, where=where)
    if value is not None and not _URL.match(value):
        raise Refusal(400, f"{where}{field} geçerli bir adres (URL) olmalıdır.")
    return value


# --- paging and filterQuery --------------------------------------------------------------


def query_int(query: Mapping[str, str], name: str, *, required: bool, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        if required:
            raise Refusal(400, f"{name} alanı zorunludur.")
        return default
    try:
        return int(raw)
    except ValueError:
        raise Refusal(400, f"{name} tam sayı olmalıdır.") from None


def query_bool(query: Mapping[str, str], name: str) -> bool | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise Refusal(400, f"{name} true/false olmalıdır.")


Accessor = Callable[[Any], Any]

# The documented operators (C seed 004), on every category. A date category is compared as
# its ISO text ("2026-01-15T00:00:00Z"), so "ile başlayan 2026-01-15" selects one day; there is
# no documented range operator, and an undocumented one is refused.
TEXT_OPERATORS = ("eşittir", "eşittir değildir", "içeren", "içermeyen", "ile başlayan", "ile başlamayan")


@dataclass(frozen=True)
class Condition:
    accessor: Accessor
    operator: str
    value: str
    is_date: bool

    def test(self, item: Any) -> bool:
        actual = self.accessor(item)
        if self.is_date and isinstance(actual, datetime):
            have = iso(actual) or ""
        else:
            have = "" if actual is None else str(actual)
        want = self.value
        low_have, low_want = have.casefold(), want.casefold()
        return {
            "eşittir": have == want,
            "eşittir değildir": have != want,
            "içeren": low_want in low_have,
            "içermeyen": low_want not in low_have,
            "ile başlayan": low_have.startswith(low_want),
            "ile başlamayan": not low_have.startswith(low_want),
        }[self.operator]


def parse_filter(
    raw: str | None, categories: Mapping[str, Accessor], date_categories: frozenset[str] = frozenset()
) -> list[Condition]:
    """``filterQuery`` is a JSON list of ``{"category","operator","value"}``; conditions are
    ANDed (assumption: the UI's filter rows narrow one another). Category names compare
    case-insensitively; an unsupported category is refused rather than ignored, because
    ignoring it would return unfiltered data to a client that believes it filtered."""
    if raw is None or raw == "":
        return []
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise Refusal(400, "filterQuery geçerli bir JSON listesi olmalıdır.") from None
    if not isinstance(parsed, list):
        raise Refusal(400, "filterQuery bir liste olmalıdır.")
    by_lower = {k.lower(): k for k in categories}
    out: list[Condition] = []
    for item in parsed:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("category", "operator", "value")):
            raise Refusal(400, "filterQuery öğeleri category, operator ve value (metin) içermelidir.")
        name = by_lower.get(item["category"].lower())
        if name is None:
            raise Refusal(400, f"filterQuery category desteklenmiyor: {item['category']}")
        if item["operator"] not in TEXT_OPERATORS:
            raise Refusal(400, f"filterQuery operator geçersiz: {item['operator']} ({', '.join(TEXT_OPERATORS)})")
        out.append(Condition(categories[name], item["operator"], item["value"], name in date_categories))
    return out


def page(
    items: Sequence[Any],
    query: Mapping[str, str],
    *,
    render: Callable[[Any], dict[str, Any]],
    categories: Mapping[str, Accessor],
    date_categories: frozenset[str] = frozenset(),
    paging_required: bool = False,
    default_size: int = 10,
) -> dict[str, Any]:
    index = query_int(query, "pageIndex", required=paging_required, default=0)
    size = query_int(query, "pageSize", required=paging_required, default=default_size)
    if index < 0:
        raise Refusal(400, "pageIndex 0 veya daha büyük olmalıdır.")
    if size < 1 or size > MAX_PAGE_SIZE:
        raise Refusal(400, f"pageSize 1 ile {MAX_PAGE_SIZE} arasında olmalıdır.")
    conditions = parse_filter(query.get("filterQuery"), categories, date_categories)
    selected = [it for it in items if all(c.test(it) for c in conditions)]
    sorted_column = query.get("sortedColumn")
    if sorted_column:
        by_lower = {k.lower(): k for k in categories}
        name = by_lower.get(sorted_column.lower())
        if name is None:
            raise Refusal(400, f"sortedColumn desteklenmiyor: {sorted_column}")
        key = categories[name]
        selected.sort(key=lambda it: (key(it) is None, key(it) if key(it) is not None else ""),
                      reverse=bool(query_bool(query, "isDesc")))
    total = len(selected)
    total_pages = (total + size - 1) // size
    chunk = selected[index * size : (index + 1) * size]
    return {
        "pageIndex": index,
        "pageSize": size,
        "totalCount": total,
        "totalPages": total_pages,
        "hasNextPage": index + 1 < total_pages,
        "hasPreviousPage": index > 0,
        "items": [render(it) for it in chunk],
    }


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
