"""The SQL state store: models, engines and sessions, repositories, migrations."""

from sync_engine.store.db import (
    DEFAULT_DATABASE_URL,
    current_revision,
    make_engine,
    make_session_factory,
    session_scope,
    upgrade,
)

__all__ = [
    "DEFAULT_DATABASE_URL",
    "current_revision",
    "make_engine",
    "make_session_factory",
    "session_scope",
    "upgrade",
]
