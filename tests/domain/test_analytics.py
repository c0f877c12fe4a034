"""Analytics: every figure checked against a story whose counts are known.

The story is played through the domain functions, each action at a chosen
moment, and the expected rows below are written out by hand from it. The viewer
is in New York. Moments that matter (local time in New York, then UTC):

- Sun 1 Mar 23:30 EST = Mon 2 Mar 04:30 UTC: a video call, in the week of
  23 Feb and on 1 Mar in New York, in the week of 2 Mar and on 2 Mar in UTC;
- Sun 8 Mar 01:30 EST (clocks go forward at 02:00) and Sun 8 Mar 23:30 EDT =
  Mon 9 Mar 03:30 UTC: a phone call and a registration, both in the week of
  2 Mar in New York, the second in the week of 9 Mar in UTC;
- Tue 31 Mar 22:30 EDT = Wed 1 Apr 02:30 UTC: three confirmations, in March in
  New York and in April in UTC;
- Sun 1 Nov 01:30 EDT (the first of the two, clocks go back at 02:00) and
  Sun 1 Nov 23:30 EST = Mon 2 Nov 04:30 UTC: a phone call and two
  confirmations, all in the week of 26 Oct in New York.

Every entry of the story, by week in New York (Mondays):

| week   | entries                                                         |
| ------ | --------------------------------------------------------------- |
| 23 Feb | manual video call                                               |
| 2 Mar  | spring webinar: profile request (failed), registration          |
|        | confirmation (sent); Data Analyst: Interview Scheduled (sent),  |
|        | Rejected to the agency (sent); manual phone call                |
| 9 Mar  | spring webinar: 2 updates (sent), 2 reminders                   |
| 30 Mar | Berlin evening: 3 confirmations, 2 approvals, 1 denial          |
| 6 Apr  | Berlin evening: 2 final schedules                               |
| 20 Apr | Data Analyst: Offer; manual email to two candidates             |
| 4 May  | invite-only webinar: registration confirmation; Backend         |
|        | Engineer: Interview Scheduled, update request; Data Analyst:    |
|        | update request to the agency                                    |
| 11 May | manual text message (logged as a phone call on 10 May, edited)  |
| 1 Jun  | 2 emails from a member (a LinkedIn message was logged, deleted) |
| 26 Oct | autumn chat: 2 confirmations; manual phone call                 |
| 2 Nov  | autumn chat: 2 cancellations                                    |

Deliveries ran twice, each with a chosen clock: on 2 Mar, when the profile
request failed for good, and on 9 Mar at 13:00 UTC, when the five emails due
by then were sent. Every later email is still queued.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from conftest import _postgres_engine, make_member
from sqlalchemy.engine import Engine

from flo_comms import members, system_emails
from flo_comms.agencies import create_agency, create_agency_contact
from flo_comms.analytics import (
    AnalyticsFilter,
    Grain,
    data_version,
    delivery_volume,
    headline_figures,
    job_emails_by_job,
    job_emails_by_status,
    manual_by_type,
    outreach_by_event,
    outreach_volume,
    system_by_origin,
    volume_by_source,
)
from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.communications import (
    CommunicationDraft,
    Participant,
    ParticipantRole,
    delete_communication,
    edit_communication,
    log_communication,
)
from flo_comms.db import create_engine
from flo_comms.delivery import (
    OutboxTransport,
    OutgoingEmail,
    PermanentDeliveryError,
    deliver_due,
    retry_delivery,
)
from flo_comms.direct_emails import send_email
from flo_comms.event_dispatch import dispatch_event_emails
from flo_comms.event_slots import add_slot, assign_to_slot, remove_from_slot
from flo_comms.events import EventDetails, create_event, delete_event, update_event
from flo_comms.job_emails import change_status, request_application_update
from flo_comms.jobs import (
    ApplicationStatus,
    create_application,
    create_job,
    set_job_email_copies,
)
from flo_comms.members import Member, Role
from flo_comms.migrate import upgrade
from flo_comms.registrations import (
    add_candidates,
    register_by_link,
    review_candidates,
    send_final_schedule,
)
from flo_comms.schema import email_deliveries, outreach_events
from flo_comms.system_emails import EmailKind, SystemEmail, log_system_email

FROM = "Flo Outreach <outreach@flo.test>"
VIEWER = "America/New_York"
IN_NEW_YORK = AnalyticsFilter(time_zone=VIEWER)
# As the light_password_hashing fixture does, for the module-wide story.
LIGHT_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# Column names, as each function promises them.
OUTREACH_COLUMNS = ["period", "event_type", "invite_mode", "email_kind", "emails"]
BY_EVENT_COLUMNS = [
    "event_id",
    "event",
    "event_type",
    "invite_mode",
    "email_kind",
    "emails",
]
SOURCE_COLUMNS = ["period", "source", "entries"]
TYPE_COLUMNS = ["comm_type", "entries"]
ORIGIN_COLUMNS = ["period", "origin", "emails"]
JOB_COLUMNS = ["job_id", "job", "email_kind", "emails", "to_agency"]
STATUS_COLUMNS = ["job_status", "emails", "to_agency"]
DELIVERY_COLUMNS = ["period", "state", "emails"]
HEADLINE_COLUMNS = [
    "entries",
    "system",
    "manual",
    "event_emails",
    "job_emails",
    "to_agency",
    "failed",
]


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def new_york(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock moment of 2026 as a New York member types it (naive)."""
    return datetime(2026, month, day, hour, minute)


