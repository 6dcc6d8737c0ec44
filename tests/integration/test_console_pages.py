"""The operator console (/ui/, issue #15) through the real app on SQLite and PostgreSQL:
login and its cookie, CSRF, the filters, an order's chain, every action and its audit row."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.store.models import AuditEntry, Job
from sync_engine.store.repositories import AttemptRepository, JobRepository
from sync_engine.web.ui.auth import COOKIE
from tests.support.web import ADMIN_TOKEN, WebHarness, paid_shopify, shopify_company_without_vkn, web_harness


@pytest.fixture
def web(session_factory: sessionmaker[Session], tmp_path: Path) -> Iterator[WebHarness]:
    with web_harness(session_factory, tmp_path) as harness:
        yield harness


def login(web: WebHarness, token: str = ADMIN_TOKEN) -> str:
    r = web.client.post("/ui/login", data={"token": token, "next": "/ui/jobs"}, follow_redirects=False)
    assert r.status_code == 303
    return r.headers["location"]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def attention_jobs(web: WebHarness, *numbers: int) -> list[int]:
    ids = []
    for n in numbers:
        answer = web.shopify(shopify_company_without_vkn(n), topic="orders/paid").json()
        assert answer["status"] == "needs_attention"
        ids.append(answer["job_id"])
    return ids


def test_pages_need_a_session_and_login_sets_a_strict_httponly_cookie(web: WebHarness) -> None:
    for path in ("/ui/jobs", "/ui/attention", "/ui/events", "/ui/reconcile", "/ui/health", "/ui/audit"):
        r = web.client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/ui/login"), path
    bad = web.client.post("/ui/login", data={"token": ADMIN_TOKEN + "x"}, follow_redirects=False)
    assert "failed=1" in bad.headers["location"] and COOKIE not in web.client.cookies
    # an open redirect after login is refused
    r = web.client.post("/ui/login", data={"token": ADMIN_TOKEN, "next": "https://evil.example/"},
                        follow_redirects=False)
    assert r.headers["location"] == "/ui/jobs"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert ADMIN_TOKEN not in cookie
    page = web.client.get("/ui/jobs")
    assert page.status_code == 200 and "İşler" in page.text  # Turkish by default
    assert "Jobs" in web.client.get("/ui/jobs?lang=en").text
    # a forged cookie is no session
    web.client.cookies.set(COOKIE, cookie.split(";")[0].split("=", 1)[1][:-2] + "00", path="/ui")
    assert web.client.get("/ui/jobs", follow_redirects=False).status_code == 303


def test_actions_refuse_a_missing_or_wrong_csrf_token(web: WebHarness) -> None:
    [job_id] = attention_jobs(web, 4)
    login(web)
    for data in ({}, {"csrf": "0" * 64}):
        r = web.client.post(f"/ui/jobs/{job_id}/retry", data=data, follow_redirects=False)
        assert r.status_code == 403
    assert web.job(job_id).status == "needs_attention"
    with web.sessions() as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["login"]


def test_filters_counts_and_paging(web: WebHarness) -> None:
    queued = [web.shopify(paid_shopify(n)).json()["job_id"] for n in (1, 2, 3)]
    attention = attention_jobs(web, 4, 5)
    login(web)
    page = web.client.get("/ui/jobs").text
    assert re.search(r'id="count-needs_attention"[^>]*>[^<]*\(<span>2</span>\)', page)
    assert re.search(r'id="count-queued"[^>]*>[^<]*\(<span>3</span>\)', page)
    listed = [int(x) for x in re.findall(r'data-job="(\d+)"', page)]
    assert listed == sorted(queued + attention, reverse=True)  # newest first
    page = web.client.get("/ui/jobs", params={"status": "needs_attention"}).text
    assert [int(x) for x in re.findall(r'data-job="(\d+)"', page)] == sorted(attention, reverse=True)
    name = web.job(queued[1]).order_name
    page = web.client.get("/ui/jobs", params={"q": name.lstrip("#")}).text
    assert [int(x) for x in re.findall(r'data-job="(\d+)"', page)] == [queued[1]]
    for params, expected in (({"store": "kolay-shop"}, []), ({"provider": "turkcell_esirket"}, queued + attention),
                             ({"kind": "proforma"}, []), ({"date_to": "2000-01-01"}, [])):
        page = web.client.get("/ui/jobs", params=params).text
        assert sorted(int(x) for x in re.findall(r'data-job="(\d+)"', page)) == sorted(expected), params
    assert "not a date" in web.client.get("/ui/jobs", params={"date_from": "yesterday"}).text


def test_order_page_shows_chain_attempts_events_and_next_action(web: WebHarness) -> None:
    [job_id] = attention_jobs(web, 4)
    now = datetime.now(UTC)
    with web.sessions() as session:
        AttemptRepository(session).add(job_id, "customer", "POST /cari", 1, now - timedelta(seconds=5), 321,
                                       http_status=422, error_class="PermanentError",
                                       message="VergiNo alanı zorunludur")
        session.commit()
    login(web)
    job = web.job(job_id)
    page = web.client.get(f"/ui/jobs/{job_id}")  # follows to the order page
    assert page.status_code == 200 and f"/ui/orders/{job.store_id}/{job.order_id}" in str(page.url)
    html = page.text
    assert "VergiNo alanı zorunludur" in html and "PermanentError" in html and ">422<" in html and ">321<" in html
    assert "Operatörü bekliyor" in html and job.attention_category in html
    assert "orders/paid" in html  # the raw webhook event of the order
    assert f'id="retry-{job_id}"' in html and f'id="cancel-{job_id}"' in html


def test_retry_from_the_console_requeues_and_is_audited(web: WebHarness) -> None:
    [job_id] = attention_jobs(web, 4)
    login(web)
    job = web.job(job_id)
    csrf = csrf_of(web.client.get(f"/ui/orders/{job.store_id}/{job.order_id}").text)
    r = web.client.post(f"/ui/jobs/{job_id}/retry", data={"csrf": csrf}, headers={"HX-Request": "true"})
    assert r.status_code == 204 and "ok=" in r.headers["HX-Redirect"]
    assert web.job(job_id).status == "queued"
    assert web.enqueue.calls[-1] == (job_id, True)
    again = web.client.post(f"/ui/jobs/{job_id}/retry", data={"csrf": csrf}, follow_redirects=False)
    assert "err=" in again.headers["location"]  # queued, not needs_attention: refused
    with web.sessions() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "retry")).all()
        assert [(a.actor, a.job_id) for a in rows] == [("admin", job_id)]


def test_bulk_retry_touches_only_matching_needs_attention_jobs(web: WebHarness) -> None:
    queued = web.shopify(paid_shopify(1)).json()["job_id"]
    attention = attention_jobs(web, 4, 5, 6)
    login(web)
    csrf = csrf_of(web.client.get("/ui/jobs?status=needs_attention").text)
    r = web.client.post("/ui/jobs-retry", data={"csrf": csrf, "status": "needs_attention",
                                                "q": web.job(attention[0]).order_name}, follow_redirects=False)
    assert "1+job" in r.headers["location"] or "1%20job" in r.headers["location"]
    assert [web.job(j).status for j in attention] == ["queued", "needs_attention", "needs_attention"]
    web.client.post("/ui/jobs-retry", data={"csrf": csrf}, follow_redirects=False)  # no filter: all of them
    assert all(web.job(j).status == "queued" for j in attention)
    assert web.job(queued).status == "queued"
    with web.sessions() as session:
        bulk = session.scalars(select(AuditEntry).where(AuditEntry.action == "retry_bulk")).all()
        assert [a.detail["job_ids"] for a in bulk] == [[attention[0]], attention[1:]]


def test_resolve_needs_a_note_and_keeps_it_on_the_history(web: WebHarness) -> None:
    [job_id] = attention_jobs(web, 4)
    login(web)
    job = web.job(job_id)
    csrf = csrf_of(web.client.get(f"/ui/orders/{job.store_id}/{job.order_id}").text)
    r = web.client.post(f"/ui/jobs/{job_id}/resolve", data={"csrf": csrf, "note": "  "}, follow_redirects=False)
    assert "err=" in r.headers["location"] and web.job(job_id).status == "needs_attention"
    note = "invoiced by hand in the provider panel, see ticket 42 (ayse@example.com)"
    page = web.client.post(f"/ui/jobs/{job_id}/resolve", data={"csrf": csrf, "note": note})
    resolved = web.job(job_id)
    assert resolved.status == "cancelled" and resolved.closed_reason.startswith("resolved by admin: invoiced by hand")
    assert "ayse@example.com" not in resolved.closed_reason  # personal data masked
    assert "ticket 42" in page.text and "ayse@example.com" not in page.text


def test_cancel_is_refused_after_a_gib_send(web: WebHarness) -> None:
    a, b = attention_jobs(web, 4, 5)
    now = datetime.now(UTC)
    with web.sessions() as session:
        JobRepository(session).set_fields(b, now, step_e_document="done", e_document_sent_at=now)
        session.commit()
    login(web)
    job = web.job(a)
    csrf = csrf_of(web.client.get(f"/ui/orders/{job.store_id}/{job.order_id}").text)
    web.client.post(f"/ui/jobs/{a}/cancel", data={"csrf": csrf, "note": "duplicate order"})
    assert web.job(a).status == "cancelled" and web.job(a).closed_at is not None
    r = web.client.post(f"/ui/jobs/{b}/cancel", data={"csrf": csrf}, follow_redirects=False)
    refusal = unquote_plus(r.headers["location"])
    assert "err=" in refusal and "GİB send was already made" in refusal
    assert "GİB send was already made" in web.client.get(r.headers["location"]).text
    assert web.job(b).status == "needs_attention"
    job_b = web.job(b)
    assert f'id="cancel-{b}"' not in web.client.get(f"/ui/orders/{job_b.store_id}/{job_b.order_id}").text


def test_inbox_and_replay(web: WebHarness) -> None:
    [job_id] = attention_jobs(web, 4)
    web.shopify(paid_shopify(1))
    login(web)
    page = web.client.get("/ui/events?status=needs_attention").text
    event_ids = [int(x) for x in re.findall(r'data-event="(\d+)"', page)]
    assert len(event_ids) == 1
    csrf = csrf_of(page)
    r = web.client.post(f"/ui/events/{event_ids[0]}/replay", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and "needs_attention" in r.headers["location"]  # still no VKN
    with web.sessions() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "replay")).all()
        assert entry.event_id == event_ids[0] and entry.job_id == job_id


def test_attention_groups_health_reconcile_and_audit_pages(web: WebHarness) -> None:
    attention_jobs(web, 4, 5)
    [job_id] = [j.id for j in web.jobs()][:1]
    now = datetime.now(UTC)
    with web.sessions() as session:
        repo = AttemptRepository(session)
        repo.add(job_id, "invoice", "POST /invoice", 1, now - timedelta(minutes=3), 10, http_status=429,
                 error_class="TransientError", message="rate limited")
        repo.add(job_id, "invoice", "POST /invoice", 2, now - timedelta(minutes=2), 10, http_status=201)
        session.commit()
    login(web)
    from sync_engine.web.ui.texts import attention_fix

    category = web.job(job_id).attention_category
    attention = web.client.get("/ui/attention").text
    assert f'id="group-{category}"' in attention and attention_fix(category) in attention
    health = web.client.get("/ui/health").text
    row = re.search(r'id="health-turkcell_esirket">(.*?)</tr>', health, re.S).group(1)
    assert "<td>2</td>" in row and "TransientError: 1" in row and "<td>1</td>" in row
    assert web.client.get("/ui/reconcile").status_code == 200
    assert "login" in web.client.get("/ui/audit").text
    assert web.client.get("/ui/static/htmx.min.js").status_code == 200


def test_flash_messages_are_signed(web: WebHarness) -> None:
    login(web)
    forged = web.client.get("/ui/jobs", params={"ok": "Enter your token at evil.example", "sig": "0" * 32})
    assert "evil.example" not in forged.text


def test_per_operator_tokens_name_the_actor(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from sync_engine.config import load_stores
    from sync_engine.web.app import build_app
    from sync_engine.web.deps import WebContext
    from sync_engine.web.ui.config import load_operator_tokens
    from tests.support.web import ENV, write_stores

    path = write_stores(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + (
        '\n[console]\noperators = { ayse = "env:CONSOLE_AYSE" }\n'
        '\n[alerts]\nprovider_failing_minutes = 10\n'), encoding="utf-8")
    env = {**ENV, "CONSOLE_AYSE": "ayse-token-0123456789"}
    stores = load_stores(path, environ=env)  # [console] and [alerts] do not upset the stores' parser
    operators = load_operator_tokens(path, env)
    assert operators == {"ayse": "ayse-token-0123456789"}
    app = build_app(WebContext(sessions=session_factory, stores=stores, redis=None, admin_token=None,
                               enqueue=lambda _j: True, operators=operators))
    with TestClient(app) as client:
        assert client.post("/ui/login", data={"token": ADMIN_TOKEN}, follow_redirects=False).headers[
            "location"].endswith("failed=1")  # no SYNC_ADMIN_TOKEN configured here
        client.post("/ui/login", data={"token": "ayse-token-0123456789"})
        assert "ayse" in client.get("/ui/audit").text
    with session_factory() as session:
        assert session.scalars(select(AuditEntry.actor)).all() == ["ayse"]
