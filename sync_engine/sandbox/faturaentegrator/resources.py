"""Resources of the FaturaEntegratör simulator: the stored invoice and how it is rendered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


def _money(value: Decimal) -> str:
    return format(value, ".2f")


def _number(value: Decimal, min_places: int = 0) -> str:
    normal = value.normalize()
    if -normal.as_tuple().exponent < min_places:  # type: ignore[operator]
        normal = normal.quantize(Decimal(1).scaleb(-min_places))
    return format(normal, "f")


@dataclass
class Invoice:
    id: int
    data: dict[str, Any]
    totals: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    formal_status: str = "pending"
    formal_type: str | None = None  # e_fatura | e_arsiv, decided at formalize
    alias: str | None = None  # the receiver's posta kutusu for an e-Fatura
    invoice_number: str | None = None
    uuid: str | None = None  # ETTN, assigned by the provider
    formalized_at: datetime | None = None
    formal_message: str | None = None
    fail_with: str | None = None  # set by the failure switch at formalize time

    def row(self) -> dict[str, Any]:
        """Flat values the list filters and sort read."""
        return {
            "id": self.id, "order_id": self.data["order_id"],
            "issue_date": self.data["issue_date"].isoformat(), "formal_status": self.formal_status,
            "type": self.data["type"], "invoice_number": self.invoice_number, "uuid": self.uuid,
            "customer_id": self.data["customer_id"], "sale_channel_id": self.data["sale_channel_id"],
        }


def render_invoice(invoice: Invoice, customer: dict[str, Any]) -> dict[str, Any]:
    """The invoice resource as the API answers it (amounts as strings: Laravel decimal:2)."""
    d, t = invoice.data, invoice.totals
    internet_sale = d["internet_sale"]
    if internet_sale is not None:
        internet_sale = {
            **internet_sale,
            "shipment_date": internet_sale["shipment_date"].isoformat() if internet_sale["shipment_date"] else None,
        }
    return {
        "id": invoice.id,
        "customer": {
            "id": customer["id"], "type": customer["type"], "tax_number": customer["tax_number"],
            "title": customer["title"], "name": customer["name"], "surname": customer["surname"],
        },
        "sale_channel_id": d["sale_channel_id"],
        "invoice_integration_id": d["invoice_integration_id"],
        "order_id": d["order_id"],
        "description": d["description"],
        "note": d["note"],
        "type": d["type"],
        "currency": d["currency"],
        "exchange_rate": _number(d["exchange_rate"]) if d["exchange_rate"] is not None else None,
        "issue_date": d["issue_date"].isoformat(),
        "payment_method": d["payment_method"],
        "payment_date": d["payment_date"].isoformat() if d["payment_date"] else None,
        "internet_sale": internet_sale,
        "lines": [
            {
                "name": line["name"], "code": line["code"], "quantity": _number(line["quantity"]),
                "unit": line["unit"], "unit_price": _number(line["unit_price"], 2),
                "vat_rate": int(line["vat_rate"]), "discount_amount": _money(line["discount_amount"]),
                "vat_exemption_code": line["vat_exemption_code"],
                "net_amount": _money(line["net_amount"]), "vat_amount": _money(line["vat_amount"]),
                "total_amount": _money(line["total_amount"]),
            }
            for line in t["lines"]
        ],
        "vat_totals": [
            {"vat_rate": int(v["vat_rate"]), "net_amount": _money(v["net_amount"]), "vat_amount": _money(v["vat_amount"])}
            for v in t["vat_totals"]
        ],
        "discount_total": _money(t["discount_total"]),
        "net_total": _money(t["net_total"]),
        "vat_total": _money(t["vat_total"]),
        "grand_total": _money(t["grand_total"]),
        "formal_status": invoice.formal_status,
        "formal_type": invoice.formal_type,
        "formal_message": invoice.formal_message,
        "alias": invoice.alias,
        "invoice_number": invoice.invoice_number,
        "uuid": invoice.uuid,
        "formalized_at": invoice.formalized_at.isoformat() if invoice.formalized_at else None,
        "created_at": invoice.created_at.isoformat(),
        "updated_at": invoice.updated_at.isoformat(),
    }
