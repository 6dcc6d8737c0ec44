"""Request schemas of the FaturaEntegratör simulator: customers (documented) and invoices
(assumed — the published text documents only ``POST /api/customers``).

Assumed invoice schema (``POST /api/invoices``, JSON), written down here because no document
describes it; DESIGN §6/§7 fix the names ``customer.id``, ``sale_channel_id``,
``invoice_integration_id``, ``order_id``, the ``type`` and payment-method constants and that
``lines[].unit_price`` is net of VAT::

    customer            {"id": int}            required, an existing customer
    sale_channel_id     int                    required, one of the account's sale channels
    invoice_integration_id int                 required, one of the account's integrations
    order_id            string ≤255            optional; the client's own reference, filterable
    description, note   string ≤1000           optional
    type                SATIS|IADE|TEVKIFAT|ISTISNA|OZELMATRAH|IHRACKAYITLI   required
    currency            TRY|USD|EUR|GBP        required; exchange_rate (>0) required unless TRY
    issue_date          Y-m-d                  required, not after today (Europe/Istanbul)
    payment_method      credit_or_debit|direct_transfer|cash_on_delivery|payment_agent|other
    payment_date        Y-m-d                  optional
    internet_sale       {website (required, http(s) URL), payment_platform, carrier_name,
                         carrier_tax_number (10/11 digits), shipment_date}   optional, but
                         required at formalize time for an e-Arşiv on an internet channel
    lines[]             ≥1 of {name ≤255 (required), code ≤100, quantity (>0, ≤6 places),
                         unit (UN/ECE code), unit_price (≥0, ≤8 places, net of VAT),
                         vat_rate (0|1|10|20), discount_amount (≥0, ≤2 places, net, at most
                         the line amount), vat_exemption_code (required when vat_rate is 0)}

Numbers may be JSON numbers or numeric strings (Laravel's ``numeric`` accepts both).
``order_id`` is not unique at the provider (nothing says it is): a client that wants one
invoice per order must search before it creates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sync_engine.sandbox.faturaentegrator.rules import ErrorBag, Fields
from sync_engine.sandbox.faturaentegrator.totals import line_amounts

CUSTOMER_TYPES = ("person", "company")
INVOICE_TYPES = ("SATIS", "IADE", "TEVKIFAT", "ISTISNA", "OZELMATRAH", "IHRACKAYITLI")
PAYMENT_METHODS = ("credit_or_debit", "direct_transfer", "cash_on_delivery", "payment_agent", "other")
CURRENCIES = ("TRY", "USD", "EUR", "GBP")
VAT_RATES = (Decimal(0), Decimal(1), Decimal(10), Decimal(20))
# UN/ECE Recommendation 20 codes GİB's UBL-TR accepts most often (piece, weight, volume,
# length, area, energy, time, sets and packages).
UNITS = (
    "C62", "NIU", "KGM", "GRM", "LTR", "MLT", "MTR", "CMT", "MTK", "MTQ", "KWH",
    "HUR", "DAY", "MON", "ANN", "SET", "PR", "BX", "PA", "KT",
)
TAX_NUMBER = re.compile(r"\d{10}|\d{11}")


def validate_customer(data: dict[str, Any]) -> tuple[dict[str, Any] | None, ErrorBag]:
    """The documented rules of ``POST /api/customers``."""
    bag = ErrorBag()
    f = Fields(data, bag)
    kind = f.choice("type", CUSTOMER_TYPES, required=True)
    tax_number = f.string("tax_number", required=True)
    if tax_number is not None:
        # The document: VKN 10 digits or TCKN 11 digits. Assumption: the digit count must
        # agree with the type (a company has a VKN, a person a TCKN); no checksum is checked,
        # since 11111111111 (the anonymous consumer) must pass.
        if not TAX_NUMBER.fullmatch(tax_number):
            f.fail("tax_number", "The tax number field must be 10 or 11 digits.")
        elif kind == "person" and len(tax_number) != 11:
            f.fail("tax_number", "The tax number field must be 11 digits when type is person.")
        elif kind == "company" and len(tax_number) != 10:
            f.fail("tax_number", "The tax number field must be 10 digits when type is company.")
    company, person = kind == "company", kind == "person"
    record = {
        "type": kind,
        "tax_number": tax_number,
        "tax_office": f.string("tax_office", required=company, when="type is company"),
        "title": f.string("title", required=company, when="type is company"),
        "name": f.string("name", required=person, when="type is person"),
        "surname": f.string("surname", required=person, when="type is person"),
        "country": f.string("country", required=True, max_len=100),
        "address": f.string("address", required=True, max_len=500),
        "city": f.string("city", required=True, max_len=100),
        "district": f.string("district", required=True, max_len=100),
        "postcode": f.string("postcode", max_len=10),
        "phone": f.string("phone", max_len=20),
        "email": f.email("email"),
        "iban": f.string("iban", max_len=34),
    }
    return (None, bag) if bag else (record, bag)


def validate_invoice(
    data: dict[str, Any],
    *,
    customer_exists: Callable[[int], bool],
    sale_channels: set[int],
    integrations: set[int],
    today: date,
) -> tuple[dict[str, Any] | None, ErrorBag]:
    bag = ErrorBag()
    f = Fields(data, bag)

    customer_id: int | None = None
    customer = f.obj("customer", required=True)
    if customer is not None:
        cf = f.nested("customer", customer)
        customer_id = cf.integer("id", required=True)
        if customer_id is not None and not customer_exists(customer_id):
            cf.fail("id", "The selected customer.id is invalid.")
            customer_id = None
    sale_channel_id = f.integer("sale_channel_id", required=True)
    if sale_channel_id is not None and sale_channel_id not in sale_channels:
        f.fail("sale_channel_id", "The selected sale channel id is invalid.")
    integration_id = f.integer("invoice_integration_id", required=True)
    if integration_id is not None and integration_id not in integrations:
        f.fail("invoice_integration_id", "The selected invoice integration id is invalid.")

    currency = f.choice("currency", CURRENCIES, required=True)
    exchange_rate = f.numeric(
        "exchange_rate", required=currency not in (None, "TRY"), gt=Decimal(0),
        when="currency is not TRY",
    )
    record: dict[str, Any] = {
        "customer_id": customer_id,
        "sale_channel_id": sale_channel_id,
        "invoice_integration_id": integration_id,
        "order_id": f.string("order_id"),
        "description": f.string("description", max_len=1000),
        "note": f.string("note", max_len=1000),
        "type": f.choice("type", INVOICE_TYPES, required=True),
        "currency": currency,
        "exchange_rate": exchange_rate,
        "issue_date": f.date("issue_date", required=True, before_or_equal=today),
        "payment_method": f.choice("payment_method", PAYMENT_METHODS, required=True),
        "payment_date": f.date("payment_date"),
        "internet_sale": _internet_sale(f),
        "lines": _lines(f),
    }
    return (None, bag) if bag else (record, bag)


def _internet_sale(f: Fields) -> dict[str, Any] | None:
    raw = f.obj("internet_sale")
    if raw is None:
        return None
    sf = f.nested("internet_sale", raw)
    website = sf.string("website", required=True)
    if website is not None and not re.match(r"^https?://[^\s/]+", website):
        sf.fail("website", "The internet sale.website field must be a valid URL.")
    carrier_tax_number = sf.string("carrier_tax_number")
    if carrier_tax_number is not None and not TAX_NUMBER.fullmatch(carrier_tax_number):
        sf.fail("carrier_tax_number", "The internet sale.carrier tax number field must be 10 or 11 digits.")
    return {
        "website": website,
        "payment_platform": sf.string("payment_platform"),
        "carrier_name": sf.string("carrier_name"),
        "carrier_tax_number": carrier_tax_number,
        "shipment_date": sf.date("shipment_date"),
    }


def _lines(f: Fields) -> list[dict[str, Any]]:
    raw_lines = f.array("lines", required=True) or []
    lines: list[dict[str, Any]] = []
    for i, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            f.fail(f"lines.{i}", f"The lines.{i} field must be an array.")
            continue
        lf = Fields(raw, f.bag, f"lines.{i}.")
        quantity = lf.numeric("quantity", required=True, gt=Decimal(0), max_places=6)
        unit_price = lf.numeric("unit_price", required=True, min_value=Decimal(0), max_places=8)
        vat_rate = lf.numeric("vat_rate", required=True)
        if vat_rate is not None and vat_rate not in VAT_RATES:
            lf.fail("vat_rate", f"The selected lines.{i}.vat rate is invalid.")
            vat_rate = None
        discount = lf.numeric("discount_amount", min_value=Decimal(0), max_places=2)
        if discount is not None and quantity is not None and unit_price is not None:
            if discount > line_amounts(quantity, unit_price, Decimal(0), Decimal(0)).net:
                lf.fail(
                    "discount_amount",
                    f"The lines.{i}.discount amount field must not be greater than the line amount.",
                )
        exemption = lf.string(
            "vat_exemption_code", required=vat_rate == 0, max_len=3, when=f"lines.{i}.vat rate is 0"
        )
        lines.append(
            {
                "name": lf.string("name", required=True),
                "code": lf.string("code", max_len=100),
                "quantity": quantity,
                "unit": lf.choice("unit", UNITS, required=True),
                "unit_price": unit_price,
                "vat_rate": vat_rate,
                "discount_amount": discount or Decimal("0.00"),
                "vat_exemption_code": exemption,
            }
        )
    return lines
