"""The engine, its connections, and the one place where dialects differ.

The app runs on DuckDB and PostgreSQL. SQLite is here for the benchmark alone
(benchmarks/run.py compares our code on it with DuckDB): it is not a supported
deployment, parse_url refuses its URLs, and only create_sqlite_engine opens it.
What SQLite lacks is emulated, see create_sqlite_engine.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import duckdb
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.compiler import compiles

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


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _make_parent_folder(database: str | None) -> None:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


DUCKDB_CHECKPOINT_THRESHOLD = "256MB"


def _set_duckdb_utc(dbapi_connection, _record) -> None:
    # The time zone is per connection (PostgreSQL gets it as a connect option);
    # times are stored in UTC and converted for display, so every connection
    # must agree on UTC whatever the machine's zone.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TimeZone = 'UTC'")
    # DuckDB draws a progress bar on the terminal for long statements (sorting
    # the timelines at start-up, say): noise in a server's log. Inside Jupyter
    # DuckDB refuses to touch the setting without ipywidgets; it stays as is.
    with contextlib.suppress(duckdb.InvalidInputException):
        cursor.execute("SET enable_progress_bar = false")
    # DuckDB checkpoints inside the commit that takes its log past a threshold,
    # 16 MB by default: a 10,000-email event update passes it and its commit
    # then waits about a second and a half, mostly a cost paid per checkpoint
    # rather than per row. A larger log checkpoints a dozen times less often
    # (docs/performance.md); the price is a longer replay after a crash.
    cursor.execute(f"SET checkpoint_threshold = '{DUCKDB_CHECKPOINT_THRESHOLD}'")
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


# DuckDB always gives snapshot isolation; PostgreSQL needs asking for it.
# SQLite (the benchmark only) knows no REPEATABLE READ: its transactions are
# serializable, one writer at a time.
_WRITE_ISOLATION = {"postgresql": "REPEATABLE READ", "sqlite": "SERIALIZABLE"}

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
                isolation = _WRITE_ISOLATION.get(engine.dialect.name)
                if isolation:
                    connection.execution_options(isolation_level=isolation)
                with connection.begin():
                    return work(connection)
        except sa.exc.DBAPIError as error:
            if attempt == attempts or not is_write_conflict(error):
                raise
            logger.debug("write conflict, attempt %s of %s", attempt, attempts)
            time.sleep(0.005 * 2**attempt)
    raise AssertionError("unreachable")


def contains_text(
    column: sa.ColumnElement[str], text: str, *, lowered: bool = False
) -> sa.ColumnElement[bool]:
    """``column`` contains ``text``, ignoring case, as a portable LIKE.

    Both sides are lowered by the database, not one by Python: Python lowers
    "İ" to two characters where the databases give one. The user's % and _
    are escaped, so "50%" means those characters, not a pattern. ``lowered``
    says the column holds text the database lowered already.
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = sa.func.lower(sa.literal(f"%{escaped}%", sa.String))
    searched = column if lowered else sa.func.lower(column)
    return searched.like(pattern, escape="\\")


# --- SQLite, for the benchmark only ----------------------------------------------


def create_sqlite_engine(path: str | Path) -> Engine:
    """An engine on a SQLite file, for benchmarks/run.py's comparison only.

    SQLite is not a supported deployment: the dashboard and the command line
    refuse its URLs. Our queries run on it unchanged, with these emulations:

    - ``timezone(zone, t)`` and ``date_trunc('week' | 'month', t)`` are Python
      functions registered on each connection (SQLite has no time zones): every
      row they see costs a call into Python;
    - ``CAST(x AS DATE)`` becomes ``date(x)``, since SQLite would read
      '2026-03-02' as the number 2026;
    - times are stored as UTC text and read back as aware UTC datetimes, as
      DuckDB and PostgreSQL return them;
    - ``lower()`` is SQLite's own, which lowers ASCII letters only;
    - PostgreSQL's advisory locks (flo_comms.locks), and ``current_schema()``
      that names them, always succeed at once: SQLite lets one writer in at a
      time anyway, and the benchmark runs in one process;
    - there are no sequences (keys are SQLite row ids) and no Alembic
      migrations: create_sqlite_schema builds the tables from flo_comms.schema.
    """
    engine = sa.create_engine(f"sqlite:///{Path(path)}")
    # Read and written as UTC; see _UtcText. Set before the first statement,
    # when SQLAlchemy adapts each column type to the dialect.
    engine.dialect.colspecs = {
        **engine.dialect.colspecs,
        sa.DateTime: _UtcText,
    }
    sa.event.listen(engine, "connect", _register_sqlite_functions)
    return engine


def create_sqlite_schema(engine: Engine) -> None:
    """Every table and index of flo_comms.schema, straight from the metadata."""
    from flo_comms.schema import metadata

    metadata.create_all(engine)


class _UtcText(SQLITE_DATETIME):
    """Times as SQLite text in UTC ('2026-03-02 14:00:00.000000'), aware on reading."""

    cache_ok = True

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any]:
        to_text = super().bind_processor(dialect)

        def process(value: Any) -> Any:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return to_text(value) if to_text else value

        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        from_text = super().result_processor(dialect, coltype)

        def process(value: Any) -> Any:
            moment = from_text(value) if from_text else value
            if isinstance(moment, datetime) and moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment

        return process


def _sqlite_timezone(zone: str, moment: str | None) -> str | None:
    # timezone('America/New_York', '2026-03-02 14:00:00.000000')
    # -> '2026-03-02 09:00:00.000000': the wall clock there, as DuckDB gives it.
    if moment is None:
        return None
    utc = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    local = utc.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return local.isoformat(sep=" ", timespec="microseconds")


def _sqlite_date_trunc(unit: str, moment: str | None) -> str | None:
    # date_trunc('week', '2026-03-05 09:00:00') -> '2026-03-02 00:00:00.000000'.
    if moment is None:
        return None
    day = datetime.fromisoformat(moment).date()
    if unit == "week":
        day -= timedelta(days=day.weekday())
    elif unit == "month":
        day = day.replace(day=1)
    elif unit != "day":
        raise ValueError(f"date_trunc on SQLite knows day, week and month, not {unit}")
    return datetime.combine(day, datetime.min.time()).isoformat(
        sep=" ", timespec="microseconds"
    )


def _register_sqlite_functions(dbapi_connection, _record) -> None:
    dbapi_connection.create_function(
        "timezone", 2, _sqlite_timezone, deterministic=True
    )
    dbapi_connection.create_function(
        "date_trunc", 2, _sqlite_date_trunc, deterministic=True
    )
    dbapi_connection.create_function("current_schema", 0, lambda: "main")
    for lock in ("pg_advisory_lock", "pg_try_advisory_lock", "pg_advisory_unlock"):
        dbapi_connection.create_function(lock, 1, lambda _key: True)


@compiles(sa.Cast, "sqlite")
def _sqlite_cast(element: sa.Cast, compiler, **kw) -> str:
    # SQLite gives DATE numeric affinity: CAST('2026-03-02' AS DATE) is 2026.
    if isinstance(element.type, sa.Date) and not isinstance(element.type, sa.DateTime):
        return f"date({compiler.process(element.clause, **kw)})"
    return compiler.visit_cast(element, **kw)
