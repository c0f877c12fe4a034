"""Composing a logged system email into the message a transport sends.

The headers come from the timeline entry and its queued delivery: From and
Reply-To as queued, To and Cc from the participants, Bcc only in the envelope,
the entry's time as Date, and a Message-ID kept once the first attempt made it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.communications import Participant, ParticipantRole
from flo_comms.errors import NotFound
from flo_comms.mail_transports import OutgoingEmail, PermanentDeliveryError
from flo_comms.schema import (
    communication_participants,
    communications,
    email_deliveries,
)

RECIPIENT_ROLES = (ParticipantRole.TO, ParticipantRole.CC, ParticipantRole.BCC)
FALLBACK_DOMAIN = "flo-comms.localhost"


def build_message(source: Connection | Engine, communication_id: int) -> EmailMessage:
    """The email as it is sent: headers from the entry and its delivery, no Bcc.

    Until the first attempt stores a Message-ID, each call makes a new one.
    """
    if isinstance(source, Connection):
        return compose(source, communication_id).message
    with source.connect() as connection:
        return compose(connection, communication_id).message


def compose(connection: Connection, communication_id: int) -> OutgoingEmail:
    """The message and its envelope; PermanentDeliveryError when 'to' has no address."""
    row = connection.execute(
        sa.select(
            email_deliveries.c.id,
            email_deliveries.c.from_address,
            email_deliveries.c.reply_to,
            email_deliveries.c.message_id,
            communications.c.subject,
            communications.c.body,
            communications.c.occurred_at,
        )
        .join(
            communications, communications.c.id == email_deliveries.c.communication_id
        )
        .where(email_deliveries.c.communication_id == communication_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"Communication {communication_id} has no email to deliver.")
    people = recipients_of(connection, [communication_id]).get(communication_id, ())
    reachable = {
        role: [p for p in people if p.role == role and p.address]
        for role in RECIPIENT_ROLES
    }
    _refuse_without_to(people, reachable[ParticipantRole.TO])
    _refuse_non_ascii([p for group in reachable.values() for p in group])

    message = EmailMessage()
    message["From"] = row.from_address
    for role, header in ((ParticipantRole.TO, "To"), (ParticipantRole.CC, "Cc")):
        if reachable[role]:
            message[header] = ", ".join(
                formataddr((p.name or "", p.address)) for p in reachable[role]
            )
    if row.reply_to:
        message["Reply-To"] = row.reply_to
    message["Subject"] = row.subject
    message["Date"] = format_datetime(as_utc(row.occurred_at))
    message["Message-ID"] = row.message_id or new_message_id(row.from_address)
    message.set_content(row.body)

    # Each address once, in to, cc, bcc order; bcc only here, never in a header.
    envelope = {
        p.address.lower(): p.address for group in reachable.values() for p in group
    }
    skipped = [p.label for p in people if not p.address]
    note = f"Not sent to {', '.join(skipped)}: no email address." if skipped else None
    return OutgoingEmail(
        delivery_id=row.id,
        communication_id=communication_id,
        message=message,
        recipients=tuple(envelope.values()),
        note=note,
    )


def new_message_id(from_address: str) -> str:
    """A fresh Message-ID in the sender's domain: '<…@flo-comms.localhost>'."""
    domain = parseaddr(from_address)[1].rpartition("@")[2] or FALLBACK_DOMAIN
    # The domain given: make_msgid would otherwise ask DNS for this host's name.
    return make_msgid(domain=domain)


def _refuse_without_to(people: Iterable[Participant], to: list[Participant]) -> None:
    # Sending only to the cc of an email meant for someone else would mislead.
    if to:
        return
    missing = [p.label for p in people if p.role == ParticipantRole.TO]
    if missing:
        raise PermanentDeliveryError(
            f"Not sent: no email address for {', '.join(missing)}."
        )
    raise PermanentDeliveryError("Not sent: the email has no recipient in 'to'.")


def _refuse_non_ascii(people: list[Participant]) -> None:
    # Limitation: an address with letters outside ASCII (zoë@example.org) is
    # refused, because formataddr and most SMTP servers accept ASCII only.
    for person in people:
        if not person.address.isascii():
            raise PermanentDeliveryError(
                f"Not sent: the address {person.address} has letters outside "
                "ASCII, which Flo Communications cannot send to."
            )


def recipients_of(
    connection: Connection, communication_ids: list[int]
) -> dict[int, tuple[Participant, ...]]:
    """The to, cc and bcc of each entry, in the order they were written."""
    if not communication_ids:
        return {}
    rows = connection.execute(
        sa.select(communication_participants)
        .where(
            communication_participants.c.communication_id.in_(communication_ids),
            communication_participants.c.role.in_([r.value for r in RECIPIENT_ROLES]),
        )
        .order_by(communication_participants.c.id)
    )
    people: dict[int, list[Participant]] = {}
    for row in rows:
        people.setdefault(row.communication_id, []).append(
            Participant(
                role=ParticipantRole(row.role), name=row.name, address=row.address
            )
        )
    return {i: tuple(group) for i, group in people.items()}


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored time, aware: DuckDB may hand TIMESTAMPTZ back naive (it is UTC)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
