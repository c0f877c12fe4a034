"""Email templates: rendering them safely, and the email each status sends.

Subjects and bodies are Jinja2 templates written by members, rendered in a
sandbox into plain text. A misspelt variable is an error the member sees, never
an empty gap in a sent email:

>>> render_email("Hello {{ candidate.first_name }}", "Hi", sample_context())
('Hello Jordan', 'Hi')

Status templates live in ``status_email_templates`` once an admin saves one;
until then the text shipped here (``DEFAULT_STATUS_EMAILS``, or a disabled
generic text) is the template. Reading never writes, so there is no seeding
step to race or repeat, and both databases behave the same.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from jinja2 import (
    StrictUndefined,
    Template,
    TemplateAssertionError,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import missing
from sqlalchemy.engine import Connection, Engine

from flo_comms.communications import MAX_DESCRIPTION_LENGTH, MAX_SUBJECT_LENGTH
from flo_comms.db import write_with_retry
from flo_comms.errors import PermissionDenied, ValidationError
from flo_comms.jobs import ApplicationStatus
from flo_comms.members import Member, Role
from flo_comms.schema import members, status_email_templates
from flo_comms.timezones import now_utc

logger = logging.getLogger(__name__)

# Longest template text accepted; the subject column holds 300 characters.
MAX_SUBJECT_TEMPLATE_LENGTH = 300

# What a template may use, for the help text beside the editor.
TEMPLATE_VARIABLES = {
    "candidate.name": "the candidate's full name",
    "candidate.first_name": "the candidate's first name",
    "candidate.email": "the candidate's email address",
    "job.title": "the job's title (job emails only)",
    "job.location": "the job's location, or nothing (job emails only)",
    "sender.name": "the member sending the email",
    "sender.email": "that member's address",
    "status": "the application's new status (status emails only)",
}


@dataclass(frozen=True)
class EmailText:
    subject: str
    body: str


# The emails that ship switched on. Short, friendly, signed by the member whose
# action sends them; replies reach that member (reply-to).
DEFAULT_STATUS_EMAILS: dict[ApplicationStatus, EmailText] = {
    ApplicationStatus.INTERVIEW_SCHEDULED: EmailText(
        "Interview invitation: {{ job.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "Thank you for your application for {{ job.title }}. We enjoyed reading "
        "it and would like to invite you to an interview.\n\n"
        "We will send you the date, the time and who you will meet shortly. If "
        "you have any questions before then, just reply to this email.\n\n"
        "Best regards,\n{{ sender.name }}",
    ),
    ApplicationStatus.OFFER: EmailText(
        "An offer for you: {{ job.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "Good news: we would like to offer you the {{ job.title }} position. "
        "Thank you for the time you gave us during the interviews.\n\n"
        "The written offer with all the details follows separately. Reply to "
        "this email with any questions; we are happy to talk it through.\n\n"
        "Best regards,\n{{ sender.name }}",
    ),
    ApplicationStatus.HIRED: EmailText(
        "Welcome aboard, {{ candidate.first_name }}!",
        "Hello {{ candidate.first_name }},\n\n"
        "We are delighted that you are joining us as {{ job.title }}. Welcome to "
        "the team!\n\n"
        "You will hear from us soon about your first day. Until then, reply to "
        "this email if there is anything you need.\n\n"
        "Best regards,\n{{ sender.name }}",
    ),
    ApplicationStatus.REJECTED: EmailText(
        "Your application for {{ job.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "Thank you for your interest in the {{ job.title }} role and for the "
        "time you spent on your application.\n\n"
        "After careful consideration we have decided not to move forward with "
        "it. We will keep your details and would be glad to hear from you about "
        "future openings.\n\n"
        "We wish you all the best,\n{{ sender.name }}",
    ),
}

# Every other status starts from this text, switched off.
GENERIC_STATUS_EMAIL = EmailText(
    "Your application for {{ job.title }}: {{ status }}",
    "Hello {{ candidate.first_name }},\n\n"
    "The status of your application for {{ job.title }} is now: {{ status }}.\n\n"
    "Best regards,\n{{ sender.name }}",
)


@dataclass(frozen=True)
class StatusTemplate:
    """The email one application status sends, and whether it sends one."""

    status: ApplicationStatus
    enabled: bool
    subject: str
    body: str
    # False while the text shipped with the app is in use.
    customised: bool
    updated_at: datetime | None
    updated_by_name: str | None


# --- rendering ----------------------------------------------------------------


class _Fields(dict):
    """One group of variables, such as candidate: name, first_name, email."""

    def __init__(self, group: str, **fields: str):
        super().__init__(**fields)
        self._group = group


class _MissingVariable(StrictUndefined):
    """StrictUndefined whose message names the group, e.g. "candidate has no…"."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is missing:
            return f"'{self._undefined_name}' is not a variable in this email"
        if isinstance(self._undefined_obj, _Fields):
            group = self._undefined_obj._group
            return f"{group} has no field '{self._undefined_name}'"
        return super()._undefined_message


