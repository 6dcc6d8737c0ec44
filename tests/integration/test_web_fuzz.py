"""Fuzzing the webhook endpoint of every platform (issue: "Webhook ingest, ops API and the
demo"): whatever arrives, the answer is never a 5xx, and nothing is stored unless the
signature is valid — validity computed here, independently, with ``hmac``.

SQLite gets the long run; PostgreSQL (which enforces column lengths and refuses NUL in
text) a shorter one.
"""

from __future__ import annotations

import base64
import io
import hashlib
import hmac
import json
import random
import re
import string
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from sync_engine.logging import configure_logging
from tests.support.leaks import identifiers_in, scan
from tests.support.web import (
    GENERIC_ORDER,
    GENERIC_SECRET,
    SHOPIFY_SECRET,
    WOO_SECRET,
    WebHarness,
    paid_shopify,
    paid_woocommerce,
    web_harness,
)

MAX_BODY = 1024 * 1024
PLATFORMS = {"shopify": "demo-shop", "woocommerce": "kolay-shop", "generic": "generic-shop"}
SECRETS = {"shopify": SHOPIFY_SECRET, "woocommerce": WOO_SECRET, "generic": GENERIC_SECRET}
# Header spellings as senders use them; HTTP/2 lowercases every name.
SIGNATURE_NAMES = {
    "shopify": ["X-Shopify-Hmac-Sha256", "x-shopify-hmac-sha256", "shopify-hmac-sha256", "X-SHOPIFY-HMAC-SHA256"],
    "woocommerce": ["X-WC-Webhook-Signature", "x-wc-webhook-signature"],
    "generic": ["webhook-signature", "Webhook-Signature"],
}
TOPIC_NAMES = {
    "shopify": ["X-Shopify-Topic", "x-shopify-topic", "shopify-topic"],
    "woocommerce": ["X-WC-Webhook-Topic", "x-wc-webhook-topic"],
    "generic": [],
}
TOPICS = {
    "shopify": ["orders/create", "orders/paid", "orders/updated", "orders/cancelled", "refunds/create",
                "products/update", "ORDERS/PAID", "orders/", "app/uninstalled"],
    "woocommerce": ["order.created", "order.updated", "order.deleted", "product.created", "action.woocommerce_x", "order."],
    "generic": [],
}
# Names a random extra header must not take: they steer the transport, not the app.
RESERVED = {"content-length", "transfer-encoding", "host", "connection", "expect", "content-encoding"}

SQLITE_EXAMPLES = 150
POSTGRES_EXAMPLES = 40
FUZZ_SETTINGS: dict[str, Any] = dict(
    deadline=None,
    database=None,
    # The same examples every run: the mix of accepted and malformed bodies the tests assert
    # on must not depend on the draw (40 random PostgreSQL examples once gave no 202).
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture
def web(session_factory: sessionmaker[Session], tmp_path: Path) -> Iterator[WebHarness]:
    with web_harness(session_factory, tmp_path) as harness:
        yield harness


def examples(web: WebHarness) -> int:
    dialect = web.sessions.kw["bind"].dialect.name
    return SQLITE_EXAMPLES if dialect == "sqlite" else POSTGRES_EXAMPLES


# --- the independent oracle ----------------------------------------------------------------


def _b64_hmac(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def expected_signature(platform: str, headers: dict[str, str], body: bytes) -> str | None:
    """What a sender holding the store's secret puts in the signature header (None when the
    generic headers it signs over are missing)."""
    secret = SECRETS[platform]
    if platform in ("shopify", "woocommerce"):
        return _b64_hmac(secret.encode(), body)
    low = {k.lower(): v.strip() for k, v in headers.items()}
    msg_id, ts = low.get("webhook-id"), low.get("webhook-timestamp")
    if not msg_id or not ts:
        return None
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return "v1," + _b64_hmac(key, f"{msg_id}.{ts}.".encode() + body)


def signature_valid(platform: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    low = {k.lower(): v.strip() for k, v in headers.items()}
    expected = expected_signature(platform, headers, body)
    if expected is None:
        return False
    if platform == "shopify":
        given_values = [low.get(n) for n in ("x-shopify-hmac-sha256", "shopify-hmac-sha256")]
        return any(v is not None and hmac.compare_digest(v.encode(), expected.encode()) for v in given_values)
    if platform == "woocommerce":
        given_value = low.get("x-wc-webhook-signature")
        return given_value is not None and hmac.compare_digest(given_value.encode(), expected.encode())
    try:
        sent_at = int(low["webhook-timestamp"])
    except ValueError:
        return False
    if abs(now - sent_at) > 300:
        return False
    entries = low.get("webhook-signature", "").split()
    return any(hmac.compare_digest(e.encode(), expected.encode()) for e in entries)


def is_woo_ping(platform: str, headers: dict[str, str], body: bytes) -> bool:
    """WooCommerce's unsigned "webhook saved" ping: answered 200, never stored."""
    low = {k.lower() for k in headers}
    return platform == "woocommerce" and "x-wc-webhook-signature" not in low and bool(
        re.fullmatch(rb"webhook_id=(\d{1,20})", body)
    )


# --- strategies -------------------------------------------------------------------------

printable = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60),
    # longer than any column it could land in (event keys 255, topics 128)
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=250, max_size=400),
)
# Values that are legal JSON but no column can hold as they are.
AWKWARD_TEXT = ["", " ", "1e400", "NaN", "-1", "0.001", "9" * 100, "a\x00b", "\ud800", "ş" * 300]
header_value = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80).map(str.strip)
header_name = st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=30).filter(
    lambda n: n.lower() not in RESERVED and not n.startswith("-")
)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=12), children, max_size=6),
    ),
    max_leaves=30,
)
ORDER_FIELDS = ["id", "financial_status", "line_items", "note_attributes", "billing_address", "currency",
                "total_price", "name", "cancelled_at", "status", "meta_data", "billing", "total", "order_id",
                "buyer", "lines", "paid", "paid_total", "updated_at", "date_modified_gmt", "shipping_lines",
                "tax_lines", "prices_include_tax", "taxes_included", "price", "quantity", "tax_lines"]


