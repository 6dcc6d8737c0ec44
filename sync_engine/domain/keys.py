"""Idempotency keys and the ids derived from them (DESIGN §3).

One key per logical invoice, reused by every retry (stripe-python's rule): the job row is
unique on it, Turkcell's ETTN is a UUIDv5 of it, SinApp's invoice_id is derived from it.
"""

from __future__ import annotations

import hashlib
import re
import uuid

# Fixed forever: changing it would give every existing order a new ETTN and so a second
# invoice at the provider.
ETTN_NAMESPACE = uuid.UUID("6f1c5a0e-3d1b-5b6a-9a57-5e2f0c3b8d41")


def sale_key(store_id: str, order_id: str) -> str:
    return f"{store_id}:{order_id}:sale"


def reissue_key(store_id: str, order_id: str, n: int) -> str:
    """The n-th sale invoice made again for an edited order (n ≥ 1): a key of its own, so its
    ETTN and SinApp id differ from the returned one's (the same key would make Turkcell
    overwrite the sent invoice). The order's live sale is its newest sale job."""
    if n < 1:
        raise ValueError("a reissue is numbered from 1")
    return f"{sale_key(store_id, order_id)}:r{n}"


def sale_version_key(store_id: str, order_id: str, version: int) -> str:
    """Version 0 is the order's first sale invoice, version n its n-th reissue."""
    return sale_key(store_id, order_id) if version == 0 else reissue_key(store_id, order_id, version)


_SALE_KEY = re.compile(r"^(?P<order_id>.+):sale(?::r(?P<n>[1-9][0-9]*))?$")


def sale_key_parts(idempotency_key: str, store_id: str) -> tuple[str, int] | None:
    """(order id, version) of one of the store's sale keys; None for any other key."""
    prefix = f"{store_id}:"
    if not idempotency_key.startswith(prefix):
        return None
    match = _SALE_KEY.match(idempotency_key[len(prefix):])
    if match is None:
        return None
    return match.group("order_id"), int(match.group("n") or 0)


def edit_return_id(version: int) -> str:
    """The refund id of the return that answers sale version ``version - 1`` in full because
    the order was edited: ``return_key(store, order, edit_return_id(n))``."""
    return f"edit-{version}"


def proforma_key(store_id: str, order_id: str) -> str:
    """The proforma of an order awaiting payment: its own job, linked to the sale by order."""
    return f"{store_id}:{order_id}:proforma"


def cancel_key(store_id: str, order_id: str) -> str:
    """An order's cancellation at the shop: one per order, whatever the deliveries."""
    return f"{store_id}:{order_id}:cancel"


def return_key(store_id: str, order_id: str, refund_id: str) -> str:
    return f"{store_id}:{order_id}:return:{refund_id}"


def ettn_for(idempotency_key: str) -> str:
    """The invoice's ETTN (a UUID, as GİB requires), stable for the idempotency key."""
    return str(uuid.uuid5(ETTN_NAMESPACE, idempotency_key))


def short_ref(idempotency_key: str, prefix: str = "se_") -> str:
    """A short stable reference for providers with a length-limited id field (SinApp)."""
    return prefix + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]


def is_return_key(idempotency_key: str) -> bool:
    """Whether ``idempotency_key`` is a return job's (``return_key``): a provider that must
    send a return's reference with its document tells a return's request apart by it."""
    parts = idempotency_key.rsplit(":", 2)
    return len(parts) == 3 and parts[1] == "return" and bool(parts[2])
