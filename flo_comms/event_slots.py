"""Time slots of virtual chats: adding them, putting candidates in them, removing.

A virtual chat is a set of time slots, each with a start, an end and a
capacity; a member puts registered candidates into slots (on an invite-only
chat, approved candidates only). Taking a candidate out of a slot, moving
them to another, or deleting the slot sends each affected candidate a
cancellation email: the rules allow no other email for it. Putting a candidate
into a slot sends nothing; the final schedule and the reminder name the slot.

Slots are never removed from the database: a deleted slot is marked and takes
no one, and the emails that named it still make sense.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.db import write_with_retry
from flo_comms.errors import NotFound, ValidationError
from flo_comms.event_emails import Recipient, send_event_email
from flo_comms.event_rules import (
    EventAction,
    ReviewState,
    audience_for,
    email_kind_for,
    review_states_emailed,
)
from flo_comms.events import (
    Event,
    read_event,
    read_open_event,
    require_event_manager,
    require_from_address,
)
from flo_comms.locks import exclusively
from flo_comms.members import Member
from flo_comms.schema import candidates, event_registrations, event_time_slots
from flo_comms.timezones import local_to_utc, now_utc

logger = logging.getLogger(__name__)

MAX_CAPACITY = 1000


@dataclass(frozen=True)
class Slot:
    id: int
    event_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)

    def outside(self, event: Event) -> bool:
        """True when the slot is not within the chat's own start and end.

        Allowed (a chat that runs over, a slot added before the chat was moved),
        but worth a warning: reminders follow the slot, not the chat.
        """
        return self.starts_at < event.starts_at or self.ends_at > event.ends_at


@dataclass(frozen=True)
class SlotChange:
    """What putting candidates into a slot did, by name."""

    assigned: tuple[str, ...]
    # Candidates who were in another slot: they got a cancellation for it.
    moved: tuple[str, ...]
    already_there: tuple[str, ...]
    emailed: int


def slot_key(slot_id: int) -> str:
    """The lock key of changing who is in a slot."""
    return f"time slot:{slot_id}"


def _require_slots(event: Event) -> None:
    if not event.event_type.has_slots:
        raise ValidationError(
            {"slot": "Only virtual chats have time slots; this event has none."}
        )


def add_slot(
    engine: Engine,
    member: Member,
    event_id: int,
    *,
    day: date | None,
    start_time: time | None,
    end_time: time | None,
    capacity: int | None,
) -> int:
    """Add a time slot to a virtual chat; times are in the event's time zone."""
    require_event_manager(member)
    errors = {}
    if day is None:
        errors["day"] = "Enter the slot's date."
    if start_time is None:
        errors["start_time"] = "Enter the start time."
    if end_time is None:
        errors["end_time"] = "Enter the end time."
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = f"Enter how many candidates fit, from 1 to {MAX_CAPACITY}."
    if errors:
        raise ValidationError(errors)

    def write(connection: Connection) -> int:
        event = read_open_event(connection, event_id)
        _require_slots(event)
        starts_at = local_to_utc(
            datetime.combine(day, start_time), event.time_zone, field="start_time"
        )
        ends_at = local_to_utc(
            datetime.combine(day, end_time), event.time_zone, field="end_time"
        )
        if ends_at <= starts_at:
            raise ValidationError({"end_time": "The end must come after the start."})
        return connection.execute(
            event_time_slots.insert()
            .values(
                event_id=event_id,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=capacity,
            )
            .returning(event_time_slots.c.id)
        ).scalar_one()

    slot_id = write_with_retry(engine, write)
    logger.info("slot %s added to event %s by member %s", slot_id, event_id, member.id)
    return slot_id


def _taken() -> sa.ScalarSelect:
    return (
        sa.select(sa.func.count())
        .where(event_registrations.c.slot_id == event_time_slots.c.id)
        .scalar_subquery()
    )


def list_slots(engine: Engine, event_id: int) -> list[Slot]:
    """A virtual chat's slots (not deleted), earliest first, with places taken."""
    with engine.connect() as connection:
        read_event(connection, event_id)
        return _slots(connection, event_id)


