"""Communications: logging, editing and deleting them, and the rules for each.

A communication is one contact with one or more candidates: an email the
system sent, or contact that happened elsewhere and that a member logged by
hand. Manual entries may be changed only by the member who logged them, and
every change keeps the version before it in ``communication_history``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms import timeline_store, volume_counts
from flo_comms.db import write_with_retry
from flo_comms.errors import (
    FloCommsError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from flo_comms.members import Member
from flo_comms.schema import (
    candidates,
    communication_candidates,
    communication_history,
    communication_participants,
    communications,
    members,
)
from flo_comms.timezones import local_to_utc, now_utc

logger = logging.getLogger(__name__)

MAX_SUBJECT_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 20_000
MAX_PEOPLE = 50
EARLIEST_DATE = datetime(2000, 1, 1)
# A member's clock may run a little ahead of the server's.
FUTURE_TOLERANCE = timedelta(minutes=5)


class EditConflict(FloCommsError):
    """The entry changed between opening the edit form and saving it."""


class Source(StrEnum):
    SYSTEM = "system"
    MANUAL = "manual"


class CommunicationType(StrEnum):
    EMAIL = "email"
    PHONE_CALL = "phone call"
    TEXT_MESSAGE = "text message"
    VIDEO_CALL = "video call"
    IN_PERSON_MEETING = "in-person meeting"
    LINKEDIN_MESSAGE = "LinkedIn message"
    LETTER = "letter"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value[0].upper() + self.value[1:]


class ParticipantRole(StrEnum):
    SENDER = "sender"
    TO = "to"
    CC = "cc"
    BCC = "bcc"


class AttachmentReason(StrEnum):
    LOGGED_FROM = "logged_from"
    RECIPIENT = "recipient"
    CONCERNS = "concerns"


@dataclass(frozen=True)
class Participant:
    """A sender or recipient, with the name and address they had at the time."""

    role: ParticipantRole
    name: str | None
    address: str | None
    member_id: int | None = None
    candidate_id: int | None = None
    agency_contact_id: int | None = None

    @property
    def label(self) -> str:
        if self.name and self.address:
            return f"{self.name} <{self.address}>"
        return self.name or self.address or "(unknown)"


@dataclass(frozen=True)
class CommunicationDraft:
    """What a member typed into the form; the date is wall-clock in ``time_zone``."""

    comm_type: str | None
    occurred_local: datetime | None
    time_zone: str
    sender_member_ids: tuple[int, ...]
    recipient_candidate_ids: tuple[int, ...]
    recipient_member_ids: tuple[int, ...]
    subject: str
    description: str


def event_kind_label(event_type: str, invite_only: bool) -> str:
    """An outreach event's kind as read: ('webinar', True) -> 'Webinar, invite only'."""
    return f"{event_type.capitalize()}, {'invite only' if invite_only else 'open'}"


@dataclass(frozen=True)
class Communication:
    """One entry of a Communications tab, with everything its details show."""

    id: int
    source: Source
    comm_type: str
    email_kind: str | None
    subject: str
    body: str
    occurred_at: datetime
    job_title: str | None
    event_title: str | None
    logged_by_id: int | None
    logged_by_name: str | None
    logged_at: datetime
    updated_at: datetime | None
    participants: tuple[Participant, ...] = field(default=())
    # The outreach event's type ("webinar") and invite mode, for event emails.
    event_type: str | None = None
    event_invite_only: bool | None = None

    @property
    def event_kind(self) -> str | None:
        """'Webinar, invite only' for an event email; None for any other entry."""
        if self.event_type is None:
            return None
        return event_kind_label(self.event_type, bool(self.event_invite_only))

    def _with_role(self, role: ParticipantRole) -> list[Participant]:
        return [p for p in self.participants if p.role == role]

    @property
    def senders(self) -> list[Participant]:
        return self._with_role(ParticipantRole.SENDER)

    @property
    def to(self) -> list[Participant]:
        return self._with_role(ParticipantRole.TO)

    @property
    def cc(self) -> list[Participant]:
        return self._with_role(ParticipantRole.CC)

    @property
    def bcc(self) -> list[Participant]:
        return self._with_role(ParticipantRole.BCC)

    @property
    def version(self) -> str:
        """Which edit of the entry this is; an edit form hands it back on save."""
        return self.updated_at.isoformat() if self.updated_at else "original"

    def can_be_changed_by(self, member: Member) -> bool:
        """Only the member who logged a manual entry may edit or delete it."""
        return self.source == Source.MANUAL and self.logged_by_id == member.id


# --- validation -------------------------------------------------------------


