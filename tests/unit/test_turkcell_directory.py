"""The GİB user lookup's answer (FACTS §4.2, shape tagged I) is read liberally, and a shape
that fits none of the variants is refused naming the field, never read as "no alias"."""

from __future__ import annotations

import pytest

from sync_engine.providers.errors import PermanentError
from sync_engine.providers.turkcell.directory import aliases_of

PK = "urn:mail:defaultpk@alici.com.tr"


@pytest.mark.parametrize("answer", [
    [{"alias": PK, "type": "PK"}],
    [{"Alias": PK}],
    {"aliases": [{"alias": PK}]},
    {"Aliases": [PK]},
    {"identifier": "4540536920", "aliases": [PK, ""]},
])
def test_every_plausible_getuser_shape_gives_the_aliases(answer: object) -> None:
    assert aliases_of(answer) == (PK,)


@pytest.mark.parametrize("answer", [{"identifier": "4540536920"}, "urn:mail:x", 7, None])
def test_a_shape_without_an_alias_list_is_refused_naming_the_field(answer: object) -> None:
    with pytest.raises(PermanentError, match="alias list"):
        aliases_of(answer)
