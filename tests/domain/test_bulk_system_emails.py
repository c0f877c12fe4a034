"""Logging many system emails at once: the same rows, all or nothing, few statements.

log_system_emails writes a whole audience in a handful of statements; these
tests check that it writes exactly the rows one email at a time would, that a
failure part-way leaves none of them, and that an event update and a
dispatcher run issue as many statements for 50 candidates as for 5.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from flo_comms.agencies import create_agency, create_agency_contact
from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.communications import Participant, ParticipantRole
from flo_comms.event_dispatch import dispatch_event_emails
from flo_comms.event_emails import (
    EventFacts,
    Recipient,
    candidate_fields_read,
    compose_event_emails,
    render_event_email,
)
from flo_comms.event_rules import EventType
from flo_comms.events import cancel_event, get_event, update_event
from flo_comms.registrations import add_candidates
from flo_comms.schema import (
    communication_candidates,
    communication_participants,
    communications,
    email_deliveries,
    timeline_entries,
)
from flo_comms.system_emails import (
    EmailKind,
    SystemEmail,
    log_system_email,
    log_system_emails,
)

FROM = "Flo Recruiting <jobs@flo-comms.test>"
SENT_AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
JOINED = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)
ALL_TABLES = (
    communications,
    communication_participants,
    communication_candidates,
    email_deliveries,
    timeline_entries,
)


@pytest.fixture
def people(engine, admin, recruiter) -> dict[str, Participant]:
    """A member, a plain address, three candidates and an agency contact."""
    agency_id = create_agency(engine, "Northwind Staffing")
    contact_id = create_agency_contact(
        engine, agency_id, "Alex Agent", "alex@northwind.example"
    )
    found = {
        "recruiter": Participant(
            ParticipantRole.SENDER,
            recruiter.name,
            recruiter.email,
            member_id=recruiter.id,
        ),
        "admin": Participant(
            ParticipantRole.BCC, admin.name, admin.email, member_id=admin.id
        ),
        "system": Participant(
            ParticipantRole.SENDER, "Flo Recruiting", "jobs@flo-comms.test"
        ),
        "agent": Participant(
            ParticipantRole.TO,
            "Alex Agent",
            "alex@northwind.example",
            agency_contact_id=contact_id,
        ),
    }
    for name in ("Casey Candidate", "Dana Dev", "Eli Engineer"):
        address = f"{name.split()[0].lower()}@example.org"
        candidate = create_candidate(
            engine, name=name, email=address, source=CandidateSource.REFERRAL
        )
        found[name.split()[0].lower()] = Participant(
            ParticipantRole.TO, name, address, candidate_id=candidate
        )
    return found


def _emails(people: dict[str, Participant], member_id: int) -> list[SystemEmail]:
    casey, dana, eli = people["casey"], people["dana"], people["eli"]
    return [
        # To an agency contact about their candidate, copied to two people.
        SystemEmail(
            kind=EmailKind.DIRECT,
            subject="About Casey",
            body="Casey's interview is on Friday.",
            sent_by_member_id=member_id,
            sender=people["recruiter"],
            to=(people["agent"],),
            cc=(dana, people["admin"]),
            bcc=(people["admin"],),
            reply_to="rita.recruiter@example.com",
            candidate_ids=(casey.candidate_id,),
        ),
        # From the system, to two candidates, naming one of them twice.
        SystemEmail(
            kind=EmailKind.REMINDER,
            subject="Reminder for Dana and Eli",
            body="See you tomorrow.",
            sent_by_member_id=None,
            sender=people["system"],
            to=(dana, eli),
            candidate_ids=(dana.candidate_id, eli.candidate_id, dana.candidate_id),
        ),
        # To a candidate, about no one in particular.
        SystemEmail(
            kind=EmailKind.UPDATE,
            subject="A note to Eli",
            body="Nothing to attach.",
            sent_by_member_id=None,
            sender=people["system"],
            to=(eli,),
        ),
    ]


def _snapshot(engine, ids: list[int]) -> dict[str, list[tuple]]:
    """Every row the entries wrote, with each entry's id replaced by its subject."""
    with engine.connect() as connection:
        subjects = dict(
            connection.execute(
                sa.select(communications.c.id, communications.c.subject).where(
                    communications.c.id.in_(ids)
                )
            ).all()
        )
        found = {}
        for table in ALL_TABLES:
            key = table.c.id if table is communications else table.c.communication_id
            rows = connection.execute(sa.select(table).where(key.in_(ids))).mappings()
            found[table.name] = sorted(
                tuple(
                    (name, subjects[value] if column is key else value)
                    for name, value in row.items()
                    for column in [table.c[name]]
                    if name != "id" or table is communications
                )
                for row in rows
            )
    return found


