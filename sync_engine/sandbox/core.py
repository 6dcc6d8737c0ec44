"""What every simulator shares: a test-controlled clock, the effect ledger, seeded fault
injection, the list of contract violations, and GİB's directory and numbering.

A simulator is only useful if it refuses what the real provider refuses and tells the truth
about what really happened. The ledger is that truth: tests and the demo count effects there
(cari created, invoice created, GİB send, journal entry), never in our own state table.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool


class Clock:
    """UTC wall clock plus an offset the tests move (status progressions, token expiry)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)


@dataclass(frozen=True)
class Effect:
    provider: str
    kind: str  # cari_created, invoice_created, invoice_updated, invoice_deleted, gib_send, ...
    key: str  # the identifier the effect is about (VKN/TCKN+code, ETTN, document id, ...)
    at: str
    detail: dict[str, Any] = field(default_factory=dict)


class Ledger:
    """Append-only record of real effects, resettable between scenarios."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._effects: list[Effect] = []
        self._lock = threading.Lock()

    def record(self, provider: str, kind: str, key: str, **detail: Any) -> None:
        with self._lock:
            self._effects.append(
                Effect(provider, kind, str(key), self._clock.now().isoformat(), detail)
            )

    def effects(self, provider: str | None = None, kind: str | None = None) -> list[Effect]:
        with self._lock:
            return [
                e
                for e in self._effects
                if (provider is None or e.provider == provider) and (kind is None or e.kind == kind)
            ]

    def count(self, provider: str, kind: str, key: str | None = None) -> int:
        return sum(1 for e in self.effects(provider, kind) if key is None or e.key == key)

    def per_key(self, provider: str, kind: str) -> Counter[str]:
        return Counter(e.key for e in self.effects(provider, kind))

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for e in self.effects():
            out.setdefault(e.provider, {}).setdefault(e.kind, 0)
            out[e.provider][e.kind] += 1
        return out

    def as_json(self) -> dict[str, Any]:
        return {"summary": self.summary(), "effects": [asdict(e) for e in self.effects()]}

    def reset(self) -> None:
        with self._lock:
            self._effects.clear()


@dataclass(frozen=True)
class Violation:
    provider: str
    endpoint: str
    status: int
    message: str


class Violations:
    """Requests a simulator refused for breaking the provider's contract. An adapter's
    contract tests assert this stays empty on their happy paths."""

    def __init__(self) -> None:
        self._items: list[Violation] = []
        self._lock = threading.Lock()

    def add(self, provider: str, endpoint: str, status: int, message: str) -> None:
        with self._lock:
            self._items.append(Violation(provider, endpoint, status, message))

    def list(self, provider: str | None = None) -> list[Violation]:
        with self._lock:
            return [v for v in self._items if provider is None or v.provider == provider]

    def reset(self) -> None:
        with self._lock:
            self._items.clear()


class FaultMode(StrEnum):
    BEFORE_500 = "before_500"  # fail before the effect
    AFTER_504 = "after_504"  # do the effect, then answer 504
    AFTER_STALL = "after_stall"  # do the effect, then stall past the client's timeout
    RATE_429 = "rate_429"  # refuse with 429 and Retry-After, no effect
    LATENCY = "latency"  # add latency, then behave normally
    REFUSE_422 = "refuse_422"  # a business-rule refusal (validation error), no effect


@dataclass
class FaultRule:
    provider: str  # simulator name or "*"
    endpoint: str  # endpoint name (see each simulator) or "*"
    mode: FaultMode
    probability: float = 1.0
    times: int | None = None  # fire at most this many times, then retire
    retry_after_s: float = 1.0
    latency_ms: int = 0
    stall_s: float = 3.0

    def matches(self, provider: str, endpoint: str) -> bool:
        return self.provider in ("*", provider) and self.endpoint in ("*", endpoint)

    @classmethod
    def parse(cls, spec: str) -> FaultRule:
        """``provider:endpoint:mode[:probability[:times]]``, e.g.
        ``kolaybi:e_document_create:after_504:0.2`` or ``*:*:latency:1`` with latency set apart."""
        parts = spec.split(":")
        if len(parts) < 3:
            raise ValueError(f"fault spec {spec!r}: want provider:endpoint:mode[:probability[:times]]")
        rule = cls(parts[0], parts[1], FaultMode(parts[2]))
        if len(parts) > 3 and parts[3]:
            rule.probability = float(parts[3])
        if len(parts) > 4 and parts[4]:
            rule.times = int(parts[4])
        return rule


class Faults:
    """Seeded, reproducible fault injection per provider and endpoint."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.base_latency_ms = 0
        self.fired: Counter[str] = Counter()

    def seed(self, seed: int) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.fired.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def pick(self, provider: str, endpoint: str) -> list[FaultRule]:
        """The rules that fire for this call (at most one non-latency rule)."""
        chosen: list[FaultRule] = []
        with self._lock:
            for rule in self._rules:
                if not rule.matches(provider, endpoint):
                    continue
                if rule.times is not None and rule.times <= 0:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                if rule.mode is not FaultMode.LATENCY and any(
                    r.mode is not FaultMode.LATENCY for r in chosen
                ):
                    continue
                if rule.times is not None:
                    rule.times -= 1
                self.fired[f"{provider}:{endpoint}:{rule.mode.value}"] += 1
                chosen.append(rule)
        return chosen


