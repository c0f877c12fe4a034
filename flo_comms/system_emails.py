"""Logging an email the system sends, and queueing its delivery, in one step.

Every system email is written to the Communications tab of each candidate it
concerns at the moment it is sent, in the same transaction as the action that
caused it (a status change, say), together with a row in the delivery queue.
Delivery itself happens after that transaction commits (flo_comms.delivery).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.engine import Connection

from flo_comms import timeline_store, volume_counts
from flo_comms.bulk_rows import insert_rows, next_ids
from flo_comms.communications import (
    AttachmentReason,
    CommunicationType,
    Participant,
    ParticipantRole,
    Source,
    participant_rows,
)
from flo_comms.schema import (
    communication_candidates,
    communication_participants,
    communications,
    email_deliveries,
)
from flo_comms.timezones import now_utc

logger = logging.getLogger(__name__)


class EmailKind(StrEnum):
    """Which system email an entry is; shown on the timeline and counted."""

    JOB_STATUS = "job status"
    UPDATE_REQUEST = "update application request"
    DIRECT = "email from a member"
    REGISTRATION_CONFIRMATION = "registration confirmation"
    PROFILE_REQUEST = "profile request"
    CONFIRMATION = "confirmation"
    UPDATE = "update"
    FINAL_SCHEDULE = "final schedule"
    APPROVAL = "approval"
    DENIAL = "denial"
    REMINDER = "reminder"
    FOLLOW_UP = "follow-up"
    CANCELLATION = "cancellation"


class DeliveryState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class SystemEmail:
    """Everything the timeline records of one email the system sends."""

    kind: EmailKind
    subject: str
    body: str
    sent_by_member_id: int | None
    sender: Participant
    to: Sequence[Participant]
    cc: Sequence[Participant] = ()
    bcc: Sequence[Participant] = ()
    reply_to: str | None = None
    candidate_ids: Sequence[int] = ()
    job_id: int | None = None
    application_id: int | None = None
    event_id: int | None = None
    # For job status emails: the status the application moved to.
    job_status: str | None = None


def log_system_email(
    connection: Connection,
    email: SystemEmail,
    *,
    from_address: str,
    sent_at: datetime | None = None,
) -> int:
    """Write the email to the timelines and queue it; return the entry's id.

    Runs inside the caller's transaction: if the caller's action fails after
    this, the entry and its queued delivery vanish with it. ``sent_at`` is the
    moment the entry records, now unless given: a dispatcher run with a given
    clock passes its clock, and the demo passes moments of the past year.
    """
    [communication_id] = log_system_emails(
        connection, [email], from_address=from_address, sent_at=sent_at
    )
    return communication_id


def log_system_emails(
    connection: Connection,
    emails: Sequence[SystemEmail],
    *,
    from_address: str,
    sent_at: datetime | None = None,
    ids: Sequence[int] | None = None,
) -> list[int]:
    """Write many emails to the timelines and queue them; return their ids in order.

    The same rows as :func:`log_system_email` once per email, in a handful of
    statements whatever their number (flo_comms.bulk_rows). ``ids`` are keys
    already drawn with :func:`draw_communication_ids`, one per email: the
    dispatcher writes them into its decisions before it logs the emails.
    """
    if not emails:
        return []
    now = sent_at or now_utc()
    if ids is None:
        ids = draw_communication_ids(connection, len(emails))
    if len(ids) != len(emails):
        raise ValueError(f"{len(emails)} emails need as many ids, not {len(ids)}")
    ids = list(ids)
    pairs = list(zip(ids, emails, strict=True))
    insert_rows(connection, communications, [_entry(i, e, now) for i, e in pairs])
    insert_rows(
        connection,
        communication_participants,
        [row for i, e in pairs for row in _participant_rows(i, e)],
    )
    insert_rows(
        connection,
        communication_candidates,
        [row for i, e in pairs for row in _attachment_rows(i, e)],
    )
    insert_rows(
        connection,
        email_deliveries,
        [_delivery(i, e, from_address, now) for i, e in pairs],
    )
    timeline_store.index_new(connection, ids)
    volume_counts.count_in(connection, ids)
    logger.debug("%s system emails queued (%s)", len(ids), emails[0].kind.value)
    return ids


def draw_communication_ids(connection: Connection, count: int) -> list[int]:
    """Keys for ``count`` new entries, drawn in one query."""
    return next_ids(connection, communications, count)


def _entry(communication_id: int, email: SystemEmail, now: datetime) -> dict:
    return {
        "id": communication_id,
        "source": Source.SYSTEM.value,
        "comm_type": CommunicationType.EMAIL.value,
        "email_kind": email.kind.value,
        "subject": email.subject,
        "body": email.body,
        "occurred_at": now,
        "job_id": email.job_id,
        "application_id": email.application_id,
        "event_id": email.event_id,
        "job_status": email.job_status,
        "logged_by": email.sent_by_member_id,
        "logged_at": now,
    }


def _participant_rows(communication_id: int, email: SystemEmail) -> list[dict]:
    people = [_with_role(email.sender, ParticipantRole.SENDER)]
    for role, group in (
        (ParticipantRole.TO, email.to),
        (ParticipantRole.CC, email.cc),
        (ParticipantRole.BCC, email.bcc),
    ):
        people += [_with_role(person, role) for person in group]
    return participant_rows(communication_id, people)


def _attachment_rows(communication_id: int, email: SystemEmail) -> list[dict]:
    # A new entry has no attachments yet: no need to look for them first.
    return [
        {
            "candidate_id": candidate_id,
            "communication_id": communication_id,
            "reason": AttachmentReason.CONCERNS.value,
        }
        for candidate_id in dict.fromkeys(email.candidate_ids)
    ]


def _delivery(
    communication_id: int, email: SystemEmail, from_address: str, now: datetime
) -> dict:
    return {
        "communication_id": communication_id,
        "state": DeliveryState.QUEUED.value,
        "from_address": from_address,
        "reply_to": email.reply_to,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _with_role(person: Participant, role: ParticipantRole) -> Participant:
    return Participant(
        role=role,
        name=person.name,
        address=person.address,
        member_id=person.member_id,
        candidate_id=person.candidate_id,
        agency_contact_id=person.agency_contact_id,
    )
