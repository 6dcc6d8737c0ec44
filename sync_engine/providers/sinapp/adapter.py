"""SinApp Muhasebe API adapter (provider doc 001, FACTS §3, DESIGN §6/§7): I/O only; the
request bodies and the reading of answers are in ``mapping``, the paths in ``paths``.

What SinApp's API offers, and so what this adapter declares:
* ``invoice``: ``POST /api/v1/invoice_operations.php`` with the buyer embedded — there is no
  customer (cari) endpoint, so there is no customer step and nothing to keep current: every
  invoice carries the buyer as the order has it now.
* ``find_invoice``: ``GET /api/v1/invoices.php?number=&order=`` by our ``invoice_id``; its
  ``grand_total`` is the provider's total the pipeline checks against the paid total.
Not offered: GİB sending — SinApp is not an e-invoice integrator and has no e-document step
at all (FACTS §3), so no ``e_document`` / ``e_document_state`` and ``Routing.NONE``;
journaling (``PUT`` status ``paid`` records a payment, not a journal entry); listing — the
API has no list endpoint, so reconciliation cannot pull SinApp invoices; it can only probe
one by one; return invoices — the invoice has no type field and no document names a return,
so a return would be booked as a second sale (``RETURN_INVOICE`` is not declared).
* ``withdraw_draft``: the documented ``DELETE`` (seed 001: "iptal edildi olarak işaretler",
  a soft cancel), chosen over ``PUT status=cancelled`` because it is the one call documented
  for exactly this and needs no buyer; repeating it is harmless (SinApp answers success and
  the invoice stays cancelled).

Idempotency: the ``invoice_id`` is client-chosen and derived from the job's idempotency key
(``short_ref``); SinApp refuses a second create with the same id (409), which is read as
"already created" and answered from the detail GET.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
import redis as redis_lib

from sync_engine.providers.base import (
    BaseProvider,
    Capability,
    CheckResult,
    CustomerRef,
    InvoiceRef,
    InvoiceRequest,
    Routing,
)
from sync_engine.providers.errors import PermanentError, TransientError
from sync_engine.providers.http import ProviderHttp, RateBudget, make_client
from sync_engine.providers.ratelimit import RedisTokenBucket
from sync_engine.providers.sinapp import paths
from sync_engine.providers.sinapp.config import SinAppConfig
from sync_engine.providers.sinapp.mapping import (
    AnswerError,
    created_number,
    detail_invoice,
    detail_number,
    detail_total,
    error_message,
    invoice_id_for,
    invoice_payload,
    succeeded,
)

NAME = "sinapp"
# Kept for callers that import them from here; paths.py is the one place they are defined.
CREATE_PATH = paths.INVOICE_CREATE
OPERATIONS_PATH = paths.INVOICE_DELETE
DETAIL_PATH = paths.INVOICE_DETAIL


def message_of(response: httpx.Response) -> str:
    """SinApp's own error text: ``{"success": false, "message": "..."}`` (either envelope)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return error_message(body) or response.text[:200]


class SinAppProvider(BaseProvider):
    name: ClassVar[str] = NAME
    # No E_DOCUMENT / E_DOCUMENT_STATE: SinApp has no GİB step (FACTS §3).
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.INVOICE, Capability.FIND_INVOICE, Capability.WITHDRAW_DRAFT}
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
        # OrderDataError (a PermanentError) before any call: a required field the order
        # cannot fill, or a value longer than its field.
        payload = invoice_payload(req, website=self.website, company_name=self.company_name)
        invoice_id = payload["fatura_bilgileri"]["invoice_id"]
        try:
            response = self.http.request(
                "POST", paths.INVOICE_CREATE, operation=operation, json=payload
            )
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
        outcome = succeeded(body)
        if outcome is False:
            raise PermanentError(
                message_of(response) or "create refused", provider=NAME,
                endpoint=operation, status=response.status_code, body=response.text,
            )
        if outcome is None:
            # A 2xx without either documented marker: whether the invoice exists is unknown.
            # Transient, and safe to retry: the create is keyed by our invoice_id (a second
            # attempt gets 409 and reads the invoice back).
            raise TransientError(
                "success: the create answer carries neither success nor status",
                provider=NAME, endpoint=operation, status=response.status_code,
                body=response.text,
            )
        return InvoiceRef(invoice_id=invoice_id, ettn=None, invoice_number=created_number(body))

    def find_invoice(self, req: InvoiceRequest) -> InvoiceRef | None:
        operation = "sinapp.invoice.get"
        invoice_id = invoice_id_for(req.idempotency_key)
        try:
            response = self.http.request(
                "GET",
                paths.INVOICE_DETAIL,
                operation=operation,
                params={"number": invoice_id, "order": req.order.order_id},
            )
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise
        body = _object(response, operation)
        try:
            if succeeded(body) is not True:
                raise AnswerError("status", "the detail answer does not say success")
            invoice = detail_invoice(body)
            total = detail_total(invoice)
        except AnswerError as exc:
            raise PermanentError(
                f"unexpected invoice detail answer: {exc}", provider=NAME, endpoint=operation,
                status=response.status_code, body=response.text,
            ) from exc
        # The handle PUT/DELETE take is our invoice_id; SinApp's numeric id is not needed.
        return InvoiceRef(
            invoice_id=invoice_id, ettn=None, invoice_number=detail_number(invoice), total=total
        )

    def withdraw_draft(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        """``DELETE`` (seed 001): the invoice is marked cancelled, nothing is removed, so the
        detail GET still finds it (status ``cancelled``) and a second withdraw is SinApp's
        documented success with no new effect."""
        # Parameters as a JSON body, like POST and PUT; order_id is sent because SinApp then
        # checks that the invoice belongs to this order ("güvenlik için önerilir").
        self.http.request(
            "DELETE",
            paths.INVOICE_DELETE,
            operation="sinapp.invoice.cancel",
            json={"invoice_id": invoice.invoice_id, "order_id": req.order.order_id},
        )

    def check(self) -> list[CheckResult]:
        def keys() -> str:
            # The detail of an invoice that cannot exist: with valid keys SinApp answers its
            # documented "not found"; with wrong ones 401 (AuthError, reported as failed).
            try:
                self.http.request(
                    "GET", paths.INVOICE_DETAIL, operation="sinapp.invoice.get",
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
