"""Helpers for the domain tests: drafts of the form, system emails, row counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from flo_comms import members
from flo_comms.communications import (
    AttachmentReason,
    CommunicationDraft,
    attach_candidates,
)
from flo_comms.events import EventDetails, create_event
from flo_comms.members import Member
from flo_comms.schema import communication_candidates, communications

# A Thursday in January: New York is on EST (UTC-5), Berlin on CET (UTC+1).
JANUARY_MORNING = datetime(2026, 1, 15, 9, 0)


@pytest.fixture(autouse=True)
def light_password_hashing(monkeypatch) -> None:
    """Argon2 at its lightest settings: the same kind of hash, far faster.

    The defaults (64 MiB, three passes) take a tenth of a second a member on an
    idle machine and several times that on a busy one, and nearly every test
    creates a member or two. test_members checks the defaults themselves.
    """
    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(members, "_hasher", light)


@pytest.fixture
def make_draft(
    recruiter: Member, candidate_id: int
) -> Callable[..., CommunicationDraft]:
    """A valid form as the recruiter fills it in; keyword arguments change fields."""

    def make(**changes) -> CommunicationDraft:
        fields = {
            "comm_type": "phone call",
            "occurred_local": JANUARY_MORNING,
            "time_zone": recruiter.time_zone,
            "sender_member_ids": (recruiter.id,),
            "recipient_candidate_ids": (candidate_id,),
            "recipient_member_ids": (),
            "subject": "Intro call about the Data Analyst role",
            "description": "Talked through the role and the interview steps.",
        }
        return CommunicationDraft(**{**fields, **changes})

    return make


@pytest.fixture
def add_system_email(engine: Engine) -> Callable[..., int]:
    """Write a system-sent email straight into the tables, as a job email would be."""

    def add(
        candidate_id: int,
        *,
        sent_by: Member,
        subject: str = "Your application: Interview Scheduled",
        occurred_at: datetime = datetime(2026, 1, 10, 12, 0, tzinfo=UTC),
    ) -> int:
        with engine.begin() as connection:
            communication_id = connection.execute(
                communications.insert()
                .values(
                    source="system",
                    comm_type="email",
                    email_kind="job status",
                    subject=subject,
                    body="We would like to invite you to an interview.",
                    occurred_at=occurred_at,
                    logged_by=sent_by.id,
                    logged_at=occurred_at,
                )
                .returning(communications.c.id)
            ).scalar_one()
            # Through the domain's own attach, which also fills the tab's copy.
            attach_candidates(
                connection, communication_id, [candidate_id], AttachmentReason.CONCERNS
            )
        return communication_id

    return add


@pytest.fixture
def rows_in(engine: Engine) -> Callable[[sa.Table], int]:
    """How many rows a table holds, deleted or not."""

    def count(table: sa.Table) -> int:
        with engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()

    return count


# --- outreach events ------------------------------------------------------------

# Links and places the event factories fill in for each type of event.
EVENT_LINK = "https://meet.example.com/flo-outreach"
EVENT_PLACE = "Flo office, Torstraße 1, Berlin"


@pytest.fixture
def make_event_details() -> Callable[..., EventDetails]:
    """An event as a member enters it: Monday 10 June 2030, 14:00–16:00 Berlin.

    Berlin is on CEST (UTC+2) then, so the event runs 12:00–14:00 UTC. An
    in-person event gets a place, the others a link; keywords change any field.
    """

    def make(event_type: str, invite_only: bool, **changes) -> EventDetails:
        in_person = event_type == "in-person event"
        fields = {
            "event_type": event_type,
            "invite_only": invite_only,
            "title": "Data careers evening",
            "day": date(2030, 6, 10),
            "start_time": time(14, 0),
            "end_time": time(16, 0),
            "time_zone": "Europe/Berlin",
            "place": EVENT_PLACE if in_person else "",
            "link": "" if in_person else EVENT_LINK,
            "agenda": "Talks, then questions.",
            "internal_notes": "Order pizza.",
        }
        return EventDetails(**{**fields, **changes})

    return make


@pytest.fixture
def make_event(engine: Engine, admin: Member, make_event_details) -> Callable[..., int]:
    """Create an event as the admin (see make_event_details); return its id."""

    def make(event_type: str, invite_only: bool, **changes) -> int:
        details = make_event_details(event_type, invite_only, **changes)
        return create_event(
            engine, admin, details, at=datetime(2030, 5, 1, 9, 0, tzinfo=UTC)
        )

    return make


@pytest.fixture
def event_emails(engine: Engine) -> Callable[[int], Counter]:
    """How many emails of each kind an event sent to each candidate.

    Read from the timelines: communications naming the event, joined to the
    candidates they are attached to. Keys are (candidate id, email kind).
    """

    def count(event_id: int) -> Counter:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(
                    communication_candidates.c.candidate_id,
                    communications.c.email_kind,
                )
                .join(
                    communications,
                    communications.c.id == communication_candidates.c.communication_id,
                )
                .where(communications.c.event_id == event_id)
            ).all()
        return Counter((row[0], row[1]) for row in rows)

    return count
