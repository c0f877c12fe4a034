"""The public registration page of an outreach event: no sign-in, no member data."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from flo_comms import registrations as registrations_module
from flo_comms.candidates import find_candidate_by_email
from flo_comms.event_emails import format_event_time
from flo_comms.event_rules import EventType
from flo_comms.events import EventDetails, cancel_event, create_event, get_event
from flo_comms.registrations import list_registrations
from flo_comms.timeline import TimelinePage, candidate_timeline
from ui.text import plain

from .helpers import add_candidate, open_profile, shows_sign_in_form, values

REGISTER = "FormSubmitter:registration-Register"
SESSION_KEY = "registration_session"
LINK = "https://meet.example.com/data-careers"
NOTES = "Budget approved by finance; ask Rita about catering."
AGENDA = "14:00 Welcome\n14:15 What a data analyst does all day\n15:30 Questions"


def _details(title: str, event_type: EventType, invite_only: bool, **changes):
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
        "link": "" if in_person else LINK,
        "agenda": AGENDA,
        "internal_notes": NOTES,
    }
    return EventDetails(**{**fields, **changes})


@pytest.fixture
def make_event(database, team):
    """Create an event as Ada; return its id and registration token."""

    def make(title: str, event_type: EventType, invite_only: bool, **changes):
        with database.engine() as engine:
            event_id = create_event(
                engine, team.ada, _details(title, event_type, invite_only, **changes)
            )
            return event_id, get_event(engine, event_id).registration_token

    return make


@pytest.fixture
def webinar(make_event) -> tuple[int, str]:
    return make_event("Data careers webinar", EventType.WEBINAR, invite_only=False)


def open_registration(app, token: str | None, member=None) -> AppTest:
    """Open /register?event=<token> the way the shared link does."""
    at = app(member)
    at.switch_page("views/register.py")
    if token is not None:
        at.query_params["event"] = token
    return at.run()


def register(at: AppTest, name: str, email: str) -> AppTest:
    at.text_input(key="reg_name").input(name)
    at.text_input(key="reg_email").input(email)
    return at.button(key=REGISTER).click().run()


def shown_text(at: AppTest) -> str:
    """Everything the page shows in its main area and sidebar, as one string."""
    nodes = [*at.main, *at.sidebar]
    return "\n".join(
        str(node.value)
        for node in nodes
        if not isinstance(node, Block) and isinstance(getattr(node, "value", None), str)
    )


def form_layout(at: AppTest) -> list[str]:
    """The registration form's fields and messages in screen order."""
    [form] = [
        node for node in at.main if isinstance(node, Block) and node.type == "form"
    ]
    layout = []
    for node in form:
        if node.type == "error":
            layout.append(f"error: {node.value}")
        elif not isinstance(node, Block) and getattr(node, "key", None):
            layout.append(node.key)
    return layout


def timeline_of(database, email: str) -> tuple[int, TimelinePage]:
    with database.engine() as engine:
        with engine.connect() as connection:
            candidate_id = find_candidate_by_email(connection, email)
        return candidate_id, candidate_timeline(engine, candidate_id)


def registrations(database, event_id: int) -> list[tuple[str, str, str]]:
    with database.engine() as engine:
        rows = list_registrations(engine, event_id).rows
    return [(r.name, r.email, r.review_state.value) for r in rows]


def test_the_link_shows_the_event_without_sign_in(app, database, webinar):
    event_id, token = webinar

    at = open_registration(app, token)

    assert not at.exception
    assert not shows_sign_in_form(at)
    assert values(at.title) == [plain("Data careers webinar")]
    assert values(at.caption)[0] == plain("Webinar, open")
    with database.engine() as engine:
        event = get_event(engine, event_id)
    when = format_event_time(event.starts_at, event.ends_at, "Europe/Berlin")
    assert when.endswith("14:00–16:00 (Europe/Berlin)")
    assert f"**When:** {plain(when)}" in values(at.markdown)[0]
    assert AGENDA in values(at.text)
    assert [w.key for w in at.text_input] == ["reg_name", "reg_email"]


def test_the_page_shows_no_link_no_notes_and_no_member(app, team, webinar):
    at = open_registration(app, webinar[1])

    shown = shown_text(at)
    assert "meet.example.com" not in shown
    assert "catering" not in shown
    assert team.ada.name not in shown and team.ada.email not in shown


