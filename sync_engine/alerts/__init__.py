"""Alerts (issue #15): rules over the state store, sinks that deliver a digest, and the
state that makes an outage one message and its end one "resolved" — across restarts.

``config``: the ``[alerts]`` section; ``rules``: what is wrong now; ``sinks``: signed
webhook, SMTP e-mail, Slack-compatible webhook; ``engine``: compare with ``alert_state``,
send, remember. Beat runs ``workers.tasks.evaluate_alerts`` every minute.
"""
