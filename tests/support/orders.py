"""Small builders of domain orders and pipeline runtimes for tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sync_engine.domain import round_kurus, Address, Buyer, BuyerKind, InvoiceLine, LineKind, Order
from sync_engine.pipeline.context import StoreRuntime
from sync_engine.providers.base import InvoiceSettings

SETTINGS = InvoiceSettings(
    prefix="DMS", website="https://demo-shop.example", seller_name="Demo Mağazacılık A.Ş.",
    seller_vkn="1000036109", carrier_name="Demo Mağazacılık A.Ş.", carrier_vkn="1000036109",
)

PERSON = Buyer(
    kind=BuyerKind.PERSON, tax_id="10000000146", first_name="Ayşe", last_name="Yılmaz",
    email="ayse@example.com", phone="5551234567",
    address=Address(line1="Bağdat Cad. No:1", district="Kadıköy", city="İstanbul", postal_code="34710"),
)


def order(order_id: str = "1001", buyer: Buyer = PERSON, store_id: str = "shop", **kw: Any) -> Order:
    lines = kw.pop("lines", None) or (
        InvoiceLine(sku="TSHIRT-1", name="Tişört", quantity=Decimal(2), unit_price=Decimal("149.90"), vat_rate=Decimal(20)),
        InvoiceLine(sku="BOOK-1", name="Kitap", quantity=Decimal(1), unit_price=Decimal("85.00"), vat_rate=Decimal(10), discount=Decimal("5.00")),
        InvoiceLine(name="Kargo", quantity=Decimal(1), unit_price=Decimal("29.99"), vat_rate=Decimal(20), kind=LineKind.SHIPPING),
    )
    paid = kw.pop("paid_total", None)
    if paid is None:
        paid = sum((round_kurus(l.quantity * l.unit_price) - l.discount for l in lines), Decimal(0))
    return Order(
        store_id=store_id, platform="shopify", order_id=order_id, order_name=f"#{order_id}",
        created_at=datetime(2026, 11, 20, 14, 30, tzinfo=UTC), buyer=buyer, lines=tuple(lines),
        paid_total=paid, **kw,
    )


def runtime(provider: Any, account_key: str = "scripted:acct") -> StoreRuntime:
    store = SimpleNamespace(id="shop", provider=SimpleNamespace(name=provider.name, account_key=lambda: account_key))
    return StoreRuntime(store=store, provider=provider, settings=SETTINGS, account_key=account_key)