def _of(snapshot: dict[str, list[tuple]], table: str, *names: str) -> list[tuple]:
    return sorted(tuple(dict(row)[name] for name in names) for row in snapshot[table])


def test_a_batch_writes_the_rows_each_email_would_write_on_its_own(
    engine, recruiter, people
):
    emails = _emails(people, recruiter.id)

    with engine.begin() as connection:
        together = log_system_emails(
            connection, emails, from_address=FROM, sent_at=SENT_AT
        )
    with engine.begin() as connection:
        one_by_one = [
            log_system_email(connection, email, from_address=FROM, sent_at=SENT_AT)
            for email in emails
        ]

    assert len(set(together)) == 3
    assert _snapshot(engine, together) == _snapshot(engine, one_by_one)


def test_a_batch_writes_each_participant_attachment_delivery_and_timeline_row(
    engine, recruiter, people
):
    casey, dana, eli = (people[n].candidate_id for n in ("casey", "dana", "eli"))
    agent = people["agent"].agency_contact_id
    with engine.begin() as connection:
        ids = log_system_emails(
            connection,
            _emails(people, recruiter.id),
            from_address=FROM,
            sent_at=SENT_AT,
        )
    written = _snapshot(engine, ids)

    assert _of(
        written, "communications", "id", "email_kind", "logged_by", "occurred_at"
    ) == [
        ("A note to Eli", "update", None, SENT_AT),
        ("About Casey", "email from a member", recruiter.id, SENT_AT),
        ("Reminder for Dana and Eli", "reminder", None, SENT_AT),
    ]
    assert _of(
        written,
        "communication_participants",
        "communication_id",
        "role",
        "position",
        "name",
        "member_id",
        "candidate_id",
        "agency_contact_id",
    ) == sorted(
        [
            ("About Casey", "sender", 0, "Rita Recruiter", recruiter.id, None, None),
            ("About Casey", "to", 0, "Alex Agent", None, None, agent),
            ("About Casey", "cc", 0, "Dana Dev", None, dana, None),
            (
                "About Casey",
                "cc",
                1,
                "Ada Admin",
                people["admin"].member_id,
                None,
                None,
            ),
            (
                "About Casey",
                "bcc",
                0,
                "Ada Admin",
                people["admin"].member_id,
                None,
                None,
            ),
            (
                "Reminder for Dana and Eli",
                "sender",
                0,
                "Flo Recruiting",
                None,
                None,
                None,
            ),
            ("Reminder for Dana and Eli", "to", 0, "Dana Dev", None, dana, None),
            ("Reminder for Dana and Eli", "to", 1, "Eli Engineer", None, eli, None),
            ("A note to Eli", "sender", 0, "Flo Recruiting", None, None, None),
            ("A note to Eli", "to", 0, "Eli Engineer", None, eli, None),
        ]
    )
    assert _of(
        written,
        "communication_candidates",
        "communication_id",
        "candidate_id",
        "reason",
    ) == sorted(
        [
            ("About Casey", casey, "concerns"),
            ("Reminder for Dana and Eli", dana, "concerns"),
            ("Reminder for Dana and Eli", eli, "concerns"),
        ]
    )
    assert _of(
        written,
        "email_deliveries",
        "communication_id",
        "state",
        "from_address",
        "reply_to",
        "attempts",
        "next_attempt_at",
        "created_at",
    ) == sorted(
        (subject, "queued", FROM, reply, 0, SENT_AT, SENT_AT)
        for subject, reply in [
            ("About Casey", "rita.recruiter@example.com"),
            ("Reminder for Dana and Eli", None),
            ("A note to Eli", None),
        ]
    )
    assert _of(
        written, "timeline_entries", "communication_id", "candidate_id"
    ) == sorted(
        [
            ("About Casey", casey),
            ("Reminder for Dana and Eli", dana),
            ("Reminder for Dana and Eli", eli),
        ]
    )


def test_a_failure_in_the_last_email_leaves_no_row_of_any(
    engine, recruiter, people, rows_in
):
    emails = _emails(people, recruiter.id)
    broken = dataclasses.replace(emails[-1], candidate_ids=(999_999,))
    before = {table.name: rows_in(table) for table in ALL_TABLES}

    with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
        log_system_emails(
            connection, [*emails[:-1], broken], from_address=FROM, sent_at=SENT_AT
        )

    assert {table.name: rows_in(table) for table in ALL_TABLES} == before


def test_a_batch_draws_a_distinct_id_for_every_email(engine, recruiter, people):
    emails = _emails(people, recruiter.id) * 40

    with engine.begin() as connection:
        ids = log_system_emails(connection, emails, from_address=FROM, sent_at=SENT_AT)

    assert len(set(ids)) == 120
    assert _of(
        _snapshot(engine, ids), "email_deliveries", "communication_id"
    ) == sorted((email.subject,) for email in emails)


