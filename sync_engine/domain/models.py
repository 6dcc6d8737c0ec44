"""The order as sync-engine understands it: platform-neutral, validated, immutable.

Platform parsers (``sync_engine.platforms``) build these; providers map them to their
payloads; the job row stores ``Order.model_dump_json()`` so a job can be re-driven from the
state table alone.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sync_engine.domain.money import to_decimal, to_money
from sync_engine.domain.tax_ids import ANONYMOUS_TCKN, validate_tckn, validate_vkn

# VAT rates in force since 10 July 2023 (percent). 0 needs an exemption code.
GIB_VAT_RATES = frozenset({Decimal(0), Decimal(1), Decimal(10), Decimal(20)})

# Bounds a line must keep to be invoiced automatically (I: GİB's UBL schema has no smaller
# limits, but no shop sells less than a thousandth of a unit or prints more places on a
# quantity, and a value outside these is a data error, e.g. 1e-7 pieces at 2.4 billion).
# Outside them the order waits for an operator, the field and value named.
QUANTITY_PLACES = 3
QUANTITY_MIN = Decimal("0.001")
QUANTITY_MAX = Decimal("1000000")
UNIT_PRICE_MAX = Decimal("100000000")  # 100 million TRY per unit


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BuyerKind(StrEnum):
    PERSON = "person"  # a person with a TCKN
    COMPANY = "company"  # a company with a VKN and a tax office
    ANONYMOUS = "anonymous"  # a consumer who gave no TCKN: 11111111111


class PaymentMethod(StrEnum):
    CREDIT_CARD = "credit_card"
    BANK_TRANSFER = "bank_transfer"
    CASH_ON_DELIVERY = "cash_on_delivery"
    PAYMENT_AGENT = "payment_agent"  # marketplace / payment intermediary
    OTHER = "other"


class LineKind(StrEnum):
    GOODS = "goods"
    SHIPPING = "shipping"  # shipping is invoiced as a service line
    SERVICE = "service"


class Address(_Frozen):
    line1: str = ""
    line2: str = ""
    district: str = ""  # ilçe
    city: str = ""  # il
    postal_code: str = ""
    country: str = "Türkiye"
    country_code: str = "TR"

    @property
    def street(self) -> str:
        return ", ".join(p for p in (self.line1, self.line2) if p)


class Buyer(_Frozen):
    kind: BuyerKind
    tax_id: str
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    tax_office: str = ""
    email: str = ""
    phone: str = ""
    address: Address = Field(default_factory=Address)
    # e-Fatura routing hints from the shop (e.g. Trendyol eInvoiceAvailable). None = unknown;
    # providers with a GİB directory lookup ask it instead.
    efatura_registered: bool | None = None
    efatura_alias: str | None = None  # urn:mail:... posta kutusu

    @field_validator("tax_id", mode="before")
    @classmethod
    def _digits_only(cls, v: object) -> object:
        # "100 000 001 46" is how people type it; providers want the bare digits.
        return "".join(v.split()) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _check_identity(self) -> Buyer:
        if self.kind is BuyerKind.ANONYMOUS:
            if self.tax_id != ANONYMOUS_TCKN:
                raise ValueError("an anonymous consumer has tax_id 11111111111")
        elif self.kind is BuyerKind.PERSON:
            validate_tckn(self.tax_id)
            if not self.last_name.strip():
                raise ValueError("a person needs a last name (required for 11-digit identifiers)")
        else:
            # A sole proprietor (şahıs şirketi) invoices under the owner's TCKN.
            if len(self.tax_id) == 11:
                validate_tckn(self.tax_id)
            else:
                validate_vkn(self.tax_id)
            if not self.company_name.strip():
                raise ValueError("a company needs a title (company_name)")
            if not self.tax_office.strip():
                raise ValueError("a company needs a tax office (vergi dairesi)")
        return self

    @property
    def display_name(self) -> str:
        if self.kind is BuyerKind.COMPANY:
            return self.company_name
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def distinguishing_code(self) -> str | None:
        """Tells apart anonymous consumers who all share 11111111111 (DESIGN §7).

        A short stable hash of the e-mail, else of name + address, so each real buyer gets
        their own cari and the invoice shows their name. None for identified buyers.
        """
        if self.kind is not BuyerKind.ANONYMOUS:
            return None
        basis = _fold(self.email.strip()) or "|".join(
            (_fold(self.display_name), _fold(self.address.street), _fold(self.address.city))
        )
        return "A" + hashlib.sha256(basis.encode()).hexdigest()[:12].upper()


def _fold(text: str) -> str:
    """Case-fold so "İSTANBUL", "Istanbul" and "istanbul" agree (Turkish dotted and dotless
    i would otherwise give different codes to the same buyer)."""
    return text.casefold().replace("\u0307", "").replace("ı", "i")


class InvoiceLine(_Frozen):
    # The shop's own id of the line (Shopify line_item id, WooCommerce line item id, "shipping"
    # for a shipping line): a refund names the lines it gives money back for by it. "" where
    # the shop gave none.
    line_ref: str = ""
    sku: str = ""
    name: str
    quantity: Decimal
    unit_code: str = "C62"  # UN/ECE Rec 20: C62 piece, KGM kilogram, LTR litre, ...
    unit_price: Decimal  # as the shop shows it: VAT-inclusive or not, per Order.prices_include_vat
    vat_rate: Decimal  # percent, e.g. 20
    discount: Decimal = Decimal("0.00")  # line total discount, same VAT basis as unit_price
    vat_exemption_code: str | None = None  # required when vat_rate is 0 (e.g. 351)
    kind: LineKind = LineKind.GOODS

    @field_validator("quantity", "unit_price", "vat_rate", mode="before")
    @classmethod
    def _decimal(cls, v: object) -> Decimal:
        return to_decimal(v)

    @field_validator("discount", mode="before")
    @classmethod
    def _money(cls, v: object) -> Decimal:
        return to_money(v)

    @model_validator(mode="after")
    def _check(self) -> InvoiceLine:
        if self.quantity <= 0:
            raise ValueError(f"line {self.name!r}: quantity must be positive")
        if self.unit_price < 0 or self.discount < 0 or self.vat_rate < 0:
            raise ValueError(f"line {self.name!r}: price, discount and VAT must not be negative")
        return self


class Payment(_Frozen):
    method: PaymentMethod = PaymentMethod.CREDIT_CARD
    platform: str = ""  # e.g. iyzico, PayTR, Shopify Payments
    date: datetime | None = None


class Shipment(_Frozen):
    """Carrier details for e-Arşiv internet sales; None fields fall back to the seller."""

    carrier_name: str | None = None
    carrier_vkn: str | None = None
    date: datetime | None = None


def _bounds_problems(line: InvoiceLine) -> list[str]:
    q = line.quantity
    problems: list[str] = []
    if not QUANTITY_MIN <= q <= QUANTITY_MAX or q != q.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        problems.append(
            f"line {line.name!r}: quantity {q:f} is outside {QUANTITY_MIN}–{QUANTITY_MAX:f} "
            f"with at most {QUANTITY_PLACES} decimal places"
        )
    if line.unit_price > UNIT_PRICE_MAX:
        problems.append(f"line {line.name!r}: unit price {line.unit_price:f} is over {UNIT_PRICE_MAX:f}")
    return problems


class Order(_Frozen):
    store_id: str
    platform: str  # shopify | woocommerce | generic | ...
    order_id: str  # the platform's id, kept as text (Shopify ids exceed 2^53)
    order_name: str  # what the merchant sees, e.g. "#1001"
    created_at: datetime
    # The shop's last change to the order: which of two deliveries is newer is decided by
    # this, never by arrival (a retried orders/paid carries the body of its first try).
    updated_at: datetime | None = None
    currency: str = "TRY"
    prices_include_vat: bool = True
    buyer: Buyer
    # How the buyer's identity was decided when a rule, not the shop's data, decided it
    # (e.g. an invalid TCKN invoiced as the anonymous consumer by store setting): kept on
    # the job with the order, for the operator.
    identity_note: str = ""
    lines: tuple[InvoiceLine, ...]
    paid_total: Decimal  # what the customer paid, the invoice's grand total must equal it
    # VAT the shop charged per rate (percent -> amount), for VAT-exclusive shops that
    # round tax their own way; used instead of recomputing so totals match to the kuruş.
    reported_vat: dict[Decimal, Decimal] = Field(default_factory=dict)
    payment: Payment = Field(default_factory=Payment)
    shipment: Shipment = Field(default_factory=Shipment)
    note: str = ""
    # The shop's refunds already taken off this order (``domain.refunds.kept_order``): a
    # refund delivered again, or after an order update that showed it, is not taken twice.
    refund_ids: tuple[str, ...] = ()

    @field_validator("paid_total", mode="before")
    @classmethod
    def _money(cls, v: object) -> Decimal:
        return to_money(v)

    @field_validator("reported_vat", mode="before")
    @classmethod
    def _vat_map(cls, v: object) -> dict[Decimal, Decimal]:
        if not isinstance(v, dict):
            raise ValueError("reported_vat must be a mapping of rate to amount")
        return {to_decimal(k): to_money(a) for k, a in v.items()}

    @model_validator(mode="after")
    def _check(self) -> Order:
        if not self.lines:
            raise ValueError("an order needs at least one line")
        if self.paid_total < 0:
            raise ValueError("paid_total must not be negative")
        return self

    def invoicing_problems(self) -> list[str]:
        """Reasons this order cannot become a Turkish invoice yet (empty = invoiceable)."""
        problems: list[str] = []
        if self.currency != "TRY":
            problems.append(
                f"currency {self.currency}: only TRY invoices are supported (no exchange rate source)"
            )
        for line in self.lines:
            if line.vat_rate not in GIB_VAT_RATES:
                problems.append(
                    f"line {line.name!r}: VAT {line.vat_rate}% is not a Turkish rate (0, 1, 10, 20)"
                )
            elif line.vat_rate == 0 and not line.vat_exemption_code:
                problems.append(f"line {line.name!r}: VAT 0% needs an exemption code")
            problems.extend(_bounds_problems(line))
        return problems
