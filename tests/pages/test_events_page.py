"""The Events page: the list of outreach events, its filters, and + New event."""

from __future__ import annotations

from datetime import time

import pytest
from streamlit.testing.v1 import AppTest

from flo_comms.event_rules import EventType
from flo_comms.events import EVENT_PAGE_SIZE, cancel_event, get_event, list_events
from flo_comms.timezones import to_local
from ui.text import plain

from .event_helpers import add_event, in_days, open_events, register
from .helpers import add_candidate, open_dialogs, values


@pytest.fixture
def events(database, team) -> dict[str, int]:
    """Three upcoming events, one of them cancelled, and one past virtual chat."""
    with database.engine() as engine:
        evening = add_event(engine, team.ada, "Data careers evening")
        webinar = add_event(
            engine,
            team.rita,
            "Analytics webinar",
            event_type=EventType.WEBINAR,
            invite_only=True,
            day=in_days(20),
            zone="America/New_York",
        )
        cancelled = add_event(engine, team.ada, "Cancelled meetup", day=in_days(30))
        past = add_event(
            engine,
            team.ada,
            "Spring chat",
            event_type=EventType.VIRTUAL_CHAT,
            day=in_days(-40),
        )
        casey = add_candidate(engine, "Casey Candidate")
        olive = add_candidate(engine, "Olive Other")
        register(engine, team.ada, evening, casey, olive)
        register(engine, team.rita, webinar, add_candidate(engine, "Pat Pending"))
        cancel_event(engine, team.ada, cancelled)
    return {
        "evening": evening,
        "webinar": webinar,
        "cancelled": cancelled,
        "past": past,
    }


def row_texts(at: AppTest, event_id: int) -> list[str]:
    """What one row of the list shows, beside its title link."""
    [row] = [
        block
        for block in at.main
        if getattr(block, "key", None) == f"event_row_{event_id}"
    ]
    return values(row.text)


def titles(at: AppTest) -> list[str]:
    return values(at.main.get("page_link"))


def test_the_list_shows_upcoming_events_soonest_first(app, team, events):
    at = open_events(app(team.ada))

    assert not at.exception
    assert titles(at) == [
        "Data careers evening",
        "Analytics webinar",
        "Cancelled meetup",
    ]
    assert values(at.caption) == [
        "1–3 of 3 events · Registered: approved or waiting for review, not those denied"
    ]
    evening = row_texts(at, events["evening"])
    assert evening[0] == "In-person event, open"
    # The event's own time zone, then the viewer's (Ada is in New York).
    when = evening[1].split("\n")
    assert when[0].endswith("18:00–20:00 CET (Europe/Berlin)")
    assert when[1].startswith("your time: ") and when[1].endswith("12:00–14:00 EST")
    assert evening[2:] == ["scheduled", "2", "—"]
    assert row_texts(at, events["webinar"])[0] == "Webinar, invite only"
    assert row_texts(at, events["webinar"])[2:] == ["scheduled", "1", "1"]
    assert row_texts(at, events["cancelled"])[2] == "cancelled"


def test_a_title_opens_the_events_page(app, team, events):
    at = open_events(app(team.rita))

    links = {link.value: link.proto for link in at.main.get("page_link")}
    # "event" is the url_path app.py gives views/event.py.
    assert links["Analytics webinar"].page == "event"
    assert links["Analytics webinar"].query_string == f"event={events['webinar']}"


def test_past_all_type_and_title_filters_narrow_the_list(app, team, events):
    at = open_events(app(team.ada))

    at.segmented_control(key="events_when").set_value("past").run()
    assert titles(at) == ["Spring chat"]
    assert row_texts(at, events["past"])[2] == "ended"

    at.segmented_control(key="events_when").set_value("all").run()
    assert len(titles(at)) == 4

    at.multiselect(key="events_types").set_value(["webinar", "virtual chat"]).run()
    assert titles(at) == ["Analytics webinar", "Spring chat"]

    at.text_input(key="events_text").input("analytics").run()
    assert titles(at) == ["Analytics webinar"]

    at.text_input(key="events_text").input("zebra").run()
    assert values(at.info) == ["No event matches these filters; clear one to see more."]
    assert not titles(at)


def test_an_empty_database_says_there_are_no_upcoming_events(app, team):
    at = open_events(app(team.ada))

    assert values(at.info) == ["No upcoming events."]


def fill_new_event(at: AppTest) -> AppTest:
    at.selectbox(key="ev_type").set_value("webinar")
    at.radio(key="ev_invite_only").set_value(True)
    at.run()
    at.text_input(key="ev_title").input("Careers in data science")
    at.date_input(key="ev_day").set_value(in_days(10))
    at.time_input(key="ev_start").set_value(time(16, 0))
    at.time_input(key="ev_end").set_value(time(17, 30))
    at.selectbox(key="ev_zone").set_value("Europe/London")
    at.text_input(key="ev_link").input("https://meet.example.com/careers")
    at.text_area(key="ev_agenda").input("Panel, then questions.")
    at.text_area(key="ev_notes").input("Ask Rita about the panel.")
    at.selectbox(key="ev_reminder").set_value(120)
    at.selectbox(key="ev_follow_up").set_value(60)
    return at.run()


