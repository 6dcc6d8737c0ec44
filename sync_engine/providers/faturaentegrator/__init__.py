"""FaturaEntegratör (``faturaentegrator``): customer, invoice, formalize (GİB).

``mapping`` pure order → payload functions, ``adapter`` the I/O, ``config`` the
[stores.provider] model."""

from __future__ import annotations

from sync_engine.providers.faturaentegrator.config import FaturaEntegratorConfig
from sync_engine.providers.spec import ProviderSpec, lazy_exports

SPEC = ProviderSpec(
    name="faturaentegrator",
    title="FaturaEntegratör",
    config=FaturaEntegratorConfig,
    adapter="sync_engine.providers.faturaentegrator.adapter:FaturaEntegratorProvider",
    simulator="sync_engine.sandbox.faturaentegrator",
    sandbox_prefix="/faturaentegrator",
)

_LAZY = {
    "FaturaEntegratorProvider": "adapter",
    "message_of": "adapter",
    "PROVIDER": "adapter:FaturaEntegratorProvider",
    "rounding_difference": "mapping",
}

__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = ["SPEC", "FaturaEntegratorConfig", *_LAZY]
