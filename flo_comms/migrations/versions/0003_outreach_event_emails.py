"""Outreach events: states, slot deletion, reviews, and reminder/follow-up records.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Columns added to existing tables carry no foreign key: DuckDB cannot add
    # a constraint to a table that exists.
    op.add_column("outreach_events", sa.Column("updated_at", Timestamp))
    op.add_column("outreach_events", sa.Column("state_changed_at", Timestamp))
    op.add_column("outreach_events", sa.Column("state_changed_by", sa.Integer()))
    op.add_column("event_time_slots", sa.Column("deleted_at", Timestamp))
    op.add_column("event_registrations", sa.Column("reviewed_at", Timestamp))
    op.add_column("event_registrations", sa.Column("reviewed_by", sa.Integer()))
    op.add_column("event_registrations", sa.Column("slot_assigned_at", Timestamp))
    op.execute(sa.schema.CreateSequence(sa.Sequence("event_dispatches_id_seq")))
    op.create_table(
        "event_dispatches",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('event_dispatches_id_seq')"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("due_at", Timestamp, nullable=False),
        sa.Column("decided_at", Timestamp, nullable=False),
        sa.Column("communication_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outreach_events.id"],
            name=op.f("fk_event_dispatches_event_id_outreach_events"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_event_dispatches_candidate_id_candidates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_dispatches")),
        sa.UniqueConstraint(
            "event_id",
            "candidate_id",
            "kind",
            name=op.f("uq_event_dispatches_event_id_candidate_id_kind"),
        ),
    )


def downgrade() -> None:
    op.drop_table("event_dispatches")
    op.execute(sa.schema.DropSequence(sa.Sequence("event_dispatches_id_seq")))
    op.drop_column("event_registrations", "slot_assigned_at")
    op.drop_column("event_registrations", "reviewed_by")
    op.drop_column("event_registrations", "reviewed_at")
    op.drop_column("event_time_slots", "deleted_at")
    op.drop_column("outreach_events", "state_changed_by")
    op.drop_column("outreach_events", "state_changed_at")
    op.drop_column("outreach_events", "updated_at")
