"""Demo data, opening the database at start, and the flo-comms command line."""

from __future__ import annotations

import functools
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms import demo
from flo_comms.cli import main
from flo_comms.config import DatabaseSettings
from flo_comms.db import create_engine
from flo_comms.demo import (
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DemoRefused,
    DemoSize,
    create_demo_data,
)
from flo_comms.members import Role, authenticate
from flo_comms.migrate import current_revision, head_revision
from flo_comms.schema import communications
from flo_comms.startup import open_database
from flo_comms.stats import database_counts

PASSWORD = "correct horse battery"
SMALL = DemoSize(members=5, candidates=20, communications=30)
# The accounts that `flo-comms demo` tells people to sign in with.
DEMO_ACCOUNTS_BY_ROLE = {
    "admin": Role.ADMIN,
    "recruiter": Role.RECRUITER,
    "manager": Role.MANAGER,
}


def live_and_all_manual_communications(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(
                sa.func.count().filter(communications.c.deleted_at.is_(None)),
                sa.func.count(),
            ).where(communications.c.source == "manual")
        ).one()


def test_demo_data_fills_an_empty_database_and_its_accounts_sign_in(engine):
    create_demo_data(engine, SMALL)

    counts = database_counts(engine)
    live, logged = live_and_all_manual_communications(engine)
    assert (counts["members"], counts["candidates"]) == (5, 20)
    assert logged == 30
    # A few entries are withdrawn, so that deletions show in history.
    assert 0 < live < logged
    by_source = counts["communications_by_source"]
    assert by_source["manual"] == live
    # Job emails, sent by driving applications through the pipeline.
    assert 0 < by_source["system"] <= SMALL.job_emails
    assert counts["communications"] == live + by_source["system"]
    assert sum(counts["communications_by_type"].values()) == counts["communications"]
    for account, role in DEMO_ACCOUNTS_BY_ROLE.items():
        member = authenticate(engine, f"{account}@{DEMO_DOMAIN}", DEMO_PASSWORD)
        assert member is not None
        assert member.role is role


def test_demo_data_is_refused_the_second_time_and_nothing_is_added(engine):
    create_demo_data(engine, SMALL)
    before = database_counts(engine)

    with pytest.raises(DemoRefused):
        create_demo_data(engine, SMALL)

    assert database_counts(engine) == before


def test_demo_data_is_refused_when_the_database_holds_only_a_candidate(
    engine, candidate_id
):
    with pytest.raises(DemoRefused):
        create_demo_data(engine, SMALL)

    counts = database_counts(engine)
    assert (counts["members"], counts["candidates"]) == (0, 1)


@pytest.fixture
def small_demo_at_start(monkeypatch) -> None:
    # The full demo takes many seconds. What matters here is whether the start
    # fills the database at all, so it fills it with the small demo instead.
    small = functools.partial(create_demo_data, size=SMALL)
    monkeypatch.setattr(demo, "create_demo_data", small)


@pytest.fixture
def opened() -> Iterator[list[Engine]]:
    """Engines that open_database returned, disposed after the test."""
    engines: list[Engine] = []
    yield engines
    for engine in engines:
        engine.dispose()


def test_the_embedded_default_is_filled_with_demo_data_when_empty(
    database_url, small_demo_at_start, opened
):
    settings = DatabaseSettings(database_url, is_embedded_default=True)

    opened.append(open_database(settings))

    counts = database_counts(opened[0])
    assert (counts["members"], counts["candidates"]) == (5, 20)


def test_a_named_database_is_upgraded_but_never_filled(
    database_url, small_demo_at_start, opened
):
    settings = DatabaseSettings(database_url, is_embedded_default=False)

    opened.append(open_database(settings))

    counts = database_counts(opened[0])
    assert (counts["members"], counts["candidates"]) == (0, 0)
    assert current_revision(opened[0]) == head_revision()


def test_an_embedded_default_that_has_members_is_left_as_it_is(
    database_url, admin, small_demo_at_start, opened
):
    settings = DatabaseSettings(database_url, is_embedded_default=True)

    opened.append(open_database(settings))

    counts = database_counts(opened[0])
    assert (counts["members"], counts["candidates"]) == (1, 0)


# --- the command line, on a DuckDB file of its own ---------------------------


@pytest.fixture
def cli_url(tmp_path) -> str:
    return f"duckdb:///{tmp_path / 'cli.duckdb'}"


@pytest.fixture
def run_cli(cli_url, monkeypatch, capsys):
    """Run flo-comms on the test's database; return exit code, stdout, stderr."""

    def run(*arguments: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["--database-url", cli_url, *arguments])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


RITA_ARGUMENTS = {
    "--name": "Rita Recruiter",
    "--email": "rita@example.com",
    "--role": "recruiter",
    "--time-zone": "Europe/Berlin",
}


