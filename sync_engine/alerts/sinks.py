"""Where a digest goes: a signed webhook, SMTP e-mail (stdlib smtplib), a Slack-compatible
incoming webhook. Every text has been through ``redact`` before it gets here."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

from sync_engine.alerts.config import AlertsConfig, EmailSinkConfig, SlackSinkConfig, WebhookSinkConfig

SIGNATURE_HEADER = "X-Sync-Signature"
TIMESTAMP_HEADER = "X-Sync-Timestamp"


@dataclass(frozen=True)
class Digest:
    """One evaluation's changes: everything that started, changed or ended, in one message."""

    subject: str
    text: str
    payload: dict[str, Any]


class Sink(Protocol):
    name: str

    def send(self, digest: Digest) -> None: ...


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + HMAC-SHA256(secret, timestamp + "." + body): the receiver recomputes it
    and refuses an old timestamp, so a captured delivery cannot be replayed later."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class WebhookSink:
    def __init__(self, config: WebhookSinkConfig) -> None:
        self.config, self.name = config, f"webhook {httpx.URL(config.url).host}"

    def send(self, digest: Digest) -> None:
        body = json.dumps(digest.payload, ensure_ascii=False, separators=(",", ":")).encode()
        ts = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: ts,
                   SIGNATURE_HEADER: signature(self.config.secret.get_secret_value(), ts, body)}
        httpx.post(self.config.url, content=body, headers=headers, timeout=self.config.timeout_s).raise_for_status()


class SlackSink:
    name = "slack"

    def __init__(self, config: SlackSinkConfig) -> None:
        self.config = config

    def send(self, digest: Digest) -> None:
        httpx.post(self.config.url.get_secret_value(), json={"text": f"*{digest.subject}*\n{digest.text}"},
                   timeout=self.config.timeout_s).raise_for_status()


class EmailSink:
    def __init__(self, config: EmailSinkConfig) -> None:
        self.config, self.name = config, f"email {config.host}"

    def send(self, digest: Digest) -> None:
        c = self.config
        message = EmailMessage()
        message["Subject"] = digest.subject
        message["From"] = c.sender
        message["To"] = ", ".join(c.to)
        message.set_content(digest.text)
        smtp_class = smtplib.SMTP_SSL if c.ssl else smtplib.SMTP
        with smtp_class(c.host, c.port, timeout=c.timeout_s) as smtp:
            if c.starttls and not c.ssl:
                smtp.starttls()
            if c.username and c.password:
                smtp.login(c.username, c.password.get_secret_value())
            smtp.send_message(message)


def build_sinks(config: AlertsConfig) -> list[Sink]:
    return [*(WebhookSink(w) for w in config.webhook), *(SlackSink(s) for s in config.slack),
            *(EmailSink(e) for e in config.email)]
