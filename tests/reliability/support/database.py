"""What is in the database, read straight from it (never through the bot).

``digest`` fingerprints every row of every table: equal digests before and
after an event mean the event wrote nothing. ``broken_invariants`` lists the
rules a half-written event would break (an answer without its interview's
revision bump, a POC without its audit event...); an empty list means the
data is whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.database import resolve_url


def engine_for(database_url: str) -> AsyncEngine:
    """An engine of the test's own, straight to the database (not through any proxy),
    without the bot's SQLite set-up: it reads while another connection holds the write lock."""
    return create_async_engine(resolve_url(database_url))


async def digest(engine: AsyncEngine, *, skip: Collection[str] = ("alembic_version",)) -> str:
    """One hash of every row of every table but ``skip``."""

    def read(connection: sa.Connection) -> str:
        hashed = hashlib.sha256()
        for table in _tables(connection):
            if table.name in skip:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(sa.select(table).order_by(*order)).all()
            hashed.update(f"{table.name}:{len(rows)}\n".encode())
            for row in rows:
                hashed.update(repr(tuple(row)).encode("utf-8", "backslashreplace"))
        return hashed.hexdigest()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


_REFLECTED: dict[str, list[sa.Table]] = {}


def _tables(connection: sa.Connection) -> list[sa.Table]:
    """Every table, by name; read from the database once per kind of database
    (every test database is migrated to the same head)."""
    name = connection.dialect.name
    if name not in _REFLECTED:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        _REFLECTED[name] = sorted(metadata.tables.values(), key=lambda t: t.name)
    return _REFLECTED[name]


async def counts(engine: AsyncEngine, *tables: str) -> dict[str, int]:
    async with engine.connect() as connection:
        found = {}
        for table in tables:
            result = await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))
            found[table] = int(result.scalar_one())
        return found


_RULES = {
    "a POC without exactly one registration in the audit trail": """
        SELECT p.id FROM poc p
        WHERE (SELECT count(*) FROM auditevent a
               WHERE a.poc_id = p.id AND a.action = 'poc_registered') <> 1""",
    "an interview without its start in the audit trail": """
        SELECT i.id FROM interview i
        WHERE i.flow = 'post-poc' AND NOT EXISTS (
            SELECT 1 FROM auditevent a WHERE a.poc_id = i.poc_id AND a.action = 'interview_started')""",
    "two current answers to one question": """
        SELECT poc_id FROM answer WHERE superseded_at IS NULL
        GROUP BY poc_id, question_key HAVING count(*) > 1""",
    "an answer recorded without its interview's revision bump": """
        SELECT i.id FROM interview i
        WHERE i.revision < (SELECT count(*) FROM answer a WHERE a.interview_id = i.id)""",
    "an answer of another POC's interview": """
        SELECT a.id FROM answer a JOIN interview i ON i.id = a.interview_id
        WHERE i.poc_id <> a.poc_id""",
    "a replaced answer without its change in the audit trail": """
        SELECT p.id FROM poc p
        WHERE (SELECT count(*) FROM answer a
               WHERE a.poc_id = p.id AND a.superseded_at IS NOT NULL)
           <> (SELECT count(*) FROM auditevent e
               WHERE e.poc_id = p.id AND e.action = 'answer_changed')""",
    "a decision without its audit event": """
        SELECT p.id FROM poc p
        WHERE (SELECT count(*) FROM decision d WHERE d.poc_id = p.id)
           <> (SELECT count(*) FROM auditevent e
               WHERE e.poc_id = p.id AND e.action = 'decision_recorded')""",
    "a workspace whose first person is not its admin": """
        SELECT w.id FROM workspace w
        WHERE EXISTS (SELECT 1 FROM person p WHERE p.workspace_id = w.id)
          AND (SELECT p.role FROM person p WHERE p.workspace_id = w.id
               ORDER BY p.id LIMIT 1) <> 'admin'
          AND NOT EXISTS (SELECT 1 FROM auditevent e
               WHERE e.workspace_id = w.id AND e.action = 'role_set')""",
}


async def broken_invariants(engine: AsyncEngine) -> list[str]:
    """Every rule the data breaks, with the rows that break it; empty when whole."""
    broken = []
    async with engine.connect() as connection:
        for rule, query in _RULES.items():
            rows = (await connection.execute(sa.text(query))).all()
            if rows:
                broken.append(f"{rule}: {[tuple(r) for r in rows]}")
    return broken
