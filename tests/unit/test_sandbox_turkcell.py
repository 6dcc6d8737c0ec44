"""The Turkcell e-Şirket simulator on its own, over real HTTP: documented rules, error shapes,
ledger effects, status progression on the sandbox clock and every fault mode."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sync_engine.sandbox.app import Sandbox, SandboxServer
from sync_engine.sandbox.core import FaultMode, FaultRule
from sync_engine.sandbox.turkcell import TurkcellSimulator
from tests.support.providers import assert_no_violations
from tests.support.providers import sandbox, sandbox_server, sim  # noqa: F401

SIMULATOR = TurkcellSimulator  # the one the sandbox fixtures serve
P = "turkcell"
PERSON_TCKN = "10000000146"
OTHER_TCKN = "10000000078"
PLAIN_VKN = "1000000018"  # valid VKN, not an e-Fatura user
EFATURA_VKN = "1234567890"  # seeded in GİB's directory
EFATURA_ALIAS = "urn:mail:defaultpk@ornekteknoloji.com.tr"
ANON = "11111111111"


class Api:
    def __init__(self, base: str, token: str | None = None, timeout: float = 5.0) -> None:
        self.http = httpx.Client(base_url=base + "/turkcell", timeout=timeout)
        self.token = token

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.http.request(method, path, headers=headers, **kw)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.call("POST", path, json=body)

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.call("PUT", path, json=body)


def fetch_token(base: str, username: str = "demo", password: str = "demo-password", client_id: str = "serviceApi") -> httpx.Response:
    return httpx.post(
        base + "/turkcell/v1/token",
        data={"username": username, "password": password, "client_id": client_id},
        headers={"Cache-Control": "no-cache"},
    )


@pytest.fixture
def api(sandbox_server: SandboxServer, sim: TurkcellSimulator) -> Iterator[Api]:
    token = fetch_token(sandbox_server.url).json()["access_token"]
    client = Api(sandbox_server.url, token)
    yield client
    client.http.close()


def refused(response: httpx.Response, status: int, sandbox: Sandbox, *, violation: bool = True) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"Error"} and isinstance(body["Error"], str) and body["Error"]
    assert bool(sandbox.state.violations.list(P)) is violation
    return body["Error"]


def address(**over: Any) -> dict[str, Any]:
    return {"isDefault": True, "addressName": "Fatura Adresi", "subDivisionName": "Kadıköy", "city": "İstanbul", "country": "Türkiye", **over}


def cari(identifier: str = PERSON_TCKN, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Ayşe", "surname": "Yılmaz", "identifier": identifier, "currentAccountAddress": address()}
    if len(identifier) == 10:
        body = {"name": "Örnek A.Ş.", "identifier": identifier, "taxOffice": "Kozyatağı", "currentAccountAddress": address()}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def make_cari(api: Api, identifier: str = PERSON_TCKN, *, match: bool = True, **over: Any) -> int:
    response = api.post("/v1/currentaccounts", cari(identifier, **over))
    assert response.status_code == 200, response.text
    cari_id = response.json()["id"]
    if match:
        assert api.post("/v1/currentaccountaccounts", {"currentAccountId": cari_id, "accountId": 2}).status_code == 200
    return cari_id


def line(**over: Any) -> dict[str, Any]:
    return {
        "inventoryServiceCode": "TS-1", "inventoryCard": "Tişört", "amount": 2, "unitCode": "C62",
        "unitPrice": 50.00, "discountAmount": 0, "lineExtensionAmount": 100.00, "vatRate": 20, "vatAmount": 20.00, **over,
    }


ARCHIVE = {
    "isInternetSale": True, "websiteUrl": "https://demo-shop.example", "shipmentSendType": "ELEKTRONIK",
    "shipmentSenderName": "Yurtiçi Kargo", "shipmentSenderTcknVkn": "1000000026", "shipmentDate": "2026-01-15T00:00:00Z",
}


def invoice(ettn: str | None = None, identifier: str = PERSON_TCKN, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "description": "Sipariş #1001 (shopify 1)",
        "currentAccountIdentifier": identifier,
        "isSend": True,
        "recordType": 0,
        "generalInfoModel": {
            "ettn": ettn or str(uuid.uuid4()), "prefix": "DMS", "invoiceProfileType": 0, "type": 1,
            "currencyCode": "TRY", "issueDate": "2026-01-15T00:00:00Z",
        },
        "invoiceLines": [line()],
        "paymentMeansModel": {"paymentMeansCode": "48", "paymentDueDate": "2026-01-15T09:31:00Z", "instructionNote": "iyzico"},
        "archiveInfoModel": dict(ARCHIVE),
    }
    if identifier == EFATURA_VKN:
        body.update(recordType=1, currentAccountAlias=EFATURA_ALIAS)
        del body["archiveInfoModel"]
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def send_body(ettn: str, *, e_fatura: bool = False, identifier: str | None = None, **over: Any) -> dict[str, Any]:
    """The e-Fatura service's whole create model (FACTS §4.2), for the invoice() above."""
    book: dict[str, Any] = (
        {"alias": EFATURA_ALIAS, "identificationNumber": EFATURA_VKN, "name": "Örnek Teknoloji A.Ş.",
         "receiverTaxOffice": "Kozyatağı"}
        if e_fatura else
        {"identificationNumber": PERSON_TCKN, "name": "Ayşe", "receiverPersonSurName": "Yılmaz",
         "receiverEmail": "ayse@example.com"}
    )
    if identifier is not None:
        book["identificationNumber"] = identifier
    book.update(receiverStreet="Moda Cd. No:1", receiverDistrict="Kadıköy", receiverCity="İstanbul",
                receiverCountry="Türkiye", receiverCountryId=1)
    body: dict[str, Any] = {
        "status": 20,
        "recordType": 1 if e_fatura else 0,
        "addressBook": book,
        "generalInfoModel": {
            "ettn": ettn, "prefix": "DMS", "issueDate": "2026-01-15T00:00:00Z", "type": 1, "currencyCode": "TRY",
            "invoiceProfileType": 0 if e_fatura else 4,
        },
        "invoiceLines": [{
            "inventoryCard": "Tişört", "amount": 2, "unitCode": "C62", "unitPrice": 50.00, "lineAmount": 100.00,
            "vatRate": 20, "vatAmount": 20.00, "discountAmount": 0,
        }],
        "paymentMeansModel": {"paymentMeansCode": "48", "paymentDueDate": "2026-01-15T09:31:00Z"},
    }
    if not e_fatura:
        body["archiveInfoModel"] = dict(ARCHIVE)
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def saved(api: Api, identifier: str = PERSON_TCKN, *, match: bool = True, **over: Any) -> str:
    if identifier == EFATURA_VKN:
        make_cari(api, identifier, match=match)
    else:
        make_cari(api, identifier, match=match)
    ettn = str(uuid.uuid4())
    response = api.post("/v1/invoices", invoice(ettn, identifier, **over))
    assert response.status_code == 200, response.text
    return ettn


def sent(api: Api, identifier: str = PERSON_TCKN) -> tuple[str, dict[str, Any]]:
    ettn = saved(api, identifier)
    e_fatura = identifier == EFATURA_VKN
    path = "/efatura/v1/outboxinvoice/create" if e_fatura else "/efatura/v2/earchive/create"
    response = api.post(path, send_body(ettn, e_fatura=e_fatura, identifier=identifier))
    assert response.status_code == 200, response.text
    return ettn, response.json()


# --- token and bearer ---------------------------------------------------------------------


