"""Alerts (#15) end to end: rules over a real database, delivered to a local SMTP server, a
local signed-webhook receiver and a local Slack-compatible receiver, with time driven by an
injectable clock. A 10-minute outage of a provider with 200 orders sends one grouped alert
and one "resolved" per sink, and a restarted engine sends nothing again."""

from __future__ import annotations

import email
import json
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.alerts import rules
from sync_engine.alerts.config import ConfigError, parse_alerts
from sync_engine.alerts.engine import AlertEngine
from sync_engine.alerts.sinks import SIGNATURE_HEADER, TIMESTAMP_HEADER, build_sinks, signature
from sync_engine.store.models import AlertState
from sync_engine.store.repositories import AttemptRepository, JobRepository, ReconcileRepository

SECRET = "alert-webhook-secret-for-tests"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# -- local receivers -------------------------------------------------------------------------


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        self.wfile.write(b"220 test-smtp ready\r\n")
        data_mode, lines = False, []
        while raw := self.rfile.readline():
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if data_mode:
                if line == ".":
                    self.server.messages.append("\r\n".join(lines))  # type: ignore[attr-defined]
                    data_mode, lines = False, []
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith("..") else line)
                continue
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-test-smtp\r\n250 8BITMIME\r\n")
            elif verb == "DATA":
                data_mode = True
                self.wfile.write(b"354 end with .\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


class SMTPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages: list[str] = []


@dataclass
class Received:
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    fail: bool = False


def http_receiver(received: Received) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if received.fail:
                self.send_response(503)
                self.end_headers()
                return
            received.bodies.append(body)
            received.headers.append(dict(self.headers))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@dataclass
class Receivers:
    smtp: SMTPServer
    webhook: Received
    slack: Received
    config: Any


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    smtp = SMTPServer()
    webhook, slack = Received(), Received()
    hook_server, slack_server = http_receiver(webhook), http_receiver(slack)
    servers = (smtp, hook_server, slack_server)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    config = parse_alerts({"alerts": {
        "provider_failing_minutes": 5,
        "repeat_after_minutes": 60,
        "console_url": "https://sync.example/ui",
        "webhook": [{"url": f"http://127.0.0.1:{hook_server.server_address[1]}/hook", "secret": "env:HOOK_SECRET"}],
        "slack": [{"url": f"http://127.0.0.1:{slack_server.server_address[1]}/services/T000/B000/XXX"}],
        "email": [{"host": "127.0.0.1", "port": smtp.server_address[1], "sender": "alerts@sync.example",
                   "to": ["ops@shop.example"]}],
    }}, {"HOOK_SECRET": SECRET})
    try:
        yield Receivers(smtp, webhook, slack, config)
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_jobs(sessions: sessionmaker[Session], n: int, provider: str = "kolaybi", store: str = "kolay-shop",
              **fields: Any) -> list[int]:
    with sessions() as session:
        repo = JobRepository(session)
        ids = [repo.create_if_absent(f"{store}:{i}:sale", store_id=store, platform="woocommerce",
                                     order_id=str(1000 + i), order_name=f"#{1000 + i}", provider=provider,
                                     provider_account="acc", created_at=T0 - timedelta(hours=1), **fields)[0].id
               for i in range(n)]
        session.commit()
    return ids


def calls(sessions: sessionmaker[Session], job_ids: list[int], at: datetime, *, ok: bool) -> None:
    with sessions() as session:
        repo = AttemptRepository(session)
        for job_id in job_ids:
            repo.add(job_id, "invoice", "POST /invoices", 1, at, 40, http_status=201 if ok else 503,
                     error_class=None if ok else "TransientError", message=None if ok else "Service Unavailable")
        session.commit()


def verified_payloads(received: Received) -> list[dict[str, Any]]:
    out = []
    for body, headers in zip(received.bodies, received.headers, strict=True):
        assert headers[SIGNATURE_HEADER] == signature(SECRET, headers[TIMESTAMP_HEADER], body)
        out.append(json.loads(body))
    return out


# -- the outage ------------------------------------------------------------------------------


def test_a_ten_minute_outage_of_200_orders_sends_one_alert_and_one_resolved(
        session_factory: sessionmaker[Session], receivers: Receivers) -> None:
    jobs = make_jobs(session_factory, 200)
    clock = Clock(T0)
    calls(session_factory, jobs[:5], T0 - timedelta(minutes=1), ok=True)  # healthy before
    engine = AlertEngine(session_factory, receivers.config, build_sinks(receivers.config), clock)
    outcomes = []
    for minute in range(11):  # every job fails its call every minute for ten minutes
        clock.now = T0 + timedelta(minutes=minute)
        calls(session_factory, jobs, clock.now, ok=False)
        outcomes.append(engine.evaluate())
    fired_at = [i for i, o in enumerate(outcomes) if o.firing]
    assert fired_at == [5]  # once, when it had failed for provider_failing_minutes
    assert all(not o.updated and not o.resolved for o in outcomes)

    # a restart mid-outage (a new engine, a new process) sends nothing again
    clock.now = T0 + timedelta(minutes=10, seconds=30)
    assert not AlertEngine(session_factory, receivers.config, build_sinks(receivers.config), clock).evaluate().changed

    clock.now = T0 + timedelta(minutes=11)
    calls(session_factory, jobs[:1], clock.now, ok=True)  # the provider answers again
    assert len(engine.evaluate().resolved) == 1
    clock.now = T0 + timedelta(minutes=12)
    assert not engine.evaluate().changed

    assert len(receivers.smtp.messages) == 2
    firing_mail, resolved_mail = (email.message_from_string(m) for m in receivers.smtp.messages)
    assert firing_mail["Subject"] == "[sync-engine] 1 firing" and resolved_mail["Subject"] == "[sync-engine] 1 resolved"
    body = firing_mail.get_payload()
    assert "kolaybi failing for 5 min: 1200 failed call(s) for 200 job(s)" in body and "TransientError: 1200" in body
    assert "RESOLVED: kolaybi failing" in resolved_mail.get_payload()
    hooks = verified_payloads(receivers.webhook)
    assert [(len(h["firing"]), len(h["resolved"])) for h in hooks] == [(1, 0), (0, 1)]
    assert hooks[0]["firing"][0]["rule"] == rules.PROVIDER_FAILING and hooks[0]["firing"][0]["group"] == "kolaybi"
    assert [json.loads(b)["text"].split("\n")[0] for b in receivers.slack.bodies] == [
        "*[sync-engine] 1 firing*", "*[sync-engine] 1 resolved*"]
    with session_factory() as session:
        [state] = session.scalars(select(AlertState)).all()
        assert (state.status, state.resolved_at) == ("resolved", T0 + timedelta(minutes=11))


def test_a_tampered_webhook_body_fails_the_signature_check() -> None:
    body = b'{"firing":[]}'
    good = signature(SECRET, "1700000000", body)
    assert good != signature(SECRET, "1700000000", body + b" ")
    assert good != signature(SECRET, "1700000001", body)
    assert good != signature("other", "1700000000", body)


# -- the other rules, grouping and rate limits ---------------------------------------------------


def test_needs_attention_is_grouped_and_rate_limited_and_personal_data_is_masked(
        session_factory: sessionmaker[Session], receivers: Receivers) -> None:
    clock = Clock(T0)
    engine = AlertEngine(session_factory, receivers.config, build_sinks(receivers.config), clock)
    make_jobs(session_factory, 30, status="needs_attention", attention_category="invalid_tax_id",
              last_error_message="TCKN 10000000146 of ayse@example.com fails its checksum")
    first = engine.evaluate()
    assert [c.title for c in first.firing] == ["30 job(s) of kolay-shop need attention: invalid_tax_id"]
    # more jobs join within the hour: no second message until repeat_after has passed
    with session_factory() as session:
        JobRepository(session).create_if_absent("kolay-shop:x:sale", store_id="kolay-shop", platform="woocommerce",
                                                order_id="x", provider="kolaybi", provider_account="acc",
                                                status="needs_attention", attention_category="invalid_tax_id")
        session.commit()
    clock.now = T0 + timedelta(minutes=30)
    assert not engine.evaluate().changed
    clock.now = T0 + timedelta(minutes=61)
    again = engine.evaluate()
    assert [c.title for c in again.updated] == ["31 job(s) of kolay-shop need attention: invalid_tax_id"]
    assert len(receivers.smtp.messages) == 2
    everything = "".join(receivers.smtp.messages) + "".join(b.decode() for b in receivers.webhook.bodies)
    assert "10000000146" not in everything and "ayse@example.com" not in everything


def test_gib_rejection_and_reconciliation_difference_alert_and_resolve(
        session_factory: sessionmaker[Session], receivers: Receivers) -> None:
    clock = Clock(T0)
    engine = AlertEngine(session_factory, receivers.config, build_sinks(receivers.config), clock)
    [rejected] = make_jobs(session_factory, 1, status="needs_attention", attention_category="gib_send_failed",
                           e_document_message="Alıcı VKN 1234567890 GİB'de kayıtlı değil")
    with session_factory() as session:
        repo = ReconcileRepository(session)
        run = repo.start_run("kolay-shop", T0 - timedelta(days=1), T0, dry_run=False, started_at=T0)
        repo.add_item(run.id, "missing_job", "created_job", order_id="1200")
        repo.finish_run(run.id, finished_at=T0, status="finished")
        session.commit()
    out = engine.evaluate()
    assert sorted(c.rule for c in out.firing) == [rules.GIB_REJECTION, rules.RECONCILE_DIFFERENCE]
    hook = verified_payloads(receivers.webhook)[0]
    assert "1234567890" not in json.dumps(hook, ensure_ascii=False)
    # the operator resolves the rejection; the next run finds no difference
    with session_factory() as session:
        JobRepository(session).set_fields(rejected, T0, status="cancelled", attention_category=None)
        repo = ReconcileRepository(session)
        run = repo.start_run("kolay-shop", T0, T0 + timedelta(days=1), dry_run=False, started_at=T0)
        repo.finish_run(run.id, finished_at=T0, status="finished")
        session.commit()
    clock.now = T0 + timedelta(minutes=1)
    assert sorted(s.rule for s in engine.evaluate().resolved) == [rules.GIB_REJECTION, rules.RECONCILE_DIFFERENCE]


def test_when_every_sink_fails_the_alert_is_sent_at_the_next_evaluation(
        session_factory: sessionmaker[Session], receivers: Receivers) -> None:
    clock = Clock(T0)
    config = parse_alerts({"alerts": {"webhook": [
        {"url": receivers.config.webhook[0].url, "secret": SECRET}]}})
    engine = AlertEngine(session_factory, config, build_sinks(config), clock)
    make_jobs(session_factory, 2, status="needs_attention", attention_category="auth")
    receivers.webhook.fail = True
    failed = engine.evaluate()
    assert failed.firing and not failed.delivered and failed.failed
    receivers.webhook.fail = False
    clock.now = T0 + timedelta(minutes=1)
    assert engine.evaluate().delivered == [engine.sinks[0].name]
    assert len(receivers.webhook.bodies) == 1


def test_alerts_config_is_validated_with_clear_errors() -> None:
    with pytest.raises(ConfigError) as info:
        parse_alerts({"alerts": {"webhook": [{"url": "ftp://x", "secret": "s"}], "smtp": {}}})
    text = "\n".join(info.value.errors)
    assert "alerts.webhook.0.url" in text and "alerts.smtp" in text
    with pytest.raises(ConfigError, match="HOOK"):
        parse_alerts({"alerts": {"webhook": [{"url": "http://x", "secret": "env:HOOK"}]}}, {})


def test_the_beat_task_reads_alerts_from_the_stores_file(
        db_url: str, receivers: Receivers, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """``sync_engine.evaluate_alerts`` as beat calls it: settings from the environment, [alerts]
    from the stores file; a second tick with nothing new sends nothing."""
    from sync_engine.config import get_settings
    from sync_engine.store.db import make_engine, make_session_factory
    from tests.support.services import redis_url
    from tests.support.web import ENV, write_stores
    from workers.runtime import reset_runtime
    from workers.tasks import evaluate_alerts

    path = write_stores(tmp_path)
    hook = receivers.config.webhook[0].url
    path.write_text(path.read_text(encoding="utf-8")
                    + f'\n[alerts]\n[[alerts.webhook]]\nurl = "{hook}"\nsecret = "env:HOOK_SECRET"\n', encoding="utf-8")
    for key, value in {**ENV, "HOOK_SECRET": SECRET, "SYNC_DATABASE_URL": db_url, "SYNC_STORES_FILE": str(path),
                       "SYNC_REDIS_URL": redis_url(13)}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    reset_runtime()
    engine = make_engine(db_url)
    try:
        make_jobs(make_session_factory(engine), 3, status="needs_attention", attention_category="config")
        assert evaluate_alerts() == 1
        assert evaluate_alerts() == 0
        [payload] = verified_payloads(receivers.webhook)
        assert payload["firing"][0]["title"] == "3 job(s) of kolay-shop need attention: config"
    finally:
        reset_runtime()
        get_settings.cache_clear()
        engine.dispose()
