"""The Communications tabs' reading copy, sorted by candidate (timeline_store).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from flo_comms import timeline_store

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timeline_entries",
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("communication_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("comm_type", sa.String(length=30), nullable=False),
        sa.Column("email_kind", sa.String(length=40)),
        sa.Column("job_id", sa.Integer()),
        sa.Column("event_id", sa.Integer()),
        sa.Column("search_text", sa.Text(), nullable=False),
    )
    op.create_table(
        "timeline_layout", sa.Column("sorted_rows", sa.BigInteger(), nullable=False)
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_timeline_entries_candidate",
            "timeline_entries",
            ["candidate_id", "occurred_at", "communication_id"],
        )
        op.create_index(
            "ix_timeline_entries_communication",
            "timeline_entries",
            ["communication_id"],
        )
    # A database with entries gets their rows now, sorted.
    timeline_store.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("timeline_layout")
    op.drop_table("timeline_entries")
