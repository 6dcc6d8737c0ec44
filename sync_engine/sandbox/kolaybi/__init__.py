"""KolayBi simulator (mounted under ``/kolaybi``; the adapter's ``base_url`` is
``{sandbox}/kolaybi`` and it appends the documented ``/kolaybi/v1/...`` paths).

Endpoints, with the names fault rules use (``kolaybi:<endpoint>:<mode>``):

| method | path (after the mount)                        | endpoint name       |
|--------|-----------------------------------------------|---------------------|
| POST   | /kolaybi/v1/access_token                      | access_token        |
| GET    | /kolaybi/v1/associates?identity_no=&code=     | associates_search   |
| POST   | /kolaybi/v1/associates                        | associates_create   |
| POST   | /kolaybi/v1/address/create                    | addresses_create    |
| GET    | /kolaybi/v1/products?code=                    | products_search     |
| POST   | /kolaybi/v1/products                          | products_create     |
| POST   | /kolaybi/v1/invoices                          | invoices_create     |
| GET    | /kolaybi/v1/invoices?type=&page=&per_page=    | invoices_list       |
| GET    | /kolaybi/v1/invoices/{document_id}            | invoices_get        |
| DELETE | /kolaybi/v1/invoices/{document_id}            | invoices_delete     |
| POST   | /kolaybi/v1/invoices/e-document/create        | e_document_create   |
| POST   | /kolaybi/v1/invoices/e-document/cancel        | e_document_cancel   |
| POST   | /kolaybi/v1/proformas                         | proformas_create    |
| GET    | /kolaybi/v1/e_document/invoices?company_id=…  | e_documents_list    |
| GET    | /kolaybi/v1/companies                         | companies_list      |

Every request is checked against its endpoint's declarative contract (``contract.py``,
written from seeds 002/003 and FACTS §1) before the handler runs; a violation answers 422
``{"success": false, "message": …}`` naming every problem, and is recorded in
``state.violations``.

Contract (documents 002/003 and DESIGN §6/§7): a token from ``access_token`` (``api_key`` as
JSON or form, plus the ``Channel`` header; answer ``{"success": true, "data": "<token>"}``,
valid 24 h on the sandbox clock, no refresh endpoint). Every other call needs
``Authorization: Bearer <token>`` and the same ``Channel``, and a form-encoded body with
bracket keys (urlencoded or multipart); JSON bodies are refused with 415. Errors are
``{"success": false, "message": …}``: 401 bad/expired token or key, 400 no Channel, 403 a
Channel other than the token's, 404 unknown invoice, 415 JSON body, 422 every validation and
business rule (see ``contacts`` and ``documents`` for the rules and assumptions).

Seeded account: api_key ``kolaybi-sandbox-api-key`` on channel ``sync-engine`` (GİB series
``KOL``); tests add more with ``add_account``. Ledger kinds: ``cari_created`` (identity_no, or
``identity_no:code``), ``address_created``, ``product_created`` (code), ``invoice_created``,
``return_invoice_created`` (a ``sale_return_invoice``; detail ``return_of``: the GİB numbers it
returns), ``invoice_deleted``, ``gib_send``, ``cancel`` (document id), ``gib_rejected``,
``proforma_created``.
"""

from sync_engine.sandbox.kolaybi.books import DEFAULT_API_KEY, DEFAULT_CHANNEL
from sync_engine.sandbox.kolaybi.simulator import KolayBiSimulator

SIMULATOR = KolayBiSimulator

__all__ = ["DEFAULT_API_KEY", "DEFAULT_CHANNEL", "SIMULATOR", "KolayBiSimulator"]
