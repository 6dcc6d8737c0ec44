"""What the web app runs on, built once per process and injectable in tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
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
    # The console's per-operator tokens ([console] in the stores file) and its clock (tests).
    operators: Mapping[str, str] = field(default_factory=dict)
    clock: Callable[[], datetime] | None = None