def real_order(platform: str, rng: random.Random) -> Any:
    kind = rng.choice(["person", "anonymous", "company"])
    n = rng.randint(1, 60)
    if platform == "shopify":
        return paid_shopify(n, kind, seed=rng.getrandbits(32))
    if platform == "woocommerce":
        return paid_woocommerce(n, kind, seed=rng.getrandbits(32))
    return json.loads(json.dumps(GENERIC_ORDER))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_order(draw: st.DrawFn, platform: str) -> Any:
    """A real order of the platform with a few fields replaced, deleted or retyped: the
    shapes a buggy plugin, an old API version or a hostile sender with the secret send."""
    order = real_order(platform, random.Random(draw(st.integers(0, 2**32))))
    for _ in range(draw(st.integers(0, 4))):
        paths = _paths(order)
        # Bias toward the fields the mappers read.
        named = [p for p in paths if isinstance(p[-1], str) and p[-1] in ORDER_FIELDS]
        path = draw(st.sampled_from(named or paths)) if paths else None
        if path is None:
            break
        parent = order
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "replace", "delete", "string", "number"]))
        last = path[-1]
        if action == "delete":
            if isinstance(parent, dict):
                parent.pop(last, None)
            else:
                parent.pop(last)
        elif action == "string":
            parent[last] = draw(st.one_of(st.text(max_size=30), st.sampled_from(AWKWARD_TEXT)))
        elif action == "number":
            parent[last] = draw(st.one_of(st.integers(-(10**20), 10**20), st.floats(allow_nan=False, allow_infinity=False)))
        else:
            parent[last] = draw(json_values)
    return order


def dump(value: Any, ensure_ascii: bool = False) -> bytes:
    """JSON bytes as a sender writes them; a lone surrogate can only travel \\u-escaped."""
    try:
        return json.dumps(value, ensure_ascii=ensure_ascii).encode()
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True).encode()


def body_strategy(platform: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.just(b""),
        mutated_order(platform).map(dump),
        # huge-ish: a repeated chunk, sometimes over the 1 MiB limit
        st.tuples(st.binary(min_size=1, max_size=16), st.integers(1, 140_000)).map(lambda t: t[0] * t[1]),
        st.integers(0, 10**25).map(lambda n: f"webhook_id={n}".encode()),
        st.sampled_from([b"webhook_id=12", b"webhook_id=", b"webhook_id=12\n", b"null", b"[]", b"{}", b'"x"',
                         b"[" * 100_000, b'{"a":' * 50_000, b'"\\ud800"', b"\xef\xbb\xbf{}"]),
    )


