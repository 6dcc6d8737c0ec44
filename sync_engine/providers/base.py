"""The one small Protocol every accounting / e-invoice provider implements.

Support is *declared*: each provider lists its ``capabilities``; the pipeline skips a step
whose capability is missing (never faked), and calling an undeclared operation raises
``UnsupportedCapability`` (django-anymail's pattern). To add a provider, see
docs/adding-a-provider.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from sync_engine.domain import ComputedInvoice, Order
from sync_engine.providers.errors import UnsupportedCapability


class Capability(StrEnum):
    CUSTOMER = "customer"  # upsert the buyer as a cari
    INVOICE = "invoice"  # create the invoice (idempotently)
    E_DOCUMENT = "e_document"  # send to GİB (irreversible)
    E_DOCUMENT_STATE = "e_document_state"  # ask whether / how it was sent (probe)
    JOURNAL = "journal"  # muhasebeleştir
    FIND_INVOICE = "find_invoice"  # find by our key, after an unknown outcome
    LIST_INVOICES = "list_invoices"  # a date window, for reconciliation
    CANCEL = "cancel"  # e-Arşiv cancel / soft delete
    GIB_DIRECTORY = "gib_directory"  # asks GİB's registered-user list for routing


class DocumentType(StrEnum):
    E_FATURA = "e_fatura"
    E_ARSIV = "e_arsiv"


@dataclass(frozen=True)
class DocumentRoute:
    type: DocumentType
    alias: str | None = None  # urn:mail:... for e-Fatura


@dataclass(frozen=True)
class InvoiceSettings:
    """The store's invoice identity ([stores.invoice])."""

    prefix: str
    website: str
    seller_name: str
    seller_vkn: str
    carrier_name: str
    carrier_vkn: str


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
class CustomerRef:
    customer_id: str
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. KolayBi address id


@dataclass(frozen=True)
class InvoiceRef:
    invoice_id: str  # the provider's handle for the invoice (for Turkcell: the ETTN)
    ettn: str | None = None
    invoice_number: str | None = None


class SendState(StrEnum):
    NOT_SENT = "not_sent"  # the provider says it has not been sent: the only state that permits a send
    IN_PROGRESS = "in_progress"  # queued / being formalised: sent as far as safety goes
    SENT = "sent"  # at GİB (delivered / approved)
    FAILED = "failed"  # the provider tried and GİB refused; needs an operator
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class EDocumentState:
    state: SendState
    gib_uuid: str | None = None
    invoice_number: str | None = None
    raw_status: str | None = None  # the provider's own status, for operators


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


@runtime_checkable
class Provider(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    list_page_size: ClassVar[int]

    def route(self, order: Order) -> DocumentRoute: ...
    def upsert_customer(self, order: Order) -> CustomerRef: ...
    def create_invoice(self, req: InvoiceRequest, customer: CustomerRef | None) -> InvoiceRef: ...
    def find_invoice(self, req: InvoiceRequest) -> InvoiceRef | None: ...
    def send_e_document(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState: ...
    def e_document_state(self, req: InvoiceRequest, invoice: InvoiceRef) -> EDocumentState: ...
    def journal(self, req: InvoiceRequest, invoice: InvoiceRef) -> JournalRef: ...
    def list_invoices(self, start: date, end: date) -> Iterator[RemoteInvoice]: ...
    def cancel_invoice(self, req: InvoiceRequest, invoice: InvoiceRef) -> None: ...
    def close(self) -> None: ...


class BaseProvider:
    """Defaults for every operation: unsupported. A provider overrides what it offers and
    lists it in ``capabilities``; a test checks the two agree."""

    name: ClassVar[str] = "base"
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    list_page_size: ClassVar[int] = 100

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def _unsupported(self, capability: Capability) -> UnsupportedCapability:
        return UnsupportedCapability(self.name, capability.value)

    def route(self, order: Order) -> DocumentRoute:
        """Without a GİB directory: the buyer's registration flag from the order, else e-Arşiv."""
        buyer = order.buyer
        if buyer.efatura_registered and buyer.efatura_alias:
            return DocumentRoute(DocumentType.E_FATURA, buyer.efatura_alias)
        return DocumentRoute(DocumentType.E_ARSIV)

    def upsert_customer(self, order: Order) -> CustomerRef:
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

    def cancel_invoice(self, req: InvoiceRequest, invoice: InvoiceRef) -> None:
        raise self._unsupported(Capability.CANCEL)

    def close(self) -> None:
        """Release HTTP clients."""
