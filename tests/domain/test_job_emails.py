"""Job emails: status changes with their email, agency routing, update requests."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from flo_comms import job_emails
from flo_comms.agencies import create_agency, create_agency_contact
from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.demo import DEMO_FROM_ADDRESS, DemoSize, create_demo_data
from flo_comms.email_templates import DEFAULT_STATUS_EMAILS, save_status_template
from flo_comms.errors import NotFound, PermissionDenied, ValidationError
from flo_comms.job_emails import (
    StatusChangedMeanwhile,
    change_status,
    default_update_request_message,
    preview_status_change,
    request_application_update,
    update_request_draft,
)
from flo_comms.jobs import (
    ApplicationStatus,
    create_application,
    create_job,
    get_application,
    set_job_email_copies,
)
from flo_comms.members import create_member
from flo_comms.schema import (
    communication_candidates,
    communication_participants,
    communications,
    email_deliveries,
    members,
)
from flo_comms.system_emails import EmailKind
from flo_comms.timeline import (
    TimelineFilter,
    candidate_timeline,
    candidates_attached_to,
    get_communication,
)
from flo_comms.timezones import now_utc

FROM = "Flo Recruiting <jobs@flo.test>"
Status = ApplicationStatus
# The default emails' subjects, filled in for Casey's application to Data Analyst.
SUBJECTS_FOR_CASEY = {
    Status.INTERVIEW_SCHEDULED: "Interview invitation: Data Analyst",
    Status.OFFER: "An offer for you: Data Analyst",
    Status.HIRED: "Welcome aboard, Casey!",
    Status.REJECTED: "Your application for Data Analyst",
}


@pytest.fixture
def job_id(engine) -> int:
    return create_job(engine, "Data Analyst", "Berlin")


@pytest.fixture
def application_id(engine, job_id, candidate_id) -> int:
    return create_application(engine, job_id, candidate_id)


@pytest.fixture
def agency_contact_id(engine) -> int:
    agency_id = create_agency(engine, "Northwind Talent Partners")
    return create_agency_contact(
        engine, agency_id, "Avery Agent", "avery@northwind.example"
    )


@pytest.fixture
def agency_application_id(engine, job_id, agency_contact_id) -> tuple[int, int]:
    """(application, candidate) for a candidate an agency contact submitted."""
    candidate = create_candidate(
        engine,
        name="Dana Delegated",
        email="dana@example.org",
        source=CandidateSource.AGENCY,
        agency_contact_id=agency_contact_id,
    )
    return create_application(engine, job_id, candidate), candidate


def status_of(engine, application_id) -> Status:
    return get_application(engine, application_id).status


def deliveries(engine) -> list[sa.Row]:
    with engine.connect() as connection:
        return connection.execute(sa.select(email_deliveries)).all()


def assert_nothing_logged(rows_in) -> None:
    for table in (
        communications,
        communication_participants,
        communication_candidates,
        email_deliveries,
    ):
        assert rows_in(table) == 0, table.name


# --- each status, with and without an email -----------------------------------


@pytest.mark.parametrize("status", list(Status), ids=[s.value for s in Status])
def test_a_status_sends_one_email_exactly_when_its_template_is_switched_on(
    engine, recruiter, application_id, rows_in, status
):
    if status == Status.NEW:  # the application starts at New: move it away first
        change_status(
            engine, recruiter, application_id, Status.SCREENING, from_address=FROM
        )
    sends = status in DEFAULT_STATUS_EMAILS

    result = change_status(engine, recruiter, application_id, status, from_address=FROM)

    assert status_of(engine, application_id) == status
    assert rows_in(communications) == rows_in(email_deliveries) == int(sends)
    if sends:
        entry = get_communication(engine, result.communication_id)
        assert entry.email_kind == EmailKind.JOB_STATUS
        assert entry.subject == SUBJECTS_FOR_CASEY[status]
        assert entry.body.startswith("Hello Casey,")
        assert "Data Analyst" in entry.body
        assert result.not_sent_reason is None
    else:
        assert result.communication_id is None
        assert result.not_sent_reason == f"The {status} status sends no email."


def test_a_status_an_admin_switched_on_sends_and_one_switched_off_does_not(
    engine, admin, recruiter, application_id, rows_in
):
    save_status_template(
        engine,
        admin,
        Status.SCREENING,
        True,
        "{{ job.title }}: we are reading your application",
        "Hi {{ candidate.first_name }}, now at {{ status }}.",
    )
    offer = DEFAULT_STATUS_EMAILS[Status.OFFER]
    save_status_template(engine, admin, Status.OFFER, False, offer.subject, offer.body)

    screening = change_status(
        engine, recruiter, application_id, Status.SCREENING, from_address=FROM
    )
    offered = change_status(
        engine, recruiter, application_id, Status.OFFER, from_address=FROM
    )

    entry = get_communication(engine, screening.communication_id)
    assert entry.subject == "Data Analyst: we are reading your application"
    assert entry.body == "Hi Casey, now at Screening."
    assert offered.communication_id is None
    assert rows_in(communications) == 1


def test_the_logged_email_carries_every_fact_the_timeline_shows(
    engine, recruiter, application_id, candidate_id
):
    before = now_utc()

    result = change_status(
        engine, recruiter, application_id, Status.INTERVIEW_SCHEDULED, from_address=FROM
    )

    entry = get_communication(engine, result.communication_id)
    assert entry.source == "system"
    assert entry.job_title == "Data Analyst"
    assert entry.subject == "Interview invitation: Data Analyst"
    assert entry.logged_by_name == "Rita Recruiter"
    assert [p.label for p in entry.senders] == [
        "Rita Recruiter <rita.recruiter@example.com>"
    ]
    assert [(p.label, p.candidate_id) for p in entry.to] == [
        ("Casey Candidate <casey@example.org>", candidate_id)
    ]
    assert (entry.cc, entry.bcc) == ([], [])
    assert "invite you to an interview" in entry.body
    assert before <= entry.occurred_at <= now_utc()
    [queued] = deliveries(engine)
    assert (queued.state, queued.from_address, queued.reply_to) == (
        "queued",
        FROM,
        "rita.recruiter@example.com",
    )


def test_cc_and_bcc_come_from_the_jobs_settings(
    engine, admin, recruiter, manager, job_id, application_id
):
    set_job_email_copies(engine, admin, job_id, [recruiter.id], [manager.id])

    result = change_status(
        engine, admin, application_id, Status.OFFER, from_address=FROM
    )

    entry = get_communication(engine, result.communication_id)
    assert [(p.name, p.member_id) for p in entry.cc] == [
        ("Rita Recruiter", recruiter.id)
    ]
    assert [(p.name, p.member_id) for p in entry.bcc] == [("Manu Manager", manager.id)]
    assert [p.name for p in entry.senders] == ["Ada Admin"]


# --- agency routing -----------------------------------------------------------


def test_an_agency_candidates_email_goes_to_the_contact_and_shows_on_the_candidates_tab(
    engine, recruiter, agency_application_id, agency_contact_id
):
    application_id, candidate = agency_application_id

    result = change_status(
        engine, recruiter, application_id, Status.OFFER, from_address=FROM
    )

    entry = get_communication(engine, result.communication_id)
    assert [(p.label, p.agency_contact_id, p.candidate_id) for p in entry.to] == [
        ("Avery Agent <avery@northwind.example>", agency_contact_id, None)
    ]
    assert candidates_attached_to(engine, result.communication_id) == {candidate}
    tab = candidate_timeline(
        engine, candidate, TimelineFilter(sources=frozenset({"system"}))
    )
    [shown] = tab.entries
    assert (shown.id, shown.source, shown.job_title, shown.email_kind) == (
        result.communication_id,
        "system",
        "Data Analyst",
        "job status",
    )
    # The email is about the candidate, whoever receives it.
    assert shown.body.startswith("Hello Dana,")


def test_an_agency_candidate_without_a_contact_is_emailed_directly(
    engine, recruiter, job_id
):
    candidate = create_candidate(
        engine, name="Sol Solo", email="sol@example.org", source=CandidateSource.AGENCY
    )
    application_id = create_application(engine, job_id, candidate)

    result = change_status(
        engine, recruiter, application_id, Status.OFFER, from_address=FROM
    )

    to = get_communication(engine, result.communication_id).to
    assert [(p.address, p.candidate_id) for p in to] == [("sol@example.org", candidate)]


def test_a_candidate_with_no_address_changes_status_and_the_member_is_told_why_no_email(
    engine, recruiter, job_id, rows_in
):
    candidate = create_candidate(
        engine, name="Nadia Nomail", email=None, source=CandidateSource.REFERRAL
    )
    application_id = create_application(engine, job_id, candidate)

    preview = preview_status_change(engine, recruiter, application_id, Status.OFFER)
    result = change_status(
        engine, recruiter, application_id, Status.OFFER, from_address=FROM
    )

    assert status_of(engine, application_id) == Status.OFFER
    assert result.communication_id is None
    assert result.not_sent_reason == preview.not_sent_reason
    assert "Nadia Nomail has no email address" in result.not_sent_reason
    assert not preview.will_send
    assert_nothing_logged(rows_in)


# --- preview, refusals, atomicity ---------------------------------------------


def test_the_preview_shows_the_email_and_writes_nothing(
    engine, admin, recruiter, manager, job_id, application_id, rows_in
):
    set_job_email_copies(engine, admin, job_id, [admin.id], [manager.id])

    preview = preview_status_change(engine, recruiter, application_id, "Hired")

    assert (preview.old_status, preview.new_status, preview.will_send) == (
        Status.NEW,
        Status.HIRED,
        True,
    )
    assert preview.subject == "Welcome aboard, Casey!"
    assert "joining us as Data Analyst" in preview.body
    assert [p.address for p in preview.to] == ["casey@example.org"]
    assert [p.name for p in preview.cc] == ["Ada Admin"]
    assert [p.name for p in preview.bcc] == ["Manu Manager"]
    assert preview.sender.name == "Rita Recruiter"
    assert status_of(engine, application_id) == Status.NEW
    assert_nothing_logged(rows_in)


def test_a_preview_of_a_status_without_email_says_so(engine, recruiter, application_id):
    preview = preview_status_change(
        engine, recruiter, application_id, Status.INTERVIEWED
    )

    assert not preview.will_send
    assert (preview.subject, preview.body, preview.to) == (None, None, ())
    assert preview.not_sent_reason == "The Interviewed status sends no email."


def test_a_failure_while_logging_leaves_the_status_unchanged_and_nothing_queued(
    engine, recruiter, application_id, rows_in, monkeypatch
):
    real_log = job_emails.log_system_email

    def log_then_fail(connection, email, *, from_address, sent_at=None):
        real_log(connection, email, from_address=from_address, sent_at=sent_at)
        # The rows are written; then the transaction fails.
        raise RuntimeError("disk full")

    monkeypatch.setattr(job_emails, "log_system_email", log_then_fail)

    with pytest.raises(RuntimeError, match="disk full"):
        change_status(
            engine, recruiter, application_id, Status.OFFER, from_address=FROM
        )

    assert status_of(engine, application_id) == Status.NEW
    assert_nothing_logged(rows_in)


def test_a_status_email_that_fails_on_this_applications_data_refuses_the_change(
    engine, admin, recruiter, application_id, rows_in
):
    # "Jordan Example", the sample it was checked on, has 14 characters and
    # renders; "Casey Candidate" has 15 and divides by zero.
    save_status_template(
        engine,
        admin,
        Status.OFFER,
        True,
        "Offer",
        "{{ 100 // (candidate.name|length - 15) }}",
    )

    with pytest.raises(ValidationError) as refused:
        change_status(
            engine, recruiter, application_id, Status.OFFER, from_address=FROM
        )

    message = refused.value.errors["template"]
    assert message.startswith("The Offer email template failed on this application.")
    assert "by zero" in message
    assert "An admin can correct it" in message
    assert status_of(engine, application_id) == Status.NEW
    assert_nothing_logged(rows_in)


@pytest.mark.parametrize(
    "action",
    ["preview", "change", "update request"],
)
def test_a_manager_may_not_change_statuses_or_send_job_emails(
    engine, manager, application_id, rows_in, action
):
    calls = {
        "preview": lambda: preview_status_change(
            engine, manager, application_id, Status.OFFER
        ),
        "change": lambda: change_status(
            engine, manager, application_id, Status.OFFER, from_address=FROM
        ),
        "update request": lambda: request_application_update(
            engine, manager, application_id, "Please update.", from_address=FROM
        ),
    }

    with pytest.raises(PermissionDenied, match="only admins and recruiters"):
        calls[action]()

    assert status_of(engine, application_id) == Status.NEW
    assert_nothing_logged(rows_in)


def test_a_change_based_on_a_stale_status_is_refused_and_sends_nothing_more(
    engine, admin, recruiter, application_id, rows_in
):
    change_status(engine, admin, application_id, Status.REJECTED, from_address=FROM)

    with pytest.raises(StatusChangedMeanwhile, match="from New to Rejected") as refused:
        change_status(
            engine,
            recruiter,
            application_id,
            Status.OFFER,
            from_address=FROM,
            expected_old_status=Status.NEW,
        )

    assert refused.value.current == Status.REJECTED
    assert status_of(engine, application_id) == Status.REJECTED
    assert rows_in(communications) == rows_in(email_deliveries) == 1


def test_two_members_racing_on_two_threads_send_one_email(
    engine, admin, recruiter, application_id, rows_in
):
    start_together = threading.Barrier(2)
    outcomes: list[str] = []

    def change(member, status) -> None:
        start_together.wait()
        try:
            change_status(
                engine,
                member,
                application_id,
                status,
                from_address=FROM,
                expected_old_status=Status.NEW,
            )
            outcomes.append("changed")
        except StatusChangedMeanwhile:
            outcomes.append("refused")

    racers = [
        threading.Thread(target=change, args=(admin, Status.OFFER)),
        threading.Thread(target=change, args=(recruiter, Status.REJECTED)),
    ]
    for thread in racers:
        thread.start()
    for thread in racers:
        thread.join()

    assert sorted(outcomes) == ["changed", "refused"]
    assert rows_in(communications) == rows_in(email_deliveries) == 1


def test_moving_to_the_status_it_already_has_is_refused(
    engine, recruiter, application_id
):
    with pytest.raises(ValidationError) as refused:
        change_status(engine, recruiter, application_id, Status.NEW, from_address=FROM)

    assert refused.value.errors == {
        "status": "The application is at New already; choose another."
    }


@pytest.mark.parametrize("status", ["Ghosted", "offer"])
def test_an_unknown_status_is_refused(engine, recruiter, application_id, status):
    with pytest.raises(ValidationError) as refused:
        preview_status_change(engine, recruiter, application_id, status)

    assert "is not an application status" in refused.value.errors["status"]


def test_an_unknown_application_is_reported_as_not_found(engine, recruiter):
    with pytest.raises(NotFound):
        change_status(engine, recruiter, 404, Status.OFFER, from_address=FROM)


# --- update application requests ----------------------------------------------


def test_an_update_request_sends_one_email_with_the_members_message(
    engine, admin, recruiter, manager, job_id, application_id, candidate_id, rows_in
):
    set_job_email_copies(engine, admin, job_id, [admin.id], [manager.id])
    draft = update_request_draft(engine, recruiter, application_id)
    message = draft.message + "\n\nP.S. A portfolio link would help."

    communication_id = request_application_update(
        engine, recruiter, application_id, message, from_address=FROM
    )

    entry = get_communication(engine, communication_id)
    assert entry.email_kind == EmailKind.UPDATE_REQUEST
    assert entry.subject == "Please update your application: Data Analyst"
    assert entry.body == message
    assert entry.job_title == "Data Analyst"
    assert [p.address for p in entry.to] == ["casey@example.org"]
    assert ([p.name for p in entry.cc], [p.name for p in entry.bcc]) == (
        ["Ada Admin"],
        ["Manu Manager"],
    )
    assert candidates_attached_to(engine, communication_id) == {candidate_id}
    assert status_of(engine, application_id) == Status.NEW
    assert rows_in(email_deliveries) == 1


def test_the_default_update_message_greets_the_candidate_or_their_agency_contact():
    direct = default_update_request_message("Casey Candidate", "Data Analyst", "Rita")
    via_agency = default_update_request_message(
        "Dana Delegated", "Data Analyst", "Rita", agency_contact_name="Avery Agent"
    )

    assert direct.startswith("Hello Casey,")
    assert "update your application for Data Analyst?" in direct
    assert via_agency.startswith("Hello Avery,")
    assert "ask Dana Delegated to update their application" in via_agency
    assert direct.endswith("Thank you,\nRita")


def test_an_update_request_for_an_agency_candidate_goes_to_the_contact(
    engine, recruiter, agency_application_id
):
    application_id, candidate = agency_application_id
    draft = update_request_draft(engine, recruiter, application_id)

    communication_id = request_application_update(
        engine, recruiter, application_id, draft.message, from_address=FROM
    )

    assert draft.message.startswith("Hello Avery,")
    entry = get_communication(engine, communication_id)
    assert [p.address for p in entry.to] == ["avery@northwind.example"]
    assert candidates_attached_to(engine, communication_id) == {candidate}


def test_an_update_request_to_a_candidate_with_no_address_is_refused_and_says_why(
    engine, recruiter, job_id, rows_in
):
    candidate = create_candidate(
        engine, name="Nadia Nomail", email=None, source=CandidateSource.REFERRAL
    )
    application_id = create_application(engine, job_id, candidate)

    draft = update_request_draft(engine, recruiter, application_id)
    with pytest.raises(ValidationError) as refused:
        request_application_update(
            engine, recruiter, application_id, draft.message, from_address=FROM
        )

    assert "Nadia Nomail has no email address" in refused.value.errors["to"]
    assert draft.not_sent_reason == refused.value.errors["to"]
    assert draft.to == ()
    assert_nothing_logged(rows_in)


@pytest.mark.parametrize(
    ("message", "says"),
    [("   ", "Enter the message"), ("x" * 20_001, "Shorten the message")],
    ids=["empty", "too long"],
)
def test_an_update_request_without_a_usable_message_is_refused(
    engine, recruiter, application_id, rows_in, message, says
):
    with pytest.raises(ValidationError) as refused:
        request_application_update(
            engine, recruiter, application_id, message, from_address=FROM
        )

    assert says in refused.value.errors["message"]
    assert_nothing_logged(rows_in)


def test_a_member_copied_on_a_job_who_leaves_is_no_longer_copied(
    engine, admin, job_id, application_id
):
    leaver = create_member(
        engine,
        name="Lee Leaver",
        email="lee@example.com",
        role="recruiter",
        password="correct horse battery",
    )
    set_job_email_copies(engine, admin, job_id, [leaver.id], [])
    with engine.begin() as connection:
        connection.execute(
            members.update().where(members.c.id == leaver.id).values(active=False)
        )

    result = change_status(
        engine, admin, application_id, Status.OFFER, from_address=FROM
    )

    assert get_communication(engine, result.communication_id).cc == []


# --- the demo ----------------------------------------------------------------


def test_the_demo_sends_job_emails_over_the_past_year_through_these_functions(engine):
    size = DemoSize(members=5, candidates=60, communications=0, job_emails=40)

    create_demo_data(engine, size)

    with engine.connect() as connection:
        emails = connection.execute(
            sa.select(communications).where(communications.c.source == "system")
        ).all()
        recipients = connection.execute(
            sa.select(communication_participants).where(
                communication_participants.c.role != "sender"
            )
        ).all()
        queued = connection.execute(sa.select(email_deliveries)).all()
        attached = connection.execute(sa.select(communication_candidates)).all()
    assert 0 < len(emails) <= size.job_emails
    assert {e.email_kind for e in emails} == {
        "job status",
        "update application request",
    }
    assert all(e.job_id and e.application_id for e in emails)
    # Dated when each step happened, across the past year, never ahead of now.
    times = sorted(e.occurred_at for e in emails)
    assert times[0] < now_utc() - timedelta(days=90) and times[-1] <= now_utc()
    # Some went to the agency contact who submitted the candidate.
    assert any(r.role == "to" and r.agency_contact_id for r in recipients)
    # Each is on one candidate's tab and waits in the delivery queue.
    assert sorted(a.communication_id for a in attached) == sorted(e.id for e in emails)
    assert {(q.state, q.from_address) for q in queued} == {
        ("queued", DEMO_FROM_ADDRESS)
    }
    # Only addresses reserved for examples, should SMTP be configured.
    domains = {r.address.rsplit("@", 1)[1] for r in recipients}
    assert domains <= {"example.com", "example.org", "example.net", "flo-demo.test"}
