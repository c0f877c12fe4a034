"""Page tests: the real app.py under AppTest, on a DuckDB file of each test's own.

The app reads its database URL from FLO_COMMS_DATABASE_URL and keeps one engine
per URL in st.cache_resource, which is process-global: each test points the
variable at its own file and clears the cache before and after.

Migrating a file and hashing passwords take about a second, so both happen once
per run, in two template files; each test starts from a copy of one of them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from flo_comms.config import DATABASE_URL_VARIABLE
from flo_comms.db import create_engine
from flo_comms.members import Member, Role
from flo_comms.migrate import upgrade

from .helpers import APP_FILE, PageDatabase, Team, add_member


def _duckdb_url(path: Path) -> str:
    return f"duckdb:///{path}"


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> tuple[Path, Path, Team]:
    """Two upgraded files, closed: one empty, one holding the team."""
    folder = tmp_path_factory.mktemp("templates")
    empty, with_team = folder / "empty.duckdb", folder / "team.duckdb"
    for path in (empty, with_team):
        engine = create_engine(_duckdb_url(path))
        upgrade(engine)
        if path == with_team:
            team = Team(
                ada=add_member(engine, "Ada Admin", Role.ADMIN, "America/New_York"),
                rita=add_member(
                    engine, "Rita Recruiter", Role.RECRUITER, "Europe/Berlin"
                ),
                manu=add_member(engine, "Manu Manager", Role.MANAGER, "UTC"),
            )
        # Disposing closes the file, which folds DuckDB's write-ahead log into it.
        engine.dispose()
    return empty, with_team, team


def _use_copy_of(template: Path, path: Path, monkeypatch) -> PageDatabase:
    shutil.copyfile(template, path)
    url = _duckdb_url(path)
    monkeypatch.setenv(DATABASE_URL_VARIABLE, url)
    return PageDatabase(url)


@pytest.fixture
def database(templates, tmp_path, monkeypatch) -> Iterator[PageDatabase]:
    """The test's own database, with the team in it; the app under test opens it.

    The dashboard's email dispatcher is off: a background thread delivering
    while a test reads delivery states would race it. test_dispatcher turns it on.
    """
    monkeypatch.setenv("FLO_COMMS_DISPATCHER", "off")
    st.cache_resource.clear()
    yield _use_copy_of(templates[1], tmp_path / "pages.duckdb", monkeypatch)
    st.cache_resource.clear()


@pytest.fixture
def empty_database(database, templates, tmp_path, monkeypatch) -> PageDatabase:
    """Instead of the team's database, one without a single member."""
    return _use_copy_of(templates[0], tmp_path / "empty.duckdb", monkeypatch)


@pytest.fixture
def team(templates) -> Team:
    """Ada (admin, New York), Rita (recruiter, Berlin), Manu (manager, UTC)."""
    return templates[2]


@pytest.fixture
def app(database) -> Callable[..., AppTest]:
    """A fresh AppTest of app.py; given a member, already signed in as them."""

    def make(member: Member | None = None) -> AppTest:
        at = AppTest.from_file(str(APP_FILE), default_timeout=30)
        if member is not None:
            at.session_state["member"] = member
        return at

    return make
