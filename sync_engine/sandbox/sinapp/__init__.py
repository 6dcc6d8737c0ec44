"""SinApp Muhasebe API simulator; see ``simulator`` for endpoints, ledger kinds and the
assumptions made where the provider's document is silent."""

from sync_engine.sandbox.sinapp.contract import CONTRACTS
from sync_engine.sandbox.sinapp.simulator import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    NAME,
    PREFIX,
    SinAppSimulator,
)

SIMULATOR = SinAppSimulator

__all__ = ["CONTRACTS", "DEMO_API_KEY", "DEMO_API_SECRET", "NAME", "PREFIX", "SIMULATOR", "SinAppSimulator"]
