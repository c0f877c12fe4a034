"""Where Flo Communications finds its database and how it connects."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATABASE_FILE = DATA_DIR / "flo_comms.duckdb"
DATABASE_URL_VARIABLE = "FLO_COMMS_DATABASE_URL"


@dataclass(frozen=True)
class DatabaseSettings:
    """The database to open, and whether it is the embedded default."""

    url: str
    is_embedded_default: bool


def database_settings(environ: dict[str, str] | None = None) -> DatabaseSettings:
    """Read the database URL from the environment, else the embedded DuckDB file."""
    environ = os.environ if environ is None else environ
    url = environ.get(DATABASE_URL_VARIABLE, "").strip()
    if url:
        return DatabaseSettings(url=url, is_embedded_default=False)
    return DatabaseSettings(
        url=f"duckdb:///{DEFAULT_DATABASE_FILE}", is_embedded_default=True
    )


@dataclass(frozen=True)
class PoolSettings:
    """Connection pool limits, from FLO_COMMS_POOL_SIZE, FLO_COMMS_POOL_TIMEOUT
    (seconds to wait for a free connection) and FLO_COMMS_CONNECT_TIMEOUT
    (seconds to wait for a PostgreSQL server to answer)."""

    size: int = 5
    timeout: float = 30.0
    connect_timeout: int = 10


def pool_settings(environ: dict[str, str] | None = None) -> PoolSettings:
    """Read the pool limits from the environment; a bad value is refused by name."""
    environ = os.environ if environ is None else environ
    defaults = PoolSettings()
    values = {}
    for field, variable, kind in (
        ("size", "FLO_COMMS_POOL_SIZE", int),
        ("timeout", "FLO_COMMS_POOL_TIMEOUT", float),
        ("connect_timeout", "FLO_COMMS_CONNECT_TIMEOUT", int),
    ):
        raw = environ.get(variable, "").strip()
        if not raw:
            values[field] = getattr(defaults, field)
            continue
        try:
            values[field] = kind(raw)
        except ValueError:
            raise ValueError(f"{variable} must be a number, not {raw!r}.") from None
        if values[field] <= 0:
            raise ValueError(f"{variable} must be above zero, not {raw!r}.")
    return PoolSettings(**values)
