"""Generic adapter: Standard Webhooks signatures, our order schema, and its documentation."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sync_engine.domain import ANONYMOUS_TCKN, BuyerKind, LineKind, compute_invoice
from sync_engine.platforms import EventKind, MalformedPayload, SignatureError, get_platform
from sync_engine.platforms.generic import GenericAdapter, sign
from sync_engine.platforms.generic_schema import GenericOrderPayload, json_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "generic-webhook.md"
SECRET = "whsec_" + base64.b64encode(b"a-32-byte-key-for-the-test-shop!").decode()
STORE = "my-shop"
NOW = datetime(2025, 3, 14, 7, 30, tzinfo=UTC)
TS = int(NOW.timestamp())
TCKN = "10000000146"
VKN = "1000036109"
generic = GenericAdapter()


def headers_for(
    body: bytes, msg_id: str = "msg_1", ts: int = TS, secret: str = SECRET
) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body),
    }


def doc_json_block(marker: str | None = None) -> Any:
    text = DOC.read_text(encoding="utf-8")
    if marker:
        text = text.split(f"<!-- {marker}:start -->", 1)[1].split(f"<!-- {marker}:end -->", 1)[0]
        block = re.search(r"```json\n(.*?)\n```", text, re.S)
    else:
        block = re.search(r"### Full example.*?```json\n(.*?)\n```", text, re.S)
    assert block is not None
    return json.loads(block.group(1))


def example() -> dict[str, Any]:
    return doc_json_block()


def parse(payload: dict[str, Any], msg_id: str = "msg_1"):
    body = json.dumps(payload, ensure_ascii=False).encode()
    h = headers_for(body, msg_id)
    generic.verify(h, body, [SECRET], now=NOW)
    return generic.parse(h, body, STORE)


# --- signatures ---------------------------------------------------------------------------


def test_standard_webhooks_test_vector() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": expected,
    }
    generic.verify(headers, body, [secret], now=datetime.fromtimestamp(1614265330 + 10, UTC))


def test_header_names_are_case_insensitive() -> None:
    body = b"{}"
    upper = {k.upper(): v for k, v in headers_for(body).items()}
    generic.verify(upper, body, [SECRET], now=NOW)


def test_raw_secret_without_prefix_is_used_as_utf8() -> None:
    body = b'{"a": 1}'
    generic.verify(headers_for(body, secret="düz-metin-sır"), body, ["düz-metin-sır"], now=NOW)
    with pytest.raises(SignatureError):  # the prefix changes how the key is read
        generic.verify(headers_for(body, secret="düz-metin-sır"), body, [SECRET], now=NOW)


def test_rotation_several_secrets_and_several_signatures() -> None:
    body = b'{"a": 1}'
    old = "whsec_" + base64.b64encode(b"old-key").decode()
    new_sig = sign(SECRET, "msg_1", TS, body)
    old_sig = sign(old, "msg_1", TS, body)
    h = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(TS),
        "webhook-signature": f"{old_sig} {new_sig}",
    }
    generic.verify(h, body, [SECRET], now=NOW)
    generic.verify(h, body, [old], now=NOW)
    generic.verify(headers_for(body), body, ["whsec_!!not-base64!!", SECRET], now=NOW)
    with pytest.raises(SignatureError, match="not valid whsec_"):
        generic.verify(headers_for(body), body, ["whsec_!!not-base64!!"], now=NOW)


@pytest.mark.parametrize("skew", [-301, 301, 10_000])
def test_timestamp_outside_five_minutes_is_refused(skew: int) -> None:
    body = b"{}"
    h = headers_for(body, ts=TS + skew)
    with pytest.raises(SignatureError, match="5 minutes"):
        generic.verify(h, body, [SECRET], now=NOW)


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_timestamp_within_five_minutes_is_accepted(skew: int) -> None:
    body = b"{}"
    generic.verify(headers_for(body, ts=TS + skew), body, [SECRET], now=NOW)


def test_naive_now_is_taken_as_utc() -> None:
    body = b"{}"
    generic.verify(headers_for(body), body, [SECRET], now=NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-id": None},
        {"webhook-timestamp": None},
        {"webhook-signature": None},
        {"webhook-signature": ""},
        {"webhook-timestamp": "soon"},
        {"webhook-timestamp": "1741937400.5"},
        {"webhook-signature": "v1,"},
        {"webhook-signature": "v2,AAAA"},
        {"webhook-signature": "ğüş\u0130 v1,çok-bozuk"},
        {"webhook-id": "msg_2"},  # the id is signed too
    ],
)
def test_missing_or_garbled_headers_are_signature_errors(change: dict[str, str | None]) -> None:
    body = b"{}"
    h: dict[str, str] = headers_for(body)
    for key, value in change.items():
        if value is None:
            h.pop(key)
        else:
            h[key] = value
    with pytest.raises(SignatureError):
        generic.verify(h, body, [SECRET], now=NOW)


def test_tampered_body_fails() -> None:
    body = json.dumps(example()).encode()
    h = headers_for(body)
    generic.verify(h, body, [SECRET], now=NOW)
    with pytest.raises(SignatureError):
        generic.verify(h, body.replace(b"1329.10", b"1.10"), [SECRET], now=NOW)


def test_no_secret_configured() -> None:
    body = b"{}"
    with pytest.raises(SignatureError):
        generic.verify(headers_for(body), body, [], now=NOW)


# --- the documented example -----------------------------------------------------------------


def test_documented_example_is_invoiced_to_its_paid_total() -> None:
    d = parse(example(), msg_id="msg_abc")
    assert d.kind is EventKind.ORDER
    assert d.event_key == "msg_abc"
    assert (d.order_id, d.order_name, d.topic) == ("100234", "#1234", None)
    assert d.invoiceable is True and d.problem is None
    assert d.order is not None
    invoice = compute_invoice(d.order)
    assert invoice.grand_total == Decimal("1329.10") == d.order.paid_total
    # The figures the doc quotes.
    assert [(g.rate, g.gross, g.net, g.vat) for g in invoice.groups] == [
        (Decimal(20), Decimal("679.70"), Decimal("566.42"), Decimal("113.28")),
        (Decimal(10), Decimal("359.90"), Decimal("327.18"), Decimal("32.72")),
        (Decimal(1), Decimal("289.50"), Decimal("286.63"), Decimal("2.87")),
    ]
    assert d.order.buyer.kind is BuyerKind.PERSON and d.order.buyer.tax_id == TCKN
    assert d.order.lines[-1].kind is LineKind.SHIPPING
    assert d.order.shipment.carrier_name == "Örnek Kargo A.Ş."
    assert d.order.shipment.carrier_vkn == "4700000007"
    assert d.order.payment.platform == "iyzico"


def test_committed_schema_in_the_doc_matches_the_model() -> None:
    assert doc_json_block("generic-order-schema") == json_schema(), (
        "docs/generic-webhook.md is stale: paste `python -m sync_engine.platforms.generic_schema`"
    )


def test_schema_says_money_is_a_string() -> None:
    schema = json_schema()
    line = schema["$defs"]["GenericLine"]["properties"]
    assert line["unit_price"]["type"] == "string" and "pattern" in line["unit_price"]
    assert schema["properties"]["paid_total"]["type"] == "string"


# --- the schema refuses what would lose money or data -----------------------------------------


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.update(paid_total=1329.10),  # a JSON number
        lambda p: p["lines"][0].update(unit_price=349.9),
        lambda p: p["lines"][0].update(quantity=2),
        lambda p: p.update(paid_total="1.329,10"),
        lambda p: p.update(paid_totl="1329.10"),  # a typo is not silently dropped
        lambda p: p.update(lines=[]),
        lambda p: p.update(created_at="2025-03-14T10:21:05"),  # no offset
        lambda p: p.pop("paid"),
        lambda p: p["buyer"].update(kind="alien"),
        lambda p: p.update(currency="try"),
    ],
)
def test_schema_violations_are_malformed(mutate: Any) -> None:
    payload = example()
    mutate(payload)
    with pytest.raises(MalformedPayload):
        parse(payload)


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"paid_total": Infinity}'])
def test_non_object_bodies_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        generic.parse({"webhook-id": "m"}, body, STORE)


def test_parse_needs_the_webhook_id() -> None:
    with pytest.raises(MalformedPayload):
        generic.parse({}, json.dumps(example()).encode(), STORE)


def test_big_order_ids_stay_text() -> None:
    payload = example()
    payload["order_id"] = "820982911946154508"
    d = parse(payload)
    assert d.order_id == "820982911946154508" and d.order is not None
    assert d.order.order_id == "820982911946154508"


# --- identity and invoiceability ------------------------------------------------------------


def test_company_with_vkn() -> None:
    payload = example()
    payload["buyer"] = {"kind": "company", "tax_id": VKN, "company_name": "Moda Tekstil Ltd. Şti.",
                        "tax_office": "Kadıköy", "efatura_registered": True,
                        "efatura_alias": "urn:mail:defaultpk@modatekstil.com.tr"}
    d = parse(payload)
    assert d.invoiceable and d.order is not None
    assert d.order.buyer.kind is BuyerKind.COMPANY
    assert d.order.buyer.efatura_alias == "urn:mail:defaultpk@modatekstil.com.tr"


@pytest.mark.parametrize("tax_id", [None, "1000036108", "12"])
def test_company_without_valid_vkn_is_stored_with_a_reason(tax_id: str | None) -> None:
    payload = example()
    payload["buyer"] = {"kind": "company", "tax_id": tax_id, "company_name": "Moda Tekstil",
                        "tax_office": "Kadıköy"}
    d = parse(payload)
    # Paid, so due for invoicing: ingest parks it in needs_attention with the reason.
    assert d.kind is EventKind.ORDER and d.order is None and d.invoiceable
    assert d.order_id == "100234"
    assert d.problem is not None and d.problem.startswith("company 'Moda Tekstil' has no valid VKN")
    if tax_id and len(tax_id) > 4:
        assert tax_id not in d.problem


def test_company_without_tax_office_is_stored_with_a_reason() -> None:
    payload = example()
    payload["buyer"] = {"kind": "company", "tax_id": VKN, "company_name": "Moda Tekstil"}
    d = parse(payload)
    assert d.order is None and d.problem is not None and "tax office" in d.problem and d.invoiceable


def test_an_unpaid_order_that_cannot_be_built_is_not_due_for_invoicing() -> None:
    payload = example()
    payload["paid"] = False
    payload["buyer"]["tax_id"] = "12345678901"
    d = parse(payload)
    assert d.order is None and not d.invoiceable and not d.awaiting_payment


def test_person_with_invalid_tckn_is_not_silently_made_anonymous() -> None:
    payload = example()
    payload["buyer"]["tax_id"] = "12345678901"
    d = parse(payload)
    assert d.invoiceable
    assert d.order is None and d.problem is not None and "no valid TCKN" in d.problem
    assert "12345678901" not in d.problem


def test_anonymous_consumer_keeps_name_and_address() -> None:
    payload = example()
    payload["buyer"]["kind"] = "anonymous"
    del payload["buyer"]["tax_id"]
    d = parse(payload)
    assert d.invoiceable and d.order is not None
    buyer = d.order.buyer
    assert buyer.tax_id == ANONYMOUS_TCKN and buyer.display_name == "Ayşe Yılmaz"
    assert buyer.address.city == "İstanbul"


def test_unpaid_order_is_stored_not_invoiced() -> None:
    payload = example()
    payload["paid"] = False
    d = parse(payload)
    assert d.order is not None and not d.invoiceable
    assert d.problem == "order is not paid yet (paid is false)"


def test_domain_problems_are_reported_for_an_operator() -> None:
    payload = example()
    payload["currency"] = "EUR"
    payload["lines"][1]["vat_rate"] = "0"
    d = parse(payload)
    assert d.order is not None and d.invoiceable  # due, but parked for an operator
    assert d.problem is not None
    assert "currency EUR" in d.problem and "exemption code" in d.problem


def test_negative_line_amounts_are_refused_by_the_schema() -> None:
    payload = example()
    payload["lines"][0]["discount"] = "-5.00"
    with pytest.raises(MalformedPayload):
        parse(payload)


def test_discount_larger_than_the_line_is_stored_with_a_reason() -> None:
    payload = example()
    payload["lines"][2]["discount"] = "500.00"
    d = parse(payload)
    assert d.order is not None and d.invoiceable
    assert d.problem is not None and "exceeds" in d.problem


def test_lines_that_do_not_add_up_to_paid_total_are_reported() -> None:
    payload = example()
    payload["paid_total"] = "1329.11"
    d = parse(payload)
    assert d.order is not None and d.invoiceable
    assert d.problem == (
        "invoice lines add up to 1329.10 TRY but the order total is 1329.11 (difference 0.01)"
    )
    assert compute_invoice(d.order).difference == Decimal("0.01")


def test_order_from_resource_and_is_paid() -> None:
    adapter = get_platform("generic")
    order, problem = adapter.order_from_resource(example(), STORE)
    assert problem is None and order is not None and order.platform == "generic"
    assert adapter.is_paid(example())
    assert not adapter.is_paid({**example(), "paid": False})
    assert not adapter.is_paid({**example(), "paid": "true"})
    bad, reason = adapter.order_from_resource({"order_id": "1"}, STORE)
    assert bad is None and reason is not None and "schema" in reason


def test_model_round_trip_is_exact() -> None:
    payload = example()
    model = GenericOrderPayload.model_validate(payload)
    assert model.lines[0].unit_price == "349.90"
    assert model.created_at == datetime(2025, 3, 14, 10, 21, 5, tzinfo=UTC) + timedelta(hours=-3)


@pytest.mark.parametrize(
    ("quantity", "unit_price", "expected"),
    [
        ("0.0000001", "2412500000", "quantity 0.0000001 is outside 0.001–1000000"),
        ("1.2345", "10", "quantity 1.2345 is outside"),
        ("2000000", "1", "quantity 2000000 is outside"),
        ("1", "250000000", "unit price 250000000 is over 100000000"),
    ],
)
def test_quantities_and_prices_out_of_bounds_wait_with_the_value_printed_plainly(
    quantity: str, unit_price: str, expected: str,
) -> None:
    payload = example()
    payload["lines"] = [{**payload["lines"][0], "quantity": quantity, "unit_price": unit_price}]
    d = parse(payload)
    assert d.invoiceable and d.problem is not None, d
    assert expected in d.problem
    assert "E-" not in d.problem and "E+" not in d.problem
