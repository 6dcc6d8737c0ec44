"""Shop platforms: webhook signature checks and payload → Order, one module per platform."""

# Reading shop values: ids exactly as text (Shopify ids exceed 2^53), any value as tidy text.
from sync_engine.platforms._util import blocking_problems, id_text, text
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
    "id_text",
    "text",
]
