"""A local stack of real processes — sandbox, web, workers, beat — on one machine.

Used by ``sync-engine demo``, the integration/e2e/chaos tests and the benchmarks, so all
of them run the product exactly as an operator would: separate processes, real HTTP, real
Redis, real SQL. The stores file is ``stores.example.toml`` with the sandbox's address and
the simulators' demo credentials.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

EXAMPLE_STORES = Path(__file__).resolve().parents[2] / "stores.example.toml"
SANDBOX_DEFAULT = "http://127.0.0.1:8900"

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def stores_toml(sandbox_url: str) -> str:
    return EXAMPLE_STORES.read_text(encoding="utf-8").replace(SANDBOX_DEFAULT, sandbox_url.rstrip("/"))


def sandbox_secrets() -> dict[str, str]:
    """Every env: secret of the example stores file, valid against the simulators."""
    from sync_engine.sandbox.credentials import SHOP_SECRETS, provider_secrets

    return {**SHOP_SECRETS, **provider_secrets()}


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


@dataclass
class DevStack:
    workdir: Path
    sandbox_url: str
    database_url: str
    redis_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Children run with cwd=workdir: every path handed to them must be absolute.
        self.workdir = Path(self.workdir).resolve()

    @property
    def stores_file(self) -> Path:
        return self.workdir / "stores.toml"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNC_")}
        env.update(sandbox_secrets())
        env.update(
            SYNC_DATABASE_URL=self.database_url,
            SYNC_REDIS_URL=self.redis_url,
            SYNC_STORES_FILE=str(self.stores_file),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def prepare(self, transform: Callable[[str], str] | None = None) -> None:
        """Write the stores file; ``transform`` edits its text (tests shorten timeouts)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        text = stores_toml(self.sandbox_url)
        self.stores_file.write_text(transform(text) if transform else text, encoding="utf-8")

    def proforma_store(self, store_id: str) -> bool:
        """Whether the stores file asks ``store_id`` for proformas (orders awaiting payment)."""
        from sync_engine.config import load_stores

        store = load_stores(self.stores_file, environ=self.env).get(store_id)
        return bool(store is not None and store.invoice.proforma_for_pending)

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - lives with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "sync_engine", *args],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir,
            start_new_session=True,
        )
        self.processes[name] = proc
        return proc

    def start_sandbox(self, port: int, *extra: str) -> subprocess.Popen[bytes]:
        proc = self._spawn("sandbox", ["sandbox", "--port", str(port), *extra])
        wait_http(f"http://127.0.0.1:{port}/__ledger", proc)
        return proc

    def start_web(self, port: int) -> subprocess.Popen[bytes]:
        proc = self._spawn("web", ["web", "--port", str(port)])
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, accept=(200, 503))
        return proc

    def start_worker(self, name: str = "worker", concurrency: int = 8, pool: str = "threads") -> subprocess.Popen[bytes]:
        return self._spawn(name, ["worker", "--pool", pool, "--concurrency", str(concurrency), "--hostname", f"{name}@%h"])

    def start_beat(self) -> subprocess.Popen[bytes]:
        return self._spawn("beat", ["beat", "--schedule-file", str(self.workdir / "celerybeat-schedule")])

    def dead(self) -> list[str]:
        """Names of started processes that have exited."""
        return [name for name, proc in self.processes.items() if proc.poll() is not None]

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.processes.pop(name)
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.processes):
            proc = self.processes[name]
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for name, proc in list(self.processes.items()):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            self.processes.pop(name, None)


def wait_http(url: str, proc: subprocess.Popen[bytes] | None = None, timeout_s: float = 30, accept: tuple[int, ...] = (200,)) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code in accept:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout_s}s")
