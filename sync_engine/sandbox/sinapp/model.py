"""The SinApp simulator's stored invoice and the shapes it answers with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi.responses import JSONResponse, Response


def error(status: int, message: str) -> Response:
    return JSONResponse({"success": False, "message": message}, status_code=status)


def detail_error(status: int, message: str) -> Response:
    return JSONResponse(
        {"status": "error", "success": False, "message": message}, status_code=status
    )


def money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


@dataclass
class Course:
    item_id: int
    title: str
    price: Decimal


@dataclass
class StoredInvoice:
    id: int
    invoice_id: str  # the caller's id (inv_67e3f12d8da67)
    invoice_number: str  # SinApp's (INV-2024-001)
    order_id: str | None
    status: str
    is_deleted: int
    channel: dict[str, Any]
    customer: dict[str, Any]
    personal: dict[str, Any]
    courses: list[Course]
    total: Decimal
    payment: dict[str, Any]
    created_at: datetime
    history: list[str] = field(default_factory=list)


def detail_data(inv: StoredInvoice) -> dict[str, Any]:
    c = inv.customer
    payment = inv.payment
    personal = inv.personal
    return {
        "invoice": {
            "id": str(inv.id),
            "invoice_number": inv.invoice_number,
            "order_id": inv.order_id,
            "invoice_date": inv.created_at.strftime("%Y-%m-%d"),
            "status": inv.status,
            "currency": "TRY",
            "grand_total": money(inv.total),
            "notes": None,
            "created_at": inv.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "created_by": "api",
        },
        "customer": {
            "invoice_type": c.get("invoice_type"),
            "company_name": c.get("company_name"),
            "tax_number": c.get("tax_number"),
            "tax_office": c.get("tax_office"),
            "contact_name": c.get("contact_name"),
            "contact_surname": c.get("contact_surname"),
            "contact_phone": c.get("contact_phone"),
            "contact_email": c.get("contact_email"),
            "contact_address": c.get("contact_address"),
            "district": c.get("contact_district"),
            "province": c.get("contact_city"),
        },
        # A course has no quantity: it is one item whose unit price is the line's total.
        "items": [
            {
                "id": str(course.item_id),
                "description": course.title,
                "quantity": "1",
                "unit_price": money(course.price),
                "total_amount": money(course.price),
            }
            for course in inv.courses
        ],
        "payment": {
            "amount": money(payment["amount"]),
            "payment_method": payment["payment_method"],
            "payment_solution": payment["payment_solution"],
            "bank_name": payment["bank_name"],
            "payment_date": payment["payment_date"],
            "payer_name": personal.get("users_namesurname") or c.get("full_name"),
            "payer_email": personal.get("contact_email") or c.get("contact_email"),
        },
    }
