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

The counts come from ``communication_volume`` (flo_comms.volume_counts), kept
per 15-minute UTC bucket in the transaction of every write: a question sums
that table per local day and per what it groups on (the zone's offsets are
worked out in Python and added as seconds), and only then cuts weeks or
months. Date filters become UTC bounds, which fall on a bucket boundary since
every zone's midnight falls on a quarter hour.

Limitation: a zone whose midnight fell off the quarter hour (local mean time
before about 1980, e.g. Liberia at UTC-0:44:30 until 1972) gets the entries of
the 15 minutes around its midnight counted in the day where that bucket starts,
because the counts are not kept any finer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.communications import Source
from flo_comms.schema import (
    communication_volume,
    communications,
    email_deliveries,
    jobs,
    outreach_events,
)
from flo_comms.system_emails import EmailKind
from flo_comms.timezones import start_of_local_day, utc_offsets


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
SECONDS_A_DAY = 24 * 60 * 60


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
    v = communication_volume.c
    conditions: list[sa.ColumnElement[bool]] = []
    if criteria.start_date is not None:
        conditions.append(
            v.bucket >= start_of_local_day(criteria.start_date, criteria.time_zone)
        )
    if criteria.end_date is not None:
        day_after = criteria.end_date + timedelta(days=1)
        conditions.append(v.bucket < start_of_local_day(day_after, criteria.time_zone))
    if criteria.sources:
        conditions.append(v.source.in_(sorted(criteria.sources)))
    if criteria.event_ids:
        conditions.append(v.event_id.in_(sorted(criteria.event_ids)))
    if criteria.event_types:
        conditions.append(
            v.event_id.in_(
                sa.select(outreach_events.c.id).where(
                    outreach_events.c.event_type.in_(sorted(criteria.event_types))
                )
            )
        )
    if criteria.job_ids:
        conditions.append(v.job_id.in_(sorted(criteria.job_ids)))
    return conditions


def _total(value: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    # A sum is NUMERIC on PostgreSQL; the frames want whole numbers.
    return sa.cast(sa.func.coalesce(sa.func.sum(value), 0), sa.BigInteger)


def _counted(
    criteria: AnalyticsFilter,
    keys: list[sa.ColumnElement],
    *conditions: sa.ColumnElement[bool],
) -> sa.Select:
    """Live entries per ``keys``, with how many of them went to an agency.

    Keys whose signed counts add up to nothing (every entry taken out again)
    are left out, as the entries themselves would be.
    """
    v = communication_volume.c
    entries = sa.func.sum(v.entries)
    to_agency = sa.case((v.to_agency, v.entries), else_=0)
    return (
        sa.select(*keys, _total(v.entries).label("entries"))
        .add_columns(_total(to_agency).label("to_agency"))
        .where(*_conditions(criteria), *conditions)
        .group_by(*keys)
        .having(entries != 0)
    )


def _local_day(
    connection: Connection, criteria: AnalyticsFilter, bucket: sa.ColumnElement
) -> sa.ColumnElement:
    """The viewer's day holding each bucket, as days since 1 January 1970.

    The zone's offsets over the buckets counted are worked out here, in
    Python, and sent as a CASE: the database finds each bucket's local day by
    adding seconds, instead of converting every bucket through its time zone
    library (a microsecond or two each, much of a second over a big history).
    """
    if connection.dialect.name == "sqlite":
        # The benchmark's SQLite twin emulates timezone() itself.
        return sa.func.timezone(criteria.time_zone, bucket)
    start, end = _bucket_range(connection, criteria)
    spans = utc_offsets(criteria.time_zone, start, end)
    offset: sa.ColumnElement[int] = _seconds(spans[-1][1])
    if len(spans) > 1:
        offset = sa.case(
            *(
                (bucket < begins, _seconds(earlier))
                for (_, earlier), (begins, _) in pairwise(spans)
            ),
            else_=offset,
        )
    local_seconds = sa.cast(sa.extract("epoch", bucket), sa.BigInteger) + offset
    return sa.cast(sa.func.floor(local_seconds / SECONDS_A_DAY), sa.Integer)


def _period(
    connection: Connection, grain: Grain, local_day: sa.ColumnElement
) -> sa.ColumnElement[date]:
    # date_trunc cuts the viewer's days at their Monday or first of the month:
    # the periods follow the viewer, not the server.
    if connection.dialect.name != "sqlite":
        local_day = sa.literal_column("DATE '1970-01-01'", sa.Date) + local_day
    return sa.cast(sa.func.date_trunc(grain.value, local_day), sa.Date)


def _seconds(value: int) -> sa.ColumnElement[int]:
    # Written into the SQL: a whole number we computed, not a user's value.
    return sa.literal_column(str(int(value)), sa.Integer)


def _bucket_range(
    connection: Connection, criteria: AnalyticsFilter
) -> tuple[datetime, datetime]:
    """UTC moments before and after every bucket the question can count."""
    zone = criteria.time_zone
    start = end = None
    if criteria.start_date is not None:
        start = start_of_local_day(criteria.start_date, zone)
    if criteria.end_date is not None:
        end = start_of_local_day(criteria.end_date + timedelta(days=1), zone)
    if start is None or end is None:
        v = communication_volume.c
        first, last = connection.execute(
            sa.select(sa.func.min(v.bucket), sa.func.max(v.bucket))
        ).one()
        fallback = datetime.now(UTC)
        start = start or first or fallback
        # A day beyond, for entries written while the question runs.
        end = end or (last or fallback) + timedelta(days=1)
    return start, end


def _invite_mode() -> sa.ColumnElement[str]:
    return sa.case((outreach_events.c.invite_only.is_(True), INVITE_ONLY), else_=OPEN)


def _origin() -> sa.ColumnElement[str]:
    v = communication_volume.c
    return sa.case(
        (v.event_id.is_not(None), Origin.EVENT.value),
        (v.email_kind.in_(JOB_KINDS), Origin.JOB.value),
        else_=Origin.MEMBER.value,
    )


def _frame(
    engine: Engine,
    query: sa.Select | Callable[[Connection], sa.Select],
    columns: list[str],
) -> pd.DataFrame:
    """Run the query (or the one built on the connection) into a DataFrame."""
    with engine.connect() as connection:
        if callable(query):
            query = query(connection)
        rows = connection.execute(query).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=columns)
    for column in columns:
        if column in ("emails", "entries", "to_agency"):
            frame[column] = frame[column].astype("int64")
        elif column == "period":
            # The first day of the week or month, in the viewer's zone.
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _event_emails(criteria: AnalyticsFilter, keys: list) -> sa.Subquery:
    v = communication_volume.c
    return _counted(
        criteria, keys, v.source == Source.SYSTEM.value, v.event_id.is_not(None)
    ).subquery("counted")