def test_an_in_person_event_shows_its_place(app, make_event):
    _, token = make_event("Berlin hiring meetup", EventType.IN_PERSON, invite_only=True)

    at = open_registration(app, token)

    assert values(at.caption)[0] == plain("In-person event, invite only")
    assert f"**Where:** {plain('Hall 3, Messe Berlin')}" in values(at.markdown)[0]


def test_registering_creates_the_candidate_and_their_confirmation(
    app, database, webinar
):
    event_id, token = webinar

    at = register(open_registration(app, token), "Nadia Newcomer", "Nadia@Example.org ")

    assert not at.exception
    assert values(at.success) == [
        f"You are registered for {plain('“Data careers webinar”')}. A confirmation "
        f"is on its way to {plain('nadia@example.org')}."
    ]
    assert not at.text_input
    assert registrations(database, event_id) == [
        ("Nadia Newcomer", "nadia@example.org", "approved")
    ]
    candidate_id, timeline = timeline_of(database, "nadia@example.org")
    [confirmation] = timeline.entries
    assert confirmation.email_kind == "registration confirmation"
    assert confirmation.event_title == "Data careers webinar"
    assert confirmation.event_kind == "Webinar, open"
    assert [p.candidate_id for p in confirmation.to] == [candidate_id]
    # Open events send the details, the conferencing link with them.
    assert LINK in confirmation.body


def test_an_existing_candidate_is_found_by_address(app, database, webinar):
    _, token = webinar
    with database.engine() as engine:
        casey = add_candidate(engine, "Casey Candidate", "casey@example.org")

    register(open_registration(app, token), "Casey C.", "casey@example.org")

    candidate_id, timeline = timeline_of(database, "casey@example.org")
    assert candidate_id == casey
    assert [e.email_kind for e in timeline.entries] == ["registration confirmation"]


def test_an_invite_only_event_says_the_registration_will_be_reviewed(
    app, database, make_event
):
    event_id, token = make_event("Data careers webinar", EventType.WEBINAR, True)
    at = open_registration(app, token)
    assert "we review your registration" in values(at.caption)[-1]

    at = register(at, "Nadia Newcomer", "nadia@example.org")

    [message] = values(at.success)
    assert "we will review your registration and write to you." in message
    assert plain("nadia@example.org") in message
    assert registrations(database, event_id) == [
        ("Nadia Newcomer", "nadia@example.org", "pending")
    ]
    _, timeline = timeline_of(database, "nadia@example.org")
    [confirmation] = timeline.entries
    assert confirmation.event_kind == "Webinar, invite only"
    assert LINK not in confirmation.body


def test_registering_again_changes_nothing_and_says_so(app, database, webinar):
    event_id, token = webinar
    register(open_registration(app, token), "Nadia Newcomer", "nadia@example.org")

    at = register(open_registration(app, token), "Nadia N.", " NADIA@example.org")

    assert not at.success
    assert values(at.info) == [
        f"You were registered for {plain('“Data careers webinar”')} already; "
        "nothing changed."
    ]
    assert len(registrations(database, event_id)) == 1
    _, timeline = timeline_of(database, "nadia@example.org")
    assert timeline.total == 1


def test_a_second_click_on_register_keeps_the_confirmation(app, database, webinar):
    event_id, token = webinar
    first = register(open_registration(app, token), "Nadia N", "nadia@example.org")

    # The second click of a double click runs while the first one registers,
    # and Streamlit stops the first run before it writes its outcome into the
    # session: a session with the same key and no outcome is in that state.
    at = open_registration(app, token)
    at.session_state[SESSION_KEY] = first.session_state[SESSION_KEY]
    at = register(at, "Nadia N", "nadia@example.org ")

    assert values(at.success) == values(first.success)
    assert not at.info
    assert len(registrations(database, event_id)) == 1
    assert timeline_of(database, "nadia@example.org")[1].total == 1


def test_someone_else_can_register_from_the_same_screen(app, database, webinar):
    event_id, token = webinar
    at = register(open_registration(app, token), "Nadia N", "nadia@example.org")

    at = at.button(key="register_someone_else").click().run()
    assert at.text_input(key="reg_email").value == ""
    at = register(at, "Omar Other", "omar@example.org")

    assert plain("omar@example.org") in values(at.success)[0]
    assert len(registrations(database, event_id)) == 2


