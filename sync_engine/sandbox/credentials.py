"""The sandbox's demo accounts, in one place: what the simulators accept and what the
example stores file (``stores.example.toml``) reads from its ``env:`` references."""

from __future__ import annotations

from typing import Any

TURKCELL_USERNAME = "demo"
TURKCELL_PASSWORD = "demo-password"
KOLAYBI_API_KEY = "kolaybi-sandbox-api-key"
KOLAYBI_CHANNEL = "sync-engine"
KOLAYBI_SERIES = "KLY"  # the kolay-shop store's GİB series (ön ek), set on its KolayBi company
FATURAENTEGRATOR_API_KEY = "fe-sandbox-api-key"


def provider_secrets() -> dict[str, str]:
    """Environment values for the example stores file's provider secrets."""
    from sync_engine.sandbox.sinapp import DEMO_API_KEY, DEMO_API_SECRET

    return {
        "TURKCELL_PASSWORD": TURKCELL_PASSWORD,
        "KOLAYBI_API_KEY": KOLAYBI_API_KEY,
        "FATURAENTEGRATOR_API_KEY": FATURAENTEGRATOR_API_KEY,
        "SINAPP_API_KEY": DEMO_API_KEY,
        "SINAPP_API_SECRET": DEMO_API_SECRET,
    }


def configure_sandbox(sandbox: Any) -> None:
    """Make the simulators accept the example stores' accounts (idempotent)."""
    sims = sandbox.simulators
    if "turkcell" in sims:
        sims["turkcell"].username = TURKCELL_USERNAME
        sims["turkcell"].password = TURKCELL_PASSWORD
    if "kolaybi" in sims:
        sims["kolaybi"].configure_series(KOLAYBI_CHANNEL, KOLAYBI_SERIES)