def outreach_volume(
    engine: Engine, criteria: AnalyticsFilter, grain: Grain = Grain.WEEK
) -> pd.DataFrame:
    """Event emails per period, event type, open or invite only, and email kind."""
    v = communication_volume.c

    def query(connection: Connection) -> sa.Select:
        local_day = _local_day(connection, criteria, v.bucket).label("local_day")
        counted = _event_emails(criteria, [local_day, v.event_id, v.email_kind])
        period = _period(connection, grain, counted.c.local_day).label("period")
        mode = _invite_mode().label("invite_mode")
        keys = (period, outreach_events.c.event_type, mode, counted.c.email_kind)
        return (
            sa.select(*keys, _total(counted.c.entries).label("emails"))
            .select_from(
                counted.join(
                    outreach_events, outreach_events.c.id == counted.c.event_id
                )
            )
            .group_by(*keys)
            .order_by(*keys)
        )

    return _frame(
        engine, query, ["period", "event_type", "invite_mode", "email_kind", "emails"]
    )


def outreach_by_event(engine: Engine, criteria: AnalyticsFilter) -> pd.DataFrame:
    """Emails of each event by kind, most emailed events first."""
    v = communication_volume.c
    counted = _event_emails(criteria, [v.event_id, v.email_kind])
    total = sa.func.sum(counted.c.entries).over(partition_by=counted.c.event_id)
    query = (
        sa.select(
            outreach_events.c.id.label("event_id"),
            outreach_events.c.title.label("event"),
            outreach_events.c.event_type,
            _invite_mode().label("invite_mode"),
            counted.c.email_kind,
            counted.c.entries.label("emails"),
        )
        .select_from(
            counted.join(outreach_events, outreach_events.c.id == counted.c.event_id)
        )
        .order_by(total.desc(), outreach_events.c.id, counted.c.email_kind)
    )
    return _frame(
        engine,
        query,
        ["event_id", "event", "event_type", "invite_mode", "email_kind", "emails"],
    )


def _per_period(
    criteria: AnalyticsFilter,
    grain: Grain,
    key: sa.ColumnElement,
    count_name: str,
    *conditions: sa.ColumnElement[bool],
) -> Callable[[Connection], sa.Select]:
    """Counts per period and ``key`` (labelled), the count named ``count_name``.

    Counted per local day first, so that the periods are cut on a few
    thousand rows at most.
    """

    def query(connection: Connection) -> sa.Select:
        v = communication_volume.c
        local_day = _local_day(connection, criteria, v.bucket).label("local_day")
        counted = _counted(criteria, [local_day, key], *conditions).subquery("counted")
        period = _period(connection, grain, counted.c.local_day).label("period")
        keyed = counted.c[key.name]
        return (
            sa.select(period, keyed, _total(counted.c.entries).label(count_name))
            .group_by(period, keyed)
            .order_by(period, keyed)
        )

    return query


