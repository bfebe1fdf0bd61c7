"""Where the database is and how to reach it.

SQLite in the user's data directory by default, so a first run needs nothing;
PostgreSQL in production through ``DATABASE_URL``. Users write ordinary URLs
(``postgresql://…``, ``sqlite:///…``); the drivers are chosen here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

APP_NAME = "postpoc"


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


def make_engine(url: URL, **options: Any) -> AsyncEngine:
    if is_sqlite(url):
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **options)
        _serialise_sqlite_writers(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **options)


def _serialise_sqlite_writers(engine: AsyncEngine) -> None:
    """SQLite upgrades a read transaction to a write one lazily and then fails
    at once with "database is locked" if another process wrote meanwhile.
    Taking the write lock at BEGIN makes concurrent processes queue instead."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
