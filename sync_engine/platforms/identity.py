"""Turkish buyer identity from shop data: who the invoice is made out to.

Shops collect TCKN / VKN / vergi dairesi in free-form places (Shopify note attributes,
WooCommerce Hezarfen meta). These rules are shared so every platform decides alike:

* a company (a non-empty company title, an explicit company choice, or a 10-digit VKN) must
  have a valid VKN — or a valid TCKN for a sole proprietor (şahıs şirketi) — and a tax
  office; a VKN without a title takes the billing name as its title. Otherwise no Order is
  built and the operator is told why, because a company invoice made out to the wrong
  identity cannot be fixed by the shop;
* a person with a valid TCKN is invoiced by name and TCKN;
* a person whose TCKN fails its checksum stops in needs_attention (``invalid_tax_id``) —
  unless the store says ``invalid_tax_id = "anonymous"``, then they are the anonymous
  consumer, and the order says so (``identity_note``);
* anyone else (no TCKN given) is the anonymous consumer 11111111111 with their real name,
  e-mail and address, as GİB allows for consumers who give no TCKN.

Where a shop keeps the TCKN / VKN / tax office depends on its checkout plugin: each platform
knows the common plugins' keys, and a store adds its own in ``[stores.buyer_fields]``
(``BuyerRules``), tried first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from sync_engine.domain import (
    ANONYMOUS_TCKN,
    Address,
    Buyer,
    BuyerKind,
    is_valid_tckn,
    is_valid_vkn,
    mask,
)
from sync_engine.domain.states import AttentionCategory

# WooCommerce's TR state codes (TR01..TR81) are licence-plate numbers; the e-Arşiv address
# wants the il's name.
_PROVINCE_NAMES = (
    "Adana", "Adıyaman", "Afyonkarahisar", "Ağrı", "Amasya", "Ankara", "Antalya",
    "Artvin", "Aydın", "Balıkesir", "Bilecik", "Bingöl", "Bitlis", "Bolu", "Burdur",
    "Bursa", "Çanakkale", "Çankırı", "Çorum", "Denizli", "Diyarbakır", "Edirne",
    "Elazığ", "Erzincan", "Erzurum", "Eskişehir", "Gaziantep", "Giresun", "Gümüşhane",
    "Hakkari", "Hatay", "Isparta", "Mersin", "İstanbul", "İzmir", "Kars", "Kastamonu",
    "Kayseri", "Kırklareli", "Kırşehir", "Kocaeli", "Konya", "Kütahya", "Malatya",
    "Manisa", "Kahramanmaraş", "Mardin", "Muğla", "Muş", "Nevşehir", "Niğde", "Ordu",
    "Rize", "Sakarya", "Samsun", "Siirt", "Sinop", "Sivas", "Tekirdağ", "Tokat",
    "Trabzon", "Tunceli", "Şanlıurfa", "Uşak", "Van", "Yozgat", "Zonguldak", "Aksaray",
    "Bayburt", "Karaman", "Kırıkkale", "Batman", "Şırnak", "Bartın", "Ardahan", "Iğdır",
    "Yalova", "Karabük", "Kilis", "Osmaniye", "Düzce",
)
TR_PROVINCES: dict[str, str] = {
    f"TR{n:02d}": name for n, name in enumerate(_PROVINCE_NAMES, start=1)
}


def fold_key(name: str) -> str:
    """Compare attribute names the way a Turkish merchant types them.

    Turkish-aware lowercasing (İ→i, I→ı), then dotted and dotless i are merged because
    merchants write "TC KIMLIK NO" and "TC KİMLİK NO" alike; spaces, underscores, hyphens
    and dots are dropped ("Vergi_Dairesi", "T.C. Kimlik No").
    """
    lowered = name.replace("İ", "i").replace("I", "ı").lower().replace("ı", "i")
    return "".join(ch for ch in lowered if ch not in " _-.\t")


def digits_only(value: str) -> str:
    return "".join(ch for ch in value if not ch.isspace())


def country_name(code: str, name: str) -> str:
    if code.upper() == "TR" or fold_key(name) in {"turkey", "türkiye", "turkiye"}:
        return "Türkiye"
    return name or code


def postal_code(code: str, country_code: str) -> str:
    # Turkish postcodes have five digits; a JS or spreadsheet hop drops a leading zero
    # ("7230" for 07230, seen in a real Shopify TR order).
    cleaned = code.strip()
    if country_code.upper() == "TR" and cleaned.isdigit() and len(cleaned) == 4:
        return "0" + cleaned
    return cleaned


class InvalidTaxId(StrEnum):
    """What a buyer whose TCKN fails its checksum becomes (``[stores.invoice] invalid_tax_id``)."""

    NEEDS_ATTENTION = "needs_attention"  # an operator asks the buyer (default)
    ANONYMOUS = "anonymous"  # invoiced as the anonymous consumer 11111111111


@dataclass(frozen=True)
class BuyerRules:
    """A store's say in who its invoices name: extra keys where its shop keeps the identity
    (tried before the platform's defaults, compared like ``fold_key``) and the invalid-TCKN
    policy."""

    tckn_keys: tuple[str, ...] = ()
    vkn_keys: tuple[str, ...] = ()
    tax_office_keys: tuple[str, ...] = ()
    invoice_type_keys: tuple[str, ...] = ()
    invalid_tax_id: InvalidTaxId = InvalidTaxId.NEEDS_ATTENTION


DEFAULT_RULES = BuyerRules()


def rules_for(store: Any) -> BuyerRules:
    """A configured store's rules (``[stores.buyer_fields]``, ``[stores.invoice]
    invalid_tax_id``)."""
    fields = store.buyer_fields
    return BuyerRules(
        tckn_keys=tuple(fields.tckn), vkn_keys=tuple(fields.vkn),
        tax_office_keys=tuple(fields.tax_office), invoice_type_keys=tuple(fields.invoice_type),
        invalid_tax_id=InvalidTaxId(store.invoice.invalid_tax_id),
    )


class Problem(str):
    """Why no invoice can be made as the order stands: the operator's text, and the
    needs_attention category it files under. A ``str``, so every place that shows or stores
    a reason takes it unchanged."""

    category: AttentionCategory

    def __new__(cls, text: str, category: AttentionCategory = AttentionCategory.INVALID_ORDER) -> Problem:
        made = super().__new__(cls, text)
        made.category = category
        return made


def category_of(problem: str | None) -> AttentionCategory:
    return problem.category if isinstance(problem, Problem) else AttentionCategory.INVALID_ORDER


@dataclass(frozen=True)
class Resolved:
    """The invoice's buyer (or the problem that stops it) and, when the identity was decided
    by a store setting rather than by the shop's data, a note saying so."""

    buyer: Buyer | None
    problem: Problem | None = None
    note: str = ""