def test_creating_an_event_saves_it_and_opens_its_page(app, team, database):
    at = open_events(app(team.rita))
    at.button(key="new_event").click().run()

    [dialog] = open_dialogs(at)
    assert dialog.proto.dialog.title == "New event"
    # The time zone starts as the member's own: Rita is in Berlin.
    assert at.selectbox(key="ev_zone").value == "Europe/Berlin"
    assert at.selectbox(key="ev_reminder").value == 24 * 60
    fill_new_event(at)
    at.button(key="ev_save").click().run()

    assert not at.exception
    assert not open_dialogs(at)
    with database.engine() as engine:
        [row] = list_events(engine).rows
        event = get_event(engine, row.id)
    assert event.title == "Careers in data science"
    assert event.event_type is EventType.WEBINAR and event.invite_only
    assert event.time_zone == "Europe/London"
    assert to_local(event.starts_at, "Europe/London").time() == time(16, 0)
    assert to_local(event.ends_at, "Europe/London").time() == time(17, 30)
    assert event.link == "https://meet.example.com/careers"
    assert event.internal_notes == "Ask Rita about the panel."
    assert (event.reminder_minutes_before, event.follow_up_minutes_after) == (120, 60)
    assert event.created_by == team.rita.id
    # The new event's own page is open, with the toast saying it was created.
    assert at.query_params["event"] == str(event.id)
    assert values(at.title) == ["Careers in data science"]
    assert "created" in at.toast[0].value


def test_an_event_created_in_the_past_is_saved_and_the_member_told(app, team):
    at = open_events(app(team.rita))
    at.button(key="new_event").click().run()
    fill_new_event(at)
    at.date_input(key="ev_day").set_value(in_days(-3))
    at.button(key="ev_save").click().run()

    assert not at.exception
    assert at.toast[0].value.endswith(
        "created. Its date has passed: it is listed with past events."
    )


def test_a_form_with_mistakes_shows_them_beside_the_fields_and_saves_nothing(
    app, team, database
):
    at = open_events(app(team.ada))
    at.button(key="new_event").click().run()
    at.time_input(key="ev_end").set_value(time(9, 0))
    at.button(key="ev_save").click().run()

    [dialog] = open_dialogs(at)
    shown = values(dialog.error)
    assert plain("Choose in-person event, webinar or virtual chat.") in shown
    assert plain("Enter the event's title.") in shown
    assert plain("Enter the event's date.") in shown

    at.selectbox(key="ev_type").set_value("in-person event").run()
    at.text_input(key="ev_title").input("Open day")
    at.date_input(key="ev_day").set_value(in_days(3))
    at.button(key="ev_save").click().run()

    [dialog] = open_dialogs(at)
    shown = values(dialog.error)
    assert plain("Enter where the event takes place.") in shown
    assert any("The end must come after the start" in message for message in shown)
    assert at.text_input(key="ev_title").value == "Open day"
    with database.engine() as engine:
        assert list_events(engine, when="all").total == 0


def test_cancelling_the_form_saves_nothing(app, team, database):
    at = open_events(app(team.ada))
    at.button(key="new_event").click().run()
    at.text_input(key="ev_title").input("Never saved")
    at.button(key="ev_cancel").click().run()

    assert not open_dialogs(at)
    with database.engine() as engine:
        assert list_events(engine, when="all").total == 0


def test_a_manager_reads_the_list_but_cannot_create(app, team, events):
    at = open_events(app(team.manu))

    assert not at.exception
    assert len(titles(at)) == 3
    assert "new_event" not in {button.key for button in at.main.button}
    assert "Managers read events; admins and recruiters run them." in values(at.caption)


def test_more_than_a_page_of_events_is_paged_and_kept_after_visiting_one(
    app, team, database
):
    with database.engine() as engine:
        ids = [
            add_event(engine, team.ada, f"Meetup {n:02d}", day=in_days(n + 1))
            for n in range(EVENT_PAGE_SIZE + 2)
        ]
    at = open_events(app(team.ada))
    assert values(at.caption) == [
        f"1–{EVENT_PAGE_SIZE} of {len(ids)} events · Registered: approved or "
        "waiting for review, not those denied"
    ]

    at.get("pagination")[0].select(2).run()
    assert titles(at) == [f"Meetup {n:02d}" for n in range(EVENT_PAGE_SIZE, len(ids))]

    at.switch_page("views/event.py")
    at.query_params["event"] = str(ids[-1])
    at.run()
    at.switch_page("views/events.py")
    at.query_params.clear()
    at.run()

    assert titles(at) == [f"Meetup {n:02d}" for n in range(EVENT_PAGE_SIZE, len(ids))]
