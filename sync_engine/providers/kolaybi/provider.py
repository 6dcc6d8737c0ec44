"""KolayBi adapter: cari, products, invoice, GİB e-document (e-Fatura / e-Arşiv), e-Arşiv cancel.

Auth (DESIGN §6): ``POST /kolaybi/v1/access_token`` with the API key and the ``Channel``
header gives a bearer token for 24 h, with no refresh endpoint; it is cached in Redis per
account and channel (``CachedTokenAuth``), and a 401 fetches a new one and retries once.
Every call carries ``Authorization`` and ``Channel``; bodies are bracket forms (``forms``).

Idempotency (DESIGN §3): KolayBi takes no client-chosen id, so every create searches first —
the cari by identity number (+ code), products by code, the invoice by our reference in its
description. GİB sending is never retried here; a 504 from e-document/create may still have
sent the invoice, and the pipeline asks ``e_document_state`` before any retry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from sync_engine.domain import Order
from sync_engine.providers.auth import CachedTokenAuth, Token, TokenCache
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
)
from sync_engine.providers.errors import AuthError, PermanentError, TransientError
from sync_engine.providers.http import ProviderHttp, RateBudget, make_client
from sync_engine.providers.kolaybi import mapping
from sync_engine.providers.kolaybi.mapping import record_id
from sync_engine.providers.kolaybi.forms import bracket_form
from sync_engine.providers.ratelimit import RedisTokenBucket

if TYPE_CHECKING:
    from redis import Redis

    from sync_engine.providers.kolaybi.config import KolayBiConfig

# The documented paths, appended to base_url exactly as written (DESIGN §7). The token,
# associate, address, product and invoice list/get/delete paths come from DESIGN §6 and
# KolayBi's public clients, not from the two published documents.
ACCESS_TOKEN = "/kolaybi/v1/access_token"
ASSOCIATES = "/kolaybi/v1/associates"
ADDRESSES = "/kolaybi/v1/addresses"
PRODUCTS = "/kolaybi/v1/products"
INVOICES = "/kolaybi/v1/invoices"
INVOICE = "/kolaybi/v1/invoices/{document_id}"
E_DOCUMENT_CREATE = "/kolaybi/v1/invoices/e-document/create"
E_DOCUMENT_CANCEL = "/kolaybi/v1/invoices/e-document/cancel"

# The token answer states no lifetime; DESIGN §6 says 24 h.
TOKEN_LIFETIME_S = 24 * 3600.0


def message_of(response: httpx.Response) -> str:
    """KolayBi's own error text: ``{"success": false, "message": …}``."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return response.text[:200]


def _parse_token(response: httpx.Response) -> Token:
    try:
        body = response.json()
    except ValueError:
        body = None
    token = body.get("data") if isinstance(body, dict) and body.get("success") is True else None
    if isinstance(token, str) and token:
        return Token(token, TOKEN_LIFETIME_S)
    raise AuthError(
        "the access_token answer carries no token", provider=KolayBiProvider.name,
        endpoint="token", status=response.status_code, body=response.text,
    )


