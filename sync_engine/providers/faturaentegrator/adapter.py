"""FaturaEntegratör adapter: customers, invoices and formalization (GİB) over its REST API.

``{base_url}/api/...`` with a static ``Authorization: Bearer <api key>`` and
``Accept: application/json`` (C seed 000, FACTS §2); JSON bodies (FACTS §2.2). No client-chosen ids exist, so
both creates search first (DESIGN §3): customers by ``filters[tax_number][$eq]``, invoices by
``filters[order_id][$eq]=<idempotency key>``. The provider decides e-Fatura vs e-Arşiv
itself from GİB's directory when the invoice is formalized, and assigns number and ETTN.

Returns: an İADE invoice is the same ``POST /invoices`` typed ``IADE`` with a reference to the
formalized sale (mapping.return_invoice_payload), formalized like a sale. A draft (never
formalized) is withdrawn with ``DELETE /invoices/{id}`` (FACTS §2.1).

Not offered, so not declared: journal (no accounting API), cancel (no documented endpoint),
GİB directory lookup.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from sync_engine.domain import Order
from sync_engine.providers.base import (
    CheckResult,
    Routing,
    BaseProvider,
    Capability,
    CustomerRef,
    EDocumentState,
    InvoiceRef,
    InvoiceRequest,
    RemoteInvoice,
    ReturnOf,
)
from sync_engine.providers.errors import PermanentError, TransientError
from sync_engine.providers.faturaentegrator import mapping, paths
from sync_engine.providers.http import ProviderHttp, RateBudget, make_client
from sync_engine.providers.ratelimit import RedisTokenBucket

if TYPE_CHECKING:
    import redis as redis_lib

    from sync_engine.providers.faturaentegrator.config import FaturaEntegratorConfig

NAME = "faturaentegrator"
CUSTOMERS, INVOICES, CHECK_AUTH = paths.CUSTOMERS, paths.INVOICES, paths.CHECK_AUTH


def message_of(response: httpx.Response) -> str:
    """Laravel's error shape: ``message``, plus ``errors{field: [...]}`` on a 422."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return response.text[:200]
    message = body.get("message") if isinstance(body.get("message"), str) else ""
    errors = body.get("errors")
    if isinstance(errors, dict) and errors:
        details = "; ".join(
            f"{field}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for field, msgs in errors.items()
        )
        return f"{message} [{details}]" if message else details
    return message or response.text[:200]


