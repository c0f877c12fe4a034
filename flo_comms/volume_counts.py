"""Counts of entries per 15 minutes, kept as they are written (for analytics).

Being built: the analytics functions do not read it yet. The calls below are
the interface every writer of entries uses, in the transaction that writes:

    count_out(connection, ids)   # before changing entries that exist
    ...change them...
    count_in(connection, ids)    # after writing or changing them
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Connection


def count_in(connection: Connection, communication_ids: Iterable[int]) -> None:
    """Count these entries as they stand now (deleted ones count as nothing)."""


def count_out(connection: Connection, communication_ids: Iterable[int]) -> None:
    """Take these entries out of the counts, as they stand now."""


def rebuild(connection: Connection) -> None:
    """Count every entry again from scratch."""
