"""The operator console in headless Chromium (#15): Debian's chromium + chromedriver driven by
Selenium against the real app (uvicorn in a thread, a real database, a real Celery producer
on Redis). Walks login → jobs filtered to needs_attention → one order's chain → retry (the
job leaves needs_attention) → bulk retry → mark resolved → a webhook replay, and writes a
screenshot of each page (the test's tmp dir and var/screenshots/).

No skip: without chromium the test FAILS and says how to install it.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.devtools.webhooks import build_shopify
from sync_engine.store.db import make_engine, make_session_factory
from sync_engine.store.models import Job
from sync_engine.store.repositories import EventRepository
from sync_engine.web.app import build_app
from sync_engine.web.deps import WebContext
from tests.support.web import (
    ADMIN_TOKEN,
    REDIS_URL,
    SHOPIFY_SECRET,
    CeleryEnqueue,
    load_test_stores,
    paid_shopify,
    shopify_company_without_vkn,
)
from workers.celery_app import make_celery

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def browser() -> Iterator[Any]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: the console browser tests need Debian's chromium and "
                    "chromedriver — run `bash scripts/ensure-chromium.sh` (apt-get install -y chromium "
                    "chromium-driver); .ci/run and make test do it", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--lang=tr"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def console(sqlite_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    celery = make_celery(REDIS_URL)
    enqueue = CeleryEnqueue(celery, sessions)
    stores = load_test_stores(tmp_path)
    app = build_app(WebContext(sessions=sessions, stores=stores, redis=None, admin_token=ADMIN_TOKEN,
                               enqueue=enqueue))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield {"url": f"http://127.0.0.1:{port}", "sessions": sessions, "enqueue": enqueue, "app": app}
    finally:
        server.should_exit = True
        thread.join(10)
        celery.close()
        engine.dispose()


def _shot(driver: Any, tmp_path: Path, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(tmp_path / f"console-{name}.png"))
    shutil.copyfile(tmp_path / f"console-{name}.png", SCREENSHOTS / f"console-{name}.png")


def _wait(driver: Any, condition: Any, timeout: float = 10) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _confirm_and_wait(driver: Any, button_id: str) -> str:
    """Press an action, accept its confirmation, and wait for the page it redirects to."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    old = driver.find_element(By.TAG_NAME, "main")
    driver.find_element(By.ID, button_id).click()
    _wait(driver, ec.alert_is_present()).accept()
    _wait(driver, ec.staleness_of(old))
    flash = _wait(driver, ec.presence_of_element_located((By.ID, "flash")))
    return str(flash.text)


def _status(sessions: sessionmaker[Session], job_id: int) -> str:
    with sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job.status


def _post_webhook(console: dict[str, Any], payload: Any, topic: str = "orders/paid") -> dict[str, Any]:
    import httpx

    headers, body = build_shopify(payload, secret=SHOPIFY_SECRET, topic=topic)
    r = httpx.post(f"{console['url']}/webhooks/shopify/demo-shop", content=body, headers=headers, timeout=10)
    assert r.status_code in (200, 202), r.text
    data: dict[str, Any] = r.json()
    return data


