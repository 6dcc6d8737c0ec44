"""The state store's tables (DESIGN §1: the SQL state table is the source of truth).

The schema itself is owned by the hand-written Alembic migrations in `migrations/versions`;
these models must describe exactly the same tables (a test compares the two on SQLite and
PostgreSQL). Status columns are plain strings, not database enums or CHECK constraints, so a
new state costs no table rebuild on SQLite; the allowed values are `sync_engine.domain.states`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# The vocabulary is the domain's, defined once; the columns below hold its values, and
# the names stay importable from here for the store's users.
from sync_engine.domain.states import (
    LEASABLE_STATUSES,
    DocumentType,
    EventSource,
    EventStatus,
    JobStatus,
    StepState,
)
from sync_engine.store.types import Money, UtcDateTime


# SQLite only autoincrements a column declared exactly INTEGER PRIMARY KEY; PostgreSQL gets
# BIGINT so ids never run out.
Id = BigInteger().with_variant(Integer, "sqlite")

# Explicit constraint names: SQLite would otherwise leave them unnamed and PostgreSQL would
# invent its own, and the two schemas could not be compared or altered by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


STEP_COLUMNS: tuple[str, ...] = ("step_customer", "step_invoice", "step_e_document", "step_journal")


def _step_column() -> Mapped[str]:
    return mapped_column(
        String(32), nullable=False, default=StepState.PENDING, server_default=StepState.PENDING
    )


class InboundEvent(Base):
    """The webhook inbox: every verified delivery, stored raw before anything else happens."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("store_id", "platform", "event_key"),
        Index("ix_inbound_events_status_id", "status", "id"),  # the console's inbox filter
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    store_id: Mapped[str] = mapped_column(String(128), nullable=False)
    platform: Mapped[str] = mapped_column(String(32), nullable=False)
    event_key: Mapped[str] = mapped_column(String(255), nullable=False)
    topic: Mapped[str | None] = mapped_column(String(128), nullable=True)
    source: Mapped[str] = mapped_column(String(32), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # Redacted by the caller: signature and auth headers must never reach the table.
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    raw_body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    job_id: Mapped[int | None] = mapped_column(Id, ForeignKey("jobs.id"), nullable=True)


class Job(Base):
    """One logical invoice (sale or return) and how far it got at the provider."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index("ix_jobs_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_jobs_store_id_created_at", "store_id", "created_at"),
        Index("ix_jobs_store_id_order_id", "store_id", "order_id"),
        # The operator console's filters (migration 0005), each ending in id: newest first.
        Index("ix_jobs_status_id", "status", "id"),
        Index("ix_jobs_store_id_id", "store_id", "id"),
        Index("ix_jobs_provider_id", "provider", "id"),
        Index("ix_jobs_document_type_id", "document_type", "id"),
        Index("ix_jobs_kind_id", "kind", "id"),
        Index("ix_jobs_created_at", "created_at"),
        Index("ix_jobs_order_name", "order_name"),
        Index("ix_jobs_order_id", "order_id"),
        Index("ix_jobs_attention_category_id", "attention_category", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False)
    store_id: Mapped[str] = mapped_column(String(128), nullable=False)
    platform: Mapped[str] = mapped_column(String(32), nullable=False)
    # Text, not an integer: Shopify ids exceed 2**53 and other platforms use strings.
    order_id: Mapped[str] = mapped_column(String(64), nullable=False)
    order_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    kind: Mapped[str] = mapped_column(
        String(32), nullable=False, default="sale", server_default="sale"
    )
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    provider_account: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(
        String(32), nullable=False, default=JobStatus.QUEUED, server_default=JobStatus.QUEUED
    )
    # NULL when the payload could not be turned into an Order (the job waits in
    # needs_attention with the reason; the raw body stays in inbound_events).
    order_json: Mapped[str | None] = mapped_column(Text, nullable=True)

    step_customer: Mapped[str] = _step_column()
    step_invoice: Mapped[str] = _step_column()
    step_e_document: Mapped[str] = _step_column()
    step_journal: Mapped[str] = _step_column()

    customer_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    invoice_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    ettn: Mapped[str | None] = mapped_column(String(36), nullable=True)
    invoice_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    gib_uuid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    journal_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    document_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The buyer's e-Fatura posta kutusu (urn:mail:…), fixed with document_type at routing.
    document_alias: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The provider's own word for the GİB state, kept raw for operators and the send probe.
    e_document_status: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rounding_difference: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    # Where document_type came from (a GİB directory lookup, the shop's flag, the provider
    # deciding at send time…) and when the registration was looked up.
    route_source: Mapped[str | None] = mapped_column(String(32), nullable=True)
    route_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The payable total as the provider computed it; checked against the paid total
    # before the GİB send.
    provider_total: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    # When the GİB send was made: its status is followed until GİB's final answer, and a
    # send with no final answer after SYNC_GIB_ANSWER_WAIT_S goes to an operator.
    e_document_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    e_document_message: Mapped[str | None] = mapped_column(Text, nullable=True)  # GİB's own words
    attention_category: Mapped[str | None] = mapped_column(String(64), nullable=True)

    attempt_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    # Of attempt_count, the runs that only waited (GİB's answer, another job's cari claim):
    # the retry budget counts the others.
    wait_count: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error_class: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_error_message: Mapped[str | None] = mapped_column(Text, nullable=True)

    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # A document of the order's chain that needs no more work, and why: a proforma whose
    # order was paid (the sale job invoices it), was cancelled, or stayed unpaid past its due.
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Attempt(Base):
    """One provider call: the job's timeline for operators."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_job_id", "job_id"),
        Index("ix_attempts_started_at", "started_at"),  # provider health: the last minutes
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(Id, ForeignKey("jobs.id"), nullable=False)
    step: Mapped[str] = mapped_column(String(32), nullable=False)
    operation: Mapped[str] = mapped_column(String(128), nullable=False)
    attempt_no: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_class: Mapped[str | None] = mapped_column(String(128), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)


class BuyerMapping(Base):
    """Buyer → cari at one provider account, and the claim that keeps it to one cari."""

    __tablename__ = "buyer_mappings"
    __table_args__ = (UniqueConstraint("provider_account", "tax_id", "code"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    provider_account: Mapped[str] = mapped_column(String(255), nullable=False)
    tax_id: Mapped[str] = mapped_column(String(11), nullable=False)
    # '' rather than NULL for buyers with a real tax id: NULLs are distinct in a unique key,
    # so two NULL codes would let two cari rows for one VKN through.
    code: Mapped[str] = mapped_column(String(64), nullable=False, default="", server_default="")
    customer_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class ReconcileRun(Base):
    __tablename__ = "reconcile_runs"
    __table_args__ = (Index("ix_reconcile_runs_store_id_started_at", "store_id", "started_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    store_id: Mapped[str] = mapped_column(String(128), nullable=False)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    window_end: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    shop_calls: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    provider_calls: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )


class ReconcileItem(Base):
    """One difference found by a run and what was done about it."""

    __tablename__ = "reconcile_items"
    __table_args__ = (Index("ix_reconcile_items_run_id", "run_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(Id, ForeignKey("reconcile_runs.id"), nullable=False)
    category: Mapped[str] = mapped_column(String(64), nullable=False)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Deliberately no foreign key: a run reports what it saw, even about a job id that a
    # person later looks up by hand.
    job_id: Mapped[int | None] = mapped_column(Id, nullable=True)
    invoice_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditEntry(Base):
    """One operator action (console or CLI): who, when, what; a resolve note is kept here."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_job_id", "job_id"), Index("ix_audit_log_at", "at"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    # No foreign keys: the record of what was done outlives whatever it was done to.
    job_id: Mapped[int | None] = mapped_column(Id, nullable=True)
    event_id: Mapped[int | None] = mapped_column(Id, nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class AlertState(Base):
    """One alert (a rule over a group: a provider, a store's category…) as last notified, so
    that a restarted beat neither re-sends a firing alert nor forgets to say it resolved."""

    __tablename__ = "alert_state"
    __table_args__ = (UniqueConstraint("rule", "group_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(64), nullable=False)
    group_key: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # firing | resolved
    since: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    last_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(255), nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
