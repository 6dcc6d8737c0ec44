"""Console login: an operator's token buys a signed session cookie (HttpOnly,
SameSite=Strict); every action carries a CSRF token bound to that session.

The signing key is derived from the configured tokens, so every web worker agrees on it,
and changing a token logs everyone out. Nothing is stored server-side.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

COOKIE = "sync_console"
SESSION_TTL_S = 12 * 3600  # one working day


@dataclass(frozen=True)
class Operator:
    name: str
    nonce: str  # per login: the CSRF token is bound to it


class Authenticator:
    def __init__(self, tokens: Mapping[str, str]) -> None:
        """``tokens``: operator name → token (``admin`` for SYNC_ADMIN_TOKEN)."""
        self.tokens = {name: tok for name, tok in tokens.items() if tok}
        material = "\n".join(f"{n}={t}" for n, t in sorted(self.tokens.items()))
        self._key = hashlib.sha256(b"sync-engine console session v1\n" + material.encode()).digest()

    @property
    def enabled(self) -> bool:
        return bool(self.tokens)

    def login(self, token: str) -> str | None:
        """The operator a token belongs to (constant-time compare against every one)."""
        found = None
        for name, expected in self.tokens.items():
            if hmac.compare_digest(token.encode(), expected.encode()):
                found = name
        return found

    def issue(self, operator: str, now: float | None = None) -> str:
        payload = {"op": operator, "exp": int((now or time.time()) + SESSION_TTL_S), "n": secrets.token_hex(8)}
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
        return f"{body}.{self._sign(body)}"

    def verify(self, cookie: str | None, now: float | None = None) -> Operator | None:
        if not cookie or "." not in cookie:
            return None
        body, _, sig = cookie.rpartition(".")
        if not hmac.compare_digest(sig, self._sign(body)):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body.encode()))
            name, exp, nonce = str(payload["op"]), int(payload["exp"]), str(payload["n"])
        except (ValueError, KeyError, TypeError):
            return None
        if exp < (now or time.time()) or name not in self.tokens:
            return None
        return Operator(name, nonce)

    def csrf(self, operator: Operator) -> str:
        return self._sign(f"csrf:{operator.name}:{operator.nonce}")

    def check_csrf(self, operator: Operator, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given), self.csrf(operator))

    def sign_flash(self, kind: str, message: str) -> str:
        return self._sign(f"flash:{kind}:{message}")[:32]

    def check_flash(self, kind: str, message: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given), self.sign_flash(kind, message))

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()
