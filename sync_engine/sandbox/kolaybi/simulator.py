"""The HTTP face of the KolayBi simulator: token, headers, content types, error shape, faults.

Every request runs inside ``state.guarded(NAME, endpoint, …)`` (names in the package
docstring), so faults hit it before or after the effect; authentication and validation run
inside the effect, as they would behind KolayBi's gateway. Bodies are read on the event loop,
the effect runs in the thread pool, so an injected stall or latency never blocks other calls.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.http_util import content_type, form_pairs, parse_bracket_form
from sync_engine.sandbox.contract import Contract
from sync_engine.sandbox.kolaybi import contacts, documents
from sync_engine.sandbox.kolaybi import contract as contracts
from sync_engine.sandbox.kolaybi.books import NAME, TOKEN_LIFETIME, Books
from sync_engine.sandbox.kolaybi.fields import Refusal
from sync_engine.sandbox.kolaybi.records import APPROVED, E_INVOICE, REJECTED, SENT, Account, Token

V1 = "/kolaybi/v1"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON_REFUSED = (
    "KolayBi expects a form-encoded body (application/x-www-form-urlencoded or "
    "multipart/form-data) with bracket keys such as items[0][product_id]; JSON bodies are "
    "not accepted on this endpoint"
)
Answer = tuple[int, dict[str, Any]]
Form = dict[str, Any] | Refusal


def error_response(status: int, message: str) -> Response:
    return JSONResponse({"success": False, "message": message}, status_code=status)


async def _read_form(request: Request) -> Form:
    if not await request.body():
        return {}
    if content_type(request) not in FORM_TYPES:
        return Refusal(415, JSON_REFUSED)
    return parse_bracket_form(await form_pairs(request))


async def _read_token_body(request: Request) -> Form:
    """The token endpoint alone takes JSON (as KolayBi's own clients send it) or a form."""
    raw = await request.body()
    if not raw:
        return {}
    if content_type(request) == "application/json":
        try:
            body = json.loads(raw)
        except ValueError:
            return Refusal(400, "malformed JSON body")
        return body if isinstance(body, dict) else Refusal(400, "the JSON body must be an object")
    if content_type(request) in FORM_TYPES:
        return parse_bracket_form(await form_pairs(request))
    return Refusal(415, "send api_key as JSON or as a form field")


class KolayBiSimulator:
    name = NAME
    prefix = "/kolaybi"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.books = Books(state)

    def reset(self) -> None:
        self.books.reset()

    # --- test and demo controls ----------------------------------------------------------

    def add_account(self, api_key: str, channel: str, *, serial_prefix: str = "KOL") -> Account:
        return self.books.add_account(api_key, channel, serial_prefix=serial_prefix)

    def configure_series(self, channel: str, prefix: str) -> None:
        """Set the GİB series of every company on ``channel`` (the store-level ön ek)."""
        with self.books.lock:
            for account in self.books.accounts.values():
                if account.channel == channel:
                    account.serial_prefix = prefix

    def received(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        """The parsed requests that reached ``endpoint`` (a contract key such as
        ``"POST /kolaybi/v1/invoices"``), oldest first."""
        with self.books.lock:
            return [copy.deepcopy(v) for ep, v in self.books.received if endpoint in (None, ep)]

    @property
    def tokens_issued(self) -> int:
        return self.books.tokens_issued

    def reject(self, document_id: int, message: str = "Alıcı faturayı reddetti (RED)") -> None:
        """The buyer rejects a TICARIFATURA e-Fatura (GİB allows it within 8 days)."""
        with self.books.lock:
            inv = self.books.invoices[document_id]
            self.books.progress(inv)
            if inv.e_document_type != E_INVOICE or inv.status not in (SENT, APPROVED):
                raise ValueError(f"invoice {document_id} is not a sent e-Fatura ({inv.status})")
            inv.status = REJECTED
            inv.gib_message = message
            self.state.ledger.record(NAME, "gib_rejected", str(inv.id), uuid=inv.uuid)

    # --- plumbing ------------------------------------------------------------------------

    async def _guard(self, endpoint: str, run: Callable[[], Answer]) -> Response:
        def effect() -> Response:
            try:
                with self.books.lock:
                    status, body = run()
            except Refusal as refusal:
                if refusal.violation:
                    self.state.violations.add(NAME, endpoint, refusal.status, refusal.message)
                return error_response(refusal.status, refusal.message)
            return JSONResponse(body, status_code=status)

        return await self.state.guarded_async(NAME, endpoint, effect, error_response)

    def _authenticate(self, headers: Mapping[str, str]) -> Account:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        token = self.books.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise Refusal(401, "Unauthenticated.")
        if self.state.clock.now() >= token.expires_at:
            # The normal end of a token's life, not a contract violation: get a new one.
            raise Refusal(401, "Access token expired; request a new one", violation=False)
        channel = headers.get("channel")
        if not channel:
            raise Refusal(400, "Channel header is required")
        if channel != token.channel:
            raise Refusal(403, "Channel header does not match the access token's channel")
        return token.account

    async def _serve(
        self, endpoint: str, request: Request, form: Form | None,
        op: Callable[[Books, Account, dict[str, Any]], Answer], contract: Contract,
    ) -> Response:
        """Authenticate, then check the body (or, for a GET, the query) against the
        endpoint's declarative contract, then run the handler on the books."""
        headers = request.headers
        params: dict[str, Any] = dict(request.query_params)

        def run() -> Answer:
            account = self._authenticate(headers)
            if isinstance(form, Refusal):
                raise form
            values = params if form is None else form
            self.books.received.append((contract.endpoint, copy.deepcopy(values)))
            _check(contract, values)
            return op(self.books, account, values)

        return await self._guard(endpoint, run)

    def _issue_token(self, headers: Mapping[str, str], body: Form) -> Answer:
        channel = headers.get("channel")
        if not channel:
            raise Refusal(400, "Channel header is required")
        if isinstance(body, Refusal):
            raise body
        self.books.received.append((contracts.ACCESS_TOKEN.endpoint, copy.deepcopy(body)))
        _check(contracts.ACCESS_TOKEN, body)
        api_key = body.get("api_key")
        account = self.books.accounts.get(api_key)
        if account is None:
            raise Refusal(401, "Invalid api_key")
        if account.channel != channel:
            raise Refusal(401, f"api_key is not authorised for channel {channel!r}")
        value = "kb_" + secrets.token_hex(20)
        # Assumed: the answer carries no expiry; the token lives 24 h (DESIGN §6).
        expires_at = self.state.clock.now() + TOKEN_LIFETIME
        self.books.tokens[value] = Token(value, account, channel, expires_at)
        self.books.tokens_issued += 1
        return 200, {"success": True, "data": value}

    # --- routes --------------------------------------------------------------------------

    def router(self) -> APIRouter:
        r = APIRouter()

        @r.post(V1 + "/access_token")
        async def access_token(request: Request) -> Response:
            body = await _read_token_body(request)
            headers = request.headers
            return await self._guard("access_token", lambda: self._issue_token(headers, body))

        @r.get(V1 + "/associates")
        async def associates_search(request: Request) -> Response:
            return await self._serve(
                "associates_search", request, None, contacts.search_associates,
                contracts.ASSOCIATES_SEARCH,
            )

        @r.post(V1 + "/associates")
        async def associates_create(request: Request) -> Response:
            form = await _read_form(request)
            return await self._serve(
                "associates_create", request, form, contacts.create_associate,
                contracts.ASSOCIATES_CREATE,
            )

        @r.post(V1 + "/address/create")
        async def addresses_create(request: Request) -> Response:
            form = await _read_form(request)
            return await self._serve(
                "addresses_create", request, form, contacts.create_address, contracts.ADDRESS_CREATE
            )

        @r.get(V1 + "/products")
        async def products_search(request: Request) -> Response:
            return await self._serve(
                "products_search", request, None, contacts.search_products,
                contracts.PRODUCTS_SEARCH,
            )

        @r.post(V1 + "/products")
        async def products_create(request: Request) -> Response:
            form = await _read_form(request)
            return await self._serve(
                "products_create", request, form, contacts.create_product,
                contracts.PRODUCTS_CREATE,
            )

        @r.post(V1 + "/invoices/e-document/create")
        async def e_document_create(request: Request) -> Response:
            form = await _read_form(request)
            return await self._serve(
                "e_document_create", request, form, documents.create_e_document,
                contracts.E_DOCUMENT_CREATE,
            )

        @r.post(V1 + "/invoices/e-document/cancel")
        async def e_document_cancel(request: Request) -> Response:
            form = await _read_form(request)
            return await self._serve(
                "e_document_cancel", request, form, documents.cancel_e_document,
                contracts.E_DOCUMENT_CANCEL,
            )

        @r.get(V1 + "/invoices")
        async def invoices_list(request: Request) -> Response:
            return await self._serve(
                "invoices_list", request, None, documents.list_invoices, contracts.INVOICES_LIST
            )

        @r.post(V1 + "/invoices")
        async def invoices_create(request: Request) -> Response:
            form = await _read_form(request)
            return await self._serve(
                "invoices_create", request, form, documents.create_invoice,
                contracts.INVOICES_CREATE,
            )

        @r.get(V1 + "/invoices/{document_id}")
        async def invoices_get(request: Request, document_id: str) -> Response:
            return await self._serve(
                "invoices_get", request, None,
                lambda books, account, _: documents.get_invoice(books, account, _id(document_id)),
                contracts.INVOICE_GET,
            )

        @r.delete(V1 + "/invoices/{document_id}")
        async def invoices_delete(request: Request, document_id: str) -> Response:
            return await self._serve(
                "invoices_delete", request, None,
                lambda books, account, _: documents.delete_invoice(
                    books, account, _id(document_id)
                ),
                contracts.INVOICE_GET,
            )

        @r.post(V1 + "/proformas")
        async def proformas_create(request: Request) -> Response:
            form = await _read_form(request)
            return await self._serve(
                "proformas_create", request, form, documents.create_proforma,
                contracts.PROFORMAS_CREATE,
            )

        @r.get(V1 + "/e_document/invoices")
        async def e_documents_list(request: Request) -> Response:
            return await self._serve(
                "e_documents_list", request, None, documents.list_e_documents,
                contracts.E_DOCUMENT_LIST,
            )

        @r.get(V1 + "/companies")
        async def companies_list(request: Request) -> Response:
            return await self._serve(
                "companies_list", request, None, documents.list_companies, contracts.COMPANIES
            )

        return r


def _check(contract: Contract, values: Mapping[str, Any]) -> None:
    """The contract's violations, all of them in one KolayBi error (422 unless a rule says)."""
    found = contract.violations(dict(values))
    if found:
        status = next((v.status for v in found if v.status is not None), 422)
        raise Refusal(status, "; ".join(v.message for v in found))


def _id(raw: str) -> int:
    if not raw.isdigit():
        raise Refusal(404, f"Fatura bulunamadı (document_id {raw})")
    return int(raw)
