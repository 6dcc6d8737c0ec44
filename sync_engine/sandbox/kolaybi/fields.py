"""Field rules of the KolayBi simulator: Laravel-style validation of bracket-form input.

The declarative contract (``contract.py``) decides whether a request is acceptable; these
helpers read the values the handlers store (text → int, Decimal, date), with Laravel's
messages for the few checks only the handlers make (decimal places, the books). Every failure is a ``Refusal`` carrying the
HTTP status and the message the simulator answers with ``{"success": false, "message": …}``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# Laravel's `boolean` rule accepts only these in form input: "true"/"false" fail it.
_BOOL = {"1": True, "0": False}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")

VAT_RATES = frozenset({0, 1, 8, 10, 18, 20})  # the API's enum; 8/18 only legal before 2023-07-10
CURRENCIES = frozenset(
    "TRY USD EUR GBP CHF JPY CAD AUD SEK NOK DKK PLN CZK HUF RUB CNY KRW SAR AED EGP".split()
)


class Refusal(Exception):
    """A request the simulator refuses. ``violation`` is False for refusals that belong to a
    normal life cycle (an expired token), which contract tests must not count as bugs."""

    def __init__(self, status: int, message: str, *, violation: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violation = violation


def invalid(message: str) -> Refusal:
    return Refusal(422, message)


def text(
    form: Mapping[str, Any], key: str, *, required: bool = False, min_len: int = 0,
    max_len: int = 255, where: str = "",
) -> str | None:
    value = form.get(key)
    if value is None or value == "":
        if required:
            raise invalid(f"{where}{key} is required")
        return None
    if not isinstance(value, str):
        raise invalid(f"{where}{key} must be a string")
    if len(value.strip()) < min_len:
        raise invalid(f"{where}{key} must be at least {min_len} characters")
    if len(value) > max_len:
        raise invalid(f"{where}{key} may not be greater than {max_len} characters")
    return value


def integer(
    form: Mapping[str, Any], key: str, *, required: bool = False, where: str = ""
) -> int | None:
    value = text(form, key, required=required, where=where)
    if value is None:
        return None
    if not value.isdigit():
        raise invalid(f"{where}{key} must be an integer")
    return int(value)


def decimal(
    form: Mapping[str, Any], key: str, *, required: bool = False, places: int = 2,
    minimum: Decimal | None = None, where: str = "",
) -> Decimal | None:
    value = text(form, key, required=required, where=where)
    if value is None:
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise invalid(f"{where}{key} must be a number") from None
    if not number.is_finite():
        raise invalid(f"{where}{key} must be a number")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise invalid(f"{where}{key} may have at most {places} decimal places")
    if minimum is not None and number < minimum:
        raise invalid(f"{where}{key} must be at least {minimum}")
    return number


def boolean(form: Mapping[str, Any], key: str, *, default: bool, where: str = "") -> bool:
    value = text(form, key, where=where)
    if value is None:
        return default
    if value not in _BOOL:
        raise invalid(f"{where}{key} field must be true or false (1 or 0)")
    return _BOOL[value]


def iso_date(
    form: Mapping[str, Any], key: str, *, required: bool = False, where: str = ""
) -> date | None:
    value = text(form, key, required=required, where=where)
    if value is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(f"{where}{key} does not match the format Y-m-d") from None


def loose_date(
    form: Mapping[str, Any], key: str, *, required: bool = False, where: str = ""
) -> str | None:
    """Laravel's `date` rule (anything strtotime reads); we accept ISO dates and date-times."""
    value = text(form, key, required=required, where=where)
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise invalid(f"{where}{key} is not a valid date") from None
    return value


def choice(
    form: Mapping[str, Any], key: str, allowed: Collection[str], *, required: bool = False,
    where: str = "",
) -> str | None:
    value = text(form, key, required=required, where=where)
    if value is not None and value not in allowed:
        options = ", ".join(sorted(allowed))
        raise invalid(f"{where}the selected {key} is invalid ({value!r}; allowed: {options})")
    return value


def vat_rate(
    form: Mapping[str, Any], key: str, *, required: bool = False, where: str = ""
) -> int | None:
    value = text(form, key, required=required, where=where)
    if value is None:
        return None
    if not value.isdigit() or int(value) not in VAT_RATES:
        raise invalid(
            f"{where}the selected {key} is invalid ({value!r}; allowed: 0, 1, 8, 10, 18, 20)"
        )
    return int(value)


def email(form: Mapping[str, Any], key: str, *, where: str = "") -> str | None:
    value = text(form, key, where=where)
    if value is not None and not _EMAIL.match(value):
        raise invalid(f"{where}{key} must be a valid email address")
    return value


def url(
    form: Mapping[str, Any], key: str, *, required: bool = False, where: str = ""
) -> str | None:
    value = text(form, key, required=required, max_len=500, where=where)
    if value is not None and not _URL.match(value):
        raise invalid(f"{where}{key} must be a valid URL")
    return value


def mapping(form: Mapping[str, Any], key: str, *, required: bool = False) -> dict[str, Any] | None:
    value = form.get(key)
    if value is None:
        if required:
            raise invalid(f"{key} is required")
        return None
    if not isinstance(value, dict):
        raise invalid(f"{key} must be an array of fields ({key}[field]=…)")
    return value


def records(form: Mapping[str, Any], key: str, *, required: bool = False) -> list[dict[str, Any]]:
    """A list of bracket records (``items[0][…]``); a single record (``addresses[city]``) is
    taken as a list of one, as the associate endpoint accepts both."""
    value = form.get(key)
    if value is None:
        if required:
            raise invalid(f"{key} is required")
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise invalid(f"{key} must be a list of records ({key}[0][field]=…)")
    if required and not value:
        raise invalid(f"{key} must have at least 1 item")
    return value
