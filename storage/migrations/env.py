"""Alembic environment: run by storage.migrate, never by hand-edited ini files.

The connection comes in through ``config.attributes["connection"]`` so that the
caller decides the database (and, on PostgreSQL, holds the advisory lock that
keeps two replicas from migrating at once).
"""

from alembic import context
from sqlalchemy.engine import Connection

from storage.migrate import target_metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `postpoc db upgrade`")
run(connection)
