"""A rate budget per provider account, shared by every worker process (token bucket in Redis).

The bucket lives in one Redis hash updated by a Lua script, so concurrent workers draw from
the same budget atomically. A 429 with Retry-After pauses the whole account, not just the
worker that saw it.
"""

from __future__ import annotations

import time

import redis

_TAKE = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local blocked = tonumber(redis.call('HGET', key, 'blocked_until') or '0')
if blocked > now then
  return tostring(blocked - now)
end
local tokens = tonumber(redis.call('HGET', key, 'tokens') or tostring(capacity))
local ts = tonumber(redis.call('HGET', key, 'ts') or tostring(now))
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
if tokens >= 1 then
  redis.call('HSET', key, 'tokens', tostring(tokens - 1), 'ts', tostring(now))
  redis.call('EXPIRE', key, 3600)
  return '0'
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', key, 3600)
return tostring((1 - tokens) / rate)
"""


class RedisTokenBucket:
    def __init__(
        self,
        client: redis.Redis,
        account_key: str,
        rate_per_s: float,
        *,
        burst: float | None = None,
        max_wait_s: float = 30.0,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate_per_s must be positive")
        self.redis = client
        self.key = f"sync:rate:{account_key}"
        self.rate = rate_per_s
        self.capacity = burst if burst is not None else max(1.0, rate_per_s)
        self.max_wait_s = max_wait_s
        self._take = client.register_script(_TAKE)

    def try_acquire(self) -> float:
        """Take a token if one is free; else return how long to wait (seconds)."""
        # Redis server time: every worker agrees on "now" even if host clocks drift.
        sec, usec = self.redis.time()
        wait = float(self._take(keys=[self.key], args=[self.rate, self.capacity, sec + usec / 1e6]))
        return wait

    def acquire(self) -> None:
        deadline = time.monotonic() + self.max_wait_s
        while True:
            wait = self.try_acquire()
            if wait <= 0:
                return
            if time.monotonic() + wait > deadline:
                # Waiting longer would eat the task's time limit; proceed and let the
                # provider's own 429 (a transient error) push the job back instead.
                return
            time.sleep(min(wait, 1.0))

    def penalize(self, seconds: float) -> None:
        sec, usec = self.redis.time()
        until = sec + usec / 1e6 + seconds
        current = self.redis.hget(self.key, "blocked_until")
        if current is None or float(current) < until:
            self.redis.hset(self.key, "blocked_until", str(until))
            self.redis.expire(self.key, max(3600, int(seconds) + 60))
