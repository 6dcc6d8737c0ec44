"""``[alerts]`` in the stores file: its own model, read beside the stores' (issue #15).

    [alerts]
    provider_failing_minutes = 5      # a provider with no successful call for this long
    repeat_after_minutes = 60         # a firing alert that changed is re-sent at most this often
    console_url = "https://sync.example/ui"

    [[alerts.webhook]]                # POST JSON, X-Sync-Signature: sha256=HMAC(secret, ts.body)
    url = "https://ops.example/hooks/sync-engine"
    secret = "env:ALERT_WEBHOOK_SECRET"

    [[alerts.slack]]                  # Slack-compatible incoming webhook: {"text": …}
    url = "env:ALERT_SLACK_URL"

    [[alerts.email]]                  # stdlib smtplib
    host = "smtp.example"
    port = 587
    starttls = true
    username = "alerts@example"
    password = "env:ALERT_SMTP_PASSWORD"
    sender = "sync-engine <alerts@example>"
    to = ["ops@example"]
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from sync_engine.config import ConfigError
from sync_engine.web.ui.config import resolve_env


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookSinkConfig(_Model):
    url: Annotated[str, Field(pattern=r"^https?://")]
    secret: SecretStr
    timeout_s: Annotated[float, Field(gt=0)] = 10.0


class SlackSinkConfig(_Model):
    url: SecretStr  # a Slack incoming-webhook URL is itself the credential
    timeout_s: Annotated[float, Field(gt=0)] = 10.0


class EmailSinkConfig(_Model):
    host: str
    port: Annotated[int, Field(gt=0, lt=65536)] = 25
    sender: str
    to: Annotated[list[str], Field(min_length=1)]
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    ssl: bool = False
    timeout_s: Annotated[float, Field(gt=0)] = 10.0


class AlertsConfig(_Model):
    provider_failing_minutes: Annotated[float, Field(gt=0)] = 5.0
    repeat_after_minutes: Annotated[float, Field(gt=0)] = 60.0
    console_url: str | None = None
    webhook: list[WebhookSinkConfig] = []
    slack: list[SlackSinkConfig] = []
    email: list[EmailSinkConfig] = []

    @property
    def has_sinks(self) -> bool:
        return bool(self.webhook or self.slack or self.email)


def _resolve(value: Any, env: Mapping[str, str], where: str) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(v, env, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, env, f"{where}[{i}]") for i, v in enumerate(value)]
    return resolve_env(value, env, where)


def parse_alerts(data: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> AlertsConfig:
    env = os.environ if environ is None else environ
    raw = data.get("alerts") or {}
    if not isinstance(raw, dict):
        raise ConfigError(["alerts: must be a table, written [alerts]"])
    try:
        return AlertsConfig.model_validate(_resolve(raw, env, "alerts"))
    except ValidationError as exc:
        raise ConfigError([
            f"alerts.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        ]) from None


def load_alerts(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> AlertsConfig:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AlertsConfig()
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: TOML syntax error: {exc}"]) from None
    return parse_alerts(data, environ)
