"""The benchmark runs end to end at a tiny size and prints a row for every question.

Timings at this size say nothing; what is checked is that the generator, the
SQLite twin, the raw replays, the page run and the writes all still work, so
that the full-size run in docs/performance.md can be repeated.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
import streamlit as st

from benchmarks import run
from benchmarks.reads import Subjects, last_quarter, read_questions
from flo_comms.db import create_engine
from flo_comms.migrate import upgrade
from flo_comms.scale import ScaleSize, fill_scale_database


def test_the_benchmark_prints_a_row_for_every_question(tmp_path, monkeypatch, capsys):
    # The page run points the app at the benchmark's file; monkeypatch puts
    # the variables back afterwards.
    monkeypatch.setenv("FLO_COMMS_DATABASE_URL", "duckdb:///unused.duckdb")
    monkeypatch.setenv("FLO_COMMS_DISPATCHER", "off")
    domain_log = logging.getLogger("flo_comms")
    level = domain_log.level
    try:
        status = run.main(
            [
                "--candidates=300",
                "--communications=5000",
                f"--database={tmp_path / 'tiny.duckdb'}",
                "--runs=2",
                "--write-runs=1",
                "--page-runs=1",
                "--registrants=20",
                "--sqlite-budget=1",
            ]
        )
    finally:
        domain_log.setLevel(level)
        st.cache_resource.clear()
    table = capsys.readouterr().out

    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    questions = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    reads = read_questions(Subjects(1, 1, 2, 2, last_quarter(date(2026, 12, 3))))
    assert status == 0
    assert "300 candidates, 5,000 communications" in table
    assert len(rows) == len(reads) + 4
    assert all(row.count(" | ") == 8 for row in rows)
    assert "not run" not in table
    assert questions[-4:] == [
        "Profile page under AppTest, longest timeline",
        "log_communication (one phone call)",
        "update_event, 20 approved registrants",
        "dispatch_event_emails, 20 reminders due",
    ]
    assert all(" ms |" in row or " s |" in row for row in rows)


def test_event_writes_take_at_most_the_candidates_with_an_address(tmp_path):
    """A small database cannot give 10,000 registrants: by default the writes
    take all it has, and asking for more stops before anything is measured."""
    path = tmp_path / "small.duckdb"
    engine = create_engine(f"duckdb:///{path}")
    upgrade(engine)
    fill_scale_database(engine, ScaleSize(300, 5000), seed=3)
    engine.dispose()

    addressed = run._registrants(path, None)

    assert 250 < addressed < 300  # about 3% have no address
    assert run._registrants(path, 20) == 20
    with pytest.raises(SystemExit, match=f"ask for {addressed:,} or fewer"):
        run._registrants(path, 10_000)
