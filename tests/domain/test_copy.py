"""Copying a whole database into an empty one, in either direction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms import timeline_store
from flo_comms.cli import main
from flo_comms.communications import CommunicationDraft, log_communication
from flo_comms.copy import CopyRefused, copy_database
from flo_comms.db import create_engine
from flo_comms.demo import DemoSize, create_demo_data
from flo_comms.members import authenticate
from flo_comms.migrate import upgrade
from flo_comms.schema import (
    communications,
    metadata,
    timeline_entries,
    timeline_layout,
)
from flo_comms.stats import database_counts

SMALL = DemoSize(members=4, candidates=12, communications=15)


@pytest.fixture
def demo_file(tmp_path) -> Iterator[Engine]:
    """A DuckDB file holding a small demo, apart from the test's own database."""
    engine = create_engine(f"duckdb:///{tmp_path / 'source.duckdb'}")
    upgrade(engine)
    create_demo_data(engine, SMALL)
    yield engine
    engine.dispose()


def rows_per_table(engine: Engine) -> dict[str, int]:
    """Rows of every table of data; timeline_layout is bookkeeping of how the
    timelines' copy lies on disk, which a copy into DuckDB writes afresh."""
    with engine.connect() as connection:
        return {
            table.name: connection.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
            for table in metadata.sorted_tables
            if table is not timeline_layout
        }


def test_a_copy_holds_every_row_of_every_table(demo_file, engine):
    moved: list[int] = []

    report = copy_database(demo_file, engine, progress=moved.append)

    assert rows_per_table(engine) == rows_per_table(demo_file)
    assert report.target_counts == report.source_counts
    assert sum(moved) == report.total == sum(rows_per_table(demo_file).values())
    assert database_counts(engine) == database_counts(demo_file)


def test_the_copy_keeps_accounts_and_goes_on_numbering_after_the_copied_rows(
    demo_file, engine
):
    copy_database(demo_file, engine)
    author = authenticate(engine, "recruiter@flo-demo.test", "flo-demo-2026")
    with engine.connect() as connection:
        highest = connection.execute(sa.select(sa.func.max(communications.c.id)))
        highest = highest.scalar_one()

    draft = CommunicationDraft(
        comm_type="email",
        occurred_local=datetime(2026, 1, 15, 9, 0),
        time_zone=author.time_zone,
        sender_member_ids=(author.id,),
        recipient_candidate_ids=(1,),
        recipient_member_ids=(),
        subject="First entry after the move",
        description="",
    )
    new_id = log_communication(engine, author, draft)

    assert new_id == highest + 1


def test_a_target_that_holds_data_is_refused_and_left_as_it_was(
    demo_file, engine, admin
):
    before = rows_per_table(engine)

    with pytest.raises(CopyRefused, match="already holds data"):
        copy_database(demo_file, engine)

    assert rows_per_table(engine) == before


def test_a_copy_goes_the_other_way_too(demo_file, engine, tmp_path):
    copy_database(demo_file, engine)
    back = create_engine(f"duckdb:///{tmp_path / 'back.duckdb'}")

    copy_database(engine, back)

    assert rows_per_table(back) == rows_per_table(demo_file)
    # Whatever order the rows came in, the DuckDB copy's timelines are sorted.
    t = timeline_entries.c
    with back.connect() as connection:
        assert timeline_store.unsorted_rows(connection) == 0
        stored = connection.execute(
            sa.select(t.candidate_id, t.occurred_at).order_by(sa.text("rowid"))
        ).all()
    assert [tuple(row) for row in stored] == sorted(tuple(row) for row in stored)
    back.dispose()


def test_the_copy_command_reports_matching_counts_and_refuses_a_second_copy(
    demo_file, engine, capsys
):
    source_url = demo_file.url.render_as_string(hide_password=False)
    target_url = engine.url.render_as_string(hide_password=False)
    demo_file.dispose()

    first = main(["--database-url", source_url, "copy", "--to", target_url])
    first_output = capsys.readouterr().out
    second = main(["--database-url", source_url, "copy", "--to", target_url])
    second_error = capsys.readouterr().err

    assert first == 0
    assert "row counts match" in first_output
    assert f"communications: {rows_per_table(engine)['communications']}" in (
        first_output
    )
    assert second == 1
    assert "already holds data" in second_error
