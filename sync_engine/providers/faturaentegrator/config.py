"""[stores.provider] keys of this provider (docs/configuration.md lists them)."""

from __future__ import annotations

from typing import Literal

from sync_engine.config_types import IdValue, Secret, _fingerprint
from sync_engine.providers.config import ProviderConfigBase


class FaturaEntegratorConfig(ProviderConfigBase):
    name: Literal["faturaentegrator"]
    api_key: Secret
    sale_channel_id: IdValue
    invoice_integration_id: IdValue

    def account_key(self) -> str:
        return f"faturaentegrator|{self.base_url}|{_fingerprint(self.api_key)}"
