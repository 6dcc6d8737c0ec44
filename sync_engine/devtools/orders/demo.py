"""The demo's fixed orders: a handful of named, realistic buyers covering every invoicing path
(person with TCKN, anonymous consumer, e-Fatura company, e-Arşiv company; VAT 1/10/20;
a percentage and a fixed discount; paid and free shipping)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sync_engine.devtools.orders import data
from sync_engine.devtools.orders.spec import (
    TR_TZ,
    BuyerSpec,
    DiscountSpec,
    Kind,
    LineSpec,
    OrderSpec,
    ShippingSpec,
)

DEMO_START = datetime(2025, 3, 3, 10, 15, 0, tzinfo=TR_TZ)
_P = {p.sku: p for p in data.PRODUCTS}
_PLACE = {(p.city, p.district): p for p in data.PLACES}


def _buyer(kind: Kind, first: str, last: str, email: str, phone: str, place: tuple[str, str],
           street: str, **identity: object) -> BuyerSpec:
    return BuyerSpec(  # type: ignore[arg-type]
        kind=kind, first_name=first, last_name=last, email=email, phone=phone,
        place=_PLACE[place], street=street, **identity,
    )


def demo_specs(start: datetime | None = None) -> list[OrderSpec]:
    """Seven orders, #1001..#1007, ten minutes apart from ``start``."""
    base = (start or DEMO_START).astimezone(TR_TZ)

    def at(i: int) -> datetime:
        return base + timedelta(minutes=10 * i)

    cargo = ShippingSpec("Yurtiçi Kargo", Decimal("49.90"))
    free = ShippingSpec("Ücretsiz Kargo", Decimal("0.00"))
    return [
        OrderSpec(
            n=1, created_at=at(0), uid=910001, gateway=data.GATEWAYS[0], shipping=cargo,
            buyer=_buyer(Kind.PERSON, "Ayşe", "Yılmaz", "ayse.yilmaz@example.com",
                         "+905321234567", ("İstanbul", "Kadıköy"), "Moda Cad. No:12 D:3",
                         tckn="91728056974", identity_style=0),
            lines=(LineSpec(_P["KZM-TRM-015"], 1),),
        ),
        OrderSpec(
            n=2, created_at=at(1), uid=910002, gateway=data.GATEWAYS[1], shipping=cargo,
            buyer=_buyer(Kind.PERSON, "Mehmet", "Kaya", "mehmet.kaya@example.com",
                         "05334567890", ("Ankara", "Çankaya"), "Atatürk Cad. No:45 D:7",
                         tckn="41661013664", identity_style=2, lost_postcode_zero=True),
            lines=(LineSpec(_P["ELK-SRJ-020"], 1), LineSpec(_P["TKS-HVL-SET"], 2)),
            discount=DiscountSpec("INDIRIM10", "percentage", Decimal(10)),
        ),
        OrderSpec(
            n=3, created_at=at(2), uid=910003, gateway=data.GATEWAYS[0], shipping=cargo,
            buyer=_buyer(Kind.ANONYMOUS, "Zeynep", "Demir", "zeynep.demir@example.com",
                         "+90 542 765 43 21", ("İzmir", "Karşıyaka"), "Cumhuriyet Cad. No:8 D:2",
                         tckn="", identity_style=0),
            lines=(LineSpec(_P["GDA-MRC-1KG"], 2), LineSpec(_P["GDA-PRN-2KG"], 1)),
        ),
        OrderSpec(
            n=4, created_at=at(3), uid=910004, gateway=data.GATEWAYS[2], shipping=free,
            buyer=_buyer(Kind.COMPANY, "Selin", "Aydın", "satinalma@ornekteknoloji.com.tr",
                         "+902164440000", ("İstanbul", "Şişli"), "Gazi Bulvarı No:101 D:5",
                         company="Örnek Teknoloji A.Ş.", vkn="1234567890",
                         tax_office="Büyük Mükellefler", efatura=True, identity_style=0),
            lines=(LineSpec(_P["ELK-KLK-001"], 3), LineSpec(_P["ELK-SRJ-020"], 3)),
        ),
        OrderSpec(
            n=5, created_at=at(4), uid=910005, gateway=data.GATEWAYS[0], shipping=cargo,
            buyer=_buyer(Kind.COMPANY, "Hakan", "Özdemir", "muhasebe@ozdemirinsaat.com.tr",
                         "+903224445566", ("Adana", "Seyhan"), "Fevzi Çakmak Cad. No:3 D:1",
                         company="Özdemir İnşaat Ltd. Şti.", vkn="2851974795",
                         tax_office="Seyhan", identity_style=2),
            lines=(LineSpec(_P["KZM-MTS-002"], 2), LineSpec(_P["GDA-UN-5KG"], 1)),
        ),
        OrderSpec(
            n=6, created_at=at(5), uid=910006, gateway=data.GATEWAYS[1], shipping=cargo,
            buyer=_buyer(Kind.PERSON, "Emre", "Çelik", "emre.celik@example.com",
                         "+905058889900", ("Bursa", "Nilüfer"), "Menekşe Sok. No:17 D:4",
                         tckn="26090881374", identity_style=1),
            lines=(
                LineSpec(_P["KOZ-NEM-050"], 1),
                LineSpec(_P["GDA-KHV-250"], 2),
                LineSpec(_P["GDA-BLG-1KG"], 3),
            ),
            discount=DiscountSpec("HOSGELDIN50", "fixed_amount", Decimal(50)),
        ),
        OrderSpec(
            n=7, created_at=at(6), uid=910007, gateway=data.GATEWAYS[0], shipping=free,
            buyer=_buyer(Kind.ANONYMOUS, "Ali", "Şahin", "ali.sahin@example.com",
                         "05437778899", ("Antalya", "Muratpaşa"), "Lale Sok. No:2 D:9",
                         tckn="11111111111", identity_style=0, lost_postcode_zero=True),
            # Two sets: one piece of 1149.00 at 10 % has no 2-decimal net whose FaturaEntegratör
            # VAT lands on it (1044.54 → 1148.99, 1044.55 → 1149.01), and such an order stops
            # before GİB (total_mismatch), as tests/integration/test_workers.py shows with 12.03.
            lines=(LineSpec(_P["TKS-NVR-CFT"], 2),),
        ),
    ]
