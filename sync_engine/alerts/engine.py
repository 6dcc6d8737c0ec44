"""Compare what is wrong now (``rules``) with what was last said (``alert_state``), and send
one digest per evaluation to every sink:

* a condition not firing before → "firing" (once, however many jobs or calls it covers);
* a firing condition that grew (new fingerprint) → re-sent, at most every repeat_after;
* a firing condition that is gone → "resolved".

The state is committed only after at least one sink took the digest, so a total delivery
failure is retried at the next evaluation, and a restart neither re-sends nor forgets.
Beat runs one evaluation at a time (one beat per deployment).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.alerts import rules
from sync_engine.alerts.config import AlertsConfig
from sync_engine.alerts.sinks import Digest, Sink
from sync_engine.logging import get_logger, redact, redact_text
from sync_engine.store.models import AlertState

log = get_logger(__name__)
FIRING, RESOLVED = "firing", "resolved"


@dataclass
class Outcome:
    firing: list[rules.Condition] = field(default_factory=list)
    updated: list[rules.Condition] = field(default_factory=list)
    resolved: list[AlertState] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.firing or self.updated or self.resolved)


class AlertEngine:
    def __init__(self, sessions: sessionmaker[Session], config: AlertsConfig, sinks: Sequence[Sink],
                 clock: Callable[[], datetime] | None = None) -> None:
        self.sessions, self.config, self.sinks = sessions, config, list(sinks)
        self.clock = clock or (lambda: datetime.now(UTC))

    def evaluate(self) -> Outcome:
        now = self.clock()
        repeat = timedelta(minutes=self.config.repeat_after_minutes)
        out = Outcome()
        with self.sessions() as session:
            current = {c.key: c for c in rules.evaluate(session, now, self.config.provider_failing_minutes)}
            states = {(s.rule, s.group_key): s for s in session.scalars(select(AlertState))}
            for key, condition in current.items():
                state = states.get(key)
                if state is None or state.status == RESOLVED:
                    out.firing.append(condition)
                elif state.fingerprint != condition.fingerprint and (
                        state.last_notified_at is None or now - state.last_notified_at >= repeat):
                    out.updated.append(condition)
            out.resolved = [s for key, s in states.items() if s.status == FIRING and key not in current]
            if not out.changed:
                return out
            digest = self.digest(out, now)
            for sink in self.sinks:
                try:
                    sink.send(digest)
                    out.delivered.append(sink.name)
                except Exception as exc:  # noqa: BLE001 - one sink down must not stop the others
                    out.failed[sink.name] = redact_text(f"{type(exc).__name__}: {exc}")[:300]
                    log.warning("alert delivery failed", sink=sink.name, error=out.failed[sink.name])
            if self.sinks and not out.delivered:
                session.rollback()  # nobody was told: try again at the next evaluation
                return out
            for condition in (*out.firing, *out.updated):
                state = states.get(condition.key)
                if state is None:
                    state = AlertState(rule=condition.rule, group_key=condition.group_key, since=now)
                    session.add(state)
                elif state.status == RESOLVED:
                    state.since, state.resolved_at = now, None
                state.status, state.fingerprint, state.last_notified_at = FIRING, condition.fingerprint, now
                state.summary = redact_text(condition.title)[:2000]
            for state in out.resolved:
                state.status, state.resolved_at, state.last_notified_at = RESOLVED, now, now
            session.commit()
        log.info("alerts sent", firing=len(out.firing), updated=len(out.updated), resolved=len(out.resolved),
                 sinks=out.delivered)
        return out

    def digest(self, out: Outcome, now: datetime) -> Digest:
        parts = []
        if out.firing:
            parts.append(f"{len(out.firing)} firing")
        if out.updated:
            parts.append(f"{len(out.updated)} still firing")
        if out.resolved:
            parts.append(f"{len(out.resolved)} resolved")
        subject = f"[sync-engine] {', '.join(parts)}"
        lines: list[str] = []
        for heading, items in (("FIRING", out.firing), ("STILL FIRING", out.updated)):
            for c in items:
                lines += [f"{heading}: {c.title}", *(f"  {line}" for line in c.lines)]
        for s in out.resolved:
            lines.append(f"RESOLVED: {s.summary} (since {s.since:%Y-%m-%d %H:%M} UTC)")
        if self.config.console_url:
            lines.append(f"console: {self.config.console_url.rstrip('/')}/attention")
        payload = {
            "sent_at": now.isoformat(),
            "firing": [_view(c, FIRING) for c in out.firing] + [_view(c, "still_firing") for c in out.updated],
            "resolved": [{"rule": s.rule, "group": s.group_key, "title": s.summary,
                          "since": s.since.isoformat()} for s in out.resolved],
        }
        return Digest(redact_text(subject), redact_text("\n".join(lines)), redact(payload))


def _view(c: rules.Condition, status: str) -> dict[str, object]:
    return {"rule": c.rule, "group": c.group_key, "status": status, "title": c.title, "lines": list(c.lines)}
