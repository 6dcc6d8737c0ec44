"""Turkcell e-Şirket simulator: the routes and the state behind them (see the package
docstring for the endpoints, their names and the ledger kinds)."""

from __future__ import annotations

import json
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.http_util import content_type, form_pairs
from sync_engine.sandbox.jsonout import dumps
from sync_engine.sandbox.contract import Contract
from sync_engine.sandbox.turkcell import contract as contracts
from sync_engine.sandbox.turkcell.cari import CariBook
from sync_engine.sandbox.turkcell.common import NAME, Refusal, error_response, json_response, parse_json
from sync_engine.sandbox.turkcell.efatura import EARCHIVE, OUTBOX, EFaturaService
from sync_engine.sandbox.turkcell.invoices import InvoiceBook

CLIENT_ID = "serviceApi"
TOKEN_TTL_S = 86400
EFATURA_ENDPOINTS = ("earchive_", "outbox_", "gibuser_")

Handler = Callable[[Any], Any]


class TurkcellSimulator:
    name = NAME
    prefix = "/turkcell"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        # Credentials are configuration, not data: reset() keeps them.
        self.username = "demo"
        self.password = "demo-password"
        self.api_key = "demo-api-key"  # the portal API key of the e-Fatura service
        self.token_ttl_s: float = TOKEN_TTL_S
        self.lock = threading.RLock()
        self.caris = CariBook(state)
        self.invoices = InvoiceBook(state, self.caris)
        self.hits: Counter[str] = Counter()  # requests per endpoint name, for tests
        self.last_query: dict[str, dict[str, str]] = {}
        self.tokens: dict[str, datetime] = {}
        self._received: list[tuple[str, Any]] = []
        self.reset()

    @property
    def efatura(self) -> EFaturaService:
        return EFaturaService(self.state, self.invoices, account=f"turkcell:{self.username}")

    def reset(self) -> None:
        with self.lock:
            self.caris.reset()
            self.invoices.reset()
            self.tokens.clear()
            self.hits.clear()
            self.last_query.clear()
            self._received.clear()

    def received(self, endpoint: str | None = None) -> list[Any]:
        """Every request body (the query for GET) as parsed, per simulator endpoint name,
        oldest first: what the contract tests check against ``contract.CONTRACTS``."""
        with self.lock:
            return [body for ep, body in self._received if endpoint is None or ep == endpoint]

    def _check_contract(self, endpoint: str, body: Any) -> None:
        """Refuse a request that breaks its endpoint's declarative contract (``contract.py``),
        every violation named in the one ``{"Error": …}`` message."""
        contract: Contract | None = contracts.CONTRACTS.get(endpoint)
        with self.lock:
            self._received.append((endpoint, body))
        if contract is None:
            return
        if endpoint in contracts.LIST_BODIES:
            if not isinstance(body, list) or not body:
                raise Refusal(400, "İstek gövdesi [{ettn, isSend}] listesi olmalıdır.")
            found = [v for i, item in enumerate(body) for v in contract.violations(item)]
        else:
            found = contract.violations(body)
        if found:
            status = next((v.status for v in found if v.status is not None), 400)
            raise Refusal(status, "; ".join(v.message for v in found))

    # --- test helpers -----------------------------------------------------------------

    def place_incoming(self, body: dict[str, Any]) -> dict[str, Any]:
        """Another party's e-Fatura arrives in our incoming list (``InvoiceBook.place_incoming``),
        read as the HTTP hook reads it (amounts as Decimal)."""
        with self.lock:
            return self.invoices.place_incoming(json.loads(dumps(body), parse_float=Decimal))

    def force_status(self, ettn: str, status: int, message: str | None = None) -> None:
        """Make GİB answer ``status`` (e.g. 40 error, 80 rejected), with its ``message``, for a
        sent invoice."""
        with self.lock:
            inv = self.invoices.invoices[ettn]
            inv.forced_status, inv.forced_message = status, message

    # --- auth ------------------------------------------------------------------------

    def _issue_token(self, pairs: list[tuple[str, str]], ctype: str) -> Response:
        if ctype != "application/x-www-form-urlencoded":
            raise Refusal(415, "Token isteği application/x-www-form-urlencoded olmalıdır.")
        form = dict(pairs)
        if form.get("client_id") != CLIENT_ID:
            return self._token_error("invalid_client", "client_id serviceApi olmalıdır.")
        if form.get("username") != self.username or form.get("password") != self.password:
            return self._token_error("invalid_grant", "Kullanıcı adı veya şifre hatalı.")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = self.state.clock.now() + timedelta(seconds=self.token_ttl_s)
        # Documented quirk: expires_in is a string, refresh_token is empty.
        return json_response(
            {"access_token": token, "token_type": "Bearer", "expires_in": str(int(self.token_ttl_s)), "refresh_token": ""}
        )

    def _token_error(self, code: str, message: str) -> Response:
        self.state.violations.add(NAME, "token", 422, message)
        return json_response({"error": code, "error_description": message}, 422)

    def _portal_api_key(self, request: Request, endpoint: str) -> bool:
        """FACTS §4.1: the newer e-Fatura service also takes the portal API key, sent as
        ``x-api-key`` (I); Muhasebe takes the bearer token only."""
        key = request.headers.get("x-api-key")
        return bool(key) and endpoint.startswith(EFATURA_ENDPOINTS) and secrets.compare_digest(key, self.api_key)

    def _check_bearer(self, request: Request, endpoint: str) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            self.state.violations.add(NAME, endpoint, 401, "missing bearer token")
            return error_response(401, "Authorization: Bearer <token> başlığı gerekli.")
        with self.lock:
            expires = self.tokens.get(token)
        # An unknown or expired token is a normal event (another worker's old token, a
        # restarted sandbox): 401 without a violation, the client refreshes once.
        if expires is None or self.state.clock.now() >= expires:
            return error_response(401, "Token geçersiz veya süresi dolmuş.")
        return None

    # --- the one request path ------------------------------------------------------------

    async def _handle(
        self, request: Request, endpoint: str, handler: Handler, *, body: str | None = None, auth: bool = True
    ) -> Response:
        """``body``: None (no body), "json", or "form". The handler gets the parsed body and
        returns data (→ 200 JSON) or a Response; a ``Refusal`` becomes ``{"Error": …}``."""
        self.hits[endpoint] += 1
        self.last_query[endpoint] = dict(request.query_params)
        if auth and not self._portal_api_key(request, endpoint):
            denied = self._check_bearer(request, endpoint)
            if denied is not None:
                return denied
        ctype = content_type(request)
        raw: Any = await form_pairs(request) if body == "form" else await request.body()

        query = dict(request.query_params)

        def effect() -> Response:
            try:
                with self.lock:
                    if body == "form":
                        if endpoint == "token" and ctype == "application/x-www-form-urlencoded":
                            problems = contracts.TOKEN.violations(dict(raw))
                            self._received.append((endpoint, dict(raw)))
                            if problems:
                                return self._token_error("invalid_request", "; ".join(v.message for v in problems))
                        result = handler((raw, ctype))
                    elif body == "json":
                        parsed = parse_json(raw, ctype)
                        self._check_contract(endpoint, parsed)
                        result = handler(parsed)
                    else:
                        self._check_contract(endpoint, query)
                        result = handler(None)
            except Refusal as refusal:
                if refusal.violation:
                    self.state.violations.add(NAME, endpoint, refusal.status, refusal.message)
                return error_response(refusal.status, refusal.message)
            return result if isinstance(result, Response) else json_response(result)

        return await self.state.guarded_async(NAME, endpoint, effect, error_response)

    def router(self) -> APIRouter:
        r = APIRouter()
        caris, invoices = self.caris, self.invoices

        def q(request: Request) -> dict[str, str]:
            return dict(request.query_params)

        def int_id(raw: str) -> int:
            try:
                return int(raw)
            except ValueError:
                raise Refusal(400, f"id tam sayı olmalıdır: {raw!r}") from None

        @r.post("/v1/token")
        async def token(request: Request) -> Response:
            return await self._handle(request, "token", lambda b: self._issue_token(*b), body="form", auth=False)

        # --- cari ---
        @r.get("/v1/currentaccounts")
        async def cari_list(request: Request) -> Response:
            return await self._handle(request, "cari_list", lambda _: caris.list_caris(q(request)))

        @r.get("/v1/currentaccounts/{cari_id}")
        async def cari_get(request: Request, cari_id: str) -> Response:
            return await self._handle(request, "cari_get", lambda _: caris.get(int_id(cari_id)).render())

        @r.post("/v1/currentaccounts")
        async def cari_create(request: Request) -> Response:
            return await self._handle(request, "cari_create", caris.create_cari, body="json")

        # ASSUMPTION: the cari id of an update travels in the path as well as in the body
        # (seed 004: "Update işleminin id alanı da doldurulmak zorundadır").
        @r.put("/v1/currentaccounts/{cari_id}")
        async def cari_update(request: Request, cari_id: str) -> Response:
            return await self._handle(request, "cari_update", lambda b: caris.update_cari(int_id(cari_id), b), body="json")

        @r.get("/v1/currentaccountaddresses")
        async def address_list(request: Request) -> Response:
            return await self._handle(request, "address_list", lambda _: caris.list_addresses(q(request)))

        @r.post("/v1/currentaccountaddresses")
        async def address_create(request: Request) -> Response:
            return await self._handle(request, "address_create", caris.create_address, body="json")

        # ASSUMPTION: the address update is a PUT on the address collection, its id in the
        # body (seed 004: "Güncelleme işlemi sırasında Id bilgisi zorunlu"; the path is unpublished).
        @r.put("/v1/currentaccountaddresses")
        async def address_update(request: Request) -> Response:
            return await self._handle(request, "address_update", caris.update_address, body="json")

        @r.get("/v1/currentaccountaccounts")
        async def cari_account_list(request: Request) -> Response:
            return await self._handle(request, "cari_account_list", lambda _: caris.list_matches(q(request)))

        @r.post("/v1/currentaccountaccounts")
        async def cari_account_create(request: Request) -> Response:
            return await self._handle(request, "cari_account_create", caris.create_match, body="json")

        @r.get("/v1/accounts")
        async def account_list(request: Request) -> Response:
            return await self._handle(request, "account_list", lambda _: caris.list_accounts(q(request)))

        # --- invoices (the literal "outgoing" / "incoming" routes must come before "{ettn}") ---
        @r.get("/v1/invoices/outgoing")
        async def invoice_list(request: Request) -> Response:
            return await self._handle(request, "invoice_list", lambda _: invoices.list_outgoing(q(request)))

        @r.get("/v1/invoices/incoming")
        async def invoice_incoming_list(request: Request) -> Response:
            return await self._handle(request, "invoice_incoming_list", lambda _: invoices.list_incoming(q(request)))

        @r.get("/v1/invoices/{ettn}")
        async def invoice_get(request: Request, ettn: str) -> Response:
            return await self._handle(request, "invoice_get", lambda _: invoices.get_any(ettn, q(request)))

        @r.post("/v1/invoices")
        async def invoice_save(request: Request) -> Response:
            return await self._handle(request, "invoice_save", invoices.save, body="json")

        @r.put("/v1/invoices")
        async def invoice_update(request: Request) -> Response:
            return await self._handle(request, "invoice_update", lambda b: invoices.save(b, must_exist=True), body="json")

        @r.delete("/v1/invoices")
        async def invoice_delete(request: Request) -> Response:
            return await self._handle(request, "invoice_delete", lambda _: invoices.delete(q(request)))

        @r.post("/v1/invoices/accounting")
        async def invoice_accounting(request: Request) -> Response:
            return await self._handle(request, "invoice_accounting", invoices.journal, body="json")

        @r.post("/v1/invoices/reverse")
        async def invoice_reverse(request: Request) -> Response:
            return await self._handle(request, "invoice_reverse", invoices.reverse, body="json")

        # Not Turkcell: a dev hook placing another party's e-Fatura in the incoming list (a
        # demo in another process, or a test, plays the buyer who issues an İADE).
        @r.post("/__sandbox/incoming")
        async def place_incoming(request: Request) -> Response:
            try:
                body = parse_json(await request.body(), content_type(request))
                with self.lock:
                    return json_response(invoices.place_incoming(body))
            except Refusal as refusal:
                return error_response(refusal.status, refusal.message)

        # --- e-Fatura service ---
        @r.post("/efatura/v2/earchive/create")
        async def earchive_create(request: Request) -> Response:
            return await self._handle(request, "earchive_create", lambda b: self.efatura.create(EARCHIVE, b), body="json")

        @r.post("/efatura/v1/outboxinvoice/create")
        async def outbox_create(request: Request) -> Response:
            return await self._handle(request, "outbox_create", lambda b: self.efatura.create(OUTBOX, b), body="json")

        @r.get("/efatura/v2/earchive/getinvoice")
        async def earchive_getinvoice(request: Request) -> Response:
            return await self._handle(request, "earchive_getinvoice", lambda _: self.efatura.get_invoice(EARCHIVE, q(request)))

        @r.get("/efatura/v1/outboxinvoice/getinvoice")
        async def outbox_getinvoice(request: Request) -> Response:
            return await self._handle(request, "outbox_getinvoice", lambda _: self.efatura.get_invoice(OUTBOX, q(request)))

        @r.get("/efatura/v2/earchive/{service_id}/status")
        async def earchive_status(request: Request, service_id: str) -> Response:
            return await self._handle(request, "earchive_status", lambda _: self.efatura.status(EARCHIVE, service_id))

        @r.get("/efatura/v2/outboxinvoice/{service_id}/status")
        async def outbox_status(request: Request, service_id: str) -> Response:
            return await self._handle(request, "outbox_status", lambda _: self.efatura.status(OUTBOX, service_id))

        @r.put("/efatura/v1/earchive/cancelinvoice")
        async def earchive_cancel(request: Request) -> Response:
            return await self._handle(request, "earchive_cancel", self.efatura.cancel_earchive, body="json")

        @r.get("/efatura/v1/gibuser/isuser")
        async def gibuser_isuser(request: Request) -> Response:
            return await self._handle(request, "gibuser_isuser", lambda _: self.efatura.is_user(q(request)))

        @r.get("/efatura/v1/gibuser/getuser")
        async def gibuser_getuser(request: Request) -> Response:
            return await self._handle(request, "gibuser_getuser", lambda _: self.efatura.get_user(q(request)))

        return r


SIMULATOR = TurkcellSimulator