@st.composite
def delivery(draw: st.DrawFn, platform: str) -> tuple[dict[str, str], bytes]:
    # Decided first, so both sides of the check are reached in every run.
    want_valid = draw(st.booleans())
    body = draw(body_strategy(platform))
    headers: dict[str, str] = {}
    for name, value in draw(st.dictionaries(header_name, header_value, max_size=3)).items():
        headers[name] = value
    topic_names = TOPIC_NAMES[platform]
    if topic_names and draw(st.booleans()):
        headers[draw(st.sampled_from(topic_names))] = draw(st.one_of(st.sampled_from(TOPICS[platform]), printable))
    if platform == "shopify" and draw(st.booleans()):
        headers[draw(st.sampled_from(["X-Shopify-Event-Id", "shopify-event-id", "X-Shopify-Webhook-Id"]))] = draw(printable)
    if platform == "generic":
        if want_valid or draw(st.integers(0, 9)) > 0:
            headers[draw(st.sampled_from(["webhook-id", "Webhook-Id"]))] = draw(
                st.one_of(st.from_regex(r"msg_[a-z0-9]{1,24}", fullmatch=True), printable))
        if want_valid or draw(st.integers(0, 9)) > 0:
            # Clear of the 300 s edge, so the server's clock and ours agree on the verdict.
            fresh = st.integers(-290, 290)
            stale = st.one_of(st.integers(310, 10**9), st.integers(-(10**9), -310))
            offset = draw(fresh if want_valid else st.one_of(fresh, stale))
            sent = st.just(str(int(time.time()) + offset))
            headers["webhook-timestamp"] = draw(sent if want_valid else st.one_of(sent, printable))

    names = [n for n in headers if n.lower() in {s.lower() for s in SIGNATURE_NAMES[platform]}]
    for n in names:
        del headers[n]
    if want_valid:
        mode = draw(st.sampled_from(["valid", "valid_among_noise"]))
    else:
        mode = draw(st.sampled_from(["none", "text", "b64", "other_secret"]))
    sig_name = draw(st.sampled_from(SIGNATURE_NAMES[platform]))
    expected = expected_signature(platform, headers, body) or "v1,AAAA"
    b64 = base64.b64encode(draw(st.binary(min_size=32, max_size=32))).decode()
    if mode == "text":
        headers[sig_name] = draw(printable)
    elif mode == "b64":
        headers[sig_name] = ("v1," + b64) if platform == "generic" else b64
    elif mode == "valid":
        headers[sig_name] = expected
    elif mode == "other_secret":
        wrong = _b64_hmac(b"not-the-secret", body)
        headers[sig_name] = ("v1," + wrong) if platform == "generic" else wrong
    elif mode == "valid_among_noise":
        headers[sig_name] = f"v1,{b64} v2,{b64} {expected}" if platform == "generic" else f" {expected} "
    return headers, body


def check(web: WebHarness, platform: str, headers: dict[str, str], body: bytes) -> tuple[int, bool]:
    """Post one delivery; assert the invariants; return (status, signature valid)."""
    before = web.counts()
    now = time.time()
    response = web.post(platform, PLATFORMS[platform], headers, body)
    after = web.counts()
    valid = signature_valid(platform, headers, body, now)
    status = response.status_code
    assert status < 500, (status, response.text)
    assert status in {200, 202, 400, 401, 413}, (status, response.text)
    if after != before:
        assert valid, f"stored {after[0] - before[0]} event(s), {after[1] - before[1]} job(s) without a valid signature"
    if len(body) > MAX_BODY:
        assert status == 413 and after == before
    elif not valid:
        expected_status = 200 if is_woo_ping(platform, headers, body) else 401
        assert status == expected_status, (status, response.text)
    else:
        assert status in {200, 202, 400}, (status, response.text)
    return status, valid


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_random_deliveries_never_5xx_and_store_only_signed(web: WebHarness, platform: str) -> None:
    seen: dict[str, int] = {}

    @settings(max_examples=examples(web), **FUZZ_SETTINGS)
    @given(delivery(platform))
    def run(case: tuple[dict[str, str], bytes]) -> None:
        headers, body = case
        status, valid = check(web, platform, headers, body)
        key = f"{status}:{'valid' if valid else 'invalid'}"
        seen[key] = seen.get(key, 0) + 1

    run()
    # The generator must reach both sides of the check, or the property says little.
    assert any(k.endswith(":valid") for k in seen), seen
    assert any(k.startswith("401") for k in seen), seen


