"""The Analytics page in Chromium: the outreach chart drawn, highlighted, downloaded.

The session's shared server runs a demo without outreach events, so this
module starts a server of its own on a demo database that also holds the
history of tests/analytics_world.py (two events and their emails). The browser
sits in Tokyo and the manager in Los Angeles: the chart must show the months
of the manager's zone, not shifted by the browser's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from analytics_world import build_analytics_world
from playwright.sync_api import Page, expect

from flo_comms import analytics
from flo_comms.analytics import AnalyticsFilter, Grain
from flo_comms.db import open_engine
from flo_comms.demo import create_demo_data
from flo_comms.members import Member, list_members
from flo_comms.migrate import upgrade
from flo_comms.timezones import now_utc, to_local

from .conftest import (
    DEMO_SIZE,
    EXPECT_TIMEOUT_MS,
    PROJECT_ROOT,
    SERVER_START_TIMEOUT_S,
    _free_port,
    _stop,
    _wait_until_healthy,
)
from .driver import sign_in, wait_until_idle

pytestmark = pytest.mark.browser

WEBINAR = "webinar · open"
EVENING = "in-person event · invite only"


@dataclass(frozen=True)
class AnalyticsServer:
    base_url: str
    manager: Member
    # How the first bar of the open webinar's emails is named, e.g.
    # 'webinar · open, October 2026: 4' (the month in Los Angeles).
    webinar_bar: str
    log_path: Path


def _webinar_bar(engine, manager: Member) -> str:
    """The first month of webinar emails and their number, as the page counts."""
    today = to_local(now_utc(), manager.time_zone).date()
    start, end = analytics.last_twelve_months(today)
    webinars = frozenset({"webinar"})
    criteria = AnalyticsFilter(start, end, manager.time_zone, event_types=webinars)
    volume = analytics.outreach_volume(engine, criteria, Grain.MONTH)
    open_webinars = volume[volume["invite_mode"] == "open"]
    first = open_webinars[open_webinars["period"] == open_webinars["period"].min()]
    return f"{WEBINAR}, {first['period'].iloc[0]:%B %Y}: {first['emails'].sum()}"


@pytest.fixture(scope="module")
def analytics_server(tmp_path_factory) -> Iterator[AnalyticsServer]:
    """`streamlit run app.py` on demo data plus two events and their emails."""
    folder = tmp_path_factory.mktemp("analytics_browser")
    url = f"duckdb:///{folder / 'flo_comms.duckdb'}"
    engine = open_engine(url)
    try:
        upgrade(engine)
        create_demo_data(engine, DEMO_SIZE)
        by_email = {member.email: member for member in list_members(engine)}
        manager = by_email["manager@flo-demo.test"]
        build_analytics_world(
            engine, by_email["admin@flo-demo.test"], by_email["recruiter@flo-demo.test"]
        )
        webinar_bar = _webinar_bar(engine, manager)
    finally:
        # DuckDB lets one process open a file: the server needs it to itself.
        engine.dispose()

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = folder / "streamlit.log"
    environment = {
        **os.environ,
        "FLO_COMMS_DATABASE_URL": url,
        "FLO_COMMS_DISPATCHER": "off",
        "FLO_COMMS_OUTBOX_DIR": str(folder / "outbox"),
    }
    command = [
        str(Path(sys.executable).with_name("streamlit")),
        "run",
        "app.py",
        f"--server.port={port}",
        "--server.headless=true",
        "--server.address=127.0.0.1",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
    ]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=log
        )
    try:
        if not _wait_until_healthy(base_url, server):
            _stop(server)
            pytest.fail(
                f"streamlit did not answer within {SERVER_START_TIMEOUT_S} s: "
                f"{log_path.read_text(errors='replace')}"
            )
        yield AnalyticsServer(base_url, manager, webinar_bar, log_path)
    finally:
        if server.poll() is None:
            _stop(server)


@pytest.fixture
def page_in_tokyo(browser, tmp_path) -> Iterator[Page]:
    """A fresh browser session whose clock is in Tokyo, photographed at the end."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000},
        timezone_id="Asia/Tokyo",
        accept_downloads=True,
    )
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    shot = tmp_path / "analytics.png"
    page.screenshot(path=shot, full_page=True)
    print(f"screenshot: {shot}")
    context.close()


def test_a_manager_sees_the_outreach_chart_highlights_a_series_and_downloads_it(
    analytics_server, page_in_tokyo
):
    page = page_in_tokyo
    page.goto(f"{analytics_server.base_url}/analytics")
    sign_in(page, analytics_server.manager)
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    wait_until_idle(page)

    chart = page.get_by_test_id("stVegaLiteChart").first
    expect(chart.locator("svg")).to_be_visible()
    # Each bar is named for screen readers; the svg, an image, hides its parts
    # from the accessibility tree, so the bars are found by that name in CSS.
    webinar = chart.locator(f"path[aria-label='{analytics_server.webinar_bar}']")
    evening = chart.locator(f"path[aria-label^='{EVENING}, ']").first
    expect(webinar).to_be_visible()
    expect(evening).to_have_attribute("opacity", "1")

    chart.locator(".role-legend-label text", has_text=WEBINAR).click()
    expect(evening).to_have_attribute("opacity", "0.25")
    expect(webinar).to_have_attribute("opacity", "1")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").first.click()
    csv = Path(download.value.path()).read_text()
    assert download.value.suggested_filename.startswith("outreach_volume_")
    assert csv.splitlines()[0] == "period,event_type,invite_mode,email_kind,emails"
    assert ",webinar,open,confirmation," in csv
