"""One writer at a time for a key, where a unique constraint cannot say it.

Registering a new address must create one candidate however many requests for
it arrive at once; but candidates' addresses are not unique (one person may be
entered twice before anyone merges them), so the database cannot refuse the
second. ``exclusively`` runs a write while no other thread or process runs one
for the same key:

- on PostgreSQL, with session advisory locks held on a connection of their
  own, taken before the write's transaction starts: at REPEATABLE READ the
  write's snapshot must be taken after the other writer committed, which a
  lock taken inside the transaction would be too late for;
- on DuckDB, which only one process can open, with a lock per key in this
  process.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flo_comms.db import is_duckdb, write_with_retry

T = TypeVar("T")

_guard = threading.Lock()
_process_locks: dict[str, threading.Lock] = {}


def _process_lock(key: str) -> threading.Lock:
    # One lock object per key for the life of the process: keys are addresses
    # that joined events, a small set beside everything else kept in memory.
    with _guard:
        return _process_locks.setdefault(key, threading.Lock())


def _advisory_key(key: str) -> int:
    # A stable signed 64-bit number for the key, as PostgreSQL's advisory locks
    # take (Python's hash() changes from one process to the next).
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _schema(connection: Connection) -> str:
    # Advisory locks belong to the whole database: two deployments (or test
    # runs) in different schemas of one database must not block each other.
    return connection.execute(sa.select(sa.func.current_schema())).scalar_one()


@contextmanager
def _held(engine: Engine, keys: list[str]) -> Iterator[None]:
    if is_duckdb(engine):
        with ExitStack() as stack:
            for key in keys:
                stack.enter_context(_process_lock(key))
            yield
        return
    with engine.connect() as connection:
        schema = _schema(connection)
        numbers = [_advisory_key(f"{schema}:{key}") for key in keys]
        for number in numbers:
            connection.execute(sa.select(sa.func.pg_advisory_lock(number)))
        connection.commit()
        try:
            yield
        finally:
            for number in reversed(numbers):
                connection.execute(sa.select(sa.func.pg_advisory_unlock(number)))
            connection.commit()


def exclusively(
    engine: Engine, keys: Iterable[str], work: Callable[[Connection], T]
) -> T:
    """write_with_retry(engine, work) while holding every key (taken in sorted
    order, so that two writers wanting overlapping keys cannot deadlock)."""
    ordered = sorted(set(keys))
    with _held(engine, ordered):
        return write_with_retry(engine, work)


@contextmanager
def if_free(engine: Engine, key: str) -> Iterator[bool]:
    """Hold ``key`` for the block if nobody else holds it; yield whether we do.

    For work that any one runner may do for everyone (the dispatcher): a second
    runner skips it instead of waiting for, or colliding with, the first.
    """
    if is_duckdb(engine):
        lock = _process_lock(key)
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
        return
    with engine.connect() as connection:
        number = _advisory_key(f"{_schema(connection)}:{key}")
        acquired = connection.execute(
            sa.select(sa.func.pg_try_advisory_lock(number))
        ).scalar_one()
        connection.commit()
        try:
            yield bool(acquired)
        finally:
            if acquired:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(number)))
                connection.commit()