def volume_by_source(
    engine: Engine, criteria: AnalyticsFilter, grain: Grain = Grain.WEEK
) -> pd.DataFrame:
    """Entries per period, system versus manual."""
    query = _per_period(criteria, grain, communication_volume.c.source, "entries")
    return _frame(engine, query, ["period", "source", "entries"])


def manual_by_type(engine: Engine, criteria: AnalyticsFilter) -> pd.DataFrame:
    """Entries logged by hand, per communication type, most first."""
    v = communication_volume.c
    counted = _counted(
        criteria, [v.comm_type], v.source == Source.MANUAL.value
    ).subquery("counted")
    query = sa.select(counted.c.comm_type, counted.c.entries).order_by(
        counted.c.entries.desc(), counted.c.comm_type
    )
    return _frame(engine, query, ["comm_type", "entries"])


def system_by_origin(
    engine: Engine, criteria: AnalyticsFilter, grain: Grain = Grain.WEEK
) -> pd.DataFrame:
    """System emails per period by what caused them: an event, a job, a member."""
    query = _per_period(
        criteria,
        grain,
        _origin().label("origin"),
        "emails",
        communication_volume.c.source == Source.SYSTEM.value,
    )
    return _frame(engine, query, ["period", "origin", "emails"])


def job_emails_by_job(engine: Engine, criteria: AnalyticsFilter) -> pd.DataFrame:
    """Job emails (status emails and update requests) per job and kind.

    ``to_agency`` counts those sent to the agency contact who submitted the
    candidate rather than to the candidate.
    """
    v = communication_volume.c
    counted = _counted(
        criteria, [v.job_id, v.email_kind], v.email_kind.in_(JOB_KINDS)
    ).subquery("counted")
    query = (
        sa.select(
            jobs.c.id.label("job_id"),
            jobs.c.title.label("job"),
            counted.c.email_kind,
            counted.c.entries,
            counted.c.to_agency,
        )
        .select_from(counted.join(jobs, jobs.c.id == counted.c.job_id))
        .order_by(jobs.c.title, jobs.c.id, counted.c.email_kind)
    )
    return _frame(engine, query, ["job_id", "job", "email_kind", "emails", "to_agency"])


def job_emails_by_status(engine: Engine, criteria: AnalyticsFilter) -> pd.DataFrame:
    """Job status emails per status they announced, with those sent to agencies."""
    v = communication_volume.c
    status = sa.func.coalesce(v.job_status, NOT_RECORDED).label("job_status")
    counted = _counted(
        criteria, [status], v.email_kind == EmailKind.JOB_STATUS.value
    ).subquery("counted")
    query = sa.select(
        counted.c.job_status, counted.c.entries, counted.c.to_agency
    ).order_by(counted.c.entries.desc(), counted.c.job_status)
    return _frame(engine, query, ["job_status", "emails", "to_agency"])


def delivery_volume(
    engine: Engine, criteria: AnalyticsFilter, grain: Grain = Grain.WEEK
) -> pd.DataFrame:
    """System emails per period (when logged) by delivery state.

    ``sending`` counts with ``queued``: both are on their way.
    """
    v = communication_volume.c
    query = _per_period(
        criteria,
        grain,
        v.delivery_state.label("state"),
        "emails",
        v.delivery_state.is_not(None),
    )
    return _frame(engine, query, ["period", "state", "emails"])


def headline_figures(engine: Engine, criteria: AnalyticsFilter) -> pd.DataFrame:
    """One row: entries, system, manual, event, job emails, sent to agencies, failed."""
    v = communication_volume.c

    def count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return _total(sa.case((condition, v.entries), else_=0))

    job_email = v.email_kind.in_(JOB_KINDS)
    query = sa.select(
        _total(v.entries).label("entries"),
        count_where(v.source == Source.SYSTEM.value).label("system"),
        count_where(v.source == Source.MANUAL.value).label("manual"),
        count_where(v.event_id.is_not(None)).label("event_emails"),
        count_where(job_email).label("job_emails"),
        count_where(sa.and_(job_email, v.to_agency)).label("to_agency"),
        count_where(v.delivery_state == "failed").label("failed"),
    ).where(*_conditions(criteria))
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
