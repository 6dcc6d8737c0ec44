"""Which job a provider's invoice belongs to.

Each provider leaves a different handle on the invoices we create (DESIGN §3, §7), and the
list answers carry different fields, so an invoice is tried against every handle, strongest
first:

1. the provider's own invoice id, as the job recorded it (KolayBi, FaturaEntegratör);
2. the ETTN — ours for Turkcell (a UUIDv5 of the idempotency key, known before any call),
   the provider's for the others once the job recorded it;
3. our idempotency key (FaturaEntegratör's ``order_id``);
4. our order reference ``"#1001 (shopify 123)"`` in the description (KolayBi, and Turkcell
   when its detail carries the description).

An invoice that matches no handle and carries no reference of ours is someone else's (the
merchant's own invoices in the same account): counted, never reported.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sync_engine.domain.keys import ettn_for, sale_key, sale_key_parts
from sync_engine.providers.base import RemoteInvoice
from sync_engine.reconcile.repository import JobSnapshot

# InvoiceRequest.reference: "<order name> (<platform> <order id>)".
_REFERENCE = re.compile(r"\((?P<platform>[a-z][a-z0-9_]*) (?P<order_id>[^\s()]+)\)\s*$")


def reference_key(order_ref: str | None, store_id: str, platform: str) -> str | None:
    """The idempotency key an invoice's order reference points at, if it is one of ours."""
    if not order_ref:
        return None
    ref = order_ref.strip()
    if sale_key_parts(ref, store_id) is not None:
        return ref  # the key itself (FaturaEntegratör's order_id), a reissue's too
    match = _REFERENCE.search(ref)
    if match is None or match.group("platform") != platform:
        return None
    return sale_key(store_id, match.group("order_id"))


@dataclass
class Matches:
    by_job: dict[int, list[RemoteInvoice]] = field(default_factory=lambda: defaultdict(list))
    unresolved: dict[str, list[RemoteInvoice]] = field(default_factory=lambda: defaultdict(list))
    foreign: int = 0


class JobIndex:
    """Every handle of every job in view, to its job."""

    def __init__(self) -> None:
        self.jobs: dict[int, JobSnapshot] = {}
        self._by_invoice_id: dict[str, int] = {}
        self._by_ettn: dict[str, int] = {}
        self._by_key: dict[str, int] = {}

    def add(self, job: JobSnapshot) -> None:
        if job.id in self.jobs:
            return
        self.jobs[job.id] = job
        self._by_key[job.idempotency_key] = job.id
        self._by_ettn.setdefault(ettn_for(job.idempotency_key), job.id)
        for ettn in (job.ettn, job.gib_uuid):
            if ettn:
                self._by_ettn.setdefault(ettn.lower(), job.id)
        if job.invoice_id:
            self._by_invoice_id.setdefault(job.invoice_id, job.id)

    def __len__(self) -> int:
        return len(self.jobs)

    def find(self, invoice: RemoteInvoice, key: str | None) -> JobSnapshot | None:
        job_id = self._by_invoice_id.get(invoice.invoice_id)
        if job_id is None and invoice.ettn:
            job_id = self._by_ettn.get(invoice.ettn.lower())
        if job_id is None and key is not None:
            job_id = self._by_key.get(key)
        return self.jobs.get(job_id) if job_id is not None else None


def match(
    index: JobIndex, invoices: Iterable[RemoteInvoice], *, store_id: str, platform: str
) -> Matches:
    out = Matches()
    for invoice in invoices:
        key = reference_key(invoice.order_ref, store_id, platform)
        job = index.find(invoice, key)
        if job is not None:
            out.by_job[job.id].append(invoice)
        elif key is not None:
            out.unresolved[key].append(invoice)
        else:
            out.foreign += 1
    return out


def invoice_evidence(invoice: RemoteInvoice) -> dict[str, object]:
    return {
        "invoice_id": invoice.invoice_id,
        "ettn": invoice.ettn,
        "invoice_number": invoice.invoice_number,
        "order_ref": invoice.order_ref,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "total": str(invoice.total) if invoice.total is not None else None,
        "sent": invoice.sent,
        "journaled": invoice.journaled,
    }