def day(text: str) -> pd.Timestamp:
    """A period's first day, as the frames give it: day('2026-03-02')."""
    return pd.Timestamp(text)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return list(frame.itertuples(index=False, name=None))


# --- the story ------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    engine: Engine
    spring_webinar: int
    berlin_evening: int
    invite_only_webinar: int
    autumn_chat: int
    data_analyst: int
    backend_engineer: int


class RefusingTransport:
    """A mail server that refuses every recipient: the delivery fails for good."""

    def send(self, email: OutgoingEmail) -> str:
        raise PermanentDeliveryError("550 mailbox unavailable")


def draft(
    author: Member,
    comm_type: str,
    occurred_local: datetime,
    candidate_ids: tuple[int, ...],
    subject: str,
) -> CommunicationDraft:
    """A manual entry as typed by a member who reads New York time."""
    return CommunicationDraft(
        comm_type=comm_type,
        occurred_local=occurred_local,
        time_zone=VIEWER,
        sender_member_ids=(author.id,),
        recipient_candidate_ids=candidate_ids,
        recipient_member_ids=(),
        subject=subject,
        description="Notes of the conversation.",
    )


def event_details(
    event_type: str, invite_only: bool, title: str, on: date, zone: str
) -> EventDetails:
    in_person = event_type == "in-person event"
    return EventDetails(
        event_type=event_type,
        invite_only=invite_only,
        title=title,
        day=on,
        start_time=time(18, 0),
        end_time=time(19, 0),
        time_zone=zone,
        place="Flo office, Torstraße 1, Berlin" if in_person else "",
        link="" if in_person else "https://meet.example.com/flo",
        agenda="Talks, then questions.",
        internal_notes="Order pizza.",
    )


def token_of(engine: Engine, event_id: int) -> str:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(outreach_events.c.registration_token).where(
                outreach_events.c.id == event_id
            )
        ).scalar_one()


def run_spring_webinar(engine: Engine, admin: Member, casey: int, olive: int) -> int:
    """Open webinar, Tue 10 Mar 18:00 EDT: 1 profile request, 1 registration
    confirmation, 2 updates, 2 reminders."""
    details = event_details(
        "webinar", False, "Spring data webinar", date(2026, 3, 10), VIEWER
    )
    event_id = create_event(engine, admin, details, at=utc(2, 20, 12))
    add_candidates(
        engine,
        admin,
        event_id,
        candidate_ids=[olive],
        request_profile=True,
        from_address=FROM,
        at=utc(3, 2, 10),
    )
    register_by_link(
        engine,
        token_of(engine, event_id),
        name="Casey Candidate",
        email="casey@example.org",
        from_address=FROM,
        at=utc(3, 9, 3, 30),  # Sun 8 Mar 23:30 in New York
    )
    new_agenda = replace(details, agenda="Talks, then a panel.")
    update_event(
        engine, admin, event_id, new_agenda, from_address=FROM, at=utc(3, 9, 12)
    )
    # Reminders fall due at 22:00 UTC on the 9th, a day before the start.
    dispatch_event_emails(engine, from_address=FROM, now=utc(3, 9, 22, 30))
    return event_id


def run_berlin_evening(
    engine: Engine, admin: Member, casey: int, olive: int, dana: int
) -> int:
    """Invite-only in-person event, 15 Apr in Berlin: 3 confirmations, 2
    approvals, 1 denial, 2 final schedules; a notes change sends nothing."""
    details = event_details(
        "in-person event",
        True,
        "Berlin hiring evening",
        date(2026, 4, 15),
        "Europe/Berlin",
    )
    event_id = create_event(engine, admin, details, at=utc(3, 20, 12))
    add_candidates(
        engine,
        admin,
        event_id,
        candidate_ids=[casey, olive, dana],
        request_profile=False,
        from_address=FROM,
        at=utc(4, 1, 2, 30),  # Tue 31 Mar 22:30 in New York
    )
    for approve, people in ((True, [casey, dana]), (False, [olive])):
        review_candidates(
            engine,
            admin,
            event_id,
            people,
            approve=approve,
            from_address=FROM,
            at=utc(4, 2, 12),
        )
    send_final_schedule(engine, admin, event_id, from_address=FROM, at=utc(4, 10, 12))
    notes = replace(details, internal_notes="Order more pizza.")
    update_event(engine, admin, event_id, notes, from_address=FROM, at=utc(4, 11, 12))
    return event_id


def run_invite_only_webinar(engine: Engine, admin: Member) -> int:
    """Invite-only webinar: one registration confirmation, then deleted."""
    details = event_details(
        "webinar", True, "Invite-only analytics webinar", date(2026, 5, 20), VIEWER
    )
    event_id = create_event(engine, admin, details, at=utc(4, 25, 12))
    register_by_link(
        engine,
        token_of(engine, event_id),
        name="Pat Prospect",
        email="pat@example.org",
        from_address=FROM,
        at=utc(5, 4, 9),
    )
    # Its email stays on Pat's timeline, so it is still counted.
    delete_event(engine, admin, event_id, at=utc(5, 8, 12))
    return event_id


