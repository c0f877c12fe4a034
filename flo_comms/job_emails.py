"""Job emails: an application's status change with its email, and update requests.

A status change, the email it sends and that email's place in the delivery
queue are written in one transaction: either all of it happens or none of it.
Emails about an agency-submitted candidate go to the agency contact who
submitted them, and are still logged on the candidate's Communications tab.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.candidates import CandidateSource
from flo_comms.communications import (
    MAX_DESCRIPTION_LENGTH,
    Participant,
    ParticipantRole,
)
from flo_comms.db import write_with_retry
from flo_comms.email_templates import (
    StatusTemplate,
    email_context,
    render_email,
    status_template,
)
from flo_comms.errors import FloCommsError, NotFound, PermissionDenied, ValidationError
from flo_comms.jobs import ApplicationStatus, copies_for_job
from flo_comms.members import Member
from flo_comms.schema import (
    agency_contacts,
    applications,
    candidates,
    jobs,
)
from flo_comms.system_emails import EmailKind, SystemEmail, log_system_email
from flo_comms.timezones import now_utc

logger = logging.getLogger(__name__)


class StatusChangedMeanwhile(FloCommsError):
    """Someone else changed the application's status since the member looked."""

    def __init__(self, current: ApplicationStatus, expected: ApplicationStatus):
        self.current = current
        super().__init__(
            f"This application moved from {expected} to {current} a moment ago, so "
            "nothing was changed or sent. Look at it again before changing it."
        )


@dataclass(frozen=True)
class StatusChangePreview:
    """What a status change would do, shown before the member confirms it."""

    application_id: int
    candidate_id: int
    candidate_name: str
    job_id: int
    job_title: str
    old_status: ApplicationStatus
    new_status: ApplicationStatus
    will_send: bool
    # Why no email goes out, in words for the member; None when one does.
    not_sent_reason: str | None
    subject: str | None
    body: str | None
    sender: Participant
    to: tuple[Participant, ...]
    cc: tuple[Participant, ...]
    bcc: tuple[Participant, ...]


@dataclass(frozen=True)
class StatusChangeResult:
    application_id: int
    old_status: ApplicationStatus
    new_status: ApplicationStatus
    # The logged email, or None when none was sent (not_sent_reason says why).
    communication_id: int | None
    not_sent_reason: str | None


@dataclass(frozen=True)
class UpdateRequestDraft:
    """An update application request as the form opens: editable message."""

    application_id: int
    candidate_name: str
    job_title: str
    subject: str
    message: str
    sender: Participant
    to: tuple[Participant, ...]
    cc: tuple[Participant, ...]
    bcc: tuple[Participant, ...]
    # Set when the request cannot be sent at all (no address anywhere).
    not_sent_reason: str | None


@dataclass(frozen=True)
class _Facts:
    """An application with everything its emails need, read in one query."""

    application_id: int
    status: ApplicationStatus
    job_id: int
    job_title: str
    job_location: str | None
    candidate_id: int
    candidate_name: str
    candidate_email: str | None
    source: str
    agency_contact_id: int | None
    agency_contact_name: str | None
    agency_contact_email: str | None

    @property
    def routed_to_agency(self) -> bool:
        return self.source == CandidateSource.AGENCY and bool(self.agency_contact_id)

    def recipient(self) -> Participant | None:
        """The agency contact for an agency-submitted candidate, else the candidate."""
        if self.routed_to_agency:
            return Participant(
                ParticipantRole.TO,
                self.agency_contact_name,
                self.agency_contact_email,
                agency_contact_id=self.agency_contact_id,
            )
        if self.candidate_email:
            return Participant(
                ParticipantRole.TO,
                self.candidate_name,
                self.candidate_email,
                candidate_id=self.candidate_id,
            )
        return None

    @property
    def no_address_reason(self) -> str:
        return (
            f"{self.candidate_name} has no email address and no agency contact to "
            "email instead. Add an address to the profile to email them."
        )


def _require_sender(member: Member) -> None:
    if not member.role.can_log_communications:
        raise PermissionDenied(
            "Managers can read the pipeline; only admins and recruiters change "
            "statuses and send job emails."
        )


def _require_from_address(from_address: str) -> None:
    # Configuration, not member input: the page passes the mail settings' value.
    if not from_address or not from_address.strip():
        raise ValueError("from_address is empty; pass the configured sender address.")


def _parse_status(value: ApplicationStatus | str, field: str) -> ApplicationStatus:
    if value not in {s.value for s in ApplicationStatus}:
        raise ValidationError({field: f"{value!r} is not an application status."})
    return ApplicationStatus(value)


