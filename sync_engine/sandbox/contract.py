"""One declarative description per simulated endpoint: what the provider's documents say a
request must carry, and the small engine that finds where a request breaks it.

A simulator describes each endpoint it serves as a ``Contract`` (fields with their type,
required mark, enum, length and pattern, plus cross-field ``Rule``s such as "surname required
for an 11-digit identifier"), checks every request against it, and answers the violations in
its provider's own error shape. Every field and rule carries ``source``: where the documents
say so, tagged like FACTS.md (``C seed 004``, ``I FACTS §4.2``).

Every ``Rule`` also carries ``breaks``: a function that turns a valid request into one that
breaks the rule. The contract tests use it, with the fields' own marks, to show the simulator
refusing each documented rule (``refusals``), so a rule nobody can break in a test cannot be
written down.

Paths: ``a.b`` is a nested object key, ``a[].b`` the key ``b`` of every item of the list
``a``. A required mark on ``a[].b`` applies to each item; a field under a missing optional
parent is not checked (the parent's own mark says whether it may be missing).

This module is the sandbox's own: it imports nothing from the product.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_MISSING = object()

# --- kinds ---------------------------------------------------------------------------------
# A kind is a name a document would use ("integer", "a money string like '1.00'") and the test
# that a value is one. Bodies are parsed with ``parse_float=Decimal``; form bodies hold strings.

_NUMERIC_STRING = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, Decimal, float)) and not isinstance(v, bool)


def _is_numeric_string(v: Any) -> bool:
    return isinstance(v, str) and bool(_NUMERIC_STRING.match(v))


def _is_date(v: Any) -> bool:
    if not isinstance(v, str) or not _DATE.match(v):
        return False
    try:
        date.fromisoformat(v)
    except ValueError:
        return False
    return True


def _is_datetime(v: Any) -> bool:
    if not isinstance(v, str) or len(v) < 10:
        return False
    try:
        datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_uuid(v: Any) -> bool:
    if not isinstance(v, str) or len(v) != 36:
        return False
    try:
        uuid.UUID(v)
    except ValueError:
        return False
    return True


def _is_int_string(v: Any) -> bool:
    return isinstance(v, str) and v.isascii() and v.isdigit()


KINDS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": _is_int,
    "number": _is_number,  # a JSON number, not a string
    "numeric": lambda v: _is_number(v) or _is_numeric_string(v),  # Laravel's `numeric`
    "numeric_string": _is_numeric_string,  # "1.00", as the KolayBi examples
    "integer_string": _is_int_string,  # form input "12"
    "boolean": lambda v: isinstance(v, bool),
    "form_boolean": lambda v: v in ("0", "1", "true", "false", True, False, 0, 1),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "date": _is_date,  # YYYY-MM-DD
    "datetime": _is_datetime,  # ISO 8601
    "uuid": _is_uuid,  # 8-4-4-4-12
    "any": lambda v: True,
}

# What the contract tests put in a field to break its kind: a value of another kind.
_WRONG: dict[str, Any] = {
    "string": 12345,
    "integer": "12",
    "number": "12.5",
    "numeric": "on iki",
    "numeric_string": 12.5,
    "integer_string": "1a",
    "boolean": "true",
    "form_boolean": "evet",
    "object": "x",
    "array": {"0": "x"},
    "date": "03.12.2026",
    "datetime": "dün",
    "uuid": "not-a-uuid",
}

_TYPE_WORDS = {
    "string": "metin (string)",
    "integer": "tam sayı (integer)",
    "number": "sayı (number)",
    "numeric": "sayısal",
    "numeric_string": "sayısal metin (ör. \"1.00\")",
    "integer_string": "tam sayı",
    "boolean": "true/false",
    "form_boolean": "0/1",
    "object": "nesne (object)",
    "array": "liste (array)",
    "date": "YYYY-MM-DD tarihi",
    "datetime": "ISO 8601 zamanı",
    "uuid": "UUID (8-4-4-4-12)",
}


@dataclass(frozen=True)
class Field:
    path: str
    kind: str = "string"
    required: bool = False
    enum: tuple[Any, ...] = ()
    min_len: int | None = None
    max_len: int | None = None
    pattern: str | None = None  # a full match, on strings
    minimum: Decimal | int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.path}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class Rule:
    """A cross-field rule. ``holds(body)`` is True when the request keeps it; ``breaks(body)``
    returns a copy of a valid request that breaks it (for the refusal tests)."""

    name: str
    message: str
    holds: Callable[[Mapping[str, Any]], bool]
    breaks: Callable[[dict[str, Any]], dict[str, Any]]
    field: str = ""
    source: str = ""
    status: int | None = None  # when the provider answers this rule with its own status


@dataclass(frozen=True)
class Violation:
    field: str
    message: str
    rule: str  # "required", "kind", "enum", "length", "pattern", "minimum", "unknown", or a Rule's name
    status: int | None = None


@dataclass(frozen=True)
class Contract:
    endpoint: str  # "POST /v2/earchive/create"
    fields: tuple[Field, ...]
    rules: tuple[Rule, ...] = ()
    # Refuse keys the contract does not describe (inside every described object): a misspelt
    # key is then a test failure rather than a field the provider silently drops.
    closed: bool = True
    source: str = ""
    _by_path: dict[str, Field] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_path.update({f.path: f for f in self.fields})
        names = [r.name for r in self.rules]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.endpoint}: duplicate rule names")

    def field(self, path: str) -> Field:
        return self._by_path[path]

    def violations(self, body: Any) -> list[Violation]:
        found: list[Violation] = []
        if not isinstance(body, dict):
            return [Violation("", "istek gövdesi bir JSON nesnesi olmalıdır", "kind")]
        for spec in self.fields:
            found += _check_field(spec, body)
        if self.closed:
            found += _unknown_keys(self, body)
        if found:
            # Cross-field rules read fields whose kinds are now known good; with a field
            # already wrong, a rule could only repeat the problem or crash on it.
            return found
        for rule in self.rules:
            if not rule.holds(body):
                found.append(Violation(rule.field, rule.message, rule.name, rule.status))
        return found


# --- paths ---------------------------------------------------------------------------------


def _steps(path: str) -> list[tuple[str, bool]]:
    """"a[].b" → [("a", True), ("b", False)]: each key and whether it holds a list of items."""
    return [(p[:-2], True) if p.endswith("[]") else (p, False) for p in path.split(".")]


def _values(node: Any, steps: list[tuple[str, bool]], where: str) -> Iterator[tuple[str, Any, bool]]:
    """Every (concrete path, value, parent present) the steps reach; value is _MISSING when the
    last key is absent from a present parent. Missing intermediate parents yield nothing."""
    key, many = steps[0]
    here = f"{where}.{key}" if where else key
    if not isinstance(node, dict):
        return
    value = node.get(key, _MISSING)
    if len(steps) == 1:
        # a last step "lines[]" describes the list itself
        yield here, value, True
        return
    if value is _MISSING or value is None:
        return
    if many:
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _values(item, steps[1:], f"{here}[{i}]")
        return
    yield from _values(value, steps[1:], here)


def get(body: Any, path: str, default: Any = None) -> Any:
    """The value at a plain dotted path (no ``[]``), or ``default``."""
    node = body
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def items(body: Any, path: str) -> list[Any]:
    """The items of the list at a plain dotted path ([] when absent or not a list)."""
    value = get(body, path)
    return value if isinstance(value, list) else []


def _check_field(spec: Field, body: dict[str, Any]) -> list[Violation]:
    out: list[Violation] = []
    for where, value, _ in _values(body, _steps(spec.path), ""):
        if value is _MISSING or value is None or (value == "" and spec.required):
            if spec.required:
                out.append(Violation(where, f"{where} alanı zorunludur", "required"))
            continue
        if not KINDS[spec.kind](value):
            out.append(Violation(where, f"{where} alanı {_TYPE_WORDS[spec.kind]} olmalıdır", "kind"))
            continue
        if spec.enum and value not in spec.enum:
            allowed = ", ".join(str(e) for e in spec.enum)
            out.append(Violation(where, f"{where} alanı şunlardan biri olmalıdır: {allowed}", "enum"))
        if isinstance(value, (str, list)):
            if spec.max_len is not None and len(value) > spec.max_len:
                out.append(Violation(where, f"{where} en fazla {spec.max_len} uzunlukta olabilir", "length"))
            if spec.min_len is not None and len(value) < spec.min_len:
                out.append(Violation(where, f"{where} en az {spec.min_len} uzunlukta olmalıdır", "length"))
        if spec.pattern is not None and isinstance(value, str) and not re.fullmatch(spec.pattern, value):
            out.append(Violation(where, f"{where} alanının biçimi geçersiz", "pattern"))
        if spec.minimum is not None:
            number = _decimal(value)
            if number is not None and number < Decimal(spec.minimum):
                out.append(Violation(where, f"{where} en az {spec.minimum} olmalıdır", "minimum"))
    return out


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _unknown_keys(contract: Contract, body: dict[str, Any]) -> list[Violation]:
    """Keys inside described objects that no field describes."""
    known: dict[tuple[tuple[str, bool], ...], set[str]] = {(): set()}  # no fields: every key is unknown
    for spec in contract.fields:
        steps = _steps(spec.path)
        for depth in range(len(steps)):
            parent = tuple(steps[:depth])
            known.setdefault(parent, set()).add(steps[depth][0])
    out: list[Violation] = []

    def walk(node: Any, prefix: tuple[tuple[str, bool], ...], where: str) -> None:
        if not isinstance(node, dict) or prefix not in known:
            return
        names = known[prefix]
        for key, value in node.items():
            here = f"{where}.{key}" if where else key
            if key not in names:
                out.append(Violation(here, f"{here}: tanımsız alan", "unknown"))
                continue
            many = (key, True) in _child_steps(contract, prefix)
            if many and isinstance(value, list):
                for i, item in enumerate(value):
                    walk(item, prefix + ((key, True),), f"{here}[{i}]")
            else:
                walk(value, prefix + ((key, False),), here)

    walk(body, (), "")
    return out


def _child_steps(contract: Contract, prefix: tuple[tuple[str, bool], ...]) -> set[tuple[str, bool]]:
    children = set()
    for spec in contract.fields:
        steps = tuple(_steps(spec.path))
        if len(steps) > len(prefix) and steps[: len(prefix)] == prefix:
            children.add(steps[len(prefix)])
    return children


# --- refusal cases for the contract tests ----------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A request that must be refused, and what it breaks."""

    what: str  # "required invoiceLines[0].vatRate", "rule surname_for_tckn"
    body: dict[str, Any]


