"""Initial schema: members, candidates, agencies, jobs, outreach events, and
communications with their participants, attachments and history.

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-03 12:33:42.919930
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


SEQUENCED_TABLES = (
    "agencies",
    "jobs",
    "members",
    "agency_contacts",
    "outreach_events",
    "candidates",
    "event_time_slots",
    "applications",
    "event_registrations",
    "communications",
    "communication_history",
    "communication_participants",
)


def _key(table: str) -> sa.Column:
    # Not SERIAL, which DuckDB lacks: the table's own sequence, on both databases.
    return sa.Column(
        "id",
        sa.Integer(),
        server_default=sa.text(f"nextval('{table}_id_seq')"),
        autoincrement=False,
        nullable=False,
    )


def upgrade() -> None:
    # Keys come from sequences (see flo_comms.schema); create_table does not
    # create them.
    for table in SEQUENCED_TABLES:
        op.execute(sa.schema.CreateSequence(sa.Sequence(f"{table}_id_seq")))
    op.create_table(
        "agencies",
        _key("agencies"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("name", name=op.f("uq_agencies_name")),
    )
    op.create_table(
        "jobs",
        _key("jobs"),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_table(
        "members",
        _key("members"),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("email", name=op.f("uq_members_email")),
    )
    op.create_table(
        "agency_contacts",
        _key("agency_contacts"),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_agency_contacts_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_contacts")),
    )
    op.create_table(
        "job_email_copies",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_email_copies_job_id_jobs")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_job_email_copies_member_id_members"),
        ),
        sa.PrimaryKeyConstraint(
            "job_id", "member_id", name=op.f("pk_job_email_copies")
        ),
    )
    op.create_table(
        "outreach_events",
        _key("outreach_events"),
        sa.Column("event_type", sa.String(length=20), nullable=False),
        sa.Column("invite_only", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("agenda", sa.Text(), nullable=True),
        sa.Column("internal_notes", sa.Text(), nullable=True),
        sa.Column("reminder_minutes_before", sa.Integer(), nullable=False),
        sa.Column("follow_up_minutes_after", sa.Integer(), nullable=False),
        sa.Column("registration_token", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["members.id"],
            name=op.f("fk_outreach_events_created_by_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_events")),
        sa.UniqueConstraint(
            "registration_token", name=op.f("uq_outreach_events_registration_token")
        ),
    )
    op.create_table(
        "candidates",
        _key("candidates"),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("agency_contact_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_contact_id"],
            ["agency_contacts.id"],
            name=op.f("fk_candidates_agency_contact_id_agency_contacts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidates")),
    )
    op.create_index("ix_candidates_email", "candidates", ["email"], unique=False)
    op.create_table(
        "event_time_slots",
        _key("event_time_slots"),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outreach_events.id"],
            name=op.f("fk_event_time_slots_event_id_outreach_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_time_slots")),
    )
    op.create_table(
        "applications",
        _key("applications"),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_applications_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_applications_job_id_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint(
            "job_id", "candidate_id", name=op.f("uq_applications_job_id_candidate_id")
        ),
    )
    op.create_table(
        "event_registrations",
        _key("event_registrations"),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("joined_by", sa.String(length=30), nullable=False),
        sa.Column("review_state", sa.String(length=20), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_event_registrations_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outreach_events.id"],
            name=op.f("fk_event_registrations_event_id_outreach_events"),
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["event_time_slots.id"],
            name=op.f("fk_event_registrations_slot_id_event_time_slots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_registrations")),
        sa.UniqueConstraint(
            "event_id",
            "candidate_id",
            name=op.f("uq_event_registrations_event_id_candidate_id"),
        ),
    )
    op.create_table(
        "communications",
        _key("communications"),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("comm_type", sa.String(length=30), nullable=False),
        sa.Column("email_kind", sa.String(length=40), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("logged_by", sa.Integer(), nullable=True),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("form_token", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_communications_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outreach_events.id"],
            name=op.f("fk_communications_event_id_outreach_events"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_communications_job_id_jobs")
        ),
        sa.ForeignKeyConstraint(
            ["logged_by"],
            ["members.id"],
            name=op.f("fk_communications_logged_by_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communications")),
        sa.UniqueConstraint("form_token", name=op.f("uq_communications_form_token")),
    )
    op.create_table(
        "communication_candidates",
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("communication_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_communication_candidates_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["communication_id"],
            ["communications.id"],
            name=op.f("fk_communication_candidates_communication_id_communications"),
        ),
        sa.PrimaryKeyConstraint(
            "candidate_id", "communication_id", name=op.f("pk_communication_candidates")
        ),
    )
    op.create_index(
        "ix_communication_candidates_communication_id",
        "communication_candidates",
        ["communication_id"],
        unique=False,
    )
    op.create_table(
        "communication_history",
        _key("communication_history"),
        sa.Column("communication_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by"],
            ["members.id"],
            name=op.f("fk_communication_history_changed_by_members"),
        ),
        sa.ForeignKeyConstraint(
            ["communication_id"],
            ["communications.id"],
            name=op.f("fk_communication_history_communication_id_communications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communication_history")),
    )
    op.create_index(
        "ix_communication_history_communication_id",
        "communication_history",
        ["communication_id"],
        unique=False,
    )
    op.create_table(
        "communication_participants",
        _key("communication_participants"),
        sa.Column("communication_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("agency_contact_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_contact_id"],
            ["agency_contacts.id"],
            name=op.f(
                "fk_communication_participants_agency_contact_id_agency_contacts"
            ),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_communication_participants_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["communication_id"],
            ["communications.id"],
            name=op.f("fk_communication_participants_communication_id_communications"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_communication_participants_member_id_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communication_participants")),
    )
    op.create_index(
        "ix_communication_participants_communication_id",
        "communication_participants",
        ["communication_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_communication_participants_communication_id",
        table_name="communication_participants",
    )
    op.drop_table("communication_participants")
    op.drop_index(
        "ix_communication_history_communication_id", table_name="communication_history"
    )
    op.drop_table("communication_history")
    op.drop_index(
        "ix_communication_candidates_communication_id",
        table_name="communication_candidates",
    )
    op.drop_table("communication_candidates")
    op.drop_table("communications")
    op.drop_table("event_registrations")
    op.drop_table("applications")
    op.drop_table("event_time_slots")
    op.drop_index("ix_candidates_email", table_name="candidates")
    op.drop_table("candidates")
    op.drop_table("outreach_events")
    op.drop_table("job_email_copies")
    op.drop_table("agency_contacts")
    op.drop_table("members")
    op.drop_table("jobs")
    op.drop_table("agencies")
    for table in SEQUENCED_TABLES:
        op.execute(sa.schema.DropSequence(sa.Sequence(f"{table}_id_seq")))
