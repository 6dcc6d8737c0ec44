"""SinApp Muhasebe API: invoice with the buyer embedded, find by our id, soft cancel."""

from sync_engine.providers.sinapp.adapter import SinAppProvider, message_of

PROVIDER = SinAppProvider

__all__ = ["PROVIDER", "SinAppProvider", "message_of"]
