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
