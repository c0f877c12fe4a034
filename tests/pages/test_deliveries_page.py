"""The admins' Deliveries page: failed emails by default, each with a retry."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from flo_comms.delivery import list_deliveries
from flo_comms.job_emails import change_status
from flo_comms.jobs import create_application, create_job
from flo_comms.schema import email_deliveries
from flo_comms.system_emails import DeliveryState

from .helpers import add_candidate, values


@pytest.fixture
def failed(database, team) -> int:
    """Casey's offer email, whose delivery failed; Olive's, still queued."""
    with database.engine() as engine:
        job = create_job(engine, "Data Analyst")
        for name in ("Casey Candidate", "Olive Other"):
            application = create_application(engine, job, add_candidate(engine, name))
            change_status(
                engine, team.rita, application, "Offer", from_address="hr@example.com"
            )
        [casey, _olive] = sorted(list_deliveries(engine).entries, key=lambda d: d.id)
        with engine.begin() as connection:
            connection.execute(
                email_deliveries.update()
                .where(email_deliveries.c.id == casey.id)
                .values(
                    state=DeliveryState.FAILED.value,
                    attempts=6,
                    last_error="Connection refused by smtp.example.com",
                    next_attempt_at=None,
                )
            )
    return casey.id


def open_deliveries(at: AppTest) -> AppTest:
    at.switch_page("views/deliveries.py")
    return at.run()


def test_an_admin_sees_failed_deliveries_and_retries_one(app, team, database, failed):
    at = open_deliveries(app(team.ada))

    assert not at.exception
    assert at.selectbox(key="deliveries_state").value == "failed"
    shown = values(at.main.text)
    assert "Last error: Connection refused by smtp.example.com" in shown
    assert any(line.startswith("To: Casey Candidate <") for line in shown)
    assert [b.key for b in at.main.button] == [f"retry_{failed}"]

    at.button(key=f"retry_{failed}").click().run()

    assert not at.exception
    assert "Queued again" in at.toast[0].value
    assert "No email has failed." in values(at.main.info)
    with database.engine() as engine:
        queued = list_deliveries(engine, DeliveryState.QUEUED).entries
    assert failed in [d.id for d in queued]


def test_all_deliveries_can_be_listed(app, team, failed):
    at = open_deliveries(app(team.ada))
    at.selectbox(key="deliveries_state").set_value("all").run()

    assert not at.exception
    assert len([t for t in values(at.main.text) if t.startswith("To: ")]) == 2


@pytest.mark.parametrize("who", ["rita", "manu"])
def test_others_have_no_deliveries_page(app, team, failed, who):
    at = open_deliveries(app(getattr(team, who)))

    assert not at.exception
    assert not [b for b in at.main.button if (b.key or "").startswith("retry_")]
    assert "Email deliveries" not in values(at.main.title)


@pytest.mark.parametrize(
    ("state", "said"),
    [
        ("sending", "No email is being sent right now."),
        ("sent", "No email has been sent yet."),
    ],
)
def test_a_state_with_no_email_says_so_in_words(app, team, failed, state, said):
    at = open_deliveries(app(team.ada))

    at.selectbox(key="deliveries_state").set_value(state).run()

    assert values(at.main.info) == [said]
