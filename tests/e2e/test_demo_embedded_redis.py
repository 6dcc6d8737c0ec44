"""`sync-engine demo` on a machine where no Redis answers runs whole on the embedded one and
leaves nothing behind; `sync-engine worker` and `beat` with the same dead Redis do not start
one and report the broker as they always did (issue #16)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync_engine.devtools.devstack import free_port, port_free
from sync_engine.devtools.demo import DEMO_STORES

pytestmark = pytest.mark.slow


def _env(redis: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNC_")}
    env["SYNC_REDIS_URL"] = redis
    return env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_demo_runs_on_the_embedded_redis_when_none_answers_and_stops_it(tmp_path: Path) -> None:
    dead = free_port()  # nothing listens here
    done = subprocess.run(
        [sys.executable, "-m", "sync_engine", "demo", "--sandbox-port", str(free_port()),
         "--web-port", str(free_port()), "--timeout", "240"],
        env={**_env(f"redis://127.0.0.1:{dead}/0"), "COLUMNS": "250"}, cwd=tmp_path,
        capture_output=True, text=True, timeout=290,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    # One line says so, naming the dead URL and the embedded one.
    said = [line for line in out.splitlines() if "started an embedded Redis" in line]
    assert len(said) == 1, out[-4000:]
    assert f"no Redis at redis://127.0.0.1:{dead}/0" in said[0]
    port = int(re.search(r"on redis://127\.0\.0\.1:(\d+)/0", said[0]).group(1))  # type: ignore[union-attr]
    assert f"broker redis://127.0.0.1:{port}/0" in out  # the web, worker and beat used it
    # The verdict: every store's orders invoiced once, GİB sends once, nothing failed.
    verdict = out[out.index("ledger verdict"):]
    assert "✘" not in verdict, verdict
    for store, (_platform, provider, _sim) in DEMO_STORES.items():
        assert re.search(rf"✔ {store} \({provider}\): (\d+)/\1 orders completed, \1 invoices at the provider, none twice",
                         verdict), verdict
    # Two lines per store (invoices, GİB sends or its no-GİB note), one for the bank transfer,
    # and one per story of the second act (cancels and a refund, #12).
    stories = ("cancel before the GİB send: no sale invoice made, nothing sent to GİB",
               "cancel after the GİB send: e-Arşiv cancelled at GİB 1×, journal reversed 1×",
               "partial refund after the GİB send: 1 return invoice(s) at the provider, sent to GİB once")
    for story in stories:
        assert f"✔ {story}" in verdict, verdict
    assert verdict.count("✔") == 2 * len(DEMO_STORES) + verdict.count("bank-transfer order") + len(stories)
    assert "document chains (cancels and refunds)" in out
    assert "bank-transfer order(s): 1 proforma(s) at the provider, none twice; paid later → invoiced" in verdict
    # And the embedded server is gone: its process and its port.
    log = tmp_path / "var" / "demo" / "redis" / "redis.log"
    pid = int(log.read_text().split(":", 1)[0])
    assert "Ready to accept connections" in log.read_text()
    assert "ready to exit" in log.read_text()  # a clean shutdown, not a kill
    assert not _alive(pid)
    assert port_free(port)


# Celery's own words (it masks the URL's empty password as ':**@', then our log redaction
# masks that again); both keep retrying, as they always did, until Redis comes.
USUAL = {
    "worker": r"consumer: Cannot connect to redis://\S*127\.0\.0\.1:{port}/0: .*Connection refused",
    "beat": r"beat: Connection error: Error 111 connecting to 127\.0\.0\.1:{port}\. Connection refused",
}


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_a_process_with_an_unreachable_redis_reports_it_and_starts_no_embedded_one(command: str, tmp_path: Path) -> None:
    dead = free_port()
    env = {**_env(f"redis://127.0.0.1:{dead}/0"), "SYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
           "SYNC_STORES_FILE": str(tmp_path / "stores.toml"), "SYNC_SWEEP_INTERVAL_S": "1"}
    args = {"worker": ["--concurrency", "1"], "beat": ["--schedule-file", str(tmp_path / "beat-schedule")]}[command]
    log = tmp_path / f"{command}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sync_engine", command, *args],
            env=env, cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        usual = re.compile(USUAL[command].format(port=dead))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not usual.search(log.read_text(errors="replace")):
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
        text = log.read_text(errors="replace")
        assert usual.search(text), text[-3000:]
        assert "embedded" not in text.lower()
        assert port_free(dead)  # it did not stand one up on that port either
        assert not list(tmp_path.rglob("redis.log"))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