def run_autumn_chat(engine: Engine, admin: Member, casey: int, olive: int) -> int:
    """Open virtual chat, Tue 3 Nov: 2 confirmations, 2 cancellations."""
    details = event_details(
        "virtual chat", False, "Autumn virtual chat", date(2026, 11, 3), VIEWER
    )
    event_id = create_event(engine, admin, details, at=utc(10, 1, 12))
    add_candidates(
        engine,
        admin,
        event_id,
        candidate_ids=[casey, olive],
        request_profile=False,
        from_address=FROM,
        at=utc(11, 2, 4, 30),  # Sun 1 Nov 23:30 EST in New York
    )
    first, second = (
        add_slot(
            engine,
            admin,
            event_id,
            day=date(2026, 11, 3),
            start_time=start,
            end_time=end,
            capacity=5,
        )
        for start, end in ((time(18, 0), time(18, 30)), (time(18, 30), time(19, 0)))
    )
    assign_to_slot(
        engine,
        admin,
        event_id,
        [casey, olive],
        first,
        from_address=FROM,
        at=utc(11, 2, 12),
    )
    # Moving Casey cancels the first slot; taking Olive out cancels hers.
    assign_to_slot(
        engine, admin, event_id, [casey], second, from_address=FROM, at=utc(11, 2, 13)
    )
    remove_from_slot(
        engine, admin, event_id, olive, from_address=FROM, at=utc(11, 2, 14)
    )
    return event_id


def run_job_emails(
    engine: Engine, admin: Member, recruiter: Member, casey: int, olive: int, dana: int
) -> tuple[int, int]:
    """Four status emails and two update requests; Dana's go to her agency."""
    data_analyst = create_job(engine, "Data Analyst", "Berlin")
    backend_engineer = create_job(engine, "Backend Engineer", "Remote")
    set_job_email_copies(engine, admin, data_analyst, [admin.id], [])
    casey_analyst = create_application(engine, data_analyst, casey)
    dana_analyst = create_application(engine, data_analyst, dana)
    olive_backend = create_application(engine, backend_engineer, olive)
    moves = (
        (casey_analyst, ApplicationStatus.INTERVIEW_SCHEDULED, utc(3, 3, 14)),
        (dana_analyst, ApplicationStatus.REJECTED, utc(3, 4, 14)),
        # Screening sends no email by default: nothing is logged.
        (casey_analyst, ApplicationStatus.SCREENING, utc(4, 1, 14)),
        (casey_analyst, ApplicationStatus.OFFER, utc(4, 20, 14)),
        (olive_backend, ApplicationStatus.INTERVIEW_SCHEDULED, utc(5, 5, 14)),
    )
    for application, status, moment in moves:
        change_status(
            engine, recruiter, application, status, from_address=FROM, sent_at=moment
        )
    for application, moment in (
        (olive_backend, utc(5, 6, 14)),
        (dana_analyst, utc(5, 7, 14)),
    ):
        request_application_update(
            engine,
            recruiter,
            application,
            "Please update your CV.",
            from_address=FROM,
            sent_at=moment,
        )
    return data_analyst, backend_engineer


