"""The write questions: logging one entry, an event update to 10,000, a dispatcher
run with 10,000 reminders due.

They run on copies of the databases, so that the reads are measured on the
data as generated. Ours is the domain function; raw is what a hand-written,
set-based transaction on DuckDB's own connection takes to write the same rows
(the floor for a bulk write); SQLite is the domain function on the SQLite copy.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms.communications import CommunicationDraft, log_communication
from flo_comms.event_dispatch import dispatch_event_emails
from flo_comms.events import EventDetails, create_event, get_event, update_event
from flo_comms.members import Member, Role
from flo_comms.schema import candidates, event_registrations, members
from flo_comms.timezones import now_utc, to_local

FROM_ADDRESS = "Flo Recruiting <jobs@flo-scale.test>"
REMINDER_LEAD_MINUTES = 72 * 60


def a_recruiter(engine: Engine) -> Member:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(members)
            .where(members.c.role == Role.RECRUITER.value)
            .order_by(members.c.id)
            .limit(1)
        ).one()
    return Member(row.id, row.name, row.email, Role(row.role), row.time_zone)


def data_now(engine: Engine) -> datetime:
    """The moment the data was generated: its latest logged entry."""
    with engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT max(logged_at) FROM communications")
        ).scalar_one()


@dataclass
class EventSetup:
    """Events of ``registrants`` approved candidates each, added as needed.

    Each starts about two days after ``clock``. With ``reminders_due`` its
    reminders go out three days ahead, so that at ``clock`` they are due and
    nothing else is (the generator keeps the day after its data's moment
    clear); without, an hour ahead, so that the dispatcher leaves it alone.
    """

    engine: Engine
    member: Member
    clock: datetime
    registrants: int
    reminders_due: bool
    last_event: int = 0
    _numbers: itertools.count = dataclasses.field(default_factory=itertools.count)

    def add(self) -> int:
        number = next(self._numbers)
        starts = (self.clock + timedelta(days=2)).replace(
            hour=12, minute=0, second=0, microsecond=0
        )
        details = EventDetails(
            event_type="webinar",
            invite_only=False,
            title=f"Benchmark webinar {number}",
            day=starts.date(),
            start_time=starts.time(),
            end_time=(starts + timedelta(hours=1)).time(),
            time_zone="UTC",
            link="https://meet.example.com/benchmark",
            agenda="Talks, then questions.",
            reminder_minutes_before=REMINDER_LEAD_MINUTES if self.reminders_due else 60,
        )
        event_id = create_event(
            self.engine, self.member, details, at=self.clock - timedelta(days=20)
        )
        chosen = (
            sa.select(candidates.c.id)
            .where(candidates.c.email.is_not(None))
            .order_by(candidates.c.id)
            .limit(self.registrants)
            .subquery()
        )
        rows = sa.select(
            sa.literal(event_id),
            chosen.c.id,
            sa.literal("admin"),
            sa.literal("approved"),
            sa.literal(self.clock - timedelta(days=10), sa.DateTime(timezone=True)),
        )
        with self.engine.begin() as connection:
            connection.execute(
                event_registrations.insert().from_select(
                    [
                        "event_id",
                        "candidate_id",
                        "joined_by",
                        "review_state",
                        "joined_at",
                    ],
                    rows,
                )
            )
        self.last_event = event_id
        return event_id


def logging_one_entry(engine: Engine, candidate_id: int) -> Callable[[], object]:
    member = a_recruiter(engine)
    tokens = itertools.count()

    def log() -> int:
        draft = CommunicationDraft(
            comm_type="phone call",
            occurred_local=to_local(now_utc(), member.time_zone).replace(
                tzinfo=None, microsecond=0
            )
            - timedelta(minutes=5),
            time_zone=member.time_zone,
            sender_member_ids=(member.id,),
            recipient_candidate_ids=(candidate_id,),
            recipient_member_ids=(),
            subject="Benchmark call",
            description="Talked through the next steps.",
        )
        return log_communication(
            engine,
            member,
            draft,
            logged_from_candidate_id=candidate_id,
            form_token=f"benchmark-{next(tokens)}-{now_utc().timestamp()}",
        )

    return log


def raw_logging_one_entry(engine: Engine, candidate_id: int) -> Callable[[], object]:
    member = a_recruiter(engine)
    duckdb = engine.raw_connection().driver_connection
    tokens = itertools.count()

    def log() -> None:
        moment = now_utc()
        duckdb.execute("BEGIN")
        entry = duckdb.execute(
            "INSERT INTO communications (id, source, comm_type, subject, body, "
            "occurred_at, logged_by, logged_at, form_token) VALUES "
            "(nextval('communications_id_seq'), 'manual', 'phone call', "
            "'Benchmark call', 'Talked through the next steps.', ?, ?, ?, ?) "
            "RETURNING id",
            [moment, member.id, moment, f"raw-{next(tokens)}-{moment.timestamp()}"],
        ).fetchone()[0]
        duckdb.execute(
            "INSERT INTO communication_participants (id, communication_id, role, "
            "position, member_id, candidate_id, name, address) VALUES "
            "(nextval('communication_participants_id_seq'), ?, 'sender', 0, ?, NULL, "
            "?, ?),"
            "(nextval('communication_participants_id_seq'), ?, 'to', 0, NULL, ?, "
            "'Candidate', 'candidate@example.org')",
            [entry, member.id, member.name, member.email, entry, candidate_id],
        )
        duckdb.execute(
            "INSERT INTO communication_candidates VALUES (?, ?, 'logged_from')",
            [candidate_id, entry],
        )
        duckdb.execute("COMMIT")

    return log


def updating_an_event(setup: EventSetup) -> Callable[[], object]:
    """Each call renames the event: one update email to every registrant."""
    renames = itertools.count()

    def update() -> object:
        event = get_event(setup.engine, setup.last_event)
        details = dataclasses.replace(
            event.details(), title=f"Benchmark webinar, renamed {next(renames)}"
        )
        result = update_event(
            setup.engine, setup.member, event.id, details, from_address=FROM_ADDRESS
        )
        if result.emailed != setup.registrants:
            raise AssertionError(f"emailed {result.emailed}, not {setup.registrants}")
        return result

    return update


def dispatching_reminders(setup: EventSetup) -> Callable[[], object]:
    """One dispatcher run at the setup's clock; run setup.add() before each."""

    def dispatch() -> object:
        report = dispatch_event_emails(
            setup.engine, from_address=FROM_ADDRESS, now=setup.clock
        )
        if report.sent.get("reminder") != setup.registrants or report.skipped:
            raise AssertionError(f"expected {setup.registrants} reminders: {report}")
        return report

    return dispatch