def test_console_walkthrough_in_chromium(browser: Any, console: dict[str, Any], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    url, sessions = console["url"], console["sessions"]
    for n in (1, 2):
        _post_webhook(console, paid_shopify(n))
    attention = [_post_webhook(console, shopify_company_without_vkn(n))["job_id"] for n in (4, 5, 6, 7)]
    # a delivery the mapper once rejected (stored raw, as ingest does), to be replayed
    headers, body = build_shopify(paid_shopify(9), secret=SHOPIFY_SECRET, topic="orders/paid")
    with sessions() as session:
        rejected, _ = EventRepository(session).insert_if_new(
            "demo-shop", "shopify", "replay-me-9", topic="orders/paid", source="webhook",
            headers={k: v for k, v in headers.items() if "hmac" not in k.lower()}, raw_body=body,
            status="rejected", reason="unexpected payload shape (KeyError: 'line_items')")
        session.commit()
        rejected_id = rejected.id

    # login
    browser.get(f"{url}/ui/jobs")
    _wait(browser, ec.presence_of_element_located((By.ID, "token")))
    _shot(browser, tmp_path, "login")
    browser.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    browser.find_element(By.ID, "login").click()
    _wait(browser, ec.presence_of_element_located((By.ID, "jobs")))

    # jobs filtered to needs_attention (a reload keeps the filter: it is in the URL)
    Select(browser.find_element(By.ID, "f-status")).select_by_value("needs_attention")
    browser.find_element(By.ID, "apply-filter").click()
    _wait(browser, ec.url_contains("status=needs_attention"))
    browser.refresh()
    rows = browser.find_elements(By.CSS_SELECTOR, "#jobs tbody tr[data-job]")
    assert sorted(int(r.get_attribute("data-job")) for r in rows) == sorted(attention)
    _shot(browser, tmp_path, "jobs")

    # one order's chain
    first = attention[0]
    browser.find_element(By.CSS_SELECTOR, f'tr[data-job="{first}"] a.order-link').click()
    _wait(browser, ec.presence_of_element_located((By.ID, f"job-{first}")))
    assert "Operatörü bekliyor" in browser.find_element(By.ID, f"next-{first}").text
    assert "orders/paid" in browser.find_element(By.ID, "order-events").text
    _shot(browser, tmp_path, "order")

    # retry: the job leaves needs_attention
    flash = _confirm_and_wait(browser, f"retry-{first}")
    assert f"job {first} queued" in flash
    assert _status(sessions, first) == "queued"
    assert browser.find_element(By.ID, f"status-{first}").text == "kuyrukta"

    # mark resolved, with a note
    second = attention[1]
    browser.get(f"{url}/ui/jobs/{second}")
    _wait(browser, ec.presence_of_element_located((By.ID, f"note-{second}")))
    browser.find_element(By.ID, f"note-{second}").send_keys("VKN alındı, fatura panelden kesildi")
    _confirm_and_wait(browser, f"resolve-{second}")
    assert _status(sessions, second) == "cancelled"
    assert "VKN alındı, fatura panelden kesildi" in browser.find_element(By.ID, "history").text

    # the needs_attention queue, grouped, then bulk retry of what is left
    browser.get(f"{url}/ui/attention")
    _shot(browser, tmp_path, "attention")
    browser.get(f"{url}/ui/jobs?status=needs_attention")
    flash = _confirm_and_wait(browser, "retry-all")
    assert "2 job(s) queued" in flash
    assert [_status(sessions, j) for j in attention[2:]] == ["queued", "queued"]

    # the webhook inbox and a replay
    browser.get(f"{url}/ui/events?status=rejected")
    _wait(browser, ec.presence_of_element_located((By.ID, f"replay-{rejected_id}")))
    _shot(browser, tmp_path, "events")
    flash = _confirm_and_wait(browser, f"replay-{rejected_id}")
    assert f"event {rejected_id}: accepted" in flash
    browser.get(f"{url}/ui/events")
    assert browser.find_element(By.ID, f"event-status-{rejected_id}").text == "kabul edildi"

    for page in ("reconcile", "health", "audit"):
        browser.get(f"{url}/ui/{page}")
        _wait(browser, ec.presence_of_element_located((By.TAG_NAME, "h1")))
        _shot(browser, tmp_path, page)
    audit = browser.find_element(By.ID, "audit").text
    for action in ("login", "retry", "resolve", "retry_bulk", "replay"):
        assert action in audit
    # htmx really ran the actions (not the no-JavaScript fallback): it is loaded from /ui/static
    assert browser.execute_script("return typeof window.htmx") == "object"
    # every job the console queued went to the broker, after its commit
    assert console["enqueue"].errors == []
    sent = [job_id for job_id, ok in console["enqueue"].calls if ok]
    assert {first, *attention[2:]} <= set(sent)
    assert all(console["enqueue"].seen_status[j] == "queued" for j in (first, *attention[2:]))
