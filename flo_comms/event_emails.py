"""The emails outreach events send: their texts, and logging them per candidate.

Whom an action emails comes from flo_comms.event_rules; this module writes
the emails. Each candidate gets their own email and their own timeline entry,
logged and queued in the caller's transaction (flo_comms.system_emails).
Emails go to the candidate's own address (agency routing is for job emails),
sent from the configured address with replies going to the member who
created the event.

The texts are Jinja2 templates rendered in the same sandbox as the status
emails, so a mistake in one fails loudly in the tests rather than leaving a
gap in a sent email.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

import sqlalchemy as sa
from jinja2 import Environment, nodes
from sqlalchemy.engine import Connection

from flo_comms.communications import Participant, ParticipantRole
from flo_comms.email_templates import EmailText, render_email
from flo_comms.event_rules import (
    Audience,
    EventAction,
    EventType,
    audience_for,
    email_kind_for,
    review_states_emailed,
)
from flo_comms.members import Member
from flo_comms.schema import (
    candidates,
    event_registrations,
    event_time_slots,
    members,
)
from flo_comms.system_emails import EmailKind, SystemEmail, log_system_emails
from flo_comms.timezones import to_local

# The name the system signs with when no member's action sent an email
# (a registration through the public link, a reminder).
SYSTEM_SENDER_NAME = "Flo Communications"

# Reads the texts' syntax only (which variables they name); rendering happens
# in flo_comms.email_templates' sandbox.
_PARSER = Environment()

# Emails rendered and logged together: a few statements per batch, whatever
# the audience's size, and a batch's texts held in memory at once.
EMAILS_PER_BATCH = 1_000


@dataclass(frozen=True)
class EventFacts:
    """What the emails of one event need to know about it."""

    id: int
    event_type: EventType
    invite_only: bool
    title: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    place: str | None
    link: str | None
    agenda: str | None
    created_by: int | None


@dataclass(frozen=True)
class Recipient:
    """A registered candidate an email goes to, with their slot if they have one."""

    candidate_id: int
    name: str
    email: str | None
    slot_starts_at: datetime | None = None
    slot_ends_at: datetime | None = None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def format_event_time(starts_at: datetime, ends_at: datetime, zone: str) -> str:
    """'Tuesday 8 December 2026, 14:00–16:00 (Europe/Berlin)'."""
    start = to_local(starts_at, zone)
    end = to_local(ends_at, zone)
    return f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}–{end:%H:%M} ({zone})"


# fmt: off
_DETAILS = (
    "{{ event.title }}\n"
    "{{ event.type }}\n"
    "When: {{ event.when }}\n"
    "{% if slot %}Your time slot: {{ slot }}\n{% endif %}"
    "{% if event.place %}Where: {{ event.place }}\n{% endif %}"
    "{% if show_link and event.link %}Join: {{ event.link }}\n{% endif %}"
    "{% if event.agenda %}\nAgenda:\n{{ event.agenda }}\n{% endif %}"
)
_SIGN = "\nBest regards,\n{{ sender.name }}"

TEMPLATES: dict[EmailKind, EmailText] = {
    EmailKind.REGISTRATION_CONFIRMATION: EmailText(
        "You are registered: {{ event.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "Thank you for registering for {{ event.title }}.\n"
        "{% if event.invite_only %}Places are limited: we will review your "
        "registration and write to you again soon.\n"
        "{% else %}We look forward to seeing you. Here are the details:\n\n"
        + _DETAILS + "{% endif %}" + _SIGN,
    ),
    EmailKind.PROFILE_REQUEST: EmailText(
        "{{ event.title }}: please complete your profile",
        "Hello {{ candidate.first_name }},\n\n"
        "We have added you to {{ event.title }}. To make the most of it, please "
        "complete your full candidate profile: reply to this email with your "
        "CV, the roles you are interested in and your availability.\n"
        "{% if event.invite_only %}We will confirm your place after review.\n"
        "{% else %}\n" + _DETAILS + "{% endif %}" + _SIGN,
    ),
    EmailKind.CONFIRMATION: EmailText(
        "Your place at {{ event.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "We have added you to {{ event.title }}.\n"
        "{% if event.invite_only %}We will confirm your place after review.\n"
        "{% else %}Here are the details:\n\n" + _DETAILS + "{% endif %}" + _SIGN,
    ),
    EmailKind.APPROVAL: EmailText(
        "You are in: {{ event.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "Good news: your place at {{ event.title }} is confirmed.\n\n"
        + _DETAILS + _SIGN,
    ),
    EmailKind.DENIAL: EmailText(
        "{{ event.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "Thank you for your interest in {{ event.title }}. We are sorry that we "
        "cannot offer you a place this time. We will keep your details and hope "
        "to meet you at a future event.\n" + _SIGN,
    ),
    EmailKind.UPDATE: EmailText(
        "Update: {{ event.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "Some details of {{ event.title }} have changed: "
        "{{ changes | join(', ') }}. Here is the event as it now stands:\n\n"
        + _DETAILS + _SIGN,
    ),
    EmailKind.FINAL_SCHEDULE: EmailText(
        "Final schedule: {{ event.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "Here is the final schedule for {{ event.title }}:\n\n"
        + _DETAILS + _SIGN,
    ),
    EmailKind.REMINDER: EmailText(
        "Reminder: {{ event.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "A reminder that {{ event.title }} is coming up soon.\n\n"
        + _DETAILS + _SIGN,
    ),
    EmailKind.FOLLOW_UP: EmailText(
        "Thank you for joining {{ event.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "Thank you for taking part in {{ event.title }}. We hope you found it "
        "useful. If you have questions, or would like to talk about open "
        "roles, just reply to this email.\n" + _SIGN,
    ),
    EmailKind.CANCELLATION: EmailText(
        "Cancelled: your time slot at {{ event.title }}",
        "Hello {{ candidate.first_name }},\n\n"
        "Your time slot at {{ event.title }} on {{ cancelled_slot }} is "
        "cancelled. We are sorry for the change. If you would like another "
        "time, just reply to this email.\n" + _SIGN,
    ),
}
# fmt: on


def render_event_email(
    kind: EmailKind,
    event: EventFacts,
    recipient: Recipient,
    *,
    sender_name: str,
    changes: Sequence[str] = (),
    cancelled_slot: tuple[datetime, datetime] | None = None,
) -> tuple[str, str]:
    """The subject and body of one event email to one candidate."""
    text = TEMPLATES[kind]
    slot = None
    if event.event_type.has_slots and recipient.slot_starts_at is not None:
        slot = format_event_time(
            recipient.slot_starts_at, recipient.slot_ends_at, event.time_zone
        )
    context = {
        "candidate": _candidate_fields(recipient),
        "event": {
            "title": event.title,
            "type": event.event_type.value.capitalize(),
            "when": format_event_time(event.starts_at, event.ends_at, event.time_zone),
            "place": event.place or "",
            "link": event.link or "",
            "agenda": event.agenda or "",
            "invite_only": event.invite_only,
        },
        # The conferencing link only goes to candidates who may attend.
        "show_link": kind is not EmailKind.DENIAL,
        "slot": slot,
        "changes": list(changes),
        "cancelled_slot": (
            format_event_time(*cancelled_slot, event.time_zone)
            if cancelled_slot
            else ""
        ),
        "sender": {"name": sender_name},
    }
    return render_email(text.subject, text.body, context)


def _candidate_fields(recipient: Recipient) -> dict[str, str]:
    words = recipient.name.split()
    return {
        "name": recipient.name,
        "first_name": words[0] if words else "",
        "email": recipient.email or "",
    }


@functools.cache
def candidate_fields_read(kind: EmailKind) -> tuple[str, ...] | None:
    """The candidate fields the texts of ``kind`` read; None if they read it whole.

    The update email reads ``candidate.first_name`` only: ('first_name',).
    """
    read: set[str] = set()
    for source in (TEMPLATES[kind].subject, TEMPLATES[kind].body):
        tree = _PARSER.parse(source)
        named = [n for n in tree.find_all(nodes.Name) if n.name == "candidate"]
        fields = [
            node.attr
            for node in tree.find_all(nodes.Getattr)
            if isinstance(node.node, nodes.Name) and node.node.name == "candidate"
        ]
        if len(fields) != len(named):
            return None
        read.update(fields)
    return tuple(sorted(read))


def _text_key(kind: EmailKind, recipient: Recipient) -> tuple | None:
    """What one recipient's text depends on: two recipients alike get the same text.

    An audience shares many first names, and rendering is most of what a
    large send costs in Python; None when the texts read the whole candidate.
    """
    read = candidate_fields_read(kind)
    if read is None:
        return None
    fields = _candidate_fields(recipient)
    return (
        tuple(fields[name] for name in read),
        recipient.slot_starts_at,
        recipient.slot_ends_at,
    )


def read_creator(connection: Connection, event: EventFacts) -> tuple[str, str] | None:
    """The name and address of the member who created the event, if known."""
    return read_creators(connection, [event]).get(event.id)


def read_creators(
    connection: Connection, events: Sequence[EventFacts]
) -> dict[int, tuple[str, str]]:
    """Each event's creator (name, address) by event id, in one query."""
    member_ids = sorted({e.created_by for e in events if e.created_by is not None})
    if not member_ids:
        return {}
    rows = connection.execute(
        sa.select(members.c.id, members.c.name, members.c.email).where(
            members.c.id.in_(member_ids)
        )
    ).all()
    people = {row.id: (row.name, row.email) for row in rows}
    return {e.id: people[e.created_by] for e in events if e.created_by in people}


