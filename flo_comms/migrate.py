"""Bring a database's schema up to date, on every start."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.ddl.impl import DefaultImpl
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from flo_comms.db import is_duckdb

logger = logging.getLogger(__name__)


class DuckDBImpl(DefaultImpl):
    """Alembic ships no DuckDB support; defining this class registers it.

    DuckDB's DDL is close enough to PostgreSQL's for the operations our
    migrations use (create and drop tables, indexes and sequences).
    """

    __dialect__ = "duckdb"
    transactional_ddl = True


MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def upgrade(engine: Engine) -> None:
    """Apply every migration the database lacks, in one transaction."""
    if current_revision(engine) == head_revision():
        return
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    if is_duckdb(engine):
        # Schema changes end with a checkpoint, so that a crash never has to
        # replay DDL from the write-ahead log.
        with engine.connect() as connection:
            connection.exec_driver_sql("CHECKPOINT")
    logger.info("database schema upgraded to %s", head_revision())
