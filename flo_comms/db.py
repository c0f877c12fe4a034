"""The engine, its connections, and the one place where dialects differ."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from flo_comms.config import PoolSettings, pool_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")


class DatabaseLockedError(RuntimeError):
    """Another process holds the DuckDB file open."""


class DatabaseUnavailableError(RuntimeError):
    """The database could not be reached or opened; the message hides passwords."""


class DatabaseUrlError(ValueError):
    """The database URL cannot be used; the message says what would work."""


SUPPORTED_BACKENDS = ("duckdb", "postgresql")


def parse_url(url: str | sa.URL) -> sa.URL:
    """The URL, if it names a database we run on; else a plain refusal."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise DatabaseUrlError(
            f"{str(url)!r} is not a database URL. Use duckdb:///path/to/file.duckdb "
            "or postgresql://user:password@host:5432/database."
        ) from None
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise DatabaseUrlError(
            f"{parsed.get_backend_name()} is not supported: use a duckdb:/// or "
            "postgresql:// URL."
        )
    return parsed


def create_engine(url: str | sa.URL, pool: PoolSettings | None = None) -> Engine:
    """Build an engine whose sessions all speak UTC."""
    pool = pool or pool_settings()
    parsed = parse_url(url)
    limits = {"pool_size": pool.size, "pool_timeout": pool.timeout}
    if parsed.get_backend_name() == "duckdb":
        _make_parent_folder(parsed.database)
        engine = sa.create_engine(parsed, poolclass=sa.pool.QueuePool, **limits)
        sa.event.listen(engine, "connect", _set_duckdb_utc)
    else:
        if parsed.drivername == "postgresql":
            # psycopg 3 is the driver we ship; plain postgresql:// means psycopg2.
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Options in the URL (a search_path, say) are kept beside the zone. They
        # stay in the URL as well, so that engine.url still names the same
        # database and schema; connect_args take precedence over the URL's.
        options = f"{parsed.query.get('options', '')} -c timezone=UTC".strip()
        engine = sa.create_engine(
            parsed,
            pool_pre_ping=True,
            connect_args={"options": options, "connect_timeout": pool.connect_timeout},
            **limits,
        )
    logger.debug("engine for %s", safe_url(parsed))
    return engine


def safe_url(url: str | sa.URL) -> str:
    """The URL as it may appear in logs and messages: never with its password.

    >>> safe_url("postgresql://flo:s3cret@db:5432/flo")
    'postgresql://flo:***@db:5432/flo'
    """
    return make_url(url).render_as_string(hide_password=True)


def is_duckdb(engine: Engine) -> bool:
    return engine.dialect.name == "duckdb"


def _make_parent_folder(database: str | None) -> None:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _set_duckdb_utc(dbapi_connection, _record) -> None:
    # The time zone is per connection (PostgreSQL gets it as a connect option);
    # times are stored in UTC and converted for display, so every connection
    # must agree on UTC whatever the machine's zone.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TimeZone = 'UTC'")
    cursor.close()


def open_engine(url: str) -> Engine:
    """Create an engine and connect once, translating DuckDB's lock error."""
    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as error:
        engine.dispose()
        if "Could not set lock on file" in str(error.orig):
            raise DatabaseLockedError(
                "The DuckDB file is open in another process (most likely the "
                "dashboard). Stop that process first, or move to PostgreSQL to "
                "share one database between processes."
            ) from None
        # The driver's own words (host, port, user; never the password), first
        # line only; the URL as safe_url shows it.
        reason = str(error.orig).strip().splitlines()[0]
        raise DatabaseUnavailableError(
            f"Cannot open {safe_url(url)}: {reason}"
        ) from None
    return engine


# SQLSTATEs PostgreSQL uses for "try again": serialization failure, deadlock.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}


def is_write_conflict(error: sa.exc.DBAPIError) -> bool:
    """True when the database refused a write only because another one won a race.

    DuckDB checks concurrent writes optimistically and raises a
    TransactionException ("Transaction conflict") at the write or at commit.
    """
    original = error.orig
    if type(original).__name__ == "TransactionException":
        return True
    return getattr(original, "sqlstate", None) in _RETRYABLE_SQLSTATES


def write_with_retry(
    engine: Engine, work: Callable[[Connection], T], *, attempts: int = 4
) -> T:
    """Run ``work`` in one transaction, again from scratch if it lost a race.

    ``work`` must be safe to repeat: everything it did is rolled back before
    the next attempt. On PostgreSQL the transaction runs at REPEATABLE READ, the
    snapshot isolation DuckDB always gives: at PostgreSQL's default READ
    COMMITTED a lost race is not refused, the later write silently wins.
    """
    for attempt in range(1, attempts + 1):
        try:
            with engine.connect() as connection:
                if not is_duckdb(engine):
                    connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    return work(connection)
        except sa.exc.DBAPIError as error:
            if attempt == attempts or not is_write_conflict(error):
                raise
            logger.debug("write conflict, attempt %s of %s", attempt, attempts)
            time.sleep(0.005 * 2**attempt)
    raise AssertionError("unreachable")


def contains_text(column: sa.ColumnElement[str], text: str) -> sa.ColumnElement[bool]:
    """``column`` contains ``text``, ignoring case, as a portable LIKE.

    Both sides are lowered by the database, not one by Python: Python lowers
    "İ" to two characters where the databases give one. The user's % and _
    are escaped, so "50%" means those characters, not a pattern.
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = sa.func.lower(sa.literal(f"%{escaped}%", sa.String))
    return sa.func.lower(column).like(pattern, escape="\\")
