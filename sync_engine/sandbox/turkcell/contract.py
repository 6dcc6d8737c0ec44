"""Turkcell e-Şirket's documented request contracts, one per endpoint the simulator serves,
written from the documents (seed 004 = the Muhasebe API, FACTS §4 = the token and the e-Fatura
service), not from our adapter.

Sources: ``C seed 004`` field marks and limits of the Muhasebe models; ``C FACTS §4.1`` the
token form; ``I FACTS §4.2`` the e-Fatura service create model (FACTS tags its field list I,
its enums C). Where neither gives a limit, the field has none here. Query parameters are
text on the wire, so their kinds are the ``*_string`` ones.

Stateful checks stay in the handlers: an unknown cari / invoice (404), a second GİB send of
one ETTN (409), the buyer's e-Fatura registration, one cari per VKN/TCKN, the sent body
agreeing with the Muhasebe record of the same ETTN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sync_engine.sandbox.contract import Contract, Field, Rule, get, items

SEED = "C seed 004"
FACTS_TOKEN = "C FACTS §4.1"
FACTS_SERVICE = "I FACTS §4.2"
FACTS_ENUM = "C FACTS §4.2"

MAX_PAGE_SIZE = 500  # C seed 004: "Tek seferde max 500 kayıttır"
# C seed 004: the filterQuery operators, Turkish literals. No range operator is documented.
OPERATORS = ("eşittir", "eşittir değildir", "içeren", "içermeyen", "ile başlayan", "ile başlamayan")

IDENTIFIER = r"[0-9]{10,11}"  # C seed 004: VKN/TCKN, 10 or 11 digits, digits only
PREFIX = r"[A-Z0-9]{3}"  # C seed 004 + FACTS §5.2: the 3-character series
EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"  # C seed 004: <email>
URL = r"https?://[^\s/]+\.[^\s]+"  # C seed 004: <url>
ALIAS = r"urn:mail:\S+@\S+"  # I FACTS §4.2 / §5.1: posta kutusu alias
PHONE = r"[0-9]+"

# e-Fatura service enums (C FACTS §4.2).
RECORD_E_ARSIV, RECORD_E_FATURA = 0, 1
# generalInfoModel.type: C, the vendor's ePlatform client (Models/Enums/InvoiceType.cs):
# SATIS 1, IADE 2, ISTISNA 3, OZELMATRAH 4, TEVKIFAT 5, … The sandbox simulates sales and
# returns only; the other types are refused here as not simulated.
TYPE_SATIS, TYPE_IADE = 1, 2
INVOICE_TYPES = (TYPE_SATIS, TYPE_IADE)
SOURCE_TYPE = "C ePlatform client InvoiceType.cs (SATIS 1, IADE 2)"
INVOICE_NUMBER = r"[A-Z0-9]{3}[0-9]{13}"  # C FACTS §5.2: series + year + 9-digit sequence
STATUS_DRAFT, STATUS_SEND = 0, 20  # Taslak, Kaydet ve Gönder
PROFILE_TEMEL, PROFILE_TICARI, PROFILE_EARSIV = 0, 1, 4
SEND_TYPES = ("ELEKTRONIK", "KAGIT")  # C seed 004 / FACTS §5.4
# UN/ECE 4461 codes; seed 004 labels "1" as "Ödeme Aracısı" (I: the rest of the list).
PAYMENT_MEANS_CODES = ("1", "10", "20", "23", "42", "48", "49", "97", "ZZZ")
# C FACTS §5.3: KDV 1 / 10 / 20 % since 10 July 2023, or 0 % with an exemption code. (I) The
# older 8 / 18 % that provider enums still list are refused: every invoice here is issued now.
VAT_RATES = (Decimal(0), Decimal(1), Decimal(10), Decimal(20))
# I: a line's amounts must agree (quantity × price − discount, net × rate) within 2 kuruş,
# a per-rate VAT allocation moving a line by up to ~1.5 kuruş. GİB refuses inconsistent sums.
TOLERANCE = Decimal("0.02")
KURUS = Decimal("0.01")


# --- token -----------------------------------------------------------------------------------

TOKEN = Contract(
    "POST /v1/token",
    (
        Field("username", required=True, source=FACTS_TOKEN),
        Field("password", required=True, source=FACTS_TOKEN),
        Field("client_id", required=True, enum=("serviceApi",), source=FACTS_TOKEN),
        Field("grant_type", source="I FACTS §4.1: the examples send none; OAuth clients may"),
    ),
    source=FACTS_TOKEN,
)


# --- cari and its addresses ------------------------------------------------------------------


def _address_fields(prefix: str = "") -> tuple[Field, ...]:
    p = f"{prefix}." if prefix else ""
    return (
        Field(f"{p}currentAccountId", kind="integer", source=SEED),
        Field(f"{p}branchId", kind="integer", source=SEED),
        Field(f"{p}isDefault", kind="boolean", source=SEED),
        Field(f"{p}addressName", required=True, max_len=250, source=SEED),
        Field(f"{p}subDivisionName", required=True, max_len=100, source=SEED),
        Field(f"{p}city", required=True, max_len=100, source=SEED),
        Field(f"{p}country", required=True, max_len=100, source=SEED),
        *(Field(f"{p}{k}", max_len=100, source=SEED) for k in (
            "region", "streetName", "buildingName", "buildingNumber", "doorNumber", "postalZone")),
        Field(f"{p}emailAddress", max_len=250, pattern=EMAIL, source=SEED),
        Field(f"{p}faxNumber", min_len=10, max_len=11, pattern=PHONE, source=SEED),
        Field(f"{p}phoneNumber", min_len=10, max_len=11, pattern=PHONE, source=SEED),
        Field(f"{p}webSite", max_len=250, pattern=URL, source=SEED),
    )


def _cari_fields(prefix: str = "") -> tuple[Field, ...]:
    p = f"{prefix}." if prefix else ""
    return (
        Field(f"{p}name", required=True, max_len=500, source=SEED),
        Field(f"{p}identifier", required=True, pattern=IDENTIFIER, source=SEED),
        Field(f"{p}code", max_len=50, source=SEED),
        Field(f"{p}surname", max_len=250, source=SEED),
        Field(f"{p}taxOffice", max_len=150, source=SEED),
        Field(f"{p}maturity", kind="integer", source=SEED),
        Field(f"{p}mersisNumber", max_len=50, source=SEED),
        Field(f"{p}registrationNumber", max_len=50, source=SEED),
        Field(f"{p}professionalChamber", max_len=250, source=SEED),
        Field(f"{p}chamberRegistrationNumber", max_len=50, source=SEED),
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _surname_rule(prefix: str, identifier: str, surname: str) -> Rule:
    """C seed 004: "Soyisim, VKN/TCKN durumunun 11 haneli olduğu koşulda zorunludur"."""
    where = f"{prefix}." if prefix else ""

    def holds(b: Mapping[str, Any]) -> bool:
        ident = get(b, f"{where}{identifier}")
        return not (isinstance(ident, str) and len(ident) == 11) or not _blank(get(b, f"{where}{surname}"))

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        node = get(b, prefix) if prefix else b
        node[identifier] = "10000000146"
        node.pop(surname, None)
        return b

    return Rule(
        f"surname_for_tckn{'_' + prefix if prefix else ''}",
        f"11 haneli VKN/TCKN için {where}{surname} (soyisim) alanı zorunludur",
        holds=holds, breaks=breaks, field=f"{where}{surname}", source=SEED,
    )


CARI_CREATE = Contract(
    "POST /v1/currentaccounts",
    (
        *_cari_fields(),
        Field("currentAccountAddress", kind="object", source=SEED),
        *_address_fields("currentAccountAddress"),
    ),
    rules=(_surname_rule("", "identifier", "surname"),),
    source=SEED,
)

CARI_UPDATE = Contract(
    "PUT /v1/currentaccounts/{id}",
    (Field("id", kind="integer", required=True, source=SEED + ": id required on update"), *_cari_fields(),
     Field("isUsed", kind="boolean", source=SEED)),
    rules=(_surname_rule("", "identifier", "surname"),),
    source=SEED,
)

ADDRESS_CREATE = Contract(
    "POST /v1/currentaccountaddresses",
    tuple(
        # C seed 004: currentAccountId is required when the address is added after the cari.
        Field("currentAccountId", kind="integer", required=True, source=SEED) if f.path == "currentAccountId" else f
        for f in _address_fields()
    ),
    source=SEED,
)

ADDRESS_UPDATE = Contract(
    "PUT /v1/currentaccountaddresses",
    (Field("id", kind="integer", required=True, source=SEED + ": id required on update"), *_address_fields()),
    source=SEED,
)

CARI_ACCOUNT_CREATE = Contract(
    "POST /v1/currentaccountaccounts",
    (
        Field("currentAccountId", kind="integer", required=True, source=SEED),
        Field("accountId", kind="integer", required=True, source=SEED),
        Field("name", max_len=250, source=SEED),
        Field("branchId", kind="integer", source=SEED),
    ),
    source=SEED,
)


# --- list queries (text on the wire) -----------------------------------------------------------


def _filter_items(raw: Any) -> list[Any] | None:
    if raw is None:
        return []
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) else None


def _filter_shape(b: Mapping[str, Any]) -> bool:
    parsed = _filter_items(b.get("filterQuery"))
    return parsed is not None and all(
        isinstance(i, dict) and all(isinstance(i.get(k), str) for k in ("category", "operator", "value"))
        for i in parsed
    )


def _filter_operators(b: Mapping[str, Any]) -> bool:
    parsed = _filter_items(b.get("filterQuery"))
    return parsed is None or all(not isinstance(i, dict) or i.get("operator") in OPERATORS for i in parsed)


def _break_shape(b: dict[str, Any]) -> dict[str, Any]:
    b["filterQuery"] = '{"category": "Identifier"}'
    return b


def _break_operator(b: dict[str, Any]) -> dict[str, Any]:
    b["filterQuery"] = json.dumps([{"category": "IssueDate", "operator": "büyük eşittir", "value": "2026-01-01"}],
                                  ensure_ascii=False)
    return b


def _page_size_ok(b: Mapping[str, Any]) -> bool:
    raw = b.get("pageSize")
    return raw is None or not str(raw).isdigit() or 1 <= int(raw) <= MAX_PAGE_SIZE


def _break_page_size(b: dict[str, Any]) -> dict[str, Any]:
    b["pageSize"] = str(MAX_PAGE_SIZE + 1)
    return b


FILTER_RULES = (
    Rule("filter_query_shape", "filterQuery bir {category, operator, value} JSON listesi olmalıdır",
         holds=_filter_shape, breaks=_break_shape, field="filterQuery", source=SEED),
    Rule("filter_query_operator",
         "filterQuery operator geçersiz (dokümante edilenler: " + ", ".join(OPERATORS) + ")",
         holds=_filter_operators, breaks=_break_operator, field="filterQuery", source=SEED),
    Rule("page_size_max", f"pageSize 1 ile {MAX_PAGE_SIZE} arasında olmalıdır",
         holds=_page_size_ok, breaks=_break_page_size, field="pageSize", source=SEED),
)


def _list_contract(endpoint: str, *, paging_required: bool, extra: tuple[Field, ...] = ()) -> Contract:
    return Contract(
        endpoint,
        (
            Field("pageIndex", kind="integer_string", required=paging_required, source=SEED),
            Field("pageSize", kind="integer_string", required=paging_required, source=SEED),
            Field("filterQuery", source=SEED),
            Field("sortedColumn", source=SEED),
            Field("isDesc", enum=("true", "false", "True", "False"), source=SEED),
            Field("branchId", kind="integer_string", source=SEED),
            *extra,
        ),
        rules=FILTER_RULES,
        source=SEED,
    )


CARI_LIST = _list_contract("GET /v1/currentaccounts", paging_required=False)
ACCOUNT_LIST = _list_contract("GET /v1/accounts", paging_required=False)
# C seed 004: the outgoing list takes pageIndex and pageSize (required), filterQuery.
INVOICE_LIST = _list_contract("GET /v1/invoices/outgoing", paging_required=True)
# C seed 004 "Gelen faturaların listelenmesi": the same parameters, pageIndex / pageSize required.
INCOMING_LIST = _list_contract("GET /v1/invoices/incoming", paging_required=True)
ADDRESS_LIST = Contract(
    "GET /v1/currentaccountaddresses",
    (Field("currentAccountId", kind="integer_string", required=True, source=SEED),
     Field("branchId", kind="integer_string", source=SEED)),
    source=SEED,
)
CARI_ACCOUNT_LIST = _list_contract(
    "GET /v1/currentaccountaccounts", paging_required=False,
    extra=(Field("currentAccountId", kind="integer_string", required=True, source=SEED),),
)
INVOICE_GET = Contract(
    "GET /v1/invoices/{ettn}",
    (Field("isSend", enum=("true", "false", "True", "False"), source=SEED),),
    source=SEED,
)
GIBUSER_ISUSER = Contract(
    "GET /v1/gibuser/isuser",
    (Field("identifier", required=True, pattern=IDENTIFIER, source=FACTS_ENUM),
     # C FACTS §4.2: appType 1 = e-Fatura, 3 = e-İrsaliye.
     Field("appType", required=True, enum=("1", "3"), source=FACTS_ENUM)),
    source=FACTS_ENUM,
)
GIBUSER_GETUSER = Contract(
    "GET /v1/gibuser/getuser",
    (Field("identifier", required=True, pattern=IDENTIFIER, source=FACTS_ENUM),),
    source=FACTS_ENUM,
)
# C FACTS §4.2: GET /v2/{earchive|outboxinvoice}/{id}/status takes the id in the path and
# nothing else.
EARCHIVE_STATUS = Contract("GET /v2/earchive/{id}/status", (), source=FACTS_ENUM)
OUTBOX_STATUS = Contract("GET /v2/outboxinvoice/{id}/status", (), source=FACTS_ENUM)
GETINVOICE = Contract(
    "GET getinvoice",
    (Field("guid", kind="uuid", required=True, source=FACTS_ENUM),),
    source=FACTS_ENUM,
)


# --- Muhasebe outgoing invoice (POST /v1/invoices) ------------------------------------------------


def _line_amounts_agree(net_key: str):  # noqa: ANN202
    def holds(b: Mapping[str, Any]) -> bool:
        for line in items(b, "invoiceLines"):
            if not isinstance(line, dict):
                continue
            qty, price, net = line.get("amount"), line.get("unitPrice"), line.get(net_key)
            discount = line.get("discountAmount") or Decimal(0)
            if net is not None and qty is not None and price is not None:
                if abs(Decimal(net) - (Decimal(qty) * Decimal(price) - Decimal(discount))) > TOLERANCE:
                    return False
        return True

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        line = b["invoiceLines"][0]
        line[net_key] = Decimal(line[net_key]) + Decimal("1.00")
        line["vatAmount"] = (Decimal(line[net_key]) * Decimal(line["vatRate"]) / 100).quantize(KURUS)
        return b

    return Rule("line_amount_agrees",
                f"invoiceLines[].{net_key} miktar × birim fiyat − iskonto ile uyuşmalıdır",
                holds=holds, breaks=breaks, field=f"invoiceLines[].{net_key}", source="I GİB schematron")


def _vat_agrees(net_key: str) -> Rule:
    def holds(b: Mapping[str, Any]) -> bool:
        for line in items(b, "invoiceLines"):
            if not isinstance(line, dict):
                continue
            net, rate, vat = line.get(net_key), line.get("vatRate"), line.get("vatAmount")
            if net is not None and rate is not None and vat is not None:
                if abs(Decimal(vat) - Decimal(net) * Decimal(rate) / 100) > TOLERANCE:
                    return False
        return True

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        b["invoiceLines"][0]["vatAmount"] = Decimal(b["invoiceLines"][0]["vatAmount"]) + Decimal("1.00")
        return b

    return Rule("vat_amount_agrees", f"invoiceLines[].vatAmount {net_key} × KDV oranı ile uyuşmalıdır",
                holds=holds, breaks=breaks, field="invoiceLines[].vatAmount", source="I GİB schematron")


def _exemption_for_zero() -> Rule:
    def holds(b: Mapping[str, Any]) -> bool:
        return all(
            not isinstance(line, dict) or line.get("vatRate") is None or Decimal(line["vatRate"]) != 0
            or not _blank(line.get("vatExemptionReasonCode"))
            for line in items(b, "invoiceLines")
        )

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        line = b["invoiceLines"][0]
        line["vatRate"], line["vatAmount"] = Decimal(0), Decimal("0.00")
        line.pop("vatExemptionReasonCode", None)
        return b

    return Rule("exemption_for_zero_vat", "KDV oranı 0 olan kalemde vatExemptionReasonCode zorunludur",
                holds=holds, breaks=breaks, field="invoiceLines[].vatExemptionReasonCode", source="C FACTS §5.3")


def _in_kurus(keys: tuple[str, ...]) -> Rule:
    def holds(b: Mapping[str, Any]) -> bool:
        for line in items(b, "invoiceLines"):
            if isinstance(line, dict):
                for k in keys:
                    v = line.get(k)
                    if v is not None and Decimal(v) != Decimal(v).quantize(KURUS):
                        return False
        return True

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        b["invoiceLines"][0]["vatAmount"] = Decimal(b["invoiceLines"][0]["vatAmount"]) + Decimal("0.001")
        return b

    return Rule("amounts_in_kurus", "invoiceLines[] tutarları en fazla 2 ondalık basamak içerebilir",
                holds=holds, breaks=breaks, field="invoiceLines[]", source="I GİB (kuruş)")


def _internet_sale_fields() -> Rule:
    needed = ("websiteUrl", "shipmentSenderTcknVkn", "shipmentSenderName", "shipmentDate")

    def holds(b: Mapping[str, Any]) -> bool:
        info = get(b, "archiveInfoModel")
        return not isinstance(info, dict) or info.get("isInternetSale") is not True or all(
            not _blank(info.get(k)) for k in needed)

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        b["archiveInfoModel"]["isInternetSale"] = True
        b["archiveInfoModel"].pop("shipmentSenderTcknVkn", None)
        return b

    return Rule("internet_sale_fields",
                "İnternet satışı e-Arşiv faturada archiveInfoModel websiteUrl, shipmentSenderTcknVkn, "
                "shipmentSenderName ve shipmentDate zorunludur",
                holds=holds, breaks=breaks, field="archiveInfoModel", source="C FACTS §5.4")


def _lines_present() -> Rule:
    def holds(b: Mapping[str, Any]) -> bool:
        return bool(items(b, "invoiceLines"))

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        b["invoiceLines"] = []
        return b

    return Rule("lines_present", "Kalemi bulunmayan fatura GİB'e gönderilemez", holds=holds, breaks=breaks,
                field="invoiceLines", source="C seed 004 (muhasebeleştir needs lines); I for the service")


def _return_reference_rules() -> tuple[Rule, ...]:
    """FACTS §5.5: a return names the invoice it answers (``returnInvoiceNumber`` and
    ``returnInvoiceDate``); (I) a sale names none, as GİB's İADE reference is a return's."""
    keys = ("generalInfoModel.returnInvoiceNumber", "generalInfoModel.returnInvoiceDate")

    def named(b: Mapping[str, Any]) -> list[bool]:
        return [not _blank(get(b, k)) for k in keys]

    def for_iade(b: Mapping[str, Any]) -> bool:
        return get(b, "generalInfoModel.type") != TYPE_IADE or all(named(b))

    def drop_reference(b: dict[str, Any]) -> dict[str, Any]:
        b["generalInfoModel"]["type"] = TYPE_IADE
        b["generalInfoModel"].pop("returnInvoiceNumber", None)
        b["generalInfoModel"]["returnInvoiceDate"] = "2026-01-15T00:00:00Z"
        return b

    def only_on_iade(b: Mapping[str, Any]) -> bool:
        return get(b, "generalInfoModel.type") == TYPE_IADE or not any(named(b))

    def add_reference(b: dict[str, Any]) -> dict[str, Any]:
        b["generalInfoModel"]["type"] = TYPE_SATIS
        b["generalInfoModel"]["returnInvoiceNumber"] = "DMS2026000000001"
        return b

    return (
        Rule("return_reference_for_iade",
             "İade faturasında (type 2) generalInfoModel.returnInvoiceNumber ve returnInvoiceDate zorunludur",
             holds=for_iade, breaks=drop_reference, field="generalInfoModel.returnInvoiceNumber",
             source="C FACTS §5.5"),
        Rule("return_reference_only_on_iade",
             "generalInfoModel.returnInvoiceNumber / returnInvoiceDate sadece iade faturasında (type 2) gönderilir",
             holds=only_on_iade, breaks=add_reference, field="generalInfoModel.returnInvoiceNumber",
             source="I FACTS §5.5"),
    )


def _no_number_on_save() -> Rule:
    def holds(b: Mapping[str, Any]) -> bool:
        return _blank(get(b, "generalInfoModel.invoiceNumber"))

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        b["generalInfoModel"]["invoiceNumber"] = "DMS2026000000001"
        return b

    return Rule("no_number_on_save",
                "Giden fatura kaydedilirken fatura numarası girilmemelidir; numara GİB gönderiminde atanır",
                holds=holds, breaks=breaks, field="generalInfoModel.invoiceNumber", source=SEED)


def _alias_for_e_fatura(record_key: str, alias_key: str, e_fatura: int) -> Rule:
    def holds(b: Mapping[str, Any]) -> bool:
        return get(b, record_key) != e_fatura or not _blank(get(b, alias_key))

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        node = b
        parts = record_key.split(".")
        for p in parts[:-1]:
            node = node[p]
        node[parts[-1]] = e_fatura
        anode: Any = b
        aparts = alias_key.split(".")
        for p in aparts[:-1]:
            anode = anode[p]
        anode.pop(aparts[-1], None)
        b.pop("archiveInfoModel", None)
        return b

    return Rule("alias_for_e_fatura", f"e-Fatura için {alias_key} (posta kutusu) zorunludur",
                holds=holds, breaks=breaks, field=alias_key, source=SEED)


def _archive_only_e_arsiv(record_key: str) -> Rule:
    def holds(b: Mapping[str, Any]) -> bool:
        return get(b, "archiveInfoModel") is None or get(b, record_key) in (None, RECORD_E_ARSIV)

    def breaks(b: dict[str, Any]) -> dict[str, Any]:
        b[record_key] = RECORD_E_FATURA
        b.setdefault("currentAccountAlias", "urn:mail:defaultpk@ornek.com.tr")
        return b

    return Rule("archive_only_e_arsiv", "archiveInfoModel sadece e-Arşiv faturada doldurulur",
                holds=holds, breaks=breaks, field="archiveInfoModel", source=SEED)


def _archive_fields(required_send_type: bool = False) -> tuple[Field, ...]:
    return (
        Field("archiveInfoModel", kind="object", source=SEED),
        Field("archiveInfoModel.isInternetSale", kind="boolean", source=SEED),
        Field("archiveInfoModel.websiteUrl", max_len=250, pattern=URL, source=SEED),
        Field("archiveInfoModel.shipmentSenderTcknVkn", pattern=IDENTIFIER, source=SEED),
        Field("archiveInfoModel.shipmentSendType", required=required_send_type, enum=SEND_TYPES, source=SEED),
        Field("archiveInfoModel.shipmentSenderName", max_len=250, source=SEED),
        Field("archiveInfoModel.shipmentSenderSurname", max_len=250, source=SEED),
        Field("archiveInfoModel.shipmentDate", kind="datetime", source=SEED),
        Field("archiveInfoModel.hideDespatchMessage", kind="boolean", source=SEED),
        Field("archiveInfoModel.subscriptionType", source=SEED),
        Field("archiveInfoModel.subscriptionTypeNumber", source=SEED),
    )


def _payment_fields() -> tuple[Field, ...]:
    return (
        Field("paymentMeansModel", kind="object", source=SEED),
        Field("paymentMeansModel.paymentMeansCode", enum=PAYMENT_MEANS_CODES,
              source=SEED + " (\"1:Ödeme Aracısı\"); I the UN/ECE 4461 list"),
        Field("paymentMeansModel.paymentDueDate", kind="datetime", source=SEED),
        Field("paymentMeansModel.paymentChannelCode", max_len=100, source=SEED),
        Field("paymentMeansModel.instructionNote", max_len=500, source=SEED),
        Field("paymentMeansModel.payeeFinancialAccountId", max_len=100, source=SEED),
    )


INVOICE_SAVE = Contract(
    "POST /v1/invoices",
    (
        Field("description", required=True, source=SEED),
        Field("currentAccountAlias", max_len=250, pattern=ALIAS, source=SEED),
        Field("currentAccountIdentifier", required=True, pattern=IDENTIFIER, source=SEED),
        Field("currentAccountCode", max_len=50, source=SEED),
        # C seed 004: "Giden faturalar için bu alan true olarak gönderilmelidir" (the sandbox
        # keeps outgoing invoices only).
        Field("isSend", kind="boolean", required=True, enum=(True,), source=SEED),
        Field("recordType", kind="integer", enum=(RECORD_E_ARSIV, RECORD_E_FATURA), source=SEED),
        Field("note", source=SEED),
        Field("notes", kind="array", source=SEED),
        Field("notes[].note", required=True, source=SEED),
        Field("currentAccount", kind="object", source=SEED),
        *_cari_fields("currentAccount"),
        Field("currentAccount.currentAccountAddress", kind="object", source=SEED),
        *(f for f in _address_fields("currentAccount.currentAccountAddress")
          if not f.path.endswith((".currentAccountId", ".branchId"))),
        Field("generalInfoModel", kind="object", required=True, source=SEED),
        Field("generalInfoModel.ettn", kind="uuid", source=SEED),
        Field("generalInfoModel.prefix", required=True, pattern=PREFIX, source=SEED),
        Field("generalInfoModel.invoiceNumber", source=SEED),
        Field("generalInfoModel.invoiceProfileType", kind="integer", enum=(0, 1), source=SEED),
        Field("generalInfoModel.type", kind="integer", enum=INVOICE_TYPES, source=SEED + "; " + SOURCE_TYPE),
        Field("generalInfoModel.currencyCode", min_len=3, max_len=3, source=SEED),
        Field("generalInfoModel.issueDate", kind="datetime", source=SEED),
        Field("generalInfoModel.exchangeRate", kind="number", source=SEED),
        Field("generalInfoModel.exchangeRateSource", source=SEED),
        Field("generalInfoModel.exchangeRateComment", source=SEED),
        Field("generalInfoModel.returnInvoiceNumber", pattern=INVOICE_NUMBER, source=SEED + "; pattern C FACTS §5.2"),
        Field("generalInfoModel.returnInvoiceDate", kind="datetime", source=SEED),
        Field("invoiceLines", kind="array", source=SEED),
        Field("invoiceLines[].inventoryServiceCode", max_len=100, source=SEED),
        # I: the line's printed name (the documented GET answer's name field).
        Field("invoiceLines[].inventoryCard", max_len=500, source="I seed 004 GET answer"),
        Field("invoiceLines[].warehouseCode", source=SEED),
        Field("invoiceLines[].lineExtensionAmount", kind="number", minimum=0, source=SEED),
        Field("invoiceLines[].amount", kind="number", required=True, minimum=0, source=SEED),
        Field("invoiceLines[].unitPrice", kind="number", required=True, minimum=0, source=SEED),
        Field("invoiceLines[].unitCode", required=True, max_len=10, source=SEED),
        Field("invoiceLines[].vatAmount", kind="number", minimum=0, source=SEED),
        Field("invoiceLines[].vatRate", kind="number", required=True, enum=VAT_RATES, source=SEED),
        Field("invoiceLines[].vatExemptionReasonCode", max_len=10, source=SEED),
        Field("invoiceLines[].discountAmount", kind="number", minimum=0, source=SEED),
        Field("invoiceLines[].discountRate", kind="number", minimum=0, source=SEED),
        Field("invoiceLines[].taxes", kind="array", source=SEED),
        # Documented, not simulated: accepted as they come (kind "any" checks nothing inside).
        Field("invoiceLines[].invoiceLineDeliveryInfoModel", kind="any", source=SEED),
        Field("invoiceLines[].serialNumberList", kind="any", source=SEED),
        *_archive_fields(),
        *_payment_fields(),
    ),
    rules=(
        _no_number_on_save(),
        _alias_for_e_fatura("recordType", "currentAccountAlias", RECORD_E_FATURA),
        _archive_only_e_arsiv("recordType"),
        _line_amounts_agree("lineExtensionAmount"),
        _vat_agrees("lineExtensionAmount"),
        _exemption_for_zero(),
        _in_kurus(("lineExtensionAmount", "vatAmount", "discountAmount")),
        _internet_sale_fields(),
        *_return_reference_rules(),
    ),
    closed=True,
    source=SEED,
)


# --- journal (muhasebeleştir / ters kayıt): a list of these --------------------------------------

JOURNAL_ITEM = Contract(
    "POST /v1/invoices/accounting[]",
    (Field("ettn", kind="uuid", required=True, source=SEED), Field("isSend", kind="boolean", required=True, source=SEED)),
    source=SEED,
)


# --- e-Fatura service create (e-Arşiv / e-Fatura) --------------------------------------------------


def _service_fields(record: int, profiles: tuple[int, ...], *, e_arsiv: bool) -> tuple[Field, ...]:
    return (
        Field("invoiceId", kind="uuid", source=FACTS_SERVICE),
        Field("status", kind="integer", required=True, enum=(STATUS_DRAFT, STATUS_SEND), source=FACTS_ENUM),
        Field("isNew", kind="boolean", source=FACTS_SERVICE),
        Field("localReferenceId", source=FACTS_SERVICE),
        Field("useManualInvoiceId", kind="boolean", source=FACTS_SERVICE),
        Field("recordType", kind="integer", required=True, enum=(record,), source=FACTS_ENUM),
        Field("note", source=FACTS_SERVICE),
        Field("addressBook", kind="object", required=True, source=FACTS_SERVICE),
        # e-Fatura: the buyer's posta kutusu (FACTS §5.1); e-Arşiv has none.
        Field("addressBook.alias", required=not e_arsiv, pattern=ALIAS, source=FACTS_SERVICE),
        Field("addressBook.identificationNumber", required=True, pattern=IDENTIFIER, source=FACTS_SERVICE),
        # I: the Muhasebe cari's limits (seed 004), the same buyer in the same platform.
        Field("addressBook.name", required=True, max_len=500, source=FACTS_SERVICE + "; length seed 004"),
        Field("addressBook.receiverPersonSurName", max_len=250, source=FACTS_SERVICE + "; length seed 004"),
        Field("addressBook.receiverStreet", source=FACTS_SERVICE),
        Field("addressBook.receiverDistrict", source=FACTS_SERVICE),
        Field("addressBook.receiverCity", required=True, source=FACTS_SERVICE + "; required I (GİB address)"),
        Field("addressBook.receiverCountry", required=True, source=FACTS_SERVICE + "; required I (GİB address)"),
        Field("addressBook.receiverCountryId", kind="integer", source=FACTS_SERVICE),
        Field("addressBook.receiverEmail", max_len=250, pattern=EMAIL, source=FACTS_SERVICE),
        Field("addressBook.receiverTaxOffice", max_len=150, source=FACTS_SERVICE + "; length seed 004"),
        Field("generalInfoModel", kind="object", required=True, source=FACTS_SERVICE),
        Field("generalInfoModel.ettn", kind="uuid", required=True, source=FACTS_SERVICE),
        Field("generalInfoModel.prefix", required=True, pattern=PREFIX, source=FACTS_SERVICE),
        Field("generalInfoModel.invoiceNumber", source=FACTS_SERVICE),
        Field("generalInfoModel.invoiceProfileType", kind="integer", required=True, enum=profiles,
              source=FACTS_ENUM),
        Field("generalInfoModel.issueDate", kind="datetime", required=True, source=FACTS_SERVICE),
        Field("generalInfoModel.type", kind="integer", enum=INVOICE_TYPES, source=SOURCE_TYPE),
        Field("generalInfoModel.currencyCode", min_len=3, max_len=3, source=FACTS_SERVICE),
        Field("generalInfoModel.currencyId", kind="integer", source=FACTS_SERVICE),
        Field("generalInfoModel.exchangeRate", kind="number", source=FACTS_SERVICE),
        Field("generalInfoModel.returnInvoiceNumber", pattern=INVOICE_NUMBER, source=FACTS_SERVICE + "; pattern C FACTS §5.2"),
        Field("generalInfoModel.returnInvoiceDate", kind="datetime", source=FACTS_SERVICE),
        Field("invoiceLines", kind="array", required=True, source=FACTS_SERVICE),
        Field("invoiceLines[].inventoryCard", required=True, max_len=500, source=FACTS_SERVICE),
        Field("invoiceLines[].amount", kind="number", required=True, minimum=0, source=FACTS_SERVICE),
        Field("invoiceLines[].unitCode", required=True, max_len=10, source=FACTS_SERVICE),
        Field("invoiceLines[].unitPrice", kind="number", required=True, minimum=0, source=FACTS_SERVICE),
        Field("invoiceLines[].lineAmount", kind="number", required=True, minimum=0, source=FACTS_SERVICE),
        Field("invoiceLines[].vatRate", kind="number", required=True, enum=VAT_RATES, source=FACTS_SERVICE),
        Field("invoiceLines[].vatAmount", kind="number", required=True, minimum=0, source=FACTS_SERVICE),
        Field("invoiceLines[].discountAmount", kind="number", minimum=0, source=FACTS_SERVICE),
        Field("invoiceLines[].vatExemptionReasonCode", max_len=10, source=FACTS_SERVICE),
        # I: the sandbox's e-Arşivs are web-shop sales, and GİB wants the internet-sale block
        # on every one (FACTS §5.4), so it is required on the e-Arşiv create.
        *(f if f.path != "archiveInfoModel" else Field("archiveInfoModel", kind="object", required=e_arsiv,
                                                        source="C FACTS §5.4; required I") for f in _archive_fields()),
        *_payment_fields(),
        Field("eArsivInfo", kind="object", source=FACTS_SERVICE),
        Field("eArsivInfo.sendEMail", kind="boolean", source=FACTS_SERVICE),
    )


def _service_rules(*, e_arsiv: bool) -> tuple[Rule, ...]:
    rules = [
        _surname_rule("addressBook", "identificationNumber", "receiverPersonSurName"),
        _lines_present(),
        _line_amounts_agree("lineAmount"),
        _vat_agrees("lineAmount"),
        _exemption_for_zero(),
        _in_kurus(("lineAmount", "vatAmount", "discountAmount")),
        *_return_reference_rules(),
    ]
    if e_arsiv:
        rules.append(_internet_sale_fields())
    else:
        def no_archive(b: Mapping[str, Any]) -> bool:
            return get(b, "archiveInfoModel") is None

        def add_archive(b: dict[str, Any]) -> dict[str, Any]:
            b["archiveInfoModel"] = {"isInternetSale": False, "shipmentSendType": "ELEKTRONIK"}
            return b

        rules.append(Rule("no_archive_on_e_fatura", "archiveInfoModel sadece e-Arşiv faturada doldurulur",
                          holds=no_archive, breaks=add_archive, field="archiveInfoModel", source=FACTS_SERVICE))
    return tuple(rules)


EARCHIVE_CREATE = Contract(
    "POST /v2/earchive/create",
    _service_fields(RECORD_E_ARSIV, (PROFILE_EARSIV,), e_arsiv=True),
    rules=_service_rules(e_arsiv=True),
    source=FACTS_SERVICE,
)
OUTBOX_CREATE = Contract(
    "POST /v1/outboxinvoice/create",
    _service_fields(RECORD_E_FATURA, (PROFILE_TEMEL, PROFILE_TICARI), e_arsiv=False),
    rules=_service_rules(e_arsiv=False),
    source=FACTS_SERVICE,
)

# Contract per simulator endpoint name (the fault / violation names of __init__.py).
CONTRACTS: dict[str, Contract] = {
    "token": TOKEN,
    "cari_list": CARI_LIST,
    "cari_create": CARI_CREATE,
    "cari_update": CARI_UPDATE,
    "address_list": ADDRESS_LIST,
    "address_create": ADDRESS_CREATE,
    "address_update": ADDRESS_UPDATE,
    "cari_account_list": CARI_ACCOUNT_LIST,
    "cari_account_create": CARI_ACCOUNT_CREATE,
    "account_list": ACCOUNT_LIST,
    "invoice_list": INVOICE_LIST,
    "invoice_incoming_list": INCOMING_LIST,
    "invoice_get": INVOICE_GET,
    "invoice_save": INVOICE_SAVE,
    "invoice_update": INVOICE_SAVE,
    "invoice_accounting": JOURNAL_ITEM,
    "invoice_reverse": JOURNAL_ITEM,
    "earchive_create": EARCHIVE_CREATE,
    "outbox_create": OUTBOX_CREATE,
    "earchive_getinvoice": GETINVOICE,
    "earchive_status": EARCHIVE_STATUS,
    "outbox_status": OUTBOX_STATUS,
    "outbox_getinvoice": GETINVOICE,
    "gibuser_isuser": GIBUSER_ISUSER,
    "gibuser_getuser": GIBUSER_GETUSER,
}
# Endpoints whose body is a JSON list of items, each checked against the contract.
LIST_BODIES = frozenset({"invoice_accounting", "invoice_reverse"})
