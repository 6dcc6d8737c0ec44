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


# The example stores' shop-side secrets: webhook signing secrets (the demo signs its own
# webhooks) and the shop API credentials reconciliation pulls orders with.
SHOP_SECRETS: dict[str, str] = {
    "DEMO_SHOP_WEBHOOK_SECRET": "demo-shop-webhook-secret",
    "DEMO_SHOP_API_TOKEN": "shpat_demo_shop",
    "KOLAY_SHOP_WEBHOOK_SECRET": "kolay-shop-webhook-secret",
    "KOLAY_SHOP_API_TOKEN": "ck_kolay_shop:cs_kolay_shop",
    "ENTEGRE_SHOP_WEBHOOK_SECRET": "entegre-shop-webhook-secret",
    "ENTEGRE_SHOP_API_TOKEN": "shpat_entegre_shop",
    "SINAPP_SHOP_WEBHOOK_SECRET": "sinapp-shop-webhook-secret",
    "SINAPP_SHOP_API_TOKEN": "ck_sinapp_shop:cs_sinapp_shop",
}
# shop id in stores.example.toml -> (platform, env name of its API credential)
EXAMPLE_SHOPS = {
    "demo-shop": ("shopify", "DEMO_SHOP_API_TOKEN"),
    "kolay-shop": ("woocommerce", "KOLAY_SHOP_API_TOKEN"),
    "entegre-shop": ("shopify", "ENTEGRE_SHOP_API_TOKEN"),
    "sinapp-shop": ("woocommerce", "SINAPP_SHOP_API_TOKEN"),
}


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
    for shop, (platform, env_name) in EXAMPLE_SHOPS.items():
        credential = SHOP_SECRETS[env_name]
        if platform == "shopify" and "shopify" in sims:
            sims["shopify"].set_token(shop, credential)
        elif platform == "woocommerce" and "woocommerce" in sims:
            key, _, secret = credential.partition(":")
            sims["woocommerce"].set_keys(shop, key, secret)
