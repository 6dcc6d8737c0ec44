"""Operator console and alerts (#15): the audit table (who did what to which job, when — a
resolve note lives here, on the job's history), the alert state (so a restart of beat does
not send an alert again), and one index per console filter so a page of 100,000 jobs answers
in milliseconds (every list is "newest first", so each index ends in id).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# (name, columns): the console's filters, each a prefix of "newest first" (id DESC).
JOB_INDEXES = (
    ("ix_jobs_status_id", ("status", "id")),
    ("ix_jobs_store_id_id", ("store_id", "id")),
    ("ix_jobs_provider_id", ("provider", "id")),
    ("ix_jobs_document_type_id", ("document_type", "id")),
    ("ix_jobs_kind_id", ("kind", "id")),
    ("ix_jobs_created_at", ("created_at",)),
    ("ix_jobs_order_name", ("order_name",)),
    ("ix_jobs_order_id", ("order_id",)),
    ("ix_jobs_attention_category_id", ("attention_category", "id")),
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("job_id", _ID, nullable=True),
        sa.Column("event_id", _ID, nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_job_id", "audit_log", ["job_id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "alert_state",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("group_key", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fingerprint", sa.String(255), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alert_state"),
        sa.UniqueConstraint("rule", "group_key", name="uq_alert_state_rule_group_key"),
    )
    for name, columns in JOB_INDEXES:
        op.create_index(name, "jobs", list(columns))
    # Provider health reads the attempts of the last minutes; the inbox filters by status.
    op.create_index("ix_attempts_started_at", "attempts", ["started_at"])
    op.create_index("ix_inbound_events_status_id", "inbound_events", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_inbound_events_status_id", "inbound_events")
    op.drop_index("ix_attempts_started_at", "attempts")
    for name, _columns in reversed(JOB_INDEXES):
        op.drop_index(name, "jobs")
    op.drop_table("alert_state")
    op.drop_index("ix_audit_log_at", "audit_log")
    op.drop_index("ix_audit_log_job_id", "audit_log")
    op.drop_table("audit_log")
