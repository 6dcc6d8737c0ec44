"""The log scanner used by the privacy tests must itself catch what it is there to catch."""

from __future__ import annotations

from tests.support.leaks import identifiers_in, scan

TCKN = "10000000146"
VKN = "1000036109"


def kinds(text: str, identifiers: tuple[str, ...] = ()) -> set[str]:
    return {leak.kind for leak in scan(text, identifiers)}


def test_plain_and_url_encoded_identifiers_are_found() -> None:
    assert kinds(f"cari lookup tax_id={TCKN}") == {"tax_id"}
    assert kinds('GET /cari?filterQuery=%5B%7B%22value%22%3A+%22' + VKN + '%22%7D%5D') == {"tax_id"}
    assert kinds("GET /customers?filters%5Bemail%5D%5B%24eqi%5D=ayse%40example.com") == {"email"}
    assert kinds("to ayse.yilmaz+shop@example.com.tr") == {"email"}
    assert kinds("phone 5321234567 logged", ("5321234567",)) == {"identifier"}


def test_masked_values_and_the_anonymous_consumer_are_not_leaks() -> None:
    assert kinds(f"tax_id=*******0146 email=a***@example.com anon={'1' * 11}") == set()
    assert kinds("order 5601234567890 at 2026-12-04T10:00:00Z") == set()  # 13 digits: an order id
    assert kinds("invalid 12345678901") == set()  # fails the TCKN checksum: not an identity
    assert kinds("app: sync_engine:0x7f1329546050") == set()  # a memory address, not a VKN


def test_a_traceback_is_reported() -> None:
    assert kinds('Traceback (most recent call last):\n  File "x.py"') == {"traceback"}


def test_identifiers_are_collected_from_payloads() -> None:
    payload = {"email": "ayse@example.com", "billing": {"phone": "+90 (532) 123 45 67"},
               "note_attributes": [{"name": "tckn", "value": TCKN}], "id": 5601234567890}
    assert identifiers_in([payload]) == {"ayse@example.com", "5321234567", TCKN}
