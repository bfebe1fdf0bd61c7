"""Fixtures shared by the whole test suite.

``database_url``
    A URL to a fresh, empty database, as a user would write it in
    ``DATABASE_URL``. Parametrized: every test that uses it (or ``store``) runs
    once on SQLite (ids ``sqlite``: a new file under ``tmp_path``) and once on
    PostgreSQL (id ``postgresql``: a new database ``postpoc_t_<hex>`` created on
    the server of ``POSTPOC_TEST_POSTGRES_URL``, dropped after the test).

    When that server can't be reached the ``postgresql`` tests are skipped, or
    fail if ``POSTPOC_REQUIRE_POSTGRES=1`` (CI sets it). The server is probed
    once per session.

``store``
    A :class:`storage.repository.Store` over ``database_url``, migrated to the
    head revision, disposed after the test.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from storage.database import make_engine, resolve_url
from storage.migrate import upgrade
from storage.repository import Store

POSTGRES_URL_ENV = "POSTPOC_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "POSTPOC_REQUIRE_POSTGRES"
DEFAULT_POSTGRES_URL = "postgresql://127.0.0.1:5432/test"
CONNECT_TIMEOUT_SECONDS = 3


def _libpq_url(url: str, database: str | None = None) -> str:
    """``url`` as libpq reads it (no ``+driver``), optionally on another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The PostgreSQL server to create test databases on; skips (or fails) if unreachable.

    Session-scoped, so the server is probed once: pytest re-raises the cached
    skip or failure for every later test that asks for it.
    """
    url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    try:
        with psycopg.connect(_libpq_url(url), connect_timeout=CONNECT_TIMEOUT_SECONDS):
            pass
    except psycopg.Error as error:
        shown = make_url(url).render_as_string(hide_password=True)
        detail = " ".join(str(error).split())
        reason = f"PostgreSQL unreachable at {shown} ({POSTGRES_URL_ENV}): {detail}"
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{reason} and {REQUIRE_POSTGRES_ENV}=1", pytrace=False)
        pytest.skip(reason)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend; removed after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'postpoc.db'}"
        return

    with postgres_database(request.getfixturevalue("postgres_server_url")) as url:
        yield url


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """A new, empty database on ``server`` (its URL), dropped afterwards."""
    name = f"postpoc_t_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq_url(server), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _libpq_url(server, database=name)
    finally:
        with psycopg.connect(_libpq_url(server), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A migrated :class:`Store` on ``database_url``."""
    url = resolve_url(database_url)
    upgrade(url)
    store = Store(make_engine(url))
    try:
        yield store
    finally:
        await store.dispose()
