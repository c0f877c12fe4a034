"""Writing generated rows in bulk, a frame at a time, the fastest way each database has.

DuckDB reads a pandas frame in place (``INSERT ... SELECT`` from it); PostgreSQL
takes CSV through ``COPY``. Both run on the caller's connection, inside its
transaction, so that a failure part-way leaves nothing behind. Nothing here
validates: the rows come from flo_comms.scale, which builds them the way the
domain functions would have written them.
"""

from __future__ import annotations

import io

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

# Rows per INSERT for databases without a bulk path (SQLite, in the benchmark).
EXECUTEMANY_BATCH = 20_000


def load_frame(connection: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Append ``frame``'s rows to ``table``; its columns are named as the table's."""
    if frame.empty:
        return 0
    unknown = set(frame.columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column {sorted(unknown)[0]!r}")
    dialect = connection.dialect.name
    if dialect == "duckdb":
        _load_duckdb(connection, table, frame)
    elif dialect == "postgresql":
        _load_postgresql(connection, table, frame)
    else:
        _load_rows(connection, table, frame)
    return len(frame)


def _column_list(frame: pd.DataFrame) -> str:
    return ", ".join(f'"{name}"' for name in frame.columns)


def _load_duckdb(connection: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    # The DuckDB connection under SQLAlchemy's, in the same transaction: it
    # scans the frame's columns directly, without a Python object per value.
    duckdb_connection = connection.connection.driver_connection
    view = f"scale_frame_{table.name}"
    columns = _column_list(frame)
    duckdb_connection.register(view, frame)
    try:
        duckdb_connection.execute(
            f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "{view}"'
        )
    finally:
        duckdb_connection.unregister(view)


def _load_postgresql(
    connection: Connection, table: sa.Table, frame: pd.DataFrame
) -> None:
    # CSV: an unquoted empty field is NULL, so generated text is never empty.
    text = io.StringIO()
    frame = _whole_numbers(table, frame)
    frame.to_csv(text, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S.%f%z")
    cursor = connection.connection.driver_connection.cursor()
    statement = (
        f'COPY "{table.name}" ({_column_list(frame)}) FROM STDIN WITH (FORMAT csv)'
    )
    with cursor.copy(statement) as copy:
        copy.write(text.getvalue())


def _whole_numbers(table: sa.Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Integer columns as integers: pandas stores a column of numbers with gaps
    (a creator only for cancelled events, say) as floats, which CSV writes as
    "6.0" and PostgreSQL refuses for an integer column."""
    floats = [
        name
        for name in frame.columns
        if isinstance(table.c[name].type, sa.Integer)
        and pd.api.types.is_float_dtype(frame[name])
    ]
    if not floats:
        return frame
    return frame.astype({name: "Int64" for name in floats})


def _load_rows(connection: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for start in range(0, len(records), EXECUTEMANY_BATCH):
        connection.execute(table.insert(), records[start : start + EXECUTEMANY_BATCH])
