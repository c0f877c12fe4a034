"""Reading a candidate's Communications tab: filtered, newest first, paged."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.communications import (
    Communication,
    Participant,
    ParticipantRole,
    Source,
    event_kind_label,
)
from flo_comms.db import contains_text
from flo_comms.errors import NotFound
from flo_comms.schema import (
    communication_candidates,
    communication_history,
    communication_participants,
    communications,
    jobs,
    members,
    outreach_events,
    timeline_entries,
)
from flo_comms.timezones import start_of_local_day, to_local

TIMELINE_PAGE_SIZE = 20


@dataclass(frozen=True)
class TimelineFilter:
    """What the member narrowed the tab to; empty means everything.

    Dates are whole days in the viewer's time zone, both ends included.
    """

    sources: frozenset[str] = frozenset()
    comm_types: frozenset[str] = frozenset()
    start_date: date | None = None
    end_date: date | None = None
    text: str = ""
    time_zone: str = "UTC"
    job_ids: frozenset[int] = frozenset()
    email_kinds: frozenset[str] = frozenset()
    event_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class TimelinePage:
    entries: list[Communication]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class TimelineEvent:
    """An outreach event a candidate has emails from: an option of the event filter."""

    id: int
    title: str
    event_type: str
    invite_only: bool
    starts_at: datetime
    time_zone: str

    @property
    def kind(self) -> str:
        return event_kind_label(self.event_type, self.invite_only)

    @property
    def label(self) -> str:
        """'Data careers webinar · Webinar, invite only · 8 Dec 2026' (its own zone)."""
        day = to_local(self.starts_at, self.time_zone)
        return f"{self.title} · {self.kind} · {day.day} {day:%b %Y}"


@dataclass(frozen=True)
class HistoryEntry:
    """One edit or deletion, with the entry as it was before it."""

    action: str
    changed_by_name: str
    changed_at: datetime
    previous: dict = field(default_factory=dict)


def _conditions(criteria: TimelineFilter) -> list[sa.ColumnElement[bool]]:
    """The filter, on the tabs' reading copy (it holds live entries only)."""
    t = timeline_entries.c
    conditions: list[sa.ColumnElement[bool]] = []
    if criteria.sources:
        conditions.append(t.source.in_(sorted(criteria.sources)))
    if criteria.comm_types:
        conditions.append(t.comm_type.in_(sorted(criteria.comm_types)))
    if criteria.job_ids:
        conditions.append(t.job_id.in_(sorted(criteria.job_ids)))
    if criteria.event_ids:
        conditions.append(t.event_id.in_(sorted(criteria.event_ids)))
    if criteria.email_kinds:
        conditions.append(t.email_kind.in_(sorted(criteria.email_kinds)))
    if criteria.start_date:
        start = start_of_local_day(criteria.start_date, criteria.time_zone)
        conditions.append(t.occurred_at >= start)
    if criteria.end_date:
        day_after = criteria.end_date + timedelta(days=1)
        end = start_of_local_day(day_after, criteria.time_zone)
        conditions.append(t.occurred_at < end)
    text = criteria.text.strip()
    if text:
        # search_text is the subject and body, lowered when written.
        conditions.append(contains_text(t.search_text, text, lowered=True))
    return conditions


_ENTRY_COLUMNS = (
    communications.c.id,
    communications.c.source,
    communications.c.comm_type,
    communications.c.email_kind,
    communications.c.subject,
    communications.c.body,
    communications.c.occurred_at,
    jobs.c.title.label("job_title"),
    outreach_events.c.title.label("event_title"),
    outreach_events.c.event_type.label("event_type"),
    outreach_events.c.invite_only.label("event_invite_only"),
    communications.c.logged_by.label("logged_by_id"),
    members.c.name.label("logged_by_name"),
    communications.c.logged_at,
    communications.c.updated_at,
)


def _with_names(query: sa.Select) -> sa.Select:
    return (
        query.outerjoin(jobs, jobs.c.id == communications.c.job_id)
        .outerjoin(outreach_events, outreach_events.c.id == communications.c.event_id)
        .outerjoin(members, members.c.id == communications.c.logged_by)
    )


def _participants_of(
    connection: Connection, ids: list[int]
) -> dict[int, tuple[Participant, ...]]:
    if not ids:
        return {}
    rows = connection.execute(
        sa.select(communication_participants)
        .where(communication_participants.c.communication_id.in_(ids))
        .order_by(
            communication_participants.c.communication_id,
            communication_participants.c.id,
        )
    )
    people: dict[int, list[Participant]] = defaultdict(list)
    for row in rows:
        people[row.communication_id].append(
            Participant(
                role=ParticipantRole(row.role),
                name=row.name,
                address=row.address,
                member_id=row.member_id,
                candidate_id=row.candidate_id,
                agency_contact_id=row.agency_contact_id,
            )
        )
    return {i: tuple(p) for i, p in people.items()}


