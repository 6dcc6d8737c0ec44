"""Helpers every platform adapter needs: headers, JSON, HMAC, amounts, ids, dates."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from sync_engine.domain import Order, compute_invoice, to_decimal
from sync_engine.domain.invoice import vat_parity_problems
from sync_engine.platforms.base import MalformedPayload

HUNDRED = Decimal(100)


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names are case-insensitive (HTTP/2 sends them lowercased): key on lowercase."""
    return {str(k).lower(): str(v) for k, v in headers.items()}


def first_header(headers: Mapping[str, str], *names: str) -> str | None:
    """The first non-blank value among ``names`` (already lowercased headers)."""
    for name in names:
        value = headers.get(name)
        if value is not None and value.strip():
            return value.strip()
    return None


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a valid amount")


def load_json(body: bytes) -> Any:
    """Parse a body keeping every number exact: floats as Decimal, ints as int."""
    try:
        return json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload(f"body is not valid JSON: {exc}") from exc


def load_json_object(body: bytes) -> dict[str, Any]:
    data = load_json(body)
    if not isinstance(data, dict):
        raise MalformedPayload(f"body must be a JSON object, got {type(data).__name__}")
    return data


def hmac_sha256_b64(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def signature_matches(given: str, expected: Iterable[str]) -> bool:
    """Constant-time comparison against every candidate (no early exit on a match).

    Compared as bytes: ``hmac.compare_digest`` refuses non-ASCII str, and a garbled header
    must fail the check, not crash the request.
    """
    given_bytes = given.strip().encode("utf-8", "replace")
    matched = False
    for candidate in expected:
        if hmac.compare_digest(given_bytes, candidate.encode("utf-8", "replace")):
            matched = True
    return matched


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def amount(value: object, default: Decimal | None = None) -> Decimal:
    """A shop amount as Decimal; None or "" reads as ``default`` when one is given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise ValueError("missing amount")
        return default
    return to_decimal(value)


def percent(fraction: Decimal) -> Decimal:
    """A tax rate given as a fraction (0.2) as a percent with a tidy exponent (20)."""
    return tidy(fraction * HUNDRED)


def tidy(value: Decimal) -> Decimal:
    """20.0 → 20, 8.50 → 8.5: rates become dict keys and appear on invoices."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def id_text(value: object) -> str | None:
    """A platform id as text, exactly: never through float (Shopify ids exceed 2^53)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value)
    if isinstance(value, float):
        # Already lossy if it got here; keep the integral digits rather than "8.2e+17".
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


_DIGITS = re.compile(r"[1-9][0-9]{0,19}")


def order_id_of(value: object, what: str = "order id") -> str | None:
    """A Shopify / WooCommerce order id: a positive integer (a JSON number, or its digits as
    text), as both platforms document it. None when absent; anything else (an object, a list,
    1.5, -5, 0, text with a newline) is a ``MalformedPayload`` naming the field: it would be
    printed on a legal invoice and is a key of the state table."""
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise MalformedPayload(f"{what} must be a positive integer, got {type(value).__name__}")
    if isinstance(value, float) and not value.is_integer():
        raise MalformedPayload(f"{what} must be a positive integer, got {value!r}")
    if isinstance(value, Decimal) and value != value.to_integral_value():
        raise MalformedPayload(f"{what} must be a positive integer, got {value}")
    text_ = id_text(value)
    if text_ is None:
        return None
    if not _DIGITS.fullmatch(text_):
        shown = text_ if len(text_) <= 30 and text_.isprintable() else f"{len(text_)} characters"
        raise MalformedPayload(f"{what} must be a positive integer, got {shown!r}")
    return text_


def parse_datetime(value: object, *, naive_is_utc: bool = True) -> datetime | None:
    """ISO 8601 with or without offset or 'Z'; naive times are UTC (WooCommerce *_gmt)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 date: {value!r}") from exc
    if parsed.tzinfo is None and naive_is_utc:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def text(value: object) -> str:
    """A display string from a field that may be null or a number."""
    if value is None:
        return ""
    return str(value).strip()


def describe(exc: ValidationError) -> str:
    """A pydantic error as one line for operators: where, and what is wrong."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def blocking_problems(order: Order) -> list[str]:
    """Why this order must not be invoiced automatically (empty = go ahead).

    The domain's own rules, plus the arithmetic: an order whose lines do not add up to
    what the customer paid goes to an operator instead of onto a legal document.
    """
    problems = order.invoicing_problems()
    try:
        invoice = compute_invoice(order)
        problems.extend(vat_parity_problems(order))
    except ValueError as exc:
        return [*problems, str(exc)]
    if invoice.difference:
        problems.append(
            f"invoice lines add up to {invoice.grand_total} {order.currency} but the order "
            f"total is {order.paid_total} (difference {invoice.difference})"
        )
    return problems
