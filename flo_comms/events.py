"""Outreach events: creating, editing, listing, cancelling and deleting them.

An event is an in-person event, a webinar or a virtual chat, open or invite
only (flo_comms.event_rules). Its date and times are entered in the event's own
time zone and stored in UTC. Editing a detail that candidates see emails them
an update (one email per save, however many fields changed); editing the
internal notes emails no one. Cancelling or deleting sends nothing and drops
the reminders and follow-ups not yet sent. Nothing is ever removed: the emails
an event sent stay on the timelines and name it.

The type and the invite mode are fixed once the event exists: who has been
emailed what depends on them.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.communications import MAX_DESCRIPTION_LENGTH, event_kind_label
from flo_comms.db import contains_text, write_with_retry
from flo_comms.errors import FloCommsError, NotFound, PermissionDenied, ValidationError
from flo_comms.event_emails import EventFacts, send_to_audience
from flo_comms.event_rules import EventAction, EventType, ReviewState
from flo_comms.members import Member
from flo_comms.schema import event_registrations, outreach_events
from flo_comms.timezones import is_time_zone, local_to_utc, now_utc, to_local

logger = logging.getLogger(__name__)

EVENT_PAGE_SIZE = 20
MAX_TITLE_LENGTH = 200
MAX_PLACE_LENGTH = 300
MAX_LINK_LENGTH = 500

# Reminder lead times a member chooses from, in minutes; the default is 24 hours.
REMINDER_CHOICES = (60, 120, 240, 24 * 60, 48 * 60, 72 * 60, 7 * 24 * 60)
DEFAULT_REMINDER_MINUTES = 24 * 60
# Follow-ups go out 1, 8 or 24 hours after the event (or the candidate's slot).
FOLLOW_UP_CHOICES = (60, 8 * 60, 24 * 60)
DEFAULT_FOLLOW_UP_MINUTES = 24 * 60


class EventState(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    DELETED = "deleted"


class EventWhen(StrEnum):
    """Which events a list shows."""

    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"


class EventClosed(FloCommsError):
    """The event was cancelled or deleted: it takes no more changes."""


@dataclass(frozen=True)
class EventDetails:
    """An event as a member enters it; times are wall-clock in ``time_zone``."""

    event_type: EventType | str
    invite_only: bool
    title: str
    day: date | None
    start_time: time | None
    end_time: time | None
    time_zone: str
    place: str = ""
    link: str = ""
    agenda: str = ""
    internal_notes: str = ""
    reminder_minutes_before: int = DEFAULT_REMINDER_MINUTES
    follow_up_minutes_after: int = DEFAULT_FOLLOW_UP_MINUTES


# The fields candidates see: changing one of them emails an update.
VISIBLE_FIELDS = (
    "title",
    "starts_at",
    "ends_at",
    "time_zone",
    "place",
    "link",
    "agenda",
)
FIELD_LABELS = {
    "title": "title",
    "starts_at": "date and time",
    "ends_at": "date and time",
    "time_zone": "time zone",
    "place": "place",
    "link": "link",
    "agenda": "agenda",
}


@dataclass(frozen=True)
class Event:
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
    internal_notes: str | None
    reminder_minutes_before: int
    follow_up_minutes_after: int
    registration_token: str
    state: EventState
    created_by: int | None
    created_at: datetime
    updated_at: datetime | None

    @property
    def is_open_for_changes(self) -> bool:
        return self.state is EventState.SCHEDULED

    @property
    def mode_label(self) -> str:
        return "invite only" if self.invite_only else "open"

    @property
    def kind_label(self) -> str:
        """'Webinar, invite only'."""
        return event_kind_label(self.event_type.value, self.invite_only)

    def details(self) -> EventDetails:
        """The event as its edit form starts."""
        start = to_local(self.starts_at, self.time_zone)
        end = to_local(self.ends_at, self.time_zone)
        return EventDetails(
            event_type=self.event_type,
            invite_only=self.invite_only,
            title=self.title,
            day=start.date(),
            start_time=start.time().replace(tzinfo=None),
            end_time=end.time().replace(tzinfo=None),
            time_zone=self.time_zone,
            place=self.place or "",
            link=self.link or "",
            agenda=self.agenda or "",
            internal_notes=self.internal_notes or "",
            reminder_minutes_before=self.reminder_minutes_before,
            follow_up_minutes_after=self.follow_up_minutes_after,
        )

    def facts(self) -> EventFacts:
        return EventFacts(
            id=self.id,
            event_type=self.event_type,
            invite_only=self.invite_only,
            title=self.title,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            time_zone=self.time_zone,
            place=self.place,
            link=self.link,
            agenda=self.agenda,
            created_by=self.created_by,
        )


@dataclass(frozen=True)
class EventSummary:
    """One row of the events list."""

    id: int
    event_type: EventType
    invite_only: bool
    title: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    state: EventState
    # Approved or waiting for review; denied registrations are not counted.
    registered: int
    pending: int


@dataclass(frozen=True)
class EventPage:
    rows: list[EventSummary]
    total: int


@dataclass(frozen=True)
class EventUpdate:
    """What saving an event did."""

    changed: tuple[str, ...]
    # Labels of the changed fields candidates see; empty when none changed.
    visible_changes: tuple[str, ...]
    emailed: int


@dataclass(frozen=True)
class EventClosure:
    """What cancelling or deleting an event did: it emails no one."""

    state: EventState
    registrations: int


def require_event_manager(member: Member) -> None:
    """Admins and recruiters run events; managers read them."""
    if not member.role.can_log_communications:
        raise PermissionDenied(
            "Managers can read events; only admins and recruiters run them."
        )


def require_from_address(from_address: str) -> None:
    # Configuration, not member input: pages pass the mail settings' value.
    if not from_address or not from_address.strip():
        raise ValueError("from_address is empty; pass the configured sender address.")


@dataclass(frozen=True)
class _Valid:
    """EventDetails checked and converted into the stored columns."""

    event_type: EventType
    invite_only: bool
    title: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    place: str | None
    link: str | None
    agenda: str | None
    internal_notes: str | None
    reminder_minutes_before: int
    follow_up_minutes_after: int

    def columns(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _text(value: str | None) -> str:
    return (value or "").strip()


def validate_event(details: EventDetails) -> _Valid:
    """Check an event as entered; ValidationError names each field at fault."""
    errors: dict[str, str] = {}
    event_type = None
    if details.event_type not in {t.value for t in EventType}:
        errors["event_type"] = "Choose in-person event, webinar or virtual chat."
    else:
        event_type = EventType(details.event_type)
    title = " ".join(_text(details.title).split())
    if not title:
        errors["title"] = "Enter the event's title."
    elif len(title) > MAX_TITLE_LENGTH:
        errors["title"] = f"Shorten the title to {MAX_TITLE_LENGTH} characters."
    zone = _text(details.time_zone)
    if not is_time_zone(zone):
        errors["time_zone"] = "Choose the time zone the event's times are in."
    if details.day is None:
        errors["day"] = "Enter the event's date."
    if details.start_time is None:
        errors["start_time"] = "Enter the start time."
    if details.end_time is None:
        errors["end_time"] = "Enter the end time."
    starts_at = ends_at = None
    if not errors.keys() & {"time_zone", "day", "start_time", "end_time"}:
        try:
            starts_at = local_to_utc(
                datetime.combine(details.day, details.start_time),
                zone,
                field="start_time",
            )
            ends_at = local_to_utc(
                datetime.combine(details.day, details.end_time), zone, field="end_time"
            )
        except ValidationError as error:
            errors.update(error.errors)
        else:
            if ends_at <= starts_at:
                errors["end_time"] = (
                    "The end must come after the start (events end on the day "
                    "they start)."
                )
    place = _text(details.place)
    link = _text(details.link)
    if event_type is EventType.IN_PERSON:
        if not place:
            errors["place"] = "Enter where the event takes place."
        link = ""
    elif event_type is not None:
        if not link:
            errors["link"] = "Enter the conferencing link candidates join by."
        elif not link.lower().startswith(("https://", "http://")):
            errors["link"] = "Enter a web address starting with https://."
        place = ""
    if len(place) > MAX_PLACE_LENGTH:
        errors["place"] = f"Shorten the place to {MAX_PLACE_LENGTH} characters."
    if len(link) > MAX_LINK_LENGTH or any(c.isspace() for c in link):
        errors["link"] = (
            f"Enter one web address without spaces, at most {MAX_LINK_LENGTH} "
            "characters."
        )
    for name in ("agenda", "internal_notes"):
        value = getattr(details, name) or ""
        if len(value) > MAX_DESCRIPTION_LENGTH:
            errors[name] = (
                f"Shorten this to {MAX_DESCRIPTION_LENGTH:,} characters "
                f"(it has {len(value):,})."
            )
    if details.reminder_minutes_before not in REMINDER_CHOICES:
        errors["reminder_minutes_before"] = "Choose when reminders go out."
    if details.follow_up_minutes_after not in FOLLOW_UP_CHOICES:
        errors["follow_up_minutes_after"] = (
            "Choose 1, 8 or 24 hours after the event for follow-ups."
        )
    if errors:
        raise ValidationError(errors)
    return _Valid(
        event_type=event_type,
        invite_only=bool(details.invite_only),
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        time_zone=zone,
        place=place or None,
        link=link or None,
        agenda=(details.agenda or "").strip() or None,
        internal_notes=(details.internal_notes or "").strip() or None,
        reminder_minutes_before=details.reminder_minutes_before,
        follow_up_minutes_after=details.follow_up_minutes_after,
    )


def _event(row: sa.Row) -> Event:
    m = row._mapping
    return Event(
        id=m["id"],
        event_type=EventType(m["event_type"]),
        invite_only=m["invite_only"],
        title=m["title"],
        starts_at=m["starts_at"],
        ends_at=m["ends_at"],
        time_zone=m["time_zone"],
        place=m["place"],
        link=m["link"],
        agenda=m["agenda"],
        internal_notes=m["internal_notes"],
        reminder_minutes_before=m["reminder_minutes_before"],
        follow_up_minutes_after=m["follow_up_minutes_after"],
        registration_token=m["registration_token"],
        state=EventState(m["state"]),
        created_by=m["created_by"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def read_event(connection: Connection, event_id: int) -> Event:
    row = connection.execute(
        sa.select(outreach_events).where(outreach_events.c.id == event_id)
    ).first()
    if row is None or row.state == EventState.DELETED:
        raise NotFound(f"No event has id {event_id}.")
    return _event(row)


def read_events(connection: Connection, event_ids: Iterable[int]) -> dict[int, Event]:
    """The events of these ids that were not deleted, by id, in one query."""
    ids = sorted(set(event_ids))
    if not ids:
        return {}
    rows = connection.execute(
        sa.select(outreach_events).where(
            outreach_events.c.id.in_(ids),
            outreach_events.c.state != EventState.DELETED.value,
        )
    ).all()
    return {row.id: _event(row) for row in rows}


def read_open_event(connection: Connection, event_id: int) -> Event:
    """The event, refused with EventClosed when it was cancelled."""
    event = read_event(connection, event_id)
    if not event.is_open_for_changes:
        raise EventClosed(
            f"“{event.title}” was cancelled: it takes no more changes and sends "
            "no more email."
        )
    return event


def get_event(engine: Engine, event_id: int) -> Event:
    """An event that was not deleted (cancelled ones included)."""
    with engine.connect() as connection:
        return read_event(connection, event_id)


def get_event_by_token(engine: Engine, token: str) -> Event:
    """The event a public registration link names; NotFound for any other token."""
    token = (token or "").strip()
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(outreach_events).where(
                outreach_events.c.registration_token == token
            )
        ).first()
    if not token or row is None or row.state == EventState.DELETED:
        raise NotFound("This registration link does not lead to an event.")
    return _event(row)


def create_event(
    engine: Engine,
    member: Member,
    details: EventDetails,
    *,
    at: datetime | None = None,
) -> int:
    """Add an event and return its id. It sends nothing: nobody has joined yet.

    ``at`` is for the demo only, which replays a past year.
    """
    require_event_manager(member)
    valid = validate_event(details)
    with engine.begin() as connection:
        event_id = connection.execute(
            outreach_events.insert()
            .values(
                **valid.columns(),
                registration_token=secrets.token_urlsafe(24),
                state=EventState.SCHEDULED.value,
                created_by=member.id,
                created_at=at or now_utc(),
            )
            .returning(outreach_events.c.id)
        ).scalar_one()
    logger.info("event %s created by member %s", event_id, member.id)
    return event_id


def update_event(
    engine: Engine,
    member: Member,
    event_id: int,
    details: EventDetails,
    *,
    from_address: str,
    at: datetime | None = None,
) -> EventUpdate:
    """Save an event's details; email one update if a visible detail changed.

    The update goes to the candidates the rules name (everyone registered on
    an open event, approved candidates on an invite-only one), each their own
    email, in the same transaction as the change.
    """
    require_event_manager(member)
    require_from_address(from_address)
    valid = validate_event(details)

    def write(connection: Connection) -> EventUpdate:
        event = read_open_event(connection, event_id)
        if (valid.event_type, valid.invite_only) != (
            event.event_type,
            event.invite_only,
        ):
            raise ValidationError(
                {
                    "event_type": "The type and whether the event is invite only "
                    "cannot change once it exists; create a new event instead."
                }
            )
        new = valid.columns()
        changed = tuple(
            name for name, value in new.items() if getattr(event, name) != value
        )
        if not changed:
            return EventUpdate((), (), 0)
        moment = at or now_utc()
        connection.execute(
            outreach_events.update()
            .where(outreach_events.c.id == event_id)
            .values(**new, updated_at=moment)
        )
        visible = tuple(
            dict.fromkeys(
                FIELD_LABELS[name] for name in changed if name in VISIBLE_FIELDS
            )
        )
        emailed = 0
        if visible:
            updated = read_event(connection, event_id)
            emailed = send_to_audience(
                connection,
                EventAction.CHANGE_DETAILS,
                updated.facts(),
                member=member,
                from_address=from_address,
                at=moment,
                changes=visible,
            )
        return EventUpdate(changed, visible, emailed)

    result = write_with_retry(engine, write)
    logger.info(
        "event %s saved by member %s: changed %s, %s update emails",
        event_id,
        member.id,
        ", ".join(result.changed) or "nothing",
        result.emailed,
    )
    return result


def _close(
    engine: Engine,
    member: Member,
    event_id: int,
    state: EventState,
    at: datetime | None,
) -> EventClosure:
    require_event_manager(member)

    def write(connection: Connection) -> EventClosure:
        event = read_event(connection, event_id)
        if state is EventState.CANCELLED and not event.is_open_for_changes:
            raise EventClosed(f"“{event.title}” is cancelled already.")
        connection.execute(
            outreach_events.update()
            .where(outreach_events.c.id == event_id)
            .values(
                state=state.value,
                state_changed_at=at or now_utc(),
                state_changed_by=member.id,
            )
        )
        registered = connection.execute(
            sa.select(sa.func.count()).where(event_registrations.c.event_id == event_id)
        ).scalar_one()
        return EventClosure(state, registered)

    # The dispatcher only looks at scheduled events, so the state change alone
    # drops the reminders and follow-ups not sent yet. Nobody is emailed.
    result = write_with_retry(engine, write)
    logger.info("event %s %s by member %s", event_id, state.value, member.id)
    return result


def cancel_event(
    engine: Engine, member: Member, event_id: int, *, at: datetime | None = None
) -> EventClosure:
    """Cancel an event: it stays listed as cancelled; nothing more is sent."""
    return _close(engine, member, event_id, EventState.CANCELLED, at)


def delete_event(
    engine: Engine, member: Member, event_id: int, *, at: datetime | None = None
) -> EventClosure:
    """Delete an event: it leaves the lists; its sent emails stay on timelines."""
    return _close(engine, member, event_id, EventState.DELETED, at)


def list_events(
    engine: Engine,
    *,
    when: EventWhen | str = EventWhen.UPCOMING,
    event_types: frozenset[str] = frozenset(),
    text: str = "",
    include_cancelled: bool = True,
    include_deleted: bool = False,
    page: int = 1,
    page_size: int = EVENT_PAGE_SIZE,
    now: datetime | None = None,
) -> EventPage:
    """Events, soonest first when upcoming and latest first otherwise, paged.

    Deleted events are left out unless asked for (analytics, which still
    counts the emails they sent).
    """
    now = now or now_utc()
    when = EventWhen(when)
    conditions = []
    if not include_deleted:
        conditions.append(outreach_events.c.state != EventState.DELETED.value)
    if not include_cancelled:
        conditions.append(outreach_events.c.state == EventState.SCHEDULED.value)
    if when is EventWhen.UPCOMING:
        conditions.append(outreach_events.c.ends_at >= now)
    elif when is EventWhen.PAST:
        conditions.append(outreach_events.c.ends_at < now)
    if event_types:
        conditions.append(outreach_events.c.event_type.in_(sorted(event_types)))
    if text.strip():
        conditions.append(contains_text(outreach_events.c.title, text.strip()))
    counts = (
        sa.select(
            event_registrations.c.event_id,
            # Who may come: a denied registration is not counted.
            sa.func.count()
            .filter(event_registrations.c.review_state != ReviewState.DENIED.value)
            .label("registered"),
            sa.func.count()
            .filter(event_registrations.c.review_state == ReviewState.PENDING.value)
            .label("pending"),
        )
        .group_by(event_registrations.c.event_id)
        .subquery()
    )
    order = (
        outreach_events.c.starts_at.asc()
        if when is EventWhen.UPCOMING
        else outreach_events.c.starts_at.desc()
    )
    query = (
        sa.select(
            outreach_events.c.id,
            outreach_events.c.event_type,
            outreach_events.c.invite_only,
            outreach_events.c.title,
            outreach_events.c.starts_at,
            outreach_events.c.ends_at,
            outreach_events.c.time_zone,
            outreach_events.c.state,
            sa.func.coalesce(counts.c.registered, 0),
            sa.func.coalesce(counts.c.pending, 0),
        )
        .outerjoin(counts, counts.c.event_id == outreach_events.c.id)
        .where(*conditions)
        .order_by(order, outreach_events.c.id)
        .limit(page_size)
        .offset((max(page, 1) - 1) * page_size)
    )
    with engine.connect() as connection:
        total = connection.execute(
            sa.select(sa.func.count()).select_from(outreach_events).where(*conditions)
        ).scalar_one()
        rows = connection.execute(query).all()
    return EventPage(
        [
            EventSummary(
                r[0],
                EventType(r[1]),
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                EventState(r[7]),
                r[8],
                r[9],
            )
            for r in rows
        ],
        total,
    )


def event_names(engine: Engine) -> dict[int, str]:
    """Every event not deleted, by id: for filters that name events."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(outreach_events.c.id, outreach_events.c.title)
            .where(outreach_events.c.state != EventState.DELETED.value)
            .order_by(outreach_events.c.starts_at.desc())
        ).all()
    return {row.id: row.title for row in rows}
