"""The FaturaEntegratör simulator: customers, invoices and formalization (GİB send).

Every request body is checked against its endpoint's declarative contract (``contract.py``)
and refused in FE's own error shape (422, Laravel ``message`` + ``errors``); the stateful
checks (unknown ids, a second formalize) are here. See the package docstring for endpoints,
fault names and assumptions.
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

from sync_engine.sandbox.contract import Contract
from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.faturaentegrator.contract import CONTRACTS, RETURN_TYPES, laravel_key
from sync_engine.sandbox.faturaentegrator.errors import ErrorBag, laravel_error
from sync_engine.sandbox.faturaentegrator.query import paginate, parse_list_query
from sync_engine.sandbox.faturaentegrator.resources import Invoice, laravel_time, render_invoice
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
CUSTOMER_KEYS = (
    "type", "tax_number", "tax_office", "title", "name", "surname", "country", "address", "city",
    "district", "postcode", "phone", "email", "iban",
)
MONEY_KEYS = ("quantity", "unit_price", "discount", "currency_rate")
DATE_KEYS = (
    "issue_date", "order_created_at", "waybill_date", "due_date", "payment_date", "delivery_date",
    "return_invoice_date",
)


def stored_request(value: Any, key: str = "") -> Any:
    """The accepted request as the provider keeps it: "" is null (ConvertEmptyStringsToNull),
    numbers are Decimals, dates are dates."""
    if isinstance(value, dict):
        return {k: stored_request(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [stored_request(v) for v in value]
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if key in DATE_KEYS:
            return date.fromisoformat(value)
    if key in MONEY_KEYS and value is not None and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _trimmed(value: Any) -> Any:
    """Laravel's TrimStrings middleware, before validation: "   " is then no value."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {k: _trimmed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trimmed(v) for v in value]
    return value


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
            # (endpoint, body) of every request that reached a contract, for the tests.
            self.received: list[tuple[str, Any]] = []

    # -- switches for tests and the demo ---------------------------------------------------

    def fail_formalizations(self, message: str = "GİB: şema doğrulama hatası", times: int = 1) -> None:
        """The next ``times`` formalizations end in ``failed`` (GİB refused the document)."""
        with self._lock:
            self._formal_failures.extend([message] * times)

    def delete_in_panel(self, invoice_id: int) -> None:
        """A person deletes the invoice in the provider's web panel: the state table still
        says invoiced, and only reconciliation can notice."""
        with self._lock:
            del self.invoices[invoice_id]
        self.state.ledger.record(NAME, "invoice_deleted_in_panel", str(invoice_id))

    def edit_total_in_panel(self, invoice_id: int, grand_total: Decimal) -> None:
        """A person changes the invoice's total in the web panel (reconciliation tests)."""
        with self._lock:
            invoice = self.invoices[invoice_id]
            invoice.totals = {**invoice.totals, "total": grand_total}
        self.state.ledger.record(NAME, "invoice_edited_in_panel", str(invoice_id), grand_total=str(grand_total))

    def set_formal_status(self, invoice_id: int, status: str | None) -> None:
        """Put an invoice in any of FE's formal statuses (``canceled`` and ``not_required``
        are reached only in the panel; no API endpoint leads there)."""
        with self._lock:
            self.invoices[invoice_id].formal_status = status
            self.invoices[invoice_id].formalized_at = None

    # -- HTTP --------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        r = APIRouter()
        r.add_api_route("/api/check/auth", self._check_auth, methods=["POST"])
        r.add_api_route("/api/customers", self._customers_create, methods=["POST"])
        r.add_api_route("/api/customers", self._customers_list, methods=["GET"])
        r.add_api_route("/api/customers/{item_id}", self._customers_get, methods=["GET"])
        r.add_api_route("/api/invoices", self._invoices_create, methods=["POST"])
        r.add_api_route("/api/invoices", self._invoices_list, methods=["GET"])
        r.add_api_route("/api/invoices/{item_id}", self._invoices_get, methods=["GET"])
        r.add_api_route("/api/invoices/{item_id}", self._invoices_delete, methods=["DELETE"])
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
        # says it wants JSON; otherwise it redirects to a login page. Assumption (I): refuse
        # such requests with 406 instead, so a client without the documented header fails.
        accept = request.headers.get("accept", "").split(",")[0].split(";")[0].strip().lower()
        if not (accept.endswith("/json") or accept.endswith("+json")):
            return self._error(endpoint, 406, "Not Acceptable: send Accept: application/json.")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.api_keys:
            return self._error(endpoint, 401, "Unauthenticated.")
        # C seed 000: bodies are JSON. I: any other content type is refused with 415.
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

    def _checked(self, endpoint: str, body: bytes) -> tuple[dict[str, Any] | None, Response | None]:
        """The body read and checked against the endpoint's contract: (body, None) or
        (None, the 422 refusal). I: malformed JSON reads as no input (Laravel), so it fails
        on the required fields."""
        contract: Contract = CONTRACTS[endpoint]
        try:
            data = json.loads(body, parse_float=Decimal) if body.strip() else {}
        except ValueError:
            data = {}
        with self._lock:
            self.received.append((contract.endpoint, data))
        data = _trimmed(data)
        found = contract.violations(data)
        if not found:
            return data, None
        bag = ErrorBag()
        for v in found:
            bag.add(laravel_key(v.field) or "body", v.message)
        return None, self._invalid(endpoint, bag)

    @staticmethod
    def _item_id(request: Request) -> int | None:
        raw = request.path_params["item_id"]
        return int(raw) if raw.isdigit() else None

    def _today(self) -> date:
        return self.state.clock.now().astimezone(ISTANBUL).date()

    # -- auth check --------------------------------------------------------------------------

    async def _check_auth(self, request: Request) -> Response:
        body = await request.body()
        return await self._run(request, "check_auth", lambda: self._auth_ok(body), body)

    def _auth_ok(self, body: bytes) -> Response:
        _, refused = self._checked("check_auth", body)
        if refused is not None:
            return refused
        # I: the answer's shape is not documented; the show answer's envelope (§2.4).
        return JSONResponse({"success": True, "message": "API anahtarı geçerli.", "data": {"team_id": 1}})

    # -- customers ---------------------------------------------------------------------------

    async def _customers_create(self, request: Request) -> Response:
        body = await request.body()
        return await self._run(request, "customers_create", lambda: self._create_customer(body), body)

    def _create_customer(self, body: bytes) -> Response:
        data, refused = self._checked("customers_create", body)
        if data is None:
            return refused  # type: ignore[return-value]
        record = {k: stored_request(data.get(k), k) for k in CUSTOMER_KEYS}
        with self._lock:
            self._ids["customer"] += 1
            now = laravel_time(self.state.clock.now())
            customer = {"id": self._ids["customer"], **record, "created_at": now, "updated_at": now}
            self.customers[customer["id"]] = customer
        label = record["title"] or f"{record['name'] or ''} {record['surname'] or ''}".strip()
        self.state.ledger.record(
            NAME, "cari_created", record["tax_number"], id=customer["id"], type=record["type"],
            name=label, email=record["email"],
        )
        return JSONResponse({"success": True, "message": "Müşteri oluşturuldu.", "data": customer}, status_code=201)

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
        return JSONResponse({"success": True, "data": dict(customer), "message": ""})

    # -- invoices ----------------------------------------------------------------------------

    async def _invoices_create(self, request: Request) -> Response:
        body = await request.body()
        return await self._run(request, "invoices_create", lambda: self._create_invoice(body), body)

    def _stateful_refusals(self, data: dict[str, Any]) -> ErrorBag:
        bag = ErrorBag()
        customer_id = data["customer"].get("id")
        if customer_id is not None and customer_id not in self.customers:
            bag.add("customer.id", "The selected customer.id is invalid.")
        if data["sale_channel_id"] not in self.sale_channels:
            bag.add("sale_channel_id", "The selected sale channel id is invalid.")
        if data["invoice_integration_id"] not in self.integrations:
            bag.add("invoice_integration_id", "The selected invoice integration id is invalid.")
        issue = data.get("issue_date")
        # I: an invoice cannot be dated in the future (VUK; every Turkish integrator refuses it).
        if isinstance(issue, str) and issue and date.fromisoformat(issue) > self._today():
            bag.add("issue_date", "The issue date field must be a date before or equal to today.")
        return bag

    def _return_refusals(self, record: dict[str, Any], total: Decimal) -> ErrorBag:
        """An İADE answers one formalized (completed) SATIS invoice, named by its GİB number
        and date, and gives back no more than that invoice still holds: the original's total
        less the returns already made against it (I: GİB's rule that a return documents goods
        that were sold; FE's own check is not documented)."""
        bag = ErrorBag()
        number, issued = record.get("return_invoice_number"), record.get("return_invoice_date")
        original = next((i for i in self.invoices.values() if i.invoice_number == number), None)
        if original is not None:
            self._advance(original, self.state.clock.now())
        if original is None or (original.data.get("type") or "SATIS") != "SATIS":
            bag.add("return_invoice_number", "The selected return invoice number is invalid.")
        elif original.formal_status != "completed":
            bag.add(
                "return_invoice_number",
                f"İade edilen fatura resmileşmemiş (formal_status: {original.formal_status}); "
                "yalnızca resmileşmiş satış faturası iade edilebilir.",
            )
        elif issued != original.issue_date:
            bag.add("return_invoice_date", "The return invoice date does not match the returned invoice.")
        else:
            returned = sum(
                (i.totals["total"] for i in self.invoices.values()
                 if i.data.get("type") in RETURN_TYPES and i.data.get("return_invoice_number") == number),
                Decimal(0),
            )
            left = original.totals["total"] - returned
            if total > left:
                bag.add(
                    "lines",
                    f"İade tutarı ({total}) iade edilen faturada kalan tutarı ({left}) aşamaz.",
                )
        return bag

    def _create_invoice(self, body: bytes) -> Response:
        data, refused = self._checked("invoices_create", body)
        if data is None:
            return refused  # type: ignore[return-value]
        with self._lock:
            bag = self._stateful_refusals(data)
            if bag:
                return self._invalid("invoices_create", bag)
            record = stored_request(data)
            record.setdefault("issue_date", None)
            record["issue_date"] = record["issue_date"] or self._today()
            # The invoice prints the buyer as sent: a stored customer's record, overlaid with
            # the inline fields sent with its id (I: Odoo sends both, FACTS §2.2).
            sent = {k: v for k, v in record["customer"].items() if v is not None}
            customer = {**self.customers.get(sent.get("id"), {}), **sent}
            for line in record["lines"]:
                line.setdefault("discount_type", None)
                line.setdefault("discount", None)
                line["tax_rate"] = Decimal(line["tax_rate"])
            totals = invoice_totals(record["lines"])
            is_return = record.get("type") in RETURN_TYPES
            if is_return and (bag := self._return_refusals(record, totals["total"])):
                return self._invalid("invoices_create", bag)
            self._ids["invoice"] += 1
            now = self.state.clock.now()
            invoice = Invoice(
                id=self._ids["invoice"], data=record, customer=customer,
                totals=totals, created_at=now, updated_at=now,
            )
            self.invoices[invoice.id] = invoice
            rendered = render_invoice(invoice)
        if is_return:
            self.state.ledger.record(
                NAME, "return_invoice_created", str(invoice.id), order_id=record.get("order_id"),
                return_of=record.get("return_invoice_number"), grand_total=rendered["total"],
            )
        else:
            self.state.ledger.record(
                NAME, "invoice_created", str(invoice.id), order_id=record.get("order_id"),
                grand_total=rendered["total"],
            )
        return JSONResponse({"success": True, "message": "Fatura oluşturuldu.", "data": rendered}, status_code=201)

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
            return JSONResponse(paginate(rows, query, lambda r: render_invoice(by_id[r["id"]]), url))

    async def _invoices_get(self, request: Request) -> Response:
        item_id = self._item_id(request)
        return await self._run(request, "invoices_get", lambda: self._get_invoice(item_id))

    def _get_invoice(self, item_id: int | None) -> Response:
        with self._lock:
            invoice = self.invoices.get(item_id) if item_id is not None else None
            if invoice is None:
                return self._error("invoices_get", 404, f"No query results for model [App\\Models\\Invoice] {item_id}")
            self._advance(invoice, self.state.clock.now())
            return JSONResponse({"success": True, "data": render_invoice(invoice), "message": ""})

    async def _invoices_delete(self, request: Request) -> Response:
        item_id = self._item_id(request)
        return await self._run(request, "invoices_delete", lambda: self._delete_invoice(item_id))

    def _delete_invoice(self, item_id: int | None) -> Response:
        endpoint = "invoices_delete"
        with self._lock:
            invoice = self.invoices.get(item_id) if item_id is not None else None
            if invoice is None:
                return self._error(endpoint, 404, f"No query results for model [App\\Models\\Invoice] {item_id}")
            # I: only a draft never formalized may be deleted. Once formalize was asked for, the
            # invoice has its GİB number (a gap in the series is not allowed) and the document
            # is, or is going, at GİB; FE's refusal is its usual 422 with a message, like a
            # second formalize.
            if invoice.formal_status is not None:
                return self._error(
                    endpoint, 422,
                    f"Resmileştirilmiş fatura silinemez (formal_status: {invoice.formal_status}).",
                )
            del self.invoices[invoice.id]
        self.state.ledger.record(NAME, "invoice_deleted", str(invoice.id), order_id=invoice.data.get("order_id"))
        return JSONResponse({"success": True, "message": "Fatura silindi.", "data": {"id": invoice.id}})

    async def _invoices_formalize(self, request: Request) -> Response:
        item_id = self._item_id(request)
        body = await request.body()
        return await self._run(request, "invoices_formalize", lambda: self._formalize(item_id, body), body)

    def _formalize(self, item_id: int | None, body: bytes) -> Response:
        endpoint = "invoices_formalize"
        _, refused = self._checked(endpoint, body)
        if refused is not None:
            return refused
        with self._lock:
            invoice = self.invoices.get(item_id) if item_id is not None else None
            if invoice is None:
                return self._error(endpoint, 404, f"No query results for model [App\\Models\\Invoice] {item_id}")
            now = self.state.clock.now()
            self._advance(invoice, now)
            # A document at GİB is never sent twice; only a never-sent (null) or GİB-refused
            # (failed) invoice may be formalized (I).
            if invoice.formal_status not in (None, "failed"):
                return self._error(
                    endpoint, 422,
                    f"Fatura zaten resmileştirildi (formal_status: {invoice.formal_status}); tekrar gönderilemez.",
                )
            # The provider, not the client, picks the document: e-Fatura for a buyer in GİB's
            # registered-user list (to their first alias), e-Arşiv for everyone else.
            aliases = self.state.gib.aliases(str(invoice.customer.get("tax_number")))
            doc_type = "e_invoice" if aliases else "e_archive"
            channel = self.sale_channels[invoice.data["sale_channel_id"]]
            internet = invoice.data.get("is_internet_sale") is True and invoice.data.get("internet_sale")
            if doc_type == "e_archive" and channel["kind"] == "internet" and not internet:
                # GİB: an e-Arşiv for an internet sale carries its internet-sale details (§5.4).
                return self._error(
                    endpoint, 422,
                    "İnternet satışı e-Arşiv faturası için is_internet_sale ve internet_sale bilgileri zorunludur.",
                )
            if invoice.invoice_number is None:
                # I: number and ETTN are assigned once, at the first formalize; a retry after
                # GİB refused the document keeps them (no gap in the series).
                prefix = self.integrations.get(invoice.data["invoice_integration_id"]) or DEFAULT_PREFIX
                invoice.invoice_number = self.state.numbering.next(NAME, prefix, invoice.issue_date.year)
                invoice.uuid = str(uuid.uuid4())
            invoice.formal_type, invoice.alias = doc_type, (aliases[0] if aliases else None)
            invoice.formal_status, invoice.formalized_at, invoice.updated_at = "pending", now, now
            invoice.formal_message = None
            invoice.fail_with = self._formal_failures.pop(0) if self._formal_failures else None
            rendered = render_invoice(invoice)
        self.state.ledger.record(
            NAME, "gib_send", str(invoice.id), gib_uuid=invoice.uuid,
            document_type="e_fatura" if doc_type == "e_invoice" else "e_arsiv",
            invoice_number=invoice.invoice_number, alias=invoice.alias,
        )
        return JSONResponse({"success": True, "message": "Resmileştirme başlatıldı.", "data": rendered}, status_code=202)

    def _advance(self, invoice: Invoice, now: datetime) -> None:
        """pending (Bekleniyor) → running (İşleniyor) after half a status step, then GİB's
        answer (completed, or failed with its words) after one step (I: the timing)."""
        if invoice.formal_status not in ("pending", "running") or invoice.formalized_at is None:
            return
        step = timedelta(seconds=self.state.status_step_s)
        if now < invoice.formalized_at + step / 2:
            return
        invoice.updated_at = now
        if now < invoice.formalized_at + step:
            invoice.formal_status = "running"
            return
        if invoice.fail_with:
            invoice.formal_status, invoice.formal_message = "failed", invoice.fail_with
            invoice.fail_with = None
            self.state.ledger.record(NAME, "gib_rejected", str(invoice.id), message=invoice.formal_message)
        else:
            invoice.formal_status = "completed"
