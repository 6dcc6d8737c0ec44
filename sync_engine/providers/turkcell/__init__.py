"""Turkcell e-Şirket adapter (``turkcell_esirket``): ``paths`` holds every endpoint path,
``mapping`` the pure order → payload functions, ``adapter`` the provider class."""

from sync_engine.providers.turkcell.adapter import PROVIDER, TurkcellEsirketProvider, message_of

__all__ = ["PROVIDER", "TurkcellEsirketProvider", "message_of"]