# --- correctly signed random JSON ------------------------------------------------------


@st.composite
def signed_json(draw: st.DrawFn, platform: str) -> tuple[dict[str, str], bytes, bool]:
    value = draw(st.one_of(mutated_order(platform), mutated_order(platform), json_values))
    body = dump(value, ensure_ascii=draw(st.booleans()))
    headers: dict[str, str] = {"Content-Type": "application/json"}
    if platform == "shopify":
        headers["X-Shopify-Topic"] = draw(st.sampled_from(TOPICS["shopify"][:5]))
        headers["X-Shopify-Event-Id"] = draw(st.uuids()).hex
    elif platform == "woocommerce":
        headers["X-WC-Webhook-Topic"] = draw(st.sampled_from(TOPICS["woocommerce"][:3]))
    else:
        headers["webhook-id"] = "msg_" + draw(st.uuids()).hex
        headers["webhook-timestamp"] = str(int(time.time()))
    forged = draw(st.integers(0, 9)) == 0  # now and then a wrong key, to keep the check honest
    signature = expected_signature(platform, headers, body) or ""
    if forged:
        signature = signature[:-6] + ("AAAAA=" if not signature.endswith("AAAAA=") else "BBBBB=")
    headers[SIGNATURE_NAMES[platform][0]] = signature
    return headers, body, not forged


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What the app logs during the test, at the default level (INFO), as JSON lines."""
    buffer = io.StringIO()
    configure_logging("json", "INFO", stream=buffer)
    try:
        yield buffer
    finally:
        configure_logging("console", "INFO")


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_signed_random_json_is_400_or_202_and_every_stored_event_is_signed(
    web: WebHarness, platform: str, logs: io.StringIO,
) -> None:
    signed_bodies: set[bytes] = set()
    kept: list[bytes] = []  # signed deliveries the app took on (202) or refused as malformed (400)
    statuses: dict[int, int] = {}

    @settings(max_examples=examples(web), **FUZZ_SETTINGS)
    @given(signed_json(platform))
    def run(case: tuple[dict[str, str], bytes, bool]) -> None:
        headers, body, signed = case
        if signed:
            signed_bodies.add(body)
        status, valid = check(web, platform, headers, body)
        assert valid == signed
        statuses[status] = statuses.get(status, 0) + 1
        if not signed:
            assert status == 401
            return
        data = json.loads(body)
        if not isinstance(data, dict):
            assert status == 400
        else:
            assert status in {200, 202, 400}
        if status in (202, 400):
            kept.append(body)

    run()
    stored = web.events()
    assert all(bytes(e.raw_body) in signed_bodies for e in stored)
    # Nothing signed is lost: whatever was accepted or refused is stored, for the replay.
    raw = {bytes(e.raw_body) for e in stored}
    assert all(body in raw for body in kept), "a signed delivery answered 202/400 was not stored"
    # One line per rejection, no traceback, and the buyers of the mutated real orders never
    # appear in the log whole.
    text = logs.getvalue()
    assert "webhook handled" in text  # the log was captured
    leaks = scan(text, identifiers_in(json.loads(b) for b in signed_bodies if _is_json_object(b)))
    assert not leaks, "\n".join(map(str, leaks[:10]))
    # Every job points at a stored, signed event; no job without its event.
    job_ids = {e.job_id for e in stored if e.job_id is not None}
    assert {j.id for j in web.jobs()} == job_ids
    assert statuses.get(202, 0) > 0 and statuses.get(400, 0) > 0, statuses


def test_oracle_agrees_with_the_sandbox_signers() -> None:
    """The independent oracle recognises what the sandbox's builders sign (and only that)."""
    from sync_engine.devtools.webhooks import build_shopify, build_standard, build_woocommerce

    builders: dict[str, Callable[..., tuple[dict[str, str], bytes]]] = {
        "shopify": build_shopify, "woocommerce": build_woocommerce, "generic": build_standard,
    }
    for platform, build in builders.items():
        headers, body = build({"id": 1}, secret=SECRETS[platform])
        assert signature_valid(platform, headers, body, time.time())
        assert not signature_valid(platform, headers, body + b" ", time.time())
        wrong = build({"id": 1}, secret=GENERIC_SECRET if platform != "generic" else
                      "whsec_" + base64.b64encode(b"another-key-of-32-bytes-length!!").decode())
        assert not signature_valid(platform, wrong[0], wrong[1], time.time())


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False
