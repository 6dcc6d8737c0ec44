"""SinApp Muhasebe API (``sinapp``): invoice with the buyer embedded; no GİB step.

``paths`` the endpoint paths, ``mapping`` pure request building and answer reading,
``adapter`` the I/O, ``config`` the [stores.provider] model."""

from __future__ import annotations

from sync_engine.providers.sinapp.config import SinAppConfig
from sync_engine.providers.spec import ProviderSpec, lazy_exports

SPEC = ProviderSpec(
    name="sinapp",
    title="SinApp",
    config=SinAppConfig,
    adapter="sync_engine.providers.sinapp.adapter:SinAppProvider",
    simulator="sync_engine.sandbox.sinapp",
    sandbox_prefix="/sinapp",
)

_LAZY = {
    "SinAppProvider": "adapter",
    "message_of": "adapter",
    "PROVIDER": "adapter:SinAppProvider",
}

__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = ["SPEC", "SinAppConfig", *_LAZY]