# Limitation: the sandbox stops templates from reaching Python's internals, not
# from heavy work: nested loops over range() can run for a long time, because
# Jinja2 has no time limit. Only signed-in members write templates, and an
# over-long result is refused by the length checks below.
_environment = ImmutableSandboxedEnvironment(
    autoescape=False, undefined=_MissingVariable
)


def email_context(
    *,
    candidate_name: str,
    candidate_email: str | None,
    sender_name: str,
    sender_email: str,
    job_title: str | None = None,
    job_location: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """The variables of one email; job and status only when the email has them."""
    first_name = candidate_name.split()[0] if candidate_name.split() else ""
    context: dict[str, Any] = {
        "candidate": _Fields(
            "candidate",
            name=candidate_name,
            first_name=first_name,
            email=candidate_email or "",
        ),
        "sender": _Fields("sender", name=sender_name, email=sender_email),
    }
    if job_title is not None:
        context["job"] = _Fields("job", title=job_title, location=job_location or "")
    if status is not None:
        context["status"] = status
    return context


def sample_context(status: str | None = None, *, with_job: bool = True) -> dict:
    """Made-up values that templates are checked against before they are saved."""
    return email_context(
        candidate_name="Jordan Example",
        candidate_email="jordan@example.com",
        sender_name="Sam Sender",
        sender_email="sam@example.com",
        job_title="Data Analyst" if with_job else None,
        job_location="Remote" if with_job else None,
        status=status,
    )


@functools.lru_cache(maxsize=256)
def _compiled(template: str) -> Template:
    # Compiling costs more than rendering; an event update renders the same
    # text once per registrant. A template that fails to compile raises, and
    # is not cached.
    return _environment.from_string(template)


def _render_one(template: str, context: dict) -> str:
    try:
        return _compiled(template).render(context)
    except TemplateAssertionError as error:  # an unknown filter, say
        raise _TemplateProblem(f"Line {error.lineno}: {_sentence(error)}.") from None
    except TemplateSyntaxError as error:
        raise _TemplateProblem(
            f"Line {error.lineno}: {_sentence(error)}. Check that every {{{{ has a "
            "matching }} and every {% has a matching %}."
        ) from None
    except SecurityError as error:
        raise _TemplateProblem(
            f"Templates may only fill in the variables listed ({_sentence(error)})."
        ) from None
    except UndefinedError as error:
        available = ", ".join(
            name for name in TEMPLATE_VARIABLES if name.split(".")[0] in context
        )
        raise _TemplateProblem(
            f"{_sentence(error)}. You can use: {available}."
        ) from None
    except TemplateError as error:
        raise _TemplateProblem(f"{_sentence(error)}.") from None
    except Exception as error:
        # A template is code a member wrote: whatever it raises (a division by
        # zero, say) is their mistake to correct, not a crash.
        logger.debug("template failed", exc_info=True)
        raise _TemplateProblem(f"The template cannot be filled in: {error}.") from None


class _TemplateProblem(Exception):
    pass


def _sentence(error: Exception) -> str:
    return str(getattr(error, "message", None) or error).rstrip(".")


def render_email(
    subject_template: str, body_template: str, context: dict
) -> tuple[str, str]:
    """Fill in a subject and body; ValidationError says which is wrong and why.

    The subject becomes one line (runs of spaces and line breaks become one
    space), so that a template spread over lines still makes a valid header.
    """
    errors: dict[str, str] = {}
    subject = body = ""
    if not subject_template.strip():
        errors["subject"] = "Enter a subject."
    else:
        try:
            subject = " ".join(_render_one(subject_template, context).split())
        except _TemplateProblem as problem:
            errors["subject"] = str(problem)
        else:
            if not subject:
                errors["subject"] = "The subject is empty once filled in."
            elif len(subject) > MAX_SUBJECT_LENGTH:
                errors["subject"] = (
                    f"Shorten the subject to {MAX_SUBJECT_LENGTH} characters once "
                    f"filled in (it has {len(subject)})."
                )
    if not body_template.strip():
        errors["body"] = "Enter the message."
    else:
        try:
            body = _render_one(body_template, context)
        except _TemplateProblem as problem:
            errors["body"] = str(problem)
        else:
            if not body.strip():
                errors["body"] = "The message is empty once filled in."
            elif len(body) > MAX_DESCRIPTION_LENGTH:
                errors["body"] = (
                    f"Shorten the message to {MAX_DESCRIPTION_LENGTH:,} characters "
                    f"once filled in (it has {len(body):,})."
                )
    if errors:
        raise ValidationError(errors)
    return subject, body


# --- status templates ---------------------------------------------------------


def _default(status: ApplicationStatus) -> StatusTemplate:
    text = DEFAULT_STATUS_EMAILS.get(status)
    return StatusTemplate(
        status=status,
        enabled=text is not None,
        subject=(text or GENERIC_STATUS_EMAIL).subject,
        body=(text or GENERIC_STATUS_EMAIL).body,
        customised=False,
        updated_at=None,
        updated_by_name=None,
    )


def _saved_templates(
    connection: Connection, statuses: list[ApplicationStatus]
) -> dict[str, StatusTemplate]:
    query = (
        sa.select(status_email_templates, members.c.name.label("updated_by_name"))
        .outerjoin(members, members.c.id == status_email_templates.c.updated_by)
        .where(status_email_templates.c.status.in_([s.value for s in statuses]))
    )
    return {
        row.status: StatusTemplate(
            status=ApplicationStatus(row.status),
            enabled=row.enabled,
            subject=row.subject,
            body=row.body,
            customised=True,
            updated_at=row.updated_at,
            updated_by_name=row.updated_by_name,
        )
        for row in connection.execute(query)
    }


def status_template(
    connection: Connection, status: ApplicationStatus
) -> StatusTemplate:
    """The template a status uses now, inside the caller's transaction."""
    saved = _saved_templates(connection, [status])
    return saved.get(status.value) or _default(status)


def status_templates(engine: Engine) -> list[StatusTemplate]:
    """Every status's template, in pipeline order: saved ones, else the defaults."""
    statuses = list(ApplicationStatus)
    with engine.connect() as connection:
        saved = _saved_templates(connection, statuses)
    return [saved.get(status.value) or _default(status) for status in statuses]


def save_status_template(
    engine: Engine,
    member: Member,
    status: ApplicationStatus | str,
    enabled: bool,
    subject: str,
    body: str,
) -> StatusTemplate:
    """Replace a status's email (admins only), once it renders on sample data."""
    if member.role != Role.ADMIN:
        raise PermissionDenied("Only admins can change the emails statuses send.")
    if status not in {s.value for s in ApplicationStatus}:
        raise ValidationError({"status": f"{status!r} is not an application status."})
    status = ApplicationStatus(status)
    if len(subject) > MAX_SUBJECT_TEMPLATE_LENGTH:
        raise ValidationError(
            {
                "subject": f"Shorten the subject to {MAX_SUBJECT_TEMPLATE_LENGTH} "
                f"characters (it has {len(subject)})."
            }
        )
    render_email(subject, body, sample_context(status.value))

    def write(connection: Connection) -> None:
        values = {
            "enabled": bool(enabled),
            "subject": subject.strip(),
            "body": body,
            "updated_at": now_utc(),
            "updated_by": member.id,
        }
        saved = connection.execute(
            status_email_templates.update()
            .where(status_email_templates.c.status == status.value)
            .values(**values)
            .returning(status_email_templates.c.status)
        ).first()
        if saved is None:
            connection.execute(
                status_email_templates.insert().values(status=status.value, **values)
            )

    try:
        write_with_retry(engine, write)
    except sa.exc.IntegrityError:
        # Another admin saved this status's first version at the same moment:
        # the row exists now, so this save becomes an update of it.
        write_with_retry(engine, write)
    logger.info("status email for %s saved by member %s", status.value, member.id)
    with engine.connect() as connection:
        return status_template(connection, status)