def _validate(draft: CommunicationDraft) -> tuple[datetime | None, dict[str, str]]:
    """Check a draft; return its time in UTC and the message for each bad field."""
    errors: dict[str, str] = {}
    if draft.comm_type not in {t.value for t in CommunicationType}:
        errors["comm_type"] = "Choose the type of communication."

    occurred_at = None
    if draft.occurred_local is None:
        errors["occurred_at"] = "Enter the date and time it happened."
    elif draft.occurred_local < EARLIEST_DATE:
        errors["occurred_at"] = "That date is before 2000; check the year."
    else:
        try:
            occurred_at = local_to_utc(draft.occurred_local, draft.time_zone)
        except ValidationError as error:
            errors.update(error.errors)
        else:
            if occurred_at > now_utc() + FUTURE_TOLERANCE:
                errors["occurred_at"] = (
                    "That is in the future. Log contact that has already happened."
                )

    if not draft.sender_member_ids:
        errors["sent_by"] = "Choose at least one member who sent it."
    elif len(draft.sender_member_ids) > MAX_PEOPLE:
        errors["sent_by"] = f"Choose at most {MAX_PEOPLE} senders."
    recipients = len(draft.recipient_candidate_ids) + len(draft.recipient_member_ids)
    if recipients == 0:
        errors["sent_to"] = "Choose at least one candidate or member it was sent to."
    elif recipients > MAX_PEOPLE:
        errors["sent_to"] = f"Choose at most {MAX_PEOPLE} recipients."

    subject = draft.subject.strip()
    if not subject:
        errors["subject"] = "Enter a subject."
    elif "\n" in subject or "\r" in subject:
        errors["subject"] = "Keep the subject on one line."
    elif len(subject) > MAX_SUBJECT_LENGTH:
        errors["subject"] = (
            f"Shorten the subject to {MAX_SUBJECT_LENGTH} characters "
            f"(it has {len(subject)})."
        )
    if len(draft.description) > MAX_DESCRIPTION_LENGTH:
        errors["description"] = (
            f"Shorten the description to {MAX_DESCRIPTION_LENGTH:,} characters "
            f"(it has {len(draft.description):,})."
        )
    return occurred_at, errors


def _require_logger(member: Member) -> None:
    if not member.role.can_log_communications:
        raise PermissionDenied(
            "Managers can read communications; only admins and recruiters log them."
        )


def _resolve_participants(
    connection: Connection, draft: CommunicationDraft
) -> tuple[list[Participant], dict[str, str]]:
    """Look up every person in the draft and snapshot their name and address."""
    member_ids = set(draft.sender_member_ids) | set(draft.recipient_member_ids)
    member_rows = {
        row.id: row
        for row in connection.execute(
            sa.select(members.c.id, members.c.name, members.c.email).where(
                members.c.id.in_(member_ids), members.c.active
            )
        )
    }
    candidate_rows = {
        row.id: row
        for row in connection.execute(
            sa.select(candidates.c.id, candidates.c.name, candidates.c.email).where(
                candidates.c.id.in_(set(draft.recipient_candidate_ids))
            )
        )
    }
    errors = {}
    if any(i not in member_rows for i in draft.sender_member_ids):
        errors["sent_by"] = "One of the senders is no longer a member; choose again."
    missing_members = any(i not in member_rows for i in draft.recipient_member_ids)
    missing_candidates = any(
        i not in candidate_rows for i in draft.recipient_candidate_ids
    )
    if missing_members or missing_candidates:
        errors["sent_to"] = "One of the recipients no longer exists; choose again."
    if errors:
        return [], errors

    def member(role: ParticipantRole, i: int) -> Participant:
        row = member_rows[i]
        return Participant(role, row.name, row.email, member_id=i)

    people = [
        member(ParticipantRole.SENDER, i) for i in _unique(draft.sender_member_ids)
    ]
    people += [
        Participant(
            ParticipantRole.TO,
            candidate_rows[i].name,
            candidate_rows[i].email,
            candidate_id=i,
        )
        for i in _unique(draft.recipient_candidate_ids)
    ]
    people += [
        member(ParticipantRole.TO, i) for i in _unique(draft.recipient_member_ids)
    ]
    return people, {}


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(ids))


# --- writing ----------------------------------------------------------------


def insert_participants(
    connection: Connection, communication_id: int, people: list[Participant]
) -> None:
    """Write the senders and recipients of an entry, numbered within each role."""
    rows = participant_rows(communication_id, people)
    if rows:
        connection.execute(communication_participants.insert(), rows)


def participant_rows(communication_id: int, people: list[Participant]) -> list[dict]:
    """The participant rows of an entry: each person numbered within their role."""
    positions: dict[ParticipantRole, int] = {}
    rows = []
    for person in people:
        position = positions.get(person.role, 0)
        positions[person.role] = position + 1
        rows.append(
            {
                "communication_id": communication_id,
                "role": person.role.value,
                "position": position,
                "member_id": person.member_id,
                "candidate_id": person.candidate_id,
                "agency_contact_id": person.agency_contact_id,
                "name": person.name,
                "address": person.address,
            }
        )
    return rows


