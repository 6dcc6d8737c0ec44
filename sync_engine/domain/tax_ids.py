"""TCKN / VKN rules (checksums by python-stdnum) and the anonymous consumer."""

from __future__ import annotations

from stdnum.exceptions import ValidationError
from stdnum.tr import tckimlik as _tckn
from stdnum.tr import vkn as _vkn

# GİB's stand-in for a consumer who gave no TCKN. It fails the TCKN checksum on purpose,
# so it is admitted explicitly and only for the anonymous consumer.
ANONYMOUS_TCKN = "11111111111"


class TaxIdError(ValueError):
    """A TCKN or VKN that is not valid."""


def _digits(value: str) -> str:
    return "".join(value.split())


def validate_tckn(value: str) -> str:
    """Return the TCKN if valid (11 digits, checksums), else raise ``TaxIdError``."""
    number = _digits(value)
    try:
        return str(_tckn.validate(number))
    except ValidationError as exc:
        raise TaxIdError(f"invalid TCKN ({exc.message})") from exc


def validate_vkn(value: str) -> str:
    """Return the VKN if valid (10 digits, checksum), else raise ``TaxIdError``."""
    number = _digits(value)
    try:
        return str(_vkn.validate(number))
    except ValidationError as exc:
        raise TaxIdError(f"invalid VKN ({exc.message})") from exc


def is_valid_tckn(value: str) -> bool:
    try:
        validate_tckn(value)
    except TaxIdError:
        return False
    return True


def is_valid_vkn(value: str) -> bool:
    try:
        validate_vkn(value)
    except TaxIdError:
        return False
    return True


def mask(value: str | None, keep: int = 2) -> str:
    """Mask personal data for logs: keep only the last ``keep`` characters."""
    if not value:
        return ""
    keep = max(0, min(keep, len(value) // 2))
    return "*" * (len(value) - keep) + (value[-keep:] if keep else "")
