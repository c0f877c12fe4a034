"""Email templates: sandboxed rendering, field messages, and each status's email."""

from __future__ import annotations

import pytest

from flo_comms.email_templates import (
    DEFAULT_STATUS_EMAILS,
    email_context,
    render_email,
    sample_context,
    save_status_template,
    status_templates,
)
from flo_comms.errors import PermissionDenied, ValidationError
from flo_comms.jobs import ApplicationStatus
from flo_comms.schema import status_email_templates

Status = ApplicationStatus
CASEY_AT_OFFER = email_context(
    candidate_name="Casey Ann Candidate",
    candidate_email="casey@example.org",
    sender_name="Rita Recruiter",
    sender_email="rita@example.com",
    job_title="Data Analyst",
    job_location="Berlin",
    status="Offer",
)


def field_errors(subject: str, body: str, context=CASEY_AT_OFFER) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        render_email(subject, body, context)
    return refused.value.errors


# --- rendering ----------------------------------------------------------------


def test_every_variable_is_filled_in_from_the_context():
    subject, body = render_email(
        "{{ job.title }} ({{ job.location }}): {{ status }}",
        "{{ candidate.name }} / {{ candidate.first_name }} / {{ candidate.email }}\n"
        "{{ sender.name }} <{{ sender.email }}>",
        CASEY_AT_OFFER,
    )

    assert subject == "Data Analyst (Berlin): Offer"
    assert body == (
        "Casey Ann Candidate / Casey / casey@example.org\n"
        "Rita Recruiter <rita@example.com>"
    )


def test_emails_are_plain_text_so_nothing_is_escaped():
    context = email_context(
        candidate_name="Zoë <O'Brien> & Co",
        candidate_email=None,
        sender_name="Rita",
        sender_email="rita@example.com",
    )

    _, body = render_email("Hi", "Dear {{ candidate.name }}", context)

    assert body == "Dear Zoë <O'Brien> & Co"


def test_a_subject_spread_over_lines_becomes_one_line():
    subject, _ = render_email(
        "{% if job.location %}\n  {{ job.title }}\n"
        "  in {{ job.location }}\n{% endif %}",
        "Body",
        CASEY_AT_OFFER,
    )

    assert subject == "Data Analyst in Berlin"


def test_a_missing_location_is_empty_so_a_template_can_test_for_it():
    context = email_context(
        candidate_name="Casey",
        candidate_email="casey@example.org",
        sender_name="Rita",
        sender_email="rita@example.com",
        job_title="Data Analyst",
    )

    subject, _ = render_email(
        "{{ job.title }}{% if job.location %} in {{ job.location }}{% endif %}",
        "Body",
        context,
    )

    assert subject == "Data Analyst"


@pytest.mark.parametrize(
    ("subject", "body", "field", "message_says"),
    [
        pytest.param("", "Body", "subject", "Enter a subject.", id="no subject"),
        pytest.param("Hi", "  \n ", "body", "Enter the message.", id="no body"),
        pytest.param(
            "Hi {{ candidate.nmae }}",
            "Body",
            "subject",
            "candidate has no field 'nmae'. You can use: candidate.name",
            id="misspelt field",
        ),
        pytest.param(
            "Hi",
            "{{ recruiter.name }}",
            "body",
            "'recruiter' is not a variable in this email",
            id="unknown variable",
        ),
        pytest.param(
            "Hi",
            "Hello {{ candidate.name }",
            "body",
            "Line 1: unexpected '}'",
            id="syntax error",
        ),
        pytest.param(
            "{% if status %}Hi",
            "Body",
            "subject",
            "Line 1: Unexpected end of template",
            id="unclosed block",
        ),
        pytest.param(
            "Hi",
            "{{ candidate.name|shout }}",
            "body",
            "No filter named 'shout'",
            id="unknown filter",
        ),
        pytest.param(
            "Hi",
            "{{ candidate.__class__.__mro__ }}",
            "body",
            "Templates may only fill in the variables listed",
            id="sandbox: internals",
        ),
        pytest.param(
            "Hi",
            "{{ candidate.update(name='x') }}",
            "body",
            "Templates may only fill in the variables listed",
            id="sandbox: changing a variable",
        ),
        pytest.param(
            "Hi",
            "{{ 1 / 0 }}",
            "body",
            "The template cannot be filled in: division by zero.",
            id="runtime error",
        ),
        pytest.param(
            "{{ candidate.name * 20 }}",
            "Body",
            "subject",
            "Shorten the subject to 200 characters once filled in (it has 380).",
            id="subject too long",
        ),
        pytest.param(
            "{% if false %}x{% endif %}",
            "Body",
            "subject",
            "The subject is empty once filled in.",
            id="subject empty once filled in",
        ),
    ],
)
def test_a_template_problem_is_reported_beside_its_field(
    subject, body, field, message_says
):
    errors = field_errors(subject, body)

    assert list(errors) == [field]
    assert message_says in errors[field]