def _facts(connection: Connection, application_id: int) -> _Facts:
    row = connection.execute(
        sa.select(
            applications.c.id,
            applications.c.status,
            jobs.c.id,
            jobs.c.title,
            jobs.c.location,
            candidates.c.id,
            candidates.c.name,
            candidates.c.email,
            candidates.c.source,
            candidates.c.agency_contact_id,
            agency_contacts.c.name,
            agency_contacts.c.email,
        )
        .join(jobs, jobs.c.id == applications.c.job_id)
        .join(candidates, candidates.c.id == applications.c.candidate_id)
        .outerjoin(
            agency_contacts, agency_contacts.c.id == candidates.c.agency_contact_id
        )
        .where(applications.c.id == application_id)
    ).first()
    if row is None:
        raise NotFound(f"No application has id {application_id}.")
    return _Facts(row[0], ApplicationStatus(row[1]), *row[2:])


def _sender(member: Member) -> Participant:
    return Participant(
        ParticipantRole.SENDER, member.name, member.email, member_id=member.id
    )


def _copies(
    connection: Connection, job_id: int
) -> tuple[tuple[Participant, ...], tuple[Participant, ...]]:
    copies = copies_for_job(connection, job_id)

    def people(
        role: ParticipantRole, group: tuple[Member, ...]
    ) -> tuple[Participant, ...]:
        return tuple(Participant(role, m.name, m.email, member_id=m.id) for m in group)

    return people(ParticipantRole.CC, copies.cc), people(
        ParticipantRole.BCC, copies.bcc
    )


def _log(
    connection: Connection,
    email: SystemEmail,
    from_address: str,
    sent_at: datetime | None,
) -> int:
    """Log and queue a job email; the demo alone passes ``sent_at``."""
    return log_system_email(
        connection, email, from_address=from_address, sent_at=sent_at
    )


# --- status changes -----------------------------------------------------------


def _plan(
    connection: Connection,
    member: Member,
    facts: _Facts,
    new_status: ApplicationStatus,
) -> StatusChangePreview:
    if new_status == facts.status:
        raise ValidationError(
            {"status": f"The application is at {new_status} already; choose another."}
        )
    template = status_template(connection, new_status)
    recipient = facts.recipient()
    reason = None
    if not template.enabled:
        reason = f"The {new_status} status sends no email."
    elif recipient is None:
        reason = facts.no_address_reason
    subject = body = None
    cc, bcc = _copies(connection, facts.job_id)
    if reason is None:
        subject, body = _render_status_email(member, facts, new_status, template)
    return StatusChangePreview(
        application_id=facts.application_id,
        candidate_id=facts.candidate_id,
        candidate_name=facts.candidate_name,
        job_id=facts.job_id,
        job_title=facts.job_title,
        old_status=facts.status,
        new_status=new_status,
        will_send=reason is None,
        not_sent_reason=reason,
        subject=subject,
        body=body,
        sender=_sender(member),
        to=(recipient,) if reason is None else (),
        cc=cc if reason is None else (),
        bcc=bcc if reason is None else (),
    )


def _render_status_email(
    member: Member,
    facts: _Facts,
    new_status: ApplicationStatus,
    template: StatusTemplate,
) -> tuple[str, str]:
    context = email_context(
        candidate_name=facts.candidate_name,
        candidate_email=facts.candidate_email,
        sender_name=member.name,
        sender_email=member.email,
        job_title=facts.job_title,
        job_location=facts.job_location,
        status=new_status.value,
    )
    try:
        return render_email(template.subject, template.body, context)
    except ValidationError as error:
        problems = " ".join(error.errors.values())
        raise ValidationError(
            {
                "template": f"The {new_status} email template failed on this "
                f"application. {problems} An admin can correct it in the status "
                "email templates."
            }
        ) from None


def preview_status_change(
    engine: Engine,
    member: Member,
    application_id: int,
    new_status: ApplicationStatus | str,
) -> StatusChangePreview:
    """The email a status change would send, rendered; nothing is written."""
    _require_sender(member)
    new_status = _parse_status(new_status, "status")
    with engine.connect() as connection:
        return _plan(connection, member, _facts(connection, application_id), new_status)


