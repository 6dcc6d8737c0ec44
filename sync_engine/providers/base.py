"""The one small Protocol every accounting / e-invoice provider implements.

Support is *declared*: each provider lists its ``capabilities``; the pipeline skips a step
whose capability is missing (never faked), and calling an undeclared operation raises
``UnsupportedCapability`` (django-anymail's pattern). To add a provider, see
docs/adding-a-provider.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from sync_engine.domain import ComputedInvoice, Order
from sync_engine.domain.states import DocumentType
from sync_engine.providers.errors import ProviderError, UnsupportedCapability


class Capability(StrEnum):
    CUSTOMER = "customer"  # upsert the buyer as a cari
    INVOICE = "invoice"  # create the invoice (idempotently)
    E_DOCUMENT = "e_document"  # send to GİB (irreversible)
    E_DOCUMENT_STATE = "e_document_state"  # ask whether / how it was sent (probe)
    JOURNAL = "journal"  # muhasebeleştir
    FIND_INVOICE = "find_invoice"  # find by our key, after an unknown outcome
    LIST_INVOICES = "list_invoices"  # a date window, for reconciliation
    GIB_DIRECTORY = "gib_directory"  # asks GİB's registered-user list for routing
    PROFORMA = "proforma"  # a proforma for an order awaiting payment (havale / EFT)
    # An e-Arşiv cancelled at GİB after its send, when the order is cancelled at the shop
    # (the cancel job's step). Declared only where a flow of the product calls it (the matrix
    # must tell the truth): returns and journal reversals add theirs when they exist.
    CANCEL_E_ARCHIVE = "cancel_e_archive"
    # A draft invoice (saved, never sent to GİB) deleted at the provider when the order is
    # cancelled before the send.
    WITHDRAW_DRAFT = "withdraw_draft"
    # A return (İADE) invoice for what a refund gave back, referencing the sale invoice
    # (the return job's invoice step; its e_document and journal steps use the sale's calls).
    RETURN_INVOICE = "return_invoice"
    # The journal entry of a cancelled or returned invoice reversed at the provider (ters kayıt).
    REVERSE_JOURNAL = "reverse_journal"
    # The buyer's own return (İADE) invoice for an e-Fatura found in the provider's incoming
    # invoice list (an e-Fatura cannot be cancelled or returned by the seller: FACTS §5.5).
    BUYER_RETURNS = "buyer_returns"


class Routing(StrEnum):
    """Who decides e-Fatura vs e-Arşiv for a buyer (a row of the feature matrix)."""

    DIRECTORY = "directory"  # we ask GİB's registered-user list through the provider
    PROVIDER = "provider"  # the provider looks the buyer up itself at send time
    NONE = "none"  # no GİB step at this provider


class RouteSource(StrEnum):
    """Where a job's document type came from; recorded on the job with the time."""

    GIB_DIRECTORY = "gib_directory"  # a registration lookup (cached at most a day)
    SHOP_FLAG = "shop_flag"  # the order itself says the buyer is an e-Fatura user
    ANONYMOUS = "anonymous"  # no real tax id (11111111111): e-Arşiv without a lookup
    PROVIDER = "provider"  # the provider decides at send time
    DEFAULT = "default"  # no lookup possible: e-Arşiv


@dataclass(frozen=True)
class DocumentRoute:
    type: DocumentType
    alias: str | None = None  # urn:mail:... for e-Fatura
    source: RouteSource = RouteSource.DEFAULT
    checked_at: datetime | None = None  # when the registration was looked up (GIB_DIRECTORY)


@dataclass(frozen=True)
class InvoiceSettings:
    """The store's invoice identity ([stores.invoice])."""

    prefix: str
    website: str
    seller_name: str
    seller_vkn: str
    carrier_name: str
    carrier_vkn: str
    # Fallbacks for contact fields a provider requires and the shop did not give
    # ([stores.invoice] default_contact_phone / default_contact_email).
    default_contact_phone: str | None = None
    default_contact_email: str | None = None
    proforma_due_days: int = 3  # a proforma's payment term ([stores.invoice] proforma_due_days)


