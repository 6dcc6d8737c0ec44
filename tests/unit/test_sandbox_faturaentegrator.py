"""The FaturaEntegratör simulator on its own, over real HTTP: the documented customer rules,
the invoice contract (FACTS §2.2), formalization (GİB) on the sandbox clock, faults and the
ledger. The contracts' every derived refusal is in tests/contract/test_faturaentegrator.py."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.sandbox.faturaentegrator import DEFAULT_API_KEY, NAME, FaturaEntegratorSimulator
from sync_engine.sandbox.faturaentegrator.simulator import ISTANBUL
from tests.support.providers import apply_changes, assert_no_violations
from tests.support.providers import sandbox, sandbox_server, sim  # noqa: F401

SIMULATOR = FaturaEntegratorSimulator  # the one the sandbox fixtures serve
HEADERS = {"Accept": "application/json", "Authorization": f"Bearer {DEFAULT_API_KEY}"}

# The document's own example request, as published.
EXAMPLE: dict[str, Any] = {
    "tax_number": "11111111111", "tax_office": "", "title": "", "name": "Ali", "surname": "Yılmaz",
    "phone": "5555555555", "email": "ali@example.com", "address": "Örnek Mah. No:1",
    "district": "Kadıköy", "city": "İstanbul", "country": "TÜRKİYE", "postcode": "34000",
    "type": "person", "iban": "",
}
COMPANY: dict[str, Any] = {
    "type": "company", "tax_number": "1234567890", "tax_office": "Pamukkale",
    "title": "Örnek Teknoloji A.Ş.", "country": "Türkiye", "address": "Uydukent Sitesi No: 5",
    "city": "Denizli", "district": "Pamukkale",
}


@pytest.fixture
def client(sandbox_server: SandboxServer, sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox_server.url}/faturaentegrator", headers=HEADERS, timeout=10) as c:
        yield c


def today(sandbox: Sandbox) -> str:
    return sandbox.state.clock.now().astimezone(ISTANBUL).date().isoformat()


def customer(client: httpx.Client, body: dict[str, Any] | None = None) -> int:
    r = client.post("/api/customers", json=body or EXAMPLE)
    assert r.status_code == 201, r.text
    return int(r.json()["data"]["id"])


def invoice_body(customer_id: int, day: str, /, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"id": customer_id}, "sale_channel_id": 1, "invoice_integration_id": 1,
        "order_id": "shop:1001:sale", "description": "#1001 (shopify 1001)", "type": "SATIS",
        "currency": "TRY", "issue_date": day, "payment_date": day,
        "is_internet_sale": True,
        "internet_sale": {"web_address": "https://demo-shop.example", "payment_method": "credit_or_debit",
                          "payment_platform": "iyzico", "payment_date": day},
        "is_need_shipment": True,
        "shipment": {"company_title": "Demo A.Ş.", "company_tax_number": "1000036109", "delivery_date": day},
        "lines": [
            {"name": "Tişört", "quantity": 3, "unit": "C62", "unit_price": "33.33333333",
             "tax_rate": 20, "discount_type": "amount", "discount": "1.00"},
            {"name": "Ekmek", "quantity": 1, "unit": "C62", "unit_price": 0.50, "tax_rate": 1},
            {"name": "Su", "quantity": 1, "unit": "C62", "unit_price": 0.50, "tax_rate": 1},
        ],
    }
    return apply_changes(body, changes)


def create_invoice(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/invoices", json=body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def assert_refused(r: httpx.Response, status: int, errors: set[str] | None = None) -> None:
    """Refused with ``status``; on a 422 with exactly these Laravel error keys, each naming
    its field, and the first message leading the top-level one."""
    assert r.status_code == status, r.text
    body = r.json()
    assert isinstance(body["message"], str) and body["message"]
    if errors is not None:
        assert set(body["errors"]) == errors, body
        for field, messages in body["errors"].items():
            assert messages and all(isinstance(m, str) and m for m in messages)
        first = next(iter(body["errors"].values()))[0]
        assert body["message"].startswith(first)


# -- protocol: auth, content types -----------------------------------------------------------


def test_the_documented_example_creates_a_customer(client: httpx.Client, sandbox: Sandbox) -> None:
    r = client.post("/api/customers", json=EXAMPLE)
    assert r.status_code == 201
    data = r.json()["data"]
    assert data["id"] == 1 and data["type"] == "person" and data["tax_number"] == "11111111111"
    # Laravel's middleware turns the example's "" into null.
    assert data["tax_office"] is None and data["iban"] is None and data["name"] == "Ali"
    assert sandbox.ledger.count(NAME, "cari_created", "11111111111") == 1
    assert_no_violations(sandbox)


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json"},
        {"Accept": "application/json", "Authorization": "Bearer wrong-key"},
        {"Accept": "application/json", "Authorization": DEFAULT_API_KEY},
        {"Accept": "application/json", "Authorization": f"Basic {DEFAULT_API_KEY}"},
    ],
)
def test_bad_credentials_are_401_unauthenticated(sandbox_server: SandboxServer, sandbox: Sandbox, headers: dict[str, str]) -> None:
    r = httpx.post(f"{sandbox_server.url}/faturaentegrator/api/customers", json=EXAMPLE, headers=headers)
    assert r.status_code == 401
    assert r.json() == {"message": "Unauthenticated."}
    assert sandbox.ledger.count(NAME, "cari_created") == 0
    assert [v.status for v in sandbox.state.violations.list(NAME)] == [401]


def test_without_accept_json_the_request_is_refused(sandbox_server: SandboxServer, sandbox: Sandbox) -> None:
    r = httpx.get(f"{sandbox_server.url}/faturaentegrator/api/customers", headers={"Authorization": HEADERS["Authorization"]})
    assert_refused(r, 406)
    assert sandbox.state.violations.list(NAME)[0].endpoint == "customers_list"


def test_a_form_body_is_415(client: httpx.Client, sandbox: Sandbox) -> None:
    r = client.post("/api/customers", data={k: v for k, v in EXAMPLE.items()})
    assert_refused(r, 415)
    assert sandbox.ledger.count(NAME, "cari_created") == 0


def test_malformed_json_reads_as_no_input(client: httpx.Client) -> None:
    r = client.post("/api/customers", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert {"type", "tax_number", "country", "address", "city", "district"} <= set(r.json()["errors"])


# -- customers: every documented rule ---------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"type": None}, {"type"}),
        ({"type": "individual"}, {"type"}),
        ({"tax_number": ""}, {"tax_number"}),
        ({"tax_number": "12345"}, {"tax_number"}),
        ({"tax_number": "1111111111A"}, {"tax_number"}),
        ({"tax_number": 11111111111}, {"tax_number"}),
        ({"tax_number": "1234567890"}, {"tax_number"}),
        ({"name": ""}, {"name"}),
        ({"surname": None}, {"surname"}),
        ({"country": ""}, {"country"}),
        ({"address": "   "}, {"address"}),
        ({"city": None}, {"city"}),
        ({"district": ""}, {"district"}),
        ({"email": "ali-at-example.com"}, {"email"}),
    ],
)
def test_person_rules(client: httpx.Client, sandbox: Sandbox, changes: dict[str, Any], errors: set[str]) -> None:
    body = {k: v for k, v in {**EXAMPLE, **changes}.items() if v is not None}
    assert_refused(client.post("/api/customers", json=body), 422, errors)
    assert sandbox.ledger.count(NAME, "cari_created") == 0
    assert sandbox.state.violations.list(NAME)[0].status == 422


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"tax_number": "10000000146"}, {"tax_number"}),
        ({"tax_office": ""}, {"tax_office"}),
        ({"title": None, "tax_office": None}, {"title", "tax_office"}),
    ],
)
def test_company_rules(client: httpx.Client, changes: dict[str, Any], errors: set[str]) -> None:
    body = {k: v for k, v in {**COMPANY, **changes}.items() if v is not None}
    r = client.post("/api/customers", json=body)
    assert_refused(r, 422, errors)
    if len(errors) == 2:
        assert r.json()["message"].endswith("(and 1 more error)")


def test_company_without_person_names_is_fine(client: httpx.Client) -> None:
    r = client.post("/api/customers", json=COMPANY)
    assert r.status_code == 201 and r.json()["data"]["title"] == "Örnek Teknoloji A.Ş."


def test_customer_list_filters_and_pages(client: httpx.Client) -> None:
    for email in ("a@example.com", "b@example.com", "C@Example.com"):
        customer(client, {**EXAMPLE, "email": email})
    customer(client, COMPANY)
    r = client.get("/api/customers", params={"filters[tax_number][$eq]": "11111111111", "per_page": 2, "page": 2})
    body = r.json()
    assert [c["email"] for c in body["data"]] == ["C@Example.com"]
    assert body["meta"] | {"path": None} == {
        "current_page": 2, "from": 3, "last_page": 2, "path": None, "per_page": 2, "to": 3, "total": 3,
    }
    assert body["links"]["next"] is None and body["links"]["prev"] is not None
    r = client.get("/api/customers", params={"filters[tax_number][$eq]": "11111111111", "filters[email][$eqi]": "c@example.COM"})
    assert [c["id"] for c in r.json()["data"]] == [3]
    r = client.get("/api/customers", params={"filters[tax_number][$in][0]": "1234567890", "filters[tax_number][$in][1]": "1"})
    assert [c["id"] for c in r.json()["data"]] == [4]
    assert client.get("/api/customers").json()["meta"]["per_page"] == 15


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": "101"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"filters[iban][$eq]": "TR1"}, "filters.iban"),
        ({"filters[tax_number][$regex]": "1"}, "filters.tax_number.$regex"),
        ({"sort": "email:asc"}, "sort"),
        ({"pagination[page]": "1", "filters[tax_number]": "1"}, "filters.tax_number"),
    ],
)
def test_customer_list_refuses_unknown_parameters(client: httpx.Client, params: dict[str, str], field: str) -> None:
    r = client.get("/api/customers", params=params)
    assert r.status_code == 422 and field in r.json()["errors"]


def test_customer_get_and_404(client: httpx.Client, sandbox: Sandbox) -> None:
    cid = customer(client)
    assert client.get(f"/api/customers/{cid}").json()["data"]["surname"] == "Yılmaz"
    r = client.get("/api/customers/99")
    assert r.status_code == 404 and "No query results" in r.json()["message"]
    assert sandbox.state.violations.list(NAME)[0].endpoint == "customers_get"


def test_tax_numbers_are_not_unique(client: httpx.Client, sandbox: Sandbox) -> None:
    customer(client)
    customer(client)
    assert sandbox.ledger.count(NAME, "cari_created", "11111111111") == 2


# -- invoices ----------------------------------------------------------------------------------


def test_invoice_totals_are_computed_per_line_half_up(client: httpx.Client, sandbox: Sandbox) -> None:
    cid = customer(client)
    data = create_invoice(client, invoice_body(cid, today(sandbox)))
    assert data["formal_status"] is None and data["invoice_number"] is None and data["uuid"] is None
    # round(3 × 33.33333333) − 1.00 = 99.00 net, 19.80 VAT; each 0.50 at 1 % is 0.005 VAT,
    # half-up 0.01 per line (one 0.01 for the rate, had it been rounded per rate).
    assert [(ln["net_amount"], ln["tax_amount"], ln["total_amount"]) for ln in data["lines"]] == [
        ("99.00", "19.80", "118.80"), ("0.50", "0.01", "0.51"), ("0.50", "0.01", "0.51"),
    ]
    assert (data["subtotal"], data["tax"], data["total"], data["discount_total"]) == (
        "100.00", "19.82", "119.82", "1.00",
    )
    assert data["invoice_date"] == today(sandbox) and data["workflow_status"] == "completed"
    effects = sandbox.ledger.effects(NAME, "invoice_created")
    assert [(e.key, e.detail["order_id"]) for e in effects] == [(str(data["id"]), "shop:1001:sale")]
    shown = client.get(f"/api/invoices/{data['id']}").json()
    assert shown["success"] is True and shown["data"] == data
    assert_no_violations(sandbox)


def test_percentage_discount_and_the_inline_buyer(client: httpx.Client, sandbox: Sandbox) -> None:
    cid = customer(client)
    body = invoice_body(cid, today(sandbox), lines__0__discount_type="percentage", lines__0__discount="10",
                        customer__name="Veli", customer__surname="Kaya")
    data = create_invoice(client, body)
    # round(3 × 33.33333333) = 100.00, 10 % off = 10.00 → net 90.00, VAT 18.00.
    assert (data["lines"][0]["net_amount"], data["lines"][0]["tax_amount"]) == ("90.00", "18.00")
    # The stored customer, printed with the inline fields sent beside its id.
    assert (data["customer"]["id"], data["customer"]["name"], data["customer"]["tax_number"]) == (cid, "Veli", "11111111111")


def test_an_inline_customer_without_id(client: httpx.Client, sandbox: Sandbox) -> None:
    inline = {k: v for k, v in EXAMPLE.items() if v}
    data = create_invoice(client, invoice_body(0, today(sandbox), customer=inline))
    assert data["customer"]["name"] == "Ali" and data["customer_id"] is None


INVOICE_RULES = [
    ({"customer": ...}, {"customer"}),
    ({"customer__id": 99}, {"customer.id"}),
    ({"customer__id": "abc"}, {"customer.id"}),
    ({"sale_channel_id": 9}, {"sale_channel_id"}),
    ({"invoice_integration_id": ...}, {"invoice_integration_id"}),
    ({"invoice_integration_id": 99}, {"invoice_integration_id"}),
    ({"type": "SALE"}, {"type"}),
    ({"currency": "TL"}, {"currency"}),
    ({"issue_date": "20.11.2026"}, {"issue_date"}),
    ({"payment_method": "credit_card"}, {"payment_method"}),  # not a top-level field
    ({"lines": []}, {"lines"}),
    ({"lines__0__name": ""}, {"lines.0.name"}),
    ({"lines__0__quantity": 0}, {"lines.quantity", "lines.discount"}),  # 0 pieces: the discount exceeds it
    ({"lines__0__unit": "ADET"}, {"lines.0.unit"}),
    ({"lines__1__unit_price": "-1"}, {"lines.1.unit_price"}),
    ({"lines__1__unit_price": "0.123456789"}, {"lines.unit_price"}),
    ({"lines__1__unit_price": "abc"}, {"lines.1.unit_price"}),
    ({"lines__1__tax_rate": 18}, set()),  # 18 stays in FE's KDV enum for older documents
    ({"lines__1__tax_rate": 5}, {"lines.1.tax_rate"}),
    ({"lines__1__vat_rate": 1}, {"lines.1.vat_rate"}),  # issue #10: the API takes tax_rate
    ({"lines__0__discount": "100.01"}, {"lines.discount"}),
    ({"lines__0__discount_type": ...}, {"lines.discount_type"}),
    ({"lines__2__tax_rate": 0}, {"lines.exemption_code"}),
    ({"lines__2__tax_rate": 0, "lines__2__exemption_code": "351"}, {"lines.2.exemption_code"}),
    ({"internet_sale__web_address": ...}, {"internet_sale.web_address"}),
    ({"internet_sale__payment_method": "credit_card"}, {"internet_sale.payment_method"}),
    ({"internet_sale__website": "https://x.example"}, {"internet_sale.website"}),
    ({"internet_sale": ...}, {"internet_sale"}),
    ({"shipment__company_tax_number": "123"}, {"shipment.company_tax_number"}),
    ({"shipment": ...}, {"shipment"}),
]


@pytest.mark.parametrize(("changes", "errors"), INVOICE_RULES)
def test_invoice_rules(client: httpx.Client, sandbox: Sandbox, changes: dict[str, Any], errors: set[str]) -> None:
    cid = customer(client)
    body = invoice_body(cid, today(sandbox), **changes)
    r = client.post("/api/invoices", json=body)
    if not errors:
        assert r.status_code == 201, r.text
        return
    assert_refused(r, 422, errors)
    assert sandbox.ledger.count(NAME, "invoice_created") == 0
    assert [v.endpoint for v in sandbox.state.violations.list(NAME)] == ["invoices_create"]


def test_issue_date_may_not_be_in_the_future(client: httpx.Client, sandbox: Sandbox) -> None:
    cid = customer(client)
    tomorrow = (sandbox.state.clock.now().astimezone(ISTANBUL) + timedelta(days=1)).date().isoformat()
    r = client.post("/api/invoices", json=invoice_body(cid, tomorrow))
    assert_refused(r, 422, {"issue_date"})


def test_foreign_currency_with_exchange_rate_and_zero_rate_with_exemption(client: httpx.Client, sandbox: Sandbox) -> None:
    cid = customer(client)
    body = invoice_body(cid, today(sandbox), currency="EUR", currency_rate="36.5012",
                        lines__2__tax_rate=0, lines__2__exemption_code="301")
    data = create_invoice(client, body)
    assert data["currency_rate"] == "36.5012" and data["lines"][2]["tax_amount"] == "0.00"


def test_invoice_list_filters_dates_and_pages(client: httpx.Client, sandbox: Sandbox) -> None:
    cid = customer(client)
    dates = ["2026-01-05", "2026-01-10", "2026-01-10", "2026-01-20", "2026-02-01"]
    for i, day in enumerate(dates):
        create_invoice(client, invoice_body(cid, day, order_id=f"shop:{i}:sale"))
    params = {"filters[issue_date][$gte]": "2026-01-10", "filters[issue_date][$lte]": "2026-01-20", "per_page": 2}
    first = client.get("/api/invoices", params=params).json()
    assert [i["order_id"] for i in first["data"]] == ["shop:1:sale", "shop:2:sale"]
    assert first["meta"]["total"] == 3 and first["meta"]["last_page"] == 2
    second = client.get("/api/invoices", params={**params, "page": 2}).json()
    assert [i["order_id"] for i in second["data"]] == ["shop:3:sale"]
    found = client.get("/api/invoices", params={"filters[order_id][$eq]": "shop:4:sale"}).json()
    assert [i["issue_date"] for i in found["data"]] == ["2026-02-01"]
    desc = client.get("/api/invoices", params={"sort": "issue_date:desc", "per_page": 1}).json()
    assert desc["data"][0]["order_id"] == "shop:4:sale"
    bad = client.get("/api/invoices", params={"filters[issue_date][$gte]": "10.01.2026"})
    assert bad.status_code == 422 and "filters.issue_date.$gte" in bad.json()["errors"]
    assert client.get("/api/invoices/99").status_code == 404


# -- formalize (GİB) ---------------------------------------------------------------------------


def formalize(client: httpx.Client, invoice_id: int) -> httpx.Response:
    return client.post(f"/api/invoices/{invoice_id}/formalize")


def test_formalize_sends_once_and_completes_on_the_clock(client: httpx.Client, sandbox: Sandbox) -> None:
    cid = customer(client)
    inv = create_invoice(client, invoice_body(cid, today(sandbox)))
    r = formalize(client, inv["id"])
    assert r.status_code == 202
    data = r.json()["data"]
    year = sandbox.state.clock.now().astimezone(ISTANBUL).year
    assert data["formal_status"] == "pending" and data["formal_type"] == "e_archive" and data["alias"] is None
    assert re.fullmatch(rf"FEN{year}000000001", data["invoice_number"])
    assert uuid.UUID(data["uuid"]).version == 4
    (effect,) = sandbox.ledger.effects(NAME, "gib_send")
    assert effect.key == str(inv["id"])
    assert effect.detail == {
        "gib_uuid": data["uuid"], "document_type": "e_arsiv", "invoice_number": data["invoice_number"],
        "alias": None,
    }
    # Not sent twice, whether still running or completed.
    assert_refused(formalize(client, inv["id"]), 422)
    sandbox.state.clock.advance(sandbox.state.status_step_s / 2)
    assert client.get(f"/api/invoices/{inv['id']}").json()["data"]["formal_status"] == "running"
    assert_refused(formalize(client, inv["id"]), 422)
    sandbox.state.clock.advance(sandbox.state.status_step_s / 2)
    done = client.get(f"/api/invoices/{inv['id']}").json()["data"]
    assert (done["formal_status"], done["uuid"], done["invoice_number"]) == ("completed", data["uuid"], data["invoice_number"])
    r = formalize(client, inv["id"])
    assert_refused(r, 422)
    assert "zaten" in r.json()["message"]
    assert sandbox.ledger.count(NAME, "gib_send") == 1
    assert done["pdf_url"] == f"/api/invoices/{inv['id']}/formal-pdf"
    assert [v.endpoint for v in sandbox.state.violations.list(NAME)] == ["invoices_formalize"] * 3


def test_registered_buyer_gets_an_e_fatura(client: httpx.Client, sandbox: Sandbox) -> None:
    cid = customer(client, COMPANY)  # 1234567890 is in the sandbox's GİB directory
    inv = create_invoice(client, invoice_body(cid, today(sandbox)))
    data = formalize(client, inv["id"]).json()["data"]
    assert (data["formal_type"], data["alias"]) == ("e_invoice", "urn:mail:defaultpk@ornekteknoloji.com.tr")
    assert sandbox.ledger.effects(NAME, "gib_send")[0].detail["document_type"] == "e_fatura"


def test_numbers_follow_the_integration_prefix_and_the_issue_year(client: httpx.Client, sandbox: Sandbox) -> None:
    cid = customer(client)
    first = create_invoice(client, invoice_body(cid, "2025-12-31", order_id="a"))
    second = create_invoice(client, invoice_body(cid, "2025-12-30", order_id="b"))
    other = create_invoice(client, invoice_body(cid, "2026-01-02", order_id="c", invoice_integration_id=2))
    numbers = [formalize(client, i["id"]).json()["data"]["invoice_number"] for i in (first, second, other)]
    assert numbers == ["FEN2025000000001", "FEN2025000000002", "FEA2026000000001"]


def test_internet_sale_e_arsiv_needs_internet_sale_details(client: httpx.Client, sandbox: Sandbox) -> None:
    cid = customer(client)
    inv = create_invoice(client, invoice_body(cid, today(sandbox), internet_sale=..., is_internet_sale=...))
    r = formalize(client, inv["id"])
    assert_refused(r, 422)
    assert "internet_sale" in r.json()["message"]
    assert sandbox.ledger.count(NAME, "gib_send") == 0
    # On a shop-counter channel the same invoice is no internet sale.
    store = create_invoice(client, invoice_body(cid, today(sandbox), internet_sale=..., is_internet_sale=..., sale_channel_id=2))
    assert formalize(client, store["id"]).status_code == 202


def test_gib_failure_is_reachable_and_may_be_formalized_again(client: httpx.Client, sandbox: Sandbox, sandbox_server: SandboxServer) -> None:
    cid = customer(client)
    inv = create_invoice(client, invoice_body(cid, today(sandbox)))
    r = httpx.post(f"{sandbox_server.url}/faturaentegrator/__sim/formal-failures", json={"message": "GİB: alıcı hatalı"})
    assert r.json() == {"pending_failures": 1}
    sent = formalize(client, inv["id"]).json()["data"]
    sandbox.state.clock.advance(sandbox.state.status_step_s)
    failed = client.get(f"/api/invoices/{inv['id']}").json()["data"]
    assert (failed["formal_status"], failed["formal_message"]) == ("failed", "GİB: alıcı hatalı")
    assert sandbox.ledger.count(NAME, "gib_rejected", str(inv["id"])) == 1
    again = formalize(client, inv["id"]).json()["data"]
    assert (again["formal_status"], again["invoice_number"], again["uuid"]) == ("pending", sent["invoice_number"], sent["uuid"])
    sandbox.state.clock.advance(sandbox.state.status_step_s)
    assert client.get(f"/api/invoices/{inv['id']}").json()["data"]["formal_status"] == "completed"
    assert sandbox.ledger.count(NAME, "gib_send", str(inv["id"])) == 2


def test_formalize_unknown_invoice_is_404(client: httpx.Client) -> None:
    r = formalize(client, 99)
    assert r.status_code == 404 and "Invoice" in r.json()["message"]


# -- faults ------------------------------------------------------------------------------------


def test_before_500_has_no_effect(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.state.faults.add(FaultRule(NAME, "customers_create", FaultMode.BEFORE_500, times=1))
    r = client.post("/api/customers", json=EXAMPLE)
    assert r.status_code == 500 and isinstance(r.json()["message"], str)
    assert sandbox.ledger.count(NAME, "cari_created") == 0
    assert client.post("/api/customers", json=EXAMPLE).status_code == 201


def test_after_504_keeps_the_effect(client: httpx.Client, sandbox: Sandbox) -> None:
    cid = customer(client)
    sandbox.state.faults.add(FaultRule(NAME, "invoices_create", FaultMode.AFTER_504))
    r = client.post("/api/invoices", json=invoice_body(cid, today(sandbox)))
    assert r.status_code == 504
    assert sandbox.ledger.count(NAME, "invoice_created") == 1
    listed = client.get("/api/invoices", params={"filters[order_id][$eq]": "shop:1001:sale"}).json()
    assert listed["meta"]["total"] == 1


def test_after_stall_does_the_effect_and_does_not_block_other_requests(
    sandbox_server: SandboxServer, client: httpx.Client, sandbox: Sandbox
) -> None:
    cid = customer(client)
    inv = create_invoice(client, invoice_body(cid, today(sandbox)))
    sandbox.state.faults.add(FaultRule(NAME, "invoices_formalize", FaultMode.AFTER_STALL, stall_s=1.5))
    with pytest.raises(httpx.ReadTimeout):
        client.post(f"/api/invoices/{inv['id']}/formalize", timeout=0.5)
    t0 = time.monotonic()
    probe = client.get(f"/api/invoices/{inv['id']}").json()["data"]
    assert time.monotonic() - t0 < 0.5
    assert probe["formal_status"] in ("pending", "running")
    assert sandbox.ledger.count(NAME, "gib_send") == 1


def test_rate_429_with_retry_after(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.state.faults.add(FaultRule(NAME, "customers_list", FaultMode.RATE_429, retry_after_s=7, times=1))
    r = client.get("/api/customers")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7" and "message" in r.json()
    assert client.get("/api/customers").status_code == 200
    assert sandbox.state.faults.fired[f"{NAME}:customers_list:rate_429"] == 1


def test_latency_delays_then_answers(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.state.faults.add(FaultRule(NAME, "customers_create", FaultMode.LATENCY, latency_ms=300))
    t0 = time.monotonic()
    assert client.post("/api/customers", json=EXAMPLE).status_code == 201
    assert time.monotonic() - t0 >= 0.3


def test_faults_are_per_endpoint(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.state.faults.add(FaultRule(NAME, "invoices_formalize", FaultMode.BEFORE_500))
    cid = customer(client)
    inv = create_invoice(client, invoice_body(cid, today(sandbox)))
    assert client.get(f"/api/invoices/{inv['id']}").status_code == 200
    assert formalize(client, inv["id"]).status_code == 500
    assert sandbox.ledger.count(NAME, "gib_send") == 0


def test_reset_restores_seed_data(client: httpx.Client, sandbox: Sandbox, sim: FaturaEntegratorSimulator) -> None:
    customer(client)
    sim.integrations[1] = "XYZ"
    sim.api_keys.add("other")
    sandbox.reset()
    assert sim.customers == {} and sim.integrations[1] is None and sim.api_keys == {DEFAULT_API_KEY}
    assert customer(client) == 1

