"""Laravel-style request validation for the FaturaEntegratör simulator.

FaturaEntegratör is a Laravel application (its errors are Laravel's: ``message`` plus
``errors{field: [...]}`` with status 422), so the simulator validates the way a Laravel
FormRequest does:

* the global middleware first trims every string and turns ``""`` into ``null``
  (``TrimStrings``, ``ConvertEmptyStringsToNull``) — which is why the document's own example
  can send ``"tax_office": ""`` for a person;
* one message per field (the first rule that fails), keys in dot notation
  (``lines.0.unit_price``), attribute names with ``_`` read as spaces;
* the top-level ``message`` is the first error plus "(and N more errors)".

Assumption (not in the document): messages are Laravel's English defaults (``lang/en``);
business-rule refusals elsewhere in the simulator are Turkish, as the app's own texts.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi.responses import JSONResponse

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def clean_input(value: Any) -> Any:
    """What Laravel's TrimStrings + ConvertEmptyStringsToNull middleware hand the validator."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, dict):
        return {k: clean_input(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_input(v) for v in value]
    return value


def attribute(field: str) -> str:
    return field.replace("_", " ")


class ErrorBag:
    """Laravel's MessageBag: field -> messages, rendered as the 422 answer."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def has(self, field: str) -> bool:
        return field in self.errors

    def __bool__(self) -> bool:
        return bool(self.errors)

    @property
    def message(self) -> str:
        messages = [m for ms in self.errors.values() for m in ms]
        if not messages:
            return ""
        more = len(messages) - 1
        if more == 0:
            return messages[0]
        return f"{messages[0]} (and {more} more error{'s' if more > 1 else ''})"

    def response(self) -> JSONResponse:
        return JSONResponse({"message": self.message, "errors": self.errors}, status_code=422)


def laravel_error(status: int, message: str) -> JSONResponse:
    """Every non-validation error of the API (401, 404, 406, 415, 422 business, 429, 5xx)."""
    return JSONResponse({"message": message}, status_code=status)


class Fields:
    """Typed reads of one (nested) object, each failure recorded under its dot-notation key."""

    def __init__(self, data: dict[str, Any], bag: ErrorBag, prefix: str = "") -> None:
        self.data = data
        self.bag = bag
        self.prefix = prefix

    def key(self, field: str) -> str:
        return f"{self.prefix}{field}"

    def fail(self, field: str, message: str) -> None:
        self.bag.add(self.key(field), message)

    def present(self, field: str, required: bool, when: str = "") -> bool:
        if self.data.get(field) is not None:
            return True
        if required:
            tail = f" when {when}" if when else ""
            self.fail(field, f"The {attribute(self.key(field))} field is required{tail}.")
        return False

    def string(
        self, field: str, *, required: bool = False, max_len: int = 255, when: str = ""
    ) -> str | None:
        if not self.present(field, required, when):
            return None
        value = self.data[field]
        name = attribute(self.key(field))
        if not isinstance(value, str):
            self.fail(field, f"The {name} field must be a string.")
            return None
        if len(value) > max_len:
            self.fail(field, f"The {name} field must not be greater than {max_len} characters.")
            return None
        return value

    def choice(self, field: str, allowed: tuple[str, ...], *, required: bool = False) -> str | None:
        value = self.string(field, required=required)
        if value is not None and value not in allowed:
            self.fail(field, f"The selected {attribute(self.key(field))} is invalid.")
            return None
        return value

    def email(self, field: str) -> str | None:
        value = self.string(field)
        if value is not None and not EMAIL.match(value):
            self.fail(field, f"The {attribute(self.key(field))} field must be a valid email address.")
            return None
        return value

    def integer(self, field: str, *, required: bool = False) -> int | None:
        if not self.present(field, required):
            return None
        value = self.data[field]
        if isinstance(value, bool):
            value = None
        elif isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)
        elif isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        if not isinstance(value, int):
            self.fail(field, f"The {attribute(self.key(field))} field must be an integer.")
            return None
        return value

    def numeric(
        self,
        field: str,
        *,
        required: bool = False,
        min_value: Decimal | None = None,
        gt: Decimal | None = None,
        max_places: int | None = None,
        when: str = "",
    ) -> Decimal | None:
        if not self.present(field, required, when):
            return None
        raw = self.data[field]
        name = attribute(self.key(field))
        value: Decimal | None = None
        if isinstance(raw, bool):
            value = None
        elif isinstance(raw, (int, Decimal)):
            value = Decimal(raw)
        elif isinstance(raw, str):
            try:
                value = Decimal(raw)
            except InvalidOperation:
                value = None
        if value is None or not value.is_finite():
            self.fail(field, f"The {name} field must be a number.")
            return None
        if gt is not None and not value > gt:
            self.fail(field, f"The {name} field must be greater than {gt}.")
            return None
        if min_value is not None and value < min_value:
            self.fail(field, f"The {name} field must be at least {min_value}.")
            return None
        if max_places is not None and -value.normalize().as_tuple().exponent > max_places:  # type: ignore[operator]
            self.fail(field, f"The {name} field must have 0-{max_places} decimal places.")
            return None
        return value

    def date(self, field: str, *, required: bool = False, before_or_equal: date | None = None) -> date | None:
        value = self.string(field, required=required, max_len=10)
        if value is None:
            return None
        name = attribute(self.key(field))
        try:
            if not DATE.match(value):
                raise ValueError
            parsed = date.fromisoformat(value)
        except ValueError:
            self.fail(field, f"The {name} field must match the format Y-m-d.")
            return None
        if before_or_equal is not None and parsed > before_or_equal:
            self.fail(field, f"The {name} field must be a date before or equal to today.")
            return None
        return parsed

    def obj(self, field: str, *, required: bool = False) -> dict[str, Any] | None:
        if not self.present(field, required):
            return None
        value = self.data[field]
        if not isinstance(value, dict):
            self.fail(field, f"The {attribute(self.key(field))} field must be an array.")
            return None
        return value

    def array(self, field: str, *, required: bool = False) -> list[Any] | None:
        if not self.present(field, required):
            return None
        value = self.data[field]
        if not isinstance(value, list) or not value:
            self.fail(field, f"The {attribute(self.key(field))} field must have at least 1 items.")
            return None
        return value

    def nested(self, field: str, value: dict[str, Any]) -> Fields:
        return Fields(value, self.bag, f"{self.key(field)}.")