def attach_candidates(
    connection: Connection,
    communication_id: int,
    candidate_ids: Iterable[int],
    reason: AttachmentReason,
) -> None:
    """Show the entry on these candidates' tabs (once each), saying why."""
    already = set(
        connection.execute(
            sa.select(communication_candidates.c.candidate_id).where(
                communication_candidates.c.communication_id == communication_id
            )
        ).scalars()
    )
    rows = [
        {"communication_id": communication_id, "candidate_id": i, "reason": reason}
        for i in _unique(candidate_ids)
        if i not in already
    ]
    if rows:
        connection.execute(communication_candidates.insert(), rows)
        timeline_store.index_attachments(
            connection, communication_id, [row["candidate_id"] for row in rows]
        )


def _id_for_token(connection: Connection, form_token: str | None) -> int | None:
    if form_token is None:
        return None
    return connection.execute(
        sa.select(communications.c.id).where(communications.c.form_token == form_token)
    ).scalar()


def log_communication(
    engine: Engine,
    author: Member,
    draft: CommunicationDraft,
    *,
    logged_from_candidate_id: int | None = None,
    form_token: str | None = None,
) -> int:
    """Log contact that happened outside the system; return the entry's id.

    The entry is attached to the profile it was logged from and to every
    candidate in *sent to*. A second call with the same ``form_token`` (a
    double submit) returns the first entry's id and writes nothing.
    """
    _require_logger(author)
    occurred_at, errors = _validate(draft)
    if errors:
        raise ValidationError(errors)

    def write(connection: Connection) -> int:
        existing = _id_for_token(connection, form_token)
        if existing is not None:
            return existing
        return _insert_manual(
            connection, author, draft, occurred_at, form_token, logged_from_candidate_id
        )

    try:
        communication_id = write_with_retry(engine, write)
    except sa.exc.DBAPIError:
        # Two submits of one form racing: the loser's insert breaks the unique
        # token once the winner commits; the winner's entry is the answer.
        with engine.connect() as connection:
            existing = _id_for_token(connection, form_token)
        if existing is None:
            raise
        return existing
    logger.info("communication %s logged by member %s", communication_id, author.id)
    return communication_id


def _insert_manual(
    connection: Connection,
    author: Member,
    draft: CommunicationDraft,
    occurred_at: datetime,
    form_token: str | None,
    logged_from_candidate_id: int | None,
) -> int:
    people, errors = _resolve_participants(connection, draft)
    if errors:
        raise ValidationError(errors)
    if logged_from_candidate_id is not None:
        exists = connection.execute(
            sa.select(candidates.c.id).where(
                candidates.c.id == logged_from_candidate_id
            )
        ).first()
        if exists is None:
            raise NotFound(f"No candidate has id {logged_from_candidate_id}.")
    communication_id = connection.execute(
        communications.insert()
        .values(
            source=Source.MANUAL.value,
            comm_type=draft.comm_type,
            subject=draft.subject.strip(),
            body=draft.description,
            occurred_at=occurred_at,
            logged_by=author.id,
            logged_at=now_utc(),
            form_token=form_token,
        )
        .returning(communications.c.id)
    ).scalar_one()
    insert_participants(connection, communication_id, people)
    if logged_from_candidate_id is not None:
        attach_candidates(
            connection,
            communication_id,
            [logged_from_candidate_id],
            AttachmentReason.LOGGED_FROM,
        )
    attach_candidates(
        connection,
        communication_id,
        draft.recipient_candidate_ids,
        AttachmentReason.RECIPIENT,
    )
    volume_counts.count_in(connection, [communication_id])
    return communication_id


def _load_for_change(
    connection: Connection, member: Member, communication_id: int, verb: str
) -> sa.Row:
    """The entry, once the member is shown to be allowed to change it."""
    row = connection.execute(
        sa.select(communications, members.c.name.label("author_name"))
        .outerjoin(members, members.c.id == communications.c.logged_by)
        .where(communications.c.id == communication_id)
    ).first()
    if row is None or row.deleted_at is not None:
        raise NotFound("This communication no longer exists; it may have been deleted.")
    if row.source != Source.MANUAL:
        raise PermissionDenied(
            f"System-generated entries record what was sent; no one can {verb} them."
        )
    if row.logged_by != member.id:
        raise PermissionDenied(
            f"Only {row.author_name}, who logged this communication, can {verb} it."
        )
    return row


