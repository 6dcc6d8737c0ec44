"""Our own order JSON for shops without a dedicated adapter (docs/generic-webhook.md).

Amounts, rates and quantities are JSON *strings* ("1249.90"): a JSON number passes through
binary floating point in most senders' languages, and a kuruş lost there is a kuruş the
invoice does not add up to. A number where a string is expected is refused (400), not
rounded. Unknown fields are refused too, so a typo cannot silently drop data.

``python -m sync_engine.platforms.generic_schema`` prints the JSON Schema that the doc embeds.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from sync_engine.domain import (
    ANONYMOUS_TCKN,
    Address,
    Buyer,
    BuyerKind,
    InvoiceLine,
    LineKind,
    Order,
    Payment,
    PaymentMethod,
    Shipment,
    is_valid_tckn,
    is_valid_vkn,
    mask,
)
from sync_engine.platforms._util import describe

DecimalText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,15}(\.[0-9]{1,8})?$"),
    Field(description="A non-negative decimal number written as a string, e.g. \"1249.90\"."),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GenericAddress(_Strict):
    line1: str = ""
    line2: str = ""
    district: str = Field(default="", description="ilçe")
    city: str = Field(default="", description="il")
    postal_code: str = ""
    country: str = "Türkiye"
    country_code: str = Field(default="TR", pattern=r"^[A-Z]{2}$")


class GenericBuyer(_Strict):
    kind: BuyerKind
    tax_id: str | None = Field(
        default=None,
        description="TCKN (person, 11 digits), VKN (company, 10 digits; a sole proprietor may "
        "use the owner's TCKN). Leave out for an anonymous consumer.",
    )
    first_name: str = ""
    last_name: str = Field(default="", description="Required for a person.")
    company_name: str = Field(default="", description="Required for a company (unvan).")
    tax_office: str = Field(default="", description="Vergi dairesi; required for a company.")
    email: str = ""
    phone: str = ""
    address: GenericAddress = Field(default_factory=GenericAddress)
    efatura_registered: bool | None = Field(
        default=None, description="Whether the buyer is an e-Fatura user, if the shop knows."
    )
    efatura_alias: str | None = Field(default=None, description="urn:mail:… posta kutusu")


class GenericLine(_Strict):
    sku: str = ""
    name: str = Field(min_length=1)
    quantity: DecimalText
    unit_code: str = Field(default="C62", description="UN/ECE Rec 20: C62 piece, KGM kg, …")
    unit_price: DecimalText = Field(
        description="Per unit, VAT-inclusive or not as prices_include_vat says."
    )
    vat_rate: DecimalText = Field(description="Percent: \"20\", \"10\", \"1\", \"0\".")
    discount: DecimalText = Field(
        default="0", description="Total discount on the line, on the same VAT basis."
    )
    vat_exemption_code: str | None = Field(
        default=None, description="GİB exemption code, required when vat_rate is 0 (e.g. 351)."
    )
    kind: LineKind = LineKind.GOODS


class GenericPayment(_Strict):
    method: PaymentMethod = PaymentMethod.CREDIT_CARD
    platform: str = Field(default="", description="e.g. iyzico, PayTR")
    date: AwareDatetime | None = None


class GenericShipment(_Strict):
    carrier_name: str | None = None
    carrier_vkn: str | None = None
    date: AwareDatetime | None = None


class GenericOrderPayload(_Strict):
    """One order, sent when it is created and again whenever it changes."""

    order_id: str = Field(
        min_length=1, max_length=64,  # jobs.order_id holds 64
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$",
        description="Letters, digits and . _ : / # - (a key of the state table, printed on the invoice).",
    )
    order_name: str = Field(min_length=1, max_length=100, description="As the merchant sees it.")
    created_at: AwareDatetime
    currency: str = Field(default="TRY", pattern=r"^[A-Z]{3}$")
    prices_include_vat: bool = True
    paid: bool = Field(description="Only a paid order is invoiced.")
    buyer: GenericBuyer
    lines: list[GenericLine] = Field(min_length=1)
    paid_total: DecimalText = Field(
        description="What the customer paid; the invoice total must equal it."
    )
    payment: GenericPayment = Field(default_factory=GenericPayment)
    shipment: GenericShipment = Field(default_factory=GenericShipment)
    note: str = ""


def json_schema() -> dict[str, Any]:
    return GenericOrderPayload.model_json_schema()


def to_order(payload: GenericOrderPayload, store_id: str) -> tuple[Order | None, str | None]:
    buyer, problem = _buyer(payload.buyer)
    if buyer is None:
        return None, problem
    try:
        order = Order(
            store_id=store_id,
            platform="generic",
            order_id=payload.order_id,
            order_name=payload.order_name,
            created_at=payload.created_at,
            currency=payload.currency,
            prices_include_vat=payload.prices_include_vat,
            buyer=buyer,
            lines=tuple(
                InvoiceLine(
                    sku=ln.sku,
                    name=ln.name,
                    quantity=Decimal(ln.quantity),
                    unit_code=ln.unit_code,
                    unit_price=Decimal(ln.unit_price),
                    vat_rate=Decimal(ln.vat_rate),
                    discount=Decimal(ln.discount),
                    vat_exemption_code=ln.vat_exemption_code,
                    kind=ln.kind,
                )
                for ln in payload.lines
            ),
            paid_total=Decimal(payload.paid_total),
            payment=Payment(**payload.payment.model_dump()),
            shipment=Shipment(**payload.shipment.model_dump()),
            note=payload.note,
        )
    except ValidationError as exc:
        return None, f"order is not usable: {describe(exc)}"
    return order, None


def _buyer(b: GenericBuyer) -> tuple[Buyer | None, str | None]:
    tax_id = "".join((b.tax_id or "").split())
    if b.kind is BuyerKind.ANONYMOUS:
        tax_id = ANONYMOUS_TCKN
    elif b.kind is BuyerKind.PERSON and not is_valid_tckn(tax_id):
        got = mask(tax_id) if tax_id else "nothing"
        return None, f"person {b.first_name} {b.last_name} has no valid TCKN (got {got})"
    elif b.kind is BuyerKind.COMPANY:
        valid = is_valid_tckn(tax_id) if len(tax_id) == 11 else is_valid_vkn(tax_id)
        if not valid:
            got = mask(tax_id) if tax_id else "nothing"
            return None, f"company {b.company_name!r} has no valid VKN (got {got})"
    fields = b.model_dump(exclude={"tax_id", "address"})
    try:
        return Buyer(tax_id=tax_id, address=Address(**b.address.model_dump()), **fields), None
    except ValidationError as exc:
        return None, f"buyer data is not usable: {describe(exc)}"


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
