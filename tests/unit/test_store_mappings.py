"""MappingRepository: the claim that keeps one cari per buyer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from sync_engine.store.repositories import ClaimState, MappingRepository

T0 = datetime(2024, 11, 21, 9, 0, tzinfo=UTC)
ACCOUNT = "kolaybi:demo"
VKN = "1000036109"
ANONYMOUS = "11111111111"


def test_claim_complete_then_mapped(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as a, session_factory() as b:
        first = MappingRepository(a).claim(ACCOUNT, VKN, "", "job-1", 60, T0)
        assert first.state == ClaimState.CLAIMED
        # The claim is committed: a second worker sees it at once and must wait.
        second = MappingRepository(b).claim(
            ACCOUNT, VKN, "", "job-2", 60, T0 + timedelta(seconds=1)
        )
        assert (second.state, second.customer_id) == (ClaimState.BUSY, None)

        assert MappingRepository(a).complete(
            ACCOUNT, VKN, "", "job-1", "assoc-42", {"address_id": 7}, now=T0 + timedelta(seconds=2)
        )
        third = MappingRepository(b).claim(ACCOUNT, VKN, "", "job-2", 60, T0 + timedelta(seconds=3))
        assert (third.state, third.customer_id, third.extra) == (
            ClaimState.MAPPED,
            "assoc-42",
            {"address_id": 7},
        )
        # Even long after, a mapped buyer is never claimed again.
        later = MappingRepository(b).claim(ACCOUNT, VKN, "", "job-3", 60, T0 + timedelta(days=9))
        assert later.state == ClaimState.MAPPED

    with session_factory() as session:
        row = MappingRepository(session).get(ACCOUNT, VKN, "")
        assert row is not None
        assert (row.customer_id, row.claimed_by, row.claim_expires_at) == ("assoc-42", None, None)
        assert row.updated_at == T0 + timedelta(seconds=2)


def test_expired_claim_is_taken_over_and_old_owner_cannot_complete(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        mappings = MappingRepository(session)
        assert mappings.claim(ACCOUNT, VKN, "", "crashed", 30, T0).state == ClaimState.CLAIMED
        before_expiry = mappings.claim(ACCOUNT, VKN, "", "w2", 30, T0 + timedelta(seconds=29))
        assert before_expiry.state == ClaimState.BUSY
        after_expiry = mappings.claim(ACCOUNT, VKN, "", "w2", 30, T0 + timedelta(seconds=31))
        assert after_expiry.state == ClaimState.CLAIMED
        # The worker that lost the claim may not record its (possibly duplicate) cari.
        assert not mappings.complete(ACCOUNT, VKN, "", "crashed", "assoc-dup", {})
        assert mappings.complete(ACCOUNT, VKN, "", "w2", "assoc-1", None)
        row = mappings.get(ACCOUNT, VKN)
        assert row is not None and (row.customer_id, row.extra) == ("assoc-1", {})


def test_claim_is_not_reentrant_and_release_frees_at_once(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        mappings = MappingRepository(session)
        assert mappings.claim(ACCOUNT, VKN, "", "worker-1", 60, T0).state == ClaimState.CLAIMED
        # Two jobs of one buyer in the same worker process share the owner string: the second
        # must wait like anyone else, or the buyer gets two cari records.
        again = mappings.claim(ACCOUNT, VKN, "", "worker-1", 60, T0 + timedelta(seconds=50))
        assert again.state == ClaimState.BUSY
        row = mappings.get(ACCOUNT, VKN)
        assert row is not None and row.claim_expires_at == T0 + timedelta(seconds=60)

        assert not mappings.release(ACCOUNT, VKN, "", "someone-else")
        assert mappings.release(ACCOUNT, VKN, "", "worker-1")
        assert mappings.claim(ACCOUNT, VKN, "", "job-2", 60, T0 + timedelta(seconds=51)).state == (
            ClaimState.CLAIMED
        )


def test_code_tells_anonymous_buyers_apart(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        mappings = MappingRepository(session)
        assert mappings.claim(ACCOUNT, ANONYMOUS, "a1b2c3", "j1", 60, T0).state == "claimed"
        assert mappings.claim(ACCOUNT, ANONYMOUS, "d4e5f6", "j2", 60, T0).state == "claimed"
        # The same tax id at another provider account is another cari.
        assert mappings.claim("kolaybi:other", ANONYMOUS, "a1b2c3", "j3", 60, T0).state == "claimed"
        assert mappings.claim(ACCOUNT, ANONYMOUS, "a1b2c3", "j4", 60, T0).state == "busy"
        assert mappings.get(ACCOUNT, ANONYMOUS, "zzz") is None
