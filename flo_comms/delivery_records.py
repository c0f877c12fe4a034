"""Reading the delivery queue: the admin's list, and each timeline entry's state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms.communications import Participant
from flo_comms.email_messages import as_utc, recipients_of
from flo_comms.schema import communications, email_deliveries
from flo_comms.system_emails import DeliveryState

DELIVERIES_PAGE_SIZE = 50


class DeliveryStatus(NamedTuple):
    """What the timeline shows of an email's delivery."""

    state: DeliveryState
    last_error: str | None
    delivered_to: str | None


@dataclass(frozen=True)
class Delivery:
    """One row of the admin's delivery list; recipients are to, cc and bcc."""

    id: int
    communication_id: int
    subject: str
    recipients: tuple[Participant, ...]
    state: DeliveryState
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    delivered_to: str | None
    created_at: datetime


@dataclass(frozen=True)
class DeliveryPage:
    entries: list[Delivery]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))


def list_deliveries(
    engine: Engine,
    state: DeliveryState | None = None,
    *,
    page: int = 1,
    page_size: int = DELIVERIES_PAGE_SIZE,
) -> DeliveryPage:
    """One page of email deliveries, newest first, in one state or all."""
    conditions = [] if state is None else [email_deliveries.c.state == state.value]
    query = (
        sa.select(email_deliveries, communications.c.subject)
        .join(
            communications, communications.c.id == email_deliveries.c.communication_id
        )
        .where(*conditions)
        .order_by(email_deliveries.c.created_at.desc(), email_deliveries.c.id.desc())
        .limit(page_size)
        .offset((max(page, 1) - 1) * page_size)
    )
    total_query = (
        sa.select(sa.func.count()).select_from(email_deliveries).where(*conditions)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        total = connection.execute(total_query).scalar_one()
        people = recipients_of(connection, [row.communication_id for row in rows])
    entries = [
        Delivery(
            id=row.id,
            communication_id=row.communication_id,
            subject=row.subject,
            recipients=people.get(row.communication_id, ()),
            state=DeliveryState(row.state),
            attempts=row.attempts,
            last_error=row.last_error,
            next_attempt_at=as_utc(row.next_attempt_at),
            sent_at=as_utc(row.sent_at),
            delivered_to=row.delivered_to,
            created_at=as_utc(row.created_at),
        )
        for row in rows
    ]
    return DeliveryPage(entries=entries, total=total, page=page, page_size=page_size)


def delivery_state_of(
    engine: Engine, communication_ids: Iterable[int]
) -> dict[int, DeliveryStatus]:
    """The delivery of each of these entries that is a system email, in one query.

    Entries without a delivery (logged by hand) are absent from the result.
    """
    ids = list(communication_ids)
    if not ids:
        return {}
    query = sa.select(
        email_deliveries.c.communication_id,
        email_deliveries.c.state,
        email_deliveries.c.last_error,
        email_deliveries.c.delivered_to,
    ).where(email_deliveries.c.communication_id.in_(ids))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return {
        row.communication_id: DeliveryStatus(
            DeliveryState(row.state), row.last_error, row.delivered_to
        )
        for row in rows
    }
