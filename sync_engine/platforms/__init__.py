"""Shop platforms: webhook signature checks and payload → Order, one module per platform."""

from sync_engine.platforms._util import blocking_problems
from sync_engine.platforms.base import (
    EventKind,
    MalformedPayload,
    ParsedDelivery,
    PlatformAdapter,
    SignatureError,
)
from sync_engine.platforms.registry import UnknownPlatform, get_platform

__all__ = [
    "EventKind",
    "MalformedPayload",
    "ParsedDelivery",
    "PlatformAdapter",
    "SignatureError",
    "UnknownPlatform",
    "blocking_problems",
    "get_platform",
]
