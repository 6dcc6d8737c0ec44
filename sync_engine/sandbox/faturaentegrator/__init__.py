"""Simulator of FaturaEntegratör's REST API (a Laravel app), mounted under ``/faturaentegrator``.

Endpoints (method, path, endpoint name for fault rules ``faturaentegrator:<name>:<mode>``):

    POST /api/customers                   customers_create     documented (provider-docs/000)
    GET  /api/customers                   customers_list       filters[...] + page/per_page
    GET  /api/customers/{id}              customers_get
    POST /api/invoices                    invoices_create      schema assumed: see schemas.py
    GET  /api/invoices                    invoices_list        filters[order_id|issue_date|...]
    GET  /api/invoices/{id}               invoices_get         formal_status and GİB fields
    POST /api/invoices/{id}/formalize     invoices_formalize   the GİB send (irreversible)
    POST /__sim/formal-failures           (control, no auth)   next formalizations end `failed`

Contract (documented): ``Authorization: Bearer <api key>`` (a static key; the sandbox key is
``DEFAULT_API_KEY``), ``Accept: application/json``, JSON bodies; errors are Laravel's
``{"message": ...}`` and on 422 ``{"message": ..., "errors": {field: [...]}}``.

Assumptions where the documents are silent (each also next to its code):
* No Accept: application/json → 406 (Laravel would redirect to a login page); a non-JSON
  body → 415; malformed JSON → read as empty input → 422 "required" errors (Laravel).
* Unknown ids → 404 ``{"message": "No query results for model [App\\Models\\Invoice] 7"}``.
* Created resources answer 201 ``{"data": {...}}``; lists are Laravel resource collections
  (``data``/``links``/``meta``), ``page`` + ``per_page`` (≤ 100), ``sort=id:asc``; filters
  are Strapi-style (query.py). ``tax_number`` and ``order_id`` are not unique.
* Amounts are computed by the provider, per line, half-up (totals.py) and rendered as
  strings with 2 decimals (Laravel ``decimal:2`` casts).
* ``formal_status``: ``pending`` at creation; formalize → ``running`` (202), then after one
  ``state.status_step_s`` → ``completed`` (or ``failed`` when the failure switch was set;
  a ``failed`` invoice may be formalized again, keeping its number and ETTN).
  ``canceled`` and ``not_required`` exist in the provider's vocabulary but no simulated
  endpoint reaches them (no cancel endpoint is documented). Formalizing an invoice that is
  ``running``/``completed`` is refused with 422 and nothing is sent.
* The provider picks e-Fatura (buyer in GİB's directory; first alias) or e-Arşiv itself; an
  e-Arşiv on an ``internet`` sale channel without ``internet_sale`` details is refused (422).
  GİB number: prefix of the invoice integration (default ``FEN``) + issue-date year + 9
  digits, and a random UUID as ETTN, both assigned at the first formalize.

Ledger kinds: ``cari_created`` (key: tax_number), ``invoice_created`` (key: invoice id,
detail order_id), ``gib_send`` (key: invoice id; detail gib_uuid, document_type,
invoice_number, alias), ``gib_rejected`` (key: invoice id; GİB refused a sent document),
``invoice_deleted_in_panel`` / ``invoice_edited_in_panel`` (test switches
``delete_in_panel`` / ``edit_total_in_panel``: a person acting in the web panel).
"""

from sync_engine.sandbox.faturaentegrator.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_PREFIX,
    NAME,
    FaturaEntegratorSimulator,
)

SIMULATOR = FaturaEntegratorSimulator

__all__ = ["DEFAULT_API_KEY", "DEFAULT_PREFIX", "NAME", "SIMULATOR", "FaturaEntegratorSimulator"]
