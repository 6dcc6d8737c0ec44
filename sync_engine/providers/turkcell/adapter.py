"""Turkcell e-Şirket: Muhasebe API (cari, invoice, muhasebeleştir) + the e-Fatura service
(GİB send, status, e-Arşiv cancel, GİB registered-user lookup), one bearer token for both.

Idempotency (DESIGN §3): the invoice ETTN is ours, and saving an ETTN again updates the
invoice instead of duplicating it; caris are searched (filterQuery) before they are created.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import redis

from sync_engine.domain import BuyerKind, Order, mask, to_decimal
from sync_engine.domain.keys import is_return_key
from sync_engine.providers.auth import CachedTokenAuth, Token, TokenCache
from sync_engine.providers.base import (
    CheckResult,
    RouteSource,
    Routing,
    BaseProvider,
    Capability,
    CustomerRef,
    DocumentRoute,
    DocumentType,
    EDocumentState,
    InvoiceRef,
    InvoiceRequest,
    JournalRef,
    RemoteInvoice,
    ReturnOf,
    SendState,
)
from sync_engine.providers.errors import AuthError, PermanentError, ProviderError
from sync_engine.providers.http import ProviderHttp, RateBudget, make_client
from sync_engine.providers.ratelimit import RedisTokenBucket
from sync_engine.providers.turkcell import mapping, paths
from sync_engine.providers.turkcell.directory import GibUserDirectory

if TYPE_CHECKING:
    from sync_engine.providers.turkcell.config import TurkcellEsirketConfig

PROVIDER_NAME = "turkcell_esirket"
CLIENT_ID = "serviceApi"
# The e-Fatura service status table lives in mapping (SEND_STATES): one place, pure, tested.
SEND_STATES = mapping.SEND_STATES
JOURNALED = 1  # Muhasebe recordStatus


def message_of(response: httpx.Response) -> str:
    """The provider's own error text, read liberally: Muhasebe's ``{"Error": "…"}`` (C seed
    004); on the e-Fatura service ``Error{title, detail}``, ``message`` or ``errors`` (a list,
    or ``{field: [msg…]}``) as its clients parse them (I FACTS §4.3); the token endpoint's
    ``error_description``. Anything else: the body's first 200 characters."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        error = body.get("Error")
        if isinstance(error, dict):
            parts = [error.get(k) for k in ("title", "detail")]
            text = ": ".join(p for p in parts if isinstance(p, str) and p)
            if text:
                return text
        for key in ("Error", "message", "Message", "error_description", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
        errors = body.get("errors")
        if isinstance(errors, dict):
            found = [f"{k}: {m}" for k, v in errors.items() for m in (v if isinstance(v, list) else [v]) if isinstance(m, str)]
            if found:
                return "; ".join(found)
        if isinstance(errors, list) and all(isinstance(m, str) for m in errors) and errors:
            return "; ".join(errors)
    return response.text[:200]


def _token_from(response: httpx.Response) -> Token:
    """The token answer (FACTS §4.1, shape I): ``access_token``, and ``expires_in`` as a
    string ("86400") or a number. Anything else is an AuthError naming the field."""
    try:
        body = response.json()
    except ValueError:
        body = None
    value = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        raise AuthError("token answer has no 'access_token'", provider=PROVIDER_NAME, endpoint="token")
    raw = body.get("expires_in")
    try:
        expires = float(raw) if not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        expires = None
    if expires is None or expires < 0:
        raise AuthError(
            f"token answer has no usable 'expires_in' (got {raw!r}; expected seconds, e.g. \"86400\")",
            provider=PROVIDER_NAME, endpoint="token",
        )
    return Token(value=value, expires_in_s=expires)


def _is_not_found(exc: PermanentError) -> bool:
    return exc.status == 404


class TurkcellEsirketProvider(BaseProvider):
    name: ClassVar[str] = "turkcell_esirket"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.CUSTOMER,
            Capability.INVOICE,
            Capability.E_DOCUMENT,
            Capability.E_DOCUMENT_STATE,
            Capability.JOURNAL,
            Capability.FIND_INVOICE,
            Capability.LIST_INVOICES,
            Capability.GIB_DIRECTORY,
            Capability.CANCEL_E_ARCHIVE,
            Capability.WITHDRAW_DRAFT,
            Capability.RETURN_INVOICE,
            Capability.REVERSE_JOURNAL,
            Capability.BUYER_RETURNS,
        }
    )
    list_page_size: ClassVar[int] = 500  # documented maximum
    routing: ClassVar[Routing] = Routing.DIRECTORY

    def __init__(
        self,
        *,
        base_url: str,
        efatura_base_url: str,
        token_url: str,
        username: str,
        password: str,
        pool_account_code: str,
        redis_client: redis.Redis | None = None,
        timeout_s: float = 10.0,
        budget: RateBudget | None = None,
        account_key: str | None = None,
        namespace: str = "sync:",
        page_size: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.efatura_base_url = efatura_base_url.rstrip("/")
        self.pool_account_code = pool_account_code
        self.page_size = page_size or self.list_page_size
        key = account_key or f"turkcell_esirket|{self.base_url}|{username}"
        form = {"username": username, "password": password, "client_id": CLIENT_ID}

        def token_request() -> httpx.Request:
            return httpx.Request(
                "POST", token_url, data=form, headers={"Cache-Control": "no-cache"}
            )

        auth = CachedTokenAuth(
            provider=self.name,
            cache=TokenCache(redis_client, namespace=f"{namespace}token:"),
            cache_key=key,
            token_request=token_request,
            parse_token=_token_from,
        )
        # One client for both services: paths are joined to their own base URL below.
        self.http = ProviderHttp(
            self.name, make_client("", timeout_s, auth=auth), message_of=message_of, budget=budget
        )
        self.directory = GibUserDirectory(self.http, self._service, redis_client, namespace)
        self._pool_account_id: int | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, cfg: TurkcellEsirketConfig, *, redis: redis.Redis | None) -> TurkcellEsirketProvider:
        account_key = cfg.account_key()
        budget = (
            RedisTokenBucket(redis, account_key, cfg.max_requests_per_s) if redis is not None else None
        )
        return cls(
            base_url=cfg.base_url,
            efatura_base_url=cfg.efatura_base_url,
            token_url=cfg.token_url,
            username=cfg.username,
            password=cfg.password.get_secret_value(),
            pool_account_code=cfg.pool_account_code,
            redis_client=redis,
            timeout_s=cfg.timeout_s,
            budget=budget,
            account_key=account_key,
        )

    # --- plumbing ---------------------------------------------------------------------

    def _muhasebe(self, path: str) -> str:
        return self.base_url + path

    def _service(self, path: str) -> str:
        return self.efatura_base_url + path

    def _get(self, url: str, operation: str, **params: Any) -> Any:
        # Amounts stay Decimal on the way in too.
        return self.http.request("GET", url, operation=operation, params=params).json(parse_float=Decimal)

    def close(self) -> None:
        self.http.close()

    # --- routing: GİB registered-user list (cached for at most a day) -------------------

    def route(self, order: Order) -> DocumentRoute:
        buyer = order.buyer
        if buyer.kind is BuyerKind.ANONYMOUS:
            # 11111111111 is no one's tax id: nobody to look up, always e-Arşiv.
            return DocumentRoute(DocumentType.E_ARSIV, None, RouteSource.ANONYMOUS)
        # Every real tax id is looked up, a person's TCKN included: sole proprietors are
        # e-Fatura users under their TCKN.
        user = self.directory.lookup(buyer.tax_id)
        if not user.registered:
            return DocumentRoute(DocumentType.E_ARSIV, None, RouteSource.GIB_DIRECTORY, user.checked_at)
        aliases = user.aliases
        if not aliases:
            raise PermanentError(
                f"{mask(buyer.tax_id)} is a registered e-Fatura user "
                "without a posta kutusu alias",
                provider=self.name,
                endpoint="gibuser.getuser",
            )
        # The shop's hint wins when GİB lists it (a company may have several boxes).
        alias = buyer.efatura_alias if buyer.efatura_alias in aliases else aliases[0]
        return DocumentRoute(DocumentType.E_FATURA, alias, RouteSource.GIB_DIRECTORY, user.checked_at)

    # --- customer (cari) ----------------------------------------------------------------

    def _find_cari_item(self, order: Order) -> dict[str, Any] | None:
        page = self._get(
            self._muhasebe(paths.CURRENT_ACCOUNTS), "currentaccounts.list",
            pageIndex=0, pageSize=10, filterQuery=mapping.cari_filter(order.buyer),
        )
        items = page.get("items") or []
        return items[0] if items else None

    def upsert_customer(self, order: Order, known: CustomerRef | None = None) -> CustomerRef:
        """Find or create the buyer's cari, kept current. With ``known`` (the cari the pipeline
        mapped earlier, whose buyer details changed since), that cari is read and brought up
        to date; one the merchant deleted meanwhile is found or created anew."""
        if known is not None:
            current = self._cari(int(known.customer_id))
            if current is not None:
                cari_id = int(known.customer_id)
                self._keep_current(cari_id, current, order, current=current)
                self._ensure_matched(cari_id)
                return self._customer_ref(cari_id, order)
        listed = self._find_cari_item(order)
        if listed is None:
            # Mapped before any call: a value that does not fit stops here, naming the field.
            body = mapping.cari_payload(order)
            try:
                created = self.http.request(
                    "POST", self._muhasebe(paths.CURRENT_ACCOUNTS), operation="currentaccounts.create",
                    json=body,
                ).json()
                cari_id = int(created["id"])
            except PermanentError:
                # One cari per VKN/TCKN: a refusal may mean a concurrent or earlier
                # (unknown-outcome) create won. Use that cari; otherwise the refusal stands.
                listed = self._find_cari_item(order)
                if listed is None:
                    raise
                cari_id = int(listed["id"])
                self._keep_current(cari_id, listed, order)
        else:
            cari_id = int(listed["id"])
            self._keep_current(cari_id, listed, order)
        self._ensure_matched(cari_id)
        return self._customer_ref(cari_id, order)

    @staticmethod
    def _customer_ref(cari_id: int, order: Order) -> CustomerRef:
        return CustomerRef(
            customer_id=str(cari_id),
            extra={"identifier": order.buyer.tax_id, "code": order.buyer.distinguishing_code},
        )

    def _cari(self, cari_id: int) -> dict[str, Any] | None:
        try:
            found = self._get(self._muhasebe(paths.CURRENT_ACCOUNT.format(id=cari_id)), "currentaccounts.get")
        except PermanentError as exc:
            if _is_not_found(exc):
                return None
            raise
        if not isinstance(found, dict):
            raise PermanentError("currentaccounts.get answer is not an object", provider=self.name,
                                 endpoint="currentaccounts.get")
        return found

    def _keep_current(self, cari_id: int, listed: dict[str, Any], order: Order,
                      current: dict[str, Any] | None = None) -> None:
        """A returning buyer's changed name goes to the cari (PUT), a changed address, e-mail
        or phone to its default address (PUT; POST when it has none), before the invoice."""
        wanted = mapping.cari_address(order.buyer)
        if mapping.cari_changes(listed, order):
            url = self._muhasebe(paths.CURRENT_ACCOUNT.format(id=cari_id))
            current = current if current is not None else self._get(url, "currentaccounts.get")
            self.http.request(
                "PUT", url, operation="currentaccounts.update",
                json=mapping.cari_update_payload(cari_id, order, current),
            )
        addresses = self._get(
            self._muhasebe(paths.CURRENT_ACCOUNT_ADDRESSES), "currentaccountaddresses.list",
            currentAccountId=cari_id,
        )
        current = mapping.default_address(addresses)
        if current is None:
            self.http.request(
                "POST", self._muhasebe(paths.CURRENT_ACCOUNT_ADDRESSES), operation="currentaccountaddresses.create",
                json=mapping.address_create_payload(cari_id, order.buyer),
            )
        elif mapping.address_differs(current, wanted):
            self.http.request(
                "PUT", self._muhasebe(paths.CURRENT_ACCOUNT_ADDRESSES), operation="currentaccountaddresses.update",
                json=mapping.address_update_payload(int(current["id"]), cari_id, order.buyer),
            )

    def _pool_account(self) -> int:
        with self._lock:
            if self._pool_account_id is not None:
                return self._pool_account_id
        page = self._get(
            self._muhasebe(paths.ACCOUNTS), "accounts.list",
            pageIndex=0, pageSize=10, filterQuery=mapping.account_filter(self.pool_account_code),
        )
        found = [a for a in page.get("items") or [] if a.get("code") == self.pool_account_code]
        if not found:
            raise PermanentError(
                f"pool account {self.pool_account_code} not found in the chart of accounts",
                provider=self.name, endpoint="accounts.list",
            )
        with self._lock:
            self._pool_account_id = int(found[0]["id"])
            return self._pool_account_id

    def _ensure_matched(self, cari_id: int) -> None:
        """Muhasebeleştir needs the cari matched to an account. A cari already matched (to the
        pool or, by the merchant, to any account) is left alone: matching the same account
        twice is refused, and the merchant's own choice stands."""
        matches = self._get(
            self._muhasebe(paths.CURRENT_ACCOUNT_ACCOUNTS), "currentaccountaccounts.list",
            currentAccountId=cari_id, pageIndex=0, pageSize=10,
        )
        if matches.get("items"):
            return
        account_id = self._pool_account()
        self.http.request(
            "POST", self._muhasebe(paths.CURRENT_ACCOUNT_ACCOUNTS), operation="currentaccountaccounts.create",
            json=mapping.match_payload(cari_id, account_id, self.pool_account_code),
        )

    # --- invoice ------------------------------------------------------------------------

    def create_invoice(self, req: InvoiceRequest, customer: CustomerRef | None) -> InvoiceRef:
        # Idempotent by our ETTN: a second save updates the same invoice.
        saved = self.http.request(
            "POST", self._muhasebe(paths.INVOICES), operation="invoices.save", json=mapping.invoice_payload(req)
        ).json(parse_float=Decimal)
        number = (saved.get("generalInfoModel") or {}).get("invoiceNumber") if isinstance(saved, dict) else None
        return InvoiceRef(invoice_id=req.ettn, ettn=req.ettn, invoice_number=number or None,
                          total=mapping.saved_total(saved))

    def _invoice(self, ettn: str) -> dict[str, Any] | None:
        try:
            return self._get(self._muhasebe(paths.INVOICE.format(ettn=ettn)), "invoices.get", isSend="true")
        except PermanentError as exc:
            if _is_not_found(exc):
                return None
            raise

    def find_invoice(self, req: InvoiceRequest) -> InvoiceRef | None:
        found = self._invoice(req.ettn)
        if found is None:
            return None
        number = (found.get("generalInfoModel") or {}).get("invoiceNumber")
        return InvoiceRef(invoice_id=req.ettn, ettn=req.ettn, invoice_number=number or None,
                          total=mapping.detail_total(found))

    def create_return_invoice(self, req: InvoiceRequest, original: ReturnOf, customer: CustomerRef | None) -> InvoiceRef:
        """The return (İADE) e-Arşiv in Muhasebe: the sale's save with the İade type and the
        sale invoice's number and date (``returnInvoiceNumber`` / ``returnInvoiceDate``), for
        exactly the refunded lines. Idempotent like the sale: the ETTN is the return job's, a
        second save updates. ``send_e_document`` reads the reference back from this record."""
        if req.route.type is DocumentType.E_FATURA or original.document_type is DocumentType.E_FATURA:
            # FACTS §5.5: the buyer of an e-Fatura issues the İADE (find_buyer_return), not us.
            raise PermanentError(
                "an e-Fatura is returned by the buyer's own İADE invoice, not by the seller's",
                provider=self.name, endpoint="invoices.save",
            )
        body = mapping.return_invoice_payload(req, original)  # mapped before the call
        saved = self.http.request(
            "POST", self._muhasebe(paths.INVOICES), operation="invoices.save", json=body
        ).json(parse_float=Decimal)
        number = (saved.get("generalInfoModel") or {}).get("invoiceNumber") if isinstance(saved, dict) else None
        return InvoiceRef(invoice_id=req.ettn, ettn=req.ettn, invoice_number=number or None,
                          total=mapping.saved_total(saved))

    # --- GİB send -----------------------------------------------------------------------

    @staticmethod
    def _service_paths(req: InvoiceRequest) -> tuple[str, str, str, str]:
        if req.route.type is DocumentType.E_FATURA:
            return paths.OUTBOX_CREATE, paths.OUTBOX_GET, paths.OUTBOX_STATUS, "outboxinvoice"
        return paths.EARCHIVE_CREATE, paths.EARCHIVE_GET, paths.EARCHIVE_STATUS, "earchive"

    def send_e_document(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        """Irreversible. A second send of an ETTN is refused by the service (PermanentError
        with its message); the pipeline probes ``e_document_state`` before any retry."""
        create, _, status_path, kind = self._service_paths(req)
        returning = self._return_reference(req) if is_return_key(req.idempotency_key) else None
        body = mapping.e_document_payload(req, returning)  # mapped before the call: no half-sent data
        endpoint = f"{kind}.create"
        sent = self.http.request("POST", self._service(create), operation=endpoint, json=body).json()
        if not isinstance(sent, dict):
            raise PermanentError(f"{endpoint} answer is not an object", provider=self.name, endpoint=endpoint)
        if sent.get("status") is not None:
            return self._state(req, mapping.status_code(sent, endpoint), sent, endpoint, sent.get("invoiceNumber"))
        # FACTS §4.2: the create answers {id, invoiceNumber}; the status is read once now so
        # the job records the service's own code. The document is sent either way: a failed
        # read is "in progress" (the pipeline follows it), never an error that could resend.
        queued = EDocumentState(SendState.IN_PROGRESS, gib_uuid=req.ettn,
                                invoice_number=sent.get("invoiceNumber") or None)
        if sent.get("id") in (None, ""):
            return queued
        try:
            status = self._get(self._service(status_path.format(id=sent["id"])), f"{kind}.status")
            code = mapping.status_code(status, f"{kind}.status")
            state = self._state(req, code, status, f"{kind}.status", status.get("invoiceNumber") or sent.get("invoiceNumber"))
        except ProviderError:
            return queued
        # A code we cannot read stays in the table's hands at the next poll, not here.
        return state

    def _return_reference(self, req: InvoiceRequest) -> dict[str, Any] | None:
        """A return's İade type and sale reference, as ``create_return_invoice`` saved them in
        Muhasebe: the pipeline's send carries no ``ReturnOf``, and the GİB document must say
        what the saved record says."""
        found = self._invoice(req.ettn)
        if found is None:
            raise PermanentError(
                f"the return invoice {req.ettn} is not saved in Muhasebe; it cannot be sent",
                provider=self.name, endpoint="invoices.get",
            )
        return mapping.saved_return_reference(found)

    def _state(self, req: InvoiceRequest, code: int, answer: dict[str, Any], endpoint: str,
               number: Any) -> EDocumentState:
        state = mapping.send_state(code, endpoint)
        return EDocumentState(
            state=state,
            gib_uuid=req.ettn,
            invoice_number=number or None,
            raw_status=str(code),
            # GİB's own words where an operator must act (an error, a rejection, a cancel).
            message=mapping.status_message(answer) if state in (SendState.FAILED, SendState.CANCELLED) else None,
        )

    def e_document_state(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        _, get, status_path, kind = self._service_paths(req)
        try:
            found = self._get(self._service(get), f"{kind}.getinvoice", guid=req.ettn)
        except PermanentError as exc:
            if _is_not_found(exc):
                return EDocumentState(SendState.NOT_SENT)
            raise
        if not isinstance(found, dict) or found.get("id") in (None, ""):
            raise PermanentError(
                f"{kind}.getinvoice answer has no 'id'", provider=self.name, endpoint=f"{kind}.getinvoice"
            )
        endpoint = f"{kind}.status"
        status = self._get(self._service(status_path.format(id=found["id"])), endpoint)
        code = mapping.status_code(status, endpoint)
        return self._state(req, code, status, endpoint, status.get("invoiceNumber") or found.get("invoiceNumber"))

    # --- journal and cancel ---------------------------------------------------------------

    def journal(self, req: InvoiceRequest, invoice: InvoiceRef) -> JournalRef:
        try:
            self.http.request(
                "POST", self._muhasebe(paths.INVOICES_ACCOUNTING), operation="invoices.accounting",
                json=mapping.accounting_payload(req.ettn),
            )
        except PermanentError:
            # After an unknown outcome the retry is refused as "already journaled": that is
            # success. Any other refusal stands.
            found = self._invoice(req.ettn)
            if found is None or found.get("recordStatus") != JOURNALED:
                raise
        return JournalRef(reference=req.ettn)

    def journal_reference(self, req: InvoiceRequest, invoice: InvoiceRef) -> JournalRef | None:
        """The journal entry if the invoice is journaled now (Muhasebe ``recordStatus`` 1),
        else None: never journaled, reversed since (ters kayıt), or not there at all."""
        found = self._invoice(req.ettn)
        if found is None or found.get("recordStatus") != JOURNALED:
            return None
        return JournalRef(reference=req.ettn)

    def reverse_journal(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        """Ters kayıt (``POST /v1/invoices/reverse``, body ``[{ettn, isSend: true}]``, seed
        004). Made once: the step asks ``journal_reference`` first, and a call on an invoice
        not journaled (any more) is the provider's refusal, kept with its message."""
        self.http.request(
            "POST", self._muhasebe(paths.INVOICES_REVERSE), operation="invoices.reverse",
            json=mapping.accounting_payload(req.ettn),
        )

    def withdraw_draft(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        """``DELETE /v1/invoices?ettn=&isSend=true`` (seed 004): refused for a journaled
        invoice or one sent to GİB — a draft is neither."""
        self.http.request("DELETE", self._muhasebe(paths.INVOICES), operation="invoices.delete",
                          params={"ettn": req.ettn, "isSend": "true"})

    def can_cancel(self, state: EDocumentState) -> bool:
        # FACTS §5.5: Turkcell cancels an e-Arşiv only in status 60 (approved by GİB).
        return state.state is SendState.SENT and str(state.raw_status) == "60"

    def cancel_e_archive(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        if req.route.type is DocumentType.E_FATURA:
            # GİB: an e-Fatura is never cancelled, only answered with a return invoice.
            raise PermanentError(
                "an e-Fatura cannot be cancelled; issue a return (İADE) invoice",
                provider=self.name, endpoint="earchive.cancel",
            )
        self.http.request(
            "PUT", self._service(paths.EARCHIVE_CANCEL), operation="earchive.cancel", json=[req.ettn]
        )

    # --- the buyer's return of an e-Fatura ------------------------------------------------

    def find_buyer_return(self, req: InvoiceRequest, original: ReturnOf) -> RemoteInvoice | None:
        """The buyer's İADE for ``original`` among the incoming invoices (seed 004 "Gelen
        faturaların listelenmesi"): the buyer's İade invoices (filterQuery), 500 per page until
        ``hasNextPage`` is false; those whose payable total is the refund (``req.order.paid_total``)
        are read one by one (``isSend=false``) for the return reference, which the list does
        not show. The first that names ``original`` is the one; None: not arrived yet."""
        index = 0
        while True:
            page = self._get(
                self._muhasebe(paths.INVOICES_INCOMING), "invoices.incoming",
                pageIndex=index, pageSize=self.page_size,
                filterQuery=mapping.incoming_return_filter(req.order.buyer.tax_id),
            )
            for item in page.get("items") or []:
                if not mapping.is_return_candidate(item, req):
                    continue
                ettn = str(item["ettn"])
                found = self._get(self._muhasebe(paths.INVOICE.format(ettn=ettn)), "invoices.get", isSend="false")
                if mapping.returns_original(found, original):
                    return self._remote(item)
            if not page.get("hasNextPage"):
                return None
            index += 1

    # --- going live: read-only checks ------------------------------------------------------

    def check(self) -> list[CheckResult]:
        def token_and_cari_list() -> str:
            page = self._get(self._muhasebe(paths.CURRENT_ACCOUNTS), "currentaccounts.list", pageIndex=0, pageSize=1)
            return f"token accepted; cari list answers ({len(page['items'])} item on the first page)"

        def outgoing_list() -> str:
            page = self._get(self._muhasebe(paths.INVOICES_OUTGOING), "invoices.outgoing", pageIndex=0, pageSize=1)
            return f"outgoing invoice list answers (hasNextPage {bool(page.get('hasNextPage'))}, {len(page['items'])} item)"

        def pool_account() -> str:
            return f"pool account {self.pool_account_code} found (id {self._pool_account()})"

        def directory() -> str:
            # A made-up, checksum-valid VKN nobody holds: 404 is the documented "not a user".
            user = self.directory._ask("1000036109")
            return f"e-Fatura service answers the GİB user lookup (registered={user.registered})"

        return [
            self._check("token + cari list", token_and_cari_list),
            self._check("outgoing invoice list", outgoing_list),
            self._check("pool account", pool_account),
            self._check("GİB directory", directory),
        ]

    # --- reconciliation -------------------------------------------------------------------

    def list_invoices(self, start: date, end: date) -> Iterator[RemoteInvoice]:
        """Outgoing invoices issued in [start, end]: one filter per day
        (``IssueDate ile başlayan YYYY-MM-DD``, a documented operator), 500 per page, pages
        read until ``hasNextPage`` is false.

        The list answer has no description, so ``order_ref`` stays None: reconciliation needs
        none, because our ETTN is a UUIDv5 of the job's idempotency key (``ettn_for``) and
        identifies the order by itself. No per-invoice GET (calls grow with N / 500)."""
        day = start
        while day <= end:
            index = 0
            while True:
                page = self._get(
                    self._muhasebe(paths.INVOICES_OUTGOING), "invoices.outgoing",
                    pageIndex=index, pageSize=self.page_size, filterQuery=mapping.issue_day_filter(day),
                )
                for item in page.get("items") or []:
                    yield self._remote(item)
                if not page.get("hasNextPage"):
                    break
                index += 1
            day += timedelta(days=1)

    def _remote(self, item: dict[str, Any]) -> RemoteInvoice:
        ettn = str(item["ettn"])
        status = item.get("invoiceStatus")
        payable = item.get("payableAmount")
        issued = item.get("issueDate")
        known = isinstance(status, int) and status in mapping.SEND_STATES
        return RemoteInvoice(
            invoice_id=ettn,
            ettn=ettn,
            invoice_number=item.get("invoiceNumber") or None,
            order_ref=None,
            issue_date=datetime.fromisoformat(issued).date() if issued else None,
            total=to_decimal(payable) if payable is not None else None,
            sent=(status not in mapping.NOT_SENT_STATUSES) if known else None,
            journaled=item.get("recordStatus") == JOURNALED if item.get("recordStatus") is not None else None,
        )
