"""FaturaEntegratör: adapter (``adapter.py``) and pure order → payload mappings (``mapping.py``)."""

from sync_engine.providers.faturaentegrator.adapter import FaturaEntegratorProvider, message_of
from sync_engine.providers.faturaentegrator.mapping import rounding_difference

PROVIDER = FaturaEntegratorProvider

__all__ = ["PROVIDER", "FaturaEntegratorProvider", "message_of", "rounding_difference"]
