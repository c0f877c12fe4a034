"""The analytics page's filters, and what to change when they match nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from flo_comms.analytics import AnalyticsFilter, Grain, last_twelve_months
from flo_comms.communications import Source
from flo_comms.event_rules import EventType
from flo_comms.timezones import now_utc, to_local

SOURCE_LABELS = {
    Source.SYSTEM.value: "System generated",
    Source.MANUAL.value: "Logged by hand",
}
GRAIN_LABELS = {Grain.WEEK: "Weeks", Grain.MONTH: "Months"}


@dataclass(frozen=True)
class AnalyticsChoice:
    """What the member chose: the filter for the queries and the period size."""

    criteria: AnalyticsFilter
    grain: Grain


def analytics_filters(
    time_zone: str, events: dict[int, str], jobs: dict[int, str]
) -> AnalyticsChoice | None:
    """Draw the filters; None while the date range is half chosen."""
    today = to_local(now_utc(), time_zone).date()
    when, grain_column, source_column = st.columns([2, 1, 2])
    picked = when.date_input(
        "Dates",
        value=last_twelve_months(today),
        # Wide bounds: a date typed outside them would stay in the box while
        # the figures kept the previous range. A future day simply counts 0.
        min_value=date(2000, 1, 1),
        max_value=today.replace(year=today.year + 5),
        format="YYYY-MM-DD",
        key="analytics_dates",
        help=f"Whole days in your time zone, {time_zone}; both ends included.",
    )
    grain = grain_column.segmented_control(
        "Group by",
        list(Grain),
        default=Grain.MONTH,
        required=True,
        format_func=GRAIN_LABELS.get,
        key="analytics_grain",
    )
    sources = source_column.pills(
        "Source",
        list(SOURCE_LABELS),
        selection_mode="multi",
        format_func=SOURCE_LABELS.get,
        key="analytics_sources",
        help="None chosen: both.",
    )
    type_column, event_column, job_column = st.columns(3)
    event_types = type_column.multiselect(
        "Event type",
        [t.value for t in EventType],
        format_func=str.capitalize,
        placeholder="All event types",
        key="analytics_event_types",
    )
    event_ids = event_column.multiselect(
        "Event",
        list(events),
        format_func=lambda event_id: events.get(event_id, f"Event {event_id}"),
        placeholder="All events",
        key="analytics_events",
    )
    job_ids = job_column.multiselect(
        "Job",
        list(jobs),
        format_func=lambda job_id: jobs.get(job_id, f"Job {job_id}"),
        placeholder="All jobs",
        key="analytics_jobs",
    )
    if len(picked) != 2:
        when.caption(":orange[Pick the last day of the range too.]")
        return None
    criteria = AnalyticsFilter(
        start_date=picked[0],
        end_date=picked[1],
        time_zone=time_zone,
        sources=frozenset(sources),
        event_types=frozenset(event_types),
        event_ids=frozenset(event_ids),
        job_ids=frozenset(job_ids),
    )
    return AnalyticsChoice(criteria, Grain(grain))


def what_to_change(criteria: AnalyticsFilter) -> str:
    """Which filters to loosen, in words: 'Widen the date range or clear …'."""
    if criteria.job_ids and (criteria.event_ids or criteria.event_types):
        return (
            "An email belongs to a job or to an outreach event, never both: clear "
            "the job filter or the event filters."
        )
    steps = ["widen the date range"]
    for chosen, name in (
        (criteria.event_types, "event type"),
        (criteria.event_ids, "event"),
        (criteria.job_ids, "job"),
        (criteria.sources, "source"),
    ):
        if chosen:
            steps.append(f"clear the {name} filter")
    if len(steps) == 1:
        return "Widen the date range."
    return f"{', '.join(steps[:-1]).capitalize()} or {steps[-1]}."
