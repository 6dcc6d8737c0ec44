"""The error taxonomy of calls to remote services — the providers' APIs and the shops'
(reconciliation lists orders through the same rules) — decided once per response (Sentry's
ApiError idea). It sits below every layer so that providers, platforms, the pipeline and
reconciliation all speak it without importing each other.

Callers act on the class, never on status codes:
* ``TransientError``: retry later (timeouts, connection errors, 5xx, 408/425/429). For a
  non-idempotent call the effect may or may not have happened: the pipeline treats the
  outcome as unknown and probes before any irreversible retry.
* ``PermanentError``: the provider refused the request (validation, business rule). Retrying
  the same request cannot help; the provider's own message is kept for the operator.
* ``AuthError``: credentials or configuration are wrong (after one token refresh).
* ``UnsupportedCapability``: the provider does not offer the operation at all.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from datetime import UTC, datetime

import httpx

BODY_LIMIT = 500


class UnsupportedCapability(Exception):
    def __init__(self, provider: str, capability: str) -> None:
        super().__init__(f"{provider} does not support {capability}")
        self.provider = provider
        self.capability = capability


class ProviderError(Exception):
    """A failed provider call, with what an operator needs to see."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        endpoint: str,
        status: int | None = None,
        body: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.endpoint = endpoint
        self.status = status
        self.body = (body or "")[:BODY_LIMIT] or None
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f"{self.provider} {self.endpoint}"
        status = f" HTTP {self.status}" if self.status is not None else ""
        return f"{where}{status}: {self.message}"


class TransientError(ProviderError):
    """Retry later; the outcome of a non-idempotent call is unknown."""


class PermanentError(ProviderError):
    """The provider refused; the same request will be refused again."""


class AuthError(ProviderError):
    """Bad credentials or configuration; needs an operator."""


class OrderDataError(PermanentError):
    """The order cannot be expressed in this provider's documented contract without losing
    something: a required field the shop did not give, or a value longer than the field's
    limit. Raised by the mapping *before* any call; the job stops in needs_attention
    (``invalid_order``) naming the field, never sending a cut or omitted value."""

    def __init__(self, provider: str, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", provider=provider, endpoint="(mapping)")
        self.field = field


def require_fits(provider: str, field: str, value: str | None, limit: int) -> str | None:
    """The value itself when it fits the provider's field limit; ``OrderDataError`` naming
    the field and both lengths when it does not (no silent truncation)."""
    if value is not None and len(value) > limit:
        raise OrderDataError(
            provider, field, f"{len(value)} characters, the provider's limit is {limit}"
        )
    return value


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def classify_response(
    response: httpx.Response, *, provider: str, endpoint: str, message: str
) -> ProviderError | None:
    """Map a response to an error class, or None for success. ``message`` is the provider's
    own error text, extracted by the adapter from its documented error shape."""
    status = response.status_code
    if status < 400:
        return None
    body = response.text
    kwargs = dict(provider=provider, endpoint=endpoint, status=status, body=body)
    if status in (401, 403):
        return AuthError(message or "unauthorized", **kwargs)
    if status in (408, 425, 429) or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return TransientError(message or f"HTTP {status}", retry_after=retry_after, **kwargs)
    return PermanentError(message or f"HTTP {status}", **kwargs)


def transport_error(exc: httpx.HTTPError, *, provider: str, endpoint: str) -> TransientError:
    kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection error"
    return TransientError(f"{kind}: {exc.__class__.__name__}", provider=provider, endpoint=endpoint)
