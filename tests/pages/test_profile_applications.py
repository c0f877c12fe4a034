"""The Applications section of a candidate's profile and its Change status."""

from __future__ import annotations

import pytest

from flo_comms.communications import Source
from flo_comms.jobs import create_application, create_job, get_application

from .helpers import add_candidate, open_dialogs, open_profile, shown_entries, values


@pytest.fixture
def casey(database) -> dict[str, int]:
    """Casey, who applied to Data Analyst and Designer; Olive, who applied nowhere."""
    with database.engine() as engine:
        analyst = create_job(engine, "Data Analyst")
        designer = create_job(engine, "Designer")
        casey = add_candidate(engine, "Casey Candidate", "casey@example.org")
        olive = add_candidate(engine, "Olive Other", "olive@example.org")
        return {
            "id": casey,
            "olive": olive,
            "analyst_app": create_application(engine, analyst, casey),
            "designer_app": create_application(engine, designer, casey),
        }


def test_the_profile_lists_applications_and_changes_a_status_with_its_email(
    app, team, database, casey
):
    at = open_profile(app(team.rita), casey["id"])

    assert not at.exception
    [section] = at.main.expander
    assert section.label == "Applications (2)"
    assert {"Data Analyst", "Designer"} <= set(values(section.text))
    at.button(key=f"change_status_{casey['analyst_app']}").click().run()
    at.selectbox(key="sc_new_status").set_value("Offer").run()
    [dialog] = open_dialogs(at)
    assert "To: Casey Candidate <casey@example.org>" in values(dialog.text)
    at.button(key="sc_confirm").click().run()

    assert not at.exception
    assert not open_dialogs(at)
    assert "queued" in at.toast[0].value
    with database.engine() as engine:
        assert get_application(engine, casey["analyst_app"]).status == "Offer"
        assert get_application(engine, casey["designer_app"]).status == "New"
    [entry] = database.timeline(casey["id"]).entries
    assert (entry.source, entry.job_title) == (Source.SYSTEM, "Data Analyst")
    # The new email is on the tab at once, and the section shows the new status.
    assert [e.communication_id for e in shown_entries(at)] == [entry.id]
    assert "Offer" in values(at.main.expander[0].text)


def test_a_modal_opened_on_one_profile_does_not_follow_to_another(app, team, casey):
    at = open_profile(app(team.rita), casey["id"])
    at.button(key=f"change_status_{casey['analyst_app']}").click().run()
    assert open_dialogs(at)

    open_profile(at, casey["olive"])

    assert not at.exception
    assert not open_dialogs(at)
    assert not at.main.expander


def test_a_manager_sees_applications_without_the_action(app, team, casey):
    at = open_profile(app(team.manu), casey["id"])

    assert not at.exception
    assert at.main.expander[0].label == "Applications (2)"
    assert not [b for b in at.main.button if (b.key or "").startswith("change_")]
