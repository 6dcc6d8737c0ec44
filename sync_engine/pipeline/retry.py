"""Retry policy: capped exponential backoff with full jitter, honouring Retry-After.

Full jitter (a uniform draw in [0, min(cap, base·2^n)]) spreads the retries of many jobs
that failed together (a provider outage) instead of having them return in lock-step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 2.0
    cap_s: float = 600.0
    max_attempts: int = 8
    busy_delay_s: float = 1.0  # another job is creating the same buyer's cari right now
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt number ``attempt + 1`` (``attempt`` ≥ 1)."""
        ceiling = min(self.cap_s, self.base_s * (2 ** max(0, attempt - 1)))
        wait = self.rng.uniform(0, ceiling)
        if retry_after is not None:
            # The provider's own hint wins when it asks for more patience than we would give.
            wait = max(wait, min(retry_after, self.cap_s))
        return wait

    def poll_delay(self, elapsed_s: float) -> float:
        """Seconds until the next look at a document waiting for GİB's answer: half the time
        it has waited so far, between base_s and cap_s (a few seconds at first, at most every
        cap_s once GİB is slow), so a quick answer is seen quickly and a slow one costs few calls."""
        return max(self.base_s, min(self.cap_s, elapsed_s / 2))

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
