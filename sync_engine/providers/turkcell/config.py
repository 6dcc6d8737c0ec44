"""[stores.provider] keys of this provider (docs/configuration.md lists them)."""

from __future__ import annotations

from typing import Literal

from sync_engine.config_types import Secret, Text, HttpUrl
from sync_engine.providers.config import ProviderConfigBase


class TurkcellEsirketConfig(ProviderConfigBase):
    name: Literal["turkcell_esirket"]
    efatura_base_url: HttpUrl
    token_url: HttpUrl
    username: Text
    password: Secret
    # The havuz (pool) account each new cari is matched to, so muhasebeleştir can post.
    pool_account_code: Text

    def account_key(self) -> str:
        return f"turkcell_esirket|{self.base_url}|{self.username}"
