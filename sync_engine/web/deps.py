"""What the web app runs on, built once per process and injectable in tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy.orm import Session, sessionmaker


@dataclass
class WebContext:
    sessions: sessionmaker[Session]
    stores: Mapping[str, Any]
    redis: redis.Redis | None
    admin_token: str | None
    enqueue: Callable[[int], bool]
