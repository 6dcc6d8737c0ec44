"""Every KolayBi API path in one place (seeds 002/003, FACTS §1.2).

Paths are appended to ``base_url`` exactly as KolayBi writes them (the sandbox host is
``https://ofis-sandbox-api.kolaybi.com``, the paths start with ``/kolaybi/v1``).
"""

from __future__ import annotations

V1 = "/kolaybi/v1"

ACCESS_TOKEN = V1 + "/access_token"  # C FACTS §1.1 [KD-auth]
ASSOCIATES = V1 + "/associates"  # GET search, POST create: C FACTS §1.2 [KD-assoc-*]
ADDRESS_CREATE = V1 + "/address/create"  # C FACTS §1.2 [KD-addr]
PRODUCTS = V1 + "/products"  # GET list, POST create: C FACTS §1.2 [KD-prod]
INVOICES = V1 + "/invoices"  # POST create, GET list (?type=): C FACTS §1.2 [KD-inv-*]
# GET one invoice: path C (docs link in [K-lara]); answer shape I.
INVOICE = V1 + "/invoices/{document_id}"
E_DOCUMENT_CREATE = V1 + "/invoices/e-document/create"  # C seed 002
E_DOCUMENT_CANCEL = V1 + "/invoices/e-document/cancel"  # C FACTS §1.2 [KD-cancel]
# GET ?company_id=&direction=outbound&min_issue_date=&max_issue_date=: C [KD-edlist]
E_DOCUMENT_LIST = V1 + "/e_document/invoices"
COMPANIES = V1 + "/companies"  # the source of company_id: C (referenced by [KD-resend])
PROFORMAS = V1 + "/proformas"  # POST create: C seed 003 (no list or get is documented)
