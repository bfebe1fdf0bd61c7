"""Rolling the schema back: ``postpoc db downgrade <revision>``, never below
what this version can read (storage.migrate.OLDEST_READABLE_REVISION)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import migrate
from storage.database import resolve_url, sync_url

pytestmark = pytest.mark.storage
POSTPOC = str(Path(sys.executable).with_name("postpoc"))


def postpoc(database_url: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    kept = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "POSTPOC_", "TEAMS_", "LLM_", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(kept)}
    return subprocess.run(
        [POSTPOC, *args],
        env={**env, "DATABASE_URL": database_url, "LOG_FORMAT": "console"},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def revision_and_tables(database_url: str) -> tuple[str | None, set[str]]:
    engine = sa.create_engine(sync_url(resolve_url(database_url)), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return migrate.current_revision(connection), set(
                sa.inspect(connection).get_table_names()
            )
    finally:
        engine.dispose()


def test_the_floor_is_a_revision_this_code_knows() -> None:
    assert migrate.OLDEST_READABLE_REVISION in migrate.known_revisions()


def test_going_below_what_this_version_reads_is_refused(database_url: str, tmp_path: Path) -> None:
    assert postpoc(database_url, tmp_path, "db", "upgrade").returncode == 0
    order = sorted(migrate.known_revisions())
    below = order[order.index(migrate.OLDEST_READABLE_REVISION) - 1]
    refused = postpoc(database_url, tmp_path, "db", "downgrade", below)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"postpoc: db downgrade: refusing to go below {migrate.OLDEST_READABLE_REVISION}, "
        "the oldest schema this version can read (storage.migrate.OLDEST_READABLE_REVISION); "
        "an older release's postpoc can take it further"
    ]
    assert revision_and_tables(database_url)[0] == migrate.head_revision(), "nothing changed"
    unknown = postpoc(database_url, tmp_path, "db", "downgrade", "9999")
    assert unknown.returncode == 1 and "unknown revision '9999'" in unknown.stderr
    at_floor = postpoc(database_url, tmp_path, "db", "downgrade", migrate.OLDEST_READABLE_REVISION)
    assert at_floor.returncode == 0, at_floor.stderr
    assert at_floor.stdout.startswith(
        f"database at revision {migrate.OLDEST_READABLE_REVISION}, was {migrate.head_revision()}"
    )


def test_every_migration_goes_down_and_up_again(database_url: str) -> None:
    """What a rollback runs: each migration's downgrade(), on this database."""
    url = resolve_url(database_url)
    migrate.upgrade(url)
    _, at_head = revision_and_tables(database_url)
    first = min(migrate.known_revisions())
    assert migrate.downgrade(url, first, floor=first) == migrate.head_revision()
    revision, tables = revision_and_tables(database_url)
    assert revision == first
    later = {"address", "slack_installations", "checkin"}  # from 0002, 0003 and 0004
    assert later <= at_head and not later & tables and "poc" in tables
    migrate.upgrade(url)
    assert revision_and_tables(database_url) == (migrate.head_revision(), at_head)


def test_a_database_already_below_is_not_touched(database_url: str) -> None:
    url = resolve_url(database_url)
    first = min(migrate.known_revisions())
    migrate.upgrade(url, first)
    with pytest.raises(migrate.DowngradeRefused, match="nothing to downgrade"):
        migrate.downgrade(url, migrate.OLDEST_READABLE_REVISION)
    assert revision_and_tables(database_url)[0] == first


async def test_replicas_stay_ready_on_a_schema_rolled_back_to_the_floor(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `db downgrade` to the floor, this version's replicas keep serving
    (a rollback needs no outage); below the floor they are not ready."""
    from aiohttp.test_utils import TestClient, TestServer

    import bot.server
    from bot.config import Settings
    from bot.runtime import open_service

    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    service = await open_service(settings)
    order = migrate.revisions_in_order()
    monkeypatch.setattr(bot.server, "OLDEST_READABLE_REVISION", order[-2])
    try:
        migrate.downgrade(resolve_url(database_url), order[-2], floor=order[-2])
        async with TestClient(TestServer(bot.server.build_app(service, settings))) as client:
            at_floor = await client.get("/readyz")
            assert at_floor.status == 200 and (await at_floor.json())["schema"] == order[-2]
            migrate.downgrade(resolve_url(database_url), order[-3], floor=order[-3])
            below = await client.get("/readyz")
            assert below.status == 503 and (await below.json())["expected"] == order[-1]
    finally:
        await service.store.dispose()