def send_event_email(
    connection: Connection,
    kind: EmailKind,
    event: EventFacts,
    recipients: Sequence[Recipient],
    *,
    member: Member | None,
    from_address: str,
    at: datetime,
    changes: Sequence[str] = (),
    cancelled_slot: tuple[datetime, datetime] | None = None,
) -> list[int]:
    """Log and queue one email of ``kind`` to each recipient; return the entry ids.

    ``member`` is the member whose action sends it (None for the public link
    and the dispatcher: then the event's creator signs and receives replies).
    Recipients without an address are passed over: the functions that add
    candidates refuse those, so none should reach here.
    """
    emails = compose_event_emails(
        kind,
        event,
        recipients,
        member=member,
        creator=read_creator(connection, event),
        from_address=from_address,
        changes=changes,
        cancelled_slot=cancelled_slot,
    )
    ids = []
    for start in range(0, len(emails), EMAILS_PER_BATCH):
        ids += log_system_emails(
            connection,
            emails[start : start + EMAILS_PER_BATCH],
            from_address=from_address,
            sent_at=at,
        )
    return ids


def compose_event_emails(
    kind: EmailKind,
    event: EventFacts,
    recipients: Sequence[Recipient],
    *,
    member: Member | None,
    creator: tuple[str, str] | None,
    from_address: str,
    changes: Sequence[str] = (),
    cancelled_slot: tuple[datetime, datetime] | None = None,
) -> list[SystemEmail]:
    """The email of ``kind`` to each recipient with an address, rendered."""
    if member is not None:
        sender = Participant(
            ParticipantRole.SENDER, member.name, member.email, member_id=member.id
        )
        sender_name, reply_to = member.name, member.email
    else:
        # The configured From may carry a display name: "Name <address>".
        name, address = parseaddr(from_address)
        sender = Participant(
            ParticipantRole.SENDER, name or SYSTEM_SENDER_NAME, address or from_address
        )
        sender_name = creator[0] if creator else SYSTEM_SENDER_NAME
        reply_to = creator[1] if creator else None
    emails = []
    texts: dict[tuple, tuple[str, str]] = {}
    for recipient in recipients:
        if not recipient.email:
            continue
        key = _text_key(kind, recipient)
        if key is not None and key in texts:
            subject, body = texts[key]
        else:
            subject, body = render_event_email(
                kind,
                event,
                recipient,
                sender_name=sender_name,
                changes=changes,
                cancelled_slot=cancelled_slot,
            )
            if key is not None:
                texts[key] = (subject, body)
        emails.append(
            SystemEmail(
                kind=kind,
                subject=subject,
                body=body,
                sent_by_member_id=member.id if member else None,
                sender=sender,
                to=(
                    Participant(
                        ParticipantRole.TO,
                        recipient.name,
                        recipient.email,
                        candidate_id=recipient.candidate_id,
                    ),
                ),
                reply_to=reply_to,
                candidate_ids=[recipient.candidate_id],
                event_id=event.id,
            )
        )
    return emails