ErrorBody = Callable[[int, str], Response]


def default_error(status: int, message: str) -> Response:
    return JSONResponse({"message": message}, status_code=status)


class GibDirectory:
    """GİB's list of registered e-Fatura users (mükellef): identifier -> posta kutusu aliases.
    One list for all providers, as in reality."""

    def __init__(self) -> None:
        self._users: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._users = {
                # Demo companies registered for e-Fatura (valid VKN checksums).
                "1234567890": ["urn:mail:defaultpk@ornekteknoloji.com.tr"],
                "9876543217": ["urn:mail:defaultpk@anadolugida.com.tr"],
            }

    def register(self, identifier: str, alias: str) -> None:
        with self._lock:
            self._users.setdefault(identifier, []).append(alias)

    def aliases(self, identifier: str) -> list[str]:
        with self._lock:
            return list(self._users.get(identifier, []))

    def is_registered(self, identifier: str) -> bool:
        return bool(self.aliases(identifier))


class GibNumbering:
    """Invoice numbers: 3-character prefix + 4-digit year + 9-digit sequence, no gaps, one
    sequence per (provider account, prefix, year)."""

    def __init__(self) -> None:
        self._next: Counter[tuple[str, str, int]] = Counter()
        self._lock = threading.Lock()

    def next(self, account: str, prefix: str, year: int) -> str:
        if len(prefix) != 3:
            raise ValueError("prefix must be 3 characters")
        with self._lock:
            self._next[(account, prefix, year)] += 1
            return f"{prefix}{year:04d}{self._next[(account, prefix, year)]:09d}"

    def reset(self) -> None:
        with self._lock:
            self._next.clear()


class SandboxState:
    """The shared state every simulator receives."""

    def __init__(self, seed: int = 0) -> None:
        self.clock = Clock()
        self.ledger = Ledger(self.clock)
        self.violations = Violations()
        self.faults = Faults(seed)
        self.gib = GibDirectory()
        self.numbering = GibNumbering()
        # Seconds between GİB status steps (e.g. Turkcell 20 -> 50 -> 60); tests advance the clock.
        self.status_step_s = 30.0

    def reset(self) -> None:
        self.clock.reset()
        self.ledger.reset()
        self.violations.reset()
        self.faults.clear()
        self.gib.reset()
        self.numbering.reset()

    def guarded(
        self,
        provider: str,
        endpoint: str,
        effect: Callable[[], Response],
        error: ErrorBody = default_error,
    ) -> Response:
        """Run one endpoint's effect under the fault plan."""
        rules = self.faults.pick(provider, endpoint)
        latency = self.faults.base_latency_ms + sum(r.latency_ms for r in rules)
        if latency:
            time.sleep(latency / 1000)
        fault = next((r for r in rules if r.mode is not FaultMode.LATENCY), None)
        if fault is not None and fault.mode is FaultMode.BEFORE_500:
            return error(500, "Internal Server Error (injected)")
        if fault is not None and fault.mode is FaultMode.REFUSE_422:
            return error(422, "refused by an injected business rule")
        if fault is not None and fault.mode is FaultMode.RATE_429:
            response = error(429, "Too Many Requests (injected)")
            response.headers["Retry-After"] = str(int(fault.retry_after_s))
            return response
        response = effect()
        if fault is not None and fault.mode is FaultMode.AFTER_504:
            return error(504, "Gateway Timeout (injected, the effect happened)")
        if fault is not None and fault.mode is FaultMode.AFTER_STALL:
            time.sleep(fault.stall_s)
        return response

    async def guarded_async(
        self,
        provider: str,
        endpoint: str,
        effect: Callable[[], Response],
        error: ErrorBody = default_error,
    ) -> Response:
        """``guarded`` for async endpoints. Latency and stall faults sleep; run off the event
        loop so one stalled call does not freeze every other simulator in the sandbox."""
        return await run_in_threadpool(self.guarded, provider, endpoint, effect, error)