def change_status(
    engine: Engine,
    member: Member,
    application_id: int,
    new_status: ApplicationStatus | str,
    *,
    from_address: str,
    expected_old_status: ApplicationStatus | str | None = None,
    sent_at: datetime | None = None,
) -> StatusChangeResult:
    """Move an application to a new status and send that status's email, atomically.

    With ``expected_old_status`` (the status the member saw in the preview),
    the change is refused with StatusChangedMeanwhile when someone else moved
    the application first, so that two members racing do not both send an
    email. A status email that cannot be filled in refuses the whole change
    (ValidationError on "template"). ``sent_at`` is for the demo only, which
    replays a past year.
    """
    _require_sender(member)
    _require_from_address(from_address)
    new_status = _parse_status(new_status, "status")
    expected = (
        None
        if expected_old_status is None
        else _parse_status(expected_old_status, "expected_old_status")
    )

    def write(connection: Connection) -> StatusChangeResult:
        facts = _facts(connection, application_id)
        if expected is not None and facts.status != expected:
            raise StatusChangedMeanwhile(facts.status, expected)
        plan = _plan(connection, member, facts, new_status)
        connection.execute(
            applications.update()
            .where(applications.c.id == application_id)
            .values(status=new_status.value, status_changed_at=sent_at or now_utc())
        )
        communication_id = None
        if plan.will_send:
            email = SystemEmail(
                kind=EmailKind.JOB_STATUS,
                job_status=new_status.value,
                subject=plan.subject,
                body=plan.body,
                sent_by_member_id=member.id,
                sender=plan.sender,
                to=plan.to,
                cc=plan.cc,
                bcc=plan.bcc,
                reply_to=member.email,
                candidate_ids=[facts.candidate_id],
                job_id=facts.job_id,
                application_id=application_id,
            )
            communication_id = _log(connection, email, from_address, sent_at)
        return StatusChangeResult(
            application_id,
            facts.status,
            new_status,
            communication_id,
            plan.not_sent_reason,
        )

    result = write_with_retry(engine, write)
    logger.info(
        "application %s moved from %s to %s by member %s (email %s)",
        application_id,
        result.old_status.value,
        result.new_status.value,
        member.id,
        result.communication_id,
    )
    return result


# --- update application requests ----------------------------------------------


def _update_subject(job_title: str) -> str:
    return f"Please update your application: {job_title}"


def default_update_request_message(
    candidate_name: str,
    job_title: str,
    sender_name: str,
    *,
    agency_contact_name: str | None = None,
) -> str:
    """The message an update request form starts with; the member may change it.

    Addressed to the agency contact when the request goes to them.
    """
    if agency_contact_name:
        greeting = agency_contact_name.split()[0]
        ask = (
            f"Could you please ask {candidate_name} to update their application "
            f"for {job_title}?"
        )
    else:
        greeting = candidate_name.split()[0] if candidate_name.split() else ""
        ask = (
            "Could you please take a moment to update your application for "
            f"{job_title}?"
        )
    return (
        f"Hello {greeting},\n\n"
        f"{ask} Please check that the CV, contact details and availability are "
        "current, and reply to this email with anything that has changed.\n\n"
        f"Thank you,\n{sender_name}"
    )


def update_request_draft(
    engine: Engine, member: Member, application_id: int
) -> UpdateRequestDraft:
    """The request's subject, default message and recipients; nothing is written."""
    _require_sender(member)
    with engine.connect() as connection:
        facts = _facts(connection, application_id)
        cc, bcc = _copies(connection, facts.job_id)
    recipient = facts.recipient()
    message = default_update_request_message(
        facts.candidate_name,
        facts.job_title,
        member.name,
        agency_contact_name=facts.agency_contact_name
        if facts.routed_to_agency
        else None,
    )
    return UpdateRequestDraft(
        application_id=application_id,
        candidate_name=facts.candidate_name,
        job_title=facts.job_title,
        subject=_update_subject(facts.job_title),
        message=message,
        sender=_sender(member),
        to=(recipient,) if recipient else (),
        cc=cc,
        bcc=bcc,
        not_sent_reason=None if recipient else facts.no_address_reason,
    )


def request_application_update(
    engine: Engine,
    member: Member,
    application_id: int,
    message: str,
    *,
    from_address: str,
    sent_at: datetime | None = None,
) -> int:
    """Ask the candidate (or their agency contact) to update the application.

    The message is plain text, sent as typed. Returns the logged email's id.
    ``sent_at`` is for the demo only, which replays a past year.
    """
    # Limitation: a double click sends the request twice, because system
    # emails carry no form token yet; the page should disable its button once
    # pressed. Status changes are safe: the second finds the status changed.
    _require_sender(member)
    _require_from_address(from_address)
    if not message.strip():
        raise ValidationError({"message": "Enter the message to send."})
    if len(message) > MAX_DESCRIPTION_LENGTH:
        raise ValidationError(
            {
                "message": f"Shorten the message to {MAX_DESCRIPTION_LENGTH:,} "
                f"characters (it has {len(message):,})."
            }
        )

    def write(connection: Connection) -> int:
        facts = _facts(connection, application_id)
        recipient = facts.recipient()
        if recipient is None:
            raise ValidationError({"to": facts.no_address_reason})
        cc, bcc = _copies(connection, facts.job_id)
        email = SystemEmail(
            kind=EmailKind.UPDATE_REQUEST,
            subject=_update_subject(facts.job_title),
            body=message,
            sent_by_member_id=member.id,
            sender=_sender(member),
            to=(recipient,),
            cc=cc,
            bcc=bcc,
            reply_to=member.email,
            candidate_ids=[facts.candidate_id],
            job_id=facts.job_id,
            application_id=application_id,
        )
        return _log(connection, email, from_address, sent_at)

    communication_id = write_with_retry(engine, write)
    logger.info(
        "update request for application %s sent by member %s (email %s)",
        application_id,
        member.id,
        communication_id,
    )
    return communication_id
