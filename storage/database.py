"""Where the database is and how to reach it.

SQLite in the user's data directory by default, so a first run needs nothing;
PostgreSQL in production through ``DATABASE_URL``. Users write ordinary URLs
(``postgresql://…``, ``sqlite:///…``); the drivers are chosen here.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

APP_NAME = "postpoc"
READ_ONLY = "postpoc_read_only"
"""Execution option of connections that only read (see ``Store.reading``)."""


def default_sqlite_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "postpoc.db"


def resolve_url(database_url: str | None, data_dir: Path | None = None) -> URL:
    """The async URL to use: ``database_url`` if given, else a SQLite file."""
    if not database_url:
        path = (data_dir / "postpoc.db") if data_dir else default_sqlite_path()
        return URL.create("sqlite+aiosqlite", database=str(path))
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    raise ValueError(f"DATABASE_URL: unsupported database {backend!r} (use sqlite or postgresql)")


def sync_url(url: URL) -> URL:
    """The same database for synchronous tools (Alembic)."""
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite")
    return url


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def ensure_directory(url: URL) -> None:
    """A SQLite file's folder must exist before the first connection."""
    if is_sqlite(url) and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: URL, **options: Any) -> AsyncEngine:
    ensure_directory(url)
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **options)
        serialise_sqlite_writers(engine.sync_engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **options)


def _use_wal(cursor: Any) -> None:
    """Write-ahead logging lets readers run while one process writes. The mode
    is kept in the file; switching needs a moment alone with it, and SQLite
    reports "locked" at once rather than waiting, so retry briefly."""
    deadline = time.monotonic() + 30
    while True:
        try:
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def serialise_sqlite_writers(engine: Engine) -> None:
    """SQLite upgrades a read transaction to a write one lazily and then fails
    at once with "database is locked" if another process wrote meanwhile.
    Taking the write lock at BEGIN makes concurrent processes queue instead."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        _use_wal(cursor)
        # With WAL, NORMAL survives a crash of the process (SIGKILL) and only
        # risks the last commits on a power cut; FULL fsyncs every commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # SQLite's own lower() folds ASCII only; PostgreSQL's folds all of Unicode.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        reading = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")
