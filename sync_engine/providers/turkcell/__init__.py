"""Turkcell e-Şirket adapter (``turkcell_esirket``): ``paths`` holds every endpoint path,
``mapping`` the pure order → payload functions, ``directory`` the cached GİB user lookup,
``adapter`` the provider class."""

from sync_engine.providers.turkcell.adapter import PROVIDER, TurkcellEsirketProvider, message_of

# The name providers/registry.py imports.
TurkcellProvider = TurkcellEsirketProvider

__all__ = ["PROVIDER", "TurkcellEsirketProvider", "TurkcellProvider", "message_of"]