def _snapshot(connection: Connection, row: sa.Row) -> str:
    """The entry as it is now, as JSON, for the history table."""
    people = connection.execute(
        sa.select(communication_participants)
        .where(communication_participants.c.communication_id == row.id)
        .order_by(
            communication_participants.c.role, communication_participants.c.position
        )
    ).all()
    attached = connection.execute(
        sa.select(
            communication_candidates.c.candidate_id, communication_candidates.c.reason
        ).where(communication_candidates.c.communication_id == row.id)
    ).all()
    return json.dumps(
        {
            "comm_type": row.comm_type,
            "subject": row.subject,
            "body": row.body,
            "occurred_at": row.occurred_at.isoformat(),
            "participants": [
                {
                    "role": p.role,
                    "name": p.name,
                    "address": p.address,
                    "member_id": p.member_id,
                    "candidate_id": p.candidate_id,
                }
                for p in people
            ],
            "attached_to": [
                {"candidate_id": a.candidate_id, "reason": a.reason} for a in attached
            ],
        }
    )


def _record_history(
    connection: Connection, row: sa.Row, member: Member, action: str
) -> None:
    connection.execute(
        communication_history.insert().values(
            communication_id=row.id,
            action=action,
            changed_by=member.id,
            changed_at=now_utc(),
            previous=_snapshot(connection, row),
        )
    )


def edit_communication(
    engine: Engine,
    editor: Member,
    communication_id: int,
    draft: CommunicationDraft,
    *,
    seen_version: str | None = None,
) -> None:
    """Replace a manual entry's fields, keeping the previous version in history.

    ``seen_version`` is the entry's ``version`` when the edit form opened; if
    the entry changed since (another tab saved first), the edit is refused
    rather than silently undoing the other one.
    """
    occurred_at, errors = _validate(draft)

    def write(connection: Connection) -> None:
        row = _load_for_change(connection, editor, communication_id, "edit")
        current = row.updated_at.isoformat() if row.updated_at else "original"
        if seen_version is not None and seen_version != current:
            raise EditConflict(
                "This communication changed after you opened it (perhaps in "
                "another tab). Close this form and open it again to see the "
                "latest version; your changes here were not saved."
            )
        if errors:
            raise ValidationError(errors)
        people, unknown = _resolve_participants(connection, draft)
        if unknown:
            raise ValidationError(unknown)
        _record_history(connection, row, editor, "edit")
        volume_counts.count_out(connection, [communication_id])
        connection.execute(
            communications.update()
            .where(communications.c.id == communication_id)
            .values(
                comm_type=draft.comm_type,
                subject=draft.subject.strip(),
                body=draft.description,
                occurred_at=occurred_at,
                updated_at=now_utc(),
            )
        )
        connection.execute(
            communication_participants.delete().where(
                communication_participants.c.communication_id == communication_id
            )
        )
        insert_participants(connection, communication_id, people)
        # A candidate taken out of "sent to" leaves the entry's tab; the profile
        # it was logged from keeps it.
        connection.execute(
            communication_candidates.delete().where(
                communication_candidates.c.communication_id == communication_id,
                communication_candidates.c.reason == AttachmentReason.RECIPIENT.value,
            )
        )
        attach_candidates(
            connection,
            communication_id,
            draft.recipient_candidate_ids,
            AttachmentReason.RECIPIENT,
        )
        timeline_store.reindex(connection, [communication_id])
        volume_counts.count_in(connection, [communication_id])

    write_with_retry(engine, write)
    logger.info("communication %s edited by member %s", communication_id, editor.id)


def delete_communication(engine: Engine, member: Member, communication_id: int) -> None:
    """Take a manual entry off every timeline; the row and its history stay."""

    def write(connection: Connection) -> None:
        row = _load_for_change(connection, member, communication_id, "delete")
        _record_history(connection, row, member, "delete")
        volume_counts.count_out(connection, [communication_id])
        connection.execute(
            communications.update()
            .where(communications.c.id == communication_id)
            .values(deleted_at=now_utc())
        )
        timeline_store.reindex(connection, [communication_id])
        volume_counts.count_in(connection, [communication_id])

    write_with_retry(engine, write)
    logger.info("communication %s deleted by member %s", communication_id, member.id)


def draft_of(entry: Communication, time_zone: str) -> CommunicationDraft:
    """A draft holding an entry's current values, to prefill the edit form."""
    from flo_comms.timezones import to_local

    return CommunicationDraft(
        comm_type=entry.comm_type,
        occurred_local=to_local(entry.occurred_at, time_zone).replace(tzinfo=None),
        time_zone=time_zone,
        sender_member_ids=tuple(p.member_id for p in entry.senders if p.member_id),
        recipient_candidate_ids=tuple(
            p.candidate_id for p in entry.to if p.candidate_id
        ),
        recipient_member_ids=tuple(p.member_id for p in entry.to if p.member_id),
        subject=entry.subject,
        description=entry.body,
    )
