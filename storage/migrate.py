"""Apply and check migrations (Alembic), for the CLI, the bot at start and tests.

Alembic (with Mako and Pygments, a good part of a start-up) is imported only
to migrate or inspect the migrations: a start finds the schema current with
one query against :data:`REVISIONS`, kept equal to the migrations folder by
``tests/storage/test_migrations.py``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, make_url

from storage.database import ensure_directory, is_sqlite, serialise_sqlite_writers, sync_url

if TYPE_CHECKING:
    from alembic.config import Config

REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0009", "0010", "0011", "0013", "0012")
"""Every migration of ``storage/migrations/versions``, from the first to the head."""
HEAD_REVISION = REVISIONS[-1]

# Imported late, after logging is set up, Alembic would log each of its plugins
# at INFO; imported at start-up as it used to be, those lines went nowhere.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

# Any fixed number: every replica starting at once takes the same lock.
_MIGRATION_LOCK = 7_424_242


def target_metadata() -> list[sa.MetaData]:
    """Every table Alembic manages: the domain's, and those of slack_sdk's OAuth
    installation and state stores, which keep each their own ``MetaData`` and
    live in the same database (Alembic accepts a list)."""
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401  (registers the tables)

    return [SQLModel.metadata, _slack_stores_metadata()]


@cache
def _slack_stores_metadata() -> sa.MetaData:
    """The tables of ``AsyncSQLAlchemyInstallationStore`` and
    ``AsyncSQLAlchemyOAuthStateStore`` under their default names, built by the
    stores' own classmethods so the migration follows what slack_sdk expects."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    metadata = sa.MetaData()
    installations = SQLAlchemyInstallationStore
    installations.build_bots_table(metadata, installations.default_bots_table_name)
    installations.build_installations_table(
        metadata, installations.default_installations_table_name
    )
    states = SQLAlchemyOAuthStateStore
    states.build_oauth_states_table(metadata, states.default_table_name)
    return metadata


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    return config


def known_revisions() -> set[str]:
    """Every migration this code knows, from the first to the head."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def recorded_revision(url: URL) -> str | None:
    """The revision the database says it is at, in one query, without Alembic;
    None when it has none (a new database)."""
    ensure_directory(url)
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool, hide_parameters=True)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT version_num FROM alembic_version")
            ).scalar_one_or_none()
    except (sa.exc.ProgrammingError, sa.exc.OperationalError):
        return None  # no alembic_version table yet
    finally:
        engine.dispose()


def upgrade_if_behind(url: URL) -> bool:
    """:func:`upgrade` unless the database is already at :data:`HEAD_REVISION`
    (most starts: one query, Alembic not imported). True when it upgraded."""
    if recorded_revision(url) == HEAD_REVISION:
        return False
    upgrade(url)
    return True


def _with_connection(url: URL, action: Callable[[Connection], None]) -> None:
    ensure_directory(url)
    engine = sa.create_engine(sync_url(url), poolclass=sa.pool.NullPool, hide_parameters=True)
    if is_sqlite(url):
        # Two replicas (or a test and the bot) upgrading at once queue on the write lock.
        serialise_sqlite_writers(engine)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
                connection.commit()
            try:
                action(connection)
            finally:
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK}
                    )
                    connection.commit()
    finally:
        engine.dispose()


def upgrade(url: URL, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``; safe to run from several replicas."""

    def run(connection: Connection) -> None:
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()

    _with_connection(url, run)


def is_current(url: URL) -> bool:
    result: list[bool] = []
    _with_connection(url, lambda c: result.append(current_revision(c) == head_revision()))
    return result[0]


def new_revision(message: str, workdir: Path) -> None:
    """Write a migration for what the models add, compared on a scratch SQLite
    database at head. For developers: review the file before committing it."""
    url = make_url(f"sqlite:///{workdir / 'scratch.db'}")
    upgrade(url)

    def run(connection: Connection) -> None:
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        head = head_revision() or "0000"
        command.revision(config, message=message, autogenerate=True, rev_id=f"{int(head) + 1:04d}")

    _with_connection(url, run)


# --- rolling back ------------------------------------------------------------

OLDEST_READABLE_REVISION = "0012"
"""The oldest schema this code works on. ``postpoc db downgrade`` refuses to
go below it: the replicas of this version (and of the release before, whose
head it is at least) would fail on the missing tables. A release whose code
needs a new migration's tables raises it to that migration; a release written
expand-first (its code also runs on the previous schema) keeps it at the
previous release's head, so that a rollback can downgrade to it."""


class DowngradeRefused(Exception):
    """The downgrade asked for can't be done; the message says why, for the operator."""


def revisions_in_order() -> list[str]:
    """Every revision this code knows, from the first to the head."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def downgrade(url: URL, revision: str, floor: str = OLDEST_READABLE_REVISION) -> str | None:
    """Take the database at ``url`` down to ``revision`` (a revision id), never
    below ``floor``; safe against replicas migrating at the same time (the same
    lock as :func:`upgrade`). Returns the revision the database was at."""
    order = revisions_in_order()
    if revision not in order:
        raise DowngradeRefused(
            f"unknown revision {revision!r}: this version knows {', '.join(order)}"
        )
    if order.index(revision) < order.index(floor):
        raise DowngradeRefused(
            f"refusing to go below {floor}, the oldest schema this version can read "
            f"(storage.migrate.OLDEST_READABLE_REVISION); an older release's postpoc "
            f"can take it further"
        )
    before: list[str | None] = []

    def run(connection: Connection) -> None:
        current = current_revision(connection)
        before.append(current)
        if current is not None and current not in order:
            raise DowngradeRefused(
                f"the database is at {current}, which this version does not know: "
                f"run the downgrade with the release that migrated it"
            )
        if current is None or order.index(current) < order.index(revision):
            raise DowngradeRefused(
                f"the database is at {current or 'no revision'}, below {revision}: "
                f"nothing to downgrade (postpoc db upgrade goes up)"
            )
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()

    _with_connection(url, run)
    return before[0]
