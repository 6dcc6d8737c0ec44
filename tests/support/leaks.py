"""A scanner for personal data and secrets in captured log text, written apart from
``sync_engine.logging`` (it shares none of its code), so that a gap in the redaction layer
shows up here instead of agreeing with itself.

It looks, in the text as written and URL-decoded (``%40``, ``+``, ``%22``…):

* for every identifier of the run given to it (the buyers' TCKN / VKN, e-mails, phones,
  the secrets of the stores file) — found anywhere, whole;
* for anything that looks like one even if nobody listed it: a 10- or 11-digit run that
  passes the VKN / TCKN checksum (but the anonymous consumer's 11111111111), and an e-mail
  address; and for a Python traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, unquote_plus

from stdnum.tr import tckimlik, vkn

ANONYMOUS = "11111111111"
# A run of its own: not inside a longer token (a memory address 0x7f1329546050 carries a
# checksum-valid 10-digit run by chance; it is no one's VKN).
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]{10,11}(?![0-9A-Za-z])")
# A local part of at least two plain characters: a masked address ("a***@x.com") has none.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_TRACEBACK = "Traceback (most recent call last)"


@dataclass(frozen=True)
class Leak:
    kind: str  # identifier | tax_id | email | traceback
    value: str
    context: str

    def __str__(self) -> str:
        return f"{self.kind} {self.value!r} in …{self.context}…"


def _views(text: str) -> list[str]:
    return [text, unquote(text), unquote_plus(text)]


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 60): end + 60].replace("\n", " ")


def _is_tax_id(run: str) -> bool:
    if run == ANONYMOUS:
        return False
    return tckimlik.is_valid(run) if len(run) == 11 else vkn.is_valid(run)


def scan(text: str, identifiers: Iterable[str] = (), *, allow_emails: Iterable[str] = ()) -> list[Leak]:
    """Every leak in ``text``; ``allow_emails`` are addresses that are not personal data
    (a system sender, say) and may appear."""
    found: dict[tuple[str, str], Leak] = {}
    allowed = {a.lower() for a in allow_emails}
    for view in _views(text):
        for ident in identifiers:
            if ident and (at := view.find(ident)) >= 0:
                found.setdefault(("identifier", ident), Leak("identifier", ident, _context(view, at, at + len(ident))))
        for match in _DIGIT_RUN.finditer(view):
            if _is_tax_id(match.group()):
                found.setdefault(("tax_id", match.group()),
                                 Leak("tax_id", match.group(), _context(view, match.start(), match.end())))
        for match in _EMAIL.finditer(view):
            if match.group().lower() not in allowed:
                found.setdefault(("email", match.group()),
                                 Leak("email", match.group(), _context(view, match.start(), match.end())))
    if (at := text.find(_TRACEBACK)) >= 0:
        found[("traceback", "")] = Leak("traceback", "", _context(text, at, at + 400))
    return list(found.values())


def identifiers_in(payloads: Iterable[Any]) -> set[str]:
    """The personal identifiers a set of shop payloads carries: e-mails, valid TCKN / VKN,
    and phone numbers (the digits of any value under a key naming a phone)."""
    out: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value)
            out.update(m.group() for m in _EMAIL.finditer(text))
            out.update(m.group() for m in _DIGIT_RUN.finditer(text) if _is_tax_id(m.group()))
            if "phone" in key.lower():
                digits = "".join(ch for ch in text if ch.isdigit())
                if len(digits) >= 10:
                    out.add(digits[-10:])  # the subscriber number, however it is prefixed

    for payload in payloads:
        walk(json.loads(payload) if isinstance(payload, str | bytes) else payload)
    return out
