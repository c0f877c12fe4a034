"""Entries counted per 15 minutes, for analytics (volume_counts).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from flo_comms import volume_counts

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No index: the questions read the whole table or a range of buckets, and
    # on DuckDB the rows are written sorted by bucket instead.
    op.create_table(
        "communication_volume",
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("comm_type", sa.String(length=30), nullable=False),
        sa.Column("email_kind", sa.String(length=40)),
        sa.Column("event_id", sa.Integer()),
        sa.Column("job_id", sa.Integer()),
        sa.Column("job_status", sa.String(length=40)),
        sa.Column("to_agency", sa.Boolean(), nullable=False),
        sa.Column("delivery_state", sa.String(length=10)),
        sa.Column("entries", sa.Integer(), nullable=False),
    )
    # A database with entries has them counted now.
    volume_counts.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("communication_volume")
