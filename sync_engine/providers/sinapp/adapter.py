"""SinApp Muhasebe API adapter (provider doc 001, DESIGN §6/§7).

What SinApp's API offers, and so what this adapter declares:
* ``invoice``: ``POST /api/v1/invoice_operations.php`` with the buyer embedded — there is no
  customer (cari) endpoint, so there is no customer step.
* ``find_invoice``: ``GET /api/v1/invoices.php?number=&order=`` by our ``invoice_id``.
* ``cancel``: ``DELETE /api/v1/invoice_operations.php`` (a soft cancel).
Not offered: GİB sending (SinApp is not an e-invoice integrator), journaling (``PUT``
status ``paid`` records a payment, not a journal entry), and listing — the API has no list
endpoint, so reconciliation cannot pull SinApp invoices; it can only probe one by one.

Idempotency: the ``invoice_id`` is client-chosen and derived from the job's idempotency key
(``short_ref``); SinApp refuses a second create with the same id (409), which is read as
"already created" and answered from the detail GET.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
import redis as redis_lib

from sync_engine.providers.sinapp.config import SinAppConfig
from sync_engine.providers.base import (
    CheckResult,
    Routing,
    BaseProvider,
    Capability,
    CustomerRef,
    InvoiceRef,
    InvoiceRequest,
)
from sync_engine.providers.errors import PermanentError, TransientError
from sync_engine.providers.http import ProviderHttp, RateBudget, make_client
from sync_engine.providers.ratelimit import RedisTokenBucket
from sync_engine.providers.sinapp.mapping import MappingError, invoice_id_for, invoice_payload

NAME = "sinapp"
# The documented paths, appended to base_url exactly (DESIGN §7).
CREATE_PATH = "/api/v1/invoice_operations.php"
OPERATIONS_PATH = "/api/v1/invoice_operations.php"
DETAIL_PATH = "/api/v1/invoices.php"


def message_of(response: httpx.Response) -> str:
    """SinApp's own error text: ``{"success": false, "message": "..."}``."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return response.text[:200]


class SinAppProvider(BaseProvider):
    name: ClassVar[str] = NAME
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.INVOICE, Capability.FIND_INVOICE}
    )
    # There is no list endpoint (LIST_INVOICES is not declared); kept for the Protocol.
    list_page_size: ClassVar[int] = 100
    routing: ClassVar[Routing] = Routing.NONE

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        api_secret: str,
        website: str,
        company_name: str,
        timeout_s: float = 10.0,
        budget: RateBudget | None = None,
    ) -> None:
        self.website = website
        self.company_name = company_name
        client = make_client(
            base_url,
            timeout_s,
            headers={
                "X-Api-Key": api_key,
                "X-Api-Secret": api_secret,
                "Accept": "application/json",
            },
        )
        self.http = ProviderHttp(NAME, client, message_of=message_of, budget=budget)

    @classmethod
    def from_config(cls, cfg: SinAppConfig, *, redis: redis_lib.Redis | None) -> SinAppProvider:
        budget = (
            RedisTokenBucket(redis, cfg.account_key(), cfg.max_requests_per_s)
            if redis is not None
            else None
        )
        return cls(
            base_url=cfg.base_url,
            api_key=cfg.api_key.get_secret_value(),
            api_secret=cfg.api_secret.get_secret_value(),
            website=cfg.website,
            company_name=cfg.company_name,
            timeout_s=cfg.timeout_s,
            budget=budget,
        )

    # --- invoice -----------------------------------------------------------------------

    def create_invoice(self, req: InvoiceRequest, customer: CustomerRef | None = None) -> InvoiceRef:
        operation = "sinapp.invoice.create"
        if ":return:" in req.idempotency_key:
            # SinApp's invoice has no type field: a return would be booked as a second sale.
            raise PermanentError(
                "SinApp cannot issue a return (İADE) invoice", provider=NAME, endpoint=operation
            )
        try:
            payload = invoice_payload(req, website=self.website, company_name=self.company_name)
        except MappingError as exc:
            raise PermanentError(str(exc), provider=NAME, endpoint=operation) from exc
        invoice_id = payload["fatura_bilgileri"]["invoice_id"]
        try:
            response = self.http.request("POST", CREATE_PATH, operation=operation, json=payload)
        except PermanentError as exc:
            if exc.status != 409:
                raise
            # DESIGN §7: the id exists already (an earlier attempt whose answer was lost):
            # read it back rather than fail or create again.
            found = self.find_invoice(req)
            if found is None:
                raise  # 409 yet not readable under our order id: an operator must look
            return found
        body = _object(response, operation)
        if body.get("success") is not True:
            raise PermanentError(
                message_of(response) or "create not confirmed", provider=NAME,
                endpoint=operation, status=response.status_code, body=response.text,
            )
        number = body.get("invoice_number")
        return InvoiceRef(
            invoice_id=invoice_id, ettn=None, invoice_number=str(number) if number else None
        )

    def find_invoice(self, req: InvoiceRequest) -> InvoiceRef | None:
        operation = "sinapp.invoice.get"
        invoice_id = invoice_id_for(req.idempotency_key)
        try:
            response = self.http.request(
                "GET",
                DETAIL_PATH,
                operation=operation,
                params={"number": invoice_id, "order": req.order.order_id},
            )
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise
        body = _object(response, operation)
        data = body.get("data")
        invoice = data.get("invoice") if isinstance(data, dict) else None
        if body.get("status") != "success" or not isinstance(invoice, dict):
            raise PermanentError(
                "unexpected invoice detail answer", provider=NAME, endpoint=operation,
                status=response.status_code, body=response.text,
            )
        number = invoice.get("invoice_number")
        # The handle PUT/DELETE take is our invoice_id; SinApp's numeric id is not needed.
        return InvoiceRef(
            invoice_id=invoice_id, ettn=None, invoice_number=str(number) if number else None
        )

    def cancel_invoice(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        # Parameters as a JSON body, like POST and PUT; order_id is sent because SinApp then
        # checks that the invoice belongs to this order ("güvenlik için önerilir").
        self.http.request(
            "DELETE",
            OPERATIONS_PATH,
            operation="sinapp.invoice.cancel",
            json={"invoice_id": invoice.invoice_id, "order_id": req.order.order_id},
        )

    def check(self) -> list[CheckResult]:
        def keys() -> str:
            # The detail of an invoice that cannot exist: with valid keys SinApp answers its
            # documented "not found"; with wrong ones 401 (AuthError, reported as failed).
            try:
                self.http.request(
                    "GET", DETAIL_PATH, operation="sinapp.invoice.get",
                    params={"number": "se_providers_check", "order": "0"},
                )
            except PermanentError as exc:
                if exc.status == 404:
                    return "API key and secret accepted (the detail endpoint answers 'not found')"
                raise
            return "API key and secret accepted (the detail endpoint answers)"

        return [self._check("API key + secret", keys)]

    def close(self) -> None:
        self.http.close()


def _object(response: httpx.Response, operation: str) -> dict[str, Any]:
    # A 2xx whose body is not SinApp's JSON (a proxy page, a cut connection) leaves the
    # outcome unknown: transient, and safe to retry because the create is keyed by our
    # invoice_id (a second attempt gets 409 and reads the invoice back).
    try:
        body = response.json()
    except ValueError as exc:
        raise TransientError(
            "answer is not JSON", provider=NAME, endpoint=operation,
            status=response.status_code, body=response.text,
        ) from exc
    if not isinstance(body, dict):
        raise TransientError(
            "answer is not a JSON object", provider=NAME, endpoint=operation,
            status=response.status_code, body=response.text,
        )
    return body
