"""The KolayBi simulator's books: accounts, tokens and records, with their id sequences.

One ``Books`` per simulator; every read and write happens under ``lock`` (the endpoints run
in uvicorn's thread pool). Records belong to a company (``company_id``); an account never
sees another company's records.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.kolaybi import fields
from sync_engine.sandbox.kolaybi.records import (
    APPROVED,
    SENT,
    Account,
    Associate,
    Invoice,
    Product,
    Proforma,
    Token,
)

NAME = "kolaybi"

# The seeded sandbox account (demo and tests). Assumption: an API key belongs to one company
# and is issued for one integrator channel; the Channel header must name that channel.
DEFAULT_API_KEY = "kolaybi-sandbox-api-key"
DEFAULT_CHANNEL = "sync-engine"
DEFAULT_COMPANY_ID = 1

TOKEN_LIFETIME = timedelta(hours=24)
MAX_PER_PAGE = 100  # assumed cap of `per_page` on list endpoints
DEFAULT_PER_PAGE = 20

# Distinct id ranges, so a test that passes an associate id where an address id belongs fails.
_ID_START = {"associate": 1001, "address": 5001, "product": 2001, "invoice": 9001,
             "item": 70001, "proforma": 301, "company": 2}


class Books:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.accounts: dict[str, Account] = {}
            self.tokens: dict[str, Token] = {}
            self.tokens_issued = 0
            self.associates: dict[int, Associate] = {}
            self.products: dict[int, Product] = {}
            self.invoices: dict[int, Invoice] = {}
            self.proformas: dict[int, Proforma] = {}
            # Every authenticated request as parsed (form, or query for a GET), per contract
            # endpoint, oldest first: what the contract tests check the adapter's requests by.
            self.received: list[tuple[str, dict[str, Any]]] = []
            self._ids = {kind: itertools.count(start) for kind, start in _ID_START.items()}
            seeded = Account(DEFAULT_API_KEY, DEFAULT_CHANNEL, DEFAULT_COMPANY_ID)
            self.accounts[DEFAULT_API_KEY] = seeded

    def add_account(self, api_key: str, channel: str, *, serial_prefix: str = "KOL") -> Account:
        with self.lock:
            account = Account(api_key, channel, next(self._ids["company"]), serial_prefix)
            self.accounts[api_key] = account
            return account

    def next_id(self, kind: str) -> int:
        return next(self._ids[kind])

    def now_iso(self) -> str:
        return self.state.clock.now().replace(microsecond=0).isoformat()

    def numbering_account(self, account: Account) -> str:
        return f"{NAME}:{account.company_id}"

    # --- lookups scoped to one company -------------------------------------------------

    def associate(self, account: Account, associate_id: int | None, key: str) -> Associate:
        found = self.associates.get(associate_id) if associate_id is not None else None
        if found is None or found.company_id != account.company_id:
            raise fields.invalid(f"{key}: no associate (cari) with id {associate_id}")
        return found

    def product(self, account: Account, product_id: int | None, key: str) -> Product:
        found = self.products.get(product_id) if product_id is not None else None
        if found is None or found.company_id != account.company_id:
            raise fields.invalid(f"{key}: no product with id {product_id}")
        return found

    def invoice(self, account: Account, document_id: int) -> Invoice:
        found = self.invoices.get(document_id)
        if found is None or found.company_id != account.company_id:
            raise fields.Refusal(404, f"Fatura bulunamadı (document_id {document_id})")
        self.progress(found)
        return found

    def company_invoices(self, account: Account) -> Iterator[Invoice]:
        for inv in sorted(self.invoices.values(), key=lambda i: i.id):
            if inv.company_id == account.company_id:
                self.progress(inv)
                yield inv

    def progress(self, inv: Invoice) -> None:
        """GİB answers on the sandbox clock: sent → approved one status step later."""
        if inv.status == SENT and inv.sent_at is not None:
            if self.state.clock.now() >= inv.sent_at + timedelta(seconds=self.state.status_step_s):
                inv.status = APPROVED


def paginate(rows: Sequence[dict[str, Any]], params: Mapping[str, Any]) -> dict[str, Any]:
    """A list answer as KolayBi documents it (C FACTS §1.2 [KD-inv-list]): the rows in
    ``data`` and ``pagination{current_page, per_page, total}`` beside them; ``page`` and
    ``per_page`` as a public client sends them (I)."""
    page = fields.integer(params, "page") or 1
    per_page = fields.integer(params, "per_page") or DEFAULT_PER_PAGE
    if per_page > MAX_PER_PAGE:
        raise fields.invalid(f"per_page may not be greater than {MAX_PER_PAGE}")
    start = (page - 1) * per_page
    return {
        "success": True, "data": list(rows[start : start + per_page]),
        "pagination": {"current_page": page, "per_page": per_page, "total": len(rows)},
    }
