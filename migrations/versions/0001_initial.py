"""Initial state store: inbound events, jobs, attempts, buyer mappings, reconciliation.

Revision ID: 0001
Revises:
Create Date: 2024-11-21

Written by hand and checked on SQLite and PostgreSQL: the test suite compares the two
resulting schemas with each other and with `sync_engine.store.models`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.types.TypeEngine[int]:
    # SQLite autoincrements only a column typed exactly INTEGER PRIMARY KEY.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _step(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=False, server_default="pending")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("store_id", sa.String(128), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("order_name", sa.String(128), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False, server_default="sale"),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("provider_account", sa.String(255), nullable=False),
        sa.Column("status", sa.String(32), nullable=False, server_default="queued"),
        sa.Column("order_json", sa.Text(), nullable=True),
        _step("step_customer"),
        _step("step_invoice"),
        _step("step_e_document"),
        _step("step_journal"),
        sa.Column("customer_id", sa.String(128), nullable=True),
        sa.Column("invoice_id", sa.String(128), nullable=True),
        sa.Column("ettn", sa.String(36), nullable=True),
        sa.Column("invoice_number", sa.String(32), nullable=True),
        sa.Column("gib_uuid", sa.String(64), nullable=True),
        sa.Column("journal_ref", sa.String(128), nullable=True),
        sa.Column("document_type", sa.String(16), nullable=True),
        sa.Column("e_document_status", sa.String(64), nullable=True),
        sa.Column("rounding_difference", sa.Numeric(14, 2), nullable=True),
        sa.Column("attention_category", sa.String(64), nullable=True),
        sa.Column("attempt_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", _ts(), nullable=True),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_expires_at", _ts(), nullable=True),
        sa.Column("last_error_class", sa.String(128), nullable=True),
        sa.Column("last_error_message", sa.Text(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.Column("completed_at", _ts(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.UniqueConstraint("idempotency_key", name="uq_jobs_idempotency_key"),
    )
    op.create_index("ix_jobs_status_next_attempt_at", "jobs", ["status", "next_attempt_at"])
    op.create_index("ix_jobs_store_id_created_at", "jobs", ["store_id", "created_at"])
    op.create_index("ix_jobs_store_id_order_id", "jobs", ["store_id", "order_id"])

    op.create_table(
        "inbound_events",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("store_id", sa.String(128), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("event_key", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(128), nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("received_at", _ts(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("raw_body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("job_id", _id(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_events"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_inbound_events_job_id_jobs"),
        sa.UniqueConstraint(
            "store_id",
            "platform",
            "event_key",
            name="uq_inbound_events_store_id_platform_event_key",
        ),
    )

    op.create_table(
        "attempts",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("job_id", _id(), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("operation", sa.String(128), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("started_at", _ts(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error_class", sa.String(128), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_attempts"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_attempts_job_id_jobs"),
    )
    op.create_index("ix_attempts_job_id", "attempts", ["job_id"])

    op.create_table(
        "buyer_mappings",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("provider_account", sa.String(255), nullable=False),
        sa.Column("tax_id", sa.String(11), nullable=False),
        sa.Column("code", sa.String(64), nullable=False, server_default=""),
        sa.Column("customer_id", sa.String(128), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("claim_expires_at", _ts(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_buyer_mappings"),
        sa.UniqueConstraint(
            "provider_account",
            "tax_id",
            "code",
            name="uq_buyer_mappings_provider_account_tax_id_code",
        ),
    )

    op.create_table(
        "reconcile_runs",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("store_id", sa.String(128), nullable=False),
        sa.Column("window_start", _ts(), nullable=False),
        sa.Column("window_end", _ts(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("started_at", _ts(), nullable=False),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("shop_calls", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("provider_calls", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_runs"),
    )
    op.create_index(
        "ix_reconcile_runs_store_id_started_at", "reconcile_runs", ["store_id", "started_at"]
    )

    op.create_table(
        "reconcile_items",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("run_id", _id(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("job_id", _id(), nullable=True),
        sa.Column("invoice_ref", sa.String(128), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_items"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["reconcile_runs.id"], name="fk_reconcile_items_run_id_reconcile_runs"
        ),
    )
    op.create_index("ix_reconcile_items_run_id", "reconcile_items", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_reconcile_items_run_id", table_name="reconcile_items")
    op.drop_table("reconcile_items")
    op.drop_index("ix_reconcile_runs_store_id_started_at", table_name="reconcile_runs")
    op.drop_table("reconcile_runs")
    op.drop_table("buyer_mappings")
    op.drop_index("ix_attempts_job_id", table_name="attempts")
    op.drop_table("attempts")
    op.drop_table("inbound_events")
    op.drop_index("ix_jobs_store_id_order_id", table_name="jobs")
    op.drop_index("ix_jobs_store_id_created_at", table_name="jobs")
    op.drop_index("ix_jobs_status_next_attempt_at", table_name="jobs")
    op.drop_table("jobs")
