"""A candidate registers through an event's public link; a member then sees it.

The shared demo server cannot take an event: DuckDB lets one process open its
file, and the server holds it from the first browser test on. So this module
runs a server of its own, on a small database made with an event in it, and
overrides the `app` fixture for its tests (open_page uses whichever `app` the
test sees).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time as clock
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from flo_comms.db import open_engine
from flo_comms.event_emails import format_event_time
from flo_comms.event_rules import EventType
from flo_comms.events import EventDetails, create_event, get_event
from flo_comms.members import Member, Role, create_member
from flo_comms.migrate import upgrade

from .conftest import (
    PROJECT_ROOT,
    SERVER_START_TIMEOUT_S,
    _free_port,
    _stop,
    _wait_until_healthy,
)
from .driver import (
    open_from_search,
    sidebar,
    sign_in,
    timeline_entries,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
TITLE = "Data careers webinar"
LINK = "https://meet.example.com/data-careers"
CONFIRMATION = (
    f"You are registered for “{TITLE}”. A confirmation is on its way to "
    "nadia@example.org."
)


@dataclass(frozen=True)
class EventWorld:
    database_url: str
    admin: Member
    token: str
    when: str  # the event's date and time as the page writes it


@dataclass(frozen=True)
class EventServer:
    base_url: str
    world: EventWorld
    log_path: Path
    outbox: Path


@pytest.fixture(scope="module")
def event_world(tmp_path_factory) -> EventWorld:
    """An empty database with one admin and one open webinar a month ahead."""
    url = f"duckdb:///{tmp_path_factory.mktemp('event_db') / 'flo_comms.duckdb'}"
    engine = open_engine(url)
    try:
        upgrade(engine)
        admin = create_member(
            engine,
            name="Ada Admin",
            email="ada.admin@example.com",
            role=Role.ADMIN,
            password=PASSWORD,
            time_zone="America/New_York",
        )
        event_id = create_event(
            engine,
            admin,
            EventDetails(
                event_type=EventType.WEBINAR,
                invite_only=False,
                title=TITLE,
                day=date.today() + timedelta(days=30),
                start_time=time(14, 0),
                end_time=time(16, 0),
                time_zone="Europe/Berlin",
                link=LINK,
                agenda="Welcome\nWhat a data analyst does all day\nQuestions",
                internal_notes="Catering for 40.",
            ),
        )
        event = get_event(engine, event_id)
    finally:
        # The server needs the file to itself.
        engine.dispose()
    when = format_event_time(event.starts_at, event.ends_at, event.time_zone)
    return EventWorld(url, admin, event.registration_token, when)


@pytest.fixture(scope="module")
def app(event_world, tmp_path_factory) -> Iterator[EventServer]:
    """`streamlit run app.py` on a free port, serving the event's database."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("event_server") / "streamlit.log"
    outbox = tmp_path_factory.mktemp("event_outbox")
    environment = {
        **os.environ,
        "FLO_COMMS_DATABASE_URL": event_world.database_url,
        "FLO_COMMS_OUTBOX_DIR": str(outbox),
        "FLO_COMMS_DISPATCHER": "on",
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
                f"streamlit did not answer within {SERVER_START_TIMEOUT_S} s. "
                f"Its output:\n{log_path.read_text(errors='replace')}"
            )
        yield EventServer(base_url, event_world, log_path, outbox)
    finally:
        if server.poll() is None:
            _stop(server)


def _delivered_to(outbox: Path, address: str, timeout_s: float = 20) -> list[str]:
    """The .eml files in the outbox addressed to ``address``, once there are any."""
    deadline = clock.monotonic() + timeout_s
    while True:
        found = [
            text
            for text in (p.read_text(errors="replace") for p in outbox.glob("*.eml"))
            if address in text
        ]
        if found or clock.monotonic() > deadline:
            return found
        clock.sleep(0.25)


def test_a_candidate_registers_through_the_link_and_a_member_sees_the_email(
    app, open_page
):
    world = app.world

    # A candidate in New York opens the link, signed out: the event, in Berlin time.
    visitor = open_page(timezone_id="America/New_York")
    visitor.goto(f"{app.base_url}/register?event={world.token}")
    expect(visitor.get_by_role("heading", name=TITLE, exact=True)).to_be_visible()
    wait_until_idle(visitor)
    expect(visitor.get_by_text("Webinar, open", exact=True)).to_be_visible()
    expect(visitor.get_by_text(f"When: {world.when}")).to_be_visible()
    expect(visitor.get_by_text("What a data analyst does all day")).to_be_visible()
    page_text = visitor.locator("body")
    expect(page_text).not_to_contain_text("meet.example.com")
    expect(page_text).not_to_contain_text("Catering")
    expect(page_text).not_to_contain_text("Sign in")
    expect(sidebar(visitor)).to_have_count(0)

    # A double click: the second arrives while the first is being handled.
    visitor.get_by_label("Your name").fill("Nadia Newcomer")
    visitor.get_by_label("Email address").fill("nadia@example.org")
    visitor.get_by_role("button", name="Register", exact=True).dblclick()

    expect(visitor.get_by_text(CONFIRMATION)).to_be_visible()
    wait_until_idle(visitor)
    expect(visitor.get_by_text(CONFIRMATION)).to_be_visible()
    expect(page_text).not_to_contain_text("registered already")
    [email] = _delivered_to(app.outbox, "nadia@example.org")
    assert f"You are registered: {TITLE}" in email

    # A member signs in, finds the new candidate and reads the email on the tab.
    member = open_page()
    member.goto(app.base_url)
    sign_in(member, world.admin, PASSWORD)
    open_from_search(member, "nadia@example.org", "Nadia Newcomer")
    entries = timeline_entries(member)
    expect(entries).to_have_count(1)
    confirmation = entries.first
    expect(confirmation).to_contain_text(f"You are registered: {TITLE}")
    expect(confirmation).to_contain_text("System generated")
    confirmation.get_by_text("details", exact=True).click()
    expect(confirmation).to_contain_text(f"Event: {TITLE} (Webinar, open)")
    expect(confirmation).to_contain_text("Email: registration confirmation")
    expect(confirmation).to_contain_text("Sent by: Flo Communications")
