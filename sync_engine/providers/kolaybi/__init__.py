"""KolayBi (``kolaybi``): cari, products, invoice, GİB e-document.

``mapping`` pure order → form payload functions, ``forms`` the bracket-form encoder,
``provider`` the I/O, ``config`` the [stores.provider] model."""

from __future__ import annotations

from sync_engine.providers.kolaybi.config import KolayBiConfig
from sync_engine.providers.spec import ProviderSpec, lazy_exports

SPEC = ProviderSpec(
    name="kolaybi",
    title="KolayBi",
    config=KolayBiConfig,
    adapter="sync_engine.providers.kolaybi.adapter:KolayBiProvider",
    simulator="sync_engine.sandbox.kolaybi",
    sandbox_prefix="/kolaybi",
)

_LAZY = {
    "KolayBiProvider": "adapter",
    "message_of": "adapter",
}

__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = ["SPEC", "KolayBiConfig", *_LAZY]
