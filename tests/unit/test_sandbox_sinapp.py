"""The SinApp simulator on its own, over real HTTP: contract rules, faults, ledger, clock."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.sandbox.sinapp import DEMO_API_KEY, DEMO_API_SECRET, SinAppSimulator
from sync_engine.sandbox.sinapp.simulator import ISTANBUL
from tests.support.providers import apply_changes
from tests.support.providers import sandbox, sandbox_server  # noqa: F401

SIMULATOR = SinAppSimulator  # the one the sandbox fixtures serve
AUTH = {"X-Api-Key": DEMO_API_KEY, "X-Api-Secret": DEMO_API_SECRET}
OPS = "/api/v1/invoice_operations.php"
DETAIL = "/api/v1/invoices.php"

# The document's own example request, as published.
EXAMPLE: dict[str, Any] = {
    "Channel": {"website": "example.com", "company_name": "Örnek Şirket"},
    "fatura_bilgileri": {
        "invoice_id": "inv_67e3f12d8da67",
        "order_id": "SPR2025-2",
        "invoice_type": "individual",
        "company_name": None,
        "tax_number": None,
        "tax_office": None,
        "full_name": "Halit DEĞİŞTİRDİM",
        "identity_number": "12152037360",
        "contact_name": "Halit",
        "contact_surname": "Ergül",
        "contact_phone": "5053660902",
        "contact_email": "halitergul18@gmail.com",
        "contact_city": "Denizli",
        "contact_district": "Pamukkale",
        "contact_address": "Pınarkent Mahallesi Uydukent Sitesi",
    },
    "siparis_detaylari": {
        "order_id": "SPR2025-2",
        "courses": [{"title": "Web Geliştirme Kursu", "price": 1000}],
        "total_course_price": 1000,
        "amount": 1000,
        "payment_method": "1",
        "bank_name": "Garanti",
        "payment_date": "2024-03-11 14:30:00",
        "payment_solution": "iyzico",
        "is_deleted": 0,
    },
}


def body(**changes: Any) -> dict[str, Any]:
    """The example with dotted-path changes; a value of ``...`` removes the key."""
    return apply_changes(copy.deepcopy(EXAMPLE), changes)


@pytest.fixture(scope="module")
def clients(sandbox_server: SandboxServer) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    # Shared across the module: building an httpx client (its TLS context) costs more than
    # most of these tests.
    base = f"{sandbox_server.url}/sinapp"
    with httpx.Client(base_url=base, headers=AUTH, timeout=5) as authed, \
            httpx.Client(base_url=base, timeout=5) as bare:
        yield authed, bare


@pytest.fixture
def api(clients: tuple[httpx.Client, httpx.Client], sandbox: Sandbox) -> httpx.Client:
    return clients[0]


@pytest.fixture
def bare(clients: tuple[httpx.Client, httpx.Client], sandbox: Sandbox) -> httpx.Client:
    return clients[1]


def create(api: httpx.Client, payload: dict[str, Any] | None = None, path: str = OPS) -> httpx.Response:
    return api.post(path, json=payload if payload is not None else EXAMPLE)


def this_year(sandbox: Sandbox) -> int:
    return sandbox.state.clock.now().astimezone(ISTANBUL).year


def violations(sandbox: Sandbox) -> list[tuple[str, int]]:
    return [(v.endpoint, v.status) for v in sandbox.state.violations.list("sinapp")]


# --- auth ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Api-Key": DEMO_API_KEY},
        {"X-Api-Secret": DEMO_API_SECRET},
        {"X-Api-Key": DEMO_API_KEY, "X-Api-Secret": "wrong"},
        {"X-Api-Key": "wrong", "X-Api-Secret": DEMO_API_SECRET},
    ],
)
@pytest.mark.parametrize(
    ("method", "path", "endpoint"),
    [
        ("POST", OPS, "invoice_create"),
        ("POST", DETAIL, "invoice_create"),
        ("PUT", OPS, "invoice_update"),
        ("DELETE", OPS, "invoice_delete"),
        ("GET", DETAIL, "invoice_get"),
    ],
)
def test_every_endpoint_refuses_missing_or_wrong_credentials(
    bare: httpx.Client, sandbox: Sandbox, headers: dict[str, str], method: str, path: str,
    endpoint: str,
) -> None:
    response = bare.request(
        method, path, headers=headers, json=EXAMPLE,
        params={"number": "x", "order": "y"} if method == "GET" else None,
    )
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert "Kimlik doğrulama" in response.json()["message"]
    assert violations(sandbox) == [(endpoint, 401)]
    assert sandbox.ledger.effects("sinapp") == []


def test_added_credentials_work_and_reset_removes_them(api: httpx.Client, sandbox: Sandbox) -> None:
    sandbox["sinapp"].add_credentials("k2", "s2")
    other = {"X-Api-Key": "k2", "X-Api-Secret": "s2"}
    assert api.post(OPS, json=EXAMPLE, headers=other).status_code == 200
    sandbox.reset()
    assert api.post(OPS, json=EXAMPLE, headers=other).status_code == 401


# --- create ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [OPS, DETAIL])
def test_create_answers_the_documented_shape(api: httpx.Client, sandbox: Sandbox, path: str) -> None:
    response = create(api, path=path)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": "Fatura başarıyla oluşturuldu",
        "invoice_id": 1,
        "invoice_number": f"INV-{this_year(sandbox)}-001",
    }
    second = create(api, body(fatura_bilgileri__invoice_id="inv_2"), path=path).json()
    assert (second["invoice_id"], second["invoice_number"]) == (2, f"INV-{this_year(sandbox)}-002")
    created = sandbox.ledger.effects("sinapp", "invoice_created")
    assert [e.key for e in created] == ["inv_67e3f12d8da67", "inv_2"]
    assert created[0].detail["total"] == "1000.00"
    assert violations(sandbox) == []


def test_a_repeated_invoice_id_is_refused_with_409_and_no_second_invoice(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    assert create(api).status_code == 200
    again = create(api, path=DETAIL)
    assert again.status_code == 409
    assert again.json()["success"] is False and "inv_67e3f12d8da67" in again.json()["message"]
    assert sandbox.ledger.count("sinapp", "invoice_created") == 1
    assert violations(sandbox) == []  # a retry's conflict is an answer, not a breach


REQUIRED = [
    "Channel", "Channel__website", "Channel__company_name", "fatura_bilgileri",
    "fatura_bilgileri__invoice_id", "fatura_bilgileri__invoice_type",
    "fatura_bilgileri__full_name", "fatura_bilgileri__identity_number",
    "fatura_bilgileri__contact_name", "fatura_bilgileri__contact_surname",
    "fatura_bilgileri__contact_phone", "fatura_bilgileri__contact_email",
    "fatura_bilgileri__contact_city", "fatura_bilgileri__contact_district",
    "fatura_bilgileri__contact_address", "siparis_detaylari", "siparis_detaylari__courses",
    "siparis_detaylari__total_course_price", "siparis_detaylari__amount",
]


@pytest.mark.parametrize("field", REQUIRED)
@pytest.mark.parametrize("removal", ["missing", "null"])
def test_every_required_field_is_required(
    api: httpx.Client, sandbox: Sandbox, field: str, removal: str
) -> None:
    response = create(api, body(**{field: ... if removal == "missing" else None}))
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert f"{field.replace('__', '.')} alanı zorunludur" in response.json()["message"]
    assert violations(sandbox) == [("invoice_create", 400)]
    assert sandbox.ledger.count("sinapp", "invoice_created") == 0


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("Channel", "example.com", "Channel alanı nesne"),
        ("Channel__website", "", "Channel.website alanı zorunludur"),
        ("fatura_bilgileri__invoice_id", 12345, "invoice_id alanı metin"),
        ("fatura_bilgileri__invoice_id", "x" * 51, "invoice_id en fazla 50 uzunlukta"),
        ("fatura_bilgileri__order_id", 2, "order_id alanı metin"),
        ("fatura_bilgileri__invoice_type", "person", "invoice_type alanı şunlardan biri olmalıdır: company, individual"),
        ("fatura_bilgileri__full_name", "  ", "zorunlu alanlar boş olamaz"),
        ("fatura_bilgileri__identity_number", "1215203736", "identity_number alanının biçimi geçersiz"),
        ("fatura_bilgileri__identity_number", 12152037360, "identity_number alanı metin"),
        ("fatura_bilgileri__contact_email", "halit.at.example", "contact_email alanının biçimi geçersiz"),
        ("fatura_bilgileri__contact_phone", "0505-ABC", "contact_phone alanının biçimi geçersiz"),
        ("fatura_bilgileri__contact_phone", "0" * 21, "contact_phone en fazla 20 uzunlukta"),
        ("fatura_bilgileri__contact_address", "a" * 501, "contact_address en fazla 500 uzunlukta"),
        ("kisisel_bilgiler", [], "kisisel_bilgiler alanı nesne"),
        ("siparis_detaylari__courses", [], "courses en az 1 uzunlukta"),
        ("siparis_detaylari__courses", {"title": "x", "price": 1000}, "courses alanı liste (array)"),
        ("siparis_detaylari__courses", [{"price": 1000}], "title alanı zorunludur"),
        ("siparis_detaylari__courses", [{"title": "x"}], "courses[0].price alanı zorunludur"),
        ("siparis_detaylari__courses", [{"title": "x", "price": "1000"}], "sayı (number)"),
        ("siparis_detaylari__courses", [{"title": "x" * 256, "price": 1000}], "en fazla 255"),
        ("siparis_detaylari__courses", ["x"], "her kalemi bir nesne"),
        ("siparis_detaylari__total_course_price", "1000", "total_course_price alanı sayı"),
        ("siparis_detaylari__amount", True, "amount alanı sayı"),
        ("siparis_detaylari__payment_method", 1, "payment_method"),
        ("siparis_detaylari__payment_method", "2", "payment_method"),
        ("siparis_detaylari__payment_date", "11.03.2024 14:30", "payment_date alanının biçimi geçersiz"),
        ("siparis_detaylari__payment_date", "2024-02-30 14:30:00", "Y-m-d H:i:s"),
        ("siparis_detaylari__bank_name", 5, "bank_name alanı metin"),
        ("siparis_detaylari__is_deleted", 3, "is_deleted alanı şunlardan biri olmalıdır: 0, 2, 5"),
        ("siparis_detaylari__is_deleted", "0", "is_deleted alanı tam sayı"),
    ],
)
def test_types_formats_and_enums_are_enforced(
    api: httpx.Client, sandbox: Sandbox, field: str, value: Any, fragment: str
) -> None:
    response = create(api, body(**{field: value}))
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]
    assert violations(sandbox) == [("invoice_create", 400)]
    assert sandbox["sinapp"].invoices() == []


def test_company_fields_are_required_for_a_company_invoice(api: httpx.Client, sandbox: Sandbox) -> None:
    response = create(api, body(fatura_bilgileri__invoice_type="company"))
    assert response.status_code == 400
    message = response.json()["message"]
    for name in ("company_name", "tax_number", "tax_office"):
        assert f"fatura_bilgileri.{name} invoice_type=company ise zorunludur" in message
    bad_vkn = body(
        fatura_bilgileri__invoice_type="company", fatura_bilgileri__company_name="Örnek A.Ş.",
        fatura_bilgileri__tax_number="12345", fatura_bilgileri__tax_office="Pamukkale",
    )
    assert "tax_number alanının biçimi geçersiz" in create(api, bad_vkn).json()["message"]
    good = body(
        fatura_bilgileri__invoice_type="company", fatura_bilgileri__company_name="Örnek A.Ş.",
        fatura_bilgileri__tax_number="1234567890", fatura_bilgileri__tax_office="Pamukkale",
    )
    assert create(api, good).status_code == 200


def test_total_must_equal_the_sum_of_course_prices(api: httpx.Client, sandbox: Sandbox) -> None:
    payload = body(
        siparis_detaylari__courses=[{"title": "A", "price": 600.10}, {"title": "B", "price": 400}],
        siparis_detaylari__total_course_price=1000.00, siparis_detaylari__amount=1000.00,
    )
    response = create(api, payload)
    assert response.status_code == 400
    assert "total_course_price kurs fiyatlarının toplamına eşit değil" in response.json()["message"]
    payload["siparis_detaylari"]["total_course_price"] = 1000.10
    payload["siparis_detaylari"]["amount"] = 1000.10
    assert create(api, payload).status_code == 200


def test_amount_must_equal_the_total(api: httpx.Client, sandbox: Sandbox) -> None:
    response = create(api, body(siparis_detaylari__amount=999.99))
    assert response.status_code == 400
    assert "amount toplam kurs fiyatına eşit olmalıdır" in response.json()["message"]


@pytest.mark.parametrize("price", [-1, 10.001])
def test_prices_are_non_negative_kurus(api: httpx.Client, sandbox: Sandbox, price: float) -> None:
    payload = body(siparis_detaylari__courses=[{"title": "A", "price": price}],
                   siparis_detaylari__total_course_price=price, siparis_detaylari__amount=price)
    assert create(api, payload).status_code == 400


def test_the_two_order_ids_must_agree(api: httpx.Client, sandbox: Sandbox) -> None:
    response = create(api, body(siparis_detaylari__order_id="SPR2025-3"))
    assert response.status_code == 400
    assert "aynı olmalıdır" in response.json()["message"]
    # Either block alone carries the order number.
    only_details = body(fatura_bilgileri__order_id=...)
    assert create(api, only_details).status_code == 200
    assert sandbox["sinapp"].invoices()[0].order_id == "SPR2025-2"


@pytest.mark.parametrize(
    ("content", "headers", "fragment"),
    [
        (b"invoice_id=1", {"Content-Type": "application/x-www-form-urlencoded"}, "JSON olmalıdır"),
        (b"{not json", {"Content-Type": "application/json"}, "Geçersiz JSON"),
        (b'{"amount": NaN}', {"Content-Type": "application/json"}, "Geçersiz JSON"),
        (b"[1, 2]", {"Content-Type": "application/json"}, "JSON nesnesi"),
    ],
)
def test_the_body_must_be_a_json_object(
    api: httpx.Client, sandbox: Sandbox, content: bytes, headers: dict[str, str], fragment: str
) -> None:
    response = api.post(OPS, content=content, headers=headers)
    assert response.status_code == 400
    assert fragment in response.json()["message"]
    assert violations(sandbox) == [("invoice_create", 400)]


# --- detail GET ------------------------------------------------------------------------


def test_detail_by_number_or_by_our_invoice_id(api: httpx.Client, sandbox: Sandbox) -> None:
    number = create(api).json()["invoice_number"]
    by_number = api.get(DETAIL, params={"number": number, "order": "SPR2025-2"})
    by_ours = api.get(DETAIL, params={"number": "inv_67e3f12d8da67", "order": "SPR2025-2"})
    assert by_number.status_code == by_ours.status_code == 200
    assert by_number.json() == by_ours.json()
    answer = by_number.json()
    assert answer["status"] == "success"
    data = answer["data"]
    now = sandbox.state.clock.now().astimezone(ISTANBUL)
    assert data["invoice"] | {"created_at": "-"} == {
        "id": "1",
        "invoice_number": number,
        "order_id": "SPR2025-2",
        "invoice_date": now.strftime("%Y-%m-%d"),
        "status": "draft",
        "currency": "TRY",
        "grand_total": "1000.00",
        "notes": None,
        "created_at": "-",
        "created_by": "api",
    }
    assert data["customer"] == {
        "invoice_type": "individual",
        "company_name": None,
        "tax_number": None,
        "tax_office": None,
        "contact_name": "Halit",
        "contact_surname": "Ergül",
        "contact_phone": "5053660902",
        "contact_email": "halitergul18@gmail.com",
        "contact_address": "Pınarkent Mahallesi Uydukent Sitesi",
        "district": "Pamukkale",
        "province": "Denizli",
    }
    assert data["items"] == [
        {"id": "1", "description": "Web Geliştirme Kursu", "quantity": "1",
         "unit_price": "1000.00", "total_amount": "1000.00"},
    ]
    assert data["payment"] == {
        "amount": "1000.00",
        "payment_method": "1",
        "payment_solution": "iyzico",
        "bank_name": "Garanti",
        "payment_date": "2024-03-11 14:30:00",
        "payer_name": "Halit DEĞİŞTİRDİM",
        "payer_email": "halitergul18@gmail.com",
    }


def test_detail_needs_the_matching_order(api: httpx.Client, sandbox: Sandbox) -> None:
    create(api)
    for params in ({"number": "inv_67e3f12d8da67", "order": "SPR2025-9"},
                   {"number": "inv_nope", "order": "SPR2025-2"}):
        response = api.get(DETAIL, params=params)
        assert response.status_code == 404
        assert response.json() == {"status": "error", "success": False,
                                   "message": "Fatura bulunamadı"}
    assert violations(sandbox) == []  # not found is an answer to a probe


@pytest.mark.parametrize("params", [{"number": "inv_1"}, {"order": "1"}, {"number": "", "order": "1"}])
def test_detail_requires_number_and_order(
    api: httpx.Client, sandbox: Sandbox, params: dict[str, str]
) -> None:
    response = api.get(DETAIL, params=params)
    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert "alanı zorunludur" in response.json()["message"]
    assert violations(sandbox) == [("invoice_get", 400)]


# --- update ----------------------------------------------------------------------------


def status_of(api: httpx.Client) -> str:
    answer = api.get(DETAIL, params={"number": "inv_67e3f12d8da67", "order": "SPR2025-2"})
    return answer.json()["data"]["invoice"]["status"]


def test_update_status_and_paid_records_the_payment_once(api: httpx.Client, sandbox: Sandbox) -> None:
    number = create(api).json()["invoice_number"]
    sent = api.put(OPS, json={"invoice_id": "inv_67e3f12d8da67", "status": "sent"})
    assert sent.status_code == 200
    assert sent.json() == {"success": True, "message": "Fatura başarıyla güncellendi",
                           "invoice_id": number}
    assert status_of(api) == "sent"
    for _ in range(2):
        paid = api.put(OPS, json={"invoice_id": number, "order_id": "SPR2025-2", "status": "paid"})
        assert paid.status_code == 200
    assert status_of(api) == "paid"
    payments = sandbox.ledger.effects("sinapp", "payment_recorded")
    assert [(e.key, e.detail["amount"]) for e in payments] == [("inv_67e3f12d8da67", "1000.00")]
    assert sandbox.ledger.count("sinapp", "invoice_updated") == 2  # the repeat changed nothing
    assert violations(sandbox) == []


def test_update_changes_the_buyer(api: httpx.Client, sandbox: Sandbox) -> None:
    create(api)
    response = api.put(OPS, json={
        "invoice_id": "inv_67e3f12d8da67", "status": "draft",
        "customer": {"invoice_type": "company", "company_name": "Ergül Ltd.",
                     "tax_number": "1234567890", "tax_office": "Pamukkale",
                     "contact_city": "İzmir"},
    })
    assert response.status_code == 200
    customer = api.get(DETAIL, params={"number": "inv_67e3f12d8da67", "order": "SPR2025-2"}).json()["data"]["customer"]
    assert (customer["invoice_type"], customer["company_name"], customer["province"]) == (
        "company", "Ergül Ltd.", "İzmir")
    updated = sandbox.ledger.effects("sinapp", "invoice_updated")
    assert [e.detail["fields"] for e in updated] == [
        ["company_name", "contact_city", "invoice_type", "tax_number", "tax_office"]
    ]


@pytest.mark.parametrize(
    ("payload", "status", "fragment"),
    [
        ({"status": "sent"}, 400, "invoice_id alanı zorunludur"),
        ({"invoice_id": "inv_67e3f12d8da67"}, 400, "status alanı zorunludur"),
        ({"invoice_id": "inv_67e3f12d8da67", "status": "approved"}, 400, "draft, sent, paid"),
        ({"invoice_id": "inv_67e3f12d8da67", "status": "sent", "customer": "x"}, 400, "customer alanı nesne"),
        ({"invoice_id": "inv_67e3f12d8da67", "status": "sent",
          "customer": {"invoice_type": "company"}}, 400, "company_name invoice_type=company"),
        ({"invoice_id": "inv_67e3f12d8da67", "status": "sent",
          "customer": {"identity_number": "123"}}, 400, "identity_number alanının biçimi"),
        ({"invoice_id": "inv_unknown", "status": "sent"}, 404, "Fatura bulunamadı"),
        ({"invoice_id": "inv_67e3f12d8da67", "order_id": "SPR2025-9", "status": "sent"}, 404, "eşleşmiyor"),
    ],
)
def test_update_rules(
    api: httpx.Client, sandbox: Sandbox, payload: dict[str, Any], status: int, fragment: str
) -> None:
    create(api)
    response = api.put(OPS, json=payload)
    assert response.status_code == status
    assert response.json()["success"] is False and fragment in response.json()["message"]
    assert violations(sandbox) == [("invoice_update", status)]
    assert status_of(api) == "draft"
    assert sandbox.ledger.count("sinapp", "invoice_updated") == 0


def test_a_cancelled_invoice_is_final(api: httpx.Client, sandbox: Sandbox) -> None:
    create(api)
    assert api.put(OPS, json={"invoice_id": "inv_67e3f12d8da67", "status": "cancelled"}).status_code == 200
    assert sandbox.ledger.count("sinapp", "cancel", "inv_67e3f12d8da67") == 1
    refused = api.put(OPS, json={"invoice_id": "inv_67e3f12d8da67", "status": "paid"})
    assert refused.status_code == 400 and "güncellenemez" in refused.json()["message"]
    assert sandbox.ledger.count("sinapp", "payment_recorded") == 0


# --- delete (soft cancel) --------------------------------------------------------------


def test_delete_with_a_json_body_cancels_softly_once(api: httpx.Client, sandbox: Sandbox) -> None:
    number = create(api).json()["invoice_number"]
    for _ in range(2):
        response = api.request("DELETE", OPS, json={"invoice_id": "inv_67e3f12d8da67",
                                                     "order_id": "SPR2025-2"})
        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "message": "Fatura başarıyla iptal edildi olarak işaretlendi",
            "invoice_id": number,
            "order_id": "SPR2025-2",
        }
    assert status_of(api) == "cancelled"  # still readable: nothing is removed
    assert sandbox["sinapp"].invoice(number).is_deleted == 2
    assert sandbox.ledger.count("sinapp", "invoice_deleted") == 1
    assert sandbox.ledger.count("sinapp", "cancel") == 1
    assert violations(sandbox) == []


def test_delete_with_query_parameters(api: httpx.Client, sandbox: Sandbox) -> None:
    number = create(api).json()["invoice_number"]
    response = api.delete(OPS, params={"invoice_id": number})
    assert response.status_code == 200
    assert status_of(api) == "cancelled"


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"order_id": "SPR2025-2"}, 400, "invoice_id alanı zorunludur"),
        ({"invoice_id": "inv_unknown"}, 404, "Fatura bulunamadı"),
        ({"invoice_id": "inv_67e3f12d8da67", "order_id": "SPR2025-9"}, 404, "eşleşmiyor"),
    ],
)
def test_delete_rules(
    api: httpx.Client, sandbox: Sandbox, params: dict[str, str], status: int, fragment: str
) -> None:
    create(api)
    response = api.request("DELETE", OPS, json=params)
    assert response.status_code == status
    assert fragment in response.json()["message"]
    assert violations(sandbox) == [("invoice_delete", status)]
    assert status_of(api) == "draft"
    assert sandbox.ledger.count("sinapp", "cancel") == 0


# --- faults ----------------------------------------------------------------------------


def add_fault(sandbox: Sandbox, endpoint: str, mode: FaultMode, **kw: Any) -> None:
    sandbox.state.faults.add(FaultRule("sinapp", endpoint, mode, times=1, **kw))


def test_before_500_fails_without_the_effect(api: httpx.Client, sandbox: Sandbox) -> None:
    add_fault(sandbox, "invoice_create", FaultMode.BEFORE_500)
    response = create(api)
    assert response.status_code == 500
    assert response.json()["success"] is False
    assert sandbox.ledger.count("sinapp", "invoice_created") == 0
    assert create(api).status_code == 200  # the rule fired once


def test_after_504_does_the_effect_then_fails(api: httpx.Client, sandbox: Sandbox) -> None:
    add_fault(sandbox, "invoice_create", FaultMode.AFTER_504)
    assert create(api).status_code == 504
    assert sandbox.ledger.count("sinapp", "invoice_created", "inv_67e3f12d8da67") == 1
    assert create(api).status_code == 409


def test_after_stall_does_the_effect_and_outlasts_the_client(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    add_fault(sandbox, "invoice_update", FaultMode.AFTER_STALL, stall_s=1.5)
    assert create(api).status_code == 200
    with pytest.raises(httpx.ReadTimeout):
        api.put(OPS, json={"invoice_id": "inv_67e3f12d8da67", "status": "paid"}, timeout=0.5)
    assert sandbox.ledger.count("sinapp", "payment_recorded") == 1


def test_rate_429_carries_retry_after_and_no_effect(api: httpx.Client, sandbox: Sandbox) -> None:
    create(api)
    add_fault(sandbox, "invoice_delete", FaultMode.RATE_429, retry_after_s=7)
    response = api.request("DELETE", OPS, json={"invoice_id": "inv_67e3f12d8da67"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["success"] is False
    assert sandbox.ledger.count("sinapp", "cancel") == 0


def test_latency_delays_then_behaves(api: httpx.Client, sandbox: Sandbox) -> None:
    create(api)
    add_fault(sandbox, "invoice_get", FaultMode.LATENCY, latency_ms=300)
    started = time.perf_counter()
    response = api.get(DETAIL, params={"number": "inv_67e3f12d8da67", "order": "SPR2025-2"})
    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 200


def test_faults_on_the_detail_get_use_its_error_shape(api: httpx.Client, sandbox: Sandbox) -> None:
    add_fault(sandbox, "invoice_get", FaultMode.BEFORE_500)
    response = api.get(DETAIL, params={"number": "x", "order": "y"})
    assert response.status_code == 500
    assert response.json()["status"] == "error"


def test_a_fault_on_one_endpoint_leaves_the_others_alone(api: httpx.Client, sandbox: Sandbox) -> None:
    add_fault(sandbox, "invoice_update", FaultMode.BEFORE_500)
    assert create(api).status_code == 200
    assert api.get(DETAIL, params={"number": "inv_67e3f12d8da67", "order": "SPR2025-2"}).status_code == 200


# --- clock and ledger ------------------------------------------------------------------


def test_numbers_and_dates_follow_the_sandbox_clock_and_statuses_do_not(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    year = this_year(sandbox)
    assert create(api).json()["invoice_number"] == f"INV-{year}-001"
    sandbox.state.clock.advance(100 * sandbox.state.status_step_s)
    assert status_of(api) == "draft"  # no GİB here: statuses change only by PUT
    sandbox.state.clock.advance(370 * 86400)
    later = this_year(sandbox)
    assert later == year + 1
    answer = create(api, body(fatura_bilgileri__invoice_id="inv_2")).json()
    assert answer["invoice_number"] == f"INV-{later}-001"  # one sequence per year
    detail = api.get(DETAIL, params={"number": "inv_2", "order": "SPR2025-2"}).json()
    assert detail["data"]["invoice"]["invoice_date"].startswith(str(later))


def test_ledger_summary_after_a_lifecycle(api: httpx.Client, sandbox: Sandbox) -> None:
    create(api)
    create(api)  # 409
    api.put(OPS, json={"invoice_id": "inv_67e3f12d8da67", "status": "paid"})
    api.request("DELETE", OPS, json={"invoice_id": "inv_67e3f12d8da67"})
    assert sandbox.ledger.summary()["sinapp"] == {
        "invoice_created": 1, "invoice_updated": 1, "payment_recorded": 1,
        "invoice_deleted": 1, "cancel": 1,
    }
    assert violations(sandbox) == []


def test_decimal_prices_are_kept_exactly(api: httpx.Client, sandbox: Sandbox) -> None:
    payload = body(
        siparis_detaylari__courses=[{"title": "A", "price": 0.1}, {"title": "B", "price": 0.2}],
        siparis_detaylari__total_course_price=0.3, siparis_detaylari__amount=0.3,
    )
    assert create(api, payload).status_code == 200  # 0.1 + 0.2 == 0.3 in Decimal, not float
    assert sandbox["sinapp"].invoices()[0].total == Decimal("0.3")
