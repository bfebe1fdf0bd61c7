"""Only the Bot Framework, signing for this app, gets in; a refused request leaves no trace.

Tokens are real RS256 JWTs checked by the bot against the fake's OpenID
metadata, as it checks Azure's: nothing is switched off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from bot.config import Settings
from storage.repository import Store
from tests.teams.client import APP_ID, TeamsBotClient
from tests.teams.conftest import serve
from tests.teams.fakes import FakeBotFramework, SigningKey

Header = Callable[[FakeBotFramework], str | None]


def bearer(token: str) -> str:
    return f"Bearer {token}"


REFUSED: dict[str, Header] = {
    "no header": lambda fake: None,
    "not a JWT": lambda fake: "Bearer not-a-token",
    "not a bearer": lambda fake: "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
    "expired": lambda fake: bearer(fake.token(APP_ID, fake.url, lifetime=-600)),
    "another app": lambda fake: bearer(fake.token("another-app", fake.url)),
    "another issuer": lambda fake: bearer(
        fake.token(APP_ID, fake.url, issuer="https://evil.example")
    ),
    "replies sent elsewhere": lambda fake: bearer(fake.token(APP_ID, "https://evil.example/")),
    "unknown key": lambda fake: bearer(fake.token(APP_ID, fake.url, key=SigningKey("other"))),
    "forged with a known key id": lambda fake: bearer(
        fake.token(APP_ID, fake.url, key=SigningKey(fake.key.kid))
    ),
}


@pytest.mark.parametrize("header", REFUSED.values(), ids=REFUSED.keys())
async def test_a_request_not_signed_for_this_app_is_refused_and_leaves_no_trace(
    teams: TeamsBotClient, sqlite_store: Store, fake: FakeBotFramework, header: Header
) -> None:
    alice = teams.person("alice")
    posted = await teams.post(alice.personal(text="new Invoice agent"), authorization=header(fake))
    assert posted.status == 401
    assert posted.calls == []
    async with sqlite_store.unit() as repo:
        assert await repo.workspace("teams:contoso") is None


async def test_a_key_endorsed_for_another_channel_is_refused(teams: TeamsBotClient) -> None:
    activity = teams.person("alice").personal(text="hello", channelId="webchat")
    assert (await teams.post(activity)).status == 401


async def test_an_activity_without_a_tenant_is_refused_after_authentication(
    teams: TeamsBotClient,
) -> None:
    activity = teams.person("alice").personal(text="hello")
    del activity["channelData"]
    del activity["conversation"]["tenantId"]
    assert (await teams.post(activity, authorization=None)).status == 401
    posted = await teams.post(activity)
    assert (posted.status, posted.calls) == (400, [])


async def test_a_body_that_is_not_an_activity_is_refused(teams: TeamsBotClient) -> None:
    async with teams.session.post(
        f"{teams.bot_url}/api/messages", data=b"hello", headers={"Content-Type": "text/plain"}
    ) as response:
        assert response.status == 415
    signed = {"Authorization": f"Bearer {teams.token()}"}
    async with teams.session.post(
        f"{teams.bot_url}/api/messages", json=["hello"], headers=signed
    ) as response:
        assert response.status == 400
    async with teams.session.post(f"{teams.bot_url}/api/messages", json=["hello"]) as response:
        assert response.status == 401, "without a token: refused before the body is read"


async def test_the_bot_signs_its_own_calls(teams: TeamsBotClient) -> None:
    posted = await teams.person("alice").says("hello")
    assert posted.calls
    assert {c.authorization for c in posted.calls} == {"Bearer outbound-token-for-tests"}


async def test_logs_hold_no_token_and_no_answer(
    teams: TeamsBotClient, fake: FakeBotFramework, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="postpoc")
    alice = teams.person("alice")
    forged = bearer(fake.token(APP_ID, fake.url, key=SigningKey(fake.key.kid)))
    await teams.post(alice.personal(text="hello"), authorization=forged)
    await alice.says("new Secret-project agent")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("postpoc"))
    assert "refused" in logged
    assert forged.split()[1] not in logged
    assert "outbound-token-for-tests" not in logged
    assert "Secret-project" not in logged


async def test_without_an_app_id_it_runs_unauthenticated_for_the_emulator_and_says_so(
    sqlite_store: Store,
    fake: FakeBotFramework,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="postpoc")
    async for running in serve(sqlite_store, fake, sleeps, app_id=None):
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert any("WITHOUT AUTHENTICATION" in w for w in warnings)
        activity = running.client.person("alice").personal(text="hello", channelId="emulator")
        del activity["channelData"]
        del activity["conversation"]["tenantId"]
        posted = await running.client.post(activity, authorization=None)
        assert posted.status == 201
        assert "Hello Alice!" in posted.text()
        assert {c.authorization for c in posted.calls} == {None}
        async with sqlite_store.unit() as repo:
            assert await repo.workspace("teams:emulator") is not None


def test_a_single_tenant_app_without_its_tenant_does_not_start(sqlite_store: Store) -> None:
    # SingleTenant by default: the settings themselves refuse to load.
    with pytest.raises(ValueError, match="MICROSOFT_APP_TENANT_ID"):
        Settings(_env_file=None, microsoft_app_id=APP_ID, microsoft_app_password="secret")
