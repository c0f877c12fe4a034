"""Request update and Send email from a candidate's profile."""

from __future__ import annotations

import pytest

from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.communications import Source
from flo_comms.jobs import create_application, create_job
from ui.text import plain

from .helpers import add_candidate, open_dialogs, open_profile, values


@pytest.fixture
def casey(database) -> dict[str, int]:
    with database.engine() as engine:
        job = create_job(engine, "Data Analyst")
        casey = add_candidate(engine, "Casey Candidate", "casey@example.org")
        nomail = create_candidate(
            engine, name="Nora Nomail", email=None, source=CandidateSource.REFERRAL
        )
        return {
            "id": casey,
            "app": create_application(engine, job, casey),
            "nomail": nomail,
        }


def test_request_update_sends_the_edited_message(app, team, database, casey):
    at = open_profile(app(team.rita), casey["id"])
    at.button(key=f"request_update_{casey['app']}").click().run()

    [dialog] = open_dialogs(at)
    assert "To: Casey Candidate <casey@example.org>" in values(dialog.text)
    message = at.text_area(key="ur_message")
    assert message.value.startswith("Hello Casey,")
    message.input("Hello Casey,\n\nPlease send your new CV.\n\nRita")
    at.button(key="ur_send").click().run()

    assert not at.exception
    assert not open_dialogs(at)
    assert "queued" in at.toast[0].value
    [entry] = database.timeline(casey["id"]).entries
    assert entry.source == Source.SYSTEM
    assert entry.email_kind == "update application request"
    assert entry.job_title == "Data Analyst"
    assert entry.body == "Hello Casey,\n\nPlease send your new CV.\n\nRita"


def test_an_empty_request_is_refused_beside_the_message(app, team, database, casey):
    at = open_profile(app(team.rita), casey["id"])
    at.button(key=f"request_update_{casey['app']}").click().run()
    at.text_area(key="ur_message").input("   ")
    at.button(key="ur_send").click().run()

    [dialog] = open_dialogs(at)
    assert values(dialog.error) == [plain("Enter the message to send.")]
    assert database.timeline(casey["id"]).total == 0


def test_send_email_with_copies_and_field_errors(app, team, database, casey):
    at = open_profile(app(team.ada), casey["id"])
    at.button(key="send_email").click().run()
    assert at.text_input(key="se_reply_to").value == team.ada.email
    at.button(key="se_send").click().run()

    [dialog] = open_dialogs(at)
    assert len(dialog.error) >= 2  # subject and body are required
    assert database.timeline(casey["id"]).total == 0

    at.multiselect(key="se_cc").set_value([team.rita.id])
    at.text_input(key="se_subject").input("Hello {{ candidate.first_name }}")
    at.text_area(key="se_body").input("A note from {{ sender.name }}.")
    at.button(key="se_send").click().run()

    assert not at.exception
    assert not open_dialogs(at)
    assert "Email queued." in at.toast[0].value
    [entry] = database.timeline(casey["id"]).entries
    assert entry.subject == "Hello Casey"
    assert entry.body == "A note from Ada Admin."
    assert [p.member_id for p in entry.cc] == [team.rita.id]


def test_send_email_names_a_candidate_without_an_address(app, team, casey):
    at = open_profile(app(team.ada), casey["nomail"])
    at.button(key="send_email").click().run()
    at.text_input(key="se_subject").input("Hello")
    at.text_area(key="se_body").input("A note.")
    at.button(key="se_send").click().run()

    assert not at.exception
    assert "Not sent to Nora Nomail" in at.toast[0].value


def test_a_manager_has_neither_action(app, team, casey):
    at = open_profile(app(team.manu), casey["id"])

    assert not at.exception
    keys = {b.key for b in at.main.button}
    assert "send_email" not in keys
    assert f"request_update_{casey['app']}" not in keys
