"""Repositories: every query of the state store lives here.

Each takes a `Session` and leaves committing to the caller's unit of work, except the lock
operations that must be visible to other workers at once: `JobRepository.take_lease` /
`renew_lease` and `MappingRepository.claim` / `complete` / `release` commit themselves.
"""

# The compare-and-set primitives, for repositories outside this package (reconciliation's).
from sync_engine.store.repositories._common import check_columns, guarded_update
from sync_engine.store.repositories.attempts import MESSAGE_LIMIT, AttemptRepository
from sync_engine.store.repositories.events import EventRepository
from sync_engine.store.repositories.jobs import JobRepository
from sync_engine.store.repositories.mappings import ClaimResult, ClaimState, MappingRepository
from sync_engine.store.repositories.reconcile import ReconcileRepository

__all__ = [
    "MESSAGE_LIMIT",
    "AttemptRepository",
    "ClaimResult",
    "ClaimState",
    "EventRepository",
    "JobRepository",
    "MappingRepository",
    "ReconcileRepository",
    "check_columns",
    "guarded_update",
]
