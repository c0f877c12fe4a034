"""The Analytics page: headline figures, four sections of charts, CSV downloads.

The database holds the history of tests/analytics_world.py, made once per run
and copied into each test's file. What the page shows is checked against that
history's own counts and against flo_comms.analytics for the same filter.
"""

from __future__ import annotations

import io
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa
from analytics_world import (
    EVENING_TITLE,
    WEBINAR_TITLE,
    AnalyticsWorld,
    build_analytics_world,
)
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from flo_comms import analytics
from flo_comms.analytics import AnalyticsFilter, Grain
from flo_comms.db import create_engine
from flo_comms.members import Member
from flo_comms.timezones import now_utc, to_local

from .helpers import log_entry, values

TABS = ["Outreach emails", "System and manual", "Job emails", "Delivery"]
# Each tab's charts and CSV downloads; a download is named after the function
# of flo_comms.analytics whose DataFrame it holds.
CHARTS = {"Outreach emails": 3, "System and manual": 3, "Job emails": 2, "Delivery": 1}
DOWNLOADS = {
    "Outreach emails": ["outreach_volume", "outreach_by_event"],
    "System and manual": ["volume_by_source", "manual_by_type", "system_by_origin"],
    "Job emails": ["job_emails_by_job", "job_emails_by_status"],
    "Delivery": ["delivery_volume"],
}
BY_PERIOD = {
    "outreach_volume",
    "volume_by_source",
    "system_by_origin",
    "delivery_volume",
}


@pytest.fixture(scope="session")
def world_file(templates, tmp_path_factory) -> tuple[Path, AnalyticsWorld]:
    """The team's database with the analytics history in it, made once."""
    path = tmp_path_factory.mktemp("analytics") / "world.duckdb"
    shutil.copyfile(templates[1], path)
    team = templates[2]
    engine = create_engine(f"duckdb:///{path}")
    try:
        world = build_analytics_world(engine, team.ada, team.rita)
    finally:
        engine.dispose()
    return path, world


@pytest.fixture
def world(database, world_file) -> AnalyticsWorld:
    """This test's database: a copy of the history, opened by the app under test."""
    path, world = world_file
    shutil.copyfile(path, sa.make_url(database.url).database)
    return world


