"""Fixtures of the Slack suite: a fake Slack and the bot, both on 127.0.0.1.

``fake_slack``
    The fake Web API (:mod:`tests.slack.fake_slack`) on a free port.
``start_bot``
    Starts the bot (``bot.slack.mount`` on an aiohttp server, free port) with
    given settings on a database URL (and ``web_api_timeout=`` seconds for the Web
    API, ``clock=`` for the core's time); the retry back-off's sleep is recorded instead of slept
    (``slack.sleeps``). Returns a :class:`Slack` harness.
``slack``
    The bot for one workspace (a bot token), on SQLite.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.config import Settings
from bot.runtime import open_service
from bot.slack.app import SLACK, mount
from conversations.service import Clock, utc_now
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import SECRET, Slack

BOT_TOKEN = "xoxb-1-single-workspace"
StartBot = Callable[..., Awaitable[Slack]]


@pytest.fixture(autouse=True)
def no_slack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt reads SLACK_* from the environment on its own: keep the developer's out."""
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "SLACK_API_URL",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


ADMINS = "U0LEA"
"""Who the operator lists in POSTPOC_ADMINS for the suite: Léa administers."""


def settings_for(fake: FakeSlack, database_url: str, **slack: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_signing_secret": SECRET,
        "slack_bot_token": BOT_TOKEN,
        "slack_api_url": fake.api_url,
        "postpoc_admins": ADMINS,
        **slack,
    }
    return Settings(_env_file=None, database_url=database_url, **values)  # type: ignore[call-arg]


async def launch(
    stack: AsyncExitStack,
    fake: FakeSlack,
    database_url: str,
    *,
    web_api_timeout: float = 10.0,
    clock: Clock = utc_now,
    **slack: Any,
) -> Slack:
    """The bot served on a free port until ``stack`` closes (the scenario drivers start
    it this way too)."""
    settings = settings_for(fake, database_url, **slack)
    service = await open_service(settings, clock=clock)
    stack.push_async_callback(service.store.dispose)
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await asyncio.sleep(0)

    app = web.Application()
    mount(app, service, settings, sleep=sleep, jitter=lambda: 0.0, timeout=web_api_timeout)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    session = await stack.enter_async_context(aiohttp.ClientSession())
    harness = Slack(f"http://{host}:{port}", fake, app[SLACK], session, sleeps=sleeps)
    await harness.settled()  # the start-up check of the bot token
    return harness


@pytest.fixture
async def start_bot(fake_slack: FakeSlack) -> AsyncIterator[StartBot]:
    async with AsyncExitStack() as stack:

        async def start(database_url: str, **options: Any) -> Slack:
            return await launch(stack, fake_slack, database_url, **options)

        yield start


@pytest.fixture
async def slack(start_bot: StartBot, tmp_path: Path) -> Slack:
    return await start_bot(f"sqlite:///{tmp_path / 'postpoc.db'}")
