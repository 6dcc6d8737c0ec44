"""The FaturaEntegratör simulator: customers, invoices and formalization (GİB send).

See the package docstring for endpoints, fault names and assumptions.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response

from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.faturaentegrator.query import paginate, parse_list_query
from sync_engine.sandbox.faturaentegrator.resources import Invoice, render_invoice
from sync_engine.sandbox.faturaentegrator.rules import ErrorBag, clean_input, laravel_error
from sync_engine.sandbox.faturaentegrator.schemas import validate_customer, validate_invoice
from sync_engine.sandbox.faturaentegrator.totals import invoice_totals
from sync_engine.sandbox.http_util import content_type

NAME = "faturaentegrator"
DEFAULT_API_KEY = "fe-sandbox-api-key"
DEFAULT_PREFIX = "FEN"
ISTANBUL = ZoneInfo("Europe/Istanbul")

# The account's static data. Sale channels have a kind: an e-Arşiv for a sale on an
# "internet" channel must carry the internet-sale details (GİB's e-Arşiv rule).
SEED_SALE_CHANNELS: dict[int, dict[str, str]] = {
    1: {"name": "Web Sitesi", "kind": "internet"},
    2: {"name": "Mağaza", "kind": "store"},
}
# invoice_integration_id -> GİB series prefix (None: the provider's default, FEN).
SEED_INTEGRATIONS: dict[int, str | None] = {1: None, 2: "FEA"}

CUSTOMER_FILTERS = {
    "id": "int", "type": "text", "tax_number": "text", "email": "text", "name": "text",
    "surname": "text", "title": "text", "city": "text",
}
INVOICE_FILTERS = {
    "id": "int", "order_id": "text", "issue_date": "date", "formal_status": "text", "type": "text",
    "invoice_number": "text", "uuid": "text", "customer_id": "int", "sale_channel_id": "int",
}


class FaturaEntegratorSimulator:
    name = NAME
    prefix = "/faturaentegrator"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.api_keys: set[str] = {DEFAULT_API_KEY}
            self.sale_channels = {k: dict(v) for k, v in SEED_SALE_CHANNELS.items()}
            self.integrations = dict(SEED_INTEGRATIONS)
            self.customers: dict[int, dict[str, Any]] = {}
            self.invoices: dict[int, Invoice] = {}
            self._ids = {"customer": 0, "invoice": 0}
            self._formal_failures: list[str] = []

    # -- switches for tests and the demo ---------------------------------------------------

    def fail_formalizations(self, message: str = "GİB: şema doğrulama hatası", times: int = 1) -> None:
        """The next ``times`` formalizations end in ``failed`` (GİB refused the document)."""
        with self._lock:
            self._formal_failures.extend([message] * times)

    def delete_in_panel(self, invoice_id: int) -> None:
        """A person deletes the invoice in the provider's web panel (the API has no delete):
        the state table still says invoiced, and only reconciliation can notice."""
        with self._lock:
            del self.invoices[invoice_id]
        self.state.ledger.record(NAME, "invoice_deleted_in_panel", str(invoice_id))

    def edit_total_in_panel(self, invoice_id: int, grand_total: Decimal) -> None:
        """A person changes the invoice's total in the web panel (reconciliation tests)."""
        with self._lock:
            invoice = self.invoices[invoice_id]
            invoice.totals = {**invoice.totals, "grand_total": grand_total}
        self.state.ledger.record(NAME, "invoice_edited_in_panel", str(invoice_id), grand_total=str(grand_total))

    # -- HTTP --------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        r = APIRouter()
        r.add_api_route("/api/customers", self._customers_create, methods=["POST"])
        r.add_api_route("/api/customers", self._customers_list, methods=["GET"])
        r.add_api_route("/api/customers/{item_id}", self._customers_get, methods=["GET"])
        r.add_api_route("/api/invoices", self._invoices_create, methods=["POST"])
        r.add_api_route("/api/invoices", self._invoices_list, methods=["GET"])
        r.add_api_route("/api/invoices/{item_id}", self._invoices_get, methods=["GET"])
        r.add_api_route("/api/invoices/{item_id}/formalize", self._invoices_formalize, methods=["POST"])
        r.add_api_route("/__sim/formal-failures", self._control_failures, methods=["POST"])
        return r

    async def _control_failures(self, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
        self.fail_formalizations(str(body.get("message") or "GİB: şema doğrulama hatası"), int(body.get("times", 1)))
        return {"pending_failures": len(self._formal_failures)}

    def _refuse(self, endpoint: str, response: Response, message: str) -> Response:
        self.state.violations.add(NAME, endpoint, response.status_code, message)
        return response

    def _error(self, endpoint: str, status: int, message: str) -> Response:
        return self._refuse(endpoint, laravel_error(status, message), message)

    def _invalid(self, endpoint: str, bag: ErrorBag) -> Response:
        return self._refuse(endpoint, bag.response(), bag.message)

    def _gate(self, request: Request, endpoint: str, body: bytes | None = None) -> Response | None:
        # Laravel renders JSON errors (and so the documented 401 body) only when the client
        # says it wants JSON; otherwise it redirects to a login page. Assumption: refuse such
        # requests with 406 instead, so a client without the documented header fails loudly.
        accept = request.headers.get("accept", "").split(",")[0].split(";")[0].strip().lower()
        if not (accept.endswith("/json") or accept.endswith("+json")):
            return self._error(endpoint, 406, "Not Acceptable: send Accept: application/json.")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.api_keys:
            return self._error(endpoint, 401, "Unauthenticated.")
        # Documented bodies are JSON. Assumption: any other content type is refused with 415
        # (not silently read as a form, which a Laravel app would do).
        if body is not None and body.strip() and content_type(request) != "application/json":
            return self._error(endpoint, 415, "Unsupported Media Type: send Content-Type: application/json.")
        return None

    async def _run(
        self, request: Request, endpoint: str, effect: Callable[[], Response], body: bytes | None = None
    ) -> Response:
        refused = self._gate(request, endpoint, body)
        if refused is not None:
            return refused
        return await self.state.guarded_async(NAME, endpoint, effect, laravel_error)

    @staticmethod
    def _json(body: bytes) -> dict[str, Any]:
        # Laravel reads a malformed JSON body as no input at all, so the request then fails
        # validation with "required" errors rather than with a parse error.
        try:
            data = json.loads(body, parse_float=Decimal) if body.strip() else {}
        except ValueError:
            return {}
        return clean_input(data) if isinstance(data, dict) else {}

    @staticmethod
    def _item_id(request: Request) -> int | None:
        raw = request.path_params["item_id"]
        return int(raw) if raw.isdigit() else None

    def _today(self) -> date:
        return self.state.clock.now().astimezone(ISTANBUL).date()

    # -- customers ---------------------------------------------------------------------------

    async def _customers_create(self, request: Request) -> Response:
        body = await request.body()
        return await self._run(request, "customers_create", lambda: self._create_customer(body), body)

    def _create_customer(self, body: bytes) -> Response:
        record, bag = validate_customer(self._json(body))
        if record is None:
            return self._invalid("customers_create", bag)
        with self._lock:
            self._ids["customer"] += 1
            now = self.state.clock.now().isoformat()
            customer = {"id": self._ids["customer"], **record, "created_at": now, "updated_at": now}
            self.customers[customer["id"]] = customer
        label = record["title"] or f"{record['name'] or ''} {record['surname'] or ''}".strip()
        self.state.ledger.record(
            NAME, "cari_created", record["tax_number"], id=customer["id"], type=record["type"],
            name=label, email=record["email"],
        )
        return JSONResponse({"data": customer}, status_code=201)

    async def _customers_list(self, request: Request) -> Response:
        pairs = list(request.query_params.multi_items())
        url = str(request.url).split("?")[0]
        return await self._run(request, "customers_list", lambda: self._list_customers(pairs, url))

    def _list_customers(self, pairs: list[tuple[str, str]], url: str) -> Response:
        query, bag = parse_list_query(pairs, CUSTOMER_FILTERS, ("id",))
        if bag:
            return self._invalid("customers_list", bag)
        with self._lock:
            rows = [dict(c) for c in self.customers.values()]
        return JSONResponse(paginate(rows, query, lambda r: r, url))

    async def _customers_get(self, request: Request) -> Response:
        item_id = self._item_id(request)
        return await self._run(request, "customers_get", lambda: self._get_customer(item_id))

    def _get_customer(self, item_id: int | None) -> Response:
        with self._lock:
            customer = self.customers.get(item_id) if item_id is not None else None
        if customer is None:
            return self._error("customers_get", 404, f"No query results for model [App\\Models\\Customer] {item_id}")
        return JSONResponse({"data": dict(customer)})

    # -- invoices ----------------------------------------------------------------------------

    async def _invoices_create(self, request: Request) -> Response:
        body = await request.body()
        return await self._run(request, "invoices_create", lambda: self._create_invoice(body), body)

    def _create_invoice(self, body: bytes) -> Response:
        with self._lock:
            record, bag = validate_invoice(
                self._json(body),
                customer_exists=lambda cid: cid in self.customers,
                sale_channels=set(self.sale_channels),
                integrations=set(self.integrations),
                today=self._today(),
            )
            if record is None:
                return self._invalid("invoices_create", bag)
            self._ids["invoice"] += 1
            now = self.state.clock.now()
            invoice = Invoice(
                id=self._ids["invoice"], data=record, totals=invoice_totals(record["lines"]),
                created_at=now, updated_at=now,
            )
            self.invoices[invoice.id] = invoice
            rendered = self._render(invoice)
        self.state.ledger.record(
            NAME, "invoice_created", str(invoice.id), order_id=record["order_id"],
            grand_total=rendered["grand_total"],
        )
        return JSONResponse({"data": rendered}, status_code=201)

    async def _invoices_list(self, request: Request) -> Response:
        pairs = list(request.query_params.multi_items())
        url = str(request.url).split("?")[0]
        return await self._run(request, "invoices_list", lambda: self._list_invoices(pairs, url))

    def _list_invoices(self, pairs: list[tuple[str, str]], url: str) -> Response:
        query, bag = parse_list_query(pairs, INVOICE_FILTERS, ("id", "issue_date"))
        if bag:
            return self._invalid("invoices_list", bag)
        with self._lock:
            now = self.state.clock.now()
            for invoice in self.invoices.values():
                self._advance(invoice, now)
            by_id = {i.id: i for i in self.invoices.values()}
            rows = [i.row() for i in by_id.values()]
            return JSONResponse(paginate(rows, query, lambda r: self._render(by_id[r["id"]]), url))

    async def _invoices_get(self, request: Request) -> Response:
        item_id = self._item_id(request)
        return await self._run(request, "invoices_get", lambda: self._get_invoice(item_id))

    def _get_invoice(self, item_id: int | None) -> Response:
        with self._lock:
            invoice = self.invoices.get(item_id) if item_id is not None else None
            if invoice is None:
                return self._error("invoices_get", 404, f"No query results for model [App\\Models\\Invoice] {item_id}")
            self._advance(invoice, self.state.clock.now())
            return JSONResponse({"data": self._render(invoice)})

    async def _invoices_formalize(self, request: Request) -> Response:
        item_id = self._item_id(request)
        body = await request.body()
        return await self._run(request, "invoices_formalize", lambda: self._formalize(item_id), body)

    def _formalize(self, item_id: int | None) -> Response:
        endpoint = "invoices_formalize"
        with self._lock:
            invoice = self.invoices.get(item_id) if item_id is not None else None
            if invoice is None:
                return self._error(endpoint, 404, f"No query results for model [App\\Models\\Invoice] {item_id}")
            now = self.state.clock.now()
            self._advance(invoice, now)
            # A document at GİB is never sent twice; only a never-sent or GİB-refused
            # (failed) invoice may be formalized.
            if invoice.formal_status not in ("pending", "failed"):
                return self._error(
                    endpoint, 422,
                    f"Fatura zaten resmileştirildi (formal_status: {invoice.formal_status}); tekrar gönderilemez.",
                )
            customer = self.customers[invoice.data["customer_id"]]
            # The provider, not the client, picks the document: e-Fatura for a buyer in GİB's
            # registered-user list (to their first alias), e-Arşiv for everyone else.
            aliases = self.state.gib.aliases(customer["tax_number"])
            doc_type = "e_fatura" if aliases else "e_arsiv"
            channel = self.sale_channels[invoice.data["sale_channel_id"]]
            if doc_type == "e_arsiv" and channel["kind"] == "internet" and invoice.data["internet_sale"] is None:
                return self._error(
                    endpoint, 422,
                    "İnternet satışı e-Arşiv faturası için internet_sale bilgileri (web sitesi) zorunludur.",
                )
            if invoice.invoice_number is None:
                # Assumption: number and ETTN are assigned once, at the first formalize; a
                # retry after GİB refused the document keeps them (no gap in the series).
                prefix = self.integrations.get(invoice.data["invoice_integration_id"]) or DEFAULT_PREFIX
                invoice.invoice_number = self.state.numbering.next(NAME, prefix, invoice.data["issue_date"].year)
                invoice.uuid = str(uuid.uuid4())
            invoice.formal_type, invoice.alias = doc_type, (aliases[0] if aliases else None)
            invoice.formal_status, invoice.formalized_at, invoice.updated_at = "running", now, now
            invoice.formal_message = None
            invoice.fail_with = self._formal_failures.pop(0) if self._formal_failures else None
            rendered = self._render(invoice)
        self.state.ledger.record(
            NAME, "gib_send", str(invoice.id), gib_uuid=invoice.uuid, document_type=doc_type,
            invoice_number=invoice.invoice_number, alias=invoice.alias,
        )
        return JSONResponse({"message": "Resmileştirme başlatıldı.", "data": rendered}, status_code=202)

    def _render(self, invoice: Invoice) -> dict[str, Any]:
        return render_invoice(invoice, self.customers[invoice.data["customer_id"]])

    def _advance(self, invoice: Invoice, now: datetime) -> None:
        """GİB answers one status step (``state.status_step_s``) after formalization."""
        if invoice.formal_status != "running" or invoice.formalized_at is None:
            return
        if now < invoice.formalized_at + timedelta(seconds=self.state.status_step_s):
            return
        invoice.updated_at = now
        if invoice.fail_with:
            invoice.formal_status, invoice.formal_message = "failed", invoice.fail_with
            invoice.fail_with = None
            self.state.ledger.record(NAME, "gib_rejected", str(invoice.id), message=invoice.formal_message)
        else:
            invoice.formal_status = "completed"