class KolayBiProvider(BaseProvider):
    name: ClassVar[str] = "kolaybi"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.CUSTOMER,
        Capability.INVOICE,
        Capability.E_DOCUMENT,
        Capability.E_DOCUMENT_STATE,
        Capability.FIND_INVOICE,
        Capability.LIST_INVOICES,
    })
    list_page_size: ClassVar[int] = 100  # assumed per_page cap of KolayBi lists
    routing: ClassVar[Routing] = Routing.PROVIDER

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        channel: str,
        timeout_s: float = 10.0,
        token_cache: TokenCache | None = None,
        budget: RateBudget | None = None,
        account_key: str | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        if account_key is None:
            account_key = f"kolaybi|{base}|{hashlib.sha256(api_key.encode()).hexdigest()[:16]}"
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))

        def token_request() -> httpx.Request:
            # Built by hand, so it must carry the timeout itself: httpx applies the client's
            # timeout only to requests the client builds.
            return httpx.Request(
                "POST", base + ACCESS_TOKEN, json={"api_key": api_key},
                headers={"Channel": channel, "Accept": "application/json"},
                extensions={"timeout": timeout.as_dict()},
            )

        auth = CachedTokenAuth(
            provider=self.name,
            cache=token_cache or TokenCache(None),
            # A token is issued for one channel: the channel is part of its identity.
            cache_key=f"{account_key}|{channel}",
            token_request=token_request,
            parse_token=_parse_token,
        )
        headers = {"Channel": channel, "Accept": "application/json"}
        client = make_client(base, timeout_s, auth=auth, headers=headers)
        self.http = ProviderHttp(self.name, client, message_of=message_of, budget=budget)

    @classmethod
    def from_config(cls, cfg: KolayBiConfig, *, redis: Redis | None) -> KolayBiProvider:
        budget = None
        if redis is not None:
            budget = RedisTokenBucket(redis, cfg.account_key(), cfg.max_requests_per_s)
        return cls(
            base_url=cfg.base_url,
            api_key=cfg.api_key.get_secret_value(),
            channel=cfg.channel,
            timeout_s=cfg.timeout_s,
            token_cache=TokenCache(redis),
            budget=budget,
            account_key=cfg.account_key(),
        )

    def close(self) -> None:
        self.http.close()

    # --- plumbing ------------------------------------------------------------------------

    def _refused(self, exc: mapping.MappingError, operation: str) -> PermanentError:
        error = PermanentError(str(exc), provider=self.name, endpoint=operation)
        error.__cause__ = exc
        return error

    def _data(self, response: httpx.Response, operation: str) -> Any:
        try:
            body = response.json(parse_float=Decimal)
        except ValueError as exc:
            # A 2xx that is not JSON is a proxy or maintenance page: the call may not have run.
            raise TransientError(
                "answer is not JSON", provider=self.name, endpoint=operation,
                status=response.status_code, body=response.text,
            ) from exc
        if not isinstance(body, dict) or body.get("success") is False or "data" not in body:
            raise PermanentError(
                message_of(response) or "unexpected answer", provider=self.name,
                endpoint=operation, status=response.status_code, body=response.text,
            )
        return body["data"]

    def _record(self, data: Any, operation: str) -> Mapping[str, Any]:
        if not isinstance(data, dict) or record_id(data) is None:
            raise PermanentError(
                "answer without a record id (neither data.document_id nor data.id)",
                provider=self.name, endpoint=operation, body=str(data),
            )
        return data

    def _post(self, path: str, payload: Mapping[str, Any], operation: str) -> Any:
        response = self.http.request("POST", path, operation=operation, data=bracket_form(payload))
        return self._data(response, operation)

    def _create(self, path: str, payload: Mapping[str, Any], operation: str) -> Mapping[str, Any]:
        return self._record(self._post(path, payload, operation), operation)

    def _get(self, path: str, operation: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.http.request("GET", path, operation=operation, params=params)
        return self._data(response, operation)

    def _pages(
        self, path: str, params: Mapping[str, Any], operation: str
    ) -> Iterator[Mapping[str, Any]]:
        """Every row of a list endpoint. Assumed answer: Laravel's paginator (``data.data``,
        ``last_page``); a bare list is read as a single page."""
        page = 1
        per_page = self.list_page_size
        while True:
            data = self._get(path, operation, {**params, "page": page, "per_page": per_page})
            rows = data.get("data") if isinstance(data, dict) else data
            if not isinstance(rows, list):
                raise PermanentError(
                    "list answer without rows", provider=self.name, endpoint=operation
                )
            yield from rows
            last = data.get("last_page") if isinstance(data, dict) else None
            if last is not None:
                done = page >= int(last)
            else:
                done = len(rows) < per_page
            if done or not rows:
                return
            page += 1

    # --- customer ------------------------------------------------------------------------

    def upsert_customer(self, order: Order) -> CustomerRef:
        buyer = order.buyer
        try:
            wanted = mapping.associate_payload(buyer)
        except mapping.MappingError as exc:
            raise self._refused(exc, "kolaybi.associates.create") from exc
        params = {"identity_no": buyer.tax_id}
        if buyer.distinguishing_code:
            params["code"] = buyer.distinguishing_code
        rows = list(self._pages(ASSOCIATES, params, "kolaybi.associates.search"))
        found = mapping.pick_associate(rows, buyer)
        if found is None:
            created = self._create(ASSOCIATES, wanted, "kolaybi.associates.create")
            addresses = created.get("address") or []
            if not addresses:
                raise PermanentError(
                    "the new cari came back without its address", provider=self.name,
                    endpoint="kolaybi.associates.create",
                )
            return CustomerRef(str(created["id"]), {"address_id": int(addresses[0]["id"])})
        address_id = mapping.matching_address(found.get("address") or [], wanted["addresses"])
        if address_id is None:
            # A returning buyer with a new address: the invoice must show where it goes now.
            created_address = self._create(
                ADDRESSES, {"associate_id": found["id"], **wanted["addresses"]},
                "kolaybi.addresses.create",
            )
            address_id = int(created_address["id"])
        return CustomerRef(str(found["id"]), {"address_id": address_id})

    # --- invoice -------------------------------------------------------------------------

    def _product_ids(self, req: InvoiceRequest) -> dict[str, int]:
        ids: dict[str, int] = {}
        for computed in req.invoice.lines:
            code = mapping.product_code(computed.line)
            if code in ids:
                continue
            found = self._product_by_code(code)
            if found is None:
                payload = mapping.product_payload(computed, req.order.currency)
                try:
                    found = self._create(PRODUCTS, payload, "kolaybi.products.create")
                except PermanentError:
                    # Another worker may have created the code between our search and create.
                    found = self._product_by_code(code)
                    if found is None:
                        raise
            ids[code] = int(found["id"])
        return ids

    def _product_by_code(self, code: str) -> Mapping[str, Any] | None:
        rows = self._pages(PRODUCTS, {"code": code}, "kolaybi.products.search")
        wanted = code.casefold()
        return next((r for r in rows if str(r.get("code") or "").casefold() == wanted), None)

    def _find(self, req: InvoiceRequest) -> Mapping[str, Any] | None:
        rows = self._pages(INVOICES, {"search": req.reference}, "kolaybi.invoices.search")
        ours = req.reference
        return next((r for r in rows if str(r.get("description") or "").strip() == ours), None)

    def _checked(self, row: Mapping[str, Any], req: InvoiceRequest, operation: str) -> InvoiceRef:
        """Never let an invoice that differs from the payment go on to GİB."""
        total = mapping.remote_invoice(row).total
        problem = None
        if total != req.order.paid_total:
            problem = f"totals {total}, the customer paid {req.order.paid_total}"
        elif row.get("status") == "draft":
            problem = "was saved as a draft (incomplete) and cannot be sent to GİB"
        if problem:
            raise PermanentError(
                f"KolayBi invoice {record_id(row)} {problem}: correct or delete it at KolayBi, "
                "then retry",
                provider=self.name, endpoint=operation,
            )
        return _ref(row)

    def create_invoice(self, req: InvoiceRequest, customer: CustomerRef | None) -> InvoiceRef:
        operation = "kolaybi.invoices.create"
        if customer is None or "address_id" not in customer.extra:
            raise PermanentError(
                "a KolayBi invoice needs the cari and its address id (run the customer step first)",
                provider=self.name, endpoint=operation,
            )
        try:
            mapping.receiver_email(req.order)
        except mapping.MappingError as exc:
            raise self._refused(exc, operation) from exc
        existing = self._find(req)
        if existing is not None:
            return self._checked(existing, req, operation)
        try:
            product_ids = self._product_ids(req)
            payload = mapping.invoice_payload(
                req, contact_id=int(customer.customer_id),
                address_id=int(customer.extra["address_id"]), product_ids=product_ids,
            )
        except mapping.MappingError as exc:
            raise self._refused(exc, operation) from exc
        created = self._create(INVOICES, payload, operation)
        return self._checked(created, req, operation)

    def find_invoice(self, req: InvoiceRequest) -> InvoiceRef | None:
        row = self._find(req)
        return _ref(row) if row is not None else None

    # --- GİB -------------------------------------------------------------------------------

    def _invoice_row(self, invoice: InvoiceRef, operation: str) -> Mapping[str, Any]:
        path = INVOICE.format(document_id=invoice.invoice_id)
        return self._record(self._get(path, operation), operation)

    def send_e_document(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        """Irreversible. KolayBi's refusal of a second send ("already sent") is a 422, so a
        PermanentError with its message. After the send the invoice is read back for its GİB
        number; an error there is reported like any send error (the pipeline probes first)."""
        data = self._post(
            E_DOCUMENT_CREATE, {"document_id": int(invoice.invoice_id)}, "kolaybi.e_document.create"
        )
        state = mapping.e_document_state(self._invoice_row(invoice, "kolaybi.invoices.get"))
        if state.gib_uuid is None and isinstance(data, dict) and data.get("uuid"):
            state = replace(state, gib_uuid=str(data["uuid"]))
        return state

    def e_document_state(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        return mapping.e_document_state(self._invoice_row(invoice, "kolaybi.invoices.get"))

    def cancel_invoice(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        """e-Arşiv cancel at GİB. KolayBi refuses it for an e-Fatura (422 → PermanentError):
        an accepted e-Fatura is answered with a return invoice instead."""
        self._post(
            E_DOCUMENT_CANCEL, {"document_id": int(invoice.invoice_id)}, "kolaybi.e_document.cancel"
        )

    # --- going live: read-only checks ----------------------------------------------------

    def check(self) -> list[CheckResult]:
        def associates() -> str:
            data = self._get(ASSOCIATES, "kolaybi.associates.list", {"page": 1, "per_page": 1})
            rows = data.get("data") if isinstance(data, dict) else data
            if not isinstance(rows, list):
                raise TypeError("associates list answer without rows")
            return f"token (api key + Channel) accepted; associates list answers ({len(rows)} row)"

        def invoices() -> str:
            data = self._get(INVOICES, "kolaybi.invoices.list", {"page": 1, "per_page": 1})
            rows = data.get("data") if isinstance(data, dict) else data
            if not isinstance(rows, list):
                raise TypeError("invoice list answer without rows")
            for row in rows:
                if record_id(row) is None:
                    raise KeyError("invoice row without document_id / id")
            return f"invoice list answers ({len(rows)} row, ids readable)"

        return [self._check("token + associates", associates), self._check("invoice list", invoices)]

    # --- reconciliation ------------------------------------------------------------------

    def list_invoices(self, start: date, end: date) -> Iterator[RemoteInvoice]:
        params = {"min_issue_date": start.isoformat(), "max_issue_date": end.isoformat()}
        for row in self._pages(INVOICES, params, "kolaybi.invoices.list"):
            yield mapping.remote_invoice(row)


def _ref(row: Mapping[str, Any]) -> InvoiceRef:
    return InvoiceRef(
        invoice_id=str(record_id(row)),
        ettn=row.get("uuid") or None,
        invoice_number=row.get("no") or None,
        total=mapping.remote_invoice(row).total,
    )


__all__ = ["KolayBiProvider", "message_of"]
