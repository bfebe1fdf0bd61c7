"""Where the database is and how to reach it.

SQLite in the user's data directory by default, so a first run needs nothing;
PostgreSQL in production through ``DATABASE_URL``. Users write ordinary URLs
(``postgresql://…``, ``sqlite:///…``); the drivers are chosen here.
"""

from __future__ import annotations

import sqlite3
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.dialects import postgresql, sqlite

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


def upsert(table: Table, dialect: str) -> postgresql.Insert | sqlite.Insert:
    """``INSERT`` into ``table`` with ``ON CONFLICT`` clauses, in the dialect of
    the database in use (``postgresql`` or ``sqlite``). Each dialect is
    imported when first used: a SQLite deployment never loads PostgreSQL's,
    which is a tenth of a start."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def ensure_directory(url: URL) -> None:
    """A SQLite file's folder must exist before the first connection."""
    if is_sqlite(url) and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


LOCK_TIMEOUT_SECONDS = 30.0
"""How long a SQLite writer waits for another's lock; then the person is asked
to try again. ``?timeout=<seconds>`` in a SQLite URL changes it."""

CONNECT_TIMEOUT_SECONDS = 10
"""How long to wait for PostgreSQL to accept a connection. libpq's default
(psycopg: 130 s) would keep a person waiting minutes for "try again" when the
server is unreachable rather than refusing. ``?connect_timeout=`` overrides it."""

KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
"""A server that vanished mid-query (no reset, no answer) is given up on after
about a minute instead of the operating system's two hours. URL parameters
of the same names override these."""


def make_engine(
    url: URL,
    *,
    lock_timeout: float | None = None,
    connect_timeout: int | None = None,
    **options: Any,
) -> AsyncEngine:
    """The engine for ``url``. ``lock_timeout`` (SQLite) and ``connect_timeout``
    (PostgreSQL), in seconds, override the URL's and the defaults above.

    ``hide_parameters``: a statement's values (titles, answers, rationales) are
    never in a log line or an exception's message, whatever the log level."""
    ensure_directory(url)
    if is_sqlite(url):
        waited = lock_timeout if lock_timeout is not None else _query_float(url, "timeout")
        seconds = LOCK_TIMEOUT_SECONDS if waited is None else waited
        engine = create_async_engine(
            url, connect_args={"timeout": seconds}, hide_parameters=True, **options
        )
        serialise_sqlite_writers(engine.sync_engine, seconds)
        _WRITER_WAITS[engine.sync_engine] = seconds
        return engine
    defaults: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS, **KEEPALIVES}
    connect_args = {name: value for name, value in defaults.items() if name not in url.query}
    if connect_timeout is not None:
        connect_args["connect_timeout"] = connect_timeout
    return create_async_engine(
        url, pool_pre_ping=True, connect_args=connect_args, hide_parameters=True, **options
    )


_WRITER_WAITS: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()


def writer_wait(engine: AsyncEngine) -> float | None:
    """How long a writer of this SQLite engine waits for the lock (None: not
    SQLite, or not made by :func:`make_engine`)."""
    return _WRITER_WAITS.get(engine.sync_engine)


def _query_float(url: URL, name: str) -> float | None:
    value = url.query.get(name)
    if isinstance(value, tuple):
        value = value[-1] if value else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        raise ValueError(f"DATABASE_URL: {name} must be a number of seconds") from None


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


def serialise_sqlite_writers(engine: Engine, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
    """SQLite upgrades a read transaction to a write one lazily and then fails
    at once with "database is locked" if another process wrote meanwhile.
    Taking the write lock at BEGIN makes concurrent processes queue instead,
    each for at most ``lock_timeout`` seconds."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
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
