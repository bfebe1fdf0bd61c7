"""Tables that would only grow are purged at every pass of the watch (the
in-process scheduler and ``postpoc tick``): delivery ids after a week, Slack
OAuth states once expired, the audit trail after ``AUDIT_RETENTION_DAYS``
(kept when unset). The core's clock is moved by hand."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.scheduler import build_watch
from tests.slack.conftest import StartBot, fake_slack, no_slack_environment, start_bot
from tests.slack.harness import Slack
from tests.slack.test_install import BETA, CLIENT_ID, install_through_oauth
from tests.support.conversation import Clock

pytestmark = [
    pytest.mark.storage,
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
]
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = (fake_slack, no_slack_environment, start_bot)


async def rows(slack: Slack, table: str) -> int:
    async with slack.bot.service.store.engine.connect() as connection:
        found = await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))
        return int(found.scalar_one())


async def a_busy_workspace(start_bot: StartBot, database_url: str, clock: Clock) -> Slack:
    slack = await start_bot(
        database_url,
        clock=clock,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret="client-secret",
    )
    slack.team = BETA
    await install_through_oauth(slack, BETA, "U0ADA", "xoxb-beta")
    for _ in range(20):  # anonymous visits, never finished
        page, _ = await slack.get("/slack/install")
        assert page.status == 200
    await slack.person("U0ADA", "Ada").says("hello")
    # A request handled on the fast path (a modal's submit, App Home) records its
    # delivery id; a message's step marks its inbox row instead.
    async with slack.bot.service.store.unit() as repo:
        [workspace] = await repo.installs.every()
        assert await repo.claim_delivery(workspace.id, "Ev0FASTPATH", clock())
    return slack


async def passes(slack: Slack, **settings: object) -> None:
    configured = Settings(_env_file=None, **settings)  # type: ignore[call-arg]
    await build_watch(slack.bot.service, {}, configured).tick()


async def test_each_pass_purges_what_is_past_its_retention(
    start_bot: StartBot, database_url: str
) -> None:
    clock = Clock(datetime.now(UTC))  # OAuth states are stamped by slack_sdk with the real time
    slack = await a_busy_workspace(start_bot, database_url, clock)
    audited = await rows(slack, "auditevent")
    assert (await rows(slack, "slack_oauth_states"), await rows(slack, "inbounddelivery")) == (
        20,
        1,
    )
    assert audited > 0

    await passes(slack, audit_retention_days=30)
    assert await rows(slack, "slack_oauth_states") == 20, "not expired yet"

    clock.advance(minutes=11)
    await passes(slack, audit_retention_days=30)
    assert await rows(slack, "slack_oauth_states") == 0
    assert await rows(slack, "inbounddelivery") == 1, "kept a week"

    assert await rows(slack, "inboxentry") > 0, "the requests' inbox rows, kept a week"
    clock.advance(days=7)
    await passes(slack, audit_retention_days=30)
    assert await rows(slack, "inbounddelivery") == 0
    assert await rows(slack, "inboxentry") == 0
    assert await rows(slack, "auditevent") == audited

    clock.advance(days=30)
    await passes(slack, audit_retention_days=30)
    assert await rows(slack, "auditevent") == 0
    assert await rows(slack, "slack_installations") == 1, "installs are not purged"


async def test_the_audit_trail_is_kept_unless_a_retention_is_set(
    start_bot: StartBot, database_url: str
) -> None:
    clock = Clock(datetime.now(UTC))
    slack = await a_busy_workspace(start_bot, database_url, clock)
    audited = await rows(slack, "auditevent")

    clock.advance(days=4000)
    await passes(slack)

    assert await rows(slack, "auditevent") == audited
    assert await rows(slack, "inbounddelivery") == 0


def test_tick_purges_too(tmp_path: Path) -> None:
    env = {**os.environ, "POSTPOC_DATA_DIR": str(tmp_path), "AUDIT_RETENTION_DAYS": "1"}
    env.pop("DATABASE_URL", None)
    run = {"env": env, "cwd": ROOT, "capture_output": True, "text": True, "timeout": 60}
    cli = [sys.executable, "-m", "bot.cli"]
    subprocess.run([*cli, "chat", "--user", "lea"], input="/poc new Agent\n", check=True, **run)  # type: ignore[call-overload]
    with sqlite3.connect(tmp_path / "postpoc.db") as db:
        assert db.execute("SELECT count(*) FROM auditevent").fetchone()[0] > 0

    later = {**env, "POSTPOC_NOW": "2100-01-01T00:00:00+00:00"}
    done = subprocess.run([*cli, "tick"], **{**run, "env": later})  # type: ignore[call-overload]

    assert done.returncode == 0, done.stderr
    assert "purged" in done.stdout and "purged 0" not in done.stdout
    with sqlite3.connect(tmp_path / "postpoc.db") as db:
        assert db.execute("SELECT count(*) FROM auditevent").fetchone()[0] == 0
