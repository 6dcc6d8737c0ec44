"""Listing again after a transient failure (a 429, a 5xx, a dropped connection on page 300).

A nightly run pages for minutes; one throttled page must not cost the whole night. The
listers cannot resume mid-way (a cursor lives inside the generator), so a listing restarts
from its first page, after the provider's Retry-After or a doubling pause. Restarting is
safe: the shop side skips orders it already handled in this run, the provider side starts
a fresh list. Permanent and auth errors are not retried: waiting does not fix them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sync_engine.logging import get_logger
from sync_engine.providers.errors import TransientError

log = get_logger(__name__)

T = TypeVar("T")

LIST_ATTEMPTS = 4
FIRST_PAUSE_S = 2.0
MAX_PAUSE_S = 60.0


def with_restarts(run: Callable[[], T], *, what: str, sleep: Callable[[float], None],
                  attempts: int = LIST_ATTEMPTS) -> T:
    pause = FIRST_PAUSE_S
    for attempt in range(1, attempts + 1):
        try:
            return run()
        except TransientError as exc:
            if attempt == attempts:
                raise
            wait = min(max(exc.retry_after or 0.0, pause), MAX_PAUSE_S)
            log.info("listing failed; starting it again", what=what, attempt=attempt, error=str(exc),
                     retry_in=wait)
            sleep(wait)
            pause *= 2
    raise AssertionError("unreachable")  # pragma: no cover
