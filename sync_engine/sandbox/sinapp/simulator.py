"""The SinApp Muhasebe API simulator (provider doc 001, DESIGN §6/§7).

Served under ``/sinapp``; the documented paths follow exactly (``/sinapp/api/v1/...``).

Endpoints (name = the fault-rule endpoint name):

=======  ===============================  ================  ==================================
method   path                             endpoint name     effect
=======  ===============================  ================  ==================================
POST     /api/v1/invoice_operations.php   invoice_create    create (buyer embedded); 409 on a
POST     /api/v1/invoices.php             invoice_create    repeated ``invoice_id`` (DESIGN §6)
PUT      /api/v1/invoice_operations.php   invoice_update    status / buyer; ``paid`` records
                                                            the payment
DELETE   /api/v1/invoice_operations.php   invoice_delete    soft cancel (``is_deleted`` = 2)
GET      /api/v1/invoices.php             invoice_get       detail by ``number`` + ``order``
=======  ===============================  ================  ==================================

Ledger kinds: ``invoice_created`` (key: our ``invoice_id``), ``invoice_updated``,
``payment_recorded`` (status became ``paid``), ``cancel`` (status became ``cancelled``, by
PUT or DELETE) and ``invoice_deleted`` (a DELETE that cancelled: the request is a delete,
its effect a soft cancel, so both kinds are recorded once).

Assumptions where the document is silent (each repeated next to its code):
* Auth is checked before anything else; every refusal is ``{"success": false, "message"}``.
  The detail GET answers ``{"status": "success", ...}``, so its errors carry
  ``"status": "error"`` as well.
* Every request is checked against its endpoint's declarative contract (``contract.py``,
  written from the document); a violation answers 400 with every problem in ``message``.
  An unknown invoice answers 404, a repeated ``invoice_id`` 409.
  A create answers 200 with the documented body.
* One SinApp installation is one account ("https://[sizin-domaininiz]/api/v1/"): every
  credential pair sees the same invoices.
* SinApp is not a GİB integrator: it assigns its own number ``INV-<year>-<seq>`` (the
  documented examples ``INV-2024-001``), a numeric id, and no ETTN. A new invoice is
  ``draft``; statuses change only by PUT (nothing progresses on the clock).
* ``number`` in the GET, and ``invoice_id`` in PUT/DELETE, may be either SinApp's invoice
  number or the caller's ``invoice_id``: the document calls it both "Fatura numarası" and
  shows ``inv_67e3f12d8da67`` in it, so both are accepted.
* DELETE takes its parameters as a JSON body (as POST/PUT do), else from the query string.
* A repeated DELETE of a cancelled invoice answers success again with no new effect; PUT on a
  cancelled invoice is refused (a cancelled invoice is final).
* The 409 on a repeated create and the 404 of a GET are answers to legitimate probes, not
  contract violations; every other refusal is recorded in ``state.violations``.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers

from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.http_util import content_type
from sync_engine.sandbox.contract import Contract
from sync_engine.sandbox.sinapp import contract as contracts
from sync_engine.sandbox.sinapp.model import (
    Course,
    StoredInvoice,
    detail_data,
    detail_error,
    error,
    money,
)

NAME = "sinapp"
PREFIX = "/sinapp"
# Both documented create paths (FACTS §3: the reference says invoice_operations.php, the
# getting-started page and code samples invoices.php) take the same body.
CREATE_PATHS = ("/api/v1/invoice_operations.php", "/api/v1/invoices.php")
OPERATIONS_PATH = "/api/v1/invoice_operations.php"
DETAIL_PATH = "/api/v1/invoices.php"

# Seeded credentials of the demo installation; tests may add more with add_credentials().
DEMO_API_KEY = "sinapp-demo-key"
DEMO_API_SECRET = "sinapp-demo-secret"

# SinApp is a Turkish PHP application: its dates are Istanbul local time.
ISTANBUL = ZoneInfo("Europe/Istanbul")


@dataclass(frozen=True)
class _Call:
    headers: Headers
    content_type: str
    body: bytes
    query: dict[str, str]


class SinAppSimulator:
    name = NAME
    prefix = PREFIX

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._credentials: dict[str, str] = {}
        self._invoices: dict[str, StoredInvoice] = {}
        self._by_number: dict[str, str] = {}
        self._year_seq: Counter[int] = Counter()
        self._next_id = 0
        self._next_item_id = 0
        self._received: list[tuple[str, Any]] = []
        self.reset()

    # --- control -----------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._credentials = {DEMO_API_KEY: DEMO_API_SECRET}
            self._invoices.clear()
            self._by_number.clear()
            self._year_seq.clear()
            self._next_id = 0
            self._next_item_id = 0
            self._received.clear()

    def received(self, endpoint: str | None = None) -> list[Any]:
        """Every authenticated request body (the query for GET) as parsed, per contract key
        (``"POST /api/v1/invoice_operations.php"``), oldest first: what the contract tests
        check against ``CONTRACTS``."""
        with self._lock:
            return [body for ep, body in self._received if endpoint is None or ep == endpoint]

    def add_credentials(self, api_key: str, api_secret: str) -> None:
        with self._lock:
            self._credentials[api_key] = api_secret

    def invoices(self) -> list[StoredInvoice]:
        with self._lock:
            return list(self._invoices.values())

    def invoice(self, handle: str) -> StoredInvoice | None:
        with self._lock:
            return self._lookup(handle)

    # --- HTTP --------------------------------------------------------------------------

    def router(self) -> APIRouter:
        r = APIRouter()

        async def run(
            request: Request,
            endpoint: str,
            handler: Callable[[_Call], Response],
            on_error: Callable[[int, str], Response] = error,
        ) -> Response:
            call = _Call(
                headers=request.headers,
                content_type=content_type(request),
                body=await request.body(),
                query=dict(request.query_params),
            )
            return await self.state.guarded_async(NAME, endpoint, lambda: handler(call), on_error)

        def create_at(path: str) -> Callable[[Request], Any]:
            key = f"POST {path}"

            async def create(request: Request) -> Response:
                return await run(request, "invoice_create", lambda call: self._create(call, key))

            return create

        for path in CREATE_PATHS:
            r.add_api_route(path, create_at(path), methods=["POST"])

        @r.put(OPERATIONS_PATH)
        async def update(request: Request) -> Response:
            return await run(request, "invoice_update", self._update)

        @r.delete(OPERATIONS_PATH)
        async def delete(request: Request) -> Response:
            return await run(request, "invoice_delete", self._delete)

        @r.get(DETAIL_PATH)
        async def detail(request: Request) -> Response:
            return await run(request, "invoice_get", self._detail, detail_error)

        return r

    # --- shared checks -----------------------------------------------------------------

    def _refuse(
        self,
        endpoint: str,
        status: int,
        message: str,
        on_error: Callable[[int, str], Response] = error,
        *,
        violation: bool = True,
    ) -> Response:
        if violation:
            self.state.violations.add(NAME, endpoint, status, message)
        return on_error(status, message)

    def _authenticate(self, call: _Call) -> str | None:
        """The refusal message, or None when the key and secret match."""
        key = call.headers.get("x-api-key")
        secret = call.headers.get("x-api-secret")
        if not key or not secret:
            return "Kimlik doğrulama başarısız: X-Api-Key ve X-Api-Secret başlıkları gereklidir"
        with self._lock:
            expected = self._credentials.get(key)
        # Constant-time compare even on the simulator: it is the reference the adapter is
        # tested against, and the real check is a secret comparison.
        if expected is None or not hmac.compare_digest(expected.encode(), secret.encode()):
            return "Kimlik doğrulama başarısız: geçersiz API anahtarı veya gizli anahtar"
        return None

    def _json(self, call: _Call) -> tuple[Any, str | None]:
        if call.content_type != "application/json":
            return None, "İstek gövdesi JSON olmalıdır (Content-Type: application/json)"
        try:
            return json.loads(call.body, parse_float=Decimal, parse_constant=_no_constant), None
        except (ValueError, UnicodeDecodeError):
            return None, "Geçersiz JSON"

    def _check(
        self,
        ep: str,
        contract: Contract,
        body: Any,
        on_error: Callable[[int, str], Response] = error,
    ) -> Response | None:
        """Log the request, then refuse it in SinApp's error shape if it breaks the contract."""
        with self._lock:
            self._received.append((contract.endpoint, body))
        found = contract.violations(body)
        if not found:
            return None
        status = next((v.status for v in found if v.status is not None), 400)
        return self._refuse(ep, status, "; ".join(v.message for v in found), on_error)

    def _lookup(self, handle: str) -> StoredInvoice | None:
        invoice_id = handle if handle in self._invoices else self._by_number.get(handle)
        return self._invoices.get(invoice_id) if invoice_id is not None else None

    def _now(self) -> datetime:
        return self.state.clock.now().astimezone(ISTANBUL)

    # --- create ------------------------------------------------------------------------

    def _create(self, call: _Call, key: str) -> Response:
        ep = "invoice_create"
        if (problem := self._authenticate(call)) is not None:
            return self._refuse(ep, 401, problem)
        body, problem = self._json(call)
        if problem is not None:
            return self._refuse(ep, 400, problem)
        if (refused := self._check(ep, contracts.CONTRACTS[key], body)) is not None:
            return refused

        billing = body["fatura_bilgileri"]
        details = body["siparis_detaylari"]
        invoice_id = billing["invoice_id"]
        now = self._now()
        with self._lock:
            if invoice_id in self._invoices:
                # The client-chosen id is unique: a retry after a lost answer lands here.
                return self._refuse(
                    ep, 409, f"Bu invoice_id ile bir fatura zaten mevcut: {invoice_id}",
                    violation=False,
                )
            self._next_id += 1
            self._year_seq[now.year] += 1
            courses = []
            for course in details["courses"]:
                self._next_item_id += 1
                courses.append(Course(self._next_item_id, course["title"], Decimal(course["price"])))
            is_deleted = details.get("is_deleted") or 0
            stored = StoredInvoice(
                id=self._next_id,
                invoice_id=invoice_id,
                invoice_number=f"INV-{now.year}-{self._year_seq[now.year]:03d}",
                order_id=billing.get("order_id") or details.get("order_id"),
                # Assumed: created as a draft; is_deleted=2 ("İptal edildi") creates it cancelled.
                status="cancelled" if is_deleted == 2 else "draft",
                is_deleted=is_deleted,
                channel=dict(body["Channel"]),
                customer={k: billing.get(k) for k in contracts.CUSTOMER_KEYS},
                personal=dict(body.get("kisisel_bilgiler") or {}),
                courses=courses,
                total=Decimal(details["total_course_price"]),
                payment={
                    "amount": Decimal(details["amount"]),
                    "payment_method": details.get("payment_method"),
                    "payment_solution": details.get("payment_solution"),
                    "bank_name": details.get("bank_name"),
                    "payment_date": details.get("payment_date"),
                },
                created_at=now,
            )
            self._invoices[invoice_id] = stored
            self._by_number[stored.invoice_number] = invoice_id
        self.state.ledger.record(
            NAME, "invoice_created", invoice_id,
            id=stored.id, invoice_number=stored.invoice_number, order_id=stored.order_id,
            total=money(stored.total), courses=len(courses),
        )
        return JSONResponse(
            {
                "success": True,
                "message": "Fatura başarıyla oluşturuldu",
                "invoice_id": stored.id,
                "invoice_number": stored.invoice_number,
            }
        )

    # --- update ------------------------------------------------------------------------

    def _update(self, call: _Call) -> Response:
        ep = "invoice_update"
        if (problem := self._authenticate(call)) is not None:
            return self._refuse(ep, 401, problem)
        body, problem = self._json(call)
        if problem is not None:
            return self._refuse(ep, 400, problem)
        if (refused := self._check(ep, contracts.UPDATE, body)) is not None:
            return refused

        status: str = body["status"]
        changes = {
            k: v for k, v in (body.get("customer") or {}).items() if k in contracts.CUSTOMER_KEYS
        }
        with self._lock:
            stored = self._lookup(body["invoice_id"])
            refusal = _match_refusal(stored, body.get("order_id"))
            if refusal is not None:
                return self._refuse(ep, 404, refusal)
            assert stored is not None
            if stored.status == "cancelled" and status != "cancelled":
                return self._refuse(ep, 400, "İptal edilmiş bir fatura güncellenemez")
            merged = {**stored.customer, **changes}
            if merged.get("invoice_type") == "company":
                problems = contracts.company_problems(
                    "customer", merged.get("company_name"), merged.get("tax_number"),
                    merged.get("tax_office"),
                )
                if problems:
                    return self._refuse(ep, 400, "; ".join(problems))
            previous = stored.status
            changed_fields = sorted(k for k in changes if stored.customer.get(k) != changes[k])
            stored.customer = merged
            stored.status = status
            if status == "cancelled":
                stored.is_deleted = 2
            if status != previous:
                stored.history.append(f"{previous}->{status}")
        if status != previous or changed_fields:
            self.state.ledger.record(
                NAME, "invoice_updated", stored.invoice_id,
                status=status, previous_status=previous, fields=changed_fields,
            )
        if status != previous and status == "paid":
            self.state.ledger.record(
                NAME, "payment_recorded", stored.invoice_id,
                amount=money(stored.payment["amount"]), invoice_number=stored.invoice_number,
            )
        if status != previous and status == "cancelled":
            self.state.ledger.record(NAME, "cancel", stored.invoice_id, via="PUT")
        return JSONResponse(
            {
                "success": True,
                "message": "Fatura başarıyla güncellendi",
                "invoice_id": stored.invoice_number,
            }
        )

    # --- delete (soft cancel) ----------------------------------------------------------

    def _delete(self, call: _Call) -> Response:
        ep = "invoice_delete"
        if (problem := self._authenticate(call)) is not None:
            return self._refuse(ep, 401, problem)
        # Assumed: the parameters come as a JSON body like POST/PUT; a client that sends no
        # body may give them in the query string instead.
        if call.body.strip():
            params, problem = self._json(call)
            if problem is not None:
                return self._refuse(ep, 400, problem)
        else:
            params = call.query
        if (refused := self._check(ep, contracts.DELETE, params)) is not None:
            return refused

        with self._lock:
            stored = self._lookup(params["invoice_id"])
            refusal = _match_refusal(stored, params.get("order_id"))
            if refusal is not None:
                return self._refuse(ep, 404, refusal)
            assert stored is not None
            cancelled_now = stored.status != "cancelled"
            if cancelled_now:
                stored.history.append(f"{stored.status}->cancelled")
                stored.status = "cancelled"
                stored.is_deleted = 2
        if cancelled_now:
            self.state.ledger.record(NAME, "invoice_deleted", stored.invoice_id, soft=True)
            self.state.ledger.record(NAME, "cancel", stored.invoice_id, via="DELETE")
        return JSONResponse(
            {
                "success": True,
                "message": "Fatura başarıyla iptal edildi olarak işaretlendi",
                "invoice_id": stored.invoice_number,
                "order_id": stored.order_id,
            }
        )

    # --- detail ------------------------------------------------------------------------

    def _detail(self, call: _Call) -> Response:
        ep = "invoice_get"
        if (problem := self._authenticate(call)) is not None:
            return self._refuse(ep, 401, problem, detail_error)
        if (refused := self._check(ep, contracts.DETAIL, call.query, detail_error)) is not None:
            return refused
        with self._lock:
            stored = self._lookup(call.query["number"])
            # Documented as an integer "Sipariş ID'si", but its own examples use order
            # numbers like SPR2025-2: compared as text.
            if stored is None or stored.order_id != call.query["order"]:
                return self._refuse(ep, 404, "Fatura bulunamadı", detail_error, violation=False)
            data = detail_data(stored)
        return JSONResponse({"status": "success", "data": data})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _match_refusal(stored: StoredInvoice | None, order_id: Any) -> str | None:
    if stored is None:
        return "Fatura bulunamadı"
    # "Eğer sağlanırsa, hem fatura numarası hem de sipariş numarası eşleşmelidir."
    if order_id is not None and order_id != stored.order_id:
        return "Fatura bulunamadı: fatura numarası ile sipariş numarası eşleşmiyor"
    return None
