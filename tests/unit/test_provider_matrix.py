"""The committed feature matrix matches the adapters' declared capabilities, and every
adapter overrides exactly the operations it declares (anymail's rule: support is declared)."""

from __future__ import annotations

import pytest

from sync_engine.providers.base import BaseProvider, Capability
from sync_engine.providers.matrix import MATRIX_PATH, render_matrix
from sync_engine.providers.registry import PROVIDERS, provider_class

# Capability -> the BaseProvider method that implements it
METHODS = {
    Capability.CUSTOMER: "upsert_customer",
    Capability.INVOICE: "create_invoice",
    Capability.E_DOCUMENT: "send_e_document",
    Capability.E_DOCUMENT_STATE: "e_document_state",
    Capability.JOURNAL: "journal",
    Capability.FIND_INVOICE: "find_invoice",
    Capability.LIST_INVOICES: "list_invoices",
    Capability.CANCEL_E_ARCHIVE: "cancel_e_archive",
    Capability.WITHDRAW_DRAFT: "withdraw_draft",
    Capability.RETURN_INVOICE: "create_return_invoice",
    Capability.REVERSE_JOURNAL: "reverse_journal",
    Capability.BUYER_RETURNS: "find_buyer_return",
}


def test_committed_matrix_is_current() -> None:
    assert MATRIX_PATH.read_text(encoding="utf-8") == render_matrix(), (
        "docs/providers.md is stale: run `sync-engine docs providers`"
    )


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_declared_capabilities_match_overridden_methods(name: str) -> None:
    cls = provider_class(name)
    assert cls.name == name
    for capability, method in METHODS.items():
        overridden = getattr(cls, method) is not getattr(BaseProvider, method)
        assert overridden == (capability in cls.capabilities), (name, capability)
