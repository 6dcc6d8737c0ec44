"""[stores.provider] keys of this provider (docs/configuration.md lists them)."""

from __future__ import annotations

from typing import Literal

from sync_engine.config_types import Secret, Text, _fingerprint
from sync_engine.providers.config import ProviderConfigBase


class KolayBiConfig(ProviderConfigBase):
    name: Literal["kolaybi"]
    api_key: Secret
    channel: Text

    def account_key(self) -> str:
        return f"kolaybi|{self.base_url}|{_fingerprint(self.api_key)}"
