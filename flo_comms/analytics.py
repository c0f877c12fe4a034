"""Email and communication volume, counted in the database.

One function per question, each returning a pandas DataFrame with named
columns, so that the dashboard's charts and a notebook read the same numbers.
Every count is a GROUP BY in SQL; Python never sees the rows themselves.

What is counted: entries on the timelines as they stand. A deleted manual
entry is not counted; an edited one counts once (edits change a row, they do
not add one). A system email counts once however many candidates' timelines
show it. Weeks (starting Monday) and months are those of the viewer's time
zone, so a week that crosses a clock change is still one week.

Filters combine with AND: a job and an event filter together match nothing,
because no email belongs to both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms.communications import Source
from flo_comms.schema import (
    communication_participants,
    communications,
    email_deliveries,
    jobs,
    outreach_events,
)
from flo_comms.system_emails import EmailKind
from flo_comms.timezones import start_of_local_day


class Grain(StrEnum):
    WEEK = "week"
    MONTH = "month"


class Origin(StrEnum):
    """What caused a system email."""

    EVENT = "outreach event"
    JOB = "job"
    MEMBER = "sent by a member"


JOB_KINDS = (EmailKind.JOB_STATUS.value, EmailKind.UPDATE_REQUEST.value)
INVITE_ONLY = "invite only"
OPEN = "open"
NOT_RECORDED = "(not recorded)"


@dataclass(frozen=True)
class AnalyticsFilter:
    """What the viewer narrowed the figures to; empty means everything.

    Dates are whole days in ``time_zone``, both ends included.
    """

    start_date: date | None = None
    end_date: date | None = None
    time_zone: str = "UTC"
    sources: frozenset[str] = frozenset()
    event_types: frozenset[str] = frozenset()
    event_ids: frozenset[int] = frozenset()
    job_ids: frozenset[int] = frozenset()


def _conditions(criteria: AnalyticsFilter) -> list[sa.ColumnElement[bool]]:
    c = communications.c
    conditions: list[sa.ColumnElement[bool]] = [c.deleted_at.is_(None)]
    if criteria.start_date is not None:
        conditions.append(
            c.occurred_at >= start_of_local_day(criteria.start_date, criteria.time_zone)
        )
    if criteria.end_date is not None:
        conditions.append(
            c.occurred_at
            < start_of_local_day(
                criteria.end_date + timedelta(days=1), criteria.time_zone
            )
        )
    if criteria.sources:
        conditions.append(c.source.in_(sorted(criteria.sources)))
    if criteria.event_ids:
        conditions.append(c.event_id.in_(sorted(criteria.event_ids)))
    if criteria.event_types:
        conditions.append(
            c.event_id.in_(
                sa.select(outreach_events.c.id).where(
                    outreach_events.c.event_type.in_(sorted(criteria.event_types))
                )
            )
        )
    if criteria.job_ids:
        conditions.append(c.job_id.in_(sorted(criteria.job_ids)))
    return conditions


def _period(grain: Grain, zone: str) -> sa.ColumnElement[date]:
    # timezone(zone, t) gives the wall-clock time in the zone on both DuckDB
    # and PostgreSQL, and date_trunc then cuts at that zone's Monday or first
    # of the month: the buckets follow the viewer, not the server.
    local = sa.func.timezone(zone, communications.c.occurred_at)
    return sa.cast(sa.func.date_trunc(grain.value, local), sa.Date)


def _invite_mode() -> sa.ColumnElement[str]:
    return sa.case((outreach_events.c.invite_only.is_(True), INVITE_ONLY), else_=OPEN)


def _origin() -> sa.ColumnElement[str]:
    c = communications.c
    return sa.case(
        (c.event_id.is_not(None), Origin.EVENT.value),
        (c.email_kind.in_(JOB_KINDS), Origin.JOB.value),
        else_=Origin.MEMBER.value,
    )


def _frame(engine: Engine, query: sa.Select, columns: list[str]) -> pd.DataFrame:
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=columns)
    for column in columns:
        if column in ("emails", "entries", "to_agency"):
            frame[column] = frame[column].astype("int64")
        elif column == "period":
            # The first day of the week or month, in the viewer's zone.
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _event_emails() -> sa.Select:
    return sa.select().select_from(
        communications.join(
            outreach_events, outreach_events.c.id == communications.c.event_id
        )
    )


def outreach_volume(
    engine: Engine, criteria: AnalyticsFilter, grain: Grain = Grain.WEEK
) -> pd.DataFrame:
    """Event emails per period, event type, open or invite only, and email kind."""
    period = _period(grain, criteria.time_zone).label("period")
    mode = _invite_mode().label("invite_mode")
    keys = (period, outreach_events.c.event_type, mode, communications.c.email_kind)
    query = (
        _event_emails()
        .add_columns(*keys, sa.func.count().label("emails"))
        .where(*_conditions(criteria), communications.c.source == Source.SYSTEM.value)
        .group_by(*keys)
        .order_by(*keys)
    )
    return _frame(
        engine, query, ["period", "event_type", "invite_mode", "email_kind", "emails"]
    )


def outreach_by_event(engine: Engine, criteria: AnalyticsFilter) -> pd.DataFrame:
    """Emails of each event by kind, most emailed events first."""
    mode = _invite_mode().label("invite_mode")
    total = sa.func.sum(sa.func.count()).over(partition_by=outreach_events.c.id)
    query = (
        _event_emails()
        .add_columns(
            outreach_events.c.id.label("event_id"),
            outreach_events.c.title.label("event"),
            outreach_events.c.event_type,
            mode,
            communications.c.email_kind,
            sa.func.count().label("emails"),
        )
        .where(*_conditions(criteria), communications.c.source == Source.SYSTEM.value)
        .group_by(
            outreach_events.c.id,
            outreach_events.c.title,
            outreach_events.c.event_type,
            mode,
            communications.c.email_kind,
        )
        .order_by(total.desc(), outreach_events.c.id, communications.c.email_kind)
    )
    return _frame(
        engine,
        query,
        ["event_id", "event", "event_type", "invite_mode", "email_kind", "emails"],
    )


def volume_by_source(
    engine: Engine, criteria: AnalyticsFilter, grain: Grain = Grain.WEEK
) -> pd.DataFrame:
    """Entries per period, system versus manual."""
    period = _period(grain, criteria.time_zone).label("period")
    query = (
        sa.select(period, communications.c.source, sa.func.count().label("entries"))
        .where(*_conditions(criteria))
        .group_by(period, communications.c.source)
        .order_by(period, communications.c.source)
    )
    return _frame(engine, query, ["period", "source", "entries"])


def manual_by_type(engine: Engine, criteria: AnalyticsFilter) -> pd.DataFrame:
    """Entries logged by hand, per communication type, most first."""
    entries = sa.func.count().label("entries")
    query = (
        sa.select(communications.c.comm_type, entries)
        .where(*_conditions(criteria), communications.c.source == Source.MANUAL.value)
        .group_by(communications.c.comm_type)
        .order_by(entries.desc(), communications.c.comm_type)
    )
    return _frame(engine, query, ["comm_type", "entries"])


def system_by_origin(
    engine: Engine, criteria: AnalyticsFilter, grain: Grain = Grain.WEEK
) -> pd.DataFrame:
    """System emails per period by what caused them: an event, a job, a member."""
    period = _period(grain, criteria.time_zone).label("period")
    origin = _origin().label("origin")
    query = (
        sa.select(period, origin, sa.func.count().label("emails"))
        .where(*_conditions(criteria), communications.c.source == Source.SYSTEM.value)
        .group_by(period, origin)
        .order_by(period, origin)
    )
    return _frame(engine, query, ["period", "origin", "emails"])


def _to_agency() -> sa.ColumnElement[int]:
    """1 for an email addressed to an agency contact, else 0."""
    addressed = (
        sa.select(communication_participants.c.id)
        .where(
            communication_participants.c.communication_id == communications.c.id,
            communication_participants.c.role == "to",
            communication_participants.c.agency_contact_id.is_not(None),
        )
        .exists()
    )
    return sa.case((addressed, 1), else_=0)


def job_emails_by_job(engine: Engine, criteria: AnalyticsFilter) -> pd.DataFrame:
    """Job emails (status emails and update requests) per job and kind.

    ``to_agency`` counts those sent to the agency contact who submitted the
    candidate rather than to the candidate.
    """
    emails = sa.func.count().label("emails")
    query = (
        sa.select(
            jobs.c.id.label("job_id"),
            jobs.c.title.label("job"),
            communications.c.email_kind,
            emails,
            sa.func.sum(_to_agency()).label("to_agency"),
        )
        .select_from(communications.join(jobs, jobs.c.id == communications.c.job_id))
        .where(*_conditions(criteria), communications.c.email_kind.in_(JOB_KINDS))
        .group_by(jobs.c.id, jobs.c.title, communications.c.email_kind)
        .order_by(jobs.c.title, jobs.c.id, communications.c.email_kind)
    )
    return _frame(engine, query, ["job_id", "job", "email_kind", "emails", "to_agency"])


def job_emails_by_status(engine: Engine, criteria: AnalyticsFilter) -> pd.DataFrame:
    """Job status emails per status they announced, with those sent to agencies."""
    status = sa.func.coalesce(communications.c.job_status, NOT_RECORDED).label(
        "job_status"
    )
    emails = sa.func.count().label("emails")
    query = (
        sa.select(status, emails, sa.func.sum(_to_agency()).label("to_agency"))
        .where(
            *_conditions(criteria),
            communications.c.email_kind == EmailKind.JOB_STATUS.value,
        )
        .group_by(status)
        .order_by(emails.desc(), status)
    )
    return _frame(engine, query, ["job_status", "emails", "to_agency"])


def delivery_volume(
    engine: Engine, criteria: AnalyticsFilter, grain: Grain = Grain.WEEK
) -> pd.DataFrame:
    """System emails per period (when logged) by delivery state.

    ``sending`` counts with ``queued``: both are on their way.
    """
    period = _period(grain, criteria.time_zone).label("period")
    state = sa.case(
        (email_deliveries.c.state == "sending", "queued"),
        else_=email_deliveries.c.state,
    ).label("state")
    query = (
        sa.select(period, state, sa.func.count().label("emails"))
        .select_from(
            communications.join(
                email_deliveries,
                email_deliveries.c.communication_id == communications.c.id,
            )
        )
        .where(*_conditions(criteria))
        .group_by(period, state)
        .order_by(period, state)
    )
    return _frame(engine, query, ["period", "state", "emails"])


def headline_figures(engine: Engine, criteria: AnalyticsFilter) -> pd.DataFrame:
    """One row: entries, system, manual, event, job emails, sent to agencies, failed."""
    c = communications.c

    def count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    query = (
        sa.select(
            sa.func.count().label("entries"),
            count_where(c.source == Source.SYSTEM.value).label("system"),
            count_where(c.source == Source.MANUAL.value).label("manual"),
            count_where(c.event_id.is_not(None)).label("event_emails"),
            count_where(c.email_kind.in_(JOB_KINDS)).label("job_emails"),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case((c.email_kind.in_(JOB_KINDS), _to_agency()), else_=0)
                ),
                0,
            ).label("to_agency"),
            count_where(email_deliveries.c.state == "failed").label("failed"),
        )
        .select_from(
            communications.outerjoin(
                email_deliveries, email_deliveries.c.communication_id == c.id
            )
        )
        .where(*_conditions(criteria))
    )
    columns = [
        "entries",
        "system",
        "manual",
        "event_emails",
        "job_emails",
        "to_agency",
        "failed",
    ]
    frame = _frame(engine, query, columns)
    return frame.astype("int64")


def data_version(engine: Engine) -> tuple:
    """Changes whenever an entry is logged, edited, deleted or delivered, and
    whenever an event or a job is added or changed.

    Pages key their cached figures on it, so that they refresh as soon as
    something new is counted, and otherwise reuse the cache. Counts, not only
    the newest id or time: an entry whose transaction commits after a later
    one's, or a delivery moved back to the queue, changes no maximum.
    """
    c = communications.c
    with engine.connect() as connection:
        entries = connection.execute(
            sa.select(
                sa.func.count(),
                sa.func.max(c.id),
                sa.func.max(c.updated_at),
                sa.func.count(c.deleted_at),
            )
        ).one()
        deliveries = connection.execute(
            sa.select(email_deliveries.c.state, sa.func.count())
            .group_by(email_deliveries.c.state)
            .order_by(email_deliveries.c.state)
        ).all()
        events = connection.execute(
            sa.select(
                sa.func.count(),
                sa.func.max(outreach_events.c.updated_at),
                sa.func.max(outreach_events.c.state_changed_at),
            )
        ).one()
        job_count = connection.execute(
            sa.select(sa.func.count()).select_from(jobs)
        ).scalar_one()
    values = (*entries, *(tuple(row) for row in deliveries), *events, job_count)
    return tuple(v.isoformat() if isinstance(v, datetime) else v for v in values)


def period_start(day: date, grain: Grain) -> date:
    """The first day of the week (a Monday) or month holding ``day``.

    The same cut as the queries make: period_start(date(2026, 3, 5), WEEK) is
    2 March 2026, and with MONTH it is 1 March.
    """
    if grain is Grain.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period_start(day: date, grain: Grain) -> date:
    """The first day of the period after the one holding ``day``."""
    start = period_start(day, grain)
    if grain is Grain.WEEK:
        return start + timedelta(days=7)
    return (start + timedelta(days=32)).replace(day=1)


def last_twelve_months(today: date) -> tuple[date, date]:
    """The default range: a year back to today, both ends included.

    last_twelve_months(date(2026, 12, 3)) is 3 Dec 2025 to 3 Dec 2026; on
    29 Feb 2028 it starts on 28 Feb 2027.
    """
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago, today
