"""A SQLite file holding exactly the rows of a DuckDB file, for the comparison.

SQLite is not a supported deployment (flo_comms.db says what is emulated on
it); the benchmark runs our code on it to show what the embedded alternative
would cost. The rows are read from DuckDB in Arrow batches, times as UTC text
in the format SQLAlchemy's SQLite dialect writes, and inserted with
executemany.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms.db import create_sqlite_engine, create_sqlite_schema
from flo_comms.schema import metadata

BATCH_ROWS = 100_000
SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def _select_list(table: sa.Table) -> str:
    columns = []
    for column in table.c:
        if isinstance(column.type, sa.DateTime):
            columns.append(f"strftime(\"{column.name}\", '{SQLITE_TIME_FORMAT}')")
        else:
            columns.append(f'"{column.name}"')
    return ", ".join(columns)


def make_sqlite_twin(
    duckdb_engine: Engine,
    path: Path,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> Engine:
    """Copy every row of the DuckDB database into a new SQLite file at ``path``."""
    if path.exists():
        path.unlink()
    engine = create_sqlite_engine(path)
    create_sqlite_schema(engine)
    _copy_tables(duckdb_engine, path, metadata.sorted_tables, progress)
    return engine


def complete_sqlite_twin(
    duckdb_engine: Engine,
    path: Path,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> list[str]:
    """Bring a twin made earlier level with the DuckDB file; the tables copied.

    A table the twin lacks is created, and a table whose row count differs
    from DuckDB's (a table that a migration added or filled since) is emptied
    and copied again; the other tables, the bulk of the rows, stay as they are.
    """
    engine = create_sqlite_engine(path)
    try:
        create_sqlite_schema(engine)
        stale = []
        with duckdb_engine.connect() as source, engine.connect() as target:
            for table in metadata.sorted_tables:
                count = sa.select(sa.func.count()).select_from(table)
                if source.execute(count).scalar() != target.execute(count).scalar():
                    stale.append(table)
        with engine.begin() as target:
            for table in reversed(stale):
                target.execute(table.delete())
    finally:
        engine.dispose()
    _copy_tables(duckdb_engine, path, stale, progress)
    return [table.name for table in stale]


def _copy_tables(
    duckdb_engine: Engine,
    path: Path,
    tables: list[sa.Table],
    progress: Callable[[str, int], None] | None,
) -> None:
    target = sqlite3.connect(path)
    target.execute("PRAGMA journal_mode = WAL")
    target.execute("PRAGMA synchronous = NORMAL")
    # A large page cache: the indexes take rows in no particular order.
    target.execute("PRAGMA cache_size = -2000000")
    source = duckdb_engine.raw_connection()
    try:
        for table in tables:
            keys = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            # Tables without a key (the reading copies) keep DuckDB's order.
            order = f" ORDER BY {keys}" if keys else ""
            names = ", ".join(f'"{c.name}"' for c in table.c)
            marks = ", ".join("?" for _ in table.c)
            insert = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
            reader = source.driver_connection.sql(
                f'SELECT {_select_list(table)} FROM "{table.name}"{order}'
            ).to_arrow_reader(BATCH_ROWS)
            for batch in reader:
                columns = [column.to_pylist() for column in batch.columns]
                target.executemany(insert, zip(*columns, strict=True))
                if progress:
                    progress(table.name, batch.num_rows)
            target.commit()
        target.execute("ANALYZE")
        target.commit()
    finally:
        source.close()
        target.close()
