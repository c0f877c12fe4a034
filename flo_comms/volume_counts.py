"""Keeping ``communication_volume``, the counts the analytics questions read.

Why a rollup: asked of ``communications`` itself, every analytics question
read all 5 million rows, applied the viewer's time zone to each of them, and
looked up "sent to an agency" and the delivery state per row (docs/performance.md
has the figures). ``communication_volume`` holds the same counts per 15-minute
UTC bucket and per everything the questions group or filter on, so a question
sums a much smaller table and applies the zone once per bucket. 15 minutes,
because every zone's midnight, and so its weeks and months, falls on a quarter
hour (Asia/Kolkata is UTC+5:30, Asia/Kathmandu UTC+5:45).

The rules, kept by every function that writes entries or their deliveries:

- the sum of ``entries`` per key is the number of live entries with that key;
- rows are only ever added, in the transaction that writes the entries: before
  a change, :func:`count_out` adds the entries as they stand with -1, after it
  :func:`count_in` adds them as they stand then with +1. Two writers never
  update the same row, so neither DuckDB nor PostgreSQL makes one of them fail
  for touching the other's bucket;
- deltas pile up (two rows per edit or delivery step); :func:`compact` folds
  them into one row per key. The dashboard folds at start-up when more than
  :data:`UNFOLDED_ROWS_LIMIT` rows could go (:func:`tidy`).

Usage, in the writer's transaction::

    count_out(connection, ids)   # before changing entries that exist
    ...change them...
    count_in(connection, ids)    # after writing or changing them
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.db import is_duckdb, write_with_retry
from flo_comms.schema import (
    communication_participants,
    communication_volume,
    communications,
    email_deliveries,
)

logger = logging.getLogger(__name__)

BUCKET_SECONDS = 15 * 60
# Past this many rows that folding would remove, start-up folds them.
UNFOLDED_ROWS_LIMIT = 100_000

_KEYS = [column.name for column in communication_volume.c if column.name != "entries"]
_COLUMNS = [*_KEYS, "entries"]


def _bucket(dialect: str) -> sa.ColumnElement:
    """The UTC start of the 15 minutes holding the entry's time.

    14:07:33 UTC -> 14:00 UTC. Counted in seconds since 1970, so that the
    session's time zone plays no part.
    """
    occurred_at = communications.c.occurred_at
    if dialect == "sqlite":
        # The benchmark's SQLite twin keeps times as UTC text.
        seconds = sa.cast(sa.func.strftime("%s", occurred_at), sa.Integer)
        start = seconds - seconds % BUCKET_SECONDS
        return sa.func.strftime("%Y-%m-%d %H:%M:%S.000000", start, "unixepoch")
    seconds = sa.extract("epoch", occurred_at)
    return sa.func.to_timestamp(
        sa.func.floor(seconds / BUCKET_SECONDS) * BUCKET_SECONDS
    )


def _counts_of(dialect: str, ids: list[int] | None, *, sign: int = 1) -> sa.Select:
    """Live entries (of ``ids``, or all) counted per key, times ``sign``."""
    c, d, p = communications.c, email_deliveries.c, communication_participants.c

    def among(column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
        if ids is None:
            return sa.true()
        # The range lets DuckDB skip the blocks of other entries; a bulk write's
        # ids usually run without a gap, and then the range alone is enough
        # (thousands of bound values cost more than the counting itself).
        within = column.between(ids[0], ids[-1])
        if ids[-1] - ids[0] + 1 == len(ids):
            return within
        return sa.and_(within, column.in_(ids))

    entry_ids, delivery_ids = among(c.id), among(d.communication_id)
    addressee_ids = among(p.communication_id)
    to_agency_ids = (
        sa.select(p.communication_id)
        .where(p.role == "to", p.agency_contact_id.is_not(None), addressee_ids)
        .distinct()
        .subquery("to_agency_ids")
    )
    to_agency = to_agency_ids.c.communication_id.is_not(None)
    # "sending" is on its way, as "queued" is: analytics counts them together.
    state = sa.case((d.state == "sending", "queued"), else_=d.state)
    keys = (
        _bucket(dialect).label("bucket"),
        c.source,
        c.comm_type,
        c.email_kind,
        c.event_id,
        c.job_id,
        c.job_status,
        to_agency.label("to_agency"),
        state.label("delivery_state"),
    )
    count = sa.func.count() if sign > 0 else -sa.func.count()
    return (
        sa.select(*keys, count)
        .select_from(
            communications.outerjoin(
                email_deliveries, sa.and_(d.communication_id == c.id, delivery_ids)
            ).outerjoin(to_agency_ids, to_agency_ids.c.communication_id == c.id)
        )
        .where(entry_ids, c.deleted_at.is_(None))
        .group_by(*keys)
    )


def _add(connection: Connection, communication_ids: Iterable[int], sign: int) -> None:
    ids = sorted(set(communication_ids))
    if not ids:
        return
    query = _counts_of(connection.dialect.name, ids, sign=sign)
    connection.execute(communication_volume.insert().from_select(_COLUMNS, query))


def count_in(connection: Connection, communication_ids: Iterable[int]) -> None:
    """Count these entries as they stand now (deleted ones count as nothing)."""
    _add(connection, communication_ids, 1)


def count_out(connection: Connection, communication_ids: Iterable[int]) -> None:
    """Take these entries out of the counts, as they stand now."""
    _add(connection, communication_ids, -1)


def rebuild(connection: Connection) -> None:
    """Count every entry again from scratch, written in bucket order."""
    connection.execute(communication_volume.delete())
    query = _counts_of(connection.dialect.name, None).order_by("bucket")
    connection.execute(communication_volume.insert().from_select(_COLUMNS, query))


def _folded() -> sa.Select:
    v = communication_volume.c
    keys = [v[name] for name in _KEYS]
    total = sa.func.sum(v.entries)
    return sa.select(*keys, total.label("entries")).group_by(*keys).having(total != 0)


def compact(connection: Connection) -> None:
    """Fold the deltas into one row per key; keys that sum to nothing go.

    Run it at snapshot isolation (write_with_retry does): it removes the rows
    it summed, and rows other writers add meanwhile stay.
    """
    folded = sa.Table(
        "communication_volume_folded",
        sa.MetaData(),
        *(sa.Column(column.name, column.type) for column in communication_volume.c),
        prefixes=["TEMPORARY"],
    )
    # Rolled back with the transaction if anything below fails.
    folded.create(connection)
    connection.execute(folded.insert().from_select(_COLUMNS, _folded()))
    connection.execute(communication_volume.delete())
    in_bucket_order = sa.select(folded).order_by(folded.c.bucket)
    connection.execute(
        communication_volume.insert().from_select(_COLUMNS, in_bucket_order)
    )
    folded.drop(connection)


def unfolded_rows(connection: Connection) -> int:
    """How many rows :func:`compact` would remove."""
    rows = connection.execute(
        sa.select(sa.func.count()).select_from(communication_volume)
    ).scalar_one()
    keys = connection.execute(
        sa.select(sa.func.count()).select_from(_folded().subquery())
    ).scalar_one()
    return rows - keys


def tidy(engine: Engine, *, force: bool = False) -> bool:
    """Fold the deltas if enough have piled up; True if it did."""

    def fold(connection: Connection) -> int | None:
        extra = unfolded_rows(connection)
        if not force and extra <= UNFOLDED_ROWS_LIMIT:
            return None
        compact(connection)
        return extra

    folded = write_with_retry(engine, fold)
    if folded is None:
        return False
    logger.info("folded the analytics counts (%s rows fewer)", folded)
    if is_duckdb(engine):
        with engine.connect() as connection:
            # Without a checkpoint the deleted rows stay in the file until one.
            connection.exec_driver_sql("CHECKPOINT")
    return True
