"""The shared rate budget and token cache, on the real Redis, across processes."""

from __future__ import annotations

import multiprocessing as mp
import time
import uuid

import httpx
import pytest
import redis

from sync_engine.providers.auth import CachedTokenAuth, Token, TokenCache
from sync_engine.providers.ratelimit import RedisTokenBucket
from tests.support.services import redis_url

REDIS_URL = redis_url(15)


@pytest.fixture
def client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


@pytest.fixture
def account(client: redis.Redis):  # noqa: ANN201
    key = f"test-{uuid.uuid4().hex}"
    yield key
    client.delete(f"sync:rate:{key}", f"sync:token:{key}")


def _take_many(url: str, account: str, rate: float, seconds: float, out: mp.Queue) -> None:
    bucket = RedisTokenBucket(redis.Redis.from_url(url), account, rate, burst=1, max_wait_s=30)
    taken = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        bucket.acquire()
        if time.monotonic() < deadline:
            taken += 1
    out.put(taken)


def test_budget_is_shared_by_every_process_of_an_account(account: str) -> None:
    # Four processes hammer one account budgeted at 20 requests/s for 1.5 s: together they
    # get about 30 + the burst, not 4 × that.
    out: mp.Queue = mp.get_context("fork").Queue()
    procs = [mp.get_context("fork").Process(target=_take_many, args=(REDIS_URL, account, 20.0, 1.5, out)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    total = sum(out.get(timeout=5) for _ in procs)
    assert 24 <= total <= 36, total


def test_retry_after_pauses_the_whole_account(client: redis.Redis, account: str) -> None:
    first = RedisTokenBucket(client, account, 100.0)
    second = RedisTokenBucket(redis.Redis.from_url(REDIS_URL), account, 100.0)
    first.penalize(0.6)
    assert second.try_acquire() > 0.4  # another worker of the same account must wait too
    started = time.monotonic()
    second.acquire()
    assert time.monotonic() - started >= 0.4


def test_a_wait_longer_than_the_cap_does_not_block_the_task(client: redis.Redis, account: str) -> None:
    bucket = RedisTokenBucket(client, account, 1.0, max_wait_s=0.2)
    bucket.penalize(30)
    started = time.monotonic()
    bucket.acquire()  # gives up waiting: the provider's own 429 will push the job back
    assert time.monotonic() - started < 1.0


def test_token_is_fetched_once_and_shared_then_refreshed_once_on_401(client: redis.Redis, account: str) -> None:
    issued: list[str] = []
    valid: set[str] = set()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            token = f"t{len(issued)}"
            issued.append(token)
            valid.add(token)
            return httpx.Response(200, json={"access_token": token, "expires_in": "86400"})
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return httpx.Response(200 if bearer in valid else 401, json={})

    def make() -> httpx.Client:
        auth = CachedTokenAuth(
            provider="test", cache=TokenCache(client), cache_key=account,
            token_request=lambda: httpx.Request("POST", "http://provider/token"),
            parse_token=lambda r: Token(r.json()["access_token"], float(r.json()["expires_in"])),
        )
        return httpx.Client(transport=httpx.MockTransport(handler), auth=auth, base_url="http://provider")

    # Two "processes" (separate clients, separate caches objects) share the Redis token.
    a, b = make(), make()
    assert a.get("/x").status_code == 200 and b.get("/x").status_code == 200
    assert issued == ["t0"]
    assert 86400 - 300 - 5 <= client.ttl(f"sync:token:{account}") <= 86400 - 300
    valid.clear()  # the provider revokes the token early
    assert a.get("/x").status_code == 200  # one refresh, then the retried request passes
    assert issued == ["t0", "t1"]
    assert b.get("/x").status_code == 200 and issued == ["t0", "t1"]  # b reuses a's fresh token
