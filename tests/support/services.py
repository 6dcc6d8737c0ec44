"""Where the tests find Redis: 127.0.0.1:6379 unless ``SYNC_TEST_REDIS_PORT`` names another
port (so that two checkouts can run their suites side by side, each on its own server)."""

from __future__ import annotations

import os

REDIS_PORT = int(os.environ.get("SYNC_TEST_REDIS_PORT", "6379"))


def redis_url(db: int) -> str:
    """The tests' Redis, database ``db`` (each suite keeps to its own number)."""
    return f"redis://127.0.0.1:{REDIS_PORT}/{db}"
