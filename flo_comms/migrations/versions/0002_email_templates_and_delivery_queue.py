"""Status email templates and the email delivery queue.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("email_deliveries_id_seq")))
    op.create_table(
        "status_email_templates",
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["members.id"],
            name=op.f("fk_status_email_templates_updated_by_members"),
        ),
        sa.PrimaryKeyConstraint("status", name=op.f("pk_status_email_templates")),
    )
    op.create_table(
        "email_deliveries",
        sa.Column(
            "id",
            sa.Integer(),
            server_default=sa.text("nextval('email_deliveries_id_seq')"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("communication_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("from_address", sa.String(length=300), nullable=False),
        sa.Column("reply_to", sa.String(length=300), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("delivered_to", sa.String(length=500), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["communication_id"],
            ["communications.id"],
            name=op.f("fk_email_deliveries_communication_id_communications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_deliveries")),
        sa.UniqueConstraint(
            "communication_id", name=op.f("uq_email_deliveries_communication_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("email_deliveries")
    op.drop_table("status_email_templates")
    op.execute(sa.schema.DropSequence(sa.Sequence("email_deliveries_id_seq")))
