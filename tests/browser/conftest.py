"""The real app in headless Chromium: a demo database, a server, browser pages.

One DuckDB file and one `streamlit run` serve every browser test of the session;
each test gets browser contexts of its own (no shared cookies or sessions) and
candidates of its own, so tests do not depend on each other's entries.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import REQUIRE_ALL
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy.engine import Engine

from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.communications import CommunicationDraft, log_communication
from flo_comms.db import open_engine
from flo_comms.demo import DemoSize, create_demo_data
from flo_comms.jobs import create_application, create_job
from flo_comms.members import Member, list_members
from flo_comms.migrate import upgrade
from flo_comms.timezones import now_utc, to_local

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Generous for a loaded machine, bounded so that a hang fails within minutes.
EXPECT_TIMEOUT_MS = 20_000
SERVER_START_TIMEOUT_S = 60
# Smaller than the CLI's default (about 15 s to make): enough for a paged list.
DEMO_SIZE = DemoSize(members=5, candidates=30, communications=40)

# One candidate per test, named so that a search finds exactly one row.
PROFILE_NAMES = {
    "logging": "Marlowe Quintrell",
    "validation": "Odile Vantongeren",
    "reload": "Renata Oyelaran",
    "time_zone": "Tobias Kurokawa",
    "manager": "Ingrid Valcourt",
    "double_submit": "Piotr Aldebrandt",
    "left_with_modal_open": "Hester Morland",
    "visited_next": "Yusuf Brightwater",
    "status_change": "Augustin Pemberton",
}
# A job of the browser tests' own, first in the Jobs page's list, with one
# application: the "status_change" candidate's, in status New.
STATUS_JOB_TITLE = "Aardvark Keeper"


@dataclass(frozen=True)
class Profile:
    id: int
    name: str


@dataclass(frozen=True)
class DemoWorld:
    """What the demo database holds that the browser tests look for."""

    database_url: str
    admin: Member
    recruiter: Member
    manager: Member
    profiles: dict[str, Profile]
    # Entries the recruiter logged on the "logging" profile, days ago.
    recruiter_entry_ids: tuple[int, ...]
    # The "status_change" candidate's application to STATUS_JOB_TITLE.
    status_application_id: int


@dataclass(frozen=True)
class RunningApp:
    base_url: str
    world: DemoWorld
    log_path: Path


@pytest.fixture(scope="session", autouse=True)
def _expect_timeout() -> None:
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def _log_older_entries(
    engine: Engine, recruiter: Member, candidate_id: int
) -> list[int]:
    ids = []
    for days_ago, subject in ((9, "Intro call"), (3, "Second round booked")):
        when = to_local(now_utc() - timedelta(days=days_ago), recruiter.time_zone)
        draft = CommunicationDraft(
            comm_type="email",
            occurred_local=when.replace(tzinfo=None, second=0, microsecond=0),
            time_zone=recruiter.time_zone,
            sender_member_ids=(recruiter.id,),
            recipient_candidate_ids=(candidate_id,),
            recipient_member_ids=(),
            subject=subject,
            description="Sent before the browser test ran.",
        )
        ids.append(
            log_communication(
                engine, recruiter, draft, logged_from_candidate_id=candidate_id
            )
        )
    return ids


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory) -> DemoWorld:
    """A DuckDB file with demo data and the browser tests' own candidates."""
    path = tmp_path_factory.mktemp("browser_db") / "flo_comms.duckdb"
    url = f"duckdb:///{path}"
    engine = open_engine(url)
    try:
        upgrade(engine)
        create_demo_data(engine, DEMO_SIZE)
        profiles = {
            purpose: Profile(
                create_candidate(
                    engine,
                    name=name,
                    email=f"{name.split()[0].lower()}@example.org",
                    source=CandidateSource.REFERRAL,
                ),
                name,
            )
            for purpose, name in PROFILE_NAMES.items()
        }
        by_email = {m.email: m for m in list_members(engine)}
        recruiter = by_email["recruiter@flo-demo.test"]
        older = _log_older_entries(engine, recruiter, profiles["logging"].id)
        status_job = create_job(engine, STATUS_JOB_TITLE)
        status_application = create_application(
            engine, status_job, profiles["status_change"].id
        )
    finally:
        # DuckDB lets one process open a file: the server needs it to itself.
        engine.dispose()
    return DemoWorld(
        database_url=url,
        admin=by_email["admin@flo-demo.test"],
        recruiter=recruiter,
        manager=by_email["manager@flo-demo.test"],
        profiles=profiles,
        recruiter_entry_ids=tuple(older),
        status_application_id=status_application,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(base_url: str, server: subprocess.Popen) -> bool:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    return False


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def app(demo_world, tmp_path_factory) -> Iterator[RunningApp]:
    """`streamlit run app.py` on a free port, serving the demo database."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("browser_server") / "streamlit.log"
    environment = {
        **os.environ,
        "FLO_COMMS_DATABASE_URL": demo_world.database_url,
        # Nothing delivers yet; should it, the .eml files stay out of data/.
        "FLO_COMMS_OUTBOX_DIR": str(tmp_path_factory.mktemp("outbox")),
    }
    command = [
        str(Path(sys.executable).with_name("streamlit")),
        "run",
        "app.py",
        f"--server.port={port}",
        "--server.headless=true",
        "--server.address=127.0.0.1",
        # Other people edit the sources while tests run: never rerun on a save.
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
    ]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        if not _wait_until_healthy(base_url, server):
            _stop(server)
            pytest.fail(
                f"streamlit did not answer {base_url}/_stcore/health within "
                f"{SERVER_START_TIMEOUT_S} s (exit code {server.returncode}). "
                f"Its output:\n{log_path.read_text(errors='replace')}"
            )
        yield RunningApp(base_url, demo_world, log_path)
    finally:
        if server.poll() is None:
            _stop(server)


@pytest.fixture(scope="session", autouse=True)
def _chromium_installed() -> None:
    """Skip (fail in CI) before making data or starting a server for nothing."""
    if not CHROMIUM.exists():
        (pytest.fail if REQUIRE_ALL else pytest.skip)(
            f"browser tests need Chromium at {CHROMIUM} "
            "(apt-get install chromium; scripts/test does it as root)"
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium; Playwright cannot download its own browser here."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, for the page fixture's teardown."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def open_page(browser, app, request, tmp_path) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context (a new session of the app).

    Every page is photographed when the test ends, into the test's tmp_path;
    the paths are printed, so that pytest shows them beside a failure.
    """
    contexts = []
    pages: list[Page] = []

    def open_new(timezone_id: str = "UTC") -> Page:
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, timezone_id=timezone_id
        )
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield open_new

    reports = request.node.stash.get(_REPORTS, {})
    failed = any(r.failed for r in reports.values())
    for number, page in enumerate(pages, start=1):
        shot = tmp_path / f"{'failure' if failed else 'end'}-page{number}.png"
        try:
            page.screenshot(path=shot, full_page=True)
            print(f"screenshot of page {number}: {shot}")
        except Exception as error:  # a crashed page must not hide the failure
            print(f"no screenshot of page {number}: {error}")
    if failed:
        print(f"the server's output: {app.log_path}")
    for context in contexts:
        context.close()
