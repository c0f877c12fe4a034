"""Writing many rows in one statement, and drawing many keys in one query.

Why not ``connection.execute(table.insert(), rows)``: duckdb-engine runs such
an executemany one row at a time (10,000 rows take seconds), and a multi-row
``insert().values(rows)`` spends seconds in SQLAlchemy compiling its tens of
thousands of parameters. Here each column travels as one array parameter and
the database unzips them (``unnest``), so that a statement of 10,000 rows
costs about as much as one of ten, on DuckDB and PostgreSQL alike:

    INSERT INTO t (a, b) SELECT unnest(CAST($1 AS INTEGER[])), $2

A column holding the same value in every row goes as a single value ($2).
SQLite (the benchmark's comparison only) has neither arrays nor sequences:
there the rows go as an executemany and keys follow the table's largest.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# Rows per statement: arrays of this many values stay a modest parameter.
ROWS_PER_STATEMENT = 5_000


def next_ids(connection: Connection, table: sa.Table, count: int) -> list[int]:
    """Draw ``count`` new keys of ``table`` from its sequence, in one query."""
    if count <= 0:
        return []
    key = table.c.id
    dialect = connection.dialect.name
    if dialect == "sqlite":
        # One writer at a time on SQLite: the keys after the largest are free.
        largest = connection.execute(sa.select(sa.func.max(key))).scalar() or 0
        return list(range(largest + 1, largest + 1 + count))
    numbers = (
        sa.func.range(count)
        if dialect == "duckdb"
        else sa.func.generate_series(1, count)
    ).table_valued("n")
    drawn = connection.execute(
        sa.select(key.default.next_value()).select_from(numbers)
    ).scalars()
    return sorted(drawn)


def insert_rows(connection: Connection, table: sa.Table, rows: Sequence[dict]) -> None:
    """Append ``rows`` (all with the same keys) to ``table``, a few statements in all.

    A key column left out is drawn from its sequence, row by row.
    """
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        if connection.dialect.name == "sqlite":
            connection.execute(table.insert(), list(chunk))
        else:
            connection.execute(rows_insert(connection, sa.insert(table), chunk))


def rows_insert(
    connection: Connection, insert: sa.Insert, rows: Sequence[dict]
) -> sa.Insert:
    """``insert`` (of a table, or a dialect's upsert) given ``rows`` as one statement.

    For a statement that needs more than a plain append, such as ``ON CONFLICT
    DO NOTHING ... RETURNING``; keep ``rows`` to :data:`ROWS_PER_STATEMENT`.
    """
    if connection.dialect.name == "sqlite":
        return insert.values(list(rows))
    table = insert.table
    names = list(rows[0])
    values = []
    for position, name in enumerate(names):
        column = [row[name] for row in rows]
        kind = table.c[name].type
        # The first column is always unnested: it gives the statement its rows.
        if position > 0 and all(value == column[0] for value in column):
            values.append(
                sa.cast(sa.bindparam(f"v_{name}", column[0], type_=kind), kind)
            )
        else:
            array = sa.ARRAY(kind)
            values.append(
                sa.func.unnest(
                    sa.cast(sa.bindparam(f"v_{name}", column, type_=array), array)
                )
            )
    return insert.from_select(names, sa.select(*values))