def test_problems_in_subject_and_body_are_reported_together():
    errors = field_errors("{{ candidate.nmae }}", "{% for %}")

    assert set(errors) == {"subject", "body"}


def test_an_email_without_a_job_names_job_as_no_variable_and_lists_what_exists():
    errors = field_errors("{{ job.title }}", "Body", sample_context(with_job=False))

    assert errors["subject"].startswith("'job' is not a variable in this email.")
    assert "candidate.first_name" in errors["subject"]
    assert "job.title" not in errors["subject"].split("You can use:")[1]


# --- status templates ---------------------------------------------------------


def test_every_status_has_a_template_and_four_send_by_default(engine, rows_in):
    templates = status_templates(engine)

    assert [t.status for t in templates] == list(Status)
    assert {t.status for t in templates if t.enabled} == {
        Status.INTERVIEW_SCHEDULED,
        Status.OFFER,
        Status.HIRED,
        Status.REJECTED,
    }
    assert not any(t.customised for t in templates)
    # Reading writes nothing: the defaults live in the code until an admin saves.
    assert rows_in(status_email_templates) == 0


@pytest.mark.parametrize("status", list(Status), ids=[s.value for s in Status])
def test_every_default_template_renders_on_sample_data(engine, status):
    template = next(t for t in status_templates(engine) if t.status == status)

    subject, body = render_email(
        template.subject, template.body, sample_context(status.value)
    )

    assert subject and "Jordan" in body and "Sam Sender" in body


def test_an_admin_saves_a_status_email_and_saving_again_replaces_it(
    engine, admin, rows_in
):
    save_status_template(
        engine, admin, Status.SCREENING, True, "First {{ job.title }}", "Body one"
    )

    saved = save_status_template(
        engine, admin, "Screening", False, "Second {{ job.title }}", "Body two"
    )

    assert (saved.status, saved.enabled, saved.subject, saved.body) == (
        Status.SCREENING,
        False,
        "Second {{ job.title }}",
        "Body two",
    )
    assert (saved.customised, saved.updated_by_name) == (True, "Ada Admin")
    assert saved.updated_at is not None
    assert rows_in(status_email_templates) == 1
    listed = {t.status: t for t in status_templates(engine)}
    assert listed[Status.SCREENING] == saved
    assert listed[Status.OFFER].subject == DEFAULT_STATUS_EMAILS[Status.OFFER].subject


def test_switching_off_a_default_email_keeps_its_text(engine, admin):
    offer = DEFAULT_STATUS_EMAILS[Status.OFFER]

    saved = save_status_template(
        engine, admin, Status.OFFER, False, offer.subject, offer.body
    )

    assert (saved.enabled, saved.subject, saved.body) == (
        False,
        offer.subject,
        offer.body,
    )


@pytest.mark.parametrize("member", ["recruiter", "manager"])
def test_only_admins_change_status_emails(engine, request, rows_in, member):
    someone = request.getfixturevalue(member)

    with pytest.raises(PermissionDenied, match="Only admins"):
        save_status_template(engine, someone, Status.OFFER, True, "Hi", "Body")

    assert rows_in(status_email_templates) == 0


def test_a_status_email_that_does_not_render_is_not_saved(engine, admin, rows_in):
    with pytest.raises(ValidationError) as refused:
        save_status_template(
            engine, admin, Status.OFFER, True, "{{ candidate.nmae }}", "{% if %}"
        )

    assert set(refused.value.errors) == {"subject", "body"}
    assert rows_in(status_email_templates) == 0


def test_a_switched_off_status_email_must_still_be_valid(engine, admin, rows_in):
    with pytest.raises(ValidationError) as refused:
        save_status_template(engine, admin, Status.NEW, False, "", "Body")

    assert refused.value.errors == {"subject": "Enter a subject."}
    assert rows_in(status_email_templates) == 0


def test_an_unknown_status_cannot_get_a_template(engine, admin, rows_in):
    with pytest.raises(ValidationError) as refused:
        save_status_template(engine, admin, "Ghosted", True, "Hi", "Body")

    assert "'Ghosted' is not an application status" in refused.value.errors["status"]
    assert rows_in(status_email_templates) == 0