def create_member_arguments(**changes: str) -> list[str]:
    fields = {**RITA_ARGUMENTS, **changes}
    return ["create-member", *[part for pair in fields.items() for part in pair]]


@pytest.fixture
def cli_engine(cli_url) -> Iterator[Engine]:
    """The command line's database, seen through the test's own engine."""
    engine = create_engine(cli_url)
    yield engine
    engine.dispose()


def test_create_member_takes_the_password_from_standard_input(run_cli, cli_engine):
    code, out, err = run_cli(*create_member_arguments(), stdin=f"{PASSWORD}\n")

    assert (code, err) == (0, "")
    assert out.startswith("Created recruiter Rita Recruiter <rita@example.com>")
    member = authenticate(cli_engine, "rita@example.com", PASSWORD)
    assert member is not None
    assert (member.role, member.time_zone) == (Role.RECRUITER, "Europe/Berlin")


def test_stats_json_prints_the_databases_counts_for_scripts(run_cli, cli_engine):
    run_cli(*create_member_arguments(), stdin=f"{PASSWORD}\n")

    code, out, _ = run_cli("stats", "--json")

    printed = json.loads(out)
    assert code == 0
    assert printed == database_counts(cli_engine)
    assert (printed["members"], printed["communications"]) == (1, 0)


def test_tidy_sorts_the_timelines_copy_of_a_duckdb_file(run_cli, cli_engine):
    from flo_comms.candidates import insert_candidate
    from flo_comms.communications import CommunicationDraft, log_communication
    from flo_comms.members import list_members
    from flo_comms.timeline_store import unsorted_rows
    from flo_comms.volume_counts import unfolded_rows

    run_cli(*create_member_arguments(), stdin=f"{PASSWORD}\n")
    (rita,) = list_members(cli_engine)
    with cli_engine.begin() as connection:
        casey = insert_candidate(
            connection, name="Casey Candidate", email=None, source="referral"
        )
    draft = CommunicationDraft(
        comm_type="phone call",
        occurred_local=datetime(2026, 3, 2, 9, 0),
        time_zone="UTC",
        sender_member_ids=(rita.id,),
        recipient_candidate_ids=(casey,),
        recipient_member_ids=(),
        subject="Intro call",
        description="Talked through the role.",
    )
    log_communication(cli_engine, rita, draft)
    with cli_engine.connect() as connection:
        assert unsorted_rows(connection) == 1
    cli_engine.dispose()

    code, out, _ = run_cli("tidy")

    assert code == 0
    assert out.splitlines() == [
        "the timelines' reading copy is sorted again",
        "the analytics counts are folded",
    ]
    with cli_engine.connect() as connection:
        assert unsorted_rows(connection) == 0
        assert unfolded_rows(connection) == 0


@pytest.mark.parametrize(
    ("changes", "password", "field", "message_says"),
    [
        ({"--name": "  "}, PASSWORD, "name", "Enter the member's name."),
        ({"--email": "rita"}, PASSWORD, "email", "like name@example.com"),
        ({}, "short", "password", "at least 10 characters"),
        ({"--time-zone": "Mars/Base"}, PASSWORD, "time_zone", "not a time zone"),
    ],
    ids=["name", "email", "password", "time zone"],
)
def test_bad_input_exits_2_naming_the_field_and_saves_nothing(
    run_cli, cli_engine, changes, password, field, message_says
):
    arguments = create_member_arguments(**changes)

    code, out, err = run_cli(*arguments, stdin=f"{password}\n")

    assert (code, out) == (2, "")
    assert err.startswith(f"error: {field}: ")
    assert message_says in err
    assert database_counts(cli_engine)["members"] == 0


def test_demo_on_a_database_that_holds_members_exits_1_and_adds_nothing(
    run_cli, cli_engine
):
    run_cli(*create_member_arguments(), stdin=f"{PASSWORD}\n")

    code, out, err = run_cli("demo")

    assert (code, out) == (1, "")
    assert "demo data goes only into an empty database" in err
    assert database_counts(cli_engine)["members"] == 1


def test_a_database_file_held_by_another_process_is_reported_plainly(
    cli_url, cli_engine
):
    with cli_engine.connect():  # this process holds the file, as the dashboard does
        finished = subprocess.run(
            [sys.executable, "-m", "flo_comms.cli", "--database-url", cli_url, "stats"],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert finished.returncode == 1
    assert "open in another process" in finished.stderr
    assert "Traceback" not in finished.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "is not a database URL"),
        ("sqlite:///somewhere.db", "sqlite is not supported"),
    ],
)
def test_a_url_we_cannot_use_is_refused_plainly(url, message, capsys):
    status = main(["--database-url", url, "stats"])

    assert status == 2
    assert message in capsys.readouterr().err


def test_stats_on_a_mistyped_path_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "no" / "such" / "folder" / "comms.duckdb"

    status = main(["--database-url", f"duckdb:///{missing}", "stats"])

    assert status == 1
    assert "There is no database file at" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
