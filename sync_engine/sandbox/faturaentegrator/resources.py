"""Resources of the FaturaEntegratör simulator: the stored invoice and how it is rendered.

The show answer (C FACTS §2.4) is ``{"success": true, "data": {…}, "message": "…"}`` with
``invoice_number``, ``invoice_date``, ``formal_status``, ``workflow_status``, ``pdf_url``,
``total``, ``subtotal``, ``tax``, ``created_at`` / ``updated_at`` (ISO, ``.000000Z``).
Assumptions (I): amounts are strings with 2 decimals (Laravel ``decimal:2`` casts); the ETTN
is ``uuid`` (GİB's UBL element name); GİB's refusal text is ``formal_message``; the request's
own fields are echoed back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


def money(value: Decimal) -> str:
    return format(value, ".2f")


def number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def laravel_time(value: datetime) -> str:
    """Laravel's JSON timestamps: UTC with microseconds and ``Z`` (C FACTS §2.4)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Invoice:
    id: int
    data: dict[str, Any]  # the accepted request, amounts as Decimals, dates as dates
    customer: dict[str, Any]  # the buyer as printed on this invoice
    totals: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    # C §2.3 InvoiceFormalStatus; None until formalize is asked for (I: the Odoo client
    # treats a missing formal_status as "not sent").
    formal_status: str | None = None
    workflow_status: str = "completed"  # I: the draft is built synchronously at create
    formal_type: str | None = None  # e_invoice | e_archive (C §2.3 InvoiceFormalType)
    alias: str | None = None  # the receiver's posta kutusu for an e-Fatura
    invoice_number: str | None = None
    uuid: str | None = None  # ETTN, assigned by the provider
    formalized_at: datetime | None = None
    formal_message: str | None = None
    fail_with: str | None = None  # set by the failure switch at formalize time

    @property
    def issue_date(self) -> date:
        return self.data["issue_date"]

    def row(self) -> dict[str, Any]:
        """Flat values the list filters and sort read."""
        return {
            "id": self.id, "order_id": self.data.get("order_id"),
            "issue_date": self.issue_date.isoformat(), "formal_status": self.formal_status,
            "type": self.data.get("type"), "invoice_number": self.invoice_number, "uuid": self.uuid,
            "customer_id": self.customer.get("id"), "sale_channel_id": self.data["sale_channel_id"],
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def render_invoice(invoice: Invoice) -> dict[str, Any]:
    d, t = invoice.data, invoice.totals
    lines = [
        {
            **_plain({k: v for k, v in line.items() if k not in ("discount_amount", "net_amount", "tax_amount", "total_amount")}),
            "discount_amount": money(line["discount_amount"]), "net_amount": money(line["net_amount"]),
            "tax_amount": money(line["tax_amount"]), "total_amount": money(line["total_amount"]),
        }
        for line in t["lines"]
    ]
    completed = invoice.formal_status == "completed"
    return {
        "id": invoice.id,
        **_plain({k: v for k, v in d.items() if k not in ("lines", "customer")}),
        "type": d.get("type") or "SATIS",
        "customer": _plain(invoice.customer),
        "customer_id": invoice.customer.get("id"),
        "lines": lines,
        "invoice_date": invoice.issue_date.isoformat(),
        "discount_total": money(t["discount_total"]),
        "subtotal": money(t["subtotal"]),
        "tax": money(t["tax"]),
        "total": money(t["total"]),
        "formal_status": invoice.formal_status,
        "workflow_status": invoice.workflow_status,
        "formal_type": invoice.formal_type,
        "formal_message": invoice.formal_message,
        "alias": invoice.alias,
        "invoice_number": invoice.invoice_number,
        "uuid": invoice.uuid,
        "pdf_url": f"/api/invoices/{invoice.id}/formal-pdf" if completed else None,
        "created_at": laravel_time(invoice.created_at),
        "updated_at": laravel_time(invoice.updated_at),
    }
