"""FaturaEntegratör's endpoints we call (C FACTS §2.1), under the account's base URL; the
API lives under ``/api`` (live ``https://app.faturaentegrator.com/api``)."""

from __future__ import annotations

CHECK_AUTH = "/api/check/auth"  # POST: is the API key valid
CUSTOMERS = "/api/customers"  # GET (list, filters[...]) / POST (create, seed 000)
INVOICES = "/api/invoices"  # GET (list, filters[...]) / POST (create, FACTS §2.2)


def invoice(invoice_id: str) -> str:
    """GET: the invoice, its totals and formal_status (FACTS §2.4); DELETE: a draft (§2.1)."""
    return f"{INVOICES}/{invoice_id}"


def formalize(invoice_id: str) -> str:
    """POST: send the invoice to GİB (resmileştir; irreversible)."""
    return f"{INVOICES}/{invoice_id}/formalize"
