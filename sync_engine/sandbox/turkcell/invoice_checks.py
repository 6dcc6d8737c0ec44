"""Muhasebe invoice model checks: lines (amounts that must agree), the e-Arşiv internet-sale
block and the payment means. Shared by the Muhasebe save and the e-Fatura service send."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sync_engine.sandbox.turkcell.common import Refusal, boolean, identifier, number, require_object, text, timestamp, url

PREFIX = re.compile(r"^[A-Z0-9]{3}$")
VAT_RATES = frozenset({Decimal(0), Decimal(1), Decimal(10), Decimal(20)})
# UN/ECE 4461 codes; the document labels "1" as "Ödeme Aracısı" (payment intermediary).
PAYMENT_MEANS_CODES = frozenset({"1", "10", "20", "23", "42", "48", "49", "97", "ZZZ"})
SHIPMENT_SEND_TYPES = ("ELEKTRONIK", "KAGIT")
# ASSUMPTION: line amounts must agree with quantity × unit price − discount and with
# net × rate to within 2 kuruş (a per-rate allocation moves a line's VAT by up to ~1.5
# kuruş from its own rounding). The document is silent; GİB refuses inconsistent amounts.
TOLERANCE = Decimal("0.02")
KURUS = Decimal("0.01")


def _amount(line: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> Decimal | None:
    value = number(line, key, required=required, minimum=Decimal(0), where=where)
    if value is not None and value != value.quantize(KURUS):
        raise Refusal(400, f"{where}{key} en fazla 2 ondalık basamak içerebilir.")
    return value


def check_line(raw: Any, i: int) -> dict[str, Any]:
    where = f"invoiceLines[{i}]."
    line = require_object(raw, f"invoiceLines[{i}]")
    quantity = number(line, "amount", required=True, where=where)
    assert quantity is not None
    if quantity <= 0:
        raise Refusal(400, f"{where}amount sıfırdan büyük olmalıdır.")
    unit_price = number(line, "unitPrice", required=True, minimum=Decimal(0), where=where)
    assert unit_price is not None
    unit_code = text(line, "unitCode", required=True, max_len=10, where=where)
    rate = number(line, "vatRate", required=True, where=where)
    if rate not in VAT_RATES:
        raise Refusal(400, f"{where}vatRate geçersiz: {rate} (KDV oranları: 0, 1, 10, 20).")
    exemption = text(line, "vatExemptionReasonCode", max_len=10, where=where)
    if rate == 0 and not exemption:
        raise Refusal(400, f"{where}KDV oranı 0 olan kalemde vatExemptionReasonCode zorunludur.")
    code = text(line, "inventoryServiceCode", max_len=100, where=where)
    # ASSUMPTION: the line's printed name travels in "inventoryCard" (the name shown by the
    # documented GET answer); the stock/service card endpoints are not published.
    card = text(line, "inventoryCard", max_len=500, where=where)
    if not code and not card:
        raise Refusal(400, f"{where}inventoryServiceCode veya inventoryCard alanı zorunludur.")
    discount = _amount(line, "discountAmount", where) or Decimal("0.00")
    discount_rate = number(line, "discountRate", minimum=Decimal(0), where=where)
    if discount_rate is not None and discount_rate > 100:
        raise Refusal(400, f"{where}discountRate 100'den büyük olamaz.")
    gross = quantity * unit_price
    expected_net = (gross - discount).quantize(KURUS)
    net = _amount(line, "lineExtensionAmount", where)
    if net is None:
        net = expected_net
    elif abs(net - (gross - discount)) > TOLERANCE:
        raise Refusal(400, f"{where}lineExtensionAmount ({net}) miktar × birim fiyat − iskonto ({expected_net}) ile uyuşmuyor.")
    expected_vat = (net * rate / 100).quantize(KURUS)
    vat = _amount(line, "vatAmount", where)
    if vat is None:
        vat = expected_vat
    elif abs(vat - net * rate / 100) > TOLERANCE:
        raise Refusal(400, f"{where}vatAmount ({vat}) lineExtensionAmount × KDV oranı ({expected_vat}) ile uyuşmuyor.")
    return {
        "inventoryServiceCode": code, "inventoryCard": card, "warehouseCode": text(line, "warehouseCode", where=where),
        "amount": quantity, "unitCode": unit_code, "unitPrice": unit_price, "lineExtensionAmount": net,
        "discountAmount": discount, "discountRate": discount_rate, "vatRate": rate, "vatAmount": vat,
        "vatExemptionReasonCode": exemption, "taxes": [],
    }


def check_archive_info(raw: Any, *, where: str = "archiveInfoModel.") -> dict[str, Any]:
    info = require_object(raw, "archiveInfoModel")
    out = {
        "isInternetSale": bool(boolean(info, "isInternetSale", where=where)),
        "websiteUrl": url(info, "websiteUrl", where=where),
        "shipmentSenderTcknVkn": None,
        "shipmentSendType": text(info, "shipmentSendType", where=where),
        "shipmentSenderName": text(info, "shipmentSenderName", max_len=250, where=where),
        "shipmentSenderSurname": text(info, "shipmentSenderSurname", max_len=250, where=where),
        "shipmentDate": timestamp(info, "shipmentDate", where=where),
    }
    if info.get("shipmentSenderTcknVkn") not in (None, ""):
        out["shipmentSenderTcknVkn"] = identifier(info.get("shipmentSenderTcknVkn"), f"{where}shipmentSenderTcknVkn")
    if out["shipmentSendType"] is not None and out["shipmentSendType"] not in SHIPMENT_SEND_TYPES:
        raise Refusal(400, f"{where}shipmentSendType geçersiz: {out['shipmentSendType']} ({', '.join(SHIPMENT_SEND_TYPES)}).")
    if out["isInternetSale"]:
        # GİB: an e-Arşiv internet sale names the website and the carrier (name, VKN, date).
        for key in ("websiteUrl", "shipmentSenderTcknVkn", "shipmentSenderName", "shipmentDate"):
            if out[key] is None:
                raise Refusal(400, f"İnternet satışı e-Arşiv faturada {where}{key} zorunludur.")
    return out


def check_payment_means(raw: Any) -> dict[str, Any]:
    where = "paymentMeansModel."
    means = require_object(raw, "paymentMeansModel")
    code = means.get("paymentMeansCode")
    if code is not None and (not isinstance(code, str) or code not in PAYMENT_MEANS_CODES):
        raise Refusal(400, f"{where}paymentMeansCode geçersiz: {code!r} (UN/ECE 4461: {', '.join(sorted(PAYMENT_MEANS_CODES))}).")
    return {
        "paymentMeansCode": code,
        "paymentDueDate": timestamp(means, "paymentDueDate", where=where),
        "paymentChannelCode": text(means, "paymentChannelCode", max_len=100, where=where),
        "instructionNote": text(means, "instructionNote", max_len=500, where=where),
        "payeeFinancialAccountId": text(means, "payeeFinancialAccountId", max_len=100, where=where),
    }
