"""The application status a job status email announced, for analytics.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "communications", sa.Column("job_status", sa.String(length=40), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("communications", "job_status")
