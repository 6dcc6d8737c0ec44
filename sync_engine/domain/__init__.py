"""Pure domain: orders, buyers, lines, money and VAT arithmetic, TCKN/VKN rules. No I/O."""

from sync_engine.domain.invoice import ComputedInvoice, ComputedLine, VatGroup, compute_invoice
from sync_engine.domain.models import (
    GIB_VAT_RATES,
    Address,
    Buyer,
    BuyerKind,
    InvoiceLine,
    LineKind,
    Order,
    Payment,
    PaymentMethod,
    Shipment,
)
from sync_engine.domain.money import KURUS, ZERO, allocate, round_kurus, to_decimal, to_money
from sync_engine.domain.tax_ids import (
    ANONYMOUS_TCKN,
    TaxIdError,
    is_valid_tckn,
    is_valid_vkn,
    mask,
    validate_tckn,
    validate_vkn,
)

__all__ = [
    "ANONYMOUS_TCKN", "GIB_VAT_RATES", "KURUS", "ZERO", "Address", "Buyer", "BuyerKind",
    "ComputedInvoice", "ComputedLine", "InvoiceLine", "LineKind", "Order", "Payment",
    "PaymentMethod", "Shipment", "TaxIdError", "VatGroup", "allocate", "compute_invoice",
    "is_valid_tckn", "is_valid_vkn", "mask", "round_kurus", "to_decimal", "to_money",
    "validate_tckn", "validate_vkn",
]
