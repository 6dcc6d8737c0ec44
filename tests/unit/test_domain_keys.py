"""Idempotency keys and the ids derived from them: an ETTN or reference that ever changed for
the same order would give that order a second invoice at the provider."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from sync_engine.domain.keys import (
    ETTN_NAMESPACE, cancel_key, ettn_for, is_return_key, proforma_key, return_key, sale_key, short_ref,
)

SALE = sale_key("shop", "1001")
# Fixed forever, like the namespace: computed once and written down, so a changed namespace,
# key format or hash fails here instead of double-invoicing in production.
SALE_ETTN = "5d3b66d7-5a73-5da0-b033-e6f925adaf75"
RETURN_ETTN = "30f411a4-ccab-501b-8863-e1ab51c6e52e"
SALE_SHORT_REF = "se_2cdc14c2ba7f6ec7d1b1"

keys = st.text(min_size=1, max_size=80)


def test_key_formats() -> None:
    assert SALE == "shop:1001:sale"
    assert return_key("shop", "1001", "r1") == "shop:1001:return:r1"


def test_ettn_is_a_fixed_uuid5_of_the_key() -> None:
    ettn = ettn_for(SALE)
    assert ettn == SALE_ETTN
    parsed = uuid.UUID(ettn)
    assert parsed.version == 5
    assert parsed.variant == uuid.RFC_4122
    assert str(parsed) == ettn  # canonical lower-case 8-4-4-4-12, as GİB expects
    assert ETTN_NAMESPACE == uuid.UUID("6f1c5a0e-3d1b-5b6a-9a57-5e2f0c3b8d41")
    assert ettn_for(return_key("shop", "1001", "r1")) == RETURN_ETTN


def test_sale_and_return_ettns_differ() -> None:
    sale = ettn_for(sale_key("shop", "1001"))
    first_return = ettn_for(return_key("shop", "1001", "r1"))
    second_return = ettn_for(return_key("shop", "1001", "r2"))
    assert len({sale, first_return, second_return}) == 3
    # The same order id in another store is another invoice.
    assert ettn_for(sale_key("other-shop", "1001")) != sale


def test_ids_are_the_same_in_another_process() -> None:
    # A retry may run in another worker; a salted hash (PYTHONHASHSEED) must not leak in.
    code = (
        "from sync_engine.domain.keys import ettn_for, short_ref;"
        f"print(ettn_for({SALE!r}), short_ref({SALE!r}))"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
        timeout=60,
    )
    assert result.stdout.split() == [SALE_ETTN, SALE_SHORT_REF]


def test_short_ref_is_fixed_and_fits_the_field() -> None:
    assert short_ref(SALE) == SALE_SHORT_REF
    assert len(SALE_SHORT_REF) == 23
    assert short_ref(SALE) != short_ref(return_key("shop", "1001", "r1"))
    assert short_ref(SALE, prefix="x") == "x" + SALE_SHORT_REF.removeprefix("se_")


@settings(max_examples=200, deadline=None)
@given(keys)
def test_derived_ids_are_stable_and_well_formed(key: str) -> None:
    ettn = ettn_for(key)
    assert ettn == ettn_for(key)
    assert uuid.UUID(ettn).version == 5
    ref = short_ref(key)
    assert ref == short_ref(key)
    assert len(ref) <= 23
    assert ref.startswith("se_")
    assert ref[3:].isalnum() and ref[3:].isascii()


@settings(max_examples=200, deadline=None)
@given(keys, keys, keys)
def test_sale_and_return_of_one_order_never_share_an_ettn(
    store: str, order_id: str, refund_id: str
) -> None:
    assert ettn_for(sale_key(store, order_id)) != ettn_for(return_key(store, order_id, refund_id))
    assert short_ref(sale_key(store, order_id)) != short_ref(return_key(store, order_id, refund_id))


def test_a_return_key_is_told_apart_from_the_others() -> None:
    assert is_return_key(return_key("demo-shop", "5550001", "9001"))
    for other in (sale_key("demo-shop", "5550001"), cancel_key("demo-shop", "5550001"),
                  proforma_key("demo-shop", "5550001"), "demo-shop:5550001:return:"):
        assert not is_return_key(other), other
