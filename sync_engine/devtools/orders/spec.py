"""A platform-neutral description of one shop order, drawn from a seeded RNG or fixed for the
demo. The platform renderers turn a spec into the exact payload each platform sends."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sync_engine.sandbox.tax_ids import ANONYMOUS_TCKN
from sync_engine.sandbox.tax_ids import is_tckn as is_valid_tckn
from sync_engine.sandbox.tax_ids import is_vkn as is_valid_vkn
from sync_engine.sandbox.core import GibDirectory
from sync_engine.sandbox.shop_wire import TR_TZ
from sync_engine.devtools.orders import data

# The first order a factory makes, when the caller gives no time.
BASE_TIME = datetime(2025, 3, 3, 9, 0, 0, tzinfo=TR_TZ)


class Kind(StrEnum):
    PERSON = "person"  # gave a valid TCKN
    ANONYMOUS = "anonymous"  # gave no TCKN (or 11111111111, or nothing usable)
    COMPANY = "company"  # company title + valid VKN + tax office


def generate_tckn(rng: random.Random) -> str:
    """A TCKN that passes the checksum (first digit never 0), never 11111111111."""
    from stdnum.tr import tckimlik

    while True:
        body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        number = body + tckimlik.calc_check_digits(body)
        if number != ANONYMOUS_TCKN and is_valid_tckn(number):
            return number


def generate_vkn(rng: random.Random) -> str:
    """A 10-digit VKN that passes the checksum."""
    from stdnum.tr import vkn

    while True:
        body = "".join(str(rng.randint(0, 9)) for _ in range(9))
        number = body + vkn.calc_check_digit(body)
        if is_valid_vkn(number):
            return number


# e-Fatura buyers must be registered in the sandbox's GİB directory (core.GibDirectory) and
# pass the VKN checksum, or their orders could never be invoiced; a seed that drifts from
# that (it once held 9876543210, which fails the checksum) drops out here instead.
_GIB = GibDirectory()
EFATURA_COMPANIES = tuple(
    c for c in data.EFATURA_COMPANIES if is_valid_vkn(c[0]) and _GIB.is_registered(c[0])
)


@dataclass(frozen=True)
class BuyerSpec:
    kind: Kind
    first_name: str
    last_name: str
    email: str
    phone: str
    place: data.Place
    street: str  # "Moda Cad. No:12 D:3"
    tckn: str = ""  # what the buyer typed; may be "" or 11111111111 for anonymous
    company: str = ""
    vkn: str = ""
    tax_office: str = ""
    efatura: bool = False  # a GİB-registered e-Fatura user
    # Which of the field names real stores use carries the identity (see the renderers).
    identity_style: int = 0
    lost_postcode_zero: bool = False  # "6420" for 06420, as a JS or spreadsheet hop leaves it
    ship_elsewhere: bool = False  # a different shipping address


@dataclass(frozen=True)
class LineSpec:
    product: data.Product
    quantity: int


@dataclass(frozen=True)
class DiscountSpec:
    code: str
    value_type: str  # "percentage" | "fixed_amount"
    value: Decimal  # percent, or TRY off the order (VAT-inclusive)


@dataclass(frozen=True)
class ShippingSpec:
    title: str
    price: Decimal  # VAT-inclusive, what the buyer pays for shipping; 0 for free shipping
    vat_rate: int = 20  # cargo is a service at the general rate


@dataclass(frozen=True)
class OrderSpec:
    n: int  # the shop's running order number: Shopify name "#{1000+n}"
    created_at: datetime
    buyer: BuyerSpec
    lines: tuple[LineSpec, ...]
    shipping: ShippingSpec
    discount: DiscountSpec | None = None
    gateway: tuple[str, str, str] = data.GATEWAYS[0]
    uid: int = 0  # seeds the platform ids, tokens and IPs so a spec renders the same twice
    note: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def order_number(self) -> int:
        return 1000 + self.n


def _ascii_fold(text: str) -> str:
    table = str.maketrans("çğıöşüÇĞİÖŞÜ", "cgiosuCGIOSU")
    return text.translate(table).lower()


def _phone(rng: random.Random) -> str:
    digits = f"5{rng.choice('0345')}{rng.randint(0, 9)}{rng.randint(0, 9999999):07d}"
    style = rng.randrange(3)
    if style == 0:
        return f"+90{digits}"
    if style == 1:
        return f"0{digits}"
    return f"+90 {digits[:3]} {digits[3:6]} {digits[6:8]} {digits[8:]}"


def random_buyer(rng: random.Random, kind: Kind, *, efatura: bool | None = None) -> BuyerSpec:
    first = rng.choice(data.FIRST_NAMES)
    last = rng.choice(data.LAST_NAMES)
    email = f"{_ascii_fold(first)}.{_ascii_fold(last)}{rng.randint(1, 999)}@{rng.choice(data.EMAIL_DOMAINS)}"
    place = rng.choice(data.PLACES)
    street = f"{rng.choice(data.STREETS)} No:{rng.randint(1, 180)} D:{rng.randint(1, 24)}"
    common = dict(
        first_name=first,
        last_name=last,
        email=email,
        phone=_phone(rng),
        place=place,
        street=street,
        identity_style=rng.randrange(4),
        lost_postcode_zero=place.postcode.startswith("0") and rng.random() < 0.5,
        ship_elsewhere=rng.random() < 0.15,
    )
    if kind is Kind.PERSON:
        return BuyerSpec(kind=kind, tckn=generate_tckn(rng), **common)  # type: ignore[arg-type]
    if kind is Kind.ANONYMOUS:
        typed = rng.choice(("", "", ANONYMOUS_TCKN))
        return BuyerSpec(kind=kind, tckn=typed, **common)  # type: ignore[arg-type]
    registered = efatura if efatura is not None else rng.random() < 0.3
    if registered and EFATURA_COMPANIES:
        vkn, title, office = rng.choice(EFATURA_COMPANIES)
    else:
        registered = False
        vkn = generate_vkn(rng)
        title = f"{rng.choice(data.LAST_NAMES)} {rng.choice(data.COMPANY_SUFFIXES)}"
        office = rng.choice(data.TAX_OFFICES)
    return BuyerSpec(  # type: ignore[arg-type]
        kind=kind, company=title, vkn=vkn, tax_office=office, efatura=registered, **common
    )


def random_spec(
    rng: random.Random,
    *,
    n: int,
    kind: Kind | str,
    created_at: datetime | None = None,
    efatura: bool | None = None,
) -> OrderSpec:
    kind = Kind(kind)
    buyer = random_buyer(rng, kind, efatura=efatura)
    count = rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0]
    products = rng.sample(data.PRODUCTS, count)
    lines = tuple(
        LineSpec(p, rng.choices((1, 2, 3, 5), weights=(70, 20, 8, 2))[0]) for p in products
    )
    gross = sum((line.product.price * line.quantity for line in lines), Decimal(0))
    discount: DiscountSpec | None = None
    roll = rng.random()
    if roll < 0.2:
        pct = rng.choice((5, 10, 15, 20))
        discount = DiscountSpec(f"INDIRIM{pct}", "percentage", Decimal(pct))
    elif roll < 0.3:
        off = min(Decimal(rng.choice((25, 50, 100))), (gross / 2).quantize(Decimal(1)))
        if off > 0:
            discount = DiscountSpec(f"HOSGELDIN{off}", "fixed_amount", off)
    if gross >= Decimal(750) and rng.random() < 0.8:
        shipping = ShippingSpec("Ücretsiz Kargo", Decimal("0.00"))
    else:
        price = Decimal(rng.choice(("39.99", "49.90", "59.90", "74.50")))
        shipping = ShippingSpec(rng.choice(data.CARRIERS), price)
    when = created_at or BASE_TIME + timedelta(minutes=47 * n, seconds=rng.randint(0, 2000))
    return OrderSpec(
        n=n,
        created_at=when.astimezone(TR_TZ),
        buyer=buyer,
        lines=lines,
        shipping=shipping,
        discount=discount,
        gateway=rng.choice(data.GATEWAYS),
        uid=rng.getrandbits(64),
    )
