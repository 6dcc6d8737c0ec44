"""Every SinApp Muhasebe API path in one place (provider doc 001, FACTS §3).

Paths are appended to ``base_url`` exactly (``https://<the merchant's domain>`` + ``/api/v1/…``).
"""

from __future__ import annotations

# Create: the API reference ([S-ref], seed 001) documents POST /api/v1/invoice_operations.php;
# SinApp's getting-started page and code samples ([S-start], [S-code]) show the same body
# POSTed to /api/v1/invoices.php instead (C, FACTS §3). We use the reference's path.
INVOICE_CREATE = "/api/v1/invoice_operations.php"
# The other documented create path: not called by the adapter, served by the simulator.
INVOICE_CREATE_ALT = "/api/v1/invoices.php"

# PUT (status / buyer update) and DELETE (soft cancel: marked cancelled, nothing removed)
# share the create's path (C seed 001).
INVOICE_UPDATE = "/api/v1/invoice_operations.php"
INVOICE_DELETE = "/api/v1/invoice_operations.php"

# GET ?number={invoice_number}&order={order_id}: one invoice's detail (C seed 001).
INVOICE_DETAIL = "/api/v1/invoices.php"
