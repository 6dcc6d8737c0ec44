"""One HTTP client factory and one request path for every provider call.

Every call goes through ``ProviderHttp.request``: it waits for the account's shared rate
budget, times the call, classifies the outcome once (``errors.classify_response``) and
reports a ``CallRecord`` to whoever observes the current job step (the pipeline writes one
attempt row per record).
"""

from __future__ import annotations

import contextlib
import contextvars
import json as _json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import httpx

from sync_engine.providers.errors import (
    ProviderError,
    TransientError,
    classify_response,
    transport_error,
)

# DESIGN §8: one client with more than ~50 requests in flight burns CPU in pool bookkeeping.
MAX_CONNECTIONS = 50


@dataclass(frozen=True)
class CallRecord:
    provider: str
    operation: str  # e.g. "kolaybi.invoices.create"
    started_at: float  # time.time()
    duration_ms: int
    http_status: int | None
    error_class: str | None
    message: str | None


CallObserver = Callable[[CallRecord], None]
_observer: contextvars.ContextVar[CallObserver | None] = contextvars.ContextVar(
    "provider_call_observer", default=None
)


@contextlib.contextmanager
def observe_calls(observer: CallObserver) -> Iterator[None]:
    """Report every provider call made in this context (thread / greenlet) to ``observer``."""
    token = _observer.set(observer)
    try:
        yield
    finally:
        _observer.reset(token)


# Called before a request that had to wait for the rate budget: the caller (the pipeline)
# checks that it still holds its job. A wait can outlast the job's lease; a worker whose lease
# ran out must not then send — another worker may already have made the effect.
CallGuard = Callable[[], None]
_guard: contextvars.ContextVar[CallGuard | None] = contextvars.ContextVar("provider_call_guard", default=None)
GUARD_AFTER_WAIT_S = 0.25  # a wait shorter than this cannot have outlasted a lease


@contextlib.contextmanager
def guard_calls(guard: CallGuard) -> Iterator[None]:
    """Run ``guard`` before any request of this context that waited for the rate budget."""
    token = _guard.set(guard)
    try:
        yield
    finally:
        _guard.reset(token)


class RateBudget(Protocol):
    def acquire(self) -> None: ...
    def penalize(self, seconds: float) -> None: ...


def make_client(
    base_url: str,
    timeout_s: float,
    *,
    auth: httpx.Auth | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Client:
    """A pooled keep-alive client. Connect timeout is capped so a dead host fails fast;
    the read timeout is the store's ``timeout_s`` and must stay below the task time limit."""
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=20),
        auth=auth,
        headers=headers,
    )


def _default_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for key in ("message", "Error", "error", "detail"):
            if isinstance(body.get(key), str):
                return body[key]
    return response.text[:200]


_DECIMAL_MARK = "\x00dec:"
_DECIMAL_RE = re.compile(r'"\\u0000dec:(-?[0-9.]+)"')


def _mark_decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _DECIMAL_MARK + format(value, "f")
    if isinstance(value, dict):
        return {k: _mark_decimals(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mark_decimals(v) for v in value]
    return value


def dumps(payload: Any) -> bytes:
    """Serialise a payload with Decimals written as exact JSON numbers ("12.30" stays 12.30):
    the stdlib encoder would need a float, and a float is not money."""
    text = _json.dumps(_mark_decimals(payload), ensure_ascii=False)
    return _DECIMAL_RE.sub(r"\1", text).encode()


class ProviderHttp:
    def __init__(
        self,
        provider: str,
        client: httpx.Client,
        *,
        message_of: Callable[[httpx.Response], str] = _default_message,
        budget: RateBudget | None = None,
    ) -> None:
        self.provider = provider
        self.client = client
        self.message_of = message_of
        self.budget = budget

    def request(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        json: Any = None,
        data: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request; return the 2xx/3xx response or raise a ``ProviderError``."""
        if self.budget is not None:
            waited_from = time.monotonic()
            self.budget.acquire()
            guard = _guard.get()
            if guard is not None and time.monotonic() - waited_from > GUARD_AFTER_WAIT_S:
                guard()  # raises when the job is no longer ours: nothing is sent
        content = None
        if json is not None:
            content = dumps(json)
            headers = {"Content-Type": "application/json", **(headers or {})}
        started = time.time()
        t0 = time.perf_counter()
        error: ProviderError | None = None
        response: httpx.Response | None = None
        try:
            response = self.client.request(
                method, url, content=content, data=data, params=params, headers=headers
            )
            error = classify_response(
                response,
                provider=self.provider,
                endpoint=operation,
                message=self.message_of(response) if response.status_code >= 400 else "",
            )
        except httpx.HTTPError as exc:
            error = transport_error(exc, provider=self.provider, endpoint=operation)
            error.__cause__ = exc
        except ProviderError as exc:
            # Raised inside the auth flow (the token endpoint refused or failed): it is a
            # provider call like any other and gets its attempt row.
            error = exc
        duration_ms = int((time.perf_counter() - t0) * 1000)
        if (
            isinstance(error, TransientError)
            and error.status == 429
            and error.retry_after
            and self.budget is not None
        ):
            # The provider told every worker of this account to slow down, not only us.
            self.budget.penalize(error.retry_after)
        observer = _observer.get()
        if observer is not None:
            observer(
                CallRecord(
                    provider=self.provider,
                    operation=operation,
                    started_at=started,
                    duration_ms=duration_ms,
                    http_status=response.status_code if response is not None else None,
                    error_class=type(error).__name__ if error else None,
                    message=error.message[:2000] if error else None,
                )
            )
        if error is not None:
            raise error
        assert response is not None
        return response

    def close(self) -> None:
        self.client.close()
