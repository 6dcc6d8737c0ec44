"""Muhasebe: cari (current account) records, their addresses, the chart of accounts and the
cari ↔ account matching, with the documented rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync_engine.sandbox.core import SandboxState
from sync_engine.sandbox.turkcell.common import (
    NAME,
    Refusal,
    boolean,
    email,
    identifier,
    integer,
    page,
    require_object,
    text,
    url,
)

# Seeded chart of accounts (Tek Düzen Hesap Planı). type: 0 kebir, 1 grup, 2 muavin.
# 120.01 is the havuz (pool) account e-commerce buyers are matched to; 120.02 is an ordinary
# sub-account, to exercise the "a non-pool account matches one cari only" rule.
SEED_ACCOUNTS: tuple[dict[str, Any], ...] = (
    {"id": 1, "parentId": None, "type": 0, "name": "Alıcılar", "code": "120", "unitCode": "120", "isBundleAccount": 0},
    {"id": 2, "parentId": 1, "type": 2, "name": "E-Ticaret Alıcıları", "code": "120.01", "unitCode": "01", "isBundleAccount": 1},
    {"id": 3, "parentId": 1, "type": 2, "name": "Kurumsal Alıcılar", "code": "120.02", "unitCode": "02", "isBundleAccount": 0},
    {"id": 4, "parentId": None, "type": 0, "name": "Hesaplanan KDV", "code": "391", "unitCode": "391", "isBundleAccount": 0},
    {"id": 5, "parentId": None, "type": 0, "name": "Yurt İçi Satışlar", "code": "600", "unitCode": "600", "isBundleAccount": 0},
)
MUAVIN = 2

# Documented field limits of the cari model.
CARI_TEXT_LIMITS = {
    "taxOffice": 150,
    "mersisNumber": 50,
    "registrationNumber": 50,
    "professionalChamber": 250,
    "chamberRegistrationNumber": 50,
}
ADDRESS_FIELDS = (
    "addressName", "subDivisionName", "city", "country", "region", "streetName", "buildingName",
    "buildingNumber", "doorNumber", "emailAddress", "faxNumber", "phoneNumber", "postalZone", "webSite",
)


@dataclass
class Cari:
    id: int
    name: str
    identifier: str
    code: str | None
    surname: str | None
    extra: dict[str, Any]  # taxOffice, maturity, mersisNumber, ...
    created_at: datetime
    addresses: list[dict[str, Any]] = field(default_factory=list)

    def render(self) -> dict[str, Any]:
        # Documented GET/PUT answer: no "code" in it (only the filter can tell codes apart).
        return {
            "id": self.id,
            "name": self.name,
            "surname": self.surname,
            "identifier": self.identifier,
            "taxOffice": self.extra.get("taxOffice"),
            "maturity": self.extra.get("maturity"),
            "mersisNumber": self.extra.get("mersisNumber"),
            "registrationNumber": self.extra.get("registrationNumber"),
            "professionalChamber": self.extra.get("professionalChamber"),
            "chamberRegistrationNumber": self.extra.get("chamberRegistrationNumber"),
            "isUsed": False,
        }

    def list_item(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "branchId": None,
            "name": self.name,
            "identifier": self.identifier,
            "surname": self.surname,
            "totalBalance": 0,
            "status": 1,
        }

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.name, self.surname) if p)


def _check_cari(body: Mapping[str, Any]) -> dict[str, Any]:
    name = text(body, "name", max_len=500, required=True)
    ident = identifier(body.get("identifier"), "identifier")
    code = text(body, "code", max_len=50)
    surname = text(body, "surname", max_len=250)
    if len(ident) == 11 and not surname:
        # Documented: "Soyisim, VKN/TCKN durumunun 11 haneli olduğu koşulda zorunludur."
        raise Refusal(400, "11 haneli VKN/TCKN için surname (soyisim) alanı zorunludur.")
    extra: dict[str, Any] = {}
    for key, limit in CARI_TEXT_LIMITS.items():
        extra[key] = text(body, key, max_len=limit)
    extra["maturity"] = integer(body, "maturity")
    return {"name": name, "identifier": ident, "code": code, "surname": surname, "extra": extra}


def check_address(body: Mapping[str, Any], where: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "addressName": text(body, "addressName", max_len=250, required=True, where=where),
        "subDivisionName": text(body, "subDivisionName", max_len=100, required=True, where=where),
        "city": text(body, "city", max_len=100, required=True, where=where),
        "country": text(body, "country", max_len=100, required=True, where=where),
    }
    for key in ("region", "streetName", "buildingName", "buildingNumber", "doorNumber", "postalZone"):
        out[key] = text(body, key, max_len=100, where=where)
    out["emailAddress"] = email(body, "emailAddress", where=where)
    out["faxNumber"] = text(body, "faxNumber", min_len=10, max_len=11, where=where)
    out["phoneNumber"] = text(body, "phoneNumber", min_len=10, max_len=11, where=where)
    out["webSite"] = url(body, "webSite", where=where)
    out["isDefault"] = bool(boolean(body, "isDefault", where=where))
    return out


class CariBook:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.reset()

    def reset(self) -> None:
        self.caris: dict[int, Cari] = {}
        self.accounts: dict[int, dict[str, Any]] = {a["id"]: dict(a) for a in SEED_ACCOUNTS}
        self.matches: dict[int, dict[str, Any]] = {}
        self._next_cari = 1000
        self._next_address = 5000
        self._next_match = 9000

    # --- caris ------------------------------------------------------------------------

    CARI_FILTERS = {
        "Identifier": lambda c: c.identifier,
        "Code": lambda c: c.code,
        "Name": lambda c: c.name,
        "Surname": lambda c: c.surname,
        "Id": lambda c: c.id,
    }

    def list_caris(self, query: Mapping[str, str]) -> dict[str, Any]:
        return page(list(self.caris.values()), query, render=Cari.list_item, categories=self.CARI_FILTERS)

    def get(self, cari_id: int) -> Cari:
        cari = self.caris.get(cari_id)
        if cari is None:
            raise Refusal(404, f"Cari bulunamadı: {cari_id}", violation=False)
        return cari

    def _check_unique(self, ident: str, code: str | None, exclude: int | None = None) -> None:
        for other in self.caris.values():
            if other.id == exclude or other.identifier != ident:
                continue
            if code is None and other.code is None:
                raise Refusal(400, f"Bu VKN/TCKN ({ident}) ile kayıtlı bir cari zaten var; aynı VKN/TCKN'yi tekrar kaydetmek için benzersiz bir code gönderin.")
            if code is not None and other.code == code:
                raise Refusal(400, f"Bu VKN/TCKN ve code ({ident} / {code}) ile kayıtlı bir cari zaten var.")

    def create_cari(self, body: Any) -> dict[str, Any]:
        body = require_object(body)
        fields = _check_cari(body)
        address_body = body.get("currentAccountAddress")
        address = None
        if address_body is not None:
            address = check_address(require_object(address_body, "currentAccountAddress"), "currentAccountAddress.")
        self._check_unique(fields["identifier"], fields["code"])
        self._next_cari += 1
        cari = Cari(id=self._next_cari, created_at=self.state.clock.now(), **fields)
        self.caris[cari.id] = cari
        key = cari.identifier + (f":{cari.code}" if cari.code else "")
        self.state.ledger.record(NAME, "cari_created", key, cari_id=cari.id)
        out = cari.render()
        if address is not None:
            out["currentAccountAddress"] = self._add_address(cari, address, via="cari")
        return out

    def update_cari(self, cari_id: int, body: Any) -> dict[str, Any]:
        body = require_object(body)
        if body.get("id") != cari_id:
            raise Refusal(400, f"id ({body.get('id')!r}) adresteki cari id ({cari_id}) ile aynı olmalıdır.")
        cari = self.get(cari_id)
        fields = _check_cari(body)
        self._check_unique(fields["identifier"], fields["code"], exclude=cari.id)
        cari.name, cari.identifier, cari.code = fields["name"], fields["identifier"], fields["code"]
        cari.surname, cari.extra = fields["surname"], fields["extra"]
        self.state.ledger.record(NAME, "cari_updated", cari.identifier + (f":{cari.code}" if cari.code else ""), cari_id=cari.id)
        return cari.render()

    def find_for_invoice(self, ident: str, code: str | None) -> Cari | None:
        same = [c for c in self.caris.values() if c.identifier == ident]
        if code is not None:
            return next((c for c in same if c.code == code), None)
        uncoded = [c for c in same if c.code is None]
        if not uncoded and same:
            # Documented: a cari saved with a code must be used together with its code.
            raise Refusal(400, f"Bu VKN/TCKN ({ident}) code ile kaydedilmiş; faturada currentAccountCode gönderilmelidir.")
        return uncoded[0] if uncoded else None

    # --- addresses -------------------------------------------------------------------------

    def _add_address(self, cari: Cari, address: dict[str, Any], *, via: str) -> dict[str, Any]:
        self._next_address += 1
        record = {"id": self._next_address, "currentAccountId": cari.id, **address}
        if not cari.addresses:
            # Assumption: the first address becomes the default even when isDefault is
            # omitted; the document only says the first one *should* be sent as default.
            record["isDefault"] = True
        if record["isDefault"]:
            # Documented: only one default; a new default clears the others.
            for other in cari.addresses:
                other["isDefault"] = False
        cari.addresses.append(record)
        self.state.ledger.record(NAME, "address_created", str(cari.id), address_id=record["id"], via=via)
        return dict(record)

    def list_addresses(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        raw = query.get("currentAccountId")
        if not raw:
            raise Refusal(400, "currentAccountId alanı zorunludur.")
        try:
            cari = self.get(int(raw))
        except ValueError:
            raise Refusal(400, "currentAccountId tam sayı olmalıdır.") from None
        return [dict(a) for a in cari.addresses]

    def create_address(self, body: Any) -> dict[str, Any]:
        body = require_object(body)
        cari_id = integer(body, "currentAccountId")
        if cari_id is None:
            # Documented: required when the address is added after the cari.
            raise Refusal(400, "currentAccountId alanı zorunludur.")
        address = check_address(body)
        cari = self.caris.get(cari_id)
        if cari is None:
            raise Refusal(404, f"Cari bulunamadı: {cari_id}")
        return self._add_address(cari, address, via="address")

    def update_address(self, body: Any) -> dict[str, Any]:
        body = require_object(body)
        address_id = integer(body, "id", required=True)
        address = check_address(body)
        for cari in self.caris.values():
            for record in cari.addresses:
                if record["id"] == address_id:
                    if body.get("currentAccountId") not in (None, cari.id):
                        raise Refusal(400, f"Adres {address_id} bu cariye ait değil: {body['currentAccountId']}")
                    was_default = record["isDefault"]
                    record.update(address)
                    if record["isDefault"]:
                        for other in cari.addresses:
                            if other is not record:
                                other["isDefault"] = False
                    elif was_default and "isDefault" not in body:
                        record["isDefault"] = True  # omitted: the default stays the default
                    self.state.ledger.record(NAME, "address_updated", str(cari.id), address_id=address_id)
                    return dict(record)
        raise Refusal(404, f"Adres bulunamadı: {address_id}")

    def default_address(self, cari: Cari) -> dict[str, Any] | None:
        return next((a for a in cari.addresses if a["isDefault"]), None)

    # --- chart of accounts and matching -------------------------------------------------

    ACCOUNT_FILTERS = {
        "Code": lambda a: a["code"],
        "Name": lambda a: a["name"],
        "Type": lambda a: a["type"],
        "Id": lambda a: a["id"],
    }

    def list_accounts(self, query: Mapping[str, str]) -> dict[str, Any]:
        def render(a: dict[str, Any]) -> dict[str, Any]:
            has_child = any(o["parentId"] == a["id"] for o in self.accounts.values())
            return {**a, "currencyCodeId": "1", "hasChild": has_child}

        return page(list(self.accounts.values()), query, render=render, categories=self.ACCOUNT_FILTERS)

    def list_matches(self, query: Mapping[str, str]) -> dict[str, Any]:
        raw = query.get("currentAccountId")
        if not raw:
            raise Refusal(400, "currentAccountId alanı zorunludur.")
        try:
            cari = self.get(int(raw))
        except ValueError:
            raise Refusal(400, "currentAccountId tam sayı olmalıdır.") from None
        mine = [m for m in self.matches.values() if m["currentAccountId"] == cari.id]

        def render(m: dict[str, Any]) -> dict[str, Any]:
            account = self.accounts[m["accountId"]]
            return {
                "id": m["id"], "name": m["name"], "branchId": None, "currentAccountId": cari.id,
                "accountId": account["id"], "accountCode": account["code"], "accountName": account["name"],
                "adjunctAccount": None, "baseAccount": account["parentId"],
                "isBundleAccount": bool(account["isBundleAccount"]), "accountCurrencyCodeId": 1, "status": 1,
            }

        return page(mine, query, render=render, categories={"Id": lambda m: m["id"]})

    def create_match(self, body: Any) -> dict[str, Any]:
        body = require_object(body)
        cari_id = integer(body, "currentAccountId", required=True)
        account_id = integer(body, "accountId", required=True)
        name = text(body, "name", max_len=250)
        assert cari_id is not None and account_id is not None
        if cari_id not in self.caris:
            raise Refusal(404, f"Cari bulunamadı: {cari_id}")
        account = self.accounts.get(account_id)
        if account is None:
            raise Refusal(404, f"Hesap bulunamadı: {account_id}")
        if account["type"] != MUAVIN:
            # Documented: the matched account is an alt (muavin) account.
            raise Refusal(400, f"Sadece alt (muavin) hesaplar cari ile eşleştirilebilir: {account['code']}")
        for m in self.matches.values():
            if m["accountId"] == account_id and m["currentAccountId"] == cari_id:
                raise Refusal(400, f"Hesap {account['code']} bu cari ile zaten eşleştirilmiş; bir hesap aynı cari ile birden fazla eşleşemez.")
            if m["accountId"] == account_id and not account["isBundleAccount"]:
                raise Refusal(400, f"Hesap {account['code']} havuz (torba) hesap değil ve başka bir cari ile eşleşmiş.")
        self._next_match += 1
        match = {"id": self._next_match, "currentAccountId": cari_id, "accountId": account_id, "name": name}
        self.matches[match["id"]] = match
        self.state.ledger.record(NAME, "cari_matched", str(cari_id), account_code=account["code"])
        return {
            **match,
            "account": {"code": account["code"], "name": account["name"], "isBundleAccount": bool(account["isBundleAccount"])},
        }

    def matched_account(self, cari_id: int) -> dict[str, Any] | None:
        for m in self.matches.values():
            if m["currentAccountId"] == cari_id:
                return self.accounts[m["accountId"]]
        return None