def _slot_query() -> sa.Select:
    """A slot's columns in Slot's order, with the places taken."""
    return sa.select(
        event_time_slots.c.id,
        event_time_slots.c.event_id,
        event_time_slots.c.starts_at,
        event_time_slots.c.ends_at,
        event_time_slots.c.capacity,
        _taken(),
    )


def _slots(connection: Connection, event_id: int) -> list[Slot]:
    rows = connection.execute(
        _slot_query()
        .where(
            event_time_slots.c.event_id == event_id,
            event_time_slots.c.deleted_at.is_(None),
        )
        .order_by(event_time_slots.c.starts_at, event_time_slots.c.id)
    ).all()
    return [Slot(*row) for row in rows]


def _slot(connection: Connection, slot_id: int) -> Slot:
    row = connection.execute(
        _slot_query().where(
            event_time_slots.c.id == slot_id,
            event_time_slots.c.deleted_at.is_(None),
        )
    ).first()
    if row is None:
        raise NotFound(f"No time slot has id {slot_id} (it may have been deleted).")
    return Slot(*row)


def _cancel(
    connection: Connection,
    event: Event,
    action: EventAction,
    people: list[tuple[int, str, str | None, Slot]],
    member: Member,
    from_address: str,
    moment: datetime,
) -> int:
    """Send the cancellation the rules call for to each (id, name, email, slot)."""
    kind = email_kind_for(action)
    if audience_for(action, event.event_type, event.invite_only) is None or not kind:
        return 0
    sent = 0
    for candidate_id, name, email, slot in people:
        sent += len(
            send_event_email(
                connection,
                kind,
                event.facts(),
                [Recipient(candidate_id, name, email)],
                member=member,
                from_address=from_address,
                at=moment,
                cancelled_slot=(slot.starts_at, slot.ends_at),
            )
        )
    return sent


def assign_to_slot(
    engine: Engine,
    member: Member,
    event_id: int,
    candidate_ids: Iterable[int],
    slot_id: int,
    *,
    from_address: str,
    at: datetime | None = None,
) -> SlotChange:
    """Put registered candidates into a slot, all or none.

    Refused when the slot has too few places left, or when a candidate may not
    attend (pending or denied on an invite-only chat). A candidate moved from
    another slot gets a cancellation for that one.
    """
    require_event_manager(member)
    require_from_address(from_address)
    ids = list(dict.fromkeys(candidate_ids))
    if not ids:
        raise ValidationError({"candidates": "Choose at least one candidate."})

    def write(connection: Connection) -> SlotChange:
        moment = at or now_utc()
        event = read_open_event(connection, event_id)
        _require_slots(event)
        slot = _slot(connection, slot_id)
        if slot.event_id != event_id:
            raise NotFound(f"No time slot has id {slot_id} in this event.")
        rows = _registrations(connection, event_id, ids)
        allowed = review_states_emailed(
            audience_for(EventAction.REMINDER_DUE, event.event_type, event.invite_only)
        )
        refused = [r.name for r in rows if ReviewState(r.review_state) not in allowed]
        if refused:
            raise ValidationError(
                {
                    "candidates": "Only approved candidates can have a time slot: "
                    + ", ".join(refused)
                    + "."
                }
            )
        already = [r for r in rows if r.slot_id == slot_id]
        coming = [r for r in rows if r.slot_id != slot_id]
        if len(coming) > slot.free:
            raise ValidationError(
                {
                    "slot": f"This slot has {slot.free} of {slot.capacity} places "
                    f"left; you chose {len(coming)} candidates. Choose fewer or "
                    "another slot."
                }
            )
        moved = [r for r in coming if r.slot_id is not None]
        old_slots = {s.id: s for s in _slots(connection, event_id)}
        emailed = _cancel(
            connection,
            event,
            EventAction.REMOVE_FROM_SLOT,
            [(r.id, r.name, r.email, old_slots[r.slot_id]) for r in moved],
            member,
            from_address,
            moment,
        )
        if coming:
            connection.execute(
                event_registrations.update()
                .where(
                    event_registrations.c.event_id == event_id,
                    event_registrations.c.candidate_id.in_([r.id for r in coming]),
                )
                .values(slot_id=slot_id, slot_assigned_at=moment)
            )
        return SlotChange(
            tuple(r.name for r in coming),
            tuple(r.name for r in moved),
            tuple(r.name for r in already),
            emailed,
        )

    # One change to a slot at a time: two members filling its last places at
    # once would each see a free place (nothing in the database conflicts:
    # they update different registrations).
    result = exclusively(engine, [slot_key(slot_id)], write)
    logger.info(
        "member %s put %s candidates into slot %s",
        member.id,
        len(result.assigned),
        slot_id,
    )
    return result


