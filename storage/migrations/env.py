"""Alembic environment: run by storage.migrate, never by hand-edited ini files.

The connection comes in through ``config.attributes["connection"]`` so that the
caller decides the database (and, on PostgreSQL, holds the advisory lock that
keeps two replicas from migrating at once).
"""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import AutoString

from storage.migrate import target_metadata
from storage.models import JSONDocument, UTCDateTime


def render_item(kind: str, item: Any, autogen: AutogenContext) -> str | Literal[False]:
    """Write the project's column types as plain SQLAlchemy types, so that a
    migration never imports the models it migrates."""
    if kind != "type":
        return False
    if isinstance(item, JSONDocument):
        autogen.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.Text().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")'
    if isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(item, AutoString):
        return f"sa.String(length={item.length})" if item.length else "sa.String()"
    return False


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `postpoc db upgrade`")
run(connection)
