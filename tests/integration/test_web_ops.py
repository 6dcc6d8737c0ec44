"""Ops API, /healthz and /metrics through the real app, on SQLite and PostgreSQL (issue:
"Webhook ingest, ops API and the demo"). Shapes: DESIGN §7."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.store.repositories import AttemptRepository, JobRepository
from tests.support.web import (
    ADMIN_TOKEN,
    DEAD_REDIS_URL,
    QUEUE,
    WebHarness,
    paid_shopify,
    paid_woocommerce,
    shopify_company_without_vkn,
    web_harness,
)

JOB_KEYS = {
    "id", "store_id", "order_id", "idempotency_key", "status", "steps", "ettn", "invoice_number",
    "gib_uuid", "rounding_difference", "last_error", "created_at", "updated_at",
}
STEPS = {"customer", "invoice", "e_document", "journal"}


@pytest.fixture
def web(session_factory: sessionmaker[Session], tmp_path: Path) -> Iterator[WebHarness]:
    with web_harness(session_factory, tmp_path) as harness:
        yield harness


def make_jobs(web: WebHarness) -> dict[str, list[int]]:
    """Five jobs: three queued (two Shopify, one WooCommerce), two needs_attention."""
    ids: dict[str, list[int]] = {"queued": [], "needs_attention": [], "kolay-shop": []}
    for n in (1, 2):
        ids["queued"].append(web.shopify(paid_shopify(n)).json()["job_id"])
    woo = web.woocommerce(paid_woocommerce(3, "company")).json()["job_id"]
    ids["queued"].append(woo)
    ids["kolay-shop"].append(woo)
    for n in (4, 5):
        answer = web.shopify(shopify_company_without_vkn(n), topic="orders/paid").json()
        assert answer["status"] == "needs_attention"
        ids["needs_attention"].append(answer["job_id"])
    return ids


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in a Prometheus text exposition (None when absent)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if found == labels:
            return float(match.group(3))
    return None


# --- auth ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer wrong", f"Basic {ADMIN_TOKEN}", f"Bearer {ADMIN_TOKEN}x",
     f"Token {ADMIN_TOKEN}", f"Bearer {ADMIN_TOKEN[:-1]}"],
)
def test_ops_api_needs_the_bearer_token(web: WebHarness, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in (("GET", "/api/jobs"), ("GET", "/api/jobs/1"), ("POST", "/api/jobs/1/retry")):
        response = web.client.request(method, path, headers=headers)
        assert response.status_code == 401, (method, path)
        assert response.headers.get("www-authenticate") == "Bearer"


def test_bearer_scheme_is_case_insensitive(web: WebHarness) -> None:
    response = web.client.get("/api/jobs", headers={"Authorization": f"bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200


def test_ops_api_without_a_configured_token_is_503(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    with web_harness(session_factory, tmp_path, admin_token=None) as web:
        for token in (None, "", "anything", ADMIN_TOKEN):
            response = web.api("GET", "/api/jobs", token=token)
            assert response.status_code == 503
        assert web.api("POST", "/api/jobs/1/retry").status_code == 503
        # Health and metrics stay open: probes and scrapers carry no token.
        assert web.client.get("/healthz").status_code == 200
        assert web.client.get("/metrics").status_code == 200


# --- GET /api/jobs ----------------------------------------------------------------------


def test_list_jobs_shape_newest_first(web: WebHarness) -> None:
    ids = make_jobs(web)
    response = web.api("GET", "/api/jobs")
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"items", "next_cursor"} and page["next_cursor"] is None
    items = page["items"]
    assert [i["id"] for i in items] == sorted(ids["queued"] + ids["needs_attention"], reverse=True)
    for item in items:
        assert JOB_KEYS <= set(item)
        assert set(item["steps"]) == STEPS
        for step in item["steps"].values():
            assert step == {"state": "pending", "external_id": None}
        assert item["idempotency_key"] == f"{item['store_id']}:{item['order_id']}:sale"
        assert datetime.fromisoformat(item["created_at"]).tzinfo is not None
        assert item["status"] in {"queued", "needs_attention"}
    attention = [i for i in items if i["status"] == "needs_attention"]
    assert all(i["last_error"]["class"] == "invalid_order" and "VKN" in i["last_error"]["message"] for i in attention)
    assert all(i["last_error"] is None for i in items if i["status"] == "queued")
    assert {i["order_name"] for i in items} == {"#1001", "#1002", "#1003", "#1004", "#1005"}


def test_list_jobs_pagination_walks_every_job_once(web: WebHarness) -> None:
    ids = make_jobs(web)
    everything = sorted(ids["queued"] + ids["needs_attention"], reverse=True)
    seen: list[int] = []
    cursor: int | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        page = web.api("GET", "/api/jobs", params=params).json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert cursor == seen[-1]
    assert seen == everything and pages == 3

    # A new job arriving mid-walk does not shift the later pages (keyset, not OFFSET).
    first = web.api("GET", "/api/jobs", params={"limit": 2}).json()
    web.shopify(paid_shopify(9))
    rest = web.api("GET", "/api/jobs", params={"limit": 10, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in first["items"]] + [i["id"] for i in rest["items"]] == everything


def test_list_jobs_filters(web: WebHarness) -> None:
    ids = make_jobs(web)

    def listed(**params: Any) -> list[int]:
        response = web.api("GET", "/api/jobs", params=params)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert listed(status="needs_attention") == sorted(ids["needs_attention"], reverse=True)
    assert listed(status="queued") == sorted(ids["queued"], reverse=True)
    assert listed(store="kolay-shop") == ids["kolay-shop"]
    assert listed(store="demo-shop", status="queued") == sorted(set(ids["queued"]) - set(ids["kolay-shop"]), reverse=True)
    assert listed(store="kolay-shop", status="needs_attention") == []
    assert listed(status="completed") == []
    assert listed(store="no-such-shop") == []
    # The DESIGN's literal template, `?status=&store=`: empty means "no filter".
    assert len(listed(status="", store="")) == 5
    assert listed(status="needs_attention", limit=1) == [max(ids["needs_attention"])]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"limit": "x"}, {"cursor": "abc"}])
def test_list_jobs_rejects_bad_parameters(web: WebHarness, params: dict[str, Any]) -> None:
    assert web.api("GET", "/api/jobs", params=params).status_code == 422


# --- GET /api/jobs/{id} -----------------------------------------------------------------


def test_job_detail_includes_attempts_in_order(web: WebHarness) -> None:
    job_id = web.shopify(paid_shopify(1)).json()["job_id"]
    t0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    with web.sessions() as session:
        attempts = AttemptRepository(session)
        attempts.add(job_id, "customer", "POST /v1/currentaccounts", 1, t0, 120, 201)
        attempts.add(job_id, "invoice", "POST /v1/salesinvoices", 1, t0 + timedelta(seconds=1), 30_000, None,
                     "timeout", "read timed out after 30 s")
        attempts.add(job_id, "invoice", "POST /v1/salesinvoices", 2, t0 + timedelta(seconds=40), 250, 200)
        session.commit()

    response = web.api("GET", f"/api/jobs/{job_id}")
    assert response.status_code == 200
    detail = response.json()
    assert JOB_KEYS <= set(detail) and detail["id"] == job_id
    got = [(a["step"], a["attempt"], a["http_status"], a["error_class"], a["duration_ms"]) for a in detail["attempts"]]
    assert got == [("customer", 1, 201, None, 120), ("invoice", 1, None, "timeout", 30_000), ("invoice", 2, 200, None, 250)]
    assert detail["attempts"][1]["message"] == "read timed out after 30 s"
    assert datetime.fromisoformat(detail["attempts"][0]["started_at"]) == t0

    other = web.shopify(paid_shopify(2)).json()["job_id"]
    assert web.api("GET", f"/api/jobs/{other}").json()["attempts"] == []


def test_job_detail_unknown_is_404(web: WebHarness) -> None:
    assert web.api("GET", "/api/jobs/424242").status_code == 404
    assert web.api("GET", "/api/jobs/abc").status_code == 422


def test_order_chain_lists_the_sale_and_its_cancel_with_their_documents(web: WebHarness) -> None:
    payload = paid_shopify(7)
    sale_id = web.shopify(payload).json()["job_id"]
    with web.sessions() as session:
        JobRepository(session).set_fields(sale_id, datetime.now(UTC), invoice_id="inv-7", invoice_number="ABC2025000000007")
        session.commit()
    cancelled = {**payload, "cancelled_at": "2025-03-04T10:00:00+03:00", "updated_at": "2025-03-04T10:00:00+03:00",
                 "cancel_reason": "customer"}
    cancel_id = web.shopify(cancelled, topic="orders/cancelled").json()["job_id"]

    response = web.api("GET", f"/api/orders/demo-shop/{payload['id']}")
    assert response.status_code == 200
    chain = response.json()["chain"]
    assert [(c["job_id"], c["kind"]) for c in chain] == [(sale_id, "sale"), (cancel_id, "cancel")]
    assert chain[0]["key"] == f"demo-shop:{payload['id']}:sale"
    assert (chain[0]["document_id"], chain[0]["invoice_number"]) == ("inv-7", "ABC2025000000007")
    assert chain[0]["closed_reason"] and chain[1]["message"]
    # The same chain comes with each job's detail.
    assert web.api("GET", f"/api/jobs/{cancel_id}").json()["chain"] == chain
    assert web.api("GET", "/api/orders/demo-shop/424242").status_code == 404
    assert web.api("GET", f"/api/orders/demo-shop/{payload['id']}", token=None).status_code == 401


# --- POST /api/jobs/{id}/retry ----------------------------------------------------------


def test_retry_needs_attention_requeues_and_enqueues(web: WebHarness) -> None:
    job_id = web.shopify(shopify_company_without_vkn(4), topic="orders/paid").json()["job_id"]
    assert web.broker.llen(QUEUE) == 0
    response = web.api("POST", f"/api/jobs/{job_id}/retry")
    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["id"], view["status"], view["enqueued"]) == (job_id, "queued", True)
    assert view["attention_category"] is None and view["next_attempt_at"] is not None
    job = web.job(job_id)
    assert (job.status, job.attempt_count, job.lease_owner) == ("queued", 0, None)
    web.assert_queued(job_id)

    # Now queued: retrying again is a conflict, and nothing more is sent.
    again = web.api("POST", f"/api/jobs/{job_id}/retry")
    assert again.status_code == 409
    web.assert_queued(job_id)


def test_retry_of_completed_queued_or_unknown_job(web: WebHarness) -> None:
    queued = web.shopify(paid_shopify(1)).json()["job_id"]
    done = web.shopify(paid_shopify(2)).json()["job_id"]
    with web.sessions() as session:
        JobRepository(session).set_fields(done, datetime.now(UTC), status="completed", completed_at=datetime.now(UTC),
                                          step_customer="done", step_invoice="done", step_e_document="done",
                                          step_journal="done")
        session.commit()
    web.broker.delete(QUEUE)
    calls_before = list(web.enqueue.calls)

    assert web.api("POST", f"/api/jobs/{queued}/retry").status_code == 409
    assert web.api("POST", f"/api/jobs/{done}/retry").status_code == 409
    # Even forced, a completed invoice is never redone.
    assert web.api("POST", f"/api/jobs/{done}/retry", params={"force": "true"}).status_code == 409
    assert web.api("POST", "/api/jobs/999999/retry").status_code == 404
    assert web.job(done).status == "completed" and web.job(queued).status == "queued"
    assert web.enqueue.calls == calls_before and web.broker.llen(QUEUE) == 0


def test_retry_with_broker_down_still_requeues_in_the_table(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    with web_harness(session_factory, tmp_path, broker_url=DEAD_REDIS_URL) as web:
        job_id = web.shopify(shopify_company_without_vkn(4), topic="orders/paid").json()["job_id"]
        response = web.api("POST", f"/api/jobs/{job_id}/retry")
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["enqueued"]) == ("queued", False)
        assert web.job(job_id).next_attempt_at is not None


# --- /healthz ---------------------------------------------------------------------------


def test_healthz_ok(web: WebHarness) -> None:
    response = web.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_503_when_redis_is_unreachable(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    with web_harness(session_factory, tmp_path, health_redis_url=DEAD_REDIS_URL) as web:
        response = web.client.get("/healthz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "degraded" and body["database"] == "ok"
        assert body["redis"].startswith("error: ")


# --- /metrics ---------------------------------------------------------------------------


def test_metrics_count_webhooks_by_platform_and_result(web: WebHarness) -> None:
    for n in (1, 2, 3):
        assert web.shopify(paid_shopify(n)).status_code == 202
    headers_body = web.shopify(paid_shopify(1), event_id="same")  # new event id: one more event, same job
    assert headers_body.status_code == 202
    assert web.shopify(paid_shopify(1), event_id="same").status_code == 200  # duplicate
    for _ in range(4):
        assert web.shopify(paid_shopify(7), secret="forged").status_code == 401
    assert web.shopify(shopify_company_without_vkn(8), topic="orders/paid").status_code == 202
    assert web.woocommerce(paid_woocommerce(9)).status_code == 202
    assert web.post("woocommerce", "kolay-shop", {}, b"webhook_id=5").status_code == 200
    assert web.post("shopify", "kolay-shop", {}, b"{}").status_code == 404
    assert web.post("shopify", "nope", {}, b"{}").status_code == 404
    assert web.post("woocommerce", "kolay-shop", {}, b"x" * (1024 * 1024 + 1)).status_code == 413

    text = web.client.get("/metrics").text
    expected = {
        ("shopify", "accepted"): 4,
        ("shopify", "duplicate"): 1,
        ("shopify", "unauthorized"): 4,
        ("shopify", "needs_attention"): 1,
        ("woocommerce", "accepted"): 1,
        ("woocommerce", "ping"): 1,
        ("woocommerce", "too_large"): 1,
        ("unknown", "unknown_store"): 2,
    }
    for (platform, result), count in expected.items():
        assert metric(text, "sync_webhooks_total", platform=platform, result=result) == count, (platform, result)
    assert metric(text, "sync_webhooks_total", platform="generic", result="accepted") is None


def test_metrics_do_not_take_labels_from_arbitrary_paths(web: WebHarness) -> None:
    # A scanner posting to /webhooks/<anything>/<anything> must not grow the label set.
    for i in range(5):
        web.post(f"magento{i}", "demo-shop", {}, b"{}")
        web.post("shopify", f"shop{i}", {}, b"{}")
    text = web.client.get("/metrics").text
    assert "magento" not in text and "shop0" not in text
    assert metric(text, "sync_webhooks_total", platform="unknown", result="unknown_store") == 10


def test_metrics_job_gauges_follow_the_table(web: WebHarness) -> None:
    make_jobs(web)
    text = web.client.get("/metrics").text
    assert metric(text, "sync_jobs", status="queued") == 3
    assert metric(text, "sync_jobs", status="needs_attention") == 2
    web.api("POST", "/api/jobs/4/retry")
    text = web.client.get("/metrics").text
    assert metric(text, "sync_jobs", status="queued") == 4
    assert metric(text, "sync_jobs", status="needs_attention") == 1


def test_metrics_provider_errors_and_step_durations(web: WebHarness) -> None:
    first = web.shopify(paid_shopify(1)).json()["job_id"]
    second = web.shopify(paid_shopify(2)).json()["job_id"]
    t0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    with web.sessions() as session:
        a = AttemptRepository(session)
        a.add(first, "customer", "create", 1, t0, 100, 201)
        a.add(first, "invoice", "create", 1, t0, 2500, 503, "server_error", "upstream down")
        a.add(first, "invoice", "create", 2, t0, 400, 200)
        a.add(second, "invoice", "create", 1, t0, 30_000, None, "timeout", "read timeout")
        a.add(second, "invoice", "create", 2, t0, 1000, 503, "server_error", "again")
        a.add(second, "e_document", "send", 1, t0, 700, 422, "validation", "bad VKN")
        session.commit()
    text = web.client.get("/metrics").text
    assert metric(text, "sync_provider_errors", step="invoice", error_class="server_error") == 2
    assert metric(text, "sync_provider_errors", step="invoice", error_class="timeout") == 1
    assert metric(text, "sync_provider_errors", step="e_document", error_class="validation") == 1
    assert metric(text, "sync_provider_errors", step="customer", error_class="") is None
    assert metric(text, "sync_step_call_duration_seconds_count", step="invoice") == 4
    assert metric(text, "sync_step_call_duration_seconds_sum", step="invoice") == pytest.approx(33.9)
    assert metric(text, "sync_step_call_duration_seconds_count", step="customer") == 1
    assert metric(text, "sync_step_call_duration_seconds_sum", step="customer") == pytest.approx(0.1)
    assert metric(text, "sync_step_call_duration_seconds_count", step="e_document") == 1


def test_metrics_on_an_empty_store(web: WebHarness) -> None:
    response = web.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE sync_jobs gauge" in response.text
    assert metric(response.text, "sync_jobs", status="queued") is None