@dataclass(frozen=True)
class IdentityFacts:
    """What a shop told us about the buyer, before any decision."""

    company_name: str = ""
    force_company: bool | None = None  # an explicit person/company choice (Hezarfen)
    tckn: str = ""
    vkn: str = ""
    tax_office: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    address: Address = field(default_factory=Address)


def resolve_buyer(facts: IdentityFacts, rules: BuyerRules = DEFAULT_RULES) -> Resolved:
    """The invoice's buyer, or None and a reason an operator can act on."""
    company = facts.company_name.strip()
    vkn = digits_only(facts.vkn)
    # A 10-digit VKN belongs to a legal entity only: given one, the buyer is a company even
    # when the shop's form left the title empty (then the billing name is the title).
    implied = bool(company) or len(vkn) == 10
    wants_company = facts.force_company if facts.force_company is not None else implied
    first, last = _split_name(facts.first_name.strip(), facts.last_name.strip())
    common = {
        "first_name": first,
        "last_name": last,
        "email": facts.email.strip(),
        "phone": facts.phone.strip(),
        "address": facts.address,
    }
    if wants_company:
        title = company or " ".join(p for p in (first, last) if p)
        valid = is_valid_vkn(vkn) if len(vkn) != 11 else is_valid_tckn(vkn)
        if not title:
            return Resolved(None, Problem("company invoice requested but the company title is empty"))
        if not valid:
            got = mask(vkn) if vkn else "nothing"
            category = AttentionCategory.INVALID_TAX_ID if vkn else AttentionCategory.INVALID_ORDER
            return Resolved(None, Problem(f"company {title!r} has no valid VKN (got {got})", category))
        if not facts.tax_office.strip():
            return Resolved(None, Problem(f"company {title!r} has no tax office (vergi dairesi)"))
        note = "" if company else "VKN without a company title: the billing name is the title"
        return _build(
            note, kind=BuyerKind.COMPANY, tax_id=vkn, company_name=title,
            tax_office=facts.tax_office.strip(), **common,
        )
    tckn = digits_only(facts.tckn)
    if tckn and tckn != ANONYMOUS_TCKN and not is_valid_tckn(tckn):
        if rules.invalid_tax_id is InvalidTaxId.NEEDS_ATTENTION:
            return Resolved(None, Problem(
                f"the buyer's TCKN {mask(tckn)} fails its checksum: ask the buyer for the right one, "
                "or set [stores.invoice] invalid_tax_id = \"anonymous\" to invoice such buyers as "
                "the anonymous consumer", AttentionCategory.INVALID_TAX_ID,
            ))
        note = f"TCKN {mask(tckn)} fails its checksum: invoiced as the anonymous consumer (invalid_tax_id = anonymous)"
        return _build(note, kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN, **common)
    if tckn and tckn != ANONYMOUS_TCKN:
        if last:
            return _build("", kind=BuyerKind.PERSON, tax_id=tckn, **common)
        return _build("a TCKN without a surname cannot be invoiced by name: invoiced as the anonymous consumer",
                      kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN, **common)
    return _build("", kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN, **common)


def _split_name(first: str, last: str) -> tuple[str, str]:
    # A person's invoice needs a surname; shops that ask for one "full name" put it all in
    # the first-name field.
    if not last and " " in first:
        head, _, tail = first.rpartition(" ")
        return head.strip(), tail.strip()
    return first, last


def _build(note: str, **fields: object) -> Resolved:
    try:
        return Resolved(Buyer(**fields), None, note)  # type: ignore[arg-type]
    except ValidationError as exc:
        reasons = "; ".join(err["msg"] for err in exc.errors())
        return Resolved(None, Problem(f"buyer data is not usable: {reasons}"))


def pick(values: Mapping[str, str], configured: tuple[str, ...], defaults: Iterable[str]) -> str:
    """The value under the first configured key that has one, else the first of the shop's
    own fields (in the shop's order) that is a default key. ``values`` is keyed by
    ``fold_key`` of the shop's names; keys are compared the same way."""
    for key in configured:
        if value := values.get(fold_key(key), ""):
            return value
    known = {fold_key(key) for key in defaults}
    return next((value for key, value in values.items() if key in known and value), "")