@dataclass(frozen=True)
class InvoiceRequest:
    """Everything an adapter needs to create, send and journal one invoice."""

    idempotency_key: str
    ettn: str  # UUIDv5 of the idempotency key
    order: Order
    invoice: ComputedInvoice
    settings: InvoiceSettings
    route: DocumentRoute
    issue_date: date

    @property
    def reference(self) -> str:
        """What a person (and reconciliation) searches for: the shop's order name and id."""
        return f"{self.order.order_name} ({self.order.platform} {self.order.order_id})"


@dataclass(frozen=True)
class ReturnOf:
    """The sale invoice a return (İADE) invoice answers, as GİB's return reference needs it
    (FACTS §5.5: Turkcell ``returnInvoiceNumber``/``returnInvoiceDate``, KolayBi
    ``return_invoice_references[serial_no, issue_date]``, FaturaEntegratör ``type: IADE``)."""

    invoice_id: str  # the provider's handle of the sale invoice
    invoice_number: str | None  # its GİB number (e.g. ABC2026000000001)
    issue_date: date | None  # its issue date
    ettn: str | None = None
    document_type: DocumentType | None = None


@dataclass(frozen=True)
class CustomerRef:
    customer_id: str
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. KolayBi address id


@dataclass(frozen=True)
class InvoiceRef:
    invoice_id: str  # the provider's handle for the invoice (for Turkcell: the ETTN)
    ettn: str | None = None
    invoice_number: str | None = None
    # The payable total (KDV included) as the provider computed it, from its own answer;
    # None where the provider returns none. The pipeline compares it with what the customer
    # paid before the irreversible GİB send.
    total: Decimal | None = None


class SendState(StrEnum):
    NOT_SENT = "not_sent"  # the provider says it has not been sent: the only state that permits a send
    IN_PROGRESS = "in_progress"  # queued / being formalised, no final answer yet: never resend, poll
    SENT = "sent"  # GİB's final positive answer (Turkcell 50/60, KolayBi sent/approved, FE completed)
    FAILED = "failed"  # an error or rejection (Turkcell 40/80, failed, rejected): needs an operator
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class EDocumentState:
    state: SendState
    gib_uuid: str | None = None
    invoice_number: str | None = None
    raw_status: str | None = None  # the provider's own status, for operators
    message: str | None = None  # GİB's / the provider's own words for an error or rejection


@dataclass(frozen=True)
class ProformaRef:
    proforma_id: str  # the provider's handle for the proforma
    number: str | None = None  # its serial / number as the provider shows it
    total: Decimal | None = None  # the payable total as the provider computed it


@dataclass(frozen=True)
class JournalRef:
    reference: str


@dataclass(frozen=True)
class RemoteInvoice:
    """One invoice as a provider lists it (reconciliation)."""

    invoice_id: str
    ettn: str | None
    invoice_number: str | None
    order_ref: str | None  # our order reference as found in description / order id
    issue_date: date | None
    total: Decimal | None
    sent: bool | None  # None: the list does not say
    journaled: bool | None


@dataclass(frozen=True)
class CheckResult:
    """One read-only check of ``sync-engine providers check``."""

    name: str  # e.g. "token", "invoice list", "GİB directory", "pool account"
    ok: bool
    detail: str  # what was seen, or what would break and why


