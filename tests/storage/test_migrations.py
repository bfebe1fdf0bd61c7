"""Alembic migrations, on SQLite and PostgreSQL: they reach head, are idempotent,
match the models, and survive two replicas starting at once."""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.synchronize import Barrier

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.database import resolve_url, sync_url
from storage.migrate import current_revision, head_revision, is_current, target_metadata, upgrade

pytestmark = pytest.mark.storage

WAIT_SECONDS = 60


@contextmanager
def connected(database_url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(sync_url(resolve_url(database_url)), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def table_names(database_url: str) -> set[str]:
    with connected(database_url) as connection:
        return set(sa.inspect(connection).get_table_names())


def test_upgrade_from_empty_reaches_head(database_url: str) -> None:
    url = resolve_url(database_url)
    assert head_revision() is not None
    assert not is_current(url)

    upgrade(url)

    assert is_current(url)
    with connected(database_url) as connection:
        assert current_revision(connection) == head_revision()
    managed = {name for metadata in target_metadata() for name in metadata.tables}
    assert table_names(database_url) == managed | {"alembic_version"}


def test_upgrading_twice_changes_nothing(database_url: str) -> None:
    url = resolve_url(database_url)
    upgrade(url)
    with connected(database_url) as connection:
        connection.execute(
            sa.text(
                "INSERT INTO workspace (key, name, active, created_at) "
                "VALUES ('T1', 'kept', true, CURRENT_TIMESTAMP)"
            )
        )
        connection.commit()
    before = table_names(database_url)

    upgrade(url)

    assert is_current(url)
    assert table_names(database_url) == before
    with connected(database_url) as connection:
        assert connection.execute(sa.text("SELECT name FROM workspace")).scalars().all() == ["kept"]
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        assert versions == [(head_revision(),)]


def test_models_match_the_migrations(database_url: str) -> None:
    upgrade(resolve_url(database_url))
    with connected(database_url) as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, target_metadata())
    assert diff == []


def _upgrade_in_another_process(
    database_url: str, barrier: Barrier, errors: multiprocessing.Queue[str]
) -> None:
    try:
        barrier.wait(WAIT_SECONDS)
        upgrade(resolve_url(database_url))
        errors.put("")
    except BaseException:
        barrier.abort()
        errors.put(traceback.format_exc())


def test_two_upgrades_at_once_both_succeed(database_url: str) -> None:
    """Two replicas starting on an empty database: both upgrades succeed, once."""
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(2)
    errors: multiprocessing.Queue[str] = spawn.Queue()
    workers = [
        spawn.Process(target=_upgrade_in_another_process, args=(database_url, barrier, errors))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    try:
        reports = [errors.get(timeout=WAIT_SECONDS * 2) for _ in workers]
    finally:
        for worker in workers:
            worker.join(WAIT_SECONDS)
            if worker.is_alive():
                worker.kill()
    failures = [report for report in reports if report]
    assert not failures, "\n".join(failures)
    assert [w.exitcode for w in workers] == [0, 0]
    assert is_current(resolve_url(database_url))
    with connected(database_url) as connection:
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert versions == [(head_revision(),)]