def _entries(connection: Connection, rows: list[sa.Row]) -> list[Communication]:
    people = _participants_of(connection, [row.id for row in rows])
    return [
        Communication(
            **{
                **row._asdict(),
                "source": Source(row.source),
                "participants": people.get(row.id, ()),
            }
        )
        for row in rows
    ]


def candidate_timeline(
    engine: Engine,
    candidate_id: int,
    criteria: TimelineFilter = TimelineFilter(),
    *,
    page: int = 1,
    page_size: int = TIMELINE_PAGE_SIZE,
) -> TimelinePage:
    """One page of a candidate's communications, newest first.

    The page's ids and the count come from the tabs' reading copy, which holds
    the candidate's rows together (flo_comms.timeline_store); only the page's
    entries are then read whole.
    """
    t = timeline_entries.c
    conditions = [t.candidate_id == candidate_id, *_conditions(criteria)]
    # The count rides along as a window over the matching rows: one pass over
    # them, where a separate count would filter them again (with a text
    # filter on a long timeline, each pass reads every entry's text).
    page_ids = (
        sa.select(t.communication_id, sa.func.count().over().label("total"))
        .where(*conditions)
        .order_by(t.occurred_at.desc(), t.communication_id.desc())
        .limit(page_size)
        .offset((max(page, 1) - 1) * page_size)
    )
    with engine.connect() as connection:
        found = connection.execute(page_ids).all()
        ids = [row.communication_id for row in found]
        if found:
            total = found[0].total
        elif page <= 1:
            total = 0
        else:
            # Past the last page: no row carries the count.
            total = connection.execute(
                sa.select(sa.func.count()).where(*conditions)
            ).scalar_one()
        rows = []
        if ids:
            rows = connection.execute(
                _with_names(sa.select(*_ENTRY_COLUMNS).select_from(communications))
                .where(communications.c.id.in_(ids))
                .order_by(
                    communications.c.occurred_at.desc(), communications.c.id.desc()
                )
            ).all()
        entries = _entries(connection, rows)
    return TimelinePage(entries=entries, total=total, page=page, page_size=page_size)


def candidate_events(engine: Engine, candidate_id: int) -> list[TimelineEvent]:
    """The events whose emails are on a candidate's tab, latest event first.

    Deleted and cancelled events count: the emails they sent stay on the tab.
    """
    query = (
        sa.select(
            outreach_events.c.id,
            outreach_events.c.title,
            outreach_events.c.event_type,
            outreach_events.c.invite_only,
            outreach_events.c.starts_at,
            outreach_events.c.time_zone,
        )
        .where(
            outreach_events.c.id.in_(
                sa.select(timeline_entries.c.event_id).where(
                    timeline_entries.c.candidate_id == candidate_id,
                    timeline_entries.c.event_id.is_not(None),
                )
            )
        )
        .order_by(outreach_events.c.starts_at.desc(), outreach_events.c.id.desc())
    )
    with engine.connect() as connection:
        return [TimelineEvent(*row) for row in connection.execute(query)]


def get_communication(engine: Engine, communication_id: int) -> Communication:
    """One entry that is still on the timelines."""
    query = _with_names(sa.select(*_ENTRY_COLUMNS).select_from(communications)).where(
        communications.c.id == communication_id, communications.c.deleted_at.is_(None)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        if not rows:
            raise NotFound("This communication no longer exists.")
        return _entries(connection, rows)[0]


def communication_history_of(
    engine: Engine, communication_id: int
) -> list[HistoryEntry]:
    """Every edit and deletion of an entry, oldest first."""
    query = (
        sa.select(
            communication_history.c.action,
            members.c.name,
            communication_history.c.changed_at,
            communication_history.c.previous,
        )
        .join(members, members.c.id == communication_history.c.changed_by)
        .where(communication_history.c.communication_id == communication_id)
        .order_by(communication_history.c.changed_at, communication_history.c.id)
    )
    with engine.connect() as connection:
        return [
            HistoryEntry(action, name, changed_at, json.loads(previous))
            for action, name, changed_at, previous in connection.execute(query)
        ]


def candidates_attached_to(engine: Engine, communication_id: int) -> set[int]:
    """The candidates whose tab shows this entry."""
    with engine.connect() as connection:
        return set(
            connection.execute(
                sa.select(communication_candidates.c.candidate_id).where(
                    communication_candidates.c.communication_id == communication_id
                )
            ).scalars()
        )
