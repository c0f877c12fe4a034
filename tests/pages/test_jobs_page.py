"""The Jobs page: a job's pipeline and the Change status modal."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from flo_comms.communications import Source
from flo_comms.job_emails import change_status
from flo_comms.jobs import ApplicationStatus, create_application, create_job
from flo_comms.jobs import get_application as read_application

from .helpers import add_candidate, open_dialogs, values


@pytest.fixture
def pipeline(database) -> dict[str, int]:
    """A Data Analyst job with Casey and Olive applied, and an empty Designer job."""
    with database.engine() as engine:
        job = create_job(engine, "Data Analyst", "Lisbon")
        create_job(engine, "Designer")
        casey = add_candidate(engine, "Casey Candidate", "casey@example.org")
        olive = add_candidate(engine, "Olive Other", "olive@example.org")
        return {
            "job": job,
            "casey": casey,
            "olive": olive,
            "casey_app": create_application(engine, job, casey),
            "olive_app": create_application(engine, job, olive),
        }


def open_jobs(at: AppTest) -> AppTest:
    at.switch_page("views/jobs.py")
    return at.run()


def status_of(database, application_id: int) -> ApplicationStatus:
    with database.engine() as engine:
        return read_application(engine, application_id).status


def open_change(at: AppTest, application_id: int, new_status: str) -> AppTest:
    at.button(key=f"change_status_{application_id}").click().run()
    at.selectbox(key="sc_new_status").set_value(new_status)
    return at.run()


def test_the_page_lists_the_chosen_jobs_pipeline(app, team, pipeline):
    at = open_jobs(app(team.rita))

    assert not at.exception
    assert at.selectbox(key="jobs_job").value == pipeline["job"]
    assert values(at.main.get("page_link")) == ["Casey Candidate", "Olive Other"]
    shown = values(at.main.text)
    assert shown.count("New") == 2
    assert shown.count("referral") == 2
    assert {b.key for b in at.main.button} >= {
        f"change_status_{pipeline['casey_app']}",
        f"change_status_{pipeline['olive_app']}",
    }


def test_a_status_change_with_an_email_puts_it_on_the_candidates_timeline(
    app, team, database, pipeline
):
    at = open_jobs(app(team.rita))
    open_change(at, pipeline["casey_app"], "Interview Scheduled")

    [dialog] = open_dialogs(at)
    shown = values(dialog.text)
    assert "To: Casey Candidate <casey@example.org>" in shown
    assert any(line.startswith("Subject: ") for line in shown)
    at.button(key="sc_confirm").click().run()

    assert not at.exception
    assert not open_dialogs(at)
    assert status_of(database, pipeline["casey_app"]) == "Interview Scheduled"
    [toast] = at.toast
    assert "casey@example.org" in toast.value and "queued" in toast.value
    [entry] = database.timeline(pipeline["casey"]).entries
    assert entry.source == Source.SYSTEM
    assert entry.job_title == "Data Analyst"
    assert entry.email_kind == "job status"
    assert [p.address for p in entry.to] == ["casey@example.org"]
    assert [p.member_id for p in entry.senders] == [team.rita.id]


def test_a_status_change_without_an_email_changes_the_status_only(
    app, team, database, pipeline
):
    at = open_jobs(app(team.ada))
    open_change(at, pipeline["olive_app"], "Screening")

    [dialog] = open_dialogs(at)
    assert any("No email will be sent" in w.value for w in dialog.warning)
    at.button(key="sc_confirm").click().run()

    assert not at.exception
    assert not open_dialogs(at)
    assert status_of(database, pipeline["olive_app"]) == "Screening"
    assert "no email sent" in at.toast[0].value
    assert database.timeline(pipeline["olive"]).total == 0


def test_a_change_made_meanwhile_is_refused_in_the_modal(app, team, database, pipeline):
    at = open_jobs(app(team.ada))
    open_change(at, pipeline["casey_app"], "Offer")
    with database.engine() as engine:
        change_status(
            engine,
            team.rita,
            pipeline["casey_app"],
            "Rejected",
            from_address="test@example.com",
        )
    at.button(key="sc_confirm").click().run()

    [dialog] = open_dialogs(at)
    assert any("a moment ago" in e.value for e in dialog.error)
    assert status_of(database, pipeline["casey_app"]) == "Rejected"
    assert database.timeline(pipeline["casey"]).total == 1


def test_a_manager_sees_the_pipeline_but_no_action(app, team, pipeline):
    at = open_jobs(app(team.manu))

    assert not at.exception
    assert values(at.main.get("page_link")) == ["Casey Candidate", "Olive Other"]
    assert not [b for b in at.main.button if (b.key or "").startswith("change_")]


def test_another_job_shows_its_own_empty_pipeline(app, team, pipeline):
    at = open_jobs(app(team.rita))
    jobs = at.selectbox(key="jobs_job")
    assert jobs.options == [
        "Data Analyst (Lisbon) · 2 applications",
        "Designer · 0 applications",
    ]
    jobs.select_index(1).run()

    assert not at.exception
    assert "No one has applied to this job yet." in values(at.main.info)
