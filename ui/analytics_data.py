"""The analytics figures for the page, cached briefly and refreshed on each new entry.

The cache is keyed on the database, on what the member chose, and on
flo_comms.analytics.data_version: logging, editing, deleting or delivering
anything changes the version, so the next run counts afresh; otherwise the
figures are reused for a minute.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from flo_comms import analytics
from flo_comms.analytics import AnalyticsFilter, Grain
from flo_comms.config import database_settings
from flo_comms.events import EventState, EventSummary, EventWhen, list_events
from flo_comms.jobs import list_jobs
from flo_comms.timezones import to_local
from ui.analytics_filters import AnalyticsChoice
from ui.session import engine

CACHE_SECONDS = 60
EVENTS_OFFERED = 1_000


@dataclass(frozen=True)
class AnalyticsFigures:
    """Every DataFrame the page draws, as flo_comms.analytics returns them."""

    headline: pd.Series
    outreach_volume: pd.DataFrame
    outreach_by_event: pd.DataFrame
    volume_by_source: pd.DataFrame
    manual_by_type: pd.DataFrame
    system_by_origin: pd.DataFrame
    job_emails_by_job: pd.DataFrame
    job_emails_by_status: pd.DataFrame
    delivery_volume: pd.DataFrame


def _key(criteria: AnalyticsFilter) -> tuple:
    # Sets become sorted tuples, so that the same choice always hashes alike.
    return (
        criteria.start_date,
        criteria.end_date,
        criteria.time_zone,
        *(
            tuple(sorted(chosen))
            for chosen in (
                criteria.sources,
                criteria.event_types,
                criteria.event_ids,
                criteria.job_ids,
            )
        ),
    )


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Counting…")
def _figures(
    database_url: str,
    version: tuple,
    key: tuple,
    grain: str,
    _criteria: AnalyticsFilter,
) -> AnalyticsFigures:
    # The filter itself is passed unhashed: ``key`` stands for it in the cache.
    db, criteria, period = engine(), _criteria, Grain(grain)
    return AnalyticsFigures(
        headline=analytics.headline_figures(db, criteria).iloc[0],
        outreach_volume=analytics.outreach_volume(db, criteria, period),
        outreach_by_event=analytics.outreach_by_event(db, criteria),
        volume_by_source=analytics.volume_by_source(db, criteria, period),
        manual_by_type=analytics.manual_by_type(db, criteria),
        system_by_origin=analytics.system_by_origin(db, criteria, period),
        job_emails_by_job=analytics.job_emails_by_job(db, criteria),
        job_emails_by_status=analytics.job_emails_by_status(db, criteria),
        delivery_volume=analytics.delivery_volume(db, criteria, period),
    )


def load_figures(choice: AnalyticsChoice) -> AnalyticsFigures:
    """The figures for this choice: from the cache unless something changed."""
    version = analytics.data_version(engine())
    return _figures(
        database_settings().url,
        version,
        _key(choice.criteria),
        choice.grain.value,
        choice.criteria,
    )


def _event_label(event: EventSummary) -> str:
    # Titles repeat (a careers evening every spring): the day tells them apart.
    # A cancelled or deleted event's emails still count, so it is offered, named so.
    day = to_local(event.starts_at, event.time_zone)
    state = "" if event.state == EventState.SCHEDULED else f" ({event.state})"
    return f"{event.title} · {day.day} {day:%b %Y}{state}"


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _filter_options(database_url: str) -> tuple[dict[int, str], dict[int, str]]:
    # Limitation: the event filter offers the latest EVENTS_OFFERED events,
    # because the events list is paged; older ones are still counted.
    events = list_events(
        engine(), when=EventWhen.ALL, include_deleted=True, page_size=EVENTS_OFFERED
    )
    jobs = {job.id: job.title for job in list_jobs(engine())}
    return {event.id: _event_label(event) for event in events.rows}, jobs


def filter_options() -> tuple[dict[int, str], dict[int, str]]:
    """The events (titled and dated) and the jobs the filters offer, by id."""
    return _filter_options(database_settings().url)
