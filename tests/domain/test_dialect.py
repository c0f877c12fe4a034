"""What the app relies on from each database, through SQLAlchemy Core.

These run first so that a driver upgrade that breaks one of them shows up here,
in plain terms, before it shows up as a puzzling failure elsewhere. None of them
reads ``result.rowcount``: DuckDB reports -1 after a write.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.db import create_engine, write_with_retry
from flo_comms.schema import candidates

WRITER_THREADS = 4
INSERTS_PER_THREAD = 25
# Long enough for any healthy database; short enough that a hang fails the test
# instead of stalling the whole run.
BLOCKED_AFTER_SECONDS = 10


def insert_candidate(
    connection: Connection,
    name: str,
    created_at: datetime = datetime(2026, 1, 15, 14, 0, tzinfo=UTC),
) -> int:
    return connection.execute(
        candidates.insert()
        .values(name=name, source="referral", created_at=created_at)
        .returning(candidates.c.id)
    ).scalar_one()


def candidate_names(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(candidates.c.name).order_by(candidates.c.id)
            ).scalars()
        )


def test_insert_with_returning_gives_the_new_id(engine):
    with engine.begin() as connection:
        casey_id = insert_candidate(connection, "Casey Candidate")
        olive_id = insert_candidate(connection, "Olive Other")

    with engine.connect() as connection:
        names_by_id = dict(
            connection.execute(sa.select(candidates.c.id, candidates.c.name)).all()
        )

    assert names_by_id == {casey_id: "Casey Candidate", olive_id: "Olive Other"}


def test_an_update_with_returning_names_the_rows_it_changed_and_none_otherwise(
    engine,
):
    with engine.begin() as connection:
        casey_id = insert_candidate(connection, "Casey Candidate")

    with engine.begin() as connection:
        changed = connection.execute(
            candidates.update()
            .where(candidates.c.id == casey_id)
            .values(phone="+1 555 0100")
            .returning(candidates.c.id)
        ).all()
        missing = connection.execute(
            candidates.update()
            .where(candidates.c.id == casey_id + 1000)
            .values(phone="+1 555 0199")
            .returning(candidates.c.id)
        ).all()

    assert [row.id for row in changed] == [casey_id]
    assert missing == []


def test_a_rolled_back_transaction_leaves_nothing(engine):
    with engine.connect() as connection:
        transaction = connection.begin()
        insert_candidate(connection, "Casey Candidate")
        transaction.rollback()

    assert candidate_names(engine) == []


def test_an_error_inside_begin_rolls_the_whole_transaction_back(engine):
    with pytest.raises(RuntimeError), engine.begin() as connection:
        insert_candidate(connection, "Casey Candidate")
        raise RuntimeError("the member's action failed half way")

    assert candidate_names(engine) == []


def created_at_of(engine: Engine, candidate_id: int) -> datetime:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(candidates.c.created_at).where(candidates.c.id == candidate_id)
        ).scalar_one()


def test_a_utc_timestamp_round_trips_exactly(engine):
    moment = datetime(2026, 1, 15, 14, 0, 7, 123456, tzinfo=UTC)
    with engine.begin() as connection:
        casey_id = insert_candidate(connection, "Casey Candidate", moment)

    stored = created_at_of(engine, casey_id)

    assert stored == moment
    assert stored.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "local_moment",
    [
        datetime(2026, 1, 15, 9, 0, tzinfo=ZoneInfo("America/New_York")),
        datetime(2026, 7, 15, 16, 0, tzinfo=ZoneInfo("Europe/Berlin")),
    ],
    ids=str,
)
def test_an_aware_time_in_another_zone_comes_back_as_the_same_instant_in_utc(
    engine, local_moment
):
    with engine.begin() as connection:
        casey_id = insert_candidate(connection, "Casey Candidate", local_moment)

    stored = created_at_of(engine, casey_id)

    assert stored == local_moment
    assert stored.utcoffset().total_seconds() == 0


def test_writers_on_several_threads_at_once_all_land(engine):
    # Each insert is its own transaction through the one shared engine, the way
    # several members saving at once reach the dashboard's process. No retry:
    # the domain's inserts do not go through flo_comms.db.write_with_retry, so
    # they must not conflict; a TransactionException here would mean they need it.
    start_together = threading.Barrier(WRITER_THREADS)
    failures: list[BaseException] = []
    seen_by_writer: dict[int, int] = {}

    def write(writer: int) -> None:
        try:
            start_together.wait()
            for n in range(INSERTS_PER_THREAD):
                with engine.begin() as connection:
                    insert_candidate(connection, f"Writer {writer} candidate {n}")
            with engine.connect() as connection:
                seen_by_writer[writer] = connection.execute(
                    sa.select(sa.func.count()).where(
                        candidates.c.name.like(f"Writer {writer} candidate %")
                    )
                ).scalar_one()
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITER_THREADS)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)

    names = candidate_names(engine)
    assert failures == []
    assert len(names) == WRITER_THREADS * INSERTS_PER_THREAD
    assert len(set(names)) == len(names)
    assert seen_by_writer == dict.fromkeys(range(WRITER_THREADS), INSERTS_PER_THREAD)


def test_a_write_that_loses_a_race_is_retried_and_no_update_is_lost(engine):
    with engine.begin() as connection:
        casey_id = insert_candidate(connection, "Casey Candidate")
    this_candidate = candidates.c.id == casey_id
    attempts: list[str] = []

    def add_a_suffix(connection: Connection) -> None:
        name = connection.execute(
            sa.select(candidates.c.name).where(this_candidate)
        ).scalar_one()
        attempts.append(name)
        if len(attempts) == 1:
            # Someone else saves the candidate between this read and this write.
            with engine.begin() as elsewhere:
                elsewhere.execute(
                    candidates.update().where(this_candidate).values(name="Casey C.")
                )
        connection.execute(
            candidates.update().where(this_candidate).values(name=f"{name} (agency)")
        )

    write_with_retry(engine, add_a_suffix)

    assert attempts == ["Casey Candidate", "Casey C."]
    assert candidate_names(engine) == ["Casey C. (agency)"]


def test_a_result_left_half_read_does_not_block_another_connection(engine):
    with engine.begin() as connection:
        for n in range(10):
            insert_candidate(connection, f"Candidate {n}")
    answers: dict[str, object] = {}

    def use_another_connection() -> None:
        with engine.begin() as connection:
            insert_candidate(connection, "Late Candidate")
        with engine.connect() as connection:
            answers["count"] = connection.execute(
                sa.select(sa.func.count()).select_from(candidates)
            ).scalar_one()

    with engine.connect() as reader:
        result = reader.execute(sa.select(candidates.c.name).order_by(candidates.c.id))
        first = result.fetchone()
        other = threading.Thread(target=use_another_connection)
        other.start()
        other.join(timeout=BLOCKED_AFTER_SECONDS)
        blocked = other.is_alive()
        rest = result.fetchall()

    assert not blocked
    assert answers["count"] == 11
    assert first.name == "Candidate 0"
    # The reader finishes the snapshot it started with.
    assert [row.name for row in rest] == [f"Candidate {n}" for n in range(1, 10)]


def test_a_result_left_half_read_does_not_block_the_next_statement_after_it(
    engine,
):
    with engine.begin() as connection:
        for n in range(10):
            insert_candidate(connection, f"Candidate {n}")

    with engine.connect() as connection:
        half_read = connection.execute(sa.select(candidates.c.name))
        half_read.fetchone()
        count = connection.execute(
            sa.select(sa.func.count()).select_from(candidates)
        ).scalar_one()

    assert count == 10


def test_every_session_speaks_utc(engine):
    with engine.connect() as connection:
        zone = connection.execute(
            sa.select(sa.func.current_setting("TimeZone"))
        ).scalar_one()

    assert zone == "UTC"


def test_an_engine_made_from_engine_url_reaches_the_same_database(engine):
    # The URL may carry connection options (a PostgreSQL search_path, say);
    # losing them would silently point a second engine at another schema.
    with engine.begin() as connection:
        insert_candidate(connection, "Casey Candidate")

    twin = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        names = candidate_names(twin)
    finally:
        twin.dispose()

    assert names == ["Casey Candidate"]


def test_duckdb_connections_checkpoint_after_a_large_log_not_the_default_16_mb(
    tmp_path,
):
    """A large write (an event update to thousands) must not pay a checkpoint
    in its commit every 16 MB of log. (PostgreSQL checkpoints in its own
    processes: nothing to set there.)"""
    engine = create_engine(f"duckdb:///{tmp_path / 'settings.duckdb'}")
    with engine.connect() as connection:
        threshold = connection.exec_driver_sql(
            "SELECT current_setting('checkpoint_threshold')"
        ).scalar()
        progress_bar = connection.exec_driver_sql(
            "SELECT current_setting('enable_progress_bar')"
        ).scalar()
    engine.dispose()

    assert threshold == "244.1 MiB"  # DuckDB prints 256 MB in MiB
    assert progress_bar is False
