"""Turkcell e-Şirket: Muhasebe API (cari, invoice, muhasebeleştir) + the e-Fatura service
(GİB send, status, e-Arşiv cancel, GİB registered-user lookup), one bearer token for both.

Idempotency (DESIGN §3): the invoice ETTN is ours, and saving an ETTN again updates the
invoice instead of duplicating it; caris are searched (filterQuery) before they are created.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import redis

from sync_engine.domain import BuyerKind, Order, mask, to_decimal
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
    SendState,
)
from sync_engine.providers.errors import PermanentError
from sync_engine.providers.http import ProviderHttp, RateBudget, make_client
from sync_engine.providers.ratelimit import RedisTokenBucket
from sync_engine.providers.turkcell import mapping, paths
from sync_engine.providers.turkcell.directory import GibUserDirectory

if TYPE_CHECKING:
    from sync_engine.providers.turkcell.config import TurkcellEsirketConfig

CLIENT_ID = "serviceApi"
# e-Fatura service status → our send state (anymail's explicit table; unknown → IN_PROGRESS,
# the safe side: a state we cannot read must never permit a second send).
SEND_STATES: dict[int, SendState] = {
    0: SendState.NOT_SENT,  # draft in the service: not sent
    20: SendState.IN_PROGRESS,  # queued
    30: SendState.IN_PROGRESS,  # awaiting send
    40: SendState.FAILED,  # error
    50: SendState.SENT,  # delivered to GİB
    60: SendState.SENT,  # approved
    80: SendState.FAILED,  # rejected
    100: SendState.CANCELLED,  # e-Arşiv cancelled
}
SENT_STATUSES = frozenset({20, 30, 50, 60, 80, 100})
JOURNALED = 1  # Muhasebe recordStatus


def message_of(response: httpx.Response) -> str:
    """The provider's own error text: Muhasebe's ``{"Error": "…"}``; the token endpoint's
    OAuth-style ``error_description`` as a fallback."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for key in ("Error", "error_description", "error", "message"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
    return response.text[:200]


def _token_from(response: httpx.Response) -> Token:
    body = response.json()
    # Documented quirk: expires_in arrives as a string ("86400").
    return Token(value=str(body["access_token"]), expires_in_s=float(body.get("expires_in") or 3600))


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

    def _find_cari(self, order: Order) -> int | None:
        page = self._get(
            self._muhasebe(paths.CURRENT_ACCOUNTS), "currentaccounts.list",
            pageIndex=0, pageSize=10, filterQuery=mapping.cari_filter(order.buyer),
        )
        items = page.get("items") or []
        return int(items[0]["id"]) if items else None

    def upsert_customer(self, order: Order) -> CustomerRef:
        cari_id = self._find_cari(order)
        if cari_id is None:
            try:
                created = self.http.request(
                    "POST", self._muhasebe(paths.CURRENT_ACCOUNTS), operation="currentaccounts.create",
                    json=mapping.cari_payload(order),
                ).json()
                cari_id = int(created["id"])
            except PermanentError:
                # One cari per VKN/TCKN: a refusal may mean a concurrent or earlier
                # (unknown-outcome) create won. Use that cari; otherwise the refusal stands.
                cari_id = self._find_cari(order)
                if cari_id is None:
                    raise
        self._ensure_matched(cari_id)
        return CustomerRef(
            customer_id=str(cari_id),
            extra={"identifier": order.buyer.tax_id, "code": order.buyer.distinguishing_code},
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
        ).json()
        number = (saved.get("generalInfoModel") or {}).get("invoiceNumber") if isinstance(saved, dict) else None
        return InvoiceRef(invoice_id=req.ettn, ettn=req.ettn, invoice_number=number or None)

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
        return InvoiceRef(invoice_id=req.ettn, ettn=req.ettn, invoice_number=number or None)

    # --- GİB send -----------------------------------------------------------------------

    @staticmethod
    def _service_paths(req: InvoiceRequest) -> tuple[str, str, str, str]:
        if req.route.type is DocumentType.E_FATURA:
            return paths.OUTBOX_CREATE, paths.OUTBOX_GET, paths.OUTBOX_STATUS, "outboxinvoice"
        return paths.EARCHIVE_CREATE, paths.EARCHIVE_GET, paths.EARCHIVE_STATUS, "earchive"

    def send_e_document(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        """Irreversible. A second send of an ETTN is refused by the service (PermanentError
        with its message); the pipeline probes ``e_document_state`` before any retry."""
        create, _, _, kind = self._service_paths(req)
        sent = self.http.request(
            "POST", self._service(create), operation=f"{kind}.create", json=mapping.e_document_payload(req)
        ).json()
        status = sent.get("status")
        return EDocumentState(
            state=SEND_STATES.get(status, SendState.IN_PROGRESS) if isinstance(status, int) else SendState.IN_PROGRESS,
            gib_uuid=req.ettn,
            invoice_number=sent.get("invoiceNumber"),
            raw_status=str(status) if status is not None else None,
        )

    def e_document_state(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        _, get, status_path, kind = self._service_paths(req)
        try:
            found = self._get(self._service(get), f"{kind}.getinvoice", guid=req.ettn)
        except PermanentError as exc:
            if _is_not_found(exc):
                return EDocumentState(SendState.NOT_SENT)
            raise
        status = self._get(self._service(status_path.format(id=found["id"])), f"{kind}.status")
        code = status.get("status")
        state = SEND_STATES.get(code, SendState.IN_PROGRESS) if isinstance(code, int) else SendState.IN_PROGRESS
        return EDocumentState(
            state=state,
            gib_uuid=req.ettn,
            invoice_number=status.get("invoiceNumber") or found.get("invoiceNumber"),
            raw_status=str(code),
        )

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

    def cancel_invoice(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        if req.route.type is DocumentType.E_FATURA:
            # GİB: an e-Fatura is never cancelled, only answered with a return invoice.
            raise PermanentError(
                "an e-Fatura cannot be cancelled; issue a return (İADE) invoice",
                provider=self.name, endpoint="earchive.cancel",
            )
        self.http.request(
            "PUT", self._service(paths.EARCHIVE_CANCEL), operation="earchive.cancel", json=[req.ettn]
        )

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
        """Outgoing invoices issued in [start, end], 500 per page, one list call per page.

        The list answer has no description, so ``order_ref`` stays None: reconciliation needs
        none, because our ETTN is a UUIDv5 of the job's idempotency key (``ettn_for``) and
        identifies the order by itself. No per-invoice GET (calls grow with N / 500)."""
        index = 0
        window = mapping.issue_window_filter(start, end)
        while True:
            page = self._get(
                self._muhasebe(paths.INVOICES_OUTGOING), "invoices.outgoing",
                pageIndex=index, pageSize=self.page_size, filterQuery=window,
            )
            for item in page.get("items") or []:
                yield self._remote(item)
            if not page.get("hasNextPage"):
                return
            index += 1

    def _remote(self, item: dict[str, Any]) -> RemoteInvoice:
        ettn = str(item["ettn"])
        status = item.get("invoiceStatus")
        payable = item.get("payableAmount")
        issued = item.get("issueDate")
        return RemoteInvoice(
            invoice_id=ettn,
            ettn=ettn,
            invoice_number=item.get("invoiceNumber") or None,
            order_ref=None,
            issue_date=datetime.fromisoformat(issued).date() if issued else None,
            total=to_decimal(payable) if payable is not None else None,
            sent=status in SENT_STATUSES if isinstance(status, int) else None,
            journaled=item.get("recordStatus") == JOURNALED if item.get("recordStatus") is not None else None,
        )


PROVIDER = TurkcellEsirketProvider
