"""GİB's registered e-Fatura user list, asked through Turkcell's e-Fatura service and cached.

``isuser`` answers 200 for a registered e-Fatura user and 404 otherwise (DESIGN §7);
``getuser`` lists the user's posta kutusu aliases. The list changes rarely, and the answer is
needed for every company order, so it is cached (Redis, shared by all workers; else in
process) for at most a day — positive and negative answers alike.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from sync_engine.providers.errors import PermanentError
from sync_engine.providers.http import ProviderHttp
from sync_engine.providers.turkcell import paths

TTL_S = 86400
E_FATURA_APP_TYPE = 1


@dataclass(frozen=True)
class GibUser:
    registered: bool
    aliases: tuple[str, ...] = ()
    checked_at: datetime | None = None  # when GİB's list was asked (the job records it)


def aliases_of(answer: Any) -> tuple[str, ...]:
    """The posta kutusu aliases in a ``getuser`` answer. FACTS tags its shape I: a list of
    alias objects, or an object with an ``aliases`` list (of objects or strings), keys in
    camel or Pascal case. Anything else is refused, naming the field, never read as "none"."""
    items = answer.get("aliases", answer.get("Aliases")) if isinstance(answer, dict) else answer
    if not isinstance(items, list):
        raise PermanentError(
            "gibuser/getuser answer has no alias list (expected a list, or an object with 'aliases')",
            provider="turkcell_esirket", endpoint="gibuser.getuser",
        )
    found: list[str] = []
    for item in items:
        value = item if isinstance(item, str) else (
            item.get("alias") or item.get("Alias") if isinstance(item, dict) else None
        )
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
    return tuple(found)


class GibUserDirectory:
    def __init__(
        self,
        http: ProviderHttp,
        service_url: Callable[[str], str],
        redis_client: redis.Redis | None,
        namespace: str,
        ttl_s: int = TTL_S,
    ) -> None:
        self.http = http
        self.service_url = service_url
        self.redis = redis_client
        self.namespace = namespace
        self.ttl_s = min(ttl_s, TTL_S)
        self._local: dict[str, tuple[float, GibUser]] = {}
        self._lock = threading.Lock()

    def key(self, identifier: str) -> str:
        return f"{self.namespace}turkcell:gibuser:{identifier}"

    def lookup(self, identifier: str) -> GibUser:
        cached = self._cached(identifier)
        if cached is not None:
            return cached
        user = self._ask(identifier)
        self._store(identifier, user)
        return user

    def _ask(self, identifier: str) -> GibUser:
        try:
            self.http.request(
                "GET", self.service_url(paths.GIBUSER_ISUSER), operation="gibuser.isuser",
                params={"identifier": identifier, "appType": E_FATURA_APP_TYPE},
            )
        except PermanentError as exc:
            if exc.status == 404:
                return GibUser(registered=False, checked_at=datetime.now(UTC))
            raise
        users: Any = self.http.request(
            "GET", self.service_url(paths.GIBUSER_GETUSER), operation="gibuser.getuser",
            params={"identifier": identifier},
        ).json()
        return GibUser(registered=True, aliases=aliases_of(users), checked_at=datetime.now(UTC))

    def _cached(self, identifier: str) -> GibUser | None:
        if self.redis is not None:
            raw = self.redis.get(self.key(identifier))
            if not raw:
                return None
            data = json.loads(raw)
            checked = data.get("checked_at")
            return GibUser(
                registered=bool(data["registered"]), aliases=tuple(data["aliases"]),
                checked_at=datetime.fromisoformat(checked) if checked else None,
            )
        with self._lock:
            item = self._local.get(identifier)
            return item[1] if item and item[0] > time.monotonic() else None

    def _store(self, identifier: str, user: GibUser) -> None:
        if self.redis is not None:
            payload = json.dumps({
                "registered": user.registered, "aliases": list(user.aliases),
                "checked_at": user.checked_at.isoformat() if user.checked_at else None,
            })
            self.redis.set(self.key(identifier), payload, ex=self.ttl_s)
            return
        with self._lock:
            self._local[identifier] = (time.monotonic() + self.ttl_s, user)
