"""Filling a page test's database with outreach events, and opening their pages."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from flo_comms.event_rules import EventType
from flo_comms.events import EventDetails, create_event
from flo_comms.members import Member
from flo_comms.registrations import add_candidates

FROM_ADDRESS = "Flo Communications <no-reply@flo-comms.localhost>"


def in_days(days: int) -> date:
    return date.today() + timedelta(days=days)


def add_event(
    engine: Engine,
    organiser: Member,
    title: str,
    *,
    event_type: EventType = EventType.IN_PERSON,
    invite_only: bool = False,
    day: date | None = None,
    start: time = time(18, 0),
    end: time = time(20, 0),
    zone: str = "Europe/Berlin",
    internal_notes: str = "",
) -> int:
    """An event a fortnight away unless told; the place or link as its type needs."""
    in_person = event_type is EventType.IN_PERSON
    return create_event(
        engine,
        organiser,
        EventDetails(
            event_type=event_type,
            invite_only=invite_only,
            title=title,
            day=day or in_days(14),
            start_time=start,
            end_time=end,
            time_zone=zone,
            place="Rua Augusta 12, Lisbon" if in_person else "",
            link="" if in_person else "https://meet.example.com/flo-data",
            agenda="Talks, then questions.",
            internal_notes=internal_notes,
        ),
    )


def register(
    engine: Engine, organiser: Member, event_id: int, *candidate_ids: int
) -> None:
    """Add candidates to an event as a member would: each gets a confirmation."""
    add_candidates(
        engine,
        organiser,
        event_id,
        candidate_ids=candidate_ids,
        request_profile=False,
        from_address=FROM_ADDRESS,
    )


def email_kinds(database, candidate_id: int) -> list[str]:
    """The email kinds on a candidate's timeline, newest first."""
    return [entry.email_kind for entry in database.timeline(candidate_id).entries]


def open_events(at: AppTest) -> AppTest:
    at.switch_page("views/events.py")
    return at.run()


def open_event(at: AppTest, event_id: int | str) -> AppTest:
    """Go to an event the way its link does: the page and ?event=."""
    at.switch_page("views/event.py")
    at.query_params["event"] = str(event_id)
    return at.run()
