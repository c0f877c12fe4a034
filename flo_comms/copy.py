"""Copying a whole database to another, e.g. from the DuckDB file to PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms import timeline_store
from flo_comms.db import is_duckdb
from flo_comms.errors import FloCommsError
from flo_comms.migrate import upgrade
from flo_comms.schema import metadata

logger = logging.getLogger(__name__)

BATCH_SIZE = 5_000


class CopyRefused(FloCommsError):
    """The target already holds data, or the copy did not come out whole."""


@dataclass(frozen=True)
class CopyReport:
    """Rows per table on each side once the copy is done."""

    source_counts: dict[str, int]
    target_counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.target_counts.values())


def _counts(connection: Connection) -> dict[str, int]:
    return {
        table.name: connection.execute(
            sa.select(sa.func.count()).select_from(table)
        ).scalar_one()
        for table in metadata.sorted_tables
    }


def total_rows(engine: Engine) -> int:
    """How many rows the copy will move: the sum over every table."""
    with engine.connect() as connection:
        return sum(_counts(connection).values())


def _advance_sequences(connection: Connection) -> None:
    # Copied rows keep their ids, so each key sequence must continue after the
    # largest one; setval works the same on PostgreSQL and DuckDB.
    for table in metadata.sorted_tables:
        if "id" not in table.c or not isinstance(table.c.id.default, sa.Sequence):
            continue
        highest = connection.execute(sa.select(sa.func.max(table.c.id))).scalar()
        if highest:
            connection.execute(
                sa.select(sa.func.setval(table.c.id.default.name, highest))
            )


def ensure_empty_target(target: Engine) -> None:
    """Bring the target's schema up to date, and refuse it if it holds any row."""
    upgrade(target)
    with target.connect() as connection:
        filled = {name: n for name, n in _counts(connection).items() if n}
    if filled:
        raise CopyRefused(
            "The target already holds data ("
            + ", ".join(f"{n} {name}" for name, n in filled.items())
            + "); copy only into an empty database."
        )


def copy_database(
    source: Engine,
    target: Engine,
    *,
    progress: Callable[[int], None] | None = None,
) -> CopyReport:
    """Copy every row of ``source`` into the empty ``target``, in one transaction.

    Both schemas are brought up to date first. A target holding any row is
    refused. Tables are copied parents first, ``BATCH_SIZE`` rows at a time;
    ``progress`` is called with the number of rows of each batch written. A
    failure part-way leaves the target as empty as it was.
    """
    upgrade(source)
    ensure_empty_target(target)

    with source.connect() as reading, target.begin() as writing:
        source_counts = _counts(reading)
        for table in metadata.sorted_tables:
            _copy_table(reading, writing, table, progress)
        _advance_sequences(writing)
        target_counts = _counts(writing)
        if target_counts != source_counts:
            raise CopyRefused(
                f"Row counts differ after the copy: {source_counts} in the source, "
                f"{target_counts} in the target. Nothing was kept."
            )
        if is_duckdb(target):
            # The rows came in the source's order (PostgreSQL's is any order):
            # DuckDB reads the timelines' copy fast only when it is sorted.
            timeline_store.rebuild(writing)
    logger.info("copied %s rows", sum(target_counts.values()))
    return CopyReport(source_counts=source_counts, target_counts=target_counts)


def _copy_table(
    reading: Connection,
    writing: Connection,
    table: sa.Table,
    progress: Callable[[int], None] | None,
) -> None:
    order = list(table.primary_key.columns)
    query = sa.select(table).order_by(*order)
    result = reading.execution_options(yield_per=BATCH_SIZE).execute(query)
    for batch in result.mappings().partitions():
        rows = [dict(row) for row in batch]
        writing.execute(table.insert(), rows)
        if progress:
            progress(len(rows))
