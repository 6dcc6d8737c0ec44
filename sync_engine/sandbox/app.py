"""Assembles the simulators into one FastAPI app under path prefixes, with control
endpoints for tests and the demo, and serves it (``sync-engine sandbox``, or a background
thread in tests).
"""

from __future__ import annotations

import importlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import uvicorn
from fastapi import APIRouter, Body, FastAPI, HTTPException

from sync_engine.sandbox.core import FaultMode, FaultRule, SandboxState

# module path -> the simulator class it exports as ``SIMULATOR``
SIMULATOR_MODULES = (
    "sync_engine.sandbox.turkcell",
    "sync_engine.sandbox.kolaybi",
    "sync_engine.sandbox.faturaentegrator",
    "sync_engine.sandbox.sinapp",
    "sync_engine.sandbox.shopify",
    "sync_engine.sandbox.woocommerce",
)


class Simulator(Protocol):
    name: str  # provider/platform name used in the ledger and fault rules
    prefix: str  # URL prefix, e.g. "/kolaybi"

    def __init__(self, state: SandboxState) -> None: ...
    def router(self) -> APIRouter: ...
    def reset(self) -> None: ...


def default_simulators() -> list[type[Simulator]]:
    return [importlib.import_module(m).SIMULATOR for m in SIMULATOR_MODULES]


class Sandbox:
    def __init__(
        self,
        simulators: list[type[Simulator]] | None = None,
        *,
        seed: int = 0,
        state: SandboxState | None = None,
        configure: Callable[[Sandbox], None] | None = None,
    ) -> None:
        self.state = state or SandboxState(seed)
        classes = simulators if simulators is not None else default_simulators()
        self.simulators: dict[str, Simulator] = {}
        for cls in classes:
            sim = cls(self.state)
            self.simulators[sim.name] = sim
        # Accounts the simulators must accept (e.g. sandbox/credentials.configure_sandbox),
        # applied now and again after every reset.
        self._configure = configure
        if configure is not None:
            configure(self)

    def __getitem__(self, name: str) -> Any:
        return self.simulators[name]

    @property
    def ledger(self):  # noqa: ANN201 - convenience for tests
        return self.state.ledger

    def reset(self) -> None:
        self.state.reset()
        for sim in self.simulators.values():
            sim.reset()
        if self._configure is not None:
            self._configure(self)

    def build_app(self) -> FastAPI:
        app = FastAPI(title="sync-engine sandbox", docs_url="/__docs", openapi_url="/__openapi.json")
        for sim in self.simulators.values():
            app.include_router(sim.router(), prefix=sim.prefix)
        app.include_router(self._control_router())
        return app

    def _control_router(self) -> APIRouter:
        r = APIRouter(prefix="/__")
        state = self.state

        @r.get("ledger")
        def ledger(provider: str | None = None, kind: str | None = None) -> dict[str, Any]:
            if provider is None and kind is None:
                return state.ledger.as_json()
            effects = state.ledger.effects(provider, kind)
            return {"count": len(effects), "effects": [e.__dict__ for e in effects]}

        @r.post("reset")
        def reset() -> dict[str, str]:
            self.reset()
            return {"status": "reset"}

        @r.get("violations")
        def violations() -> list[dict[str, Any]]:
            return [v.__dict__ for v in state.violations.list()]

        @r.get("faults")
        def faults() -> list[dict[str, Any]]:
            return [dict(rule.__dict__, mode=rule.mode.value) for rule in state.faults.rules()]

        @r.post("faults")
        def add_fault(body: dict[str, Any] = Body(...)) -> dict[str, Any]:
            try:
                if "spec" in body:
                    rule = FaultRule.parse(body["spec"])
                else:
                    rule = FaultRule(
                        body.get("provider", "*"), body.get("endpoint", "*"), FaultMode(body["mode"])
                    )
                for key in ("probability", "times", "retry_after_s", "latency_ms", "stall_s"):
                    if key in body and key != "spec":
                        setattr(rule, key, body[key])
            except (KeyError, ValueError) as exc:
                raise HTTPException(422, str(exc)) from exc
            state.faults.add(rule)
            return dict(rule.__dict__, mode=rule.mode.value)

        @r.delete("faults")
        def clear_faults() -> dict[str, str]:
            state.faults.clear()
            return {"status": "cleared"}

        @r.post("clock/advance")
        def advance(body: dict[str, float] = Body(...)) -> dict[str, str]:
            state.clock.advance(float(body.get("seconds", 0)))
            return {"now": state.clock.now().isoformat()}

        @r.post("gib/users")
        def register(body: dict[str, str] = Body(...)) -> dict[str, Any]:
            state.gib.register(body["identifier"], body["alias"])
            return {"identifier": body["identifier"], "aliases": state.gib.aliases(body["identifier"])}

        return r


class SandboxServer:
    """Serves a Sandbox over real HTTP on loopback from a background thread."""

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox
        self.host = host
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this; without it Nagle + delayed ACK add ~40 ms per
        # keep-alive request on loopback.
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.bind((host, port))
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(
            sandbox.build_app(), log_level="warning", access_log=False, lifespan="off",
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("sandbox server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
