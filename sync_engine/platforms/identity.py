"""Turkish buyer identity from shop data: who the invoice is made out to.

Shops collect TCKN / VKN / vergi dairesi in free-form places (Shopify note attributes,
WooCommerce Hezarfen meta). These rules are shared so every platform decides alike:

* a company (a non-empty company title) must have a valid VKN — or a valid TCKN for a sole
  proprietor (şahıs şirketi) — and a tax office; otherwise no Order is built and the
  operator is told why, because a company invoice made out to the wrong identity cannot be
  fixed by the shop;
* a person with a valid TCKN is invoiced by name and TCKN;
* anyone else is the anonymous consumer 11111111111 with their real name, e-mail and
  address, as GİB allows for consumers who give no TCKN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def resolve_buyer(facts: IdentityFacts) -> tuple[Buyer | None, str | None]:
    """The invoice's buyer, or None and a reason an operator can act on."""
    company = facts.company_name.strip()
    wants_company = facts.force_company if facts.force_company is not None else bool(company)
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
        tax_id = digits_only(facts.vkn)
        valid = is_valid_vkn(tax_id) if len(tax_id) != 11 else is_valid_tckn(tax_id)
        if not title:
            return None, "company invoice requested but the company title is empty"
        if not valid:
            got = mask(tax_id) if tax_id else "nothing"
            return None, f"company {title!r} has no valid VKN (got {got})"
        if not facts.tax_office.strip():
            return None, f"company {title!r} has no tax office (vergi dairesi)"
        return _build(
            kind=BuyerKind.COMPANY,
            tax_id=tax_id,
            company_name=title,
            tax_office=facts.tax_office.strip(),
            **common,
        )
    tckn = digits_only(facts.tckn)
    if tckn != ANONYMOUS_TCKN and is_valid_tckn(tckn) and last:
        return _build(kind=BuyerKind.PERSON, tax_id=tckn, **common)
    return _build(kind=BuyerKind.ANONYMOUS, tax_id=ANONYMOUS_TCKN, **common)


def _split_name(first: str, last: str) -> tuple[str, str]:
    # A person's invoice needs a surname; shops that ask for one "full name" put it all in
    # the first-name field.
    if not last and " " in first:
        head, _, tail = first.rpartition(" ")
        return head.strip(), tail.strip()
    return first, last


def _build(**fields: object) -> tuple[Buyer | None, str | None]:
    try:
        return Buyer(**fields), None  # type: ignore[arg-type]
    except ValidationError as exc:
        reasons = "; ".join(err["msg"] for err in exc.errors())
        return None, f"buyer data is not usable: {reasons}"
