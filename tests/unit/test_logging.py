"""Rendered log output never carries a secret and only the tail of personal data."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from sync_engine.logging import (
    HANDLER_NAME,
    REDACTED,
    bind_job_context,
    configure_logging,
    get_logger,
    mask_pii,
    redact,
    redact_text,
)

Output = Callable[[], str]


@pytest.fixture(params=["console", "json"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def configured(fmt: str, level: str = "DEBUG") -> Iterator[Output]:
    """Logging into a string for the duration; the root logger is restored afterwards."""
    root = logging.getLogger()
    saved_level = root.level
    stream = io.StringIO()
    configure_logging(fmt, level, stream=stream)
    try:
        yield stream.getvalue
    finally:
        for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
            root.removeHandler(handler)
        root.setLevel(saved_level)
        logging.captureWarnings(False)
        structlog.reset_defaults()


@pytest.fixture
def output(fmt: str) -> Iterator[Output]:
    with configured(fmt) as get_text:
        yield get_text


@pytest.fixture
def json_output() -> Iterator[Output]:
    with configured("json") as get_text:
        yield get_text


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def longest_common_run(raw: str, masked: str) -> int:
    """Length of the longest piece of ``raw`` that survives in ``masked``."""
    best = 0
    for start in range(len(raw)):
        end = start + best + 1
        while end <= len(raw) and raw[start:end] in masked:
            best = end - start
            end += 1
    return best


def rendered_value(fmt: str, text: str, key: str) -> str:
    """The value a renderer printed for ``key`` on the last line."""
    if fmt == "json":
        return str(json_lines(text)[-1][key])
    match = re.search(rf"(?<![\w-]){re.escape(key)}=(\S+)", text.splitlines()[-1])
    assert match, text
    return match.group(1).strip("'\"")


# --- secrets by key ------------------------------------------------------------------------

SECRET_KEYS = [
    "authorization", "Authorization", "proxy-authorization", "api_key", "apikey", "x-api-key",
    "X-Api-Key", "x-api-secret", "api_secret", "secret", "client_secret", "webhook_secret",
    "password", "passwd", "token", "access_token", "refresh_token", "cookie", "set-cookie",
    "Set-Cookie", "X_API_KEY",
    # Any key containing secret / password / token.
    "shopify_access_token", "db_password", "consumerSecret", "X-Shopify-Access-Token",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_keys_are_redacted_everywhere(output: Output, key: str) -> None:
    raw = f"Zq{abs(hash(key)) % 10**6:06d}rawsecret"
    log = get_logger("sync_engine.test")
    log.info("provider call", **{key: raw})
    log.info("provider call", headers={key: raw, "Accept": "application/json"})
    log.info("provider call", request={"headers": [(key, raw)], "nested": [{"deep": {key: raw}}]})
    log.info("provider call", pairs=((key, raw),))
    text = output()
    assert len(text.splitlines()) == 4
    assert raw not in text
    assert "rawsecret" not in text
    assert text.count(REDACTED) >= 4
    assert "application/json" in text  # redaction is by key: the rest stays readable


def test_secretstr_values_render_redacted_under_any_key(output: Output) -> None:
    get_logger("t").info("loaded", value=SecretStr("sv-8812-zz"), items=[SecretStr("sv-8812-yy")])
    text = output()
    assert "sv-8812" not in text and "**********" not in text
    assert text.count(REDACTED) == 2


# --- personal data by key ------------------------------------------------------------------

PII = {
    "tckn": "38472915638",
    "vkn": "1000036109",
    "tax_id": "9876543217",
    "tax_number": "4567890128",
    "identifier": "7418529632",
    "identity_no": "52147896330",
    "identity_number": "63258741096",
    "currentAccountIdentifier": "3692581472",
    "email": "ayse.yilmaz@example.com",
    "e_mail": "mehmet.kaya@firma.com.tr",
    "phone": "+905321234567",
    "phone_number": "05329876543",
    "contact_email": "muhasebe@orneksirket.com",
    "contact_phone": "0532-555-4477",
}


@pytest.mark.parametrize("key", sorted(PII))
def test_personal_keys_keep_at_most_four_trailing_characters(
    output: Output, fmt: str, key: str
) -> None:
    raw = PII[key]
    get_logger("t").info("buyer", **{key: raw})
    text = output()
    assert raw not in text
    masked = rendered_value(fmt, text, key)
    assert masked and masked != raw
    assert longest_common_run(raw, masked) <= 4, masked
    if "@" not in raw:
        assert masked.endswith(raw[-2:])  # enough of a tail to tell two buyers apart


def test_personal_values_inside_nested_payloads(output: Output) -> None:
    payload = {"customer": {"identity_no": 38472915638, "Email": "ali@example.com",
                            "addresses": [{"phone": "05321112233", "city": "İstanbul"}]}}
    get_logger("t").info("kolaybi request", body=payload)
    text = output()
    for raw in ("38472915638", "ali@example.com", "05321112233"):
        assert raw not in text
    assert "İstanbul" in text


# --- free text -----------------------------------------------------------------------------

FREE_TEXT = [
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0cGFydA", "eyJhbGciOi"),
    ("retrying with bearer tok_live_5566778899ab", "tok_live"),
    ("proxy sent Basic dXNlcjpodW50ZXIyMg==", "dXNlcjpodW50ZXIyMg"),
    ("GET /invoices?api_key=AKIA55XYZ&page=2", "AKIA55XYZ"),
    ("form: username=demo&password=hunter2zz&grant=x", "hunter2zz"),
    ("refresh with refresh_token=rt-71k2 and client_secret=cs-99q", "rt-71k2"),
    ("refresh with refresh_token=rt-71k2 and client_secret=cs-99q", "cs-99q"),
    ('body {"api_secret": "as-top-991", "ok": true}', "as-top-991"),
    ("body {'password': 'pw-single-88'}", "pw-single-88"),
    ('body {"password": "it\'s-a-secret-9"}', "a-secret-9"),
    ("headers {'cookie': 'session=ck-7731'}", "ck-7731"),
    ('answer {"access_token": 48213, "n": 2}', "48213"),
    ("X-Api-Key: xk-4411-abc", "xk-4411-abc"),
    ("connect postgresql://sync:dbpass99@127.0.0.1/sync failed", "dbpass99"),
]


@pytest.mark.parametrize(("text", "secret"), FREE_TEXT)
def test_credentials_inside_free_text(output: Output, text: str, secret: str) -> None:
    log = get_logger("t")
    log.info(text)
    log.warning("provider answered", detail=text)
    rendered = output()
    assert secret not in rendered
    assert rendered.count(REDACTED) >= 2


@pytest.mark.parametrize(
    ("text", "raw"),
    [
        ("buyer ayse.yilmaz@example.com ordered", "ayse.yilmaz@example.com"),
        ("cari 38472915638 not found", "38472915638"),
        ("company vkn 1000036109 registered", "1000036109"),
        ("call +905321234567 back", "+905321234567"),
    ],
)
def test_personal_data_inside_free_text(output: Output, text: str, raw: str) -> None:
    get_logger("t").info(text, note=text)
    rendered = output()
    assert raw not in rendered
    line = rendered.splitlines()[-1]
    for chunk in re.findall(r"\*+[^\s'\"]*", line):
        assert longest_common_run(raw, chunk) <= 4


def test_free_text_without_personal_data_is_left_alone(output: Output) -> None:
    message = "invoice DMS2025000000123 for order #1001 total 199.90 TRY, ettn 1b4e28ba"
    get_logger("t").info(message)
    assert message in output().replace('\\"', '"')


def test_exception_tracebacks_are_redacted(output: Output) -> None:
    log = get_logger("t")
    try:
        raise RuntimeError("POST /token failed: password=tb-hunter-77 for ayse@example.com")
    except RuntimeError:
        log.exception("token request failed")
    text = output()
    assert "RuntimeError" in text
    assert "tb-hunter-77" not in text and "ayse@example.com" not in text


def test_exception_objects_as_values_are_redacted(output: Output) -> None:
    get_logger("t").warning("retrying", error=ValueError("token=ex-val-55 rejected"))
    text = output()
    assert "ex-val-55" not in text and "ValueError" in text


# --- stdlib loggers (httpx, celery, uvicorn) -----------------------------------------------


def test_stdlib_records_are_redacted_and_formatted_alike(output: Output, fmt: str) -> None:
    logging.getLogger("httpx").info("Authorization: Bearer abc123secretvalue")
    logging.getLogger("httpx").info("HTTP Request: %s %s", "GET", "http://x/y?token=qs-tok-77")
    logging.getLogger("celery.worker").warning("task failed: %s", {"password": "cel-pw-31"})
    logging.getLogger("uvicorn.error").error("buyer %s", "ayse@example.com")
    text = output()
    for raw in ("abc123secretvalue", "qs-tok-77", "cel-pw-31", "ayse@example.com"):
        assert raw not in text
    lines = text.splitlines()
    assert len(lines) == 4
    if fmt == "json":
        records = json_lines(text)
        assert [r["logger"] for r in records] == ["httpx", "httpx", "celery.worker", "uvicorn.error"]
        assert records[0]["event"] == f"Authorization: {REDACTED}"
        assert records[2]["level"] == "warning"
    else:
        assert "[httpx]" in lines[0] and REDACTED in lines[0]


def test_handlers_of_uvicorn_and_celery_are_replaced_by_the_redacting_one() -> None:
    foreign = io.StringIO()
    for name in ("uvicorn.access", "celery.task"):
        own = logging.getLogger(name)
        own.addHandler(logging.StreamHandler(foreign))
        own.propagate = False
    with configured("json") as get_text:
        logging.getLogger("uvicorn.access").info('"GET /api/jobs?token=%s HTTP/1.1" 200', "acc-77")
        logging.getLogger("celery.task").warning("buyer %s", "ayse@example.com")
        records = json_lines(get_text())
    assert foreign.getvalue() == ""
    assert [r["logger"] for r in records] == ["uvicorn.access", "celery.task"]
    assert "acc-77" not in json.dumps(records) and "ayse@example.com" not in json.dumps(records)


def test_warnings_are_routed_through_logging(output: Output) -> None:
    import warnings

    warnings.warn("deprecated call with api_key=warn-key-12", UserWarning, stacklevel=1)
    text = output()
    assert "py.warnings" in text and "warn-key-12" not in text


# --- job context ---------------------------------------------------------------------------


def test_job_context_shows_in_json_and_unbinds_on_exit(json_output: Output) -> None:
    log = get_logger("sync_engine.pipeline")
    with bind_job_context(store="demo-shop", order="1001", job_id=42, step="invoice", attempt=2):
        log.info("step started")
        logging.getLogger("httpx").info("HTTP Request: POST http://127.0.0.1:8900/kolaybi")
        with bind_job_context(step="e_document", attempt=1):
            log.info("sending to GİB")
        log.info("step finished")
    log.info("idle")
    started, http, inner, finished, idle = json_lines(json_output())
    expected = {"store": "demo-shop", "order": "1001", "job_id": 42, "step": "invoice",
                "attempt": 2}
    assert {k: started[k] for k in expected} == expected
    assert {k: http[k] for k in expected} == expected  # third-party records carry it too
    assert (inner["store"], inner["step"], inner["attempt"]) == ("demo-shop", "e_document", 1)
    assert (finished["step"], finished["attempt"]) == ("invoice", 2)
    assert not set(expected) & set(idle)
    assert inner["event"] == "sending to GİB"  # readable Turkish, not \u escapes
    assert "GİB" in json_output()


def test_job_context_leaves_unset_fields_out(json_output: Output) -> None:
    with bind_job_context(store="demo-shop", job_id=7):
        get_logger("t").info("x")
    (record,) = json_lines(json_output())
    assert record["store"] == "demo-shop" and record["job_id"] == 7
    assert "order" not in record and "step" not in record and "attempt" not in record


def test_job_context_is_redacted_like_any_value(json_output: Output) -> None:
    with bind_job_context(store="demo-shop", buyer_email="ayse@example.com"):
        get_logger("t").info("x")
    assert "ayse@example.com" not in json_output()


# --- configuration -------------------------------------------------------------------------


def test_level_filters_structlog_and_stdlib() -> None:
    with configured("json", "WARNING") as get_text:
        get_logger("t").info("quiet")
        logging.getLogger("httpx").info("quiet too")
        get_logger("t").warning("loud")
        assert [r["event"] for r in json_lines(get_text())] == ["loud"]


def test_configuring_twice_keeps_one_handler() -> None:
    with configured("json") as get_text:
        configure_logging("json", "INFO", stream=io.StringIO())
        named = [h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME]
        assert len(named) == 1
        assert get_text() == ""


def test_get_logger_before_configuration_installs_the_redacting_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with configured("json"):
        structlog.reset_defaults()
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
            root.removeHandler(handler)
        get_logger("early").warning("early call", password="early-pw-1")
        assert [h for h in root.handlers if h.get_name() == HANDLER_NAME]
    err = capsys.readouterr().err
    assert "early call" in err and "early-pw-1" not in err


def test_bad_format_or_level_is_refused() -> None:
    with pytest.raises(ValueError):
        configure_logging("xml")
    with pytest.raises(ValueError):
        configure_logging("json", "LOUD")


# --- redact() itself ----------------------------------------------------------------------


def test_redact_keeps_shapes() -> None:
    value = {"headers": (("Authorization", "Bearer x"), ("Accept", "*/*")), "n": 3, "ok": None,
             "raw": b"password=bytes-pw-1", "amount": 1.5}
    result = redact(value)
    assert result["headers"] == (("Authorization", REDACTED), ("Accept", "*/*"))
    assert (result["n"], result["ok"], result["amount"]) == (3, None, 1.5)
    assert result["raw"] == f"password={REDACTED}"


def test_redact_masks_personal_data_used_as_mapping_keys() -> None:
    result = redact({"by_buyer": {"ayse@example.com": 3, "38472915638": 4}})
    assert result == {"by_buyer": {"***@***.com": 3, "*********38": 4}}


def test_redact_survives_self_referencing_structures() -> None:
    loop: dict[str, Any] = {"a": 1}
    loop["self"] = loop
    assert "[TOO DEEP]" in json.dumps(redact(loop), default=str)


@given(st.text(alphabet=st.characters(blacklist_characters="*", blacklist_categories=("Cs",)),
               min_size=1, max_size=40))
def test_masked_personal_values_keep_at_most_four_characters(raw: str) -> None:
    masked = mask_pii(raw)
    assert longest_common_run(raw, masked) <= 4


@given(st.emails())
def test_masked_emails_keep_at_most_four_characters(email: str) -> None:
    assert longest_common_run(email, mask_pii(email)) <= 4
    assert email not in redact_text(f"mail to {email} now")


# --- URL-encoded query strings (httpx logs every request URL at INFO) ------------------------

TURKCELL_LOOKUP = (
    "HTTP Request: GET http://127.0.0.1:8900/turkcell/v1/currentaccounts?filterQuery="
    "%5B%7B%22category%22%3A+%22Identifier%22%2C+%22operator%22%3A+%22e%C5%9Fittir%22%2C+"
    "%22value%22%3A+%2262601815964%22%7D%5D&pageSize=1 \"HTTP/1.1 200 OK\""
)
FE_SEARCH = (
    "HTTP Request: GET http://127.0.0.1:8900/faturaentegrator/api/customers?"
    "filters%5Bemail%5D%5B%24eqi%5D=ayse%40example.com&limit=1 \"HTTP/1.1 200 OK\""
)


@pytest.mark.parametrize(
    ("line", "raws"),
    [
        (TURKCELL_LOOKUP, ("62601815964", "2262601815964")),
        (FE_SEARCH, ("ayse@example.com", "ayse%40example.com", "ayse")),
        ("GET /x?vkn=1000036109&email=fatura%2Bshop%40ornek.com.tr", ("1000036109", "fatura", "ornek")),
    ],
)
def test_personal_data_in_url_encoded_queries_is_masked(output: Output, line: str, raws: tuple[str, ...]) -> None:
    logging.getLogger("httpx").info(line)  # the stdlib record, as httpx writes it
    rendered = output()
    assert "HTTP Request" in rendered or "GET /x" in rendered
    for raw in raws:
        assert raw not in rendered


def test_url_encoded_queries_without_personal_data_are_left_alone(output: Output) -> None:
    line = "GET http://shop.example/wp-json/wc/v3/orders?modified_after=2026-12-03T00%3A00%3A00&page=2&per_page=100"
    logging.getLogger("httpx").info(line)
    assert line in output()
