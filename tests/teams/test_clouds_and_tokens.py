"""Where the Bot Framework is comes from settings, not code (government and
private clouds, and this suite's fake); the bot's outbound credentials are
made once and shared by every turn, so Microsoft Entra is not asked for a
token per message."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from bot.config import Settings
from bot.teams import TEAMS_SETTLED, mount
from bot.teams.auth import BotConfiguration, FixedTokenFactory
from conversations.service import Service
from storage.repository import Store
from tests.teams.client import APP_ID, TeamsBotClient
from tests.teams.conftest import options_for
from tests.teams.fakes import ISSUER, FakeBotFramework


def endpoint_environment(fake: FakeBotFramework) -> dict[str, str]:
    return {
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": fake.openid_url,
        "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": ISSUER,
        "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": fake.openid_url,
        "TO_CHANNEL_FROM_BOT_LOGIN_URL": f"{fake.url}/login",
        "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": "https://api.botframework.com",
        "OAUTH_URL": fake.url,
    }


async def serving(
    store: Store, fake: FakeBotFramework, settings: Settings, **options: Any
) -> AsyncIterator[TeamsBotClient]:
    app = web.Application()
    mount(app, Service(store), settings, replace(options_for(fake, []), **options))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{sock.getsockname()[1]}"
            yield TeamsBotClient(session, url, fake, app[TEAMS_SETTLED])
    finally:
        await runner.cleanup()


async def test_the_bot_framework_endpoints_come_from_the_environment(
    sqlite_store: Store, fake: FakeBotFramework, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in endpoint_environment(fake).items():
        monkeypatch.setenv(name, value)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        microsoft_app_id=APP_ID,
        microsoft_app_password="not-used-with-a-fixed-token",
        microsoft_app_type="MultiTenant",
    )

    # No endpoints in code: only the settings say where the fake signing keys are.
    async for teams in serving(sqlite_store, fake, settings, endpoints=None):
        answered = await teams.person("alice").says("hello")
        assert answered.status == 201
        assert answered.sent, "a token signed by the fake's key was accepted"


def test_endpoints_go_together_and_the_channel_service_names_a_known_cloud() -> None:
    with pytest.raises(ValidationError) as partial:
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            to_bot_from_channel_openid_metadata_url="https://login.example/openid",
        )
    assert "also set TO_BOT_FROM_CHANNEL_TOKEN_ISSUER" in str(partial.value)
    assert "OAUTH_URL" in str(partial.value)

    with pytest.raises(ValidationError, match="CHANNEL_SERVICE must be"):
        Settings(_env_file=None, channel_service="https://botframework.example")  # type: ignore[call-arg]

    government = Settings(_env_file=None, channel_service="https://botframework.azure.us/")  # type: ignore[call-arg]
    assert BotConfiguration(government, None).CHANNEL_SERVICE == "https://botframework.azure.us"


async def test_every_turn_shares_one_set_of_outbound_credentials(
    sqlite_store: Store, fake: FakeBotFramework, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    original = FixedTokenFactory.create_credentials

    async def counted(self: FixedTokenFactory, *args: Any) -> Any:
        made.append(args[1])
        return await original(self, *args)

    monkeypatch.setattr(FixedTokenFactory, "create_credentials", counted)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        microsoft_app_id=APP_ID,
        microsoft_app_password="not-used-with-a-fixed-token",
        microsoft_app_type="MultiTenant",
    )
    async for teams in serving(sqlite_store, fake, settings):
        alice, bob = teams.person("alice"), teams.person("bob")
        for person in (alice, bob, alice, bob, alice):
            assert (await person.says("help")).sent

    assert len(made) == 1, f"credentials made {len(made)} times for 5 turns"
