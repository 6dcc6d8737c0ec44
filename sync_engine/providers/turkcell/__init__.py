"""Turkcell e-Şirket (``turkcell_esirket``): Muhasebe (cari, invoice, journal) and the
e-Fatura service (e-Arşiv / e-Fatura send, GİB directory).

``paths`` endpoint paths, ``mapping`` pure order → payload and answer → result functions,
``adapter`` the I/O, ``config`` the [stores.provider] model, ``directory`` the cached GİB
user lookup."""

from __future__ import annotations

import importlib
from typing import Any

from sync_engine.providers.turkcell.config import TurkcellEsirketConfig
from sync_engine.providers.spec import ProviderSpec

SPEC = ProviderSpec(
    name="turkcell_esirket",
    title="Turkcell e-Şirket",
    config=TurkcellEsirketConfig,
    adapter="sync_engine.providers.turkcell.adapter:TurkcellEsirketProvider",
    simulator="sync_engine.sandbox.turkcell",
    sandbox_prefix="/turkcell",
)

# Names importable from the package without importing the adapter at package import (the
# config loader imports every SPEC; the adapters import the config).
_LAZY = {
    "TurkcellEsirketProvider": "adapter",
    "TurkcellProvider": "adapter:TurkcellEsirketProvider",
    "message_of": "adapter",
    "PROVIDER": "adapter",
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(name)
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), attr or name)


__all__ = ["SPEC", "TurkcellEsirketConfig", *_LAZY]
