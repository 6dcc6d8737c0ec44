"""`sync-engine providers check` against the sandbox with the example stores: every store's
read-only checks pass; a wrong key or base URL is named, with exit code 1; nothing is created."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from sync_engine.devtools.devstack import DevStack, free_port
from sync_engine.providers.registry import SPECS
from tests.support.services import redis_url


def _check(stack: DevStack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync_engine", "providers", "check", *args],
        env=stack.env, cwd=stack.workdir, capture_output=True, text=True, timeout=120,
    )


def test_every_example_store_passes_its_read_only_checks(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stack = DevStack(tmp_path, url, "sqlite:///unused.db", redis_url(14))
    stack.prepare()
    stack.start_sandbox(port)
    try:
        out = _check(stack)
        assert out.returncode == 0, out.stdout + out.stderr
        for spec in SPECS.values():
            rows = [line for line in out.stdout.splitlines() if spec.name in line]
            assert rows and all("✔" in r for r in rows), (spec.name, out.stdout)
            # every provider has at least one real call to check (none offers nothing)
            assert not any("offers no read-only call" in r for r in rows), (spec.name, out.stdout)
        assert "all " in out.stdout and "checks passed" in out.stdout
        # read-only: the sandbox recorded no effect at all
        effects = httpx.get(f"{url}/__ledger", timeout=5).json()["summary"]
        created = {sim: {k: n for k, n in kinds.items() if k not in ("list_call", "token")}
                   for sim, kinds in effects.items()}
        assert all(not kinds for kinds in created.values()), effects
    finally:
        stack.stop_all()


def test_a_wrong_key_is_named_and_fails_the_command(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stack = DevStack(tmp_path, url, "sqlite:///unused.db", redis_url(14),
                     extra_env={"KOLAYBI_API_KEY": "kb-wrong-key-000"})
    stack.prepare()
    stack.start_sandbox(port)
    try:
        kolaybi = [s for s in stack.stores_file.read_text().split("[[stores]]") if 'name = "kolaybi"' in s]
        store_id = kolaybi[0].split('id = "', 1)[1].split('"', 1)[0]
        out = _check(stack, "--store", store_id)
        assert out.returncode == 1, out.stdout + out.stderr
        assert "✘" in out.stdout and store_id in out.stdout
        assert "kb-wrong-key-000" not in out.stdout + out.stderr, "the key itself is never printed"
    finally:
        stack.stop_all()
