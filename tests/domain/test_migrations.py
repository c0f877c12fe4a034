"""The migrations build exactly the schema that flo_comms.schema describes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flo_comms.candidates import create_candidate, search_candidates
from flo_comms.db import create_engine, is_duckdb
from flo_comms.migrate import current_revision, head_revision, upgrade
from flo_comms.schema import metadata

ALEMBIC_TABLE = "alembic_version"


@pytest.fixture
def empty_engine(database_url) -> Iterator[Engine]:
    """A database nothing has been migrated into yet."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def migrated_tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {ALEMBIC_TABLE}


def migrated_columns(engine: Engine, table: str) -> list[str]:
    if is_duckdb(engine):
        # duckdb-engine's column reflection queries pg_catalog tables that
        # DuckDB lacks; the columns of an empty result say the same.
        with engine.connect() as connection:
            result = connection.exec_driver_sql(f'SELECT * FROM "{table}" LIMIT 0')
            return list(result.keys())
    return [column["name"] for column in sa.inspect(engine).get_columns(table)]


def test_an_empty_database_has_no_revision_until_upgraded(empty_engine):
    before = current_revision(empty_engine)

    upgrade(empty_engine)

    assert before is None
    assert head_revision() is not None
    assert current_revision(empty_engine) == head_revision()


def test_upgrading_twice_is_harmless_and_keeps_the_data(empty_engine):
    upgrade(empty_engine)
    casey_id = create_candidate(
        empty_engine, name="Casey Candidate", email=None, source="referral"
    )

    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision()
    assert [row.id for row in search_candidates(empty_engine).rows] == [casey_id]


def test_the_migration_creates_the_tables_of_the_schema_and_no_others(
    empty_engine,
):
    upgrade(empty_engine)

    assert migrated_tables(empty_engine) == set(metadata.tables)


def test_each_migrated_table_has_the_columns_of_the_schema(empty_engine):
    upgrade(empty_engine)

    migrated = {
        name: sorted(migrated_columns(empty_engine, name)) for name in metadata.tables
    }

    declared = {
        name: sorted(column.name for column in table.columns)
        for name, table in metadata.tables.items()
    }
    assert migrated == declared


def test_each_migrated_column_allows_null_exactly_where_the_schema_does(
    empty_engine,
):
    upgrade(empty_engine)
    query = sa.text(
        "SELECT table_name, column_name, is_nullable "
        "FROM information_schema.columns WHERE table_schema = current_schema()"
    )
    with empty_engine.connect() as connection:
        rows = connection.execute(query).all()

    migrated = {
        (table, column): nullable == "YES"
        for table, column, nullable in rows
        if table != ALEMBIC_TABLE
    }
    declared = {
        (name, column.name): column.nullable
        for name, table in metadata.tables.items()
        for column in table.columns
    }
    assert migrated == declared