def registered_candidates() -> sa.FromClause:
    """Registrations with their candidate and their slot, if it still stands."""
    return event_registrations.join(
        candidates, candidates.c.id == event_registrations.c.candidate_id
    ).outerjoin(
        event_time_slots,
        sa.and_(
            event_time_slots.c.id == event_registrations.c.slot_id,
            event_time_slots.c.deleted_at.is_(None),
        ),
    )


def audience_query(event: EventFacts, audience: Audience) -> sa.Select:
    """The registrations a group audience names, with each candidate's slot."""
    states = sorted(s.value for s in review_states_emailed(audience))
    return (
        sa.select(
            candidates.c.id,
            candidates.c.name,
            candidates.c.email,
            event_time_slots.c.starts_at,
            event_time_slots.c.ends_at,
        )
        .select_from(registered_candidates())
        .where(
            event_registrations.c.event_id == event.id,
            event_registrations.c.review_state.in_(states),
        )
        .order_by(candidates.c.id)
    )


def send_to_audience(
    connection: Connection,
    action: EventAction,
    event: EventFacts,
    *,
    member: Member | None,
    from_address: str,
    at: datetime,
    changes: Sequence[str] = (),
    only: Sequence[int] | None = None,
) -> int:
    """Email the group the rules name for ``action``; return how many were sent.

    ``only`` narrows the group to those candidate ids (a final schedule sent
    to those who have not had it yet).
    """
    audience = audience_for(action, event.event_type, event.invite_only)
    kind = email_kind_for(action)
    if audience in (None, Audience.NOBODY) or kind is None:
        return 0
    query = audience_query(event, audience)
    if only is not None:
        query = query.where(candidates.c.id.in_(list(only)))
    recipients = [
        Recipient(row[0], row[1], row[2], row[3], row[4])
        for row in connection.execute(query).all()
    ]
    return len(
        send_event_email(
            connection,
            kind,
            event,
            recipients,
            member=member,
            from_address=from_address,
            at=at,
            changes=changes,
        )
    )