def _concrete(body: dict[str, Any], path: str) -> list[list[str | int]]:
    """Concrete key paths for a field path, through the first item of each list."""
    steps = _steps(path)
    out: list[list[str | int]] = []

    def walk(node: Any, i: int, acc: list[str | int]) -> None:
        key, many = steps[i]
        if not isinstance(node, dict) or key not in node:
            return
        if i == len(steps) - 1:
            out.append(acc + [key])
            return
        value = node[key]
        if many:
            if isinstance(value, list) and value:
                walk(value[0], i + 1, acc + [key, 0])
        else:
            walk(value, i + 1, acc + [key])

    walk(body, 0, [])
    return out


def _set(body: dict[str, Any], keys: list[str | int], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node: Any = out
    for k in keys[:-1]:
        node = node[k]
    if value is _MISSING:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return out


def _parent_present(body: dict[str, Any], path: str) -> list[list[str | int]]:
    """Concrete paths where the field could be removed: its parent object is present."""
    steps = _steps(path)
    if len(steps) == 1:
        return [[steps[0][0]]]
    parents = _concrete(body, ".".join(k + ("[]" if m else "") for k, m in steps[:-1]))
    out = []
    for keys in parents:
        node: Any = body
        for k in keys:
            node = node[k]
        if steps[-2][1]:
            if isinstance(node, list) and node:
                out.append(keys + [0, steps[-1][0]])
        elif isinstance(node, dict):
            out.append(keys + [steps[-1][0]])
    return out


def refusals(contract: Contract, valid: dict[str, Any]) -> list[Refusal]:
    """Requests made from ``valid`` that break one mark or rule each: every required field
    removed, every field present given a value of the wrong kind, outside its enum, too long,
    off its pattern, under its minimum; an unknown key (for a closed contract); and each rule's
    own ``breaks``. ``valid`` must itself pass."""
    problems = contract.violations(valid)
    if problems:
        raise ValueError(f"{contract.endpoint}: the valid example breaks the contract: {problems}")
    cases: list[Refusal] = []
    for spec in contract.fields:
        if spec.required:
            for keys in _parent_present(valid, spec.path):
                cases.append(Refusal(f"required {spec.path}", _set(valid, keys, _MISSING)))
        for keys in _concrete(valid, spec.path):
            if spec.kind in _WRONG:
                cases.append(Refusal(f"kind {spec.path}", _set(valid, keys, _WRONG[spec.kind])))
            if spec.enum:
                cases.append(Refusal(f"enum {spec.path}", _set(valid, keys, _outside(spec.enum))))
            if spec.max_len is not None and spec.kind in ("string", "numeric_string"):
                cases.append(Refusal(f"length {spec.path}", _set(valid, keys, "9" * (spec.max_len + 1))))
            if spec.min_len is not None and spec.min_len > 1 and spec.kind == "string":
                cases.append(Refusal(f"length {spec.path}", _set(valid, keys, "x" * (spec.min_len - 1))))
            if spec.pattern is not None and spec.kind == "string":
                cases.append(Refusal(f"pattern {spec.path}", _set(valid, keys, "§")))
            if spec.minimum is not None:
                below = Decimal(spec.minimum) - 1
                sample: Any = int(below) if spec.kind == "integer" else (
                    str(below) if "string" in spec.kind else below
                )
                cases.append(Refusal(f"minimum {spec.path}", _set(valid, keys, sample)))
    if contract.closed:
        cases.append(Refusal("unknown key", {**copy.deepcopy(valid), "tanimsizAlan": "x"}))
    for rule in contract.rules:
        broken = rule.breaks(copy.deepcopy(valid))
        cases.append(Refusal(f"rule {rule.name}", broken))
    return cases


def _outside(enum: tuple[Any, ...]) -> Any:
    sample = enum[0]
    if isinstance(sample, bool):
        return "yok"
    if isinstance(sample, int):
        return max(int(e) for e in enum if isinstance(e, int)) + 17
    return "TANIMSIZ_DEGER"
