"""Sign-in: no page shows anything to someone who has not signed in."""

from __future__ import annotations

import gc

import pytest

from .helpers import (
    PASSWORD,
    add_candidate,
    open_profile,
    shows_sign_in_form,
    sign_in_with_form,
    values,
)

WRONG_PASSWORD_MESSAGE = "That email and password do not match an active member."


@pytest.fixture
def casey(database) -> int:
    """The one candidate; any member of the team signs in with PASSWORD."""
    with database.engine() as engine:
        return add_candidate(engine, "Casey Candidate")


def test_the_default_page_shows_only_the_sign_in_form(app, casey):
    at = app().run()

    assert shows_sign_in_form(at)
    assert values(at.title) == ["Flo Communications"]
    assert "Candidates" not in values(at.title)
    assert not at.get("page_link")
    assert not at.sidebar.button


def test_a_profile_link_shows_the_sign_in_form_and_not_the_profile(app, casey):
    at = open_profile(app(), casey)

    assert shows_sign_in_form(at)
    assert values(at.title) == ["Flo Communications"]
    assert not at.tabs
    assert not any("Casey" in text for text in values(at.caption) + values(at.title))


def test_a_wrong_password_shows_the_error_and_does_not_sign_in(app, team, casey):
    at = sign_in_with_form(app().run(), team.ada.email, "not the password")

    assert values(at.error) == [WRONG_PASSWORD_MESSAGE]
    assert "member" not in at.session_state
    assert shows_sign_in_form(at)
    assert "Candidates" not in values(at.title)


def test_an_unknown_address_gets_the_same_error_as_a_wrong_password(app, casey):
    at = sign_in_with_form(app().run(), "nobody@example.com", PASSWORD)

    assert values(at.error) == [WRONG_PASSWORD_MESSAGE]
    assert "member" not in at.session_state


def test_the_right_password_signs_in_and_shows_the_candidates_page(app, team, casey):
    # The address is matched whatever its case and surrounding spaces.
    at = sign_in_with_form(app().run(), "  ADA.Admin@example.com ", PASSWORD)

    assert not at.exception
    assert at.session_state["member"] == team.ada
    assert not shows_sign_in_form(at)
    assert values(at.title) == ["Candidates"]
    assert values(at.main.get("page_link")) == ["Casey Candidate"]
    assert "**Ada Admin**  \nAdmin · America/New_York" in values(at.sidebar.markdown)


def test_signing_in_on_a_deep_link_opens_the_linked_profile(app, team, casey):
    at = open_profile(app(), casey)
    assert shows_sign_in_form(at)

    at = sign_in_with_form(at, team.ada.email, PASSWORD)

    assert not at.exception
    assert values(at.title) == ["Casey Candidate"]
    assert [tab.label for tab in at.tabs] == ["Communications", "Profile"]


def test_sign_out_returns_to_the_sign_in_form(app, team, casey):
    at = app(team.ada).run()
    assert values(at.title) == ["Candidates"]

    [sign_out] = [b for b in at.sidebar.button if b.label == "Sign out"]
    sign_out.click().run()

    assert "member" not in at.session_state
    assert shows_sign_in_form(at)
    assert values(at.title) == ["Flo Communications"]
    assert not at.get("page_link")


def test_an_empty_database_tells_how_to_create_a_member(app, empty_database):
    at = app().run()

    assert shows_sign_in_form(at)
    [warning] = values(at.warning)
    assert "no members yet" in warning
    assert "flo-comms create-member" in warning
    assert "flo-comms demo" in warning


def test_a_database_with_members_shows_no_such_warning(app, casey):
    at = app().run()

    assert not at.warning


def test_the_first_run_freezes_what_start_up_left_for_the_collector(app, casey):
    # Nothing else in the test process calls gc.freeze: the app did.
    at = app().run()

    assert not at.exception
    assert gc.get_freeze_count() > 0
