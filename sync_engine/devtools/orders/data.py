"""Static Turkish data the order factory draws from: names, places, products, tax offices.

Places are real il / ilçe pairs with their real postcodes and licence-plate numbers (the
number WooCommerce's TR state codes TR01..TR81 use). Product VAT rates are illustrative of
the three rates in force since July 2023 (1 / 10 / 20 %), not a tax ruling per product.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

FIRST_NAMES = (
    "Ayşe", "Fatma", "Zeynep", "Elif", "Emine", "Hatice", "Merve", "Büşra", "Şeyma",
    "Gülşen", "Özlem", "İrem", "Mehmet", "Mustafa", "Ahmet", "Ali", "Hüseyin", "Hasan",
    "İbrahim", "Murat", "Emre", "Burak", "Oğuz", "Çağrı", "Uğur", "Serkan", "Gökhan",
)
LAST_NAMES = (
    "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın",
    "Özdemir", "Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Kara", "Koç", "Kurt",
    "Özkan", "Şimşek", "Polat", "Erdoğan", "Güneş", "Akgül", "Tekin", "Karaca",
)
EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "yandex.com", "icloud.com")
STREETS = (
    "Atatürk Cad.", "Cumhuriyet Cad.", "İstiklal Cad.", "Gazi Bulvarı", "Bağdat Cad.",
    "Moda Cad.", "Kazım Karabekir Sok.", "Fevzi Çakmak Cad.", "Mimar Sinan Sok.",
    "Şehit Ömer Halisdemir Cad.", "Necip Fazıl Bulvarı", "Menekşe Sok.", "Lale Sok.",
)


@dataclass(frozen=True)
class Place:
    city: str  # il
    plate: int  # licence-plate number: WooCommerce state TR{plate:02d}
    district: str  # ilçe
    neighbourhood: str  # mahalle
    postcode: str


PLACES = (
    Place("İstanbul", 34, "Kadıköy", "Caferağa Mah.", "34710"),
    Place("İstanbul", 34, "Beşiktaş", "Sinanpaşa Mah.", "34353"),
    Place("İstanbul", 34, "Üsküdar", "Altunizade Mah.", "34662"),
    Place("İstanbul", 34, "Şişli", "Mecidiyeköy Mah.", "34387"),
    Place("Ankara", 6, "Çankaya", "Kızılay Mah.", "06420"),
    Place("Ankara", 6, "Yenimahalle", "Batıkent Mah.", "06370"),
    Place("İzmir", 35, "Karşıyaka", "Bostanlı Mah.", "35590"),
    Place("İzmir", 35, "Bornova", "Kazımdirik Mah.", "35100"),
    Place("Bursa", 16, "Nilüfer", "Görükle Mah.", "16285"),
    Place("Antalya", 7, "Muratpaşa", "Lara Mah.", "07100"),
    Place("Eskişehir", 26, "Tepebaşı", "Hoşnudiye Mah.", "26130"),
    Place("Konya", 42, "Selçuklu", "Feritpaşa Mah.", "42060"),
    Place("Gaziantep", 27, "Şahinbey", "Karataş Mah.", "27010"),
    Place("Trabzon", 61, "Ortahisar", "Kemerkaya Mah.", "61030"),
    Place("Kocaeli", 41, "İzmit", "Karabaş Mah.", "41040"),
    Place("Adana", 1, "Seyhan", "Reşatbey Mah.", "01120"),
    Place("Mersin", 33, "Yenişehir", "Pirireis Mah.", "33110"),
)

TAX_OFFICES = (
    "Kadıköy", "Mecidiyeköy", "Kozyatağı", "Beşiktaş", "Büyük Mükellefler", "Çankaya",
    "Maltepe", "Karşıyaka", "Bornova", "Nilüfer", "Muratpaşa", "Selçuk", "Şahinbey",
)
COMPANY_SUFFIXES = (
    "İnşaat Ltd. Şti.", "Tekstil San. ve Tic. A.Ş.", "Bilişim Hizmetleri Ltd. Şti.",
    "Gıda Pazarlama A.Ş.", "Mobilya Dekorasyon Ltd. Şti.", "Danışmanlık Ltd. Şti.",
)
# Registered e-Fatura users in the sandbox's GİB directory (core.GibDirectory), with the
# titles the demo shows. Only VKNs that pass the checksum are used (spec.EFATURA_COMPANIES).
EFATURA_COMPANIES = (
    ("1234567890", "Örnek Teknoloji A.Ş.", "Büyük Mükellefler"),
    ("9876543217", "Anadolu Gıda Ltd. Şti.", "Kozyatağı"),
)

GATEWAYS = (
    # (Shopify gateway name, WooCommerce payment_method, its title)
    ("iyzico", "iyzico", "Kredi Kartı / Banka Kartı (iyzico)"),
    ("PayTR", "paytr_payment_gateway", "Kredi / Banka Kartı (PayTR)"),
    ("Param", "param_pos", "Kredi Kartı ile Öde (Param)"),
)
CARRIERS = ("Yurtiçi Kargo", "Aras Kargo", "MNG Kargo", "Sürat Kargo", "PTT Kargo")


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    variant: str | None
    price: Decimal  # VAT-inclusive shelf price, as Turkish shops display and sell
    vat_rate: int  # percent
    grams: int
    vendor: str


def _p(sku: str, title: str, variant: str | None, price: str, rate: int, grams: int, vendor: str) -> Product:
    return Product(sku, title, variant, Decimal(price), rate, grams, vendor)


PRODUCTS = (
    _p("ELK-KLK-001", "Kablosuz Kulaklık", "Siyah", "1299.90", 20, 250, "SesPro"),
    _p("ELK-SRJ-020", "Hızlı Şarj Adaptörü 20W", None, "349.90", 20, 120, "SesPro"),
    _p("KZM-TRM-015", "Termos 500 ml", "Lacivert", "459.00", 20, 400, "Kamp Evi"),
    _p("KZM-MTS-002", "Seramik Kupa Seti (4'lü)", None, "289.50", 20, 1200, "Çini Atölye"),
    _p("KOZ-NEM-050", "Nemlendirici Krem 50 ml", None, "219.99", 20, 80, "Doğa Bakım"),
    _p("OYN-PZL-1000", "Puzzle 1000 Parça İstanbul", None, "179.90", 20, 700, "Zeka Kutusu"),
    _p("TKS-HVL-SET", "Pamuklu Havlu Seti", "Beyaz", "649.00", 10, 1500, "Denizli Dokuma"),
    _p("TKS-NVR-CFT", "Nevresim Takımı Çift Kişilik", "Gri", "1149.00", 10, 2100, "Denizli Dokuma"),
    _p("GDA-BKL-1KG", "Antep Fıstıklı Baklava 1 kg", None, "899.00", 10, 1100, "Şahinbey Tatlıcısı"),
    _p("GDA-KHV-250", "Türk Kahvesi 250 g", None, "134.90", 10, 260, "Kahveci Efendi"),
    _p("GDA-MRC-1KG", "Organik Kırmızı Mercimek 1 kg", None, "89.90", 1, 1000, "Çiftlikten"),
    _p("GDA-PRN-2KG", "Baldo Pirinç 2 kg", None, "149.75", 1, 2000, "Çiftlikten"),
    _p("GDA-UN-5KG", "Tam Buğday Unu 5 kg", None, "124.45", 1, 5000, "Değirmen"),
    _p("GDA-BLG-1KG", "Pilavlık Bulgur 1 kg", None, "42.35", 1, 1000, "Çiftlikten"),
)