@runtime_checkable
class Provider(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    list_page_size: ClassVar[int]
    routing: ClassVar[Routing]

    def route(self, order: Order) -> DocumentRoute: ...
    def upsert_customer(self, order: Order, known: CustomerRef | None = None) -> CustomerRef: ...
    def create_invoice(self, req: InvoiceRequest, customer: CustomerRef | None) -> InvoiceRef: ...
    def find_invoice(self, req: InvoiceRequest) -> InvoiceRef | None: ...
    def send_e_document(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState: ...
    def e_document_state(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState: ...
    def journal(self, req: InvoiceRequest, invoice: InvoiceRef) -> JournalRef: ...
    def list_invoices(self, start: date, end: date) -> Iterator[RemoteInvoice]: ...
    def journal_reference(self, req: InvoiceRequest, invoice: InvoiceRef) -> JournalRef | None: ...
    def create_proforma(self, req: InvoiceRequest, customer: CustomerRef | None) -> ProformaRef: ...
    def find_proforma(self, req: InvoiceRequest) -> ProformaRef | None: ...
    def rounding_difference(self, req: InvoiceRequest) -> Decimal: ...
    def cancel_e_archive(self, req: InvoiceRequest, invoice: InvoiceRef) -> None: ...
    def withdraw_draft(self, req: InvoiceRequest, invoice: InvoiceRef) -> None: ...
    def can_cancel(self, state: EDocumentState) -> bool: ...
    def create_return_invoice(self, req: InvoiceRequest, original: ReturnOf, customer: CustomerRef | None) -> InvoiceRef: ...
    def reverse_journal(self, req: InvoiceRequest, invoice: InvoiceRef) -> None: ...
    def journal_reversed(self, req: InvoiceRequest, invoice: InvoiceRef) -> bool | None: ...
    def find_buyer_return(self, req: InvoiceRequest, original: ReturnOf) -> RemoteInvoice | None: ...
    def check(self) -> list[CheckResult]: ...
    def close(self) -> None: ...


class BaseProvider:
    """Defaults for every operation: unsupported. A provider overrides what it offers and
    lists it in ``capabilities``; a test checks the two agree."""

    name: ClassVar[str] = "base"
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    list_page_size: ClassVar[int] = 100
    routing: ClassVar[Routing] = Routing.PROVIDER

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def _unsupported(self, capability: Capability) -> UnsupportedCapability:
        return UnsupportedCapability(self.name, capability.value)

    def route(self, order: Order) -> DocumentRoute:
        """Without a GİB directory: the buyer's registration flag from the order; else the
        provider decides at send time (``Routing.PROVIDER``) or, failing that, e-Arşiv."""
        buyer = order.buyer
        if buyer.efatura_registered and buyer.efatura_alias:
            return DocumentRoute(DocumentType.E_FATURA, buyer.efatura_alias, RouteSource.SHOP_FLAG)
        source = RouteSource.PROVIDER if self.routing is Routing.PROVIDER else RouteSource.DEFAULT
        return DocumentRoute(DocumentType.E_ARSIV, None, source)

    def upsert_customer(self, order: Order, known: CustomerRef | None = None) -> CustomerRef:
        """Find or create the buyer's cari; with ``known`` (the cari mapped earlier), bring
        the provider's record up to date (name, address, e-mail, phone) and return it."""
        raise self._unsupported(Capability.CUSTOMER)

    def create_invoice(self, req: InvoiceRequest, customer: CustomerRef | None) -> InvoiceRef:
        raise self._unsupported(Capability.INVOICE)

    def find_invoice(self, req: InvoiceRequest) -> InvoiceRef | None:
        raise self._unsupported(Capability.FIND_INVOICE)

    def send_e_document(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        raise self._unsupported(Capability.E_DOCUMENT)

    def e_document_state(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState:
        raise self._unsupported(Capability.E_DOCUMENT_STATE)

    def journal(self, req: InvoiceRequest, invoice: InvoiceRef) -> JournalRef:
        raise self._unsupported(Capability.JOURNAL)

    def list_invoices(self, start: date, end: date) -> Iterator[RemoteInvoice]:
        raise self._unsupported(Capability.LIST_INVOICES)

    def create_proforma(self, req: InvoiceRequest, customer: CustomerRef | None) -> ProformaRef:
        """A proforma for ``req`` (an unpaid order), due ``settings.proforma_due_days`` after
        the issue date; idempotent like ``create_invoice`` (search before create)."""
        raise self._unsupported(Capability.PROFORMA)

    def find_proforma(self, req: InvoiceRequest) -> ProformaRef | None:
        """The proforma made for ``req`` earlier, after an unknown outcome; None if none."""
        raise self._unsupported(Capability.PROFORMA)

    def journal_reference(self, req: InvoiceRequest, invoice: InvoiceRef) -> JournalRef | None:
        """After an unknown journal outcome: the existing journal entry, or None when the
        provider says there is none (or cannot say)."""
        return None

    def cancel_e_archive(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        """Cancel a sent e-Arşiv at GİB (e-Arşiv iptal). The cancel step asks
        ``e_document_state`` before and after: a lost answer is never a second cancel."""
        raise self._unsupported(Capability.CANCEL_E_ARCHIVE)

    def withdraw_draft(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        """Delete a draft invoice that never went to GİB (its order was cancelled first). The
        step looks the draft up before (``find_invoice``): one already gone is not deleted again."""
        raise self._unsupported(Capability.WITHDRAW_DRAFT)

    def create_return_invoice(self, req: InvoiceRequest, original: ReturnOf, customer: CustomerRef | None) -> InvoiceRef:
        """Create the return (İADE) invoice ``req`` describes (its order holds exactly the
        refunded lines, shipping and amounts; its idempotency key is the return job's),
        referencing ``original``; idempotent like ``create_invoice`` (``find_invoice(req)``
        finds it after an unknown outcome). It is sent and journaled with the sale's calls."""
        raise self._unsupported(Capability.RETURN_INVOICE)

    def reverse_journal(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        """Reverse the journal entry of ``invoice`` (ters kayıt), after its e-Arşiv was
        cancelled. Not idempotent at any provider: the cancel job commits its intent first
        and, after an unknown outcome, asks ``journal_reversed`` before calling again."""
        raise self._unsupported(Capability.REVERSE_JOURNAL)

    def journal_reversed(self, req: InvoiceRequest, invoice: InvoiceRef) -> bool | None:
        """After a reversal with an unknown outcome: True reversed, False still journaled,
        None the provider cannot say (the job then asks an operator, never reverses twice).
        By default read from ``journal_reference`` where the adapter implements it — no entry
        any more means reversed; an adapter whose reversed entries stay listed overrides this."""
        if type(self).journal_reference is BaseProvider.journal_reference:
            return None  # the default journal_reference cannot tell "none" from "cannot say"
        return self.journal_reference(req, invoice) is None

    def find_buyer_return(self, req: InvoiceRequest, original: ReturnOf) -> RemoteInvoice | None:
        """The buyer's return (İADE) invoice answering the e-Fatura ``original`` for the
        refund ``req`` describes (its order: the refunded lines, its paid_total: the refunded
        amount), from the provider's incoming invoice list; None: not arrived yet."""
        raise self._unsupported(Capability.BUYER_RETURNS)

    def can_cancel(self, state: EDocumentState) -> bool:
        """Whether the document, in this state, can be cancelled now (False: not yet — the
        cancel step waits for it)."""
        return state.state is SendState.SENT

    def rounding_difference(self, req: InvoiceRequest) -> Decimal:
        """What the provider's own arithmetic leaves between its total and the paid total."""
        return Decimal("0.00")

    def check(self) -> list[CheckResult]:
        """Read-only calls that verify credentials, base URLs and the answer shapes we rely
        on (``sync-engine providers check``). Never creates anything."""
        return []

    @staticmethod
    def _check(name: str, call: Callable[[], str]) -> CheckResult:
        """One check: ``call`` makes the read-only request, reads the answer shape it relies
        on and says what it saw; any failure becomes a failed check with the reason."""
        try:
            return CheckResult(name, True, call())
        except ProviderError as exc:
            return CheckResult(name, False, f"{type(exc).__name__}: {exc}")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return CheckResult(name, False, f"unexpected answer shape ({type(exc).__name__}: {exc})")

    def close(self) -> None:
        """Release HTTP clients."""
