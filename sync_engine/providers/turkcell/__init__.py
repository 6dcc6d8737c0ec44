"""Turkcell e-Şirket (``turkcell_esirket``): Muhasebe (cari, invoice, journal) and the
e-Fatura service (e-Arşiv / e-Fatura send, GİB directory).

``paths`` endpoint paths, ``mapping`` pure order → payload and answer → result functions,
``adapter`` the I/O, ``config`` the [stores.provider] model, ``directory`` the cached GİB
user lookup."""

from __future__ import annotations

from sync_engine.providers.turkcell.config import TurkcellEsirketConfig
from sync_engine.providers.spec import ProviderSpec, lazy_exports

SPEC = ProviderSpec(
    name="turkcell_esirket",
    title="Turkcell e-Şirket",
    config=TurkcellEsirketConfig,
    adapter="sync_engine.providers.turkcell.adapter:TurkcellEsirketProvider",
    simulator="sync_engine.sandbox.turkcell",
    sandbox_prefix="/turkcell",
)

_LAZY = {
    "TurkcellEsirketProvider": "adapter",
    "TurkcellProvider": "adapter:TurkcellEsirketProvider",
    "message_of": "adapter",
    "PROVIDER": "adapter",
}

__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = ["SPEC", "TurkcellEsirketConfig", *_LAZY]