def test_the_same_address_again_after_register_someone_else_is_told_so(
    app, database, webinar
):
    event_id, token = webinar
    at = register(open_registration(app, token), "Nadia N", "nadia@example.org")

    at = at.button(key="register_someone_else").click().run()
    at = register(at, "Nadia N", "nadia@example.org")

    assert not at.success
    assert "already; nothing changed." in values(at.info)[0]
    assert len(registrations(database, event_id)) == 1


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        (
            "Nadia Newcomer",
            "nadia.example.org",
            [
                "reg_name",
                "reg_email",
                f"error: {plain('Enter an email address like name@example.com.')}",
            ],
        ),
        (
            "  ",
            "",
            [
                "reg_name",
                f"error: {plain('Enter your name.')}",
                "reg_email",
                f"error: {plain('Enter your email address.')}",
            ],
        ),
    ],
)
def test_bad_input_is_refused_beside_the_field(
    app, database, webinar, name, email, expected
):
    event_id, token = webinar

    at = register(open_registration(app, token), name, email)

    assert not at.exception
    assert form_layout(at) == [*expected, REGISTER]
    assert not at.success
    assert registrations(database, event_id) == []
    # What was typed stays, to be corrected.
    assert at.text_input(key="reg_email").value == email


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (
            "no-such-token",
            "This registration link does not lead to an event. Check that you "
            "copied the whole link, or ask the event's organisers for it again.",
        ),
        (
            "x" * 5000,
            "This registration link does not lead to an event. Check that you "
            "copied the whole link, or ask the event's organisers for it again.",
        ),
        (
            None,
            "This page needs an event's registration link. Open the link the "
            "event's organisers shared with you.",
        ),
    ],
)
def test_a_link_without_an_event_says_so_plainly(app, webinar, token, message):
    at = open_registration(app, token)

    assert not at.exception
    assert values(at.error) == [message]
    assert not at.text_input
    assert not at.title


def test_a_cancelled_event_takes_no_registrations(app, database, team, webinar):
    event_id, token = webinar
    with database.engine() as engine:
        cancel_event(engine, team.ada, event_id)

    at = open_registration(app, token)

    assert not at.exception
    assert values(at.warning) == [
        plain("“Data careers webinar” was cancelled. Registration is closed.")
    ]
    assert not at.text_input


def test_an_event_that_has_ended_takes_no_registrations(app, make_event):
    _, token = make_event(
        "Last month's webinar",
        EventType.WEBINAR,
        False,
        day=date.today() - timedelta(days=30),
    )

    at = open_registration(app, token)

    assert values(at.warning) == [
        plain("“Last month's webinar” has ended. Registration is closed.")
    ]
    assert not at.text_input


def test_an_event_cancelled_while_the_form_was_open_is_refused(
    app, database, team, webinar
):
    event_id, token = webinar
    at = open_registration(app, token)
    with database.engine() as engine:
        cancel_event(engine, team.ada, event_id)

    at = register(at, "Nadia Newcomer", "nadia@example.org")

    assert not at.exception
    assert plain("was cancelled. Registration is closed.") in values(at.warning)[0]
    assert registrations(database, event_id) == []


def test_a_signed_out_visitor_reaches_no_member_page_from_it(app, database, webinar):
    with database.engine() as engine:
        casey = add_candidate(engine, "Casey Candidate", "casey@example.org")
    at = open_registration(app, webinar[1])

    assert not at.sidebar.button and not at.sidebar.markdown
    assert not at.get("page_link")
    at = open_profile(at, casey)

    assert shows_sign_in_form(at)
    assert "Casey" not in shown_text(at)
    assert not at.tabs


def test_a_signed_in_member_sees_the_same_page(app, team, webinar):
    at = open_registration(app, webinar[1], member=team.rita)

    assert not at.exception
    assert values(at.title) == [plain("Data careers webinar")]
    assert [w.key for w in at.text_input] == ["reg_name", "reg_email"]


def test_a_database_failure_is_told_plainly_without_a_traceback(
    app, database, webinar, monkeypatch
):
    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT …", {}, Exception("server closed"))

    monkeypatch.setattr(registrations_module, "register_by_link", broken)
    at = open_registration(app, webinar[1])

    at = register(at, "Nadia Newcomer", "nadia@example.org")

    assert not at.exception
    assert values(at.error) == [
        plain(
            "Registration is not available just now. Please try again in a few minutes."
        )
    ]
    assert "server closed" not in shown_text(at)
    assert at.text_input(key="reg_email").value == "nadia@example.org"
