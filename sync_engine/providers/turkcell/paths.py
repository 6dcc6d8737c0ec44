"""Every Turkcell e-Şirket path in one place.

The Muhasebe paths are NOT in the published text (DESIGN §6 gives them); the e-Fatura
service paths are FACTS §4.2's (C, the official ePlatform client). Correct them here against the provider's OpenAPI
file, nowhere else. Muhasebe paths are appended to ``base_url``, e-Fatura service paths to
``efatura_base_url``; ``token_url`` is the full token URL.
"""

from __future__ import annotations

# --- Muhasebe ({base_url}) ---
CURRENT_ACCOUNTS = "/v1/currentaccounts"  # GET list (filterQuery, paging), POST create
CURRENT_ACCOUNT = "/v1/currentaccounts/{id}"  # GET one, PUT update
CURRENT_ACCOUNT_ADDRESSES = "/v1/currentaccountaddresses"  # GET ?currentAccountId=, POST create, PUT update (id in the body, I)
CURRENT_ACCOUNT_ACCOUNTS = "/v1/currentaccountaccounts"  # cari ↔ account matching: GET ?currentAccountId=, POST
ACCOUNTS = "/v1/accounts"  # chart of accounts (filterQuery Code)
INVOICES = "/v1/invoices"  # POST save (same ETTN = update), PUT update, DELETE ?ettn=&isSend=
INVOICE = "/v1/invoices/{ettn}"  # GET ?isSend=true
INVOICES_OUTGOING = "/v1/invoices/outgoing"  # GET list
# ASSUMPTION (I): the incoming list ("Gelen faturaların listelenmesi", seed 004) mirrors the
# outgoing one's path; its invoices are read with INVOICE and ?isSend=false.
INVOICES_INCOMING = "/v1/invoices/incoming"  # GET list
INVOICES_ACCOUNTING = "/v1/invoices/accounting"  # muhasebeleştir
INVOICES_REVERSE = "/v1/invoices/reverse"  # ters kayıt

# --- e-Fatura service ({efatura_base_url}) ---
EARCHIVE_CREATE = "/v2/earchive/create"
EARCHIVE_STATUS = "/v2/earchive/{id}/status"
EARCHIVE_GET = "/v2/earchive/getinvoice"  # ?guid=<ETTN>
EARCHIVE_CANCEL = "/v1/earchive/cancelinvoice"  # PUT, body: [ETTN, ...]
OUTBOX_CREATE = "/v1/outboxinvoice/create"
OUTBOX_STATUS = "/v2/outboxinvoice/{id}/status"  # C FACTS §4.2
OUTBOX_GET = "/v1/outboxinvoice/getinvoice"  # ?guid=<ETTN>
GIBUSER_ISUSER = "/v1/gibuser/isuser"  # ?identifier=&appType=1 → 200 registered / 404 not
GIBUSER_GETUSER = "/v1/gibuser/getuser"  # ?identifier= → aliases
