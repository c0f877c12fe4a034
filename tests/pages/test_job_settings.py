"""Job email settings on the Jobs page: cc and bcc members, the status emails."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from flo_comms.email_templates import status_templates
from flo_comms.jobs import create_application, create_job, job_email_copies

from .helpers import add_candidate, open_dialogs, values


@pytest.fixture
def job(database) -> dict[str, int]:
    with database.engine() as engine:
        job = create_job(engine, "Data Analyst")
        casey = add_candidate(engine, "Casey Candidate", "casey@example.org")
        return {
            "job": job,
            "casey": casey,
            "app": create_application(engine, job, casey),
        }


def open_jobs(at: AppTest) -> AppTest:
    at.switch_page("views/jobs.py")
    return at.run()


def expander_labels(at: AppTest) -> list[str]:
    return [e.label for e in at.main.expander]


def test_a_recruiter_sets_the_jobs_cc_and_bcc_and_the_email_carries_them(
    app, team, database, job
):
    at = open_jobs(app(team.rita))
    assert expander_labels(at) == ["Email copies for this job"]
    at.multiselect(key=f"copies_cc_{job['job']}").set_value([team.ada.id])
    at.multiselect(key=f"copies_bcc_{job['job']}").set_value([team.manu.id])
    at.button(key=f"copies_save_{job['job']}").click().run()

    assert not at.exception
    assert "saved" in at.toast[0].value
    with database.engine() as engine:
        copies = job_email_copies(engine, job["job"])
    assert [m.id for m in copies.cc] == [team.ada.id]
    assert [m.id for m in copies.bcc] == [team.manu.id]

    at.button(key=f"change_status_{job['app']}").click().run()
    at.selectbox(key="sc_new_status").set_value("Offer").run()
    [dialog] = open_dialogs(at)
    shown = values(dialog.text)
    assert "Cc: Ada Admin <ada.admin@example.com>" in shown
    assert "Bcc: Manu Manager <manu.manager@example.com>" in shown


def test_a_member_in_cc_and_bcc_is_refused_beside_the_bcc_field(
    app, team, database, job
):
    at = open_jobs(app(team.rita))
    at.multiselect(key=f"copies_cc_{job['job']}").set_value([team.ada.id])
    at.multiselect(key=f"copies_bcc_{job['job']}").set_value([team.ada.id])
    at.button(key=f"copies_save_{job['job']}").click().run()

    assert not at.exception
    [error] = at.main.error
    assert "in cc already" in error.value
    with database.engine() as engine:
        assert job_email_copies(engine, job["job"]).cc == ()


def test_an_admin_edits_a_status_email_with_errors_beside_the_field(
    app, team, database, job
):
    at = open_jobs(app(team.ada))
    assert expander_labels(at) == [
        "Email copies for this job",
        "Status emails (admins)",
    ]
    at.selectbox(key="tpl_status").set_value("Screening").run()
    assert at.toggle(key="tpl_enabled_Screening").value is False
    at.toggle(key="tpl_enabled_Screening").set_value(True)
    at.text_input(key="tpl_subject_Screening").input("About {{ job.nme }}")
    at.button(key="tpl_save_Screening").click().run()

    assert not at.exception
    [error] = at.main.error
    assert "nme" in error.value

    at.text_input(key="tpl_subject_Screening").input("Screening for {{ job.title }}")
    at.button(key="tpl_save_Screening").click().run()
    assert not at.main.error
    with database.engine() as engine:
        screening = {t.status: t for t in status_templates(engine)}["Screening"]
    assert screening.enabled and screening.subject == "Screening for {{ job.title }}"

    at.button(key=f"change_status_{job['app']}").click().run()
    at.selectbox(key="sc_new_status").set_value("Screening").run()
    [dialog] = open_dialogs(at)
    assert "Subject: Screening for Data Analyst" in values(dialog.text)


def test_a_manager_sees_no_settings(app, team, job):
    at = open_jobs(app(team.manu))

    assert not at.exception
    assert expander_labels(at) == []
