"""Every table of Flo Communications, on one MetaData.

Keys are surrogate integers drawn from explicit sequences: duckdb-engine would
emit SERIAL for a bare integer key, which DuckDB rejects; PostgreSQL accepts
sequences as well. Times are TIMESTAMP WITH TIME ZONE and always written in UTC.
Column names avoid DuckDB keywords that duckdb-engine does not quote (``at``).
The migrations in ``flo_comms/migrations`` create exactly these tables; a change
here needs a new migration there.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Timestamp = sa.DateTime(timezone=True)


def _id(table: str) -> sa.Column:
    return sa.Column("id", sa.Integer, sa.Sequence(f"{table}_id_seq"), primary_key=True)


members = sa.Table(
    "members",
    metadata,
    _id("members"),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", Timestamp, nullable=False),
)

agencies = sa.Table(
    "agencies",
    metadata,
    _id("agencies"),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", Timestamp, nullable=False),
)

agency_contacts = sa.Table(
    "agency_contacts",
    metadata,
    _id("agency_contacts"),
    sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id"), nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

candidates = sa.Table(
    "candidates",
    metadata,
    _id("candidates"),
    sa.Column("name", sa.String(120), nullable=False),
    # Not unique: the same person can be entered twice before anyone merges them,
    # and some candidates have no address at all.
    sa.Column("email", sa.String(254)),
    sa.Column("phone", sa.String(40)),
    sa.Column("source", sa.String(30), nullable=False),
    # The agency contact who submitted the candidate, when the source is an agency.
    sa.Column("agency_contact_id", sa.Integer, sa.ForeignKey("agency_contacts.id")),
    sa.Column("created_at", Timestamp, nullable=False),
)
sa.Index("ix_candidates_email", candidates.c.email)

jobs = sa.Table(
    "jobs",
    metadata,
    _id("jobs"),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("location", sa.String(200)),
    sa.Column("is_open", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", Timestamp, nullable=False),
)

# Members copied on every email a job sends: kind is "cc" or "bcc".
job_email_copies = sa.Table(
    "job_email_copies",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), primary_key=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("kind", sa.String(3), nullable=False),
)

applications = sa.Table(
    "applications",
    metadata,
    _id("applications"),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False),
    sa.Column(
        "candidate_id", sa.Integer, sa.ForeignKey("candidates.id"), nullable=False
    ),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("status_changed_at", Timestamp, nullable=False),
    sa.UniqueConstraint("job_id", "candidate_id"),
)

outreach_events = sa.Table(
    "outreach_events",
    metadata,
    _id("outreach_events"),
    sa.Column("event_type", sa.String(20), nullable=False),
    sa.Column("invite_only", sa.Boolean, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("starts_at", Timestamp, nullable=False),
    sa.Column("ends_at", Timestamp, nullable=False),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("place", sa.String(300)),
    sa.Column("link", sa.String(500)),
    sa.Column("agenda", sa.Text),
    sa.Column("internal_notes", sa.Text),
    sa.Column("reminder_minutes_before", sa.Integer, nullable=False),
    sa.Column("follow_up_minutes_after", sa.Integer, nullable=False),
    sa.Column("registration_token", sa.String(64), nullable=False, unique=True),
    # "scheduled", "cancelled" or "deleted"; rows are never removed, since the
    # emails an event sent stay on the candidates' timelines.
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("members.id")),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp),
    # When the state last changed (cancelled or deleted), and by whom. Columns
    # added after the first migration carry no foreign key: DuckDB cannot add
    # one to an existing table.
    sa.Column("state_changed_at", Timestamp),
    sa.Column("state_changed_by", sa.Integer),
)

event_time_slots = sa.Table(
    "event_time_slots",
    metadata,
    _id("event_time_slots"),
    sa.Column(
        "event_id", sa.Integer, sa.ForeignKey("outreach_events.id"), nullable=False
    ),
    sa.Column("starts_at", Timestamp, nullable=False),
    sa.Column("ends_at", Timestamp, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    # A deleted slot stays (registrations and emails name it) but takes no one.
    sa.Column("deleted_at", Timestamp),
)

event_registrations = sa.Table(
    "event_registrations",
    metadata,
    _id("event_registrations"),
    sa.Column(
        "event_id", sa.Integer, sa.ForeignKey("outreach_events.id"), nullable=False
    ),
    sa.Column(
        "candidate_id", sa.Integer, sa.ForeignKey("candidates.id"), nullable=False
    ),
    # How the candidate joined: "link", "admin_profile_request" or "admin".
    sa.Column("joined_by", sa.String(30), nullable=False),
    # Quick Review state for invite-only events: "pending", "approved", "denied";
    # "approved" from the start for open events.
    sa.Column("review_state", sa.String(20), nullable=False),
    sa.Column("slot_id", sa.Integer, sa.ForeignKey("event_time_slots.id")),
    sa.Column("joined_at", Timestamp, nullable=False),
    # Quick Review's decision: when and by which member (no foreign key, see
    # outreach_events.state_changed_by).
    sa.Column("reviewed_at", Timestamp),
    sa.Column("reviewed_by", sa.Integer),
    # When the candidate was put in their current time slot (virtual chats).
    sa.Column("slot_assigned_at", Timestamp),
    sa.UniqueConstraint("event_id", "candidate_id"),
)

# One row per reminder or follow-up the dispatcher decided on: sent (with the
# email it logged) or skipped (with the reason). The unique key is what makes
# each go to a candidate at most once, however many dispatchers run: a
# dispatcher claims a row by inserting it, in the transaction that logs the email.
event_dispatches = sa.Table(
    "event_dispatches",
    metadata,
    _id("event_dispatches"),
    sa.Column(
        "event_id", sa.Integer, sa.ForeignKey("outreach_events.id"), nullable=False
    ),
    sa.Column(
        "candidate_id", sa.Integer, sa.ForeignKey("candidates.id"), nullable=False
    ),
    # "reminder" or "follow-up".
    sa.Column("kind", sa.String(20), nullable=False),
    # "sent" or "skipped".
    sa.Column("outcome", sa.String(10), nullable=False),
    sa.Column("reason", sa.String(300)),
    sa.Column("due_at", Timestamp, nullable=False),
    sa.Column("decided_at", Timestamp, nullable=False),
    # The logged email, when one was sent. No foreign key: the claim holds the
    # email's id, drawn beforehand, and the email is logged after the claim,
    # in the same transaction, only when the claim was won.
    sa.Column("communication_id", sa.Integer),
    sa.UniqueConstraint("event_id", "candidate_id", "kind"),
)

# Edits and deletions update only columns without an index or a foreign key:
# DuckDB updates such a column as a delete plus an insert, which the foreign
# keys pointing here (participants, attachments, history) then refuse.
communications = sa.Table(
    "communications",
    metadata,
    _id("communications"),
    # "system" for emails the system sent, "manual" for contact logged by hand.
    sa.Column("source", sa.String(10), nullable=False),
    sa.Column("comm_type", sa.String(30), nullable=False),
    # Which system email this is (job status, confirmation, reminder…); NULL for
    # manual entries.
    sa.Column("email_kind", sa.String(40)),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id")),
    sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id")),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("outreach_events.id")),
    # The application status a job status email announced (NULL otherwise, and
    # for status emails logged before this column existed).
    sa.Column("job_status", sa.String(40)),
    # The member who logged a manual entry, or whose action sent a system email.
    sa.Column("logged_by", sa.Integer, sa.ForeignKey("members.id")),
    sa.Column("logged_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp),
    # Set when the author deletes the entry; who did it is in the history.
    sa.Column("deleted_at", Timestamp),
    # One token per opened form: a second submit of the same form finds the
    # first entry instead of writing another.
    sa.Column("form_token", sa.String(64), unique=True),
)

# Who sent and received a communication. Each row names a member, a candidate,
# an agency contact, or none of them (a plain address), and keeps the name and
# address as they were when the communication happened.
communication_participants = sa.Table(
    "communication_participants",
    metadata,
    _id("communication_participants"),
    sa.Column(
        "communication_id",
        sa.Integer,
        sa.ForeignKey("communications.id"),
        nullable=False,
    ),
    # "sender", "to", "cc" or "bcc".
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id")),
    sa.Column("candidate_id", sa.Integer, sa.ForeignKey("candidates.id")),
    sa.Column("agency_contact_id", sa.Integer, sa.ForeignKey("agency_contacts.id")),
    sa.Column("name", sa.String(120)),
    sa.Column("address", sa.String(254)),
)
sa.Index(
    "ix_communication_participants_communication_id",
    communication_participants.c.communication_id,
)

# The candidates on whose Communications tab an entry appears.
communication_candidates = sa.Table(
    "communication_candidates",
    metadata,
    sa.Column(
        "candidate_id", sa.Integer, sa.ForeignKey("candidates.id"), primary_key=True
    ),
    sa.Column(
        "communication_id",
        sa.Integer,
        sa.ForeignKey("communications.id"),
        primary_key=True,
    ),
    # Why it is there: "logged_from" (the profile a member logged it on),
    # "recipient" (a candidate in sent to) or "concerns" (the candidate a system
    # email is about, such as an agency candidate whose contact received it).
    sa.Column("reason", sa.String(20), nullable=False),
)
sa.Index(
    "ix_communication_candidates_communication_id",
    communication_candidates.c.communication_id,
)

# One row per edit or deletion: who, when, and the entry as it was before.
communication_history = sa.Table(
    "communication_history",
    metadata,
    _id("communication_history"),
    sa.Column(
        "communication_id",
        sa.Integer,
        sa.ForeignKey("communications.id"),
        nullable=False,
    ),
    # "edit" or "delete".
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("changed_by", sa.Integer, sa.ForeignKey("members.id"), nullable=False),
    sa.Column("changed_at", Timestamp, nullable=False),
    # The previous version as JSON: fields and participants.
    sa.Column("previous", sa.Text, nullable=False),
)
sa.Index(
    "ix_communication_history_communication_id",
    communication_history.c.communication_id,
)

# The email each application status sends, when it sends one. Subject and body
# are Jinja2 templates, rendered in a sandbox.
status_email_templates = sa.Table(
    "status_email_templates",
    metadata,
    sa.Column("status", sa.String(40), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("updated_by", sa.Integer, sa.ForeignKey("members.id")),
)

# The delivery queue: one row per email the system logged, delivered after the
# transaction that logged it commits. Nothing refers to these rows and their
# changing columns carry no index, so updates stay plain updates on DuckDB.
email_deliveries = sa.Table(
    "email_deliveries",
    metadata,
    _id("email_deliveries"),
    sa.Column(
        "communication_id",
        sa.Integer,
        sa.ForeignKey("communications.id"),
        nullable=False,
        unique=True,
    ),
    # "queued", "sending", "sent" or "failed".
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("from_address", sa.String(300), nullable=False),
    sa.Column("reply_to", sa.String(300)),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", Timestamp),
    sa.Column("last_error", sa.Text),
    sa.Column("message_id", sa.String(300)),
    # Where it went: the .eml file's path, or the SMTP server.
    sa.Column("delivered_to", sa.String(500)),
    sa.Column("sent_at", Timestamp),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("claimed_at", Timestamp),
)

# The Communications tabs' reading copy: one row per live entry per candidate
# whose tab shows it, with the columns the tab filters and sorts on. It holds
# nothing communication_candidates and communications do not; it exists so
# that a tab reads a few rows that sit together instead of joining millions
# (flo_comms.timeline_store keeps it, and says why it is shaped so). No key
# and, on DuckDB, no index: the table is kept sorted by candidate instead.
timeline_entries = sa.Table(
    "timeline_entries",
    metadata,
    sa.Column("candidate_id", sa.Integer, nullable=False),
    sa.Column("occurred_at", Timestamp, nullable=False),
    sa.Column("communication_id", sa.Integer, nullable=False),
    sa.Column("source", sa.String(10), nullable=False),
    sa.Column("comm_type", sa.String(30), nullable=False),
    sa.Column("email_kind", sa.String(40)),
    sa.Column("job_id", sa.Integer),
    sa.Column("event_id", sa.Integer),
    # The subject and body, lowered, so that the text filter reads this row only.
    sa.Column("search_text", sa.Text, nullable=False),
)
sa.Index(
    "ix_timeline_entries_candidate",
    timeline_entries.c.candidate_id,
    timeline_entries.c.occurred_at,
    timeline_entries.c.communication_id,
).ddl_if(dialect=("postgresql", "sqlite"))
sa.Index(
    "ix_timeline_entries_communication",
    timeline_entries.c.communication_id,
).ddl_if(dialect=("postgresql", "sqlite"))

# One row: how many rows of timeline_entries were written sorted last time.
timeline_layout = sa.Table(
    "timeline_layout",
    metadata,
    sa.Column("sorted_rows", sa.BigInteger, nullable=False),
)

# Entries counted per 15-minute UTC bucket and everything analytics groups or
# filters on, for the analytics questions (flo_comms.volume_counts keeps it,
# and says why it is shaped so). Append-only: each write of entries adds rows
# of signed counts (-1 for an entry as it was, +1 as it is), never updates one,
# so that two writers of the same bucket never touch the same row. The sum of
# ``entries`` per key is the count. No key and no index, as timeline_entries.
communication_volume = sa.Table(
    "communication_volume",
    metadata,
    # The UTC start of the 15 minutes holding occurred_at.
    sa.Column("bucket", Timestamp, nullable=False),
    sa.Column("source", sa.String(10), nullable=False),
    sa.Column("comm_type", sa.String(30), nullable=False),
    sa.Column("email_kind", sa.String(40)),
    sa.Column("event_id", sa.Integer),
    sa.Column("job_id", sa.Integer),
    sa.Column("job_status", sa.String(40)),
    # Addressed "to" an agency contact (a job email about an agency candidate).
    sa.Column("to_agency", sa.Boolean, nullable=False),
    # The delivery's state, "sending" counted as "queued"; NULL for an entry
    # without a delivery (logged by hand).
    sa.Column("delivery_state", sa.String(10)),
    sa.Column("entries", sa.Integer, nullable=False),
)