def send_direct_emails(
    engine: Engine, recruiter: Member, casey: int, olive: int
) -> None:
    """Two emails from a member, Mon 1 Jun 11:00 in New York.

    send_email takes no moment: the clock it logs with is set instead.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(system_emails, "now_utc", lambda: utc(6, 1, 15))
        send_email(
            engine,
            recruiter,
            [casey, olive],
            subject_template="Coffee next week?",
            body_template="Hello {{ candidate.first_name }}, are you free?",
            from_address=FROM,
        )


def log_manual_entries(
    engine: Engine, recruiter: Member, casey: int, olive: int
) -> None:
    """Five manual entries as they stand: one was edited, a sixth was deleted."""
    entries = (
        ("video call", new_york(3, 1, 23, 30), (casey,)),
        ("phone call", new_york(3, 8, 1, 30), (casey,)),
        ("email", new_york(4, 20, 12), (casey, olive)),
        ("phone call", new_york(11, 1, 1, 30), (olive,)),  # the first 01:30 (EDT)
    )
    for comm_type, moment, people in entries:
        log_communication(
            engine,
            recruiter,
            draft(recruiter, comm_type, moment, people, f"{comm_type} with candidates"),
            logged_from_candidate_id=people[0],
        )
    edited = log_communication(
        engine,
        recruiter,
        draft(recruiter, "phone call", new_york(5, 10, 10), (olive,), "Catch-up"),
    )
    edit_communication(
        engine,
        recruiter,
        edited,
        draft(recruiter, "text message", new_york(5, 12, 10), (olive,), "Catch-up"),
    )
    deleted = log_communication(
        engine,
        recruiter,
        draft(recruiter, "LinkedIn message", new_york(6, 15, 10), (olive,), "Hello"),
    )
    delete_communication(engine, recruiter, deleted)


def deliver_early_emails(engine: Engine, outbox: Path) -> None:
    """The profile request of 2 Mar fails; the five emails due by 9 Mar go out."""
    deliver_due(engine, RefusingTransport(), now=utc(3, 2, 11), limit=1)
    deliver_due(engine, OutboxTransport(outbox), now=utc(3, 9, 13))


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def story_db(request, migrated_duckdb_file, tmp_path_factory) -> Iterator[Engine]:
    """A database of each kind for the story, shared by the tests of this module.

    Playing the story takes seconds, and the tests that use it only read, so it
    is played once per database rather than once per test.
    """
    if request.param == "postgres":
        for engine in _postgres_engine():
            upgrade(engine)
            yield engine
        return
    path = tmp_path_factory.mktemp("analytics") / "flo_comms.duckdb"
    shutil.copyfile(migrated_duckdb_file, path)
    engine = create_engine(f"duckdb:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def story(story_db, tmp_path_factory) -> Story:
    engine = story_db
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(members, "_hasher", LIGHT_HASHER)
        admin = make_member(engine, "Ada Admin", Role.ADMIN, VIEWER)
        recruiter = make_member(engine, "Rita Recruiter", Role.RECRUITER, VIEWER)
    casey = create_candidate(
        engine,
        name="Casey Candidate",
        email="casey@example.org",
        source=CandidateSource.REFERRAL,
    )
    olive = create_candidate(
        engine,
        name="Olive Other",
        email="olive@example.org",
        source=CandidateSource.JOB_BOARD,
    )
    agency = create_agency(engine, "Northwind Talent Partners")
    contact = create_agency_contact(
        engine, agency, "Avery Agent", "avery@northwind.example"
    )
    dana = create_candidate(
        engine,
        name="Dana Delegated",
        email="dana@example.org",
        source=CandidateSource.AGENCY,
        agency_contact_id=contact,
    )
    spring = run_spring_webinar(engine, admin, casey, olive)
    berlin = run_berlin_evening(engine, admin, casey, olive, dana)
    webinar = run_invite_only_webinar(engine, admin)
    autumn = run_autumn_chat(engine, admin, casey, olive)
    analyst, backend = run_job_emails(engine, admin, recruiter, casey, olive, dana)
    send_direct_emails(engine, recruiter, casey, olive)
    log_manual_entries(engine, recruiter, casey, olive)
    deliver_early_emails(engine, tmp_path_factory.mktemp("outbox"))
    return Story(
        engine=engine,
        spring_webinar=spring,
        berlin_evening=berlin,
        invite_only_webinar=webinar,
        autumn_chat=autumn,
        data_analyst=analyst,
        backend_engineer=backend,
    )


# --- event emails ---------------------------------------------------------------

WEBINAR, IN_PERSON, CHAT = "webinar", "in-person event", "virtual chat"
OPEN, INVITE_ONLY = "open", "invite only"


def test_event_emails_by_week_follow_new_york_across_both_clock_changes(story):
    frame = outreach_volume(story.engine, IN_NEW_YORK, Grain.WEEK)

    assert list(frame.columns) == OUTREACH_COLUMNS
    assert rows(frame) == [
        # Sun 8 Mar 23:30 EDT is Monday in UTC, yet still the week of 2 Mar.
        (day("2026-03-02"), WEBINAR, OPEN, "profile request", 1),
        (day("2026-03-02"), WEBINAR, OPEN, "registration confirmation", 1),
        (day("2026-03-09"), WEBINAR, OPEN, "reminder", 2),
        (day("2026-03-09"), WEBINAR, OPEN, "update", 2),
        (day("2026-03-30"), IN_PERSON, INVITE_ONLY, "approval", 2),
        (day("2026-03-30"), IN_PERSON, INVITE_ONLY, "confirmation", 3),
        (day("2026-03-30"), IN_PERSON, INVITE_ONLY, "denial", 1),
        (day("2026-04-06"), IN_PERSON, INVITE_ONLY, "final schedule", 2),
        (day("2026-05-04"), WEBINAR, INVITE_ONLY, "registration confirmation", 1),
        # Sun 1 Nov 23:30 EST is Monday 2 Nov in UTC.
        (day("2026-10-26"), CHAT, OPEN, "confirmation", 2),
        (day("2026-11-02"), CHAT, OPEN, "cancellation", 2),
    ]


def test_event_emails_by_month_put_31_march_evening_in_march(story):
    frame = outreach_volume(story.engine, IN_NEW_YORK, Grain.MONTH)

    assert rows(frame) == [
        (day("2026-03-01"), IN_PERSON, INVITE_ONLY, "confirmation", 3),
        (day("2026-03-01"), WEBINAR, OPEN, "profile request", 1),
        (day("2026-03-01"), WEBINAR, OPEN, "registration confirmation", 1),
        (day("2026-03-01"), WEBINAR, OPEN, "reminder", 2),
        (day("2026-03-01"), WEBINAR, OPEN, "update", 2),
        (day("2026-04-01"), IN_PERSON, INVITE_ONLY, "approval", 2),
        (day("2026-04-01"), IN_PERSON, INVITE_ONLY, "denial", 1),
        (day("2026-04-01"), IN_PERSON, INVITE_ONLY, "final schedule", 2),
        (day("2026-05-01"), WEBINAR, INVITE_ONLY, "registration confirmation", 1),
        (day("2026-11-01"), CHAT, OPEN, "cancellation", 2),
        (day("2026-11-01"), CHAT, OPEN, "confirmation", 2),
    ]


def test_event_emails_by_event_come_most_emailed_first(story):
    frame = outreach_by_event(story.engine, IN_NEW_YORK)

    berlin = (story.berlin_evening, "Berlin hiring evening", IN_PERSON, INVITE_ONLY)
    spring = (story.spring_webinar, "Spring data webinar", WEBINAR, OPEN)
    autumn = (story.autumn_chat, "Autumn virtual chat", CHAT, OPEN)
    invited = (
        story.invite_only_webinar,
        "Invite-only analytics webinar",
        WEBINAR,
        INVITE_ONLY,
    )
    assert list(frame.columns) == BY_EVENT_COLUMNS
    assert rows(frame) == [
        (*berlin, "approval", 2),
        (*berlin, "confirmation", 3),
        (*berlin, "denial", 1),
        (*berlin, "final schedule", 2),
        (*spring, "profile request", 1),
        (*spring, "registration confirmation", 1),
        (*spring, "reminder", 2),
        (*spring, "update", 2),
        (*autumn, "cancellation", 2),
        (*autumn, "confirmation", 2),
        (*invited, "registration confirmation", 1),
    ]


# --- system versus manual ---------------------------------------------------------


def test_entries_by_source_and_week_in_new_york(story):
    frame = volume_by_source(story.engine, IN_NEW_YORK, Grain.WEEK)

    assert list(frame.columns) == SOURCE_COLUMNS
    assert rows(frame) == [
        (day("2026-02-23"), "manual", 1),
        (day("2026-03-02"), "manual", 1),
        (day("2026-03-02"), "system", 4),
        (day("2026-03-09"), "system", 4),
        (day("2026-03-30"), "system", 6),
        (day("2026-04-06"), "system", 2),
        (day("2026-04-20"), "manual", 1),
        (day("2026-04-20"), "system", 1),
        (day("2026-05-04"), "system", 4),
        (day("2026-05-11"), "manual", 1),
        (day("2026-06-01"), "system", 2),
        (day("2026-10-26"), "manual", 1),
        (day("2026-10-26"), "system", 2),
        (day("2026-11-02"), "system", 2),
    ]


def test_entries_by_source_and_month_in_new_york(story):
    frame = volume_by_source(story.engine, IN_NEW_YORK, Grain.MONTH)

    assert rows(frame) == [
        (day("2026-03-01"), "manual", 2),
        (day("2026-03-01"), "system", 11),
        (day("2026-04-01"), "manual", 1),
        (day("2026-04-01"), "system", 6),
        (day("2026-05-01"), "manual", 1),
        (day("2026-05-01"), "system", 4),
        (day("2026-06-01"), "system", 2),
        (day("2026-11-01"), "manual", 1),
        (day("2026-11-01"), "system", 4),
    ]


def test_a_viewer_in_utc_sees_the_entries_near_midnight_in_other_periods(story):
    in_utc = AnalyticsFilter(time_zone="UTC")

    weeks = volume_by_source(story.engine, in_utc, Grain.WEEK)
    months = volume_by_source(story.engine, in_utc, Grain.MONTH)

    assert rows(weeks) == [
        (day("2026-03-02"), "manual", 2),
        (day("2026-03-02"), "system", 3),
        (day("2026-03-09"), "system", 5),
        (day("2026-03-30"), "system", 6),
        (day("2026-04-06"), "system", 2),
        (day("2026-04-20"), "manual", 1),
        (day("2026-04-20"), "system", 1),
        (day("2026-05-04"), "system", 4),
        (day("2026-05-11"), "manual", 1),
        (day("2026-06-01"), "system", 2),
        (day("2026-10-26"), "manual", 1),
        (day("2026-11-02"), "system", 4),
    ]
    assert rows(months) == [
        (day("2026-03-01"), "manual", 2),
        (day("2026-03-01"), "system", 8),
        (day("2026-04-01"), "manual", 1),
        (day("2026-04-01"), "system", 9),
        (day("2026-05-01"), "manual", 1),
        (day("2026-05-01"), "system", 4),
        (day("2026-06-01"), "system", 2),
        (day("2026-11-01"), "manual", 1),
        (day("2026-11-01"), "system", 4),
    ]


def test_manual_entries_by_type_count_the_edit_once_and_not_the_deleted(story):
    frame = manual_by_type(story.engine, IN_NEW_YORK)

    # The phone call edited into a text message counts as a text message only;
    # the deleted LinkedIn message is gone; the email to two candidates is one.
    assert list(frame.columns) == TYPE_COLUMNS
    assert rows(frame) == [
        ("phone call", 2),
        ("email", 1),
        ("text message", 1),
        ("video call", 1),
    ]


def test_system_emails_by_what_caused_them(story):
    frame = system_by_origin(story.engine, IN_NEW_YORK, Grain.WEEK)

    assert list(frame.columns) == ORIGIN_COLUMNS
    assert rows(frame) == [
        (day("2026-03-02"), "job", 2),
        (day("2026-03-02"), "outreach event", 2),
        (day("2026-03-09"), "outreach event", 4),
        (day("2026-03-30"), "outreach event", 6),
        (day("2026-04-06"), "outreach event", 2),
        (day("2026-04-20"), "job", 1),
        (day("2026-05-04"), "job", 3),
        (day("2026-05-04"), "outreach event", 1),
        (day("2026-06-01"), "sent by a member", 2),
        (day("2026-10-26"), "outreach event", 2),
        (day("2026-11-02"), "outreach event", 2),
    ]


# --- job emails -------------------------------------------------------------------


def test_job_emails_by_job_count_those_sent_to_the_agency(story):
    frame = job_emails_by_job(story.engine, IN_NEW_YORK)

    assert list(frame.columns) == JOB_COLUMNS
    assert rows(frame) == [
        (story.backend_engineer, "Backend Engineer", "job status", 1, 0),
        (
            story.backend_engineer,
            "Backend Engineer",
            "update application request",
            1,
            0,
        ),
        # Interview Scheduled and Offer to Casey, Rejected to Dana's agency.
        (story.data_analyst, "Data Analyst", "job status", 3, 1),
        (story.data_analyst, "Data Analyst", "update application request", 1, 1),
    ]


def test_status_emails_by_the_status_they_announced(story):
    frame = job_emails_by_status(story.engine, IN_NEW_YORK)

    assert list(frame.columns) == STATUS_COLUMNS
    assert rows(frame) == [
        ("Interview Scheduled", 2, 0),
        ("Offer", 1, 0),
        ("Rejected", 1, 1),
    ]


# --- deliveries and headline figures -----------------------------------------------


def test_system_emails_by_delivery_state_and_week(story):
    frame = delivery_volume(story.engine, IN_NEW_YORK, Grain.WEEK)

    assert list(frame.columns) == DELIVERY_COLUMNS
    assert rows(frame) == [
        (day("2026-03-02"), "failed", 1),
        (day("2026-03-02"), "sent", 3),
        (day("2026-03-09"), "queued", 2),
        (day("2026-03-09"), "sent", 2),
        (day("2026-03-30"), "queued", 6),
        (day("2026-04-06"), "queued", 2),
        (day("2026-04-20"), "queued", 1),
        (day("2026-05-04"), "queued", 4),
        (day("2026-06-01"), "queued", 2),
        (day("2026-10-26"), "queued", 2),
        (day("2026-11-02"), "queued", 2),
    ]


def test_headline_figures_of_the_whole_story(story):
    frame = headline_figures(story.engine, IN_NEW_YORK)

    assert list(frame.columns) == HEADLINE_COLUMNS
    # 19 event emails + 6 job emails + 2 from a member = 27 system; 5 manual.
    assert rows(frame) == [(32, 27, 5, 19, 6, 2, 1)]


def test_counts_are_integers_and_periods_are_dates(story):
    weeks = volume_by_source(story.engine, IN_NEW_YORK)
    figures = headline_figures(story.engine, IN_NEW_YORK)
    jobs = job_emails_by_job(story.engine, IN_NEW_YORK)

    assert str(weeks["period"].dtype).startswith("datetime64")
    assert weeks["entries"].dtype == "int64"
    assert set(figures.dtypes.astype(str)) == {"int64"}
    assert jobs["emails"].dtype == jobs["to_agency"].dtype == "int64"


# --- filters ----------------------------------------------------------------------

EVERY_FUNCTION: dict[str, tuple[Callable[..., pd.DataFrame], list[str]]] = {
    "outreach_volume": (outreach_volume, OUTREACH_COLUMNS),
    "outreach_by_event": (outreach_by_event, BY_EVENT_COLUMNS),
    "volume_by_source": (volume_by_source, SOURCE_COLUMNS),
    "manual_by_type": (manual_by_type, TYPE_COLUMNS),
    "system_by_origin": (system_by_origin, ORIGIN_COLUMNS),
    "job_emails_by_job": (job_emails_by_job, JOB_COLUMNS),
    "job_emails_by_status": (job_emails_by_status, STATUS_COLUMNS),
    "delivery_volume": (delivery_volume, DELIVERY_COLUMNS),
}


def test_a_range_without_entries_gives_empty_frames_with_their_columns(story):
    quiet_january = AnalyticsFilter(
        start_date=date(2026, 1, 1), end_date=date(2026, 1, 31), time_zone=VIEWER
    )

    for name, (function, columns) in EVERY_FUNCTION.items():
        frame = function(story.engine, quiet_january)
        assert frame.empty, name
        assert list(frame.columns) == columns, name
    assert rows(headline_figures(story.engine, quiet_january)) == [
        (0, 0, 0, 0, 0, 0, 0)
    ]


def test_an_empty_database_gives_empty_frames_and_zero_figures(engine):
    for name, (function, columns) in EVERY_FUNCTION.items():
        frame = function(engine, IN_NEW_YORK)
        assert frame.empty, name
        assert list(frame.columns) == columns, name
    assert rows(headline_figures(engine, IN_NEW_YORK)) == [(0, 0, 0, 0, 0, 0, 0)]


def test_a_date_range_takes_whole_new_york_days_at_both_ends(story):
    # 2–8 Mar in New York: from the profile request of Mon 2 Mar 05:00 to the
    # registration of Sun 8 Mar 23:30 EDT (Mon 03:30 UTC); the video call of
    # Sun 1 Mar 23:30 EST (Mon 2 Mar 04:30 UTC) falls before it.
    first_week = AnalyticsFilter(
        start_date=date(2026, 3, 2), end_date=date(2026, 3, 8), time_zone=VIEWER
    )

    figures = headline_figures(story.engine, first_week)
    sources = volume_by_source(story.engine, first_week)

    assert rows(figures) == [(5, 4, 1, 2, 2, 1, 1)]
    assert rows(sources) == [
        (day("2026-03-02"), "manual", 1),
        (day("2026-03-02"), "system", 4),
    ]


def test_a_one_day_range_is_that_whole_day_in_new_york(story):
    # Tue 31 Mar 22:30 EDT is 1 Apr in UTC: the three confirmations are the
    # 31st's, and nothing else happened that day.
    last_of_march = AnalyticsFilter(
        start_date=date(2026, 3, 31), end_date=date(2026, 3, 31), time_zone=VIEWER
    )

    frame = outreach_volume(story.engine, last_of_march)

    assert rows(frame) == [
        (day("2026-03-30"), IN_PERSON, INVITE_ONLY, "confirmation", 3),
    ]


def test_a_range_open_at_one_end_counts_everything_on_that_side(story):
    from_november = AnalyticsFilter(start_date=date(2026, 11, 1), time_zone=VIEWER)
    # The video call of Sun 1 Mar 23:30 EST is 2 Mar in UTC.
    until_first_of_march = AnalyticsFilter(end_date=date(2026, 3, 1), time_zone=VIEWER)

    assert rows(headline_figures(story.engine, from_november)) == [
        (5, 4, 1, 4, 0, 0, 0)
    ]
    assert rows(headline_figures(story.engine, until_first_of_march)) == [
        (1, 0, 1, 0, 0, 0, 0)
    ]


def test_the_source_filter_keeps_one_source(story):
    manual = AnalyticsFilter(time_zone=VIEWER, sources=frozenset({"manual"}))
    system = AnalyticsFilter(time_zone=VIEWER, sources=frozenset({"system"}))

    assert rows(headline_figures(story.engine, manual)) == [(5, 0, 5, 0, 0, 0, 0)]
    assert rows(headline_figures(story.engine, system)) == [(27, 27, 0, 19, 6, 2, 1)]
    assert rows(volume_by_source(story.engine, manual, Grain.MONTH)) == [
        (day("2026-03-01"), "manual", 2),
        (day("2026-04-01"), "manual", 1),
        (day("2026-05-01"), "manual", 1),
        (day("2026-11-01"), "manual", 1),
    ]
    assert manual_by_type(story.engine, system).empty


def test_the_event_type_filter_keeps_those_events_emails(story):
    webinars = AnalyticsFilter(time_zone=VIEWER, event_types=frozenset({WEBINAR}))

    by_event = outreach_by_event(story.engine, webinars)

    assert sorted(set(by_event["event_id"])) == sorted(
        [story.spring_webinar, story.invite_only_webinar]
    )
    assert by_event["emails"].sum() == 7
    # Job emails, direct emails and manual entries belong to no event.
    assert rows(headline_figures(story.engine, webinars)) == [(7, 7, 0, 7, 0, 0, 1)]
    assert rows(system_by_origin(story.engine, webinars, Grain.MONTH)) == [
        (day("2026-03-01"), "outreach event", 6),
        (day("2026-05-01"), "outreach event", 1),
    ]


def test_the_event_filter_keeps_one_event(story):
    autumn = AnalyticsFilter(time_zone=VIEWER, event_ids=frozenset({story.autumn_chat}))

    assert rows(outreach_volume(story.engine, autumn)) == [
        (day("2026-10-26"), CHAT, OPEN, "confirmation", 2),
        (day("2026-11-02"), CHAT, OPEN, "cancellation", 2),
    ]
    assert rows(delivery_volume(story.engine, autumn)) == [
        (day("2026-10-26"), "queued", 2),
        (day("2026-11-02"), "queued", 2),
    ]


def test_the_job_filter_keeps_one_jobs_emails(story):
    analyst = AnalyticsFilter(time_zone=VIEWER, job_ids=frozenset({story.data_analyst}))

    assert rows(job_emails_by_job(story.engine, analyst)) == [
        (story.data_analyst, "Data Analyst", "job status", 3, 1),
        (story.data_analyst, "Data Analyst", "update application request", 1, 1),
    ]
    assert rows(job_emails_by_status(story.engine, analyst)) == [
        ("Interview Scheduled", 1, 0),
        ("Offer", 1, 0),
        ("Rejected", 1, 1),
    ]
    assert rows(headline_figures(story.engine, analyst)) == [(4, 4, 0, 0, 4, 2, 0)]
    assert outreach_volume(story.engine, analyst).empty


def test_filters_combine_a_job_and_an_event_match_nothing(story):
    both = AnalyticsFilter(
        time_zone=VIEWER,
        job_ids=frozenset({story.data_analyst}),
        event_ids=frozenset({story.spring_webinar}),
    )

    assert rows(headline_figures(story.engine, both)) == [(0, 0, 0, 0, 0, 0, 0)]


def test_filters_narrow_each_other_date_and_event_type(story):
    # In-person and chat emails of March in New York: the Berlin confirmations
    # of the 31st only (approvals and later are April's).
    march_meetings = AnalyticsFilter(
        start_date=date(2026, 3, 1),
        end_date=date(2026, 3, 31),
        time_zone=VIEWER,
        event_types=frozenset({IN_PERSON, CHAT}),
    )

    assert rows(outreach_by_event(story.engine, march_meetings)) == [
        (
            story.berlin_evening,
            "Berlin hiring evening",
            IN_PERSON,
            INVITE_ONLY,
            "confirmation",
            3,
        ),
    ]


# --- data_version -----------------------------------------------------------------


@pytest.fixture
def casey_call(engine, recruiter, candidate_id) -> Callable[..., int]:
    """Log a phone call with Casey; returns the entry's id."""

    def log() -> int:
        return log_communication(
            engine,
            recruiter,
            draft(recruiter, "phone call", new_york(3, 2, 9), (candidate_id,), "Call"),
        )

    return log


