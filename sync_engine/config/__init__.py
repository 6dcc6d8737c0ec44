"""Configuration: process settings from the environment (``settings.py``) and the per-shop
stores file (``stores.py``). Import from here; the two modules are the implementation."""

from sync_engine.config.settings import (
    EMBEDDED_REDIS,
    ConfigError,
    Settings,
    get_settings,
    is_embedded_redis,
    load_settings,
)
from sync_engine.config.stores import PROVIDERS, StoreConfig, load_stores, parse_stores

__all__ = [
    "EMBEDDED_REDIS", "PROVIDERS", "ConfigError", "Settings", "StoreConfig", "get_settings",
    "is_embedded_redis", "load_settings", "load_stores", "parse_stores",
]
