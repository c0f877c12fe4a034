"""The tabs' reading copy (timeline_entries) always says what the entries say."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from flo_comms import timeline_store
from flo_comms.communications import (
    delete_communication,
    edit_communication,
    log_communication,
)
from flo_comms.migrate import upgrade
from flo_comms.schema import (
    communication_candidates,
    communications,
    timeline_entries,
)
from flo_comms.timeline import TimelineFilter, candidate_timeline


def reference_rows(engine) -> list[tuple]:
    """What the copy must hold, asked of the entries themselves."""
    c = communications.c
    query = (
        sa.select(
            communication_candidates.c.candidate_id,
            c.occurred_at,
            c.id,
            c.source,
            c.comm_type,
            c.email_kind,
            c.job_id,
            c.event_id,
            c.subject,
            c.body,
        )
        .join(communications, c.id == communication_candidates.c.communication_id)
        .where(c.deleted_at.is_(None))
    )
    with engine.connect() as connection:
        return sorted(
            (*row[:8], f"{row.subject}\n{row.body}".lower())
            for row in connection.execute(query)
        )


def copy_rows(engine) -> list[tuple]:
    t = timeline_entries.c
    with engine.connect() as connection:
        return sorted(
            tuple(row)
            for row in connection.execute(
                sa.select(
                    t.candidate_id,
                    t.occurred_at,
                    t.communication_id,
                    t.source,
                    t.comm_type,
                    t.email_kind,
                    t.job_id,
                    t.event_id,
                    t.search_text,
                )
            )
        )


@pytest.fixture
def busy_tabs(
    engine, recruiter, candidate_id, other_candidate_id, make_draft, add_system_email
):
    """Entries logged, re-addressed, moved in time, deleted; system emails too."""
    both = make_draft(recipient_candidate_ids=(candidate_id, other_candidate_id))
    shared = log_communication(
        engine, recruiter, both, logged_from_candidate_id=candidate_id
    )
    moved = log_communication(
        engine, recruiter, make_draft(), logged_from_candidate_id=candidate_id
    )
    gone = log_communication(
        engine, recruiter, make_draft(), logged_from_candidate_id=candidate_id
    )
    add_system_email(candidate_id, sent_by=recruiter)
    add_system_email(other_candidate_id, sent_by=recruiter, subject="Offer")
    # The other candidate leaves "sent to"; the entry stays where it was logged.
    edit_communication(engine, recruiter, shared, make_draft(subject="Only Casey"))
    edit_communication(
        engine,
        recruiter,
        moved,
        make_draft(
            comm_type="video call",
            occurred_local=datetime(2025, 6, 1, 8, 30),
            subject="Moved to June",
        ),
    )
    delete_communication(engine, recruiter, gone)
    return {"shared": shared, "moved": moved, "gone": gone}


def test_the_copy_holds_each_live_entry_once_per_tab_with_its_current_values(
    engine, busy_tabs
):
    expected = reference_rows(engine)

    assert copy_rows(engine) == expected
    subjects = [row[-1].split("\n")[0] for row in expected]
    assert "only casey" in subjects and "moved to june" in subjects
    assert busy_tabs["gone"] not in {row[2] for row in expected}


def test_a_rebuild_writes_the_same_rows_sorted_by_candidate_then_time(
    engine, busy_tabs
):
    before = copy_rows(engine)

    with engine.begin() as connection:
        timeline_store.rebuild(connection)
        assert timeline_store.unsorted_rows(connection) == 0

    assert copy_rows(engine) == before
    if engine.dialect.name == "duckdb":
        # Stored in that order: DuckDB's rowid is the position in the table.
        t = timeline_entries.c
        with engine.connect() as connection:
            stored = connection.execute(
                sa.select(t.candidate_id, t.occurred_at).order_by(sa.text("rowid"))
            ).all()
        assert [tuple(row) for row in stored] == sorted(tuple(r) for r in stored)


def test_new_entries_are_counted_as_the_unsorted_tail_until_tidied(
    engine, recruiter, candidate_id, make_draft, monkeypatch
):
    with engine.begin() as connection:
        timeline_store.rebuild(connection)
    for _ in range(3):
        log_communication(
            engine, recruiter, make_draft(), logged_from_candidate_id=candidate_id
        )
    with engine.connect() as connection:
        assert timeline_store.unsorted_rows(connection) == 3

    monkeypatch.setattr(timeline_store, "UNSORTED_ROWS_LIMIT", 2)
    sorted_now = timeline_store.tidy(engine)

    with engine.connect() as connection:
        tail = timeline_store.unsorted_rows(connection)
    if engine.dialect.name == "duckdb":
        assert sorted_now and tail == 0
    else:
        # PostgreSQL reads the copy through its index: nothing to sort.
        assert not sorted_now and tail == 3
    assert len(candidate_timeline(engine, candidate_id).entries) == 3


def test_a_tail_within_the_limit_is_left_alone(
    engine, recruiter, candidate_id, make_draft
):
    log_communication(
        engine, recruiter, make_draft(), logged_from_candidate_id=candidate_id
    )

    assert not timeline_store.tidy(engine)


def test_the_text_filter_never_matches_across_subject_and_body(
    engine, recruiter, candidate_id, make_draft
):
    log_communication(
        engine,
        recruiter,
        make_draft(subject="Call about salary", description="Bands for 2027."),
        logged_from_candidate_id=candidate_id,
    )

    def found(text: str) -> int:
        return candidate_timeline(engine, candidate_id, TimelineFilter(text=text)).total

    assert found("SALARY") == 1
    assert found("bands for") == 1
    assert found("salary bands") == 0


def test_an_older_database_gets_its_copy_when_upgraded(
    engine, recruiter, candidate_id, make_draft
):
    """A database from before the copy existed: the migration fills it, sorted."""
    log_communication(
        engine, recruiter, make_draft(), logged_from_candidate_id=candidate_id
    )
    expected = copy_rows(engine)
    with engine.begin() as connection:
        connection.execute(timeline_entries.delete())
        connection.execute(sa.text("DROP TABLE timeline_layout"))
        connection.execute(sa.text("DROP TABLE timeline_entries"))
        # Later migrations go too, to be applied again after this one.
        connection.execute(sa.text("DROP TABLE communication_volume"))
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0004'"))

    upgrade(engine)

    assert copy_rows(engine) == expected
    assert len(expected) == 1
    page = candidate_timeline(engine, candidate_id)
    assert [entry.subject for entry in page.entries] == [make_draft().subject]
