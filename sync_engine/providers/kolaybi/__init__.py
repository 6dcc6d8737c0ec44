"""KolayBi (kolaybi.com): cari, products, invoice, GİB e-document, e-Arşiv cancel.

``provider`` holds the adapter, ``mapping`` the pure order → payload functions, ``forms`` the
one bracket-form encoder.
"""

from sync_engine.providers.kolaybi.provider import KolayBiProvider, message_of

__all__ = ["KolayBiProvider", "message_of"]
