"""FaturaEntegratör's error answers (a Laravel app): ``{"message": ...}`` for every error,
plus ``errors{field: [...]}`` on a 422 (C FACTS §2.4 ``message``; the ``errors`` bag is I,
Laravel's shape). Keys in dot notation (``lines.0.tax_rate``); the top-level message is the
first error plus "(and N more errors)", as Laravel renders it."""

from __future__ import annotations

from fastapi.responses import JSONResponse


class ErrorBag:
    """Laravel's MessageBag: field -> messages, rendered as the 422 answer."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

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
