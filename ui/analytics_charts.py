"""Altair charts of the analytics figures, with tooltips and a click to highlight.

Each chart draws a DataFrame from flo_comms.analytics as it comes; nothing is
counted again here (a chart may add up the rows of one bar, e.g. the email
kinds of one event type in one week). A click on a bar or on a legend entry
highlights that series and fades the others; shift-click adds another, a
double click clears. The browser does it alone: the page is not rerun.

The ``period`` column holds the first day of a week or month in the viewer's
zone, as a naive timestamp. Sent as such, the browser reads it as midnight in
its own zone and a UTC axis shows the day before east of Greenwich (and a local
axis would misplace it wherever midnight is skipped). So the charts send the
date as text, '2026-10-26', which JavaScript reads as midnight UTC, and draw it
on UTC scales: the same date in every browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import altair as alt
import pandas as pd

from flo_comms.analytics import Grain, next_period_start, period_start
from flo_comms.system_emails import DeliveryState, EmailKind

FADED = 0.25
BAR_HEIGHT = 26
TIME_CHART_HEIGHT = 340
# Vega's own names for the periods, for its date arithmetic and labels.
_UNIT = {Grain.WEEK: "week", Grain.MONTH: "month"}
_AXIS_FORMAT = {Grain.WEEK: "%-d %b", Grain.MONTH: "%b %Y"}
_PERIOD_TITLE = {Grain.WEEK: "Week starting", Grain.MONTH: "Month"}
# Counts are whole numbers: no tick at 0.5.
_COUNT_AXIS = alt.Axis(format="d", tickMinStep=1)
# How a screen reader names a bar: 'webinar · open, week of 26 Oct 2026: 4'.
_DESCRIBED_PERIOD = {Grain.WEEK: "week of %-d %b %Y", Grain.MONTH: "%B %Y"}
_TOOLTIP_UNIT = {Grain.WEEK: "utcyearmonthdate", Grain.MONTH: "utcyearmonth"}


@dataclass(frozen=True)
class Series:
    """The column that splits a chart into coloured series, and how to show it.

    A fixed ``domain`` keeps each value's colour the same whatever the filters
    leave out.
    """

    field: str
    title: str
    domain: tuple[str, ...] | None = None
    colors: tuple[str, ...] | None = None
    # Off where the bars' labels already name each series.
    legend: bool = True
    legend_columns: int = 2

    def color(self) -> alt.Color:
        if self.domain is None:
            scale = alt.Scale()
        elif self.colors is None:
            scale = alt.Scale(domain=list(self.domain))
        else:
            scale = alt.Scale(domain=list(self.domain), range=list(self.colors))
        legend = (
            alt.Legend(
                orient="bottom",
                columns=self.legend_columns,
                symbolLimit=0,
                labelLimit=220,
            )
            if self.legend
            else None
        )
        return alt.Color(
            f"{self.field}:N", title=self.title, scale=scale, legend=legend
        )


# "webinar · invite only": the event type with its invite mode.
EVENT_KIND = "kind_of_event"
EVENT_KINDS = Series(EVENT_KIND, "Event type")
EVENT_EMAIL_KINDS = Series(
    "email_kind",
    "Email",
    domain=tuple(
        kind.value
        for kind in (
            EmailKind.REGISTRATION_CONFIRMATION,
            EmailKind.PROFILE_REQUEST,
            EmailKind.CONFIRMATION,
            EmailKind.APPROVAL,
            EmailKind.DENIAL,
            EmailKind.UPDATE,
            EmailKind.FINAL_SCHEDULE,
            EmailKind.REMINDER,
            EmailKind.FOLLOW_UP,
            EmailKind.CANCELLATION,
        )
    ),
)
SOURCES = Series(
    "source", "Source", domain=("system", "manual"), colors=("#1f77b4", "#ff7f0e")
)
ORIGINS = Series("origin", "Caused by")
COMMUNICATION_TYPES = Series("comm_type", "Type", legend=False)
JOB_EMAIL_KINDS = Series(
    "email_kind",
    "Email",
    domain=(EmailKind.JOB_STATUS.value, EmailKind.UPDATE_REQUEST.value),
    legend_columns=1,
)
DELIVERY_STATES = Series(
    "state",
    "Delivery",
    domain=(
        DeliveryState.SENT.value,
        DeliveryState.QUEUED.value,
        DeliveryState.FAILED.value,
    ),
    colors=("#2e7d32", "#9e9e9e", "#c62828"),
)
RECIPIENTS = Series(
    "recipient",
    "Sent to",
    domain=("candidate", "agency contact"),
    colors=("#1f77b4", "#9467bd"),
)


def _highlight(series: Series) -> alt.Parameter:
    return alt.selection_point(
        fields=[series.field], bind="legend", on="click", clear="dblclick"
    )


def _faded_unless(pick: alt.Parameter) -> alt.OpacityValue:
    return alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(FADED))


def _utc_day(day: date) -> alt.DateTime:
    return alt.DateTime(year=day.year, month=day.month, date=day.day, utc=True)


def _period_starts(first: date, after: date, grain: Grain) -> list[alt.DateTime]:
    """The first day of every week or month from ``first`` up to ``after``."""
    starts = []
    day = first
    while day < after:
        starts.append(_utc_day(day))
        day = next_period_start(day, grain)
    return starts


def over_time(
    frame: pd.DataFrame,
    *,
    value: str,
    value_title: str,
    series: Series,
    grain: Grain,
    dates: tuple[date, date],
    calculate: dict[str, str] | None = None,
) -> alt.Chart:
    """Stacked bars per week or month across the chosen dates, one colour a series.

    ``frame`` has ``period``, the series' column (or ``calculate`` makes it)
    and ``value``. Each bar spans its period less a day, to leave a gap, so
    weeks and months without a single email show as gaps, not missing bars.
    """
    pick = _highlight(series)
    unit = _UNIT[grain]
    first, after = period_start(dates[0], grain), next_period_start(dates[1], grain)
    total = f"total_{value}"
    dated = frame.assign(period=frame["period"].dt.strftime("%Y-%m-%d"))
    # Bars spanning a range on x are drawn from explicit y ranges: Vega-Lite
    # would otherwise take them for horizontal bars.
    return (
        alt.Chart(dated)
        .transform_calculate(period="toDate(datum.period)", **(calculate or {}))
        .transform_aggregate(
            **{total: f"sum({value})"}, groupby=["period", series.field]
        )
        .transform_stack(
            stack=total,
            groupby=["period"],
            as_=["bottom", "top"],
            sort=[alt.SortField(series.field)],
        )
        .transform_calculate(
            period_end=f"utcOffset('day', utcOffset('{unit}', datum.period, 1), -1)",
            described=(
                f"datum['{series.field}'] + ', ' + utcFormat(datum.period, "
                f"'{_DESCRIBED_PERIOD[grain]}') + ': ' + datum['{total}']"
            ),
        )
        .mark_bar()
        .encode(
            x=alt.X(
                "period:T",
                title=_PERIOD_TITLE[grain],
                scale=alt.Scale(type="utc", domain=[_utc_day(first), _utc_day(after)]),
                # A tick at the start of each period, so that a short range
                # does not label every few days with the same month.
                axis=alt.Axis(
                    format=_AXIS_FORMAT[grain],
                    values=_period_starts(first, after, grain),
                ),
            ),
            x2="period_end:T",
            y=alt.Y("bottom:Q", title=value_title, axis=_COUNT_AXIS),
            y2="top:Q",
            color=series.color(),
            opacity=_faded_unless(pick),
            description="described:N",
            tooltip=[
                alt.Tooltip(
                    f"{_TOOLTIP_UNIT[grain]}(period):T", title=_PERIOD_TITLE[grain]
                ),
                alt.Tooltip(f"{series.field}:N", title=series.title),
                alt.Tooltip(f"{total}:Q", title=value_title),
            ],
        )
        .add_params(pick)
        .properties(height=TIME_CHART_HEIGHT)
    )


def by_category(
    base: alt.Chart,
    *,
    category: str,
    category_title: str,
    value: str,
    value_title: str,
    series: Series,
    tooltip: tuple[alt.Tooltip, ...] = (),
) -> alt.Chart:
    """Horizontal stacked bars, one per category, the largest first."""
    pick = _highlight(series)
    return (
        base.mark_bar()
        .encode(
            y=alt.Y(
                f"{category}:N",
                title=category_title,
                sort="-x",
                axis=alt.Axis(labelLimit=320),
            ),
            x=alt.X(f"sum({value}):Q", title=value_title, axis=_COUNT_AXIS),
            color=series.color(),
            opacity=_faded_unless(pick),
            tooltip=[
                alt.Tooltip(f"{category}:N", title=category_title),
                alt.Tooltip(f"{series.field}:N", title=series.title),
                alt.Tooltip(f"sum({value}):Q", title=value_title),
                *tooltip,
            ],
        )
        .add_params(pick)
        .properties(height=alt.Step(BAR_HEIGHT))
    )


# The calculation that names an event's type and invite mode together.
WITH_EVENT_KIND = {EVENT_KIND: "datum.event_type + ' · ' + datum.invite_mode"}


def by_recipient(frame: pd.DataFrame) -> alt.Chart:
    """A frame with ``emails`` and ``to_agency``, as one row per recipient kind.

    The emails not sent to an agency contact went to the candidates themselves.
    """
    return (
        alt.Chart(frame)
        .transform_calculate(to_candidate="datum.emails - datum.to_agency")
        .transform_fold(["to_candidate", "to_agency"], as_=["sent_to", "count"])
        .transform_calculate(
            recipient="datum.sent_to == 'to_agency' ? 'agency contact' : 'candidate'"
        )
    )
