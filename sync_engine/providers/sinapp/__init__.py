"""SinApp Muhasebe API (``sinapp``): invoice with the buyer embedded; no GİB step.

``mapping`` pure order → payload functions, ``adapter`` the I/O, ``config`` the
[stores.provider] model."""

from __future__ import annotations

import importlib
from typing import Any

from sync_engine.providers.sinapp.config import SinAppConfig
from sync_engine.providers.spec import ProviderSpec

SPEC = ProviderSpec(
    name="sinapp",
    title="SinApp",
    config=SinAppConfig,
    adapter="sync_engine.providers.sinapp.adapter:SinAppProvider",
    simulator="sync_engine.sandbox.sinapp",
    sandbox_prefix="/sinapp",
)

# Names importable from the package without importing the adapter at package import (the
# config loader imports every SPEC; the adapters import the config).
_LAZY = {
    "SinAppProvider": "adapter",
    "message_of": "adapter",
    "PROVIDER": "adapter:SinAppProvider",
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(name)
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), attr or name)


__all__ = ["SPEC", "SinAppConfig", *_LAZY]
