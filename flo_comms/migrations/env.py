"""Alembic environment: runs on the connection that flo_comms.migrate hands it."""

from alembic import context

import flo_comms.migrate  # noqa: F401  (registers Alembic's DuckDB support)
from flo_comms.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
