"""Turkcell e-Şirket simulator: the Muhasebe API, its OAuth2 token endpoint and the e-Fatura
service, under ``/turkcell``.

URL layout (``{sandbox}`` = the sandbox server URL):
* token: ``POST {sandbox}/turkcell/v1/token`` (form: username, password, client_id=serviceApi)
* Muhasebe: ``{sandbox}/turkcell/v1/...`` (so ``base_url = {sandbox}/turkcell``)
* e-Fatura service: ``{sandbox}/turkcell/efatura/v1/...`` and ``/v2/...``
  (so ``efatura_base_url = {sandbox}/turkcell/efatura``)
Both services accept the same bearer token; it expires on the sandbox clock.

Endpoints and their names for fault rules (``turkcell:<name>:<mode>``):

| method | path | name |
|---|---|---|
| POST | /v1/token | token |
| GET | /v1/currentaccounts | cari_list |
| GET | /v1/currentaccounts/{id} | cari_get |
| POST | /v1/currentaccounts | cari_create |
| PUT | /v1/currentaccounts/{id} | cari_update |
| GET | /v1/currentaccountaddresses?currentAccountId= | address_list |
| POST | /v1/currentaccountaddresses | address_create |
| PUT | /v1/currentaccountaddresses | address_update |
| GET | /v1/currentaccountaccounts?currentAccountId= | cari_account_list |
| POST | /v1/currentaccountaccounts | cari_account_create |
| GET | /v1/accounts | account_list |
| GET | /v1/invoices/outgoing | invoice_list |
| GET | /v1/invoices/incoming | invoice_incoming_list |
| GET | /v1/invoices/{ettn}?isSend= | invoice_get (isSend=false: an incoming invoice) |
| POST | /v1/invoices | invoice_save |
| PUT | /v1/invoices | invoice_update |
| DELETE | /v1/invoices?ettn=&isSend= | invoice_delete |
| POST | /v1/invoices/accounting | invoice_accounting |
| POST | /v1/invoices/reverse | invoice_reverse |
| POST | /efatura/v2/earchive/create | earchive_create |
| POST | /efatura/v1/outboxinvoice/create | outbox_create |
| GET | /efatura/v2/earchive/{id}/status | earchive_status |
| GET | /efatura/v2/outboxinvoice/{id}/status | outbox_status |
| GET | /efatura/v2/earchive/getinvoice?guid= | earchive_getinvoice |
| GET | /efatura/v1/outboxinvoice/getinvoice?guid= | outbox_getinvoice |
| PUT | /efatura/v1/earchive/cancelinvoice | earchive_cancel |
| GET | /efatura/v1/gibuser/isuser?identifier=&appType=1 | gibuser_isuser |
| GET | /efatura/v1/gibuser/getuser?identifier= | gibuser_getuser |

Not Turkcell, a dev hook: ``POST /turkcell/__sandbox/incoming`` places another party's
e-Fatura (e.g. a buyer's İADE) in the incoming list (no token, no fault rules, no ledger entry:
it is the other party's effect, not ours).

Every request is first checked against its endpoint's declarative contract (``contract.py``);
the handlers keep only the stateful checks.

Ledger kinds: cari_created, cari_updated, address_created, address_updated, cari_matched, invoice_created,
return_invoice_created (a Muhasebe save of an İade, detail ``returns``: the sale's number),
invoice_updated, invoice_deleted, gib_send (detail ``invoice_type`` SATIS / IADE), journal,
journal_reversed, cancel.

Assumptions where the documents are silent are written next to the code that makes them;
the main ones: validation refusals answer 400 (415 for a non-JSON body), unknown records
404, a second GİB send of one ETTN 409, all as ``{"Error": "…"}``; the token endpoint answers
bad credentials with 422 ``{"error", "error_description"}`` (OAuth2 style); the gateway
answers a missing, unknown or expired bearer token with 401.
"""

from sync_engine.sandbox.turkcell.contract import CONTRACTS
from sync_engine.sandbox.turkcell.simulator import CLIENT_ID, NAME, SIMULATOR, TOKEN_TTL_S, TurkcellSimulator

__all__ = ["CLIENT_ID", "CONTRACTS", "NAME", "SIMULATOR", "TOKEN_TTL_S", "TurkcellSimulator"]
