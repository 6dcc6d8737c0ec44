"""KolayBi (``kolaybi``): cari, products, invoice, GİB e-document.

``mapping`` pure order → form payload functions, ``forms`` the bracket-form encoder,
``provider`` the I/O, ``config`` the [stores.provider] model."""

from __future__ import annotations

import importlib
from typing import Any

from sync_engine.providers.kolaybi.config import KolayBiConfig
from sync_engine.providers.spec import ProviderSpec

SPEC = ProviderSpec(
    name="kolaybi",
    title="KolayBi",
    config=KolayBiConfig,
    adapter="sync_engine.providers.kolaybi.provider:KolayBiProvider",
    simulator="sync_engine.sandbox.kolaybi",
    sandbox_prefix="/kolaybi",
)

# Names importable from the package without importing the adapter at package import (the
# config loader imports every SPEC; the adapters import the config).
_LAZY = {
    "KolayBiProvider": "provider",
    "message_of": "provider",
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(name)
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), attr or name)


__all__ = ["SPEC", "KolayBiConfig", *_LAZY]