def test_data_version_changes_with_a_new_entry(engine, casey_call):
    before = data_version(engine)

    casey_call()
    after_one = data_version(engine)
    casey_call()

    assert before != after_one != data_version(engine)


def test_data_version_changes_with_an_edit_and_a_deletion(
    engine, recruiter, candidate_id, casey_call
):
    entry = casey_call()
    before = data_version(engine)

    edit_communication(
        engine,
        recruiter,
        entry,
        draft(recruiter, "video call", new_york(3, 3, 9), (candidate_id,), "Call"),
    )
    edited = data_version(engine)
    delete_communication(engine, recruiter, entry)

    assert before != edited != data_version(engine)


@pytest.fixture
def offer_email(engine, admin, candidate_id) -> Callable[[ApplicationStatus], int]:
    """Move Casey's Data Analyst application to a status; return the email's id."""
    application = create_application(
        engine, create_job(engine, "Data Analyst"), candidate_id
    )

    def move(status: ApplicationStatus = ApplicationStatus.OFFER) -> int:
        result = change_status(engine, admin, application, status, from_address=FROM)
        return result.communication_id

    return move


def failed_figure(engine: Engine) -> int:
    return headline_figures(engine, IN_NEW_YORK)["failed"].item()


def test_data_version_changes_with_a_delivery_sent_and_one_failed(
    engine, offer_email, tmp_path
):
    offer_email(ApplicationStatus.OFFER)
    queued = data_version(engine)

    deliver_due(engine, RefusingTransport())
    failed = data_version(engine)
    offer_email(ApplicationStatus.HIRED)
    queued_again = data_version(engine)
    deliver_due(engine, OutboxTransport(tmp_path / "outbox"))

    assert queued != failed
    assert queued_again != data_version(engine)


