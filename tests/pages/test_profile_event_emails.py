"""Outreach event emails on a profile: the event's name and kind, and the filter."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from flo_comms.event_rules import EventType
from flo_comms.events import EventDetails, create_event, get_event
from flo_comms.registrations import add_candidates, register_by_link
from flo_comms.timezones import now_utc
from ui.text import plain

from .helpers import add_candidate, log_entry, open_profile, shown_entries, subjects

SENDER = "Flo <no-reply@example.com>"
DAY = date.today() + timedelta(days=30)
LATER_DAY = DAY + timedelta(days=7)


def _event(
    engine, member, title: str, event_type: EventType, invite_only: bool, day=DAY
) -> int:
    in_person = event_type is EventType.IN_PERSON
    details = EventDetails(
        event_type=event_type,
        invite_only=invite_only,
        title=title,
        day=day,
        start_time=time(14, 0),
        end_time=time(16, 0),
        time_zone="Europe/Berlin",
        place="Hall 3, Messe Berlin" if in_person else "",
        link="" if in_person else "https://meet.example.com/flo",
    )
    return create_event(engine, member, details)


@pytest.fixture
def emails(database, team) -> dict[str, int]:
    """Casey registered for a webinar and was added to a meetup; Olive to another."""
    with database.engine() as engine:
        webinar = _event(
            engine, team.ada, "Data careers webinar", EventType.WEBINAR, True
        )
        meetup = _event(
            engine,
            team.ada,
            "Berlin hiring meetup",
            EventType.IN_PERSON,
            False,
            day=LATER_DAY,
        )
        chat = _event(
            engine, team.ada, "Olive's virtual chat", EventType.VIRTUAL_CHAT, False
        )
        casey = add_candidate(engine, "Casey Candidate", "casey@example.org")
        olive = add_candidate(engine, "Olive Other", "olive@example.org")
        register_by_link(
            engine,
            get_event(engine, webinar).registration_token,
            name="Casey Candidate",
            email="casey@example.org",
            from_address=SENDER,
        )
        add_candidates(
            engine,
            team.ada,
            meetup,
            candidate_ids=[casey],
            request_profile=False,
            from_address=SENDER,
        )
        add_candidates(
            engine,
            team.ada,
            chat,
            candidate_ids=[olive],
            request_profile=False,
            from_address=SENDER,
        )
        log_entry(engine, team.rita, casey, now_utc() - timedelta(days=3))
        return {
            "casey": casey,
            "olive": olive,
            "webinar": webinar,
            "meetup": meetup,
            "chat": chat,
        }


def test_an_event_email_names_the_event_and_its_kind(app, team, emails):
    at = open_profile(app(team.rita), emails["casey"])

    [confirmation] = [
        entry
        for entry in shown_entries(at)
        if entry.subject == f"**{plain('You are registered: Data careers webinar')}**"
    ]
    facts = "\n".join(confirmation.details)
    assert f"**Event:** {plain('Data careers webinar (Webinar, invite only)')}" in facts
    assert "**Email:** registration confirmation" in facts
    assert "**Source:** System generated" in facts


def test_the_event_filter_offers_only_this_candidates_events(app, team, emails):
    at = open_profile(app(team.rita), emails["casey"])

    offered = at.multiselect(key="tl_events").options

    # The latest event first.
    assert offered == [
        f"Berlin hiring meetup · In-person event, open · {LATER_DAY:%-d %b %Y}",
        f"Data careers webinar · Webinar, invite only · {DAY:%-d %b %Y}",
    ]


def test_the_event_filter_narrows_the_timeline(app, team, emails):
    at = open_profile(app(team.rita), emails["casey"])
    assert len(shown_entries(at)) == 3

    at.multiselect(key="tl_events").set_value([emails["meetup"]]).run()

    assert not at.exception
    assert subjects(at) == [f"**{plain('Your place at Berlin hiring meetup')}**"]
    assert "1 of 1, newest first" in [c.value for c in at.caption]


def test_an_event_filter_that_matches_nothing_says_so(app, team, emails):
    at = open_profile(app(team.rita), emails["casey"])
    at.multiselect(key="tl_events").set_value([emails["webinar"]]).run()
    at.multiselect(key="tl_kinds").set_value(["reminder"]).run()

    assert [i.value for i in at.info] == [
        "No communication matches these filters; clear one to see more."
    ]


def test_another_profile_starts_without_the_event_filter(app, team, emails):
    at = open_profile(app(team.rita), emails["casey"])
    at.multiselect(key="tl_events").set_value([emails["webinar"]]).run()

    at = open_profile(at, emails["olive"])

    assert at.multiselect(key="tl_events").value == []
    assert at.multiselect(key="tl_events").options == [
        f"Olive's virtual chat · Virtual chat, open · {DAY:%-d %b %Y}"
    ]
    assert len(shown_entries(at)) == 1
