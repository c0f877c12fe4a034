"""Outreach event emails on a candidate's tab: the event's name, kind and filter."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from flo_comms.communications import log_communication
from flo_comms.event_rules import EventType
from flo_comms.events import EventDetails, cancel_event, create_event, get_event
from flo_comms.job_emails import change_status
from flo_comms.jobs import ApplicationStatus, create_application, create_job
from flo_comms.registrations import add_candidates, register_by_link
from flo_comms.timeline import TimelineFilter, candidate_events, candidate_timeline

SENDER = "Flo <no-reply@example.com>"


@pytest.fixture
def make_event(engine, admin):
    """Create an event a few weeks ahead; keyword arguments change its details."""

    def make(title: str, event_type: EventType, invite_only: bool, **changes) -> int:
        in_person = event_type is EventType.IN_PERSON
        fields = {
            "event_type": event_type,
            "invite_only": invite_only,
            "title": title,
            "day": date.today() + timedelta(days=30),
            "start_time": time(14, 0),
            "end_time": time(16, 0),
            "time_zone": "Europe/Berlin",
            "place": "Hall 3, Messe Berlin" if in_person else "",
            "link": "" if in_person else "https://meet.example.com/flo",
        }
        return create_event(engine, admin, EventDetails(**{**fields, **changes}))

    return make


@pytest.fixture
def webinar(make_event) -> int:
    return make_event("Data careers webinar", EventType.WEBINAR, invite_only=True)


@pytest.fixture
def meetup(make_event) -> int:
    return make_event("Berlin hiring meetup", EventType.IN_PERSON, invite_only=False)


def register(engine, event_id: int, name: str, email: str) -> int:
    token = get_event(engine, event_id).registration_token
    outcome = register_by_link(
        engine, token, name=name, email=email, from_address=SENDER
    )
    return outcome.candidate_id


def test_an_event_email_names_the_event_its_type_and_invite_mode(
    engine, candidate_id, webinar
):
    register(engine, webinar, "Casey Candidate", "casey@example.org")

    [entry] = candidate_timeline(engine, candidate_id).entries

    assert entry.email_kind == "registration confirmation"
    assert entry.event_title == "Data careers webinar"
    assert (entry.event_type, entry.event_invite_only) == ("webinar", True)
    assert entry.event_kind == "Webinar, invite only"
    assert entry.job_title is None


def test_an_open_in_person_event_reads_as_such(engine, admin, candidate_id, meetup):
    add_candidates(
        engine,
        admin,
        meetup,
        candidate_ids=[candidate_id],
        request_profile=False,
        from_address=SENDER,
    )

    [entry] = candidate_timeline(engine, candidate_id).entries

    assert entry.email_kind == "confirmation"
    assert entry.event_kind == "In-person event, open"


def test_job_emails_and_logged_entries_have_no_event(
    engine, admin, recruiter, candidate_id, make_draft
):
    application = create_application(
        engine, create_job(engine, "Analyst"), candidate_id
    )
    change_status(
        engine, admin, application, ApplicationStatus.OFFER, from_address=SENDER
    )
    log_communication(
        engine, recruiter, make_draft(), logged_from_candidate_id=candidate_id
    )

    entries = candidate_timeline(engine, candidate_id).entries

    assert [(e.event_title, e.event_type, e.event_kind) for e in entries] == [
        (None, None, None),
        (None, None, None),
    ]


def test_the_tab_narrows_to_one_event(
    engine, admin, recruiter, candidate_id, make_draft, webinar, meetup
):
    register(engine, webinar, "Casey Candidate", "casey@example.org")
    add_candidates(
        engine,
        admin,
        meetup,
        candidate_ids=[candidate_id],
        request_profile=True,
        from_address=SENDER,
    )
    log_communication(
        engine, recruiter, make_draft(), logged_from_candidate_id=candidate_id
    )

    only_webinar = candidate_timeline(
        engine, candidate_id, TimelineFilter(event_ids=frozenset({webinar}))
    )
    both = candidate_timeline(
        engine, candidate_id, TimelineFilter(event_ids=frozenset({webinar, meetup}))
    )
    meetup_profile_requests = candidate_timeline(
        engine,
        candidate_id,
        TimelineFilter(
            event_ids=frozenset({webinar, meetup}),
            email_kinds=frozenset({"profile request"}),
        ),
    )

    assert [(e.event_title, e.email_kind) for e in only_webinar.entries] == [
        ("Data careers webinar", "registration confirmation")
    ]
    assert only_webinar.total == 1
    assert sorted(e.event_title for e in both.entries) == [
        "Berlin hiring meetup",
        "Data careers webinar",
    ]
    assert [e.event_title for e in meetup_profile_requests.entries] == [
        "Berlin hiring meetup"
    ]
    assert candidate_timeline(engine, candidate_id).total == 3


def test_the_event_filter_offers_the_events_this_candidate_has_emails_from(
    engine, admin, candidate_id, other_candidate_id, make_event, webinar, meetup
):
    later = make_event(
        "Autumn virtual chat",
        EventType.VIRTUAL_CHAT,
        invite_only=False,
        day=date.today() + timedelta(days=60),
    )
    register(engine, webinar, "Casey Candidate", "casey@example.org")
    register(engine, later, "Casey Candidate", "casey@example.org")
    register(engine, meetup, "Olive Other", "olive@example.org")
    cancel_event(engine, admin, later)

    offered = candidate_events(engine, candidate_id)

    # The latest event first; a cancelled event's emails stay, so does its option.
    assert [(e.id, e.title, e.kind) for e in offered] == [
        (later, "Autumn virtual chat", "Virtual chat, open"),
        (webinar, "Data careers webinar", "Webinar, invite only"),
    ]
    assert [e.title for e in candidate_events(engine, other_candidate_id)] == [
        "Berlin hiring meetup"
    ]
    day = date.today() + timedelta(days=30)
    assert offered[1].label == (
        f"Data careers webinar · Webinar, invite only · {day.day} {day:%b %Y}"
    )


def test_a_candidate_without_event_emails_is_offered_no_events(
    engine, candidate_id, webinar
):
    assert candidate_events(engine, candidate_id) == []
