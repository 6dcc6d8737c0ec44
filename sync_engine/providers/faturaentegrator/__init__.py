"""FaturaEntegratör (``faturaentegrator``): customer, invoice, formalize (GİB).

``mapping`` pure order → payload functions, ``adapter`` the I/O, ``config`` the
[stores.provider] model."""

from __future__ import annotations

import importlib
from typing import Any

from sync_engine.providers.faturaentegrator.config import FaturaEntegratorConfig
from sync_engine.providers.spec import ProviderSpec

SPEC = ProviderSpec(
    name="faturaentegrator",
    title="FaturaEntegratör",
    config=FaturaEntegratorConfig,
    adapter="sync_engine.providers.faturaentegrator.adapter:FaturaEntegratorProvider",
    simulator="sync_engine.sandbox.faturaentegrator",
    sandbox_prefix="/faturaentegrator",
)

# Names importable from the package without importing the adapter at package import (the
# config loader imports every SPEC; the adapters import the config).
_LAZY = {
    "FaturaEntegratorProvider": "adapter",
    "message_of": "adapter",
    "PROVIDER": "adapter:FaturaEntegratorProvider",
    "rounding_difference": "mapping",
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(name)
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), attr or name)


__all__ = ["SPEC", "FaturaEntegratorConfig", *_LAZY]
