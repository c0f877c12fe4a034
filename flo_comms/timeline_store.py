"""Keeping ``timeline_entries``, the Communications tabs' reading copy.

Why a copy: a tab wants the newest 20 of one candidate's entries. Asked of
``communication_candidates`` joined to ``communications``, DuckDB reads every
one of the candidate's entries with all their wide columns before it keeps 20
(seconds for a candidate with 20,000 entries), and for an average candidate
it still joins against all of ``communications``. ``timeline_entries`` holds
only what the tab sorts and filters on, one row per candidate and live entry,
and on DuckDB it is written sorted by candidate: DuckDB skips every block of
rows whose candidate range cannot match, so a tab reads one or two blocks.
The 20 wide rows are then read by id. docs/performance.md has the figures.

The rules, kept by every function that writes entries:

- a row exists for each (candidate, entry) pair in ``communication_candidates``
  whose entry is not deleted, with the entry's current values;
- rows are written in the transaction that writes the entry, so a tab is never
  out of step with the entries;
- new rows are appended (unsorted on DuckDB); :func:`rebuild` writes the whole
  table sorted again. The unsorted tail costs a scan of itself per tab, which
  stays small between rebuilds: the dashboard rebuilds at start-up when the
  tail has grown past :data:`UNSORTED_ROWS_LIMIT`, and ``flo-comms tidy``
  does it on demand.

On PostgreSQL the table has an index on (candidate, time) instead, and
sorting it is not needed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.db import is_duckdb
from flo_comms.schema import (
    communication_candidates,
    communications,
    timeline_entries,
    timeline_layout,
)

logger = logging.getLogger(__name__)

# Past this many rows appended since the last sort, start-up sorts again. At
# DuckDB's block size (122,880 rows) it is a few blocks scanned per tab.
UNSORTED_ROWS_LIMIT = 250_000


def _search_text() -> sa.ColumnElement[str]:
    # A line break between them: a search typed in one line never matches the
    # end of the subject joined to the start of the body.
    c = communications.c
    return sa.func.lower(c.subject + sa.literal("\n", sa.String) + c.body)


def _rows_of(condition: sa.ColumnElement[bool]) -> sa.Select:
    c = communications.c
    return (
        sa.select(
            communication_candidates.c.candidate_id,
            c.occurred_at,
            c.id,
            c.source,
            c.comm_type,
            c.email_kind,
            c.job_id,
            c.event_id,
            _search_text(),
        )
        .select_from(
            communication_candidates.join(
                communications, c.id == communication_candidates.c.communication_id
            )
        )
        .where(condition, c.deleted_at.is_(None))
    )


_COLUMNS = [
    "candidate_id",
    "occurred_at",
    "communication_id",
    "source",
    "comm_type",
    "email_kind",
    "job_id",
    "event_id",
    "search_text",
]


def index_attachments(
    connection: Connection, communication_id: int, candidate_ids: Iterable[int]
) -> None:
    """Add the rows of an entry newly shown on these candidates' tabs."""
    ids = sorted(set(candidate_ids))
    if not ids:
        return
    connection.execute(
        timeline_entries.insert().from_select(
            _COLUMNS,
            _rows_of(
                sa.and_(
                    communication_candidates.c.communication_id == communication_id,
                    communication_candidates.c.candidate_id.in_(ids),
                )
            ),
        )
    )


def index_new(connection: Connection, communication_ids: Iterable[int]) -> None:
    """Add the rows of entries written just now, with all their attachments.

    For entries that have no rows yet (a bulk write); :func:`reindex` is for
    entries that changed.
    """
    ids = sorted(set(communication_ids))
    if not ids:
        return
    connection.execute(
        timeline_entries.insert().from_select(
            _COLUMNS,
            # The range lets DuckDB skip the blocks of older entries.
            _rows_of(
                sa.and_(
                    communications.c.id.between(ids[0], ids[-1]),
                    communication_candidates.c.communication_id.between(
                        ids[0], ids[-1]
                    ),
                    communication_candidates.c.communication_id.in_(ids),
                )
            ),
        )
    )


def reindex(connection: Connection, communication_ids: Iterable[int]) -> None:
    """Write again the rows of entries that were edited, deleted or re-attached."""
    ids = sorted(set(communication_ids))
    if not ids:
        return
    connection.execute(
        timeline_entries.delete().where(timeline_entries.c.communication_id.in_(ids))
    )
    connection.execute(
        timeline_entries.insert().from_select(
            _COLUMNS, _rows_of(communication_candidates.c.communication_id.in_(ids))
        )
    )


def rebuild(connection: Connection) -> None:
    """Write the whole table again from the entries, sorted by candidate and time."""
    connection.execute(timeline_entries.delete())
    query = _rows_of(sa.true()).order_by(
        communication_candidates.c.candidate_id,
        communications.c.occurred_at,
        communications.c.id,
    )
    connection.execute(timeline_entries.insert().from_select(_COLUMNS, query))
    _remember_sorted_rows(connection)


def unsorted_rows(connection: Connection) -> int:
    """Rows appended since the table was last written sorted."""
    total = connection.execute(
        sa.select(sa.func.count()).select_from(timeline_entries)
    ).scalar_one()
    return max(0, total - _sorted_rows(connection))


def tidy(engine: Engine, *, force: bool = False) -> bool:
    """Sort the table again if its unsorted tail has grown; True if it did.

    Only DuckDB keeps the table sorted; elsewhere this does nothing.
    """
    if not is_duckdb(engine):
        return False
    with engine.begin() as connection:
        tail = unsorted_rows(connection)
        if not force and tail <= UNSORTED_ROWS_LIMIT:
            return False
        logger.info("sorting the timelines again (%s rows appended since)", tail)
        rebuild(connection)
    with engine.connect() as connection:
        # Without a checkpoint the deleted blocks stay in the file until one.
        connection.exec_driver_sql("CHECKPOINT")
    return True


def _sorted_rows(connection: Connection) -> int:
    value = connection.execute(sa.select(timeline_layout.c.sorted_rows)).scalar()
    return int(value or 0)


def _remember_sorted_rows(connection: Connection) -> None:
    total = connection.execute(
        sa.select(sa.func.count()).select_from(timeline_entries)
    ).scalar_one()
    connection.execute(sa.delete(timeline_layout))
    if total:
        # No row means none sorted: an empty database stays empty.
        connection.execute(sa.insert(timeline_layout).values(sorted_rows=total))
