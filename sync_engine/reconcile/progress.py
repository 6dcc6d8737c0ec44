"""Progress while a run pages: the CLI draws a bar, the nightly task draws nothing."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, store_id: str, phase: str, total: int | None = None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def finish(self) -> None: ...


class NoProgress:
    def start(self, store_id: str, phase: str, total: int | None = None) -> None:
        return None

    def advance(self, n: int = 1) -> None:
        return None

    def finish(self) -> None:
        return None
