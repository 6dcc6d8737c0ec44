"""What a job run needs besides the job row: the store's provider adapter and settings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sync_engine.domain.invoice import invoice_date
from sync_engine.domain import Order, compute_invoice
from sync_engine.domain.keys import ettn_for
from sync_engine.providers.base import DocumentRoute, DocumentType, InvoiceRequest, InvoiceSettings, Provider


class StoreLike(Protocol):
    """The parts of a store's configuration the pipeline reads (config.StoreConfig)."""

    id: str
    provider: Any  # has .name, .account_key()
    invoice: Any  # has prefix, website, seller_name, seller_vkn, effective_carrier_*


def invoice_settings(store: StoreLike) -> InvoiceSettings:
    inv = store.invoice
    return InvoiceSettings(
        prefix=inv.prefix,
        website=inv.website,
        seller_name=inv.seller_name,
        seller_vkn=inv.seller_vkn,
        carrier_name=inv.effective_carrier_name,
        carrier_vkn=inv.effective_carrier_vkn,
        default_contact_phone=getattr(inv, "default_contact_phone", None),
        default_contact_email=getattr(inv, "default_contact_email", None),
        proforma_due_days=getattr(inv, "proforma_due_days", 3),
    )


@dataclass(frozen=True)
class StoreRuntime:
    store: StoreLike
    provider: Provider
    settings: InvoiceSettings
    account_key: str


class ProviderResolver:
    """Builds one adapter per store, lazily, and keeps it (its HTTP pool) for the process."""

    def __init__(self, stores: Mapping[str, StoreLike], build: Callable[[StoreLike], Provider]) -> None:
        self._stores = stores
        self._build = build
        self._cache: dict[str, StoreRuntime] = {}
        self._lock = threading.Lock()

    def __call__(self, store_id: str) -> StoreRuntime:
        with self._lock:
            runtime = self._cache.get(store_id)
            if runtime is None:
                store = self._stores.get(store_id)
                if store is None:
                    raise KeyError(f"store {store_id!r} is not in the stores file")
                runtime = StoreRuntime(
                    store=store,
                    provider=self._build(store),
                    settings=invoice_settings(store),
                    account_key=store.provider.account_key(),
                )
                self._cache[store_id] = runtime
            return runtime

    def close(self) -> None:
        with self._lock:
            for runtime in self._cache.values():
                runtime.provider.close()
            self._cache.clear()


def build_request(
    idempotency_key: str, order: Order, settings: InvoiceSettings, document_type: str | None, alias: str | None
) -> InvoiceRequest:
    route = DocumentRoute(DocumentType(document_type or DocumentType.E_ARSIV.value), alias)
    issue: date = invoice_date(order.created_at)
    return InvoiceRequest(
        idempotency_key=idempotency_key,
        ettn=ettn_for(idempotency_key),
        order=order,
        invoice=compute_invoice(order),
        settings=settings,
        route=route,
        issue_date=issue,
    )