def test_token_answer_has_the_documented_shape(sandbox_server: SandboxServer, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    response = fetch_token(sandbox_server.url)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "86400"  # a string, as documented
    assert body["refresh_token"] == ""
    assert len(body["access_token"]) > 20


@pytest.mark.parametrize(
    ("username", "password", "client_id"),
    [("demo", "wrong", "serviceApi"), ("nobody", "demo-password", "serviceApi"), ("demo", "demo-password", "other")],
)
def test_bad_credentials_are_refused_with_422(
    sandbox_server: SandboxServer, sandbox: Sandbox, sim: TurkcellSimulator, username: str, password: str, client_id: str
) -> None:
    response = fetch_token(sandbox_server.url, username, password, client_id)
    assert response.status_code == 422
    assert response.json()["error_description"]
    assert sandbox.state.violations.list(P)[0].endpoint == "token"


def test_credentials_are_configurable(sandbox_server: SandboxServer, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    sim.username, sim.password = "shop", "s3cret"
    try:
        assert fetch_token(sandbox_server.url, "shop", "s3cret").status_code == 200
        assert fetch_token(sandbox_server.url).status_code == 422
    finally:
        sim.username, sim.password = "demo", "demo-password"


def test_token_request_must_be_form_encoded(sandbox_server: SandboxServer, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    response = httpx.post(
        sandbox_server.url + "/turkcell/v1/token",
        json={"username": "demo", "password": "demo-password", "client_id": "serviceApi"},
    )
    refused(response, 415, sandbox)


def test_missing_bearer_is_401_and_a_violation(sandbox_server: SandboxServer, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    client = Api(sandbox_server.url)
    refused(client.get("/v1/accounts"), 401, sandbox)
    refused(client.get("/efatura/v1/gibuser/isuser", identifier=EFATURA_VKN, appType=1), 401, sandbox)


def test_unknown_token_is_401_without_violation(sandbox_server: SandboxServer, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    client = Api(sandbox_server.url, "not-a-token")
    refused(client.get("/v1/accounts"), 401, sandbox, violation=False)


def test_token_expires_on_the_sandbox_clock(sandbox: Sandbox, api: Api) -> None:
    assert api.get("/v1/accounts").status_code == 200
    sandbox.state.clock.advance(86399)
    assert api.get("/v1/accounts").status_code == 200
    assert api.get("/efatura/v1/gibuser/getuser", identifier=EFATURA_VKN).status_code == 200
    sandbox.state.clock.advance(2)
    refused(api.get("/v1/accounts"), 401, sandbox, violation=False)
    refused(api.get("/efatura/v1/gibuser/getuser", identifier=EFATURA_VKN), 401, sandbox, violation=False)


def test_reset_forgets_tokens(sandbox: Sandbox, api: Api) -> None:
    sandbox.reset()
    refused(api.get("/v1/accounts"), 401, sandbox, violation=False)


# --- cari -----------------------------------------------------------------------------------


def test_cari_create_get_and_find_by_identifier(sandbox: Sandbox, api: Api) -> None:
    response = api.post("/v1/currentaccounts", cari())
    assert response.status_code == 200
    created = response.json()
    assert created["identifier"] == PERSON_TCKN and created["surname"] == "Yılmaz"
    assert created["currentAccountAddress"]["isDefault"] is True
    got = api.get(f"/v1/currentaccounts/{created['id']}").json()
    assert got["id"] == created["id"] and got["name"] == "Ayşe" and "code" not in got
    found = api.get("/v1/currentaccounts", filterQuery=f'[{{"category":"Identifier","operator":"eşittir","value":"{PERSON_TCKN}"}}]').json()
    assert found["totalCount"] == 1 and found["items"][0]["id"] == created["id"]
    assert found["items"][0]["status"] == 1
    assert sandbox.ledger.count(P, "cari_created", PERSON_TCKN) == 1
    assert sandbox.ledger.count(P, "address_created") == 1
    assert_no_violations(sandbox)


@pytest.mark.parametrize(
    ("over", "fragment"),
    [
        ({"name": None}, "name"),
        ({"name": "x" * 501}, "500"),
        ({"identifier": None}, "identifier"),
        ({"identifier": "1000000014A"}, "identifier alanının biçimi"),
        ({"identifier": "123456789"}, "identifier alanının biçimi"),
        ({"identifier": "123456789012"}, "identifier alanının biçimi"),
        ({"surname": None}, "surname"),
        ({"surname": "y" * 251}, "250"),
        ({"code": "c" * 51}, "50"),
        ({"taxOffice": "t" * 151}, "150"),
        ({"mersisNumber": "1" * 51}, "50"),
        ({"professionalChamber": "p" * 251}, "250"),
        ({"maturity": "30"}, "maturity"),
        ({"currentAccountAddress": address(city=None)}, "city"),
        ({"currentAccountAddress": address(addressName=None)}, "addressName"),
        ({"currentAccountAddress": address(subDivisionName="s" * 101)}, "100"),
        ({"currentAccountAddress": address(phoneNumber="532111223")}, "phoneNumber"),
        ({"currentAccountAddress": address(faxNumber="532111223344")}, "faxNumber"),
        ({"currentAccountAddress": address(emailAddress="not-an-email")}, "emailAddress"),
        ({"currentAccountAddress": address(webSite="not a url")}, "webSite"),
    ],
)
def test_cari_rules_are_refused(sandbox: Sandbox, api: Api, over: dict[str, Any], fragment: str) -> None:
    body = cari(**{k: v for k, v in over.items() if v is not None})
    for key, value in over.items():
        if value is None:
            body.pop(key, None)
    message = refused(api.post("/v1/currentaccounts", body), 400, sandbox)
    assert fragment in message
    assert sandbox.ledger.count(P, "cari_created") == 0


def test_cari_body_must_be_json(sandbox: Sandbox, api: Api) -> None:
    refused(api.call("POST", "/v1/currentaccounts", data={"name": "x"}), 415, sandbox)
    refused(api.call("POST", "/v1/currentaccounts", content=b"{not json", headers={"Content-Type": "application/json"}), 400, sandbox)


def test_one_cari_per_identifier_unless_a_code_tells_them_apart(sandbox: Sandbox, api: Api) -> None:
    make_cari(api, ANON, match=False, code="A1", name="Mehmet", surname="Demir")
    make_cari(api, ANON, match=False, code="A2", name="Zeynep", surname="Kaya")
    refused(api.post("/v1/currentaccounts", cari(ANON, code="A1")), 400, sandbox)
    assert sandbox.ledger.per_key(P, "cari_created") == {f"{ANON}:A1": 1, f"{ANON}:A2": 1}

    sandbox.state.violations.reset()
    make_cari(api, PERSON_TCKN, match=False)
    message = refused(api.post("/v1/currentaccounts", cari(PERSON_TCKN)), 400, sandbox)
    assert "code" in message
    page = api.get(
        "/v1/currentaccounts",
        filterQuery=f'[{{"category":"Identifier","operator":"eşittir","value":"{ANON}"}},{{"category":"Code","operator":"eşittir","value":"A2"}}]',
    ).json()
    assert [i["name"] for i in page["items"]] == ["Zeynep"]


def test_cari_list_paging_and_filter_rules(sandbox: Sandbox, api: Api) -> None:
    for tckn in ("10000000078", "10000000146", "10000000214"):
        make_cari(api, tckn, match=False)
    first = api.get("/v1/currentaccounts", pageIndex=0, pageSize=2).json()
    second = api.get("/v1/currentaccounts", pageIndex=1, pageSize=2).json()
    assert (first["totalCount"], first["totalPages"], first["hasNextPage"], len(first["items"])) == (3, 2, True, 2)
    assert (second["hasNextPage"], second["hasPreviousPage"], len(second["items"])) == (False, True, 1)
    contains = api.get("/v1/currentaccounts", filterQuery='[{"category":"Identifier","operator":"ile başlayan","value":"1000000"}]').json()
    assert contains["totalCount"] == 3
    not_equal = api.get("/v1/currentaccounts", filterQuery='[{"category":"Identifier","operator":"eşittir değildir","value":"10000000078"}]').json()
    assert not_equal["totalCount"] == 2
    assert_no_violations(sandbox)

    refused(api.get("/v1/currentaccounts", pageSize=501), 400, sandbox)
    refused(api.get("/v1/currentaccounts", pageSize="many"), 400, sandbox)
    refused(api.get("/v1/currentaccounts", filterQuery="[{not json"), 400, sandbox)
    refused(api.get("/v1/currentaccounts", filterQuery='[{"category":"Color","operator":"eşittir","value":"x"}]'), 400, sandbox)
    refused(api.get("/v1/currentaccounts", filterQuery='[{"category":"Identifier","operator":"==","value":"x"}]'), 400, sandbox)
    refused(api.get("/v1/currentaccounts", sortedColumn="Color"), 400, sandbox)


def test_cari_get_unknown_is_404_not_a_violation(sandbox: Sandbox, api: Api) -> None:
    refused(api.get("/v1/currentaccounts/424242"), 404, sandbox, violation=False)


def test_cari_update(sandbox: Sandbox, api: Api) -> None:
    first = make_cari(api, PERSON_TCKN, match=False)
    make_cari(api, OTHER_TCKN, match=False)
    response = api.put(f"/v1/currentaccounts/{first}", {"id": first, "name": "Ayşe Nur", "surname": "Yılmaz", "identifier": PERSON_TCKN})
    assert response.status_code == 200 and response.json()["name"] == "Ayşe Nur"
    assert sandbox.ledger.count(P, "cari_updated", PERSON_TCKN) == 1
    refused(api.put(f"/v1/currentaccounts/{first}", {"id": first, "name": "X", "surname": "Y", "identifier": OTHER_TCKN}), 400, sandbox)
    sandbox.state.violations.reset()
    refused(api.put(f"/v1/currentaccounts/{first}", {"id": first, "name": "X", "identifier": PERSON_TCKN}), 400, sandbox)
    sandbox.state.violations.reset()
    refused(api.put("/v1/currentaccounts/999999", {"id": 999999, "name": "X", "surname": "Y", "identifier": PERSON_TCKN}), 404, sandbox, violation=False)


def test_addresses(sandbox: Sandbox, api: Api) -> None:
    cari_id = make_cari(api, match=False)
    response = api.post("/v1/currentaccountaddresses", {**address(addressName="İş", city="Ankara"), "currentAccountId": cari_id})
    assert response.status_code == 200 and response.json()["isDefault"] is True
    listed = api.get("/v1/currentaccountaddresses", currentAccountId=cari_id).json()
    assert [(a["addressName"], a["isDefault"]) for a in listed] == [("Fatura Adresi", False), ("İş", True)]
    assert sandbox.ledger.count(P, "address_created", str(cari_id)) == 2
    refused(api.post("/v1/currentaccountaddresses", address()), 400, sandbox)  # no currentAccountId
    sandbox.state.violations.reset()
    refused(api.post("/v1/currentaccountaddresses", {**address(country=None), "currentAccountId": cari_id}), 400, sandbox)
    sandbox.state.violations.reset()
    refused(api.post("/v1/currentaccountaddresses", {**address(), "currentAccountId": 1}), 404, sandbox)
    sandbox.state.violations.reset()
    refused(api.get("/v1/currentaccountaddresses"), 400, sandbox)


def test_pool_account_is_found_by_code(sandbox: Sandbox, api: Api) -> None:
    page = api.get("/v1/accounts", filterQuery='[{"category":"Code","operator":"eşittir","value":"120.01"}]').json()
    assert [(a["id"], a["code"], a["isBundleAccount"], a["type"]) for a in page["items"]] == [(2, "120.01", 1, 2)]
    assert api.get("/v1/accounts").json()["totalCount"] == 5


def test_cari_account_matching_rules(sandbox: Sandbox, api: Api) -> None:
    a = make_cari(api, PERSON_TCKN, match=False)
    b = make_cari(api, OTHER_TCKN, match=False)
    for cari_id in (a, b):  # a havuz account matches many caris
        response = api.post("/v1/currentaccountaccounts", {"currentAccountId": cari_id, "accountId": 2, "name": "havuz"})
        assert response.status_code == 200 and response.json()["account"]["isBundleAccount"] is True
    listed = api.get("/v1/currentaccountaccounts", currentAccountId=a).json()
    assert [(m["accountCode"], m["isBundleAccount"]) for m in listed["items"]] == [("120.01", True)]
    assert sandbox.ledger.count(P, "cari_matched") == 2
    assert_no_violations(sandbox)

    refused(api.post("/v1/currentaccountaccounts", {"currentAccountId": a, "accountId": 2}), 400, sandbox)  # twice
    assert api.post("/v1/currentaccountaccounts", {"currentAccountId": a, "accountId": 3}).status_code == 200
    sandbox.state.violations.reset()
    refused(api.post("/v1/currentaccountaccounts", {"currentAccountId": b, "accountId": 3}), 400, sandbox)  # not a pool
    sandbox.state.violations.reset()
    refused(api.post("/v1/currentaccountaccounts", {"currentAccountId": b, "accountId": 1}), 400, sandbox)  # a kebir
    sandbox.state.violations.reset()
    refused(api.post("/v1/currentaccountaccounts", {"currentAccountId": 1, "accountId": 2}), 404, sandbox)
    sandbox.state.violations.reset()
    refused(api.post("/v1/currentaccountaccounts", {"currentAccountId": a}), 400, sandbox)


# --- invoices in Muhasebe ---------------------------------------------------------------------


def test_invoice_save_get_and_save_again_updates(sandbox: Sandbox, api: Api) -> None:
    make_cari(api)
    ettn = str(uuid.uuid4())
    first = api.post("/v1/invoices", invoice(ettn))
    assert first.status_code == 200, first.text
    assert first.json()["generalInfoModel"]["invoiceNumber"] is None  # GİB assigns it on send
    assert first.json()["invoiceStatus"] == 0 and first.json()["recordStatus"] == 0
    changed = invoice(ettn, description="Sipariş #1001 (shopify 1) düzeltme", invoiceLines=[line(), line(inventoryServiceCode="K", vatRate=10, vatAmount=10.00)])
    assert api.post("/v1/invoices", changed).status_code == 200
    got = api.get(f"/v1/invoices/{ettn}", isSend="true").json()
    assert got["description"].endswith("düzeltme")
    assert got["generalInfoModel"]["ettn"] == ettn and got["generalInfoModel"]["prefix"] == "DMS"
    assert got["invoiceTotalsModel"] == {
        "lineExtensionAmount": "200.00", "taxExclusiveAmount": "200.00", "taxInclusiveAmount": "230.00",
        "allowanceTotalAmount": "0.00", "payableAmount": "230.00",
    }
    assert got["curAccAccCode"] == "120.01"
    assert got["currentAccountIdentifier"] == PERSON_TCKN
    assert sandbox.ledger.count(P, "invoice_created", ettn) == 1
    assert sandbox.ledger.count(P, "invoice_updated", ettn) == 1
    listing = api.get("/v1/invoices/outgoing", pageIndex=0, pageSize=500).json()
    assert listing["totalCount"] == 1 and listing["items"][0]["payableAmount"] == 230.0
    assert_no_violations(sandbox)


def _general(**over: Any) -> dict[str, Any]:
    g = {"ettn": str(uuid.uuid4()), "prefix": "DMS", "invoiceProfileType": 0, "type": 1, "currencyCode": "TRY", "issueDate": "2026-01-15T00:00:00Z"}
    g.update(over)
    return {k: v for k, v in g.items() if v is not None}


@pytest.mark.parametrize(
    ("over", "fragment"),
    [
        ({"description": None}, "description"),
        ({"isSend": False}, "isSend"),
        ({"currentAccountIdentifier": "12345"}, "currentAccountIdentifier alanının biçimi"),
        ({"recordType": 2}, "recordType"),
        ({"generalInfoModel": _general(prefix=None)}, "prefix"),
        ({"generalInfoModel": _general(prefix="DM")}, "prefix"),
        ({"generalInfoModel": _general(prefix="dms")}, "prefix"),
        ({"generalInfoModel": _general(invoiceNumber="DMS2026000000001")}, "numara"),
        ({"generalInfoModel": _general(ettn="not-a-guid")}, "UUID"),
        ({"generalInfoModel": _general(currencyCode="EUR")}, "exchangeRate"),
        ({"generalInfoModel": _general(issueDate="15.01.2026")}, "issueDate"),
        ({"invoiceLines": [line(amount=0)]}, "miktar"),
        ({"invoiceLines": [line(amount="2")]}, "amount alanı sayı"),
        ({"invoiceLines": [line(vatRate=18, vatAmount=18.00)]}, "vatRate"),
        ({"invoiceLines": [line(vatRate=0, vatAmount=0)]}, "vatExemptionReasonCode"),
        ({"invoiceLines": [line(lineExtensionAmount=90.00)]}, "lineExtensionAmount"),
        ({"invoiceLines": [line(vatAmount=25.00)]}, "vatAmount"),
        ({"invoiceLines": [line(vatAmount=20.001)]}, "ondalık"),
        ({"invoiceLines": [line(inventoryServiceCode=None, inventoryCard=None)]}, "inventory"),
        ({"invoiceLines": [line(unitCode=None)]}, "unitCode"),
        ({"invoiceLines": "x"}, "liste"),
        ({"archiveInfoModel": {**ARCHIVE, "websiteUrl": None}}, "websiteUrl"),
        ({"archiveInfoModel": {**ARCHIVE, "shipmentSenderTcknVkn": None}}, "shipmentSenderTcknVkn"),
        ({"archiveInfoModel": {**ARCHIVE, "shipmentDate": None}}, "shipmentDate"),
        ({"archiveInfoModel": {**ARCHIVE, "shipmentSendType": "POSTA"}}, "shipmentSendType"),
        ({"paymentMeansModel": {"paymentMeansCode": "KART"}}, "paymentMeansCode"),
        ({"notes": ["not an object"]}, "notes"),
    ],
)
def test_invoice_save_rules_are_refused(sandbox: Sandbox, api: Api, over: dict[str, Any], fragment: str) -> None:
    make_cari(api)
    body = invoice()
    for key, value in over.items():
        if value is None:
            body.pop(key)
        elif key == "archiveInfoModel":
            body[key] = {k: v for k, v in value.items() if v is not None}
        elif key == "invoiceLines" and isinstance(value, list):
            body[key] = [{k: v for k, v in ln.items() if v is not None} for ln in value]
        else:
            body[key] = value
    message = refused(api.post("/v1/invoices", body), 400, sandbox)
    assert fragment in message
    assert sandbox.ledger.count(P, "invoice_created") == 0


def test_e_fatura_and_e_arsiv_follow_the_gib_directory(sandbox: Sandbox, api: Api) -> None:
    make_cari(api, PLAIN_VKN)
    make_cari(api, EFATURA_VKN)
    # e-Fatura to a company that is not registered
    refused(api.post("/v1/invoices", invoice(None, PLAIN_VKN, recordType=1, currentAccountAlias=EFATURA_ALIAS, archiveInfoModel=None)), 400, sandbox)
    sandbox.state.violations.reset()
    # e-Fatura without the posta kutusu alias
    body = invoice(None, EFATURA_VKN)
    del body["currentAccountAlias"]
    refused(api.post("/v1/invoices", body), 400, sandbox)
    sandbox.state.violations.reset()
    refused(api.post("/v1/invoices", invoice(None, EFATURA_VKN, currentAccountAlias="urn:mail:other@x.com")), 400, sandbox)
    sandbox.state.violations.reset()
    # e-Arşiv for a registered e-Fatura user
    message = refused(api.post("/v1/invoices", invoice(None, EFATURA_VKN, recordType=0, currentAccountAlias=None, archiveInfoModel=dict(ARCHIVE))), 400, sandbox)
    assert "e-Fatura mükellefi" in message
    sandbox.state.violations.reset()
    # archiveInfoModel belongs to e-Arşiv only
    refused(api.post("/v1/invoices", invoice(None, EFATURA_VKN, archiveInfoModel=dict(ARCHIVE))), 400, sandbox)
    sandbox.state.violations.reset()
    assert api.post("/v1/invoices", invoice(None, EFATURA_VKN)).status_code == 200
    omitted = invoice(None, PLAIN_VKN)
    del omitted["recordType"]  # documented: the scenario follows the customer
    response = api.post("/v1/invoices", omitted)
    assert response.status_code == 200 and response.json()["recordType"] == 0
    assert_no_violations(sandbox)


def test_invoice_needs_a_known_cari_and_its_code(sandbox: Sandbox, api: Api) -> None:
    refused(api.post("/v1/invoices", invoice()), 400, sandbox)
    sandbox.state.violations.reset()
    make_cari(api, ANON, code="A1", name="Mehmet", surname="Demir")
    message = refused(api.post("/v1/invoices", invoice(None, ANON)), 400, sandbox)
    assert "currentAccountCode" in message
    sandbox.state.violations.reset()
    assert api.post("/v1/invoices", invoice(None, ANON, currentAccountCode="A1")).status_code == 200
    # documented: an unknown cari may travel inside the invoice
    embedded = {"name": "Zeynep", "surname": "Kaya", "identifier": ANON, "code": "A9", "currentAccountAddress": address()}
    response = api.post("/v1/invoices", invoice(None, ANON, currentAccountCode="A9", currentAccount=embedded))
    assert response.status_code == 200 and response.json()["currentAccountName"] == "Zeynep Kaya"
    assert sandbox.ledger.count(P, "cari_created", f"{ANON}:A9") == 1
    assert_no_violations(sandbox)


def test_journaled_or_sent_invoices_cannot_change(sandbox: Sandbox, api: Api) -> None:
    ettn = saved(api)
    assert api.post("/v1/invoices/accounting", [{"ettn": ettn, "isSend": True}]).status_code == 200
    refused(api.post("/v1/invoices", invoice(ettn)), 400, sandbox)
    sandbox.state.violations.reset()
    refused(api.put("/v1/invoices", invoice(ettn)), 400, sandbox)
    sandbox.state.violations.reset()
    sent_ettn, _ = sent(api, OTHER_TCKN)
    refused(api.post("/v1/invoices", invoice(sent_ettn, OTHER_TCKN)), 400, sandbox)


def test_invoice_update_by_put(sandbox: Sandbox, api: Api) -> None:
    ettn = saved(api)
    response = api.put("/v1/invoices", invoice(ettn, description="Sipariş #1001 (shopify 1) v2"))
    assert response.status_code == 200
    assert sandbox.ledger.count(P, "invoice_updated", ettn) == 1
    refused(api.put("/v1/invoices", invoice(str(uuid.uuid4()))), 404, sandbox)


def test_invoice_get_unknown_is_404(sandbox: Sandbox, api: Api) -> None:
    refused(api.get(f"/v1/invoices/{uuid.uuid4()}", isSend="true"), 404, sandbox, violation=False)
    ettn = saved(api)
    refused(api.get(f"/v1/invoices/{ettn}", isSend="false"), 404, sandbox, violation=False)  # not incoming


def test_invoice_delete_rules(sandbox: Sandbox, api: Api) -> None:
    ettn = saved(api)
    response = api.call("DELETE", "/v1/invoices", params={"ettn": ettn, "isSend": "true"})
    assert response.status_code == 200 and response.json() == [None]
    assert sandbox.ledger.count(P, "invoice_deleted", ettn) == 1
    refused(api.get(f"/v1/invoices/{ettn}", isSend="true"), 404, sandbox, violation=False)

    refused(api.call("DELETE", "/v1/invoices", params={"ettn": ettn}), 400, sandbox)
    sandbox.state.violations.reset()
    journaled = str(uuid.uuid4())
    assert api.post("/v1/invoices", invoice(journaled)).status_code == 200
    assert api.post("/v1/invoices/accounting", [{"ettn": journaled, "isSend": True}]).status_code == 200
    refused(api.call("DELETE", "/v1/invoices", params={"ettn": journaled, "isSend": "true"}), 400, sandbox)
    sandbox.state.violations.reset()
    sent_ettn, _ = sent(api, OTHER_TCKN)
    refused(api.call("DELETE", "/v1/invoices", params={"ettn": sent_ettn, "isSend": "true"}), 400, sandbox)
    assert sandbox.ledger.count(P, "invoice_deleted") == 1


def test_muhasebelestir_and_ters_kayit(sandbox: Sandbox, api: Api) -> None:
    ettn = saved(api)
    refused(api.post("/v1/invoices/reverse", [{"ettn": ettn, "isSend": True}]), 400, sandbox)  # not journaled
    sandbox.state.violations.reset()
    assert api.post("/v1/invoices/accounting", [{"ettn": ettn, "isSend": True}]).status_code == 200
    assert api.get(f"/v1/invoices/{ettn}", isSend="true").json()["recordStatus"] == 1
    # a retry after an unknown outcome: refused, but not a contract violation
    refused(api.post("/v1/invoices/accounting", [{"ettn": ettn, "isSend": True}]), 400, sandbox, violation=False)
    assert api.post("/v1/invoices/reverse", [{"ettn": ettn, "isSend": True}]).status_code == 200
    assert api.get(f"/v1/invoices/{ettn}", isSend="true").json()["recordStatus"] == 0
    assert sandbox.ledger.count(P, "journal", ettn) == 1
    assert sandbox.ledger.count(P, "journal_reversed", ettn) == 1
    assert_no_violations(sandbox)


def test_muhasebelestir_rules(sandbox: Sandbox, api: Api) -> None:
    no_lines = saved(api, invoiceLines=[])
    message = refused(api.post("/v1/invoices/accounting", [{"ettn": no_lines, "isSend": True}]), 400, sandbox)
    assert "Kalemi" in message
    sandbox.state.violations.reset()
    unmatched = saved(api, OTHER_TCKN, match=False)
    message = refused(api.post("/v1/invoices/accounting", [{"ettn": unmatched, "isSend": True}]), 400, sandbox)
    assert "eşleştirme" in message
    sandbox.state.violations.reset()
    refused(api.post("/v1/invoices/accounting", [{"ettn": str(uuid.uuid4()), "isSend": True}]), 404, sandbox)
    sandbox.state.violations.reset()
    refused(api.post("/v1/invoices/accounting", {"ettn": no_lines}), 400, sandbox)  # not a list
    sandbox.state.violations.reset()
    # a cancelled e-Arşiv cannot be journaled
    cancelled, _ = sent(api, "10000000214")
    sandbox.state.clock.advance(2 * sandbox.state.status_step_s)
    assert api.put("/efatura/v1/earchive/cancelinvoice", [cancelled]).status_code == 200
    message = refused(api.post("/v1/invoices/accounting", [{"ettn": cancelled, "isSend": True}]), 400, sandbox)
    assert "İptal" in message
    assert sandbox.ledger.count(P, "journal") == 0


def test_outgoing_list_paging_and_issue_date_window(sandbox: Sandbox, api: Api) -> None:
    make_cari(api)
    for day in ("2026-01-10", "2026-01-15", "2026-01-20", "2026-02-01"):
        assert api.post("/v1/invoices", invoice(None, generalInfoModel=_general(issueDate=f"{day}T00:00:00Z"))).status_code == 200
    assert api.post("/v1/invoices", invoice(None, generalInfoModel=_general(issueDate="2026-01-15T09:00:00Z"))).status_code == 200
    # one day: the documented "ile başlayan" on the ISO issue date
    window = '[{"category":"IssueDate","operator":"ile başlayan","value":"2026-01-15"}]'
    page = api.get("/v1/invoices/outgoing", pageIndex=0, pageSize=1, filterQuery=window).json()
    assert (page["totalCount"], page["totalPages"], page["hasNextPage"]) == (2, 2, True)
    assert page["items"][0]["issueDate"] == "2026-01-15T00:00:00Z"
    month = '[{"category":"IssueDate","operator":"ile başlayan","value":"2026-01"}]'
    assert api.get("/v1/invoices/outgoing", pageIndex=0, pageSize=10, filterQuery=month).json()["totalCount"] == 4
    assert page["items"][0]["targetVknTckn"] == PERSON_TCKN and page["items"][0]["lineCount"] == 1
    assert_no_violations(sandbox)
    refused(api.get("/v1/invoices/outgoing", pageIndex=0), 400, sandbox)  # pageSize required
    sandbox.state.violations.reset()
    refused(api.get("/v1/invoices/outgoing", pageSize=10), 400, sandbox)  # pageIndex required
    sandbox.state.violations.reset()
    refused(api.get("/v1/invoices/outgoing", pageIndex=0, pageSize=501), 400, sandbox)
    sandbox.state.violations.reset()
    # a range operator is not among the documented ones
    bad = '[{"category":"IssueDate","operator":"büyük eşittir","value":"2026-01-15"}]'
    message = refused(api.get("/v1/invoices/outgoing", pageIndex=0, pageSize=10, filterQuery=bad), 400, sandbox)
    assert "operator" in message


# --- e-Fatura service ---------------------------------------------------------------------------


def test_e_arsiv_send_assigns_the_gib_number_once(sandbox: Sandbox, api: Api) -> None:
    ettn, answer = sent(api)
    assert set(answer) == {"id", "invoiceNumber"}  # FACTS §4.2: the create answers {id, invoiceNumber}
    assert answer["invoiceNumber"] == "DMS2026000000001"
    assert api.get(f"/efatura/v2/earchive/{answer['id']}/status").json()["status"] == 20
    effects = sandbox.ledger.effects(P, "gib_send")
    assert len(effects) == 1 and effects[0].key == ettn
    assert effects[0].detail["document_type"] == "e_arsiv" and effects[0].detail["gib_uuid"] == ettn
    got = api.get(f"/v1/invoices/{ettn}", isSend="true").json()
    assert got["generalInfoModel"]["invoiceNumber"] == "DMS2026000000001"
    again = api.post("/efatura/v2/earchive/create", send_body(ettn))
    message = refused(again, 409, sandbox)
    assert "iki kez" in message
    assert sandbox.ledger.count(P, "gib_send", ettn) == 1
    second, answer2 = sent(api, OTHER_TCKN)
    assert answer2["invoiceNumber"] == "DMS2026000000002"


def test_status_progresses_on_the_clock(sandbox: Sandbox, api: Api) -> None:
    ettn, answer = sent(api)
    step = sandbox.state.status_step_s

    def status() -> int:
        return api.get(f"/efatura/v2/earchive/{answer['id']}/status").json()["status"]

    assert status() == 20
    sandbox.state.clock.advance(step)
    assert status() == 50
    sandbox.state.clock.advance(step)
    assert status() == 60
    listing = api.get("/v1/invoices/outgoing", pageIndex=0, pageSize=10).json()
    assert listing["items"][0]["invoiceStatus"] == 60
    sim: TurkcellSimulator = sandbox[P]
    sim.force_status(ettn, 80, "Alıcı faturayı reddetti")
    assert status() == 80
    assert api.get(f"/efatura/v2/earchive/{answer['id']}/status").json()["message"] == "Alıcı faturayı reddetti"


def test_e_fatura_send_to_a_registered_buyer(sandbox: Sandbox, api: Api) -> None:
    ettn, answer = sent(api, EFATURA_VKN)
    assert answer["invoiceNumber"] == "DMS2026000000001"
    assert sandbox.ledger.effects(P, "gib_send")[0].detail["document_type"] == "e_fatura"
    step = sandbox.state.status_step_s
    seen = []
    for _ in range(3):
        seen.append(api.get(f"/efatura/v2/outboxinvoice/{answer['id']}/status").json()["status"])
        sandbox.state.clock.advance(step)
    assert seen == [20, 50, 60]
    refused(api.post("/efatura/v1/outboxinvoice/create", send_body(ettn, e_fatura=True)), 409, sandbox)


def test_getinvoice_probe(sandbox: Sandbox, api: Api) -> None:
    ettn = saved(api)
    refused(api.get("/efatura/v2/earchive/getinvoice", guid=ettn), 404, sandbox, violation=False)
    assert api.post("/efatura/v2/earchive/create", send_body(ettn)).status_code == 200
    found = api.get("/efatura/v2/earchive/getinvoice", guid=ettn).json()
    assert found["ettn"] == ettn and found["invoiceNumber"] == "DMS2026000000001" and found["id"]
    # the other service never saw it
    refused(api.get("/efatura/v1/outboxinvoice/getinvoice", guid=ettn), 404, sandbox, violation=False)
    refused(api.get("/efatura/v2/earchive/getinvoice"), 400, sandbox)


def test_e_document_send_rules(sandbox: Sandbox, api: Api) -> None:
    ettn = saved(api)
    make_cari(api, EFATURA_VKN)
    ef = str(uuid.uuid4())
    assert api.post("/v1/invoices", invoice(ef, EFATURA_VKN)).status_code == 200

    def general(**over: Any) -> dict[str, Any]:
        return {**send_body(ettn)["generalInfoModel"], **over}

    line = send_body(ettn)["invoiceLines"][0]
    cases = [
        ("/efatura/v2/earchive/create", send_body(ettn, status=5), 400),  # neither draft nor send
        ("/efatura/v2/earchive/create", send_body(str(uuid.uuid4())), 404),
        ("/efatura/v2/earchive/create", send_body(ettn, generalInfoModel=general(prefix="ABC")), 400),
        ("/efatura/v2/earchive/create", send_body(ettn, generalInfoModel=general(invoiceProfileType="EARSIVFATURA")), 400),
        ("/efatura/v2/earchive/create", send_body(ettn, generalInfoModel=general(invoiceProfileType=0)), 400),
        ("/efatura/v2/earchive/create", send_body(ettn, recordType=1), 400),
        ("/efatura/v2/earchive/create", send_body(ettn, archiveInfoModel={k: v for k, v in ARCHIVE.items() if k != "websiteUrl"}), 400),
        ("/efatura/v2/earchive/create", send_body(ettn, archiveInfoModel=None), 400),
        ("/efatura/v2/earchive/create", send_body(ettn, invoiceLines=[]), 400),
        ("/efatura/v2/earchive/create", send_body(ettn, invoiceLines=[{**line, "unitPrice": 60.00, "lineAmount": 120.00, "vatAmount": 24.00}]), 400),  # total ≠ the record's
        ("/efatura/v2/earchive/create", send_body(ettn, addressBook={**send_body(ettn)["addressBook"], "receiverPersonSurName": None}), 400),
        ("/efatura/v2/earchive/create", send_body(ettn, identifier=OTHER_TCKN), 400),  # not the record's buyer
        ("/efatura/v2/earchive/create", send_body(ettn, targetAlias=EFATURA_ALIAS), 400),  # no such field
        ("/efatura/v1/outboxinvoice/create", send_body(ettn, e_fatura=True, identifier=PERSON_TCKN), 400),  # an e-Arşiv record
        ("/efatura/v2/earchive/create", send_body(ef, identifier=EFATURA_VKN), 400),  # an e-Fatura record
        ("/efatura/v1/outboxinvoice/create", send_body(ef, e_fatura=True, archiveInfoModel=dict(ARCHIVE)), 400),
    ]
    for path, body, status in cases:
        if isinstance(body.get("addressBook"), dict):
            body["addressBook"] = {k: v for k, v in body["addressBook"].items() if v is not None}
        sandbox.state.violations.reset()
        refused(api.post(path, body), status, sandbox)
    for alias in ("urn:mail:x@y.com", None):
        body = send_body(ef, e_fatura=True)
        body["addressBook"] = {k: v for k, v in {**body["addressBook"], "alias": alias}.items() if v is not None}
        sandbox.state.violations.reset()
        refused(api.post("/efatura/v1/outboxinvoice/create", body), 400, sandbox)
    assert sandbox.ledger.count(P, "gib_send") == 0


def test_a_draft_is_kept_until_it_is_sent(sandbox: Sandbox, api: Api) -> None:
    ettn = saved(api)
    draft = api.post("/efatura/v2/earchive/create", send_body(ettn, status=0))
    assert draft.status_code == 200 and draft.json()["invoiceNumber"] is None
    assert api.get(f"/efatura/v2/earchive/{draft.json()['id']}/status").json()["status"] == 0
    assert sandbox.ledger.count(P, "gib_send") == 0
    sent_now = api.post("/efatura/v2/earchive/create", send_body(ettn))
    assert sent_now.status_code == 200 and sent_now.json()["invoiceNumber"] == "DMS2026000000001"
    assert sandbox.ledger.count(P, "gib_send", ettn) == 1


def test_e_arsiv_cancel_only_from_approved(sandbox: Sandbox, api: Api) -> None:
    ettn, answer = sent(api)
    message = refused(api.put("/efatura/v1/earchive/cancelinvoice", [ettn]), 400, sandbox)
    assert "60" in message
    sandbox.state.violations.reset()
    sandbox.state.clock.advance(2 * sandbox.state.status_step_s)
    response = api.put("/efatura/v1/earchive/cancelinvoice", [ettn])
    assert response.status_code == 200 and response.json() == [{"ettn": ettn, "status": 100}]
    assert api.get(f"/efatura/v2/earchive/{answer['id']}/status").json()["status"] == 100
    assert sandbox.ledger.count(P, "cancel", ettn) == 1
    refused(api.put("/efatura/v1/earchive/cancelinvoice", [ettn]), 400, sandbox)  # already 100
    sandbox.state.violations.reset()
    refused(api.put("/efatura/v1/earchive/cancelinvoice", {"ettn": ettn}), 400, sandbox)
    sandbox.state.violations.reset()
    ef, _ = sent(api, EFATURA_VKN)
    sandbox.state.clock.advance(2 * sandbox.state.status_step_s)
    refused(api.put("/efatura/v1/earchive/cancelinvoice", [ef]), 404, sandbox)  # an e-Fatura
    assert sandbox.ledger.count(P, "cancel") == 1


def test_gib_user_lookups(sandbox: Sandbox, api: Api) -> None:
    assert api.get("/efatura/v1/gibuser/isuser", identifier=EFATURA_VKN, appType=1).status_code == 200
    refused(api.get("/efatura/v1/gibuser/isuser", identifier=PLAIN_VKN, appType=1), 404, sandbox, violation=False)
    users = api.get("/efatura/v1/gibuser/getuser", identifier=EFATURA_VKN).json()
    assert [u["alias"] for u in users] == [EFATURA_ALIAS]
    refused(api.get("/efatura/v1/gibuser/getuser", identifier=PLAIN_VKN), 404, sandbox, violation=False)
    sandbox.state.gib.register(PLAIN_VKN, "urn:mail:pk@plain.com.tr")
    assert api.get("/efatura/v1/gibuser/isuser", identifier=PLAIN_VKN, appType=1).status_code == 200
    refused(api.get("/efatura/v1/gibuser/isuser", identifier="12", appType=1), 400, sandbox)
    sandbox.state.violations.reset()
    # e-İrsaliye (appType 3) is a documented question; nobody is one in the sandbox
    refused(api.get("/efatura/v1/gibuser/isuser", identifier=EFATURA_VKN, appType=3), 404, sandbox, violation=False)
    refused(api.get("/efatura/v1/gibuser/isuser", identifier=EFATURA_VKN, appType=2), 400, sandbox)
    sandbox.state.violations.reset()
    refused(api.get("/efatura/v1/gibuser/isuser", identifier=EFATURA_VKN), 400, sandbox)  # appType required


# --- faults -----------------------------------------------------------------------------------------


def test_before_500_fails_before_the_effect(sandbox: Sandbox, api: Api) -> None:
    sandbox.state.faults.add(FaultRule(P, "cari_create", FaultMode.BEFORE_500, times=1))
    response = api.post("/v1/currentaccounts", cari())
    assert response.status_code == 500 and "Error" in response.json()
    assert sandbox.ledger.count(P, "cari_created") == 0
    assert api.post("/v1/currentaccounts", cari()).status_code == 200  # the rule retired


def test_after_504_answers_after_the_effect(sandbox: Sandbox, api: Api) -> None:
    make_cari(api)
    sandbox.state.faults.add(FaultRule(P, "invoice_save", FaultMode.AFTER_504))
    ettn = str(uuid.uuid4())
    response = api.post("/v1/invoices", invoice(ettn))
    assert response.status_code == 504 and "Error" in response.json()
    assert sandbox.ledger.count(P, "invoice_created", ettn) == 1


def test_after_stall_does_the_effect_then_outlasts_the_client(sandbox_server: SandboxServer, sandbox: Sandbox, api: Api) -> None:
    ettn = saved(api)
    sandbox.state.faults.add(FaultRule(P, "earchive_create", FaultMode.AFTER_STALL, stall_s=1.5))
    slow = Api(sandbox_server.url, api.token, timeout=0.5)
    with pytest.raises(httpx.ReadTimeout):
        slow.post("/efatura/v2/earchive/create", send_body(ettn))
    assert sandbox.ledger.count(P, "gib_send", ettn) == 1


def test_rate_429_carries_retry_after_and_no_effect(sandbox: Sandbox, api: Api) -> None:
    sandbox.state.faults.add(FaultRule(P, "cari_create", FaultMode.RATE_429, retry_after_s=3))
    response = api.post("/v1/currentaccounts", cari())
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    assert response.json()["Error"]
    assert sandbox.ledger.count(P, "cari_created") == 0


def test_latency_delays_but_succeeds(sandbox: Sandbox, api: Api) -> None:
    sandbox.state.faults.add(FaultRule(P, "account_list", FaultMode.LATENCY, latency_ms=200))
    t0 = time.perf_counter()
    assert api.get("/v1/accounts").status_code == 200
    assert time.perf_counter() - t0 >= 0.2


def test_faults_are_per_endpoint(sandbox: Sandbox, api: Api) -> None:
    sandbox.state.faults.add(FaultRule(P, "gibuser_getuser", FaultMode.BEFORE_500))
    assert api.get("/efatura/v1/gibuser/isuser", identifier=EFATURA_VKN, appType=1).status_code == 200
    assert api.get("/efatura/v1/gibuser/getuser", identifier=EFATURA_VKN).status_code == 500


def test_token_endpoint_is_guarded(sandbox_server: SandboxServer, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    sandbox.state.faults.add(FaultRule(P, "token", FaultMode.BEFORE_500))
    assert fetch_token(sandbox_server.url).status_code == 500


def test_reset_restores_the_seed(sandbox: Sandbox, api: Api) -> None:
    make_cari(api)
    sandbox.reset()
    sim: TurkcellSimulator = sandbox[P]
    assert sim.caris.caris == {} and sim.invoices.invoices == {}
    assert [a["code"] for a in sim.caris.accounts.values()] == ["120", "120.01", "120.02", "391", "600"]
    assert copy.deepcopy(sim.caris.matches) == {}


@pytest.mark.skipif(not hasattr(FaultMode, "REFUSE_422"), reason="fault mode not in this sandbox core")
def test_refuse_422_fault_answers_in_the_error_shape(sandbox: Sandbox, api: Api) -> None:
    sandbox.state.faults.add(FaultRule(P, "cari_create", FaultMode("refuse_422")))
    response = api.post("/v1/currentaccounts", cari())
    assert response.status_code == 422 and response.json()["Error"]
    assert sandbox.ledger.count(P, "cari_created") == 0


def test_the_efatura_service_also_takes_the_portal_api_key(sandbox_server: SandboxServer, sandbox: Sandbox, sim: TurkcellSimulator) -> None:
    with httpx.Client(base_url=f"{sandbox_server.url}/turkcell", timeout=5) as client:
        ok = client.get("/efatura/v1/gibuser/isuser", params={"identifier": EFATURA_VKN, "appType": 1},
                        headers={"x-api-key": "demo-api-key"})
        assert ok.status_code == 200
        wrong = client.get("/efatura/v1/gibuser/isuser", params={"identifier": EFATURA_VKN, "appType": 1},
                           headers={"x-api-key": "not-the-key"})
        assert wrong.status_code == 401
        # Muhasebe takes the bearer token only
        muhasebe = client.get("/v1/currentaccounts", headers={"x-api-key": "demo-api-key"})
        assert muhasebe.status_code == 401


# --- returns (İade, type 2) -------------------------------------------------------------------


def iade(number: str, ettn: str | None = None, identifier: str = PERSON_TCKN, *, day: str = "2026-01-15T00:00:00Z",
         lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body = invoice(ettn, identifier, invoiceLines=lines or [line(amount=1, lineExtensionAmount=50.00, vatAmount=10.00)])
    body["generalInfoModel"].update(type=2, returnInvoiceNumber=number, returnInvoiceDate=day,
                                    issueDate="2026-01-20T00:00:00Z")
    return body


def iade_send_body(ettn: str, number: str, **over: Any) -> dict[str, Any]:
    body = send_body(ettn, invoiceLines=[{
        "inventoryCard": "Tişört", "amount": 1, "unitCode": "C62", "unitPrice": 50.00, "lineAmount": 50.00,
        "vatRate": 20, "vatAmount": 10.00, "discountAmount": 0}])
    body["generalInfoModel"].update({"type": 2, "returnInvoiceNumber": number, "returnInvoiceDate": "2026-01-15T00:00:00Z",
                                     "issueDate": "2026-01-20T00:00:00Z", **over})
    return body


def test_a_return_names_a_sent_sale_of_the_same_buyer_on_its_day(sandbox: Sandbox, api: Api) -> None:
    sale, answer = sent(api)
    number = answer["invoiceNumber"]
    cases = [
        (iade("DMS2026000000999"), "göstermiyor"),  # no such invoice
        (iade(number, day="2026-01-16T00:00:00Z"), "returnInvoiceDate"),  # not the sale's day
        (iade(number, lines=[line(amount=2, unitPrice=60.00, lineExtensionAmount=120.00, vatAmount=24.00)]), "aşamaz"),
    ]
    for body, fragment in cases:
        sandbox.state.violations.reset()
        assert fragment in refused(api.post("/v1/invoices", body), 400, sandbox)
    make_cari(api, OTHER_TCKN)
    sandbox.state.violations.reset()
    assert "alıcısı" in refused(api.post("/v1/invoices", iade(number, identifier=OTHER_TCKN)), 400, sandbox)
    sandbox.state.violations.reset()
    ok = str(uuid.uuid4())
    response = api.post("/v1/invoices", iade(number, ok))
    assert response.status_code == 200, response.text
    general = api.get(f"/v1/invoices/{ok}", isSend="true").json()["generalInfoModel"]
    assert (general["type"], general["returnInvoiceNumber"], general["returnInvoiceDate"]) == (
        2, number, "2026-01-15T00:00:00Z")
    # a second return of the rest (70.00 of 120.00 left): 60.00 fits, another 60.00 does not
    assert api.post("/v1/invoices", iade(number, lines=[line(amount=1, lineExtensionAmount=50.00, vatAmount=10.00)])).status_code == 200
    assert "önceki iadeler" in refused(api.post("/v1/invoices", iade(number)), 400, sandbox)
    assert sandbox.ledger.count(P, "return_invoice_created") == 2
    assert [e.detail["returns"] for e in sandbox.ledger.effects(P, "return_invoice_created")] == [number, number]
    assert sandbox.ledger.count(P, "invoice_created", sale) == 1


def test_a_draft_or_cancelled_sale_cannot_be_returned(sandbox: Sandbox, api: Api) -> None:
    ettn, answer = sent(api)
    sandbox.state.clock.advance(2 * sandbox.state.status_step_s)
    assert api.put("/efatura/v1/earchive/cancelinvoice", [ettn]).status_code == 200
    assert "göstermiyor" in refused(api.post("/v1/invoices", iade(answer["invoiceNumber"])), 400, sandbox)
    sandbox.state.violations.reset()
    # a return is not returned in turn
    _, other = sent(api, OTHER_TCKN)
    first = str(uuid.uuid4())
    assert api.post("/v1/invoices", iade(other["invoiceNumber"], first, OTHER_TCKN)).status_code == 200
    assert api.post("/efatura/v2/earchive/create",
                    iade_send_body(first, other["invoiceNumber"]) | {"addressBook": send_body(first, identifier=OTHER_TCKN)["addressBook"]}).status_code == 200
    returned_number = sandbox["turkcell"].invoices.invoices[first].invoice_number
    message = refused(api.post("/v1/invoices", iade(returned_number, identifier=OTHER_TCKN)), 400, sandbox)
    assert "iade faturası iade edilemez" in message


def test_the_gib_document_of_a_return_says_what_its_record_says(sandbox: Sandbox, api: Api) -> None:
    _, answer = sent(api)
    number = answer["invoiceNumber"]
    ret = str(uuid.uuid4())
    assert api.post("/v1/invoices", iade(number, ret)).status_code == 200
    sale_body = iade_send_body(ret, number)
    sale_body["generalInfoModel"] = {k: v for k, v in sale_body["generalInfoModel"].items()
                                     if k not in ("returnInvoiceNumber", "returnInvoiceDate")} | {"type": 1}
    for body, fragment in (
        (sale_body, "tip"),  # an İade record sent as a sale
        (iade_send_body(ret, "DMS2026000000999"), "iade bilgisi"),  # another reference than the record's
        (iade_send_body(ret, number, returnInvoiceDate="2026-01-16T00:00:00Z"), "iade bilgisi"),
    ):
        sandbox.state.violations.reset()
        assert fragment in refused(api.post("/efatura/v2/earchive/create", body), 400, sandbox)
    # a sale record is not sent as an İade either
    sale2 = saved(api, "10000000214")
    sandbox.state.violations.reset()
    refused(api.post("/efatura/v2/earchive/create", iade_send_body(sale2, number) | {
        "addressBook": send_body(sale2, identifier="10000000214")["addressBook"]}), 400, sandbox)
    sandbox.state.violations.reset()
    response = api.post("/efatura/v2/earchive/create", iade_send_body(ret, number))
    assert response.status_code == 200, response.text
    gib = [e for e in sandbox.ledger.effects(P, "gib_send") if e.key == ret]
    assert len(gib) == 1 and gib[0].detail["invoice_type"] == "IADE"
    assert_no_violations(sandbox)


# --- incoming invoices (Gelen faturalar) and the dev hook ---------------------------------------


def buyers_iade(number: str = "DMS2026000000001", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sender": {"identifier": EFATURA_VKN, "name": "Örnek Teknoloji A.Ş.", "alias": EFATURA_ALIAS},
        "invoiceNumber": "ORN2026000000042", "issueDate": "2026-01-25T00:00:00Z", "type": 2,
        "returnInvoiceNumber": number, "returnInvoiceDate": "2026-01-15T00:00:00Z",
        "invoiceLines": [line(amount=1, lineExtensionAmount=50.00, vatAmount=10.00)],
    }
    body.update(over)
    return body


def test_an_incoming_iade_is_listed_and_read_with_is_send_false(sandbox_server: SandboxServer, sandbox: Sandbox, api: Api) -> None:
    placed = httpx.post(f"{sandbox_server.url}/turkcell/__sandbox/incoming", json=buyers_iade())
    assert placed.status_code == 200, placed.text
    ettn = placed.json()["generalInfoModel"]["ettn"]
    sandbox["turkcell"].place_incoming(buyers_iade(invoiceNumber="ORN2026000000043", type=1,
                                                   returnInvoiceNumber=None, returnInvoiceDate=None))
    found = api.get("/v1/invoices/incoming", pageIndex=0, pageSize=500, filterQuery=(
        '[{"category":"TargetVknTckn","operator":"eşittir","value":"1234567890"},'
        '{"category":"Type","operator":"eşittir","value":"2"}]')).json()
    assert found["totalCount"] == 1 and found["hasNextPage"] is False
    [item] = found["items"]
    assert (item["ettn"], item["type"], item["targetVknTckn"], item["payableAmount"]) == (ettn, 2, EFATURA_VKN, 60.0)
    detail = api.get(f"/v1/invoices/{ettn}", isSend="false").json()
    assert detail["isSend"] is False and detail["currentAccountIdentifier"] == EFATURA_VKN
    assert (detail["generalInfoModel"]["returnInvoiceNumber"], detail["generalInfoModel"]["type"]) == ("DMS2026000000001", 2)
    assert detail["invoiceTotalsModel"]["payableAmount"] == "60.00"
    refused(api.get(f"/v1/invoices/{ettn}", isSend="true"), 404, sandbox, violation=False)  # not outgoing
    # paging: both, one per page
    first = api.get("/v1/invoices/incoming", pageIndex=0, pageSize=1).json()
    assert first["totalCount"] == 2 and first["hasNextPage"] is True and len(first["items"]) == 1
    assert sandbox.ledger.summary().get(P, {}) == {}  # the other party's effect, not ours
    assert_no_violations(sandbox)


def test_the_incoming_list_keeps_the_seeds_contract(sandbox_server: SandboxServer, sandbox: Sandbox, api: Api) -> None:
    for params in ({"pageSize": 10}, {"pageIndex": 0}, {"pageIndex": 0, "pageSize": 501},
                   {"pageIndex": 0, "pageSize": 10, "filterQuery": '[{"category":"Type","operator":"büyüktür","value":"1"}]'},
                   {"pageIndex": 0, "pageSize": 10, "filterQuery": '[{"category":"Nope","operator":"eşittir","value":"1"}]'}):
        sandbox.state.violations.reset()
        refused(api.get("/v1/invoices/incoming", **params), 400, sandbox)
    for body in (buyers_iade(returnInvoiceNumber=None), buyers_iade(type=3), buyers_iade(invoiceLines=[]),
                 buyers_iade(sender={"identifier": "12", "name": "x"})):
        response = httpx.post(f"{sandbox_server.url}/turkcell/__sandbox/incoming", json=body)
        assert response.status_code == 400 and set(response.json()) == {"Error"}, body
