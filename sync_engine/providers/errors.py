"""The error taxonomy, for provider code: it lives in ``sync_engine.errors`` (shared with the
shop clients and the pipeline); this name stays because every adapter says "provider error"."""

from sync_engine.errors import (
    BODY_LIMIT,
    AuthError,
    OrderDataError,
    PermanentError,
    ProviderError,
    TransientError,
    UnsupportedCapability,
    classify_response,
    parse_retry_after,
    require_fits,
    transport_error,
)

__all__ = [
    "BODY_LIMIT", "AuthError", "OrderDataError", "PermanentError", "ProviderError", "TransientError",
    "UnsupportedCapability", "classify_response", "parse_retry_after", "require_fits", "transport_error",
]
