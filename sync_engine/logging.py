"""Structured logging (structlog) that never writes a secret or whole personal data.

Every record — ours and the stdlib's (celery, uvicorn, httpx) — ends in one handler on the
root logger whose formatter runs the redaction processor just before rendering, so nothing
reaches the output unredacted, whatever logger produced it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, Literal, TextIO
from urllib.parse import quote, unquote_plus

import structlog
from pydantic import SecretBytes, SecretStr
from structlog.typing import EventDict, Processor, WrappedLogger

from sync_engine.domain import mask

REDACTED = "[REDACTED]"
HANDLER_NAME = "sync_engine"
LogFormat = Literal["console", "json"]

_MAX_DEPTH = 12
# Servers that install their own handlers (and stop propagation) on these loggers: uvicorn
# from its default log_config, Celery on "celery.task" even when told to leave the root
# logger alone. Left as they are, their records would bypass redaction.
_ADOPTED_LOGGERS = (
    "uvicorn", "uvicorn.error", "uvicorn.access", "celery", "celery.task", "celery.redirected",
    "gunicorn.error", "gunicorn.access",
)


def _norm(key: str) -> str:
    # "X-Api-Key", "x_api_key" and "xApiKey" are the same key to a reader of the logs.
    return re.sub(r"[-_\s]", "", key.lower())


_SECRET_KEYS = frozenset(
    _norm(k)
    for k in (
        "authorization", "proxy-authorization", "api_key", "apikey", "x-api-key", "x-api-secret",
        "api_secret", "secret", "client_secret", "webhook_secret", "password", "passwd", "token",
        "access_token", "refresh_token", "cookie", "set-cookie", "auth", "credentials",
    )
)
_SECRET_FRAGMENTS = ("secret", "password", "passwd", "token", "apikey")
_PII_KEYS = frozenset(
    _norm(k)
    for k in (
        "tckn", "vkn", "tax_id", "tax_number", "identifier", "identity_no", "identity_number",
        "currentAccountIdentifier", "email", "e_mail", "phone", "phone_number", "contact_email",
        "contact_phone",
    )
)

_SECRET_NAME = r"[\w\-]*(?:api[_\-]?key|secret|passw(?:or)?d|token|authorization|cookie)[\w\-]*"
_TEXT = re.compile(
    # A header line: everything after the colon is the credential.
    r"(?P<header>\b(?:proxy-authorization|authorization|x-api-key|x-api-secret|set-cookie|cookie)"
    r"\s*:\s*)[^\r\n]+"
    r"|(?P<scheme>\b(?:bearer|basic)\s+)[A-Za-z0-9\-._~+/]+=*"
    # A JSON (or Python repr) pair serialised into a string: a logged request or answer body.
    r"|(?P<quoted>[\"']" + _SECRET_NAME + r"[\"']\s*:\s*)"
    r"(?P<value>\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|[^,}\]\s]+)"
    r"|(?P<pair>\b" + _SECRET_NAME + r"\s*=\s*)[^&\s\"',;]+"
    r"|(?P<userinfo>\b[a-z][a-z0-9+.\-]*://[^\s:/@]*:)[^\s@/]+(?=@)"
    # Local part: every character RFC 5322 allows unquoted, or a rare address slips through.
    r"|(?P<email>[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)"
    # TCKN (11) and VKN (10) digits; "+90…" phone numbers are the same kind of personal data.
    r"|(?P<digits>(?<![\d+])(?:\+\d{10,14}|\d{10,11})(?!\d))",
    re.IGNORECASE,
)


def mask_email(value: str) -> str:
    """``ayse@example.com`` → ``***@***.com``: only a short top-level domain survives."""
    domain = value.rpartition("@")[2]
    tld = domain.rpartition(".")[2] if "." in domain else ""
    return "***@***" + (f".{tld}" if 0 < len(tld) <= 3 else "")


def mask_pii(value: Any) -> Any:
    """Mask a personal value, keeping at most its last 2 characters (or an e-mail's TLD)."""
    if value is None:
        return None
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED
    if isinstance(value, Mapping):
        return {k: mask_pii(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_pii(v) for v in value]
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if "@" in text:
        return mask_email(text)
    return mask(text, keep=2)


def _substitute(match: re.Match[str]) -> str:
    if match.group("quoted") is not None:
        quote = match.group("value")[0]
        quote = quote if quote in "\"'" else ""
        return f"{match.group('quoted')}{quote}{REDACTED}{quote}"
    for group in ("header", "scheme", "pair", "userinfo"):
        prefix = match.group(group)
        if prefix is not None:
            return prefix + REDACTED
    if match.group("email") is not None:
        return mask_email(match.group("email"))
    return mask(match.group("digits"), keep=2)


# A run of URL-encoded text (a query string as httpx logs it: filterQuery=%5B%7B%22value%22…,
# filters[email][$eqi]=ayse%40example.com). Matched on the plain text only after decoding.
_ENCODED = re.compile(r"[^\s\"'<>]*(?:%[0-9A-Fa-f]{2}|\?)[^\s\"'<>]*")
# Re-encoding keeps a query readable and its masks visible ("***@***.com", "*********64").
_SAFE = "/:?&=,;*@[]$!~'()"


_QUERY_SEPARATORS = re.compile(r"([?&])")


def _query_part(part: str) -> str:
    """One ``key=value`` of a query, each side redacted on its own (so that an address's
    permissive local part cannot swallow the key, or the URL before it)."""
    key, equals, value = part.partition("=")
    if not equals:
        return _TEXT.sub(_substitute, part)
    return _TEXT.sub(_substitute, key) + equals + _TEXT.sub(_substitute, value)


def _decoded(match: re.Match[str]) -> str:
    run = match.group(0)
    plain = unquote_plus(run) if "%" in run else run
    redacted = "".join(
        p if p in "?&" else _query_part(p) for p in _QUERY_SEPARATORS.split(plain)
    )
    if redacted == plain:
        return run
    return quote(redacted, safe=_SAFE) if "%" in run else redacted


def redact_text(text: str) -> str:
    """Redact credentials and mask personal data inside free text; URL-like runs (query
    strings, plain or URL-encoded) are decoded before matching and re-encoded masked."""
    if "%" in text or "?" in text:
        text = _ENCODED.sub(_decoded, text)
    return _TEXT.sub(_substitute, text)


def _is_secret_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    name = _norm(key)
    return name in _SECRET_KEYS or any(fragment in name for fragment in _SECRET_FRAGMENTS)


def _is_pii_key(key: object) -> bool:
    return isinstance(key, str) and _norm(key) in _PII_KEYS


def _redact_item(key: object, value: Any, depth: int) -> Any:
    if _is_secret_key(key):
        return None if value is None else REDACTED
    if _is_pii_key(key):
        return mask_pii(value)
    return redact(value, depth)


def redact(value: Any, depth: int = 0) -> Any:
    """Redact a value of any shape: dicts and header lists by key, strings by content."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED
    if depth >= _MAX_DEPTH:
        return "[TOO DEEP]"
    if isinstance(value, Mapping):
        # Keys are text too: a mapping keyed by e-mail or VKN must not print them whole.
        return {
            redact_text(k) if isinstance(k, str) else k: _redact_item(k, v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        # ("Authorization", "Bearer …") pairs: httpx and ASGI carry headers as such lists.
        if len(value) == 2 and isinstance(value[0], str | bytes):
            name = value[0].decode("latin-1") if isinstance(value[0], bytes) else value[0]
            if _is_secret_key(name) or _is_pii_key(name):
                return type(value)((value[0], _redact_item(name, value[1], depth + 1)))
        items = [redact(item, depth + 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value).decode("utf-8", "replace"))
    if isinstance(value, BaseException):
        return redact_text(f"{type(value).__name__}: {value}")
    # Anything else would be rendered through str()/repr() by the renderer: an httpx.Request
    # repr carries its URL, query string and all. Redact the text it would have produced.
    return redact_text(str(value))


def redact_event(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: redact every value of the event (message included), by key and
    by content. The event's own keys are names chosen in code and are kept as they are."""
    return {key: _redact_item(key, value, 0) for key, value in event_dict.items()}


def _renderer(fmt: LogFormat, stream: TextIO) -> Processor:
    if fmt == "json":
        # Turkish names stay readable in JSON lines.
        return structlog.processors.JSONRenderer(ensure_ascii=False)
    colors = bool(getattr(stream, "isatty", lambda: False)())
    # plain_traceback: rich's pretty tracebacks print local variables, secrets included.
    return structlog.dev.ConsoleRenderer(
        colors=colors, exception_formatter=structlog.dev.plain_traceback
    )


def configure_logging(
    fmt: LogFormat | str = "console", level: str | int = "INFO", *, stream: TextIO | None = None
) -> None:
    """Route structlog and stdlib logging through one redacting handler on the root logger.

    Idempotent: calling it again replaces the handler installed before. Handlers that uvicorn
    and Celery put on their own loggers are removed so their records reach this one; call it
    after they set up logging (in the app factory, in the worker's ``setup_logging`` signal),
    or tell them not to (uvicorn ``log_config=None``).
    """
    if fmt not in ("console", "json"):
        raise ValueError(f"log format must be 'console' or 'json', got {fmt!r}")
    if isinstance(level, str):
        level = level.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError(f"unknown log level {level!r}")
    stream = stream if stream is not None else sys.stderr

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks become text before redaction: exception messages carry URLs and ids.
            structlog.processors.format_exc_info,
            redact_event,
            _renderer(fmt, stream),  # type: ignore[arg-type]
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    for name in _ADOPTED_LOGGERS:
        adopted = logging.getLogger(name)
        adopted.handlers.clear()
        adopted.propagate = True
        # uvicorn sets its loggers' levels from its own log_level: ours decides.
        adopted.setLevel(logging.NOTSET)
    logging.captureWarnings(True)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A logger of ours. Used before ``configure_logging``, it configures the defaults first:
    structlog's own default renders to stdout with no redaction at all."""
    if not structlog.is_configured():
        configure_logging()
    return structlog.stdlib.get_logger(name)


def bind_job_context(
    *,
    store: str | None = None,
    order: str | int | None = None,
    job_id: str | int | None = None,
    step: str | None = None,
    attempt: int | None = None,
    **extra: Any,
) -> AbstractContextManager[None]:
    """Context manager: every log line inside carries the job's coordinates.

    Values left ``None`` are not bound; on exit the keys are unbound, or restored to what an
    enclosing ``bind_job_context`` had bound (a step inside a job).
    """
    values = {"store": store, "order": order, "job_id": job_id, "step": step, "attempt": attempt}
    bound = {key: value for key, value in {**values, **extra}.items() if value is not None}
    return structlog.contextvars.bound_contextvars(**bound)
