"""Associates (cari), their addresses, and products: the records an invoice refers to.

Every request has passed its declarative contract (``contract.py``: marks, kinds, enums,
checksums) before these handlers run; what stays here needs the books.

Rules (public clients' validation plus DESIGN §7; each assumption is marked):
* an associate needs ``name`` and ``surname`` of at least 2 characters and an
  ``identity_no``: a person (``is_corporate=0``) an 11-digit TCKN (or 11111111111, the
  anonymous consumer); a company (``is_corporate=1``) a 10-digit VKN or, for a sole
  proprietor, an 11-digit TCKN, plus a ``tax_office``;
* assumed: one associate per ``identity_no`` and ``code`` pair — a second one with the same
  identity number needs a distinguishing ``code`` (how anonymous consumers are told apart);
* an address needs ``city`` and ``district``;
* assumed: product ``code`` (SKU) is unique per company, case-insensitively.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sync_engine.sandbox.tax_ids import ANONYMOUS_TCKN, is_tckn as is_valid_tckn, is_vkn as is_valid_vkn
from sync_engine.sandbox.kolaybi import fields
from sync_engine.sandbox.kolaybi.books import NAME, Books, paginate
from sync_engine.sandbox.kolaybi.records import Account, Address, Associate, Product

ADDRESS_TYPES = frozenset(
    {"delivery", "invoice", "shipment", "stock", "company", "associate", "other"}
)
PRODUCT_TYPES = frozenset({"good", "service"})
Answer = tuple[int, dict[str, Any]]


def _address_values(form: Mapping[str, Any], where: str) -> dict[str, Any]:
    return {
        "address": fields.text(form, "address", max_len=500, where=where) or "",
        "city": fields.text(form, "city", required=True, max_len=100, where=where),
        # Not marked required by [KD-addr]; stored empty when not sent.
        "district": fields.text(form, "district", max_len=100, where=where) or "",
        "country": fields.text(form, "country", max_len=100, where=where) or "Türkiye",
        "address_type": (
            fields.choice(form, "address_type", ADDRESS_TYPES, where=where) or "invoice"
        ),
        "postal_code": fields.text(form, "postal_code", max_len=20, where=where),
    }


def _check_identity(identity_no: str, is_corporate: bool) -> None:
    if not identity_no.isdigit() or len(identity_no) not in (10, 11):
        raise fields.invalid("identity_no must be 10 (VKN) or 11 (TCKN) digits")
    if len(identity_no) == 10:
        if not is_corporate:
            raise fields.invalid("identity_no: a person (is_corporate=0) needs an 11-digit TCKN")
        if not is_valid_vkn(identity_no):
            raise fields.invalid("identity_no: invalid VKN (checksum)")
    elif identity_no != ANONYMOUS_TCKN and not is_valid_tckn(identity_no):
        raise fields.invalid("identity_no: invalid TCKN (checksum)")


def search_associates(books: Books, account: Account, params: Mapping[str, Any]) -> Answer:
    identity_no = params.get("identity_no") or None
    code = params.get("code") or None
    name = (params.get("name") or "").casefold()
    surname = (params.get("surname") or "").casefold()
    rows = [
        a.as_json()
        for a in sorted(books.associates.values(), key=lambda a: a.id)
        if a.company_id == account.company_id
        and (identity_no is None or a.identity_no == identity_no)
        and (code is None or (a.code or "") == code)
        and (not name or name in a.name.casefold())
        and (not surname or surname in a.surname.casefold())
    ]
    return 200, paginate(rows, params)


def create_associate(books: Books, account: Account, form: Mapping[str, Any]) -> Answer:
    is_corporate = fields.boolean(form, "is_corporate", default=False)
    name = fields.text(form, "name", required=True, min_len=2)
    # DESIGN §7: KolayBi wants a surname of ≥ 2 characters even for a company.
    surname = fields.text(form, "surname", required=True, min_len=2)
    identity_no = fields.text(form, "identity_no", required=True, max_len=11)
    assert name is not None and surname is not None and identity_no is not None
    _check_identity(identity_no, is_corporate)
    tax_office = fields.text(form, "tax_office", max_len=100)
    if is_corporate and not tax_office:
        raise fields.invalid("tax_office is required for a corporate associate (is_corporate=1)")
    code = fields.text(form, "code", max_len=50)
    email = fields.email(form, "email")
    phone = fields.text(form, "phone", max_len=30)
    addresses = []
    for i, record in enumerate(fields.records(form, "addresses")):
        addresses.append(_address_values(record, f"addresses[{i}]."))

    taken = next(
        (a for a in books.associates.values()
         if a.company_id == account.company_id and a.identity_no == identity_no
         and (a.code or "") == (code or "")),
        None,
    )
    if taken is not None:
        hint = "" if code else "; send a distinguishing code for another record"
        raise fields.invalid(
            f"identity_no {identity_no} is already registered (associate {taken.id}){hint}"
        )
    associate = Associate(
        id=books.next_id("associate"), company_id=account.company_id, name=name, surname=surname,
        identity_no=identity_no, is_corporate=is_corporate, tax_office=tax_office, code=code,
        email=email, phone=phone, created_at=books.now_iso(),
    )
    for values in addresses:
        associate.addresses.append(
            Address(id=books.next_id("address"), associate_id=associate.id, **values)
        )
    books.associates[associate.id] = associate
    key = f"{identity_no}:{code}" if code else identity_no
    books.state.ledger.record(
        NAME, "cari_created", key, associate_id=associate.id, is_corporate=is_corporate,
        addresses=[a.id for a in associate.addresses],
    )
    return 200, {"success": True, "data": associate.as_json()}


def create_address(books: Books, account: Account, form: Mapping[str, Any]) -> Answer:
    associate_id = fields.integer(form, "associate_id", required=True)
    associate = books.associate(account, associate_id, "associate_id")
    values = _address_values(form, "")
    address = Address(id=books.next_id("address"), associate_id=associate.id, **values)
    associate.addresses.append(address)
    books.state.ledger.record(NAME, "address_created", str(address.id), associate_id=associate.id)
    return 200, {"success": True, "data": address.as_json()}


def search_products(books: Books, account: Account, params: Mapping[str, Any]) -> Answer:
    code = params.get("code") or None
    barcode = params.get("barcode") or None
    query = (params.get("full_text_search") or params.get("name") or "").casefold()
    rows = [
        p.as_json()
        for p in sorted(books.products.values(), key=lambda p: p.id)
        if p.company_id == account.company_id
        and (code is None or (p.code or "").casefold() == code.casefold())
        and (barcode is None or p.barcode == barcode)
        and (not query or query in " ".join(filter(None, (p.name, p.code, p.barcode))).casefold())
    ]
    return 200, paginate(rows, params)


def create_product(books: Books, account: Account, form: Mapping[str, Any]) -> Answer:
    name = fields.text(form, "name", required=True)
    code = fields.text(form, "code", max_len=64)
    assert name is not None
    if code is not None and any(
        p.company_id == account.company_id and (p.code or "").casefold() == code.casefold()
        for p in books.products.values()
    ):
        raise fields.invalid(f"code {code!r} is already used by another product")
    vat_rate = fields.vat_rate(form, "vat_rate")
    product = Product(
        id=books.next_id("product"), company_id=account.company_id, name=name, code=code,
        barcode=fields.text(form, "barcode", max_len=64),
        description=fields.text(form, "description", max_len=1000),
        product_type=fields.choice(form, "product_type", PRODUCT_TYPES) or "good",
        vat_rate=20 if vat_rate is None else vat_rate,
        price=fields.decimal(form, "price", places=8, minimum=Decimal(0)),
        price_currency=fields.choice(form, "price_currency", fields.CURRENCIES) or "TRY",
        created_at=books.now_iso(),
    )
    books.products[product.id] = product
    books.state.ledger.record(
        NAME, "product_created", code or str(product.id), product_id=product.id
    )
    return 200, {"success": True, "data": product.as_json()}
