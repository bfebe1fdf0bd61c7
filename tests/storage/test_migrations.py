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


def test_the_revisions_a_start_checks_are_the_migrations_folder() -> None:
    """A start compares the database with ``REVISIONS`` without importing Alembic:
    a new migration must be named there too, or starts would miss it."""
    from storage.migrate import HEAD_REVISION, REVISIONS, revisions_in_order

    assert list(REVISIONS) == revisions_in_order()
    assert head_revision() == HEAD_REVISION


def test_a_start_upgrades_only_a_database_behind(database_url: str) -> None:
    from storage.migrate import HEAD_REVISION, recorded_revision, upgrade_if_behind

    url = resolve_url(database_url)
    assert recorded_revision(url) is None
    assert upgrade_if_behind(url) is True
    assert recorded_revision(url) == HEAD_REVISION
    assert is_current(url)
    assert upgrade_if_behind(url) is False


def test_a_start_on_a_current_schema_does_not_import_alembic(database_url: str) -> None:
    """Alembic, Mako and Pygments are a good part of a start; a start that finds
    the schema current needs none of them (the server, its wiring, the check)."""
    import subprocess
    import sys

    url = resolve_url(database_url)
    upgrade(url)
    script = (
        "import sys, bot.server, bot.runtime\n"
        "from sqlalchemy.engine import make_url\n"
        "from storage import migrate\n"
        f"assert not migrate.upgrade_if_behind(make_url({url.render_as_string(False)!r}))\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'mako', 'pygments'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