# The rows every event email writes, from a batch of (communication id,
# candidate) in a temporary table: the floor for a set-based write.
_EMAIL_ROWS = (
    "INSERT INTO communications (id, source, comm_type, email_kind, subject, body, "
    "occurred_at, event_id, logged_by, logged_at) "
    "SELECT communication_id, 'system', 'email', $kind, $subject, "
    "'Hello ' || split_part(name, ' ', 1) || $body, $now, event_id, $member, $now "
    "FROM bench_batch",
    "INSERT INTO communication_participants (id, communication_id, role, position, "
    "member_id, name, address) SELECT nextval('communication_participants_id_seq'), "
    "communication_id, 'sender', 0, $member, $sender, $from FROM bench_batch",
    "INSERT INTO communication_participants (id, communication_id, role, position, "
    "candidate_id, name, address) SELECT nextval('communication_participants_id_seq'), "
    "communication_id, 'to', 0, candidate_id, name, email FROM bench_batch",
    "INSERT INTO communication_candidates (candidate_id, communication_id, reason) "
    "SELECT candidate_id, communication_id, 'concerns' FROM bench_batch",
    "INSERT INTO email_deliveries (id, communication_id, state, from_address, "
    "reply_to, attempts, next_attempt_at, created_at) SELECT "
    "nextval('email_deliveries_id_seq'), communication_id, 'queued', $from, "
    "$reply, 0, $now, $now FROM bench_batch",
)


def _write_batch(duckdb, batch_query: str, values: dict, extra: tuple[str, ...] = ()):
    duckdb.execute("BEGIN")
    duckdb.execute(
        f"CREATE TEMP TABLE bench_batch AS {batch_query}", _only(batch_query, values)
    )
    for statement in (*extra, *_EMAIL_ROWS):
        duckdb.execute(statement, _only(statement, values))
    duckdb.execute("DROP TABLE bench_batch")
    duckdb.execute("COMMIT")


def _only(statement: str, values: dict) -> dict:
    return {name: value for name, value in values.items() if f"${name}" in statement}


def raw_updating_an_event(setup: EventSetup) -> Callable[[], object]:
    duckdb = setup.engine.raw_connection().driver_connection
    renames = itertools.count()
    batch = (
        "SELECT nextval('communications_id_seq') AS communication_id, r.event_id, "
        "c.id AS candidate_id, c.name, c.email FROM event_registrations r "
        "JOIN candidates c ON c.id = r.candidate_id WHERE r.event_id = $event "
        "AND r.review_state IN ('pending', 'approved') AND c.email IS NOT NULL"
    )
    rename = (
        "UPDATE outreach_events SET title = $title, updated_at = $now WHERE id = $event"
    )

    def update() -> None:
        title = f"Benchmark webinar, raw rename {next(renames)}"
        _write_batch(
            duckdb,
            batch,
            _values(setup, "update", f"Update: {title}", title=title),
            (rename,),
        )

    return update


def raw_dispatching_reminders(setup: EventSetup) -> Callable[[], object]:
    duckdb = setup.engine.raw_connection().driver_connection
    batch = (
        "SELECT nextval('communications_id_seq') AS communication_id, r.event_id, "
        "c.id AS candidate_id, c.name, c.email, "
        "e.starts_at - to_minutes(e.reminder_minutes_before) AS due_at "
        "FROM event_registrations r JOIN outreach_events e ON e.id = r.event_id "
        "JOIN candidates c ON c.id = r.candidate_id "
        "WHERE e.state = 'scheduled' AND r.review_state = 'approved' "
        "AND e.starts_at - to_minutes(e.reminder_minutes_before) <= $now "
        "AND e.starts_at > $now AND c.email IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM event_dispatches d WHERE d.event_id = r.event_id "
        "AND d.candidate_id = r.candidate_id AND d.kind = 'reminder')"
    )
    decisions = (
        "INSERT INTO event_dispatches (id, event_id, candidate_id, kind, outcome, "
        "due_at, decided_at, communication_id) SELECT "
        "nextval('event_dispatches_id_seq'), event_id, candidate_id, 'reminder', "
        "'sent', due_at, $now, communication_id FROM bench_batch"
    )

    def dispatch() -> None:
        values = _values(setup, "reminder", "Reminder: benchmark webinar")
        values["now"] = setup.clock
        _write_batch(duckdb, batch, values, (decisions,))

    return dispatch


def _values(setup: EventSetup, kind: str, subject: str, **more) -> dict:
    return {
        "event": setup.last_event,
        "kind": kind,
        "subject": subject,
        "body": ",\n\nThe event's details have changed.",
        "now": now_utc(),
        "member": setup.member.id,
        "sender": setup.member.name,
        "from": FROM_ADDRESS,
        "reply": setup.member.email,
        **more,
    }