def _registrations(
    connection: Connection, event_id: int, candidate_ids: list[int]
) -> list[sa.Row]:
    rows = connection.execute(
        sa.select(
            candidates.c.id,
            candidates.c.name,
            candidates.c.email,
            event_registrations.c.review_state,
            event_registrations.c.slot_id,
        )
        .join(candidates, candidates.c.id == event_registrations.c.candidate_id)
        .where(
            event_registrations.c.event_id == event_id,
            event_registrations.c.candidate_id.in_(candidate_ids),
        )
        .order_by(candidates.c.name, candidates.c.id)
    ).all()
    if len(rows) != len(candidate_ids):
        raise NotFound("Some of these candidates are not registered for the event.")
    return rows


def remove_from_slot(
    engine: Engine,
    member: Member,
    event_id: int,
    candidate_id: int,
    *,
    from_address: str,
    at: datetime | None = None,
) -> int:
    """Take a candidate out of their slot and send the cancellation; return 1.

    The candidate stays registered for the chat, without a slot. Returns 0 when
    they had no slot (nothing changes, nothing is sent).
    """
    require_event_manager(member)
    require_from_address(from_address)

    def write(connection: Connection) -> int:
        moment = at or now_utc()
        event = read_open_event(connection, event_id)
        _require_slots(event)
        (row,) = _registrations(connection, event_id, [candidate_id])
        if row.slot_id is None:
            return 0
        slot = _slot(connection, row.slot_id)
        connection.execute(
            event_registrations.update()
            .where(
                event_registrations.c.event_id == event_id,
                event_registrations.c.candidate_id == candidate_id,
            )
            .values(slot_id=None, slot_assigned_at=None)
        )
        return _cancel(
            connection,
            event,
            EventAction.REMOVE_FROM_SLOT,
            [(row.id, row.name, row.email, slot)],
            member,
            from_address,
            moment,
        )

    sent = write_with_retry(engine, write)
    logger.info(
        "member %s removed candidate %s from their slot in event %s",
        member.id,
        candidate_id,
        event_id,
    )
    return sent


def delete_slot(
    engine: Engine,
    member: Member,
    slot_id: int,
    *,
    from_address: str,
    at: datetime | None = None,
) -> int:
    """Delete a slot; everyone in it gets a cancellation. Returns how many."""
    require_event_manager(member)
    require_from_address(from_address)

    def write(connection: Connection) -> int:
        moment = at or now_utc()
        slot = _slot(connection, slot_id)
        event = read_open_event(connection, slot.event_id)
        rows = connection.execute(
            sa.select(candidates.c.id, candidates.c.name, candidates.c.email)
            .join(candidates, candidates.c.id == event_registrations.c.candidate_id)
            .where(event_registrations.c.slot_id == slot_id)
            .order_by(candidates.c.id)
        ).all()
        connection.execute(
            event_registrations.update()
            .where(event_registrations.c.slot_id == slot_id)
            .values(slot_id=None, slot_assigned_at=None)
        )
        connection.execute(
            event_time_slots.update()
            .where(event_time_slots.c.id == slot_id)
            .values(deleted_at=moment)
        )
        return _cancel(
            connection,
            event,
            EventAction.DELETE_SLOT,
            [(r.id, r.name, r.email, slot) for r in rows],
            member,
            from_address,
            moment,
        )

    sent = exclusively(engine, [slot_key(slot_id)], write)
    logger.info(
        "member %s deleted slot %s (%s cancellations)", member.id, slot_id, sent
    )
    return sent
