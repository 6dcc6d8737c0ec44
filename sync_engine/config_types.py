"""Field types shared by the settings, the stores file and every provider's config model.

Each validator fails with one sentence naming what is wrong; ``config/stores.py`` turns that into
``stores[<id>].<key>: <sentence>``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr
from pydantic_core import PydanticCustomError

from sync_engine.domain import TaxIdError, validate_vkn


def _fail(reason: str) -> PydanticCustomError:
    # The reason travels as context, not as the template: user input may contain braces.
    return PydanticCustomError("sync_config", "{reason}", {"reason": reason})




def redact_url(url: str) -> str:
    """Hide the password of ``scheme://user:password@host`` URLs (database, Redis)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _toml_type(value: object) -> str:
    names = {bool: "boolean", int: "integer", float: "float", str: "string"}
    names |= {list: "array", dict: "table"}
    return names.get(type(value), type(value).__name__)


def _non_empty_text(value: str) -> str:
    value = value.strip()
    if not value:
        raise _fail("must not be empty")
    return value


def _non_empty_secret(value: SecretStr) -> SecretStr:
    if not value.get_secret_value().strip():
        raise _fail("must not be empty")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise _fail(f"must be an http(s) URL, got {redact_url(value)!r}")
    # DESIGN §7: documented paths are appended to base_url exactly as written, so a
    # trailing slash would double up; scheme and host are case-insensitive.
    normalised = parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower())
    return urlunsplit(normalised).rstrip("/")


def _vkn(value: str) -> str:
    try:
        return validate_vkn(value)
    except TaxIdError as exc:
        raise _fail(f"{value!r}: {exc}") from None


def _id_value(value: object) -> object:
    # FaturaEntegratör ids are numeric in its Laravel API, but a value read from the
    # environment is always a string: keep "7" and 7 the same id.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _fail(f"wrong type: expected an integer or a string, got {_toml_type(value)}")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def _invoice_prefix(value: str) -> str:
    # GİB invoice numbers are a 3-character series + year + 9-digit sequence; the series
    # is upper-case Latin letters and digits (no Turkish letters).
    if not re.fullmatch(r"[A-Z0-9]{3}", value):
        raise _fail(
            f"invoice prefix must be exactly 3 characters, uppercase letters A-Z or digits "
            f"(GİB series), got {value!r}"
        )
    return value


def _store_id(value: str) -> str:
    # The id is a URL path segment (POST /webhooks/{platform}/{store_id}).
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value):
        raise _fail(
            f"store id must be 1-64 letters, digits, '.', '_' or '-' (got {value!r})"
        )
    return value


def _secret_list(value: object) -> object:
    return [value] if isinstance(value, str | SecretStr) else value


Text = Annotated[str, AfterValidator(_non_empty_text)]
Secret = Annotated[SecretStr, AfterValidator(_non_empty_secret)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
Vkn = Annotated[str, AfterValidator(_vkn)]
IdValue = Annotated[int | str, BeforeValidator(_id_value)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


def _fingerprint(secret: SecretStr) -> str:
    """A short, stable, one-way identifier of an API key (never the key itself)."""
    return hashlib.sha256(secret.get_secret_value().encode()).hexdigest()[:16]



class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
