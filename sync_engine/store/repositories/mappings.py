"""Buyer → cari mappings, and the claim that makes "one cari per buyer" hold (DESIGN §3).

Two orders of the same new buyer may be processed at once. Each worker first claims the
(provider account, tax id, code) key; only the claim holder searches for and creates the
cari, then records the customer id with `complete`. The others see `busy` and retry later
(connector's `_lock`: fail fast, never wait on a lock held across a provider call), or
`mapped` once the id is known.

A claim is a lock, so `claim`, `complete` and `release` COMMIT the session themselves: an
uncommitted claim row would be invisible to the competing worker. Call them with nothing
else pending in the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sync_engine.store.models import BuyerMapping
from sync_engine.store.repositories._common import guarded_update, insert_or_ignore, utcnow


class ClaimState(StrEnum):
    MAPPED = "mapped"  # the cari exists: use customer_id
    CLAIMED = "claimed"  # you hold the claim: find-or-create the cari, then complete()
    BUSY = "busy"  # another worker holds a live claim: retry later


@dataclass(frozen=True)
class ClaimResult:
    state: ClaimState
    customer_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class MappingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _key(self, provider_account: str, tax_id: str, code: str) -> Any:
        return and_(
            BuyerMapping.provider_account == provider_account,
            BuyerMapping.tax_id == tax_id,
            BuyerMapping.code == code,
        )

    def get(self, provider_account: str, tax_id: str, code: str = "") -> BuyerMapping | None:
        return self.session.scalars(
            select(BuyerMapping)
            .where(self._key(provider_account, tax_id, code))
            .execution_options(populate_existing=True)
        ).one_or_none()

    def claim(
        self,
        provider_account: str,
        tax_id: str,
        code: str,
        owner: str,
        ttl_s: float,
        now: datetime,
    ) -> ClaimResult:
        """Claim the right to create this buyer's cari, or learn who has it. COMMITS.

        The claim expires after ttl_s so a crashed worker cannot block the buyer forever;
        choose a ttl longer than a find-or-create at the provider can take.

        Not re-entrant on purpose: a live claim answers `busy` even to its own owner. Owner
        strings are often shared (one per worker process, many greenlets), and two jobs of
        the same buyer in one process must still not both create a cari.
        """
        expires = now + timedelta(seconds=ttl_s)
        try:
            created = insert_or_ignore(
                self.session,
                BuyerMapping,
                {
                    "provider_account": provider_account,
                    "tax_id": tax_id,
                    "code": code,
                    "claimed_by": owner,
                    "claim_expires_at": expires,
                    "created_at": now,
                    "updated_at": now,
                },
                ["provider_account", "tax_id", "code"],
            )
            if created is not None:
                self.session.commit()
                return ClaimResult(ClaimState.CLAIMED)
            # The row exists: take it over only if nobody mapped it and no live claim stands.
            taken = guarded_update(
                self.session,
                BuyerMapping,
                [
                    self._key(provider_account, tax_id, code),
                    BuyerMapping.customer_id.is_(None),
                    or_(BuyerMapping.claimed_by.is_(None), BuyerMapping.claim_expires_at < now),
                ],
                {"claimed_by": owner, "claim_expires_at": expires, "updated_at": now},
            )
            if taken:
                self.session.commit()
                return ClaimResult(ClaimState.CLAIMED)
            row = self.get(provider_account, tax_id, code)
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
        if row is not None and row.customer_id is not None:
            return ClaimResult(ClaimState.MAPPED, row.customer_id, dict(row.extra or {}))
        return ClaimResult(ClaimState.BUSY)

    def complete(
        self,
        provider_account: str,
        tax_id: str,
        code: str,
        owner: str,
        customer_id: str,
        extra: dict[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> bool:
        """Record the cari found or created under the claim and drop the claim. COMMITS.

        False when `owner` no longer holds the claim (it expired and another worker took
        it over): the caller must not assume its cari is the mapped one.
        """
        return self._finish(
            [
                self._key(provider_account, tax_id, code),
                BuyerMapping.claimed_by == owner,
                BuyerMapping.customer_id.is_(None),
            ],
            {
                "customer_id": customer_id,
                "extra": dict(extra or {}),
                "claimed_by": None,
                "claim_expires_at": None,
                "updated_at": now or utcnow(),
            },
        )

    def release(
        self,
        provider_account: str,
        tax_id: str,
        code: str,
        owner: str,
        *,
        now: datetime | None = None,
    ) -> bool:
        """Drop a claim without a cari (the provider call failed), so others need not wait
        for it to expire. COMMITS."""
        return self._finish(
            [
                self._key(provider_account, tax_id, code),
                BuyerMapping.claimed_by == owner,
                BuyerMapping.customer_id.is_(None),
            ],
            {"claimed_by": None, "claim_expires_at": None, "updated_at": now or utcnow()},
        )

    # -- bringing a mapped cari up to date (a returning buyer whose details changed) --------

    def claim_refresh(
        self, provider_account: str, tax_id: str, code: str, owner: str, ttl_s: float, now: datetime
    ) -> bool:
        """Claim a MAPPED buyer for an update at the provider (one updater at a time, so two
        orders of a buyer who moved do not both add the new address). COMMITS."""
        return self._finish(
            [
                self._key(provider_account, tax_id, code),
                BuyerMapping.customer_id.is_not(None),
                or_(BuyerMapping.claimed_by.is_(None), BuyerMapping.claim_expires_at < now),
            ],
            {"claimed_by": owner, "claim_expires_at": now + timedelta(seconds=ttl_s), "updated_at": now},
        )

    def complete_refresh(
        self,
        provider_account: str,
        tax_id: str,
        code: str,
        owner: str,
        customer_id: str,
        extra: dict[str, Any],
        *,
        now: datetime | None = None,
    ) -> bool:
        """Record the updated cari (new address id, the buyer's new fingerprint) and drop the
        refresh claim. COMMITS. False when the claim was lost meanwhile."""
        return self._finish(
            [self._key(provider_account, tax_id, code), BuyerMapping.claimed_by == owner],
            {
                "customer_id": customer_id,
                "extra": dict(extra),
                "claimed_by": None,
                "claim_expires_at": None,
                "updated_at": now or utcnow(),
            },
        )

    def release_refresh(
        self, provider_account: str, tax_id: str, code: str, owner: str, *, now: datetime | None = None
    ) -> bool:
        """Drop a refresh claim after a failed update (the mapping stays as it was). COMMITS."""
        return self._finish(
            [self._key(provider_account, tax_id, code), BuyerMapping.claimed_by == owner],
            {"claimed_by": None, "claim_expires_at": None, "updated_at": now or utcnow()},
        )

    def _finish(self, where: list[Any], values: dict[str, Any]) -> bool:
        try:
            done = guarded_update(self.session, BuyerMapping, where, values)
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
        return done
