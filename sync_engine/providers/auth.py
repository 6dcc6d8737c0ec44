"""Auth flows as ``httpx.Auth``, with tokens shared across worker processes via Redis.

Turkcell (OAuth2 password grant) and KolayBi (api-key → access token) issue tokens valid for
24 h. Fetching one per process or per job would hammer the token endpoint, so the token is
cached in Redis under the provider account's key until shortly before it expires, and
refreshed once when a call answers 401 (the token may have been revoked early).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import httpx
import redis

from sync_engine.providers.errors import AuthError, classify_response

# Refresh this long before the provider's stated expiry, so a token never dies mid-request.
EXPIRY_MARGIN_S = 300


@dataclass(frozen=True)
class Token:
    value: str
    expires_in_s: float


class TokenCache:
    """Tokens keyed by provider account. Redis when given, else process-local memory."""

    def __init__(self, client: redis.Redis | None, namespace: str = "sync:token:") -> None:
        self.redis = client
        self.namespace = namespace
        self._local: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        if self.redis is not None:
            raw = self.redis.get(self.namespace + key)
            return raw.decode() if isinstance(raw, bytes) else raw
        with self._lock:
            item = self._local.get(key)
            if item and item[1] > time.monotonic():
                return item[0]
            return None

    def put(self, key: str, token: Token) -> None:
        ttl = max(1, int(token.expires_in_s - min(EXPIRY_MARGIN_S, token.expires_in_s / 10)))
        if self.redis is not None:
            self.redis.set(self.namespace + key, token.value, ex=ttl)
            return
        with self._lock:
            self._local[key] = (token.value, time.monotonic() + ttl)

    def invalidate(self, key: str, value: str | None = None) -> None:
        """Drop the cached token (only if it is still ``value``, when given: another worker
        may already have stored a fresh one)."""
        if self.redis is not None:
            name = self.namespace + key
            if value is None:
                self.redis.delete(name)
            else:
                current = self.redis.get(name)
                if current is not None and current.decode() == value:
                    self.redis.delete(name)
            return
        with self._lock:
            item = self._local.get(key)
            if item and (value is None or item[0] == value):
                del self._local[key]


class CachedTokenAuth(httpx.Auth):
    """Bearer token from a token endpoint, cached, refreshed once on 401.

    ``token_request`` builds the request to the token endpoint; ``parse_token`` reads the
    provider's answer. The token request is yielded through the same client (httpx's own
    pattern for auth flows that need I/O), so it shares the transport; the original request's
    timeouts are copied onto it.
    """

    requires_response_body = True

    def __init__(
        self,
        *,
        provider: str,
        cache: TokenCache,
        cache_key: str,
        token_request: Callable[[], httpx.Request],
        parse_token: Callable[[httpx.Response], Token],
        header: str = "Authorization",
        scheme: str = "Bearer",
    ) -> None:
        self.provider = provider
        self.cache = cache
        self.cache_key = cache_key
        self.token_request = token_request
        self.parse_token = parse_token
        self.header = header
        self.scheme = scheme

    def _fetch(self, original: httpx.Request) -> Generator[httpx.Request, httpx.Response, str]:
        token_request = self.token_request()
        # httpx applies the client's timeouts only to requests the client built itself: copy
        # them, or a stalled token endpoint would hang the worker forever.
        if "timeout" in original.extensions and "timeout" not in token_request.extensions:
            token_request.extensions["timeout"] = original.extensions["timeout"]
        response = yield token_request
        error = classify_response(
            response, provider=self.provider, endpoint="token", message=_token_message(response)
        )
        if error is not None:
            if error.status is not None and 400 <= error.status < 500 and error.status != 429:
                # Turkcell answers bad credentials with 422, KolayBi with 401/400.
                raise AuthError(
                    f"token request refused: {error.message}",
                    provider=self.provider,
                    endpoint="token",
                    status=error.status,
                    body=error.body,
                ) from error
            raise error
        token = self.parse_token(response)
        self.cache.put(self.cache_key, token)
        return token.value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.cache.get(self.cache_key)
        if token is None:
            token = yield from self._fetch(request)
        request.headers[self.header] = f"{self.scheme} {token}"
        response = yield request
        if response.status_code == 401:
            self.cache.invalidate(self.cache_key, token)
            token = yield from self._fetch(request)
            request.headers[self.header] = f"{self.scheme} {token}"
            yield request


def _token_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for key in ("message", "error_description", "error", "Error"):
            if isinstance(body.get(key), str):
                return body[key]
    return response.text[:200]
