"""jobs: where the document type came from and when; the provider's own total; when the GİB
send was made (the status is followed until GİB's final answer).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("route_source", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("route_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("provider_total", sa.Numeric(14, 2), nullable=True))
        batch.add_column(sa.Column("e_document_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("e_document_message", sa.Text(), nullable=True))
        # Runs that only waited (GİB's answer, another job's cari claim): they do not use up
        # the retry budget, which counts failures.
        batch.add_column(sa.Column("wait_count", sa.Integer(), nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for column in ("wait_count", "e_document_message", "e_document_sent_at", "provider_total", "route_checked_at", "route_source"):
            batch.drop_column(column)
