"""Simulator of FaturaEntegratör's REST API (a Laravel app), mounted under ``/faturaentegrator``.

Endpoints (method, path, endpoint name for fault rules ``faturaentegrator:<name>:<mode>``):

    POST /api/check/auth                  check_auth           FACTS §2.1
    POST /api/customers                   customers_create     seed 000
    GET  /api/customers                   customers_list       filters[...] + page/per_page
    GET  /api/customers/{id}              customers_get
    POST /api/invoices                    invoices_create      FACTS §2.2
    GET  /api/invoices                    invoices_list        filters[order_id|issue_date|...]
    GET  /api/invoices/{id}               invoices_get         FACTS §2.4 (total, formal_status)
    DELETE /api/invoices/{id}             invoices_delete      FACTS §2.1 (a never-formalized draft)
    POST /api/invoices/{id}/formalize     invoices_formalize   the GİB send (irreversible)
    POST /__sim/formal-failures           (control, no auth)   next formalizations end `failed`

Every POST body is checked against its endpoint's declarative contract (``contract.py``,
written from seed 000 and FACTS §2.1–2.3, each field tagged C or I) and refused in FE's error
shape: ``{"message": ...}``, on 422 with ``errors{dot.key: [...]}`` (``errors.py``). Headers
(C seed 000): ``Authorization: Bearer <api key>`` (the sandbox key is ``DEFAULT_API_KEY``),
``Accept: application/json``, JSON bodies.

Assumptions where the documents are silent (each also next to its code, tagged I):
* No Accept: application/json → 406 (Laravel would redirect to a login page); a non-JSON
  body → 415; malformed JSON → read as empty input → 422 "required" errors (Laravel).
* Unknown ids → 404 ``{"message": "No query results for model [App\\Models\\Invoice] 7"}``.
* Answers are ``{"success": true, "message", "data"}`` (C §2.4 for show; I elsewhere);
  lists are Laravel resource collections (``data``/``links``/``meta``), ``page`` +
  ``per_page`` (≤ 100), ``sort=id:asc``; filters are Strapi-style (query.py).
  ``tax_number`` and ``order_id`` are not unique.
* Amounts are computed by FE, per line, half-up, VAT from the net (totals.py), and shown as
  ``subtotal``/``tax``/``total`` strings with 2 decimals.
* ``formal_status`` (C §2.3): ``null`` until formalize; formalize → ``pending`` (202), after
  half a ``state.status_step_s`` → ``running``, after one → ``completed`` (or ``failed`` with
  ``formal_message`` when the failure switch was set; a failed invoice may be formalized
  again, keeping its number and ETTN). ``canceled`` and ``not_required`` are reached only in
  the panel (``set_formal_status``). Formalizing an invoice already at GİB is refused (422).
* FE picks e-Fatura (buyer in GİB's directory; first alias) or e-Arşiv itself; an e-Arşiv on
  an ``internet`` sale channel without ``is_internet_sale`` + ``internet_sale`` is refused at
  formalize (422). GİB number: prefix of the invoice integration (default ``FEN``) +
  issue-date year + 9 digits, and a random UUID as ETTN (``uuid``), both at the first formalize.

* An ``IADE`` (or ``TEVKIFATIADE``) invoice names its sale by ``return_invoice_number`` +
  ``return_invoice_date`` (I: no FE source names the reference); it is refused (422) unless
  that is a ``completed`` SATIS invoice of that date and the return's total fits in what the
  sale still holds (its total less earlier returns against it).
* DELETE of an invoice whose formalize was ever asked for (``formal_status`` not null) is
  refused (422, like a second formalize): only a draft is deleted.

Ledger kinds: ``cari_created`` (key: tax_number), ``invoice_created`` (key: invoice id,
detail order_id), ``return_invoice_created`` (key: invoice id; detail order_id, return_of),
``invoice_deleted`` (key: invoice id; a draft deleted through the API), ``gib_send`` (key: invoice id; detail gib_uuid, document_type,
invoice_number, alias), ``gib_rejected`` (key: invoice id; GİB refused a sent document),
``invoice_deleted_in_panel`` / ``invoice_edited_in_panel`` (test switches
``delete_in_panel`` / ``edit_total_in_panel``: a person acting in the web panel).
"""

from sync_engine.sandbox.faturaentegrator.contract import CONTRACTS
from sync_engine.sandbox.faturaentegrator.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_PREFIX,
    NAME,
    FaturaEntegratorSimulator,
)

SIMULATOR = FaturaEntegratorSimulator

__all__ = ["CONTRACTS", "DEFAULT_API_KEY", "DEFAULT_PREFIX", "NAME", "SIMULATOR", "FaturaEntegratorSimulator"]