# --- statements do not grow with the audience -------------------------------------


@contextmanager
def statements_run(engine) -> Iterator[list[str]]:
    """Every statement sent to the database inside the block."""
    seen: list[str] = []

    def remember(connection, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)


def _registered_event(engine, admin, make_event, count: int, day: date) -> int:
    event_id = make_event("webinar", False, day=day, title=f"Webinar for {count}")
    candidate_ids = [
        create_candidate(
            engine,
            name=f"Guest {day.month}-{n:02d}",
            email=f"guest.{day.month}.{n:02d}@example.org",
            source=CandidateSource.CAREER_SITE,
        )
        for n in range(count)
    ]
    add_candidates(
        engine,
        admin,
        event_id,
        candidate_ids=candidate_ids,
        request_profile=False,
        from_address=FROM,
        at=JOINED,
    )
    return event_id


def _statements_to_rename(engine, admin, event_id: int, registrants: int) -> int:
    event = get_event(engine, event_id)
    details = dataclasses.replace(event.details(), title=f"{event.title}, renamed")
    with statements_run(engine) as seen:
        result = update_event(engine, admin, event_id, details, from_address=FROM)
    assert result.emailed == registrants
    return len(seen)


def test_an_event_update_takes_as_many_statements_for_50_candidates_as_for_5(
    engine, admin, make_event
):
    small = _registered_event(engine, admin, make_event, 5, date(2030, 6, 10))
    large = _registered_event(engine, admin, make_event, 50, date(2030, 7, 10))

    for_5 = _statements_to_rename(engine, admin, small, 5)
    for_50 = _statements_to_rename(engine, admin, large, 50)

    assert for_50 == for_5


def _statements_to_remind(engine, event_id: int, registrants: int) -> int:
    starts = get_event(engine, event_id).starts_at
    with statements_run(engine) as seen:
        report = dispatch_event_emails(
            engine, from_address=FROM, now=starts - timedelta(hours=24)
        )
    assert report.sent == {"reminder": registrants}
    assert not report.skipped
    return len(seen)


def test_a_dispatcher_run_takes_as_many_statements_for_50_reminders_as_for_5(
    engine, admin, make_event
):
    small = _registered_event(engine, admin, make_event, 5, date(2030, 6, 10))
    large = _registered_event(engine, admin, make_event, 50, date(2030, 7, 10))

    for_5 = _statements_to_remind(engine, small, 5)
    # Cancelled, the first event sends no follow-ups during the second run.
    cancel_event(engine, admin, small, at=JOINED)
    for_50 = _statements_to_remind(engine, large, 50)

    assert for_50 == for_5


# --- one text per kind of recipient -----------------------------------------------


def test_recipients_sharing_a_first_name_get_their_own_slot_and_address():
    event = EventFacts(
        id=1,
        event_type=EventType.VIRTUAL_CHAT,
        invite_only=False,
        title="Coffee chats",
        starts_at=datetime(2030, 6, 10, 12, 0, tzinfo=UTC),
        ends_at=datetime(2030, 6, 10, 14, 0, tzinfo=UTC),
        time_zone="UTC",
        place=None,
        link="https://meet.example.com/chats",
        agenda=None,
        created_by=None,
    )
    noon = datetime(2030, 6, 10, 12, 0, tzinfo=UTC)
    half_past = noon + timedelta(minutes=30)
    one = noon + timedelta(minutes=60)
    recipients = [
        Recipient(1, "Sam Alpha", "sam.alpha@example.org", noon, half_past),
        Recipient(2, "Sam Beta", "sam.beta@example.org", noon, half_past),
        Recipient(3, "Sam Gamma", "sam.gamma@example.org", half_past, one),
        Recipient(4, "Kim Delta", "kim@example.org", noon, half_past),
    ]

    emails = compose_event_emails(
        EmailKind.REMINDER,
        event,
        recipients,
        member=None,
        creator=("Rita Recruiter", "rita@example.com"),
        from_address=FROM,
    )

    assert candidate_fields_read(EmailKind.REMINDER) == ("first_name",)
    assert [email.to[0].address for email in emails] == [r.email for r in recipients]
    assert [email.candidate_ids for email in emails] == [[1], [2], [3], [4]]
    expected = [
        render_event_email(
            EmailKind.REMINDER, event, recipient, sender_name="Rita Recruiter"
        )
        for recipient in recipients
    ]
    assert [(email.subject, email.body) for email in emails] == expected
    assert "12:00–12:30" in emails[1].body
    assert "12:30–13:00" in emails[2].body
    assert emails[3].body.startswith("Hello Kim,")