@pytest.fixture
def downloads(monkeypatch) -> dict[str, str]:
    """Each file the page offers for download, by file name, as it would arrive.

    AppTest keeps download buttons' files in a store it throws away after each
    run; this keeps a copy of each file put there.
    """
    offered: dict[str, str] = {}
    store = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, bytes):
            offered[filename] = path_or_data.decode()
        return store(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return offered


def open_analytics(at: AppTest) -> AppTest:
    at.switch_page("views/analytics.py")
    return at.run()


def last_twelve_months(member: Member) -> tuple[date, date]:
    """The default range, up to today in the member's zone."""
    return analytics.last_twelve_months(to_local(now_utc(), member.time_zone).date())


def viewer_filter(member: Member, **changes) -> AnalyticsFilter:
    start, end = last_twelve_months(member)
    return AnalyticsFilter(start, end, member.time_zone, **changes)


def headline_shown(at: AppTest) -> dict[str, int]:
    return {metric.label: int(metric.value.replace(",", "")) for metric in at.metric}


def infos(at: AppTest) -> list[str]:
    return values(at.main.info)


def tab(at: AppTest, label: str):
    [found] = [t for t in at.tabs if t.label == label]
    return found


def charts_in(block) -> list[tuple[dict, pd.DataFrame]]:
    """The Vega-Lite charts of a block: each one's spec and the rows it was sent."""
    charts = []
    for chart in block.get("vega_lite_chart"):
        [dataset] = chart.proto.datasets
        rows = pa.ipc.open_stream(dataset.data.data).read_pandas()
        charts.append((json.loads(chart.proto.spec), rows))
    return charts


def domain_frame(database, name: str, criteria: AnalyticsFilter) -> pd.DataFrame:
    question = getattr(analytics, name)
    with database.engine() as engine:
        if name in BY_PERIOD:
            return question(engine, criteria, Grain.MONTH)
        return question(engine, criteria)


@pytest.mark.parametrize("who", ["ada", "rita", "manu"])
def test_every_role_opens_the_page_with_the_headline_figures(
    app, team, database, world, who
):
    member = getattr(team, who)
    at = open_analytics(app(member))

    assert not at.exception
    assert at.title[0].value == "Analytics"
    assert headline_shown(at) == {
        "Entries": world.entries,
        "System": world.system,
        "By hand": world.manual,
        "Event emails": world.event_emails,
        "Job emails": world.job_emails,
        "To agencies": world.job_emails_to_agency,
        "Failed": world.failed,
    }
    with database.engine() as engine:
        counted = analytics.headline_figures(engine, viewer_filter(member)).iloc[0]
    assert counted["entries"] == world.entries
    assert [t.label for t in at.tabs] == TABS


def test_the_range_starts_as_the_last_twelve_months_in_the_viewers_zone(
    app, team, world
):
    at = open_analytics(app(team.ada))

    assert at.date_input(key="analytics_dates").value == last_twelve_months(team.ada)
    assert "America/New_York" in at.caption[0].value
    assert at.get("button_group")[0].value == Grain.MONTH


def test_each_section_draws_its_charts_and_offers_their_numbers_as_csv(
    app, team, database, world, downloads
):
    at = open_analytics(app(team.ada))
    start, end = last_twelve_months(team.ada)
    criteria = viewer_filter(team.ada)

    assert not at.exception
    for label in TABS:
        section = tab(at, label)
        charts = charts_in(section)
        assert len(charts) == CHARTS[label], label
        for spec, rows in charts:
            [pick] = spec["params"]
            assert pick["bind"] == "legend" and pick["select"]["on"] == "click"
            assert spec["encoding"]["opacity"]["condition"][0]["param"] == pick["name"]
            assert spec["encoding"]["tooltip"]
            assert not rows.empty
        buttons = [button.key for button in section.get("download_button")]
        assert buttons == [f"analytics_csv_{name}" for name in DOWNLOADS[label]]
        for name in DOWNLOADS[label]:
            csv = downloads[f"{name}_{start}_{end}.csv"]
            expected = domain_frame(database, name, criteria)
            assert csv == expected.to_csv(index=False), name
            assert len(pd.read_csv(io.StringIO(csv))) == len(expected) > 0


def test_a_chart_is_sent_the_numbers_of_the_domain(app, team, database, world):
    at = open_analytics(app(team.manu))

    [by_source, _by_type, _by_origin] = charts_in(tab(at, "System and manual"))
    _spec, rows = by_source
    expected = domain_frame(database, "volume_by_source", viewer_filter(team.manu))
    assert rows["entries"].sum() == world.entries
    assert rows.to_dict("records") == expected.assign(
        period=expected["period"].dt.strftime("%Y-%m-%d")
    ).to_dict("records")


def test_weeks_regroup_every_chart_by_monday(app, team, database, world, downloads):
    at = open_analytics(app(team.rita))
    at.get("button_group")[0].set_value(Grain.WEEK).run()

    assert not at.exception
    start, end = last_twelve_months(team.rita)
    csv = pd.read_csv(io.StringIO(downloads[f"volume_by_source_{start}_{end}.csv"]))
    with database.engine() as engine:
        expected = analytics.volume_by_source(
            engine, viewer_filter(team.rita), Grain.WEEK
        )
    assert csv["entries"].tolist() == expected["entries"].tolist()
    assert {date.fromisoformat(day).weekday() for day in csv["period"]} == {0}


def test_the_time_axis_has_one_tick_per_period_of_the_range(app, team, world):
    today = to_local(now_utc(), team.rita.time_zone).date()
    first, last = today - timedelta(days=65), today - timedelta(days=20)
    at = open_analytics(app(team.rita))
    at.date_input(key="analytics_dates").set_value((first, last)).run()
    at.get("button_group")[0].set_value(Grain.WEEK).run()

    [(weeks, _rows), *_] = charts_in(tab(at, "System and manual"))
    monday = first - timedelta(days=first.weekday())
    assert ticks_of(weeks) == [
        (d.year, d.month, d.day)
        for d in (monday + timedelta(weeks=n) for n in range(10))
        if d <= last
    ]
    at.get("button_group")[0].set_value(Grain.MONTH).run()
    [(months, _rows), *_] = charts_in(tab(at, "System and manual"))
    month_starts = sorted({(d.year, d.month, 1) for d in date_range(first, last)})
    assert ticks_of(months) == month_starts


def ticks_of(spec: dict) -> list[tuple[int, int, int]]:
    return [
        (tick["year"], tick["month"], tick["date"])
        for tick in spec["encoding"]["x"]["axis"]["values"]
    ]


def date_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_filters_narrow_every_figure(app, team, world):
    at = open_analytics(app(team.ada))
    at.multiselect(key="analytics_jobs").set_value([world.job_id]).run()

    assert not at.exception
    shown = headline_shown(at)
    assert shown["Entries"] == shown["Job emails"] == world.job_emails
    assert shown["Event emails"] == 0
    outreach = values(tab(at, "Outreach emails").info)
    assert outreach == [
        "No outreach event email matches these filters. Widen the date range or "
        "clear the job filter."
    ]

    at.multiselect(key="analytics_jobs").set_value([])
    at.multiselect(key="analytics_event_types").set_value(["webinar"]).run()
    shown = headline_shown(at)
    assert shown["Entries"] == shown["Event emails"] == 4
    assert len(charts_in(tab(at, "Outreach emails"))) == 3

    at.multiselect(key="analytics_event_types").set_value([])
    at.multiselect(key="analytics_events").set_value([world.evening_id])
    at.get("button_group")[1].set_value(["manual"]).run()
    assert not at.metric
    assert infos(at) == [
        "Nothing matches these filters. Widen the date range, clear the event "
        "filter or clear the source filter."
    ]
    assert f"{EVENING_TITLE}" in at.multiselect(key="analytics_events").options[0]


def test_a_range_with_nothing_in_it_says_what_to_change(app, team, world):
    at = open_analytics(app(team.ada))
    long_ago = date.today() - timedelta(days=3 * 365)
    at.date_input(key="analytics_dates").set_value(
        (long_ago, long_ago + timedelta(days=30))
    ).run()

    assert not at.exception
    assert infos(at) == ["Nothing matches these filters. Widen the date range."]
    assert not at.get("vega_lite_chart") and not at.metric and not at.tabs


def test_a_range_in_the_coming_weeks_is_taken_as_typed_and_counts_nothing(
    app, team, world
):
    """The box accepts the days a member may type, so it never shows one range
    while the figures are for another."""
    at = open_analytics(app(team.ada))
    picker = at.date_input(key="analytics_dates")
    soon = date.today() + timedelta(days=30)
    assert picker.min <= date(2001, 1, 1) and picker.max >= soon + timedelta(days=30)

    picker.set_value((soon, soon + timedelta(days=30))).run()

    assert not at.exception
    assert infos(at) == ["Nothing matches these filters. Widen the date range."]


def test_a_job_and_an_event_together_match_nothing_and_the_page_says_why(
    app, team, world
):
    at = open_analytics(app(team.ada))
    at.multiselect(key="analytics_jobs").set_value([world.job_id])
    at.multiselect(key="analytics_events").set_value([world.webinar_id]).run()

    assert infos(at) == [
        "Nothing matches these filters. An email belongs to a job or to an "
        "outreach event, never both: clear the job filter or the event filters."
    ]


def test_a_new_entry_shows_at_once_despite_the_cache(app, team, database, world):
    at = open_analytics(app(team.rita))
    before = headline_shown(at)["By hand"]

    with database.engine() as engine:
        log_entry(engine, team.rita, world.casey_id, now_utc() - timedelta(hours=1))
    at.run()

    assert headline_shown(at)["By hand"] == before + 1


def test_a_half_chosen_range_asks_for_its_last_day(app, team, world):
    at = open_analytics(app(team.ada))
    start, _end = last_twelve_months(team.ada)
    at.date_input(key="analytics_dates").set_value((start,)).run()

    assert not at.exception
    assert ":orange[Pick the last day of the range too.]" in values(at.main.caption)
    assert not at.metric and not at.get("vega_lite_chart")


def test_events_are_named_with_their_day_in_the_filter_and_the_chart(app, team, world):
    at = open_analytics(app(team.ada))

    offered = at.multiselect(key="analytics_events").options
    [_by_type, _by_kind, (_spec, per_event)] = charts_in(tab(at, "Outreach emails"))
    assert set(per_event["event"]) == set(offered)
    assert offered[0].startswith(f"{EVENING_TITLE} · ")


def test_a_deleted_events_emails_can_still_be_picked_out_by_event(
    app, team, database, world
):
    """Deleting an event keeps its sent emails in the counts, so the filter
    still offers it, marked as deleted."""
    from flo_comms.events import delete_event

    with database.engine() as engine:
        delete_event(engine, team.ada, world.webinar_id)
    at = open_analytics(app(team.ada))

    offered = at.multiselect(key="analytics_events").options
    [label] = [o for o in offered if o.startswith(WEBINAR_TITLE)]
    assert label.endswith("(deleted)")
    at.multiselect(key="analytics_events").set_value([world.webinar_id]).run()
    assert headline_shown(at)["Event emails"] == 4
