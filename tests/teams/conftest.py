"""The Teams bot on 127.0.0.1 with a fake Bot Framework beside it.

``fake``
    :class:`~tests.teams.fakes.FakeBotFramework`: OpenID metadata, signing
    key and a recording Bot Connector, in a thread, on a free port.
``sqlite_store``
    A migrated SQLite store (most tests); tests that must run on both
    databases use ``store`` from the top-level conftest instead.
``teams``
    A :class:`~tests.teams.client.TeamsBotClient` talking to the bot served on
    a free port, authenticating requests for real against ``fake``.
``sleeps``
    The back-off delays the bot asked for (nothing actually waits).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.config import Settings
from bot.runtime import identity
from bot.teams import TEAMS_ADAPTER, TEAMS_SETTLED, Endpoints, RetryPolicy, TeamsOptions, mount
from bot.teams.app import Teams
from conversations.delivery import Messenger
from conversations.service import Service
from storage.database import make_engine, resolve_url
from storage.migrate import upgrade
from storage.repository import Store
from tests.teams.client import APP_ID, TeamsBotClient
from tests.teams.fakes import ISSUER, FakeBotFramework

OUTBOUND_TOKEN = "outbound-token-for-tests"


@dataclass
class Served:
    client: TeamsBotClient
    messenger: Messenger
    service: Service
    teams: Teams
    """The adapter's parts: its inbox, its lanes, its sweep."""


@pytest.fixture
def fake() -> Iterator[FakeBotFramework]:
    with FakeBotFramework() as running:
        yield running


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    url = resolve_url(f"sqlite:///{tmp_path / 'teams.db'}")
    upgrade(url)
    store = Store(make_engine(url))
    try:
        yield store
    finally:
        await store.dispose()


@pytest.fixture
def sleeps() -> list[float]:
    return []


ADMINS = "29:alice"
"""Who the operator lists in POSTPOC_ADMINS for the suite: Alice administers."""


def settings_for(app_id: str | None, **more: Any) -> Settings:
    """Teams settings only, whatever the environment or a .env file say."""
    more.setdefault("postpoc_admins", ADMINS)
    if app_id is None:  # the Emulator: nothing but the switch
        return Settings(_env_file=None, microsoft_app_id=None, teams_enabled=True, **more)
    values: dict[str, Any] = {
        "microsoft_app_password": "not-used-with-a-fixed-token",
        "microsoft_app_type": "MultiTenant",  # one bot, several tenants (the tenants test)
        "microsoft_app_tenant_id": None,
        **more,
    }
    return Settings(_env_file=None, microsoft_app_id=app_id, **values)


def options_for(fake: FakeBotFramework, sleeps: list[float]) -> TeamsOptions:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return TeamsOptions(
        endpoints=Endpoints(
            openid_metadata_url=fake.openid_url,
            token_issuer=ISSUER,
            emulator_openid_metadata_url=fake.openid_url,
            login_url=f"{fake.url}/login",
            oauth_scope="https://api.botframework.com",
            oauth_url=fake.url,
        ),
        outbound_token=OUTBOUND_TOKEN,
        retry=RetryPolicy(sleep=sleep, jitter=lambda ceiling: ceiling),
        typing_after=0,
    )


async def serve(
    store: Store,
    fake: FakeBotFramework,
    sleeps: list[float],
    app_id: str | None = APP_ID,
    **settings: Any,
) -> AsyncIterator[Served]:
    """The bot with the settings of ``app_id`` (and ``settings``), and the
    production's rules of who administers (``bot.runtime.identity``)."""
    configured = settings_for(app_id, **settings)
    service = Service(store, identity=identity(configured))
    app = web.Application()
    options = options_for(fake, sleeps)
    if app_id is None:  # the Emulator, as in production: Azure's defaults, no token at all
        options = replace(options, endpoints=None, outbound_token=None)
    messenger = mount(app, service, configured, options)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    port = sock.getsockname()[1]
    try:
        async with aiohttp.ClientSession() as session:
            yield Served(
                TeamsBotClient(session, f"http://127.0.0.1:{port}", fake, app[TEAMS_SETTLED]),
                messenger,
                service,
                app[TEAMS_ADAPTER],
            )
    finally:
        await runner.cleanup()


@pytest.fixture
async def served(
    sqlite_store: Store, fake: FakeBotFramework, sleeps: list[float]
) -> AsyncIterator[Served]:
    async for running in serve(sqlite_store, fake, sleeps):
        yield running


@pytest.fixture
def teams(served: Served) -> TeamsBotClient:
    return served.client
