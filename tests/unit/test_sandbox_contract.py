"""The simulators' contract engine: marks and rules find what breaks them, and the refusal
cases it derives from a valid request each break exactly what they name."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync_engine.sandbox.contract import Contract, Field, Rule, get, refusals

CONTRACT = Contract(
    "POST /things",
    fields=(
        Field("name", required=True, max_len=5),
        Field("kind", "integer", required=True, enum=(0, 1, 4)),
        Field("when", "date"),
        Field("buyer", "object", required=True),
        Field("buyer.identifier", required=True, pattern=r"[0-9]{10,11}"),
        Field("buyer.surname"),
        Field("lines", "array", required=True, min_len=1),
        Field("lines[].amount", "numeric_string", required=True),
        Field("lines[].rate", "number", minimum=0),
    ),
    rules=(
        Rule(
            "surname_for_tckn",
            "buyer.surname: 11 haneli kimlik için soyad zorunludur",
            holds=lambda b: len(get(b, "buyer.identifier", "")) != 11 or bool(get(b, "buyer.surname")),
            breaks=lambda b: {**b, "buyer": {"identifier": "10000000146"}},
            field="buyer.surname",
        ),
    ),
)

VALID = {
    "name": "abc",
    "kind": 4,
    "when": "2026-12-03",
    "buyer": {"identifier": "10000000146", "surname": "Yılmaz"},
    "lines": [{"amount": "1.00", "rate": Decimal(20)}, {"amount": "2.50"}],
}


def test_the_valid_request_passes() -> None:
    assert CONTRACT.violations(VALID) == []


@pytest.mark.parametrize(
    ("change", "rule", "where"),
    [
        (lambda b: b.pop("name"), "required", "name"),
        (lambda b: b.update(kind="4"), "kind", "kind"),
        (lambda b: b.update(kind=2), "enum", "kind"),
        (lambda b: b.update(name="abcdef"), "length", "name"),
        (lambda b: b.update(when="2026-02-30"), "kind", "when"),
        (lambda b: b["buyer"].update(identifier="12ab"), "pattern", "buyer.identifier"),
        (lambda b: b["lines"][1].pop("amount"), "required", "lines[1].amount"),
        (lambda b: b["lines"][0].update(amount=Decimal("1.00")), "kind", "lines[0].amount"),
        (lambda b: b["lines"][0].update(rate=Decimal(-1)), "minimum", "lines[0].rate"),
        (lambda b: b["lines"][0].update(vat=1), "unknown", "lines[0].vat"),
        (lambda b: b.update(lines=[]), "length", "lines"),
        (lambda b: b["buyer"].pop("surname"), "surname_for_tckn", "buyer.surname"),
    ],
)
def test_each_mark_is_enforced(change, rule: str, where: str) -> None:
    import copy

    body = copy.deepcopy(VALID)
    change(body)
    found = CONTRACT.violations(body)
    assert [(v.rule, v.field) for v in found] == [(rule, where)]


def test_an_absent_optional_parent_is_not_checked_inside() -> None:
    contract = Contract("POST /x", fields=(Field("info", "object"), Field("info.url", required=True)))
    assert contract.violations({}) == []
    assert [v.field for v in contract.violations({"info": {}})] == ["info.url"]


def test_every_derived_refusal_is_refused() -> None:
    cases = refusals(CONTRACT, VALID)
    names = {c.what for c in cases}
    assert {"required name", "kind kind", "enum kind", "length name", "pattern buyer.identifier",
            "required lines[].amount", "minimum lines[].rate", "unknown key",
            "rule surname_for_tckn"} <= names
    for case in cases:
        assert CONTRACT.violations(case.body), case.what


def test_a_valid_example_that_breaks_the_contract_is_a_test_error() -> None:
    with pytest.raises(ValueError, match="breaks the contract"):
        refusals(CONTRACT, {"name": "abc"})
