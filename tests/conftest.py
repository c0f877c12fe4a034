"""Fixtures shared by every test: a fresh database per test, and people in it."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms.candidates import CandidateSource, create_candidate
from flo_comms.db import create_engine
from flo_comms.members import Member, Role, create_member
from flo_comms.migrate import upgrade

POSTGRES_URL_VARIABLE = "FLO_COMMS_TEST_POSTGRES_URL"
# Set by .ci/run: there, a test that cannot run is a failure, not a skip.
REQUIRE_ALL = os.environ.get("FLO_COMMS_REQUIRE_ALL_TESTS") == "1"
PASSWORD = "correct horse battery"


def _postgres_engine() -> Iterator[Engine]:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        (pytest.fail if REQUIRE_ALL else pytest.skip)(
            f"PostgreSQL tests need {POSTGRES_URL_VARIABLE}, e.g. "
            "postgresql://postgres@127.0.0.1:5432/test (.ci/run sets it)"
        )
    # Each test gets a schema of its own, dropped afterwards.
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = create_engine(
        sa.make_url(url).update_query_dict({"options": f"-c search_path={schema}"})
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_duckdb_file(tmp_path_factory) -> Path:
    """An empty DuckDB file at the newest schema, made once and copied per test.

    Running the migrations costs about 0.2 s; copying the file costs almost
    nothing. The migrations themselves are tested on fresh databases.
    """
    path = tmp_path_factory.mktemp("template") / "flo_comms.duckdb"
    engine = create_engine(f"duckdb:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["duckdb", "postgres"])
def database_url(request, tmp_path) -> Iterator[str]:
    """The URL of an empty database of each kind (PostgreSQL when configured)."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'flo_comms.duckdb'}"
        return
    for engine in _postgres_engine():
        yield engine.url.render_as_string(hide_password=False)


@pytest.fixture
def engine(database_url, migrated_duckdb_file) -> Iterator[Engine]:
    """An upgraded, empty database."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "duckdb":
        shutil.copyfile(migrated_duckdb_file, url.database)
    engine = create_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def make_member(engine: Engine, name: str, role: Role, zone: str = "UTC") -> Member:
    local_part = name.lower().replace(" ", ".")
    return create_member(
        engine,
        name=name,
        email=f"{local_part}@example.com",
        role=role,
        password=PASSWORD,
        time_zone=zone,
    )


@pytest.fixture
def admin(engine) -> Member:
    return make_member(engine, "Ada Admin", Role.ADMIN, "America/New_York")


@pytest.fixture
def recruiter(engine) -> Member:
    return make_member(engine, "Rita Recruiter", Role.RECRUITER, "Europe/Berlin")


@pytest.fixture
def manager(engine) -> Member:
    return make_member(engine, "Manu Manager", Role.MANAGER)


@pytest.fixture
def candidate_id(engine) -> int:
    return create_candidate(
        engine,
        name="Casey Candidate",
        email="casey@example.org",
        source=CandidateSource.REFERRAL,
    )


@pytest.fixture
def other_candidate_id(engine) -> int:
    return create_candidate(
        engine,
        name="Olive Other",
        email="olive@example.org",
        source=CandidateSource.JOB_BOARD,
    )


@pytest.fixture(autouse=True)
def outbox_in_tmp(monkeypatch, tmp_path_factory) -> None:
    """Emails a test delivers through the default transport land in a temporary
    folder, never in the checkout's data/outbox. A test that names its own
    folder sets the variable again."""
    monkeypatch.setenv("FLO_COMMS_OUTBOX_DIR", str(tmp_path_factory.mktemp("outbox")))