class _StaticBearer(httpx.Auth):
    """The API key as a bearer token; kept out of client headers so it never shows in reprs."""

    def __init__(self, api_key: str) -> None:
        self._header = f"Bearer {api_key}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class FaturaEntegratorProvider(BaseProvider):
    name: ClassVar[str] = NAME
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.CUSTOMER,
            Capability.INVOICE,
            Capability.E_DOCUMENT,
            Capability.E_DOCUMENT_STATE,
            Capability.FIND_INVOICE,
            Capability.LIST_INVOICES,
            Capability.RETURN_INVOICE,
            Capability.WITHDRAW_DRAFT,
        }
    )
    list_page_size: ClassVar[int] = 100  # the list endpoints' per_page maximum
    routing: ClassVar[Routing] = Routing.PROVIDER

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        sale_channel_id: int | str,
        invoice_integration_id: int | str,
        timeout_s: float = 10.0,
        budget: RateBudget | None = None,
        page_size: int | None = None,
    ) -> None:
        self.sale_channel_id = sale_channel_id
        self.invoice_integration_id = invoice_integration_id
        self.page_size = page_size or self.list_page_size
        client = make_client(
            base_url, timeout_s, auth=_StaticBearer(api_key), headers={"Accept": "application/json"}
        )
        self.http = ProviderHttp(NAME, client, message_of=message_of, budget=budget)

    @classmethod
    def from_config(
        cls, cfg: FaturaEntegratorConfig, *, redis: redis_lib.Redis | None
    ) -> FaturaEntegratorProvider:
        budget = (
            RedisTokenBucket(redis, cfg.account_key(), cfg.max_requests_per_s) if redis is not None else None
        )
        return cls(
            base_url=cfg.base_url,
            api_key=cfg.api_key.get_secret_value(),
            sale_channel_id=cfg.sale_channel_id,
            invoice_integration_id=cfg.invoice_integration_id,
            timeout_s=cfg.timeout_s,
            budget=budget,
        )

    # -- answers -----------------------------------------------------------------------------

    @staticmethod
    def _body(response: httpx.Response, operation: str) -> dict[str, Any]:
        try:
            body = json.loads(response.text, parse_float=Decimal)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            # A 2xx we cannot read: the effect may have happened. Transient, so the pipeline
            # searches (create) or probes (formalize) before it does anything again.
            raise TransientError(
                "unreadable answer", provider=NAME, endpoint=operation,
                status=response.status_code, body=response.text,
            )
        return body

    def _data(self, response: httpx.Response, operation: str) -> dict[str, Any]:
        return self._answer(response, operation)[1]

    def _answer(self, response: httpx.Response, operation: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(envelope, data): FE's ``{"success", "data", "message"}`` (C FACTS §2.4)."""
        envelope = self._body(response, operation)
        data = envelope.get("data")
        if not isinstance(data, dict) or "id" not in data:
            raise TransientError(
                "answer without data.id", provider=NAME, endpoint=operation,
                status=response.status_code, body=response.text,
            )
        return envelope, data

    def _pages(self, path: str, params: dict[str, str], operation: str) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            response = self.http.request(
                "GET", path, operation=operation,
                params={**params, "sort": "id:asc", "per_page": str(self.page_size), "page": str(page)},
            )
            body = self._body(response, operation)
            items = body.get("data")
            if not isinstance(items, list):
                raise TransientError(
                    "list answer without data[]", provider=NAME, endpoint=operation,
                    status=response.status_code, body=response.text,
                )
            yield from (item for item in items if isinstance(item, dict))
            last = (body.get("meta") or {}).get("last_page")
            if not items or not isinstance(last, int) or page >= last:
                return
            page += 1

    # -- operations ----------------------------------------------------------------------------

    def upsert_customer(self, order: Order, known: CustomerRef | None = None) -> CustomerRef:
        if known is not None:
            # FE documents no customer update (FACTS §2.1: GET/POST/DELETE only). The buyer
            # is kept current where the API allows it: every invoice carries the buyer's
            # details inline beside customer.id (mapping.invoice_payload).
            return known
        buyer = order.buyer
        payload = mapping.customer_payload(buyer)  # first: a buyer FE cannot take stops before any call
        for record in self._pages(CUSTOMERS, mapping.customer_search_filters(buyer), f"{NAME}.customers.list"):
            if mapping.customer_matches(buyer, record):
                return CustomerRef(str(record["id"]))
        operation = f"{NAME}.customers.create"
        response = self.http.request("POST", CUSTOMERS, operation=operation, json=payload)
        return CustomerRef(str(self._data(response, operation)["id"]))

    def find_invoice(self, req: InvoiceRequest) -> InvoiceRef | None:
        params = {"filters[order_id][$eq]": req.idempotency_key}
        for record in self._pages(INVOICES, params, f"{NAME}.invoices.list"):
            if record.get("order_id") == req.idempotency_key:
                return mapping.invoice_ref(record)  # the oldest: sorted by id
        return None

    def create_invoice(self, req: InvoiceRequest, customer: CustomerRef | None) -> InvoiceRef:
        operation = f"{NAME}.invoices.create"
        # The mapping first: an order FE's contract cannot carry stops before any call.
        payload = mapping.invoice_payload(
            req, _customer_id(customer, operation), sale_channel_id=self.sale_channel_id,
            invoice_integration_id=self.invoice_integration_id,
        )
        return self._create(req, payload, operation)

    def create_return_invoice(self, req: InvoiceRequest, original: ReturnOf, customer: CustomerRef | None) -> InvoiceRef:
        operation = f"{NAME}.invoices.create_return"
        payload = mapping.return_invoice_payload(
            req, _customer_id(customer, operation), original, sale_channel_id=self.sale_channel_id,
            invoice_integration_id=self.invoice_integration_id,
        )
        return self._create(req, payload, operation)

    def _create(self, req: InvoiceRequest, payload: dict[str, Any], operation: str) -> InvoiceRef:
        """Search by our key (``order_id``) first, then create: a lost answer is never a
        second invoice."""
        existing = self.find_invoice(req)
        if existing is not None:
            return existing
        response = self.http.request("POST", INVOICES, operation=operation, json=payload)
        created = self._data(response, operation)
        # Read FE's own total back from the stored invoice: the pipeline compares it with
        # what the customer paid before the irreversible formalize.
        return mapping.invoice_ref(self._show(str(created["id"])))

    def _state(self, response: httpx.Response, operation: str) -> EDocumentState:
        envelope, data = self._answer(response, operation)
        return mapping.edocument_state(data, envelope)

    def _show(self, invoice_id: str) -> dict[str, Any]:
        operation = f"{NAME}.invoices.get"
        response = self.http.request("GET", paths.invoice(invoice_id), operation=operation)
        return self._data(response, operation)

    def rounding_difference(self, req: InvoiceRequest) -> Decimal:
        """What the provider's per-line rounding leaves off our total (the pipeline records it
        on the job): see ``mapping.rounding_difference``."""
        return mapping.rounding_difference(req)

    def send_e_document(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        # Irreversible. The provider refuses (422, its message) an invoice that is no longer
        # pending/failed: that arrives as a PermanentError, never as a second send.
        operation = f"{NAME}.invoices.formalize"
        response = self.http.request("POST", paths.formalize(invoice.invoice_id), operation=operation)
        body = self._body(response, operation)
        if isinstance(body.get("data"), dict) and "id" in body["data"]:
            return mapping.edocument_state(body["data"], body)
        # I: the formalize answer's body is not documented; a 2xx without the invoice means
        # FE took the request, and the invoice itself says where it stands.
        return self.e_document_state(req, invoice)

    def e_document_state(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        operation = f"{NAME}.invoices.get"
        response = self.http.request("GET", paths.invoice(invoice.invoice_id), operation=operation)
        return self._state(response, operation)

    def withdraw_draft(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        """``DELETE /invoices/{id}`` (FACTS §2.1): FE refuses it (422, its message: a
        PermanentError) once the invoice was formalized. A 404 means it is gone already (an
        earlier attempt whose answer was lost, or a person in the panel): nothing to do."""
        operation = f"{NAME}.invoices.delete"
        try:
            self.http.request("DELETE", paths.invoice(invoice.invoice_id), operation=operation)
        except PermanentError as exc:
            if exc.status != 404:
                raise

    def list_invoices(self, start: date, end: date) -> Iterator[RemoteInvoice]:
        params = {
            "filters[issue_date][$gte]": start.isoformat(),
            "filters[issue_date][$lte]": end.isoformat(),
        }
        for record in self._pages(INVOICES, params, f"{NAME}.invoices.list"):
            yield mapping.remote_invoice(record)

    def check(self) -> list[CheckResult]:
        def auth() -> str:
            response = self.http.request("POST", CHECK_AUTH, operation="check.auth")
            body = self._body(response, "check.auth")
            return f"API key accepted ({body.get('message') or 'HTTP ' + str(response.status_code)})"

        def customers() -> str:
            response = self.http.request("GET", CUSTOMERS, operation="customers.list", params={"per_page": "1", "page": "1"})
            items = self._body(response, "customers.list").get("data")
            if not isinstance(items, list):
                raise TypeError("customer list answer without data[]")
            return f"customer list answers ({len(items)} row)"

        def invoices() -> str:
            response = self.http.request("GET", INVOICES, operation="invoices.list", params={"per_page": "1", "page": "1"})
            items = self._body(response, "invoices.list").get("data")
            if not isinstance(items, list):
                raise TypeError("invoice list answer without data[]")
            return f"invoice list answers ({len(items)} row)"

        return [
            self._check("API key", auth), self._check("customer list", customers),
            self._check("invoice list", invoices),
        ]

    def close(self) -> None:
        self.http.close()


def _customer_id(customer: CustomerRef | None, operation: str) -> str:
    """FE invoices name the buyer by the customer id the customer step made."""
    if customer is None:
        raise PermanentError("an invoice needs the buyer's customer id (customer step first)",
                             provider=NAME, endpoint=operation)
    return customer.customer_id
