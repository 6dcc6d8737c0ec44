"""What every provider's ``[stores.provider]`` model has in common."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sync_engine.config_types import HttpUrl, Positive, _Model


class ProviderConfigBase(_Model):
    base_url: HttpUrl
    # At most 60 s: a job step makes a few calls, and steps must fit well inside the job
    # lease (SYNC_LEASE_TTL_S, 300 s) and Celery's task time limit (240 s soft).
    timeout_s: Annotated[float, Field(gt=0, le=60, allow_inf_nan=False)] = 10.0
    max_requests_per_s: Positive = 10.0

    def account_key(self) -> str:
        """Stable id of the provider account: keys buyer mappings and rate budgets."""
        raise NotImplementedError
