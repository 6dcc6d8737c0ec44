"""KolayBi adapter: cari, products, invoice, GİB e-document (e-Fatura / e-Arşiv), e-Arşiv
cancel, proformas. I/O only: request bodies and the reading of answers are in ``mapping``,
the bracket-form encoder in ``forms``, the paths in ``paths`` (seeds 002/003, FACTS §1).

Auth (FACTS §1.1): ``POST /kolaybi/v1/access_token`` with the API key and the ``Channel``
header gives a bearer token for 24 h, with no refresh endpoint; it is cached in Redis per
account and channel (``CachedTokenAuth``), and a 401 fetches a new one and retries once.
Every call carries ``Authorization`` and ``Channel``; bodies are bracket forms.

Idempotency (DESIGN §3): KolayBi takes no client-chosen id, so every create searches first —
the cari by identity number (+ code), products by code, the invoice by our reference in its
description. A 504/524 after an effect is answered by reading back, never by a blind second
create or send; the pipeline also asks ``e_document_state`` before any GİB retry.
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
    ProformaRef,
    RemoteInvoice,
    ReturnOf,
    SendState,
)
from sync_engine.providers.errors import AuthError, PermanentError, TransientError
from sync_engine.providers.http import ProviderHttp, RateBudget, make_client
from sync_engine.providers.kolaybi import mapping, paths
from sync_engine.providers.kolaybi.mapping import record_id
from sync_engine.providers.kolaybi.forms import bracket_form
from sync_engine.providers.ratelimit import RedisTokenBucket

if TYPE_CHECKING:
    from redis import Redis

    from sync_engine.providers.kolaybi.config import KolayBiConfig

# The token answer states no lifetime; FACTS §1.1 says 24 h (C).
TOKEN_LIFETIME_S = 24 * 3600.0
# A gateway timeout from KolayBi may come after the effect (FACTS §1.3, I: a public client):
# the record is read back before anything is created or sent again.
GATEWAY_TIMEOUTS = frozenset({504, 524})
# e-document list direction of our sales (C [KD-edlist]: outbound / inbound).
OUTBOUND = "outbound"
# The invoice type we create and search among (C [KD-inv-list]).
SALE_INVOICE = mapping.SALE_INVOICE


def message_of(response: httpx.Response) -> str:
    """KolayBi's own error text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        # {"success": false, "message": …}; some clients also read error.message (FACTS §1.3, I).
        error = body.get("error")
        for value in (body.get("message"), error.get("message") if isinstance(error, dict) else error):
            if isinstance(value, str) and value.strip():
                return value.strip()
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
        Capability.PROFORMA,
        Capability.CANCEL_E_ARCHIVE,
        Capability.WITHDRAW_DRAFT,
        Capability.RETURN_INVOICE,
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
                "POST", base + paths.ACCESS_TOKEN, json={"api_key": api_key},
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
        self._company: int | None = None

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

    def _unreadable(self, exc: mapping.AnswerError, operation: str, body: Any = None) -> PermanentError:
        """An answer we cannot read: classified, naming the field, never a silent default."""
        error = PermanentError(
            f"unexpected KolayBi answer: {exc}", provider=self.name, endpoint=operation,
            body=None if body is None else str(body),
        )
        error.__cause__ = exc
        return error

    def _body(self, response: httpx.Response, operation: str) -> dict[str, Any]:
        try:
            body = response.json(parse_float=Decimal)
        except ValueError as exc:
            # A 2xx that is not JSON is a proxy or maintenance page: the call may not have run.
            raise TransientError(
                "answer is not JSON", provider=self.name, endpoint=operation,
                status=response.status_code, body=response.text,
            ) from exc
        # Seed 003's proforma answer has no "success" key, only "data": both are read.
        if not isinstance(body, dict) or body.get("success") is False or "data" not in body:
            raise PermanentError(
                message_of(response) or "unexpected answer (no data)", provider=self.name,
                endpoint=operation, status=response.status_code, body=response.text,
            )
        return body

    def _data(self, response: httpx.Response, operation: str) -> Any:
        return self._body(response, operation)["data"]

    def _record(self, data: Any, operation: str) -> Mapping[str, Any]:
        """An invoice record: ``data.document_id`` and/or ``data.id`` (FACTS §1.3, I)."""
        if not isinstance(data, dict) or record_id(data) is None:
            raise self._unreadable(mapping.AnswerError(
                "data.document_id", "the answer carries neither data.document_id nor data.id",
            ), operation, data)
        return data

    def _row(self, data: Any, operation: str, what: str) -> Mapping[str, Any]:
        """A cari, address or product record: ``data.id``."""
        if not isinstance(data, dict) or mapping.plain_id(data) is None:
            raise self._unreadable(
                mapping.AnswerError("data.id", f"the {what} answer carries no id"), operation, data
            )
        return data

    def _post(self, path: str, payload: Mapping[str, Any], operation: str) -> Any:
        response = self.http.request("POST", path, operation=operation, data=bracket_form(payload))
        return self._data(response, operation)

    def _get(self, path: str, operation: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.request("GET", path, operation=operation, params=params)
        return self._body(response, operation)

    def _pages(
        self, path: str, params: Mapping[str, Any], operation: str
    ) -> Iterator[Mapping[str, Any]]:
        """Every row of a list endpoint, ``page`` / ``per_page`` (I: a public client). Read
        liberally: rows in ``data`` (a list, as with KolayBi's documented ``pagination``
        object beside it, C [KD-inv-list]) or ``data.data`` (Laravel's paginator); the end
        from ``pagination.total`` / ``last_page``, else a short page."""
        page = 1
        per_page = self.list_page_size
        while True:
            body = self._get(path, operation, {**params, "page": page, "per_page": per_page})
            data = body["data"]
            rows = data.get("data") if isinstance(data, dict) else data
            if not isinstance(rows, list):
                raise self._unreadable(
                    mapping.AnswerError("data", "the list answer carries no rows"), operation, data
                )
            yield from (r for r in rows if isinstance(r, dict))
            meta = body.get("pagination") if isinstance(body.get("pagination"), dict) else (
                data if isinstance(data, dict) else {}
            )
            last, total = meta.get("last_page"), meta.get("total")
            if isinstance(last, int) and not isinstance(last, bool):
                done = page >= last
            elif isinstance(total, int) and not isinstance(total, bool):
                done = page * per_page >= total
            else:
                done = len(rows) < per_page
            if done or not rows:
                return
            page += 1

    # --- customer ------------------------------------------------------------------------

    def upsert_customer(self, order: Order, known: CustomerRef | None = None) -> CustomerRef:
        """Find or create the buyer's cari (search by ``identity_no`` + ``code``, C
        [KD-assoc-list]); with ``known``, the cari mapped earlier is the one kept current.
        A new address is added with ``/address/create`` before the invoice; a changed name
        or tax office cannot be (KolayBi documents no associate update): the job stops
        naming the field, never invoicing under the old name."""
        operation = "kolaybi.associates.create"
        buyer = order.buyer
        try:
            wanted = mapping.associate_payload(buyer)
        except mapping.MappingError as exc:
            raise self._refused(exc, operation) from exc
        params = {"identity_no": buyer.tax_id}
        if buyer.distinguishing_code:
            params["code"] = buyer.distinguishing_code
        rows = list(self._pages(paths.ASSOCIATES, params, "kolaybi.associates.search"))
        found = None
        if known is not None:
            found = next((r for r in rows if mapping.plain_id(r) == known.customer_id), None)
        if found is None:
            found = mapping.pick_associate(rows, buyer)
        if found is None:
            created = self._row(self._post(paths.ASSOCIATES, wanted, operation), operation, "cari")
            addresses = created.get("address") or created.get("addresses") or []
            address_id = mapping.plain_id(addresses[0]) if isinstance(addresses, list) and addresses else None
            if address_id is None:
                raise self._unreadable(mapping.AnswerError(
                    "data.address[0].id", "the new cari came back without its address id",
                ), operation, created)
            return CustomerRef(str(mapping.plain_id(created)), {"address_id": int(address_id)})
        customer_id = str(mapping.plain_id(found))
        differences = mapping.unchangeable_differences(found, wanted)
        if differences:
            raise PermanentError(
                f"the buyer's details changed and KolayBi's API cannot update a cari: "
                f"{'; '.join(differences)}. Correct cari {customer_id} in KolayBi, then retry",
                provider=self.name, endpoint="kolaybi.associates.update",
            )
        addresses = found.get("address") or found.get("addresses") or []
        address_id = mapping.matching_address(addresses, wanted["addresses"])
        if address_id is None:
            # A returning buyer with a new address: the invoice must show where it goes now.
            op = "kolaybi.addresses.create"
            created_address = self._row(self._post(
                paths.ADDRESS_CREATE, {"associate_id": int(customer_id), **wanted["addresses"]}, op,
            ), op, "address")
            address_id = int(str(mapping.plain_id(created_address)))
        return CustomerRef(customer_id, {"address_id": address_id})

    # --- invoice -------------------------------------------------------------------------

    def _product_ids(self, req: InvoiceRequest) -> dict[str, int]:
        ids: dict[str, int] = {}
        operation = "kolaybi.products.create"
        for computed in req.invoice.lines:
            code = mapping.product_code(computed.line)
            if code in ids:
                continue
            found = self._product_by_code(code)
            if found is None:
                payload = mapping.product_payload(computed, req.order.currency)
                try:
                    found = self._row(self._post(paths.PRODUCTS, payload, operation), operation, "product")
                except (PermanentError, TransientError):
                    # Another worker may have created the code between our search and create,
                    # or a gateway timeout hid our own create: search again before failing.
                    found = self._product_by_code(code)
                    if found is None:
                        raise
            ids[code] = int(str(mapping.plain_id(found)))
        return ids

    def _product_by_code(self, code: str) -> Mapping[str, Any] | None:
        rows = self._pages(paths.PRODUCTS, {"code": code}, "kolaybi.products.search")
        wanted = code.casefold()
        return next((r for r in rows if str(r.get("code") or "").casefold() == wanted), None)

    def _find(self, req: InvoiceRequest) -> Mapping[str, Any] | None:
        """Our invoice among the invoices of its type (``GET /invoices?type=``, the one
        documented filter, C [KD-inv-list]: sale or sale return), by our reference in its
        ``description``."""
        rows = self._pages(paths.INVOICES, {"type": mapping.invoice_type(req)}, "kolaybi.invoices.search")
        ours = mapping.invoice_reference(req)
        return next((r for r in rows if str(r.get("description") or "").strip() == ours), None)

    def _checked(self, row: Mapping[str, Any], req: InvoiceRequest, operation: str) -> InvoiceRef:
        """Never let an invoice that differs from the payment go on to GİB."""
        total = mapping.invoice_total(row)
        problem = None
        if total is None:
            raise self._unreadable(mapping.AnswerError(
                "data.grand_total", "the invoice answer carries no total (grand_total / total_amount)",
            ), operation, row)
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

    def _party(self, customer: CustomerRef | None, operation: str) -> tuple[int, int]:
        if customer is None or "address_id" not in customer.extra:
            raise PermanentError(
                "KolayBi needs the cari and its address id (run the customer step first)",
                provider=self.name, endpoint=operation,
            )
        return int(customer.customer_id), int(customer.extra["address_id"])

    def create_invoice(self, req: InvoiceRequest, customer: CustomerRef | None) -> InvoiceRef:
        return self._create(req, customer, None, "kolaybi.invoices.create")

    def create_return_invoice(self, req: InvoiceRequest, original: ReturnOf, customer: CustomerRef | None) -> InvoiceRef:
        return self._create(req, customer, original, "kolaybi.invoices.create_return")

    def _create(
        self, req: InvoiceRequest, customer: CustomerRef | None, original: ReturnOf | None, operation: str
    ) -> InvoiceRef:
        """Search by our reference first, then create: the sale invoice, or (``original``
        given) the return invoice referencing it."""
        contact_id, address_id = self._party(customer, operation)
        try:
            mapping.receiver_email(req.order)
        except mapping.MappingError as exc:
            raise self._refused(exc, operation) from exc
        existing = self._find(req)
        if existing is not None:
            return self._checked(existing, req, operation)
        try:
            if original is not None:
                mapping.return_references(original)  # before any product is made
            product_ids = self._product_ids(req)
            if original is None:
                payload = mapping.invoice_payload(
                    req, contact_id=contact_id, address_id=address_id, product_ids=product_ids,
                )
            else:
                payload = mapping.return_invoice_payload(
                    req, original, contact_id=contact_id, address_id=address_id, product_ids=product_ids,
                )
        except mapping.MappingError as exc:
            raise self._refused(exc, operation) from exc
        try:
            created = self._record(self._post(paths.INVOICES, payload, operation), operation)
        except TransientError as exc:
            if exc.status not in GATEWAY_TIMEOUTS:
                raise
            # The gateway gave up, KolayBi may not have: read back, never a blind second create.
            found = self._find(req)
            if found is None:
                raise
            return self._checked(found, req, operation)
        return self._checked(created, req, operation)

    def find_invoice(self, req: InvoiceRequest) -> InvoiceRef | None:
        row = self._find(req)
        return _ref(row) if row is not None else None

    # --- GİB -------------------------------------------------------------------------------

    def _state(self, invoice: InvoiceRef, operation: str = "kolaybi.invoices.get") -> EDocumentState:
        path = paths.INVOICE.format(document_id=invoice.invoice_id)
        row = self._record(self._get(path, operation)["data"], operation)
        try:
            return mapping.e_document_state(row)
        except mapping.AnswerError as exc:
            raise self._unreadable(exc, operation, row) from exc

    def send_e_document(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        """Irreversible (seed 002). KolayBi's refusal of a second send is a 422, so a
        PermanentError with its message. A 504/524 may come after GİB issued the document:
        the invoice is read back at once and its state returned when it left; otherwise the
        error stands (the pipeline probes again before any resend). After a send the invoice
        is read back for its GİB number (``no``), which the send answer need not carry."""
        operation = "kolaybi.e_document.create"
        try:
            data = self._post(
                paths.E_DOCUMENT_CREATE, {"document_id": int(invoice.invoice_id)}, operation
            )
        except TransientError as exc:
            if exc.status not in GATEWAY_TIMEOUTS:
                raise
            probe = self._state(invoice)
            if probe.state is SendState.NOT_SENT:
                raise
            return probe
        state = self._state(invoice)
        if isinstance(data, dict):
            uuid = data.get("uuid") if isinstance(data.get("uuid"), str) else None
            number = mapping.gib_number(data)
            state = replace(
                state, gib_uuid=state.gib_uuid or uuid, invoice_number=state.invoice_number or number
            )
        return state

    def e_document_state(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        return self._state(invoice)

    def withdraw_draft(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        """``DELETE /invoices/{document_id}`` (FACTS §1.2, I): only an invoice not sent to GİB."""
        operation = "kolaybi.invoices.delete"
        response = self.http.request("DELETE", paths.INVOICE.format(document_id=int(invoice.invoice_id)),
                                     operation=operation)
        self._body(response, operation)

    def cancel_e_archive(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        """e-Arşiv cancel at GİB. KolayBi refuses it for an e-Fatura (422 → PermanentError):
        an accepted e-Fatura is answered with a return invoice instead."""
        self._post(
            paths.E_DOCUMENT_CANCEL, {"document_id": int(invoice.invoice_id)},
            "kolaybi.e_document.cancel",
        )

    # --- proformas (seed 003) ------------------------------------------------------------

    def create_proforma(self, req: InvoiceRequest, customer: CustomerRef | None) -> ProformaRef:
        """``POST /proformas`` (seed 003) for an order awaiting a transfer. The answer's
        ``total_amount`` is returned as the provider's total; the pipeline compares it with
        the order's to the kuruş. A gateway timeout is not retried here: seed 003 documents
        no way to read a proforma back (see ``find_proforma``)."""
        operation = "kolaybi.proformas.create"
        contact_id, address_id = self._party(customer, operation)
        try:
            product_ids = self._product_ids(req)
            payload = mapping.proforma_payload(
                req, contact_id=contact_id, address_id=address_id, product_ids=product_ids,
            )
        except mapping.MappingError as exc:
            raise self._refused(exc, operation) from exc
        data = self._post(paths.PROFORMAS, payload, operation)
        if not isinstance(data, dict):
            raise self._unreadable(mapping.AnswerError("data", "the proforma answer is no record"), operation, data)
        try:
            return mapping.proforma_ref(data)
        except mapping.AnswerError as exc:
            raise self._unreadable(exc, operation, data) from exc

    def find_proforma(self, req: InvoiceRequest) -> ProformaRef | None:
        """(I) Seed 003 documents only ``POST /proformas``: no list and no get, so an earlier
        proforma cannot be looked up and None is the only truthful answer. After an unknown
        outcome the pipeline then creates again; the worst case is a second offer document
        (no legal effect, never sent to GİB), which the merchant can delete in the panel."""
        return None

    # --- going live: read-only checks ----------------------------------------------------

    def check(self) -> list[CheckResult]:
        def associates() -> str:
            data = self._get(paths.ASSOCIATES, "kolaybi.associates.list", {"page": 1, "per_page": 1})["data"]
            rows = data.get("data") if isinstance(data, dict) else data
            if not isinstance(rows, list):
                raise TypeError("associates list answer without rows")
            return f"token (api key + Channel) accepted; associates list answers ({len(rows)} row)"

        def invoices() -> str:
            params = {"type": SALE_INVOICE, "page": 1, "per_page": 1}
            data = self._get(paths.INVOICES, "kolaybi.invoices.list", params)["data"]
            rows = data.get("data") if isinstance(data, dict) else data
            if not isinstance(rows, list):
                raise TypeError("invoice list answer without rows")
            for row in rows:
                if record_id(row) is None:
                    raise KeyError("invoice row without document_id / id")
            return f"invoice list answers ({len(rows)} row, ids readable)"

        def company() -> str:
            return f"company_id {self._company_id()} (for the e-document list)"

        return [
            self._check("token + associates", associates),
            self._check("invoice list", invoices),
            self._check("company", company),
        ]

    # --- reconciliation ------------------------------------------------------------------

    def _company_id(self) -> int:
        """``company_id`` for the e-document list, from ``GET /companies`` (C, referenced by
        [KD-resend]; answer shape I: a list of records with ``id``, or one record). A key
        that sees several companies is ambiguous: a classified error naming the field."""
        if self._company is None:
            operation = "kolaybi.companies.list"
            data = self._get(paths.COMPANIES, operation)["data"]
            rows = data.get("data") if isinstance(data, dict) and "data" in data else data
            rows = rows if isinstance(rows, list) else [rows]
            ids = [mapping.plain_id(r) for r in rows if isinstance(r, dict)]
            ids = [i for i in ids if i is not None and i.isdigit()]
            if len(ids) != 1:
                raise self._unreadable(mapping.AnswerError(
                    "company_id", f"GET /companies lists {len(ids)} companies with an id; "
                    "expected exactly one for this API key",
                ), operation, data)
            self._company = int(ids[0])
        return self._company

    def list_invoices(self, start: date, end: date) -> Iterator[RemoteInvoice]:
        """Our e-documents issued in the window: ``GET /e_document/invoices`` with its
        documented parameters only (C [KD-edlist]: ``company_id``*, ``direction``*,
        ``min_issue_date``, ``max_issue_date``). Only documents that reached GİB are listed;
        an invoice created but never sent is known to its job by its id."""
        params = {
            "company_id": self._company_id(), "direction": OUTBOUND,
            "min_issue_date": start.isoformat(), "max_issue_date": end.isoformat(),
        }
        for row in self._pages(paths.E_DOCUMENT_LIST, params, "kolaybi.e_documents.list"):
            if record_id(row) is not None:
                yield mapping.remote_invoice(row)


def _ref(row: Mapping[str, Any]) -> InvoiceRef:
    return InvoiceRef(
        invoice_id=str(record_id(row)),
        ettn=mapping._text(row, "uuid"),
        invoice_number=mapping.gib_number(row),
        total=mapping.invoice_total(row),
    )


__all__ = ["KolayBiProvider", "message_of"]