def test_data_version_changes_when_an_email_logged_first_commits_last(
    engine, admin, candidate_id
):
    # Two actions at once (two dashboard processes, or the dispatcher beside a
    # page): the first draws the lower id but commits after the second.
    def offer(connection) -> int:
        email = SystemEmail(
            kind=EmailKind.JOB_STATUS,
            subject="An offer for you",
            body="Hello Casey,",
            sent_by_member_id=admin.id,
            sender=Participant(ParticipantRole.SENDER, admin.name, admin.email),
            to=[Participant(ParticipantRole.TO, "Casey", "casey@example.org")],
            candidate_ids=[candidate_id],
        )
        return log_system_email(connection, email, from_address=FROM)

    with engine.begin() as slow:
        first = offer(slow)
        with engine.begin() as quick:
            second = offer(quick)
        seen_with_one = data_version(engine)
        seen_figure = headline_figures(engine, IN_NEW_YORK)["entries"].item()

    assert first < second
    assert seen_figure == 1
    assert headline_figures(engine, IN_NEW_YORK)["entries"].item() == 2
    assert data_version(engine) != seen_with_one


def test_data_version_changes_when_an_admin_retries_a_failed_delivery(
    engine, admin, offer_email
):
    offer_email()
    deliver_due(engine, RefusingTransport())
    with engine.connect() as connection:
        delivery_id = connection.execute(sa.select(email_deliveries.c.id)).scalar_one()
    failed = data_version(engine)
    figure_before = failed_figure(engine)

    retry_delivery(engine, admin, delivery_id)

    assert (figure_before, failed_figure(engine)) == (1, 0)
    assert data_version(engine) != failed


class ProcessDied(BaseException):
    """Stands for the process being killed in the middle of a send."""


class DyingTransport:
    def send(self, email: OutgoingEmail) -> str:
        raise ProcessDied


def test_data_version_changes_when_a_stuck_delivery_is_failed(engine, offer_email):
    offer_email()
    claimed_at = datetime.now(UTC)
    with pytest.raises(ProcessDied):
        deliver_due(engine, DyingTransport(), now=claimed_at)
    sending = data_version(engine)
    figure_before = failed_figure(engine)

    deliver_due(engine, DyingTransport(), now=claimed_at + timedelta(minutes=20))

    assert (figure_before, failed_figure(engine)) == (0, 1)
    assert data_version(engine) != sending
