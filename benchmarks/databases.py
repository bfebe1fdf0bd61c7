"""Throw-away databases for the benchmarks, and counting SQL statements.

SQLite is a file in a temporary folder. PostgreSQL is used when a server
answers at ``127.0.0.1:5432`` (database ``test``, or
``POSTPOC_TEST_POSTGRES_URL`` as for the tests): a database of our own is
created on it and dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

POSTGRES_URL_ENV = "POSTPOC_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://127.0.0.1:5432/test"


def _libpq(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def postgres_server() -> str | None:
    """The PostgreSQL server to use, or None when none answers."""
    url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    try:
        with psycopg.connect(_libpq(url), connect_timeout=3):
            return url
    except psycopg.Error:
        return None


@contextmanager
def sqlite_database(folder: Path, name: str = "postpoc.db") -> Iterator[str]:
    path = folder / name
    try:
        yield f"sqlite:///{path}"
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """A new, empty database on ``server``, dropped on exit."""
    name = f"postpoc_bench_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq(server), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _libpq(server, database=name)
    finally:
        with psycopg.connect(_libpq(server), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@dataclass
class StatementCounter:
    """Counts the SQL statements an engine sends (``before_cursor_execute``),
    by their first word, while :meth:`counting` is active."""

    active: bool = False
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.active:
            kind = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.by_kind.clear()
        self.active = True
        try:
            yield
        finally:
            self.active = False
