"""Installing and removing the bot: one workspace with a bot token, many
through OAuth (installs kept in the database); an uninstall is honoured."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.slack.conftest import BOT_TOKEN, StartBot
from tests.slack.fake_slack import Installation
from tests.slack.harness import Slack

# slack_sdk's oauth.v2.access still uses aiohttp's BasicAuth, deprecated in aiohttp 3.14.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

CLIENT_ID = "1111.2222"
BETA = "T0BETA"


async def installs(slack: Slack, team: str) -> int:
    async with slack.bot.service.store.engine.connect() as connection:
        counted = 0
        for table in ("slack_bots", "slack_installations"):
            found = await connection.execute(
                sa.text(f"SELECT count(*) FROM {table} WHERE team_id = :team"), {"team": team}
            )
            counted += int(found.scalar_one())
        return counted


async def install_through_oauth(slack: Slack, team: str, installer: str, token: str) -> None:
    page, headers = await slack.get("/slack/install")
    assert page.status == 200
    assert f"{slack.fake.url}/oauth/v2/authorize?" in page.body, "next to SLACK_API_URL"
    cookie = headers["Set-Cookie"].split(";")[0]
    state = cookie.split("=", 1)[1]
    slack.fake.codes["code-" + team] = Installation(team, "Beta", installer, token)

    done, _ = await slack.get(
        f"/slack/oauth_redirect?code=code-{team}&state={state}", cookie=cookie
    )

    assert done.status == 200, done.body


async def test_uninstalling_a_single_workspace_silences_the_bot(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    posts = len(slack.fake.called("chat.postMessage"))

    await slack.event({"type": "app_uninstalled"})
    await lea.says("no")
    await lea.opens_home()

    assert not await slack.bot.service.platform.is_active("slack:T0ACME")
    assert len(slack.fake.called("chat.postMessage")) == posts
    assert slack.fake.called("views.publish") == []


async def test_a_token_that_works_again_reactivates_a_single_workspace(
    start_bot: StartBot, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'postpoc.db'}"
    first = await start_bot(database)
    await first.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOTPOC"]}})
    assert not await first.bot.service.platform.is_active("slack:T0ACME")

    first.fake.revoked.add(BOT_TOKEN)
    still_revoked = await start_bot(database)
    assert not await still_revoked.bot.service.platform.is_active("slack:T0ACME")

    first.fake.revoked.discard(BOT_TOKEN)  # the app installed again, its new token configured
    reinstalled = await start_bot(database)
    assert await reinstalled.bot.service.platform.is_active("slack:T0ACME")


async def test_many_workspaces_install_through_oauth_and_uninstall(
    start_bot: StartBot, tmp_path: Path
) -> None:
    slack = await start_bot(
        f"sqlite:///{tmp_path / 'postpoc.db'}",
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret="client-secret",
    )
    slack.team = BETA
    ada = slack.person("U0ADA", "Ada")

    await install_through_oauth(slack, BETA, ada.user_id, "xoxb-beta")

    assert await installs(slack, BETA) == 2
    assert await slack.bot.service.platform.is_active(f"slack:{BETA}")
    [exchange] = slack.fake.called("oauth.v2.access")
    assert exchange.args["client_id"] == CLIENT_ID
    await ada.runs("/poc new Invoice agent")
    await ada.runs("/poc interview invoice-agent")
    assert {c.token for c in slack.fake.called("chat.postMessage")} == {"xoxb-beta"}

    await slack.event({"type": "app_uninstalled"})

    assert await installs(slack, BETA) == 0, "its tokens are deleted"
    assert not await slack.bot.service.platform.is_active(f"slack:{BETA}")
    posts = len(slack.fake.called("chat.postMessage"))
    await ada.says("no")
    hook = await ada.runs("/poc list")
    assert len(slack.fake.called("chat.postMessage")) == posts, "nothing posted there again"
    assert "no longer available" in str(ada.replies(hook)), "the one who asked is told"

    await install_through_oauth(slack, BETA, ada.user_id, "xoxb-beta-2")
    assert await slack.bot.service.platform.is_active(f"slack:{BETA}")


async def test_a_revoked_bot_token_deletes_the_install(start_bot: StartBot, tmp_path: Path) -> None:
    slack = await start_bot(
        f"sqlite:///{tmp_path / 'postpoc.db'}",
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret="client-secret",
    )
    slack.team = BETA
    await install_through_oauth(slack, BETA, "U0ADA", "xoxb-beta")

    await slack.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOTPOC"]}})

    assert await installs(slack, BETA) == 0
    assert not await slack.bot.service.platform.is_active(f"slack:{BETA}")


async def test_a_bot_token_in_the_environment_starts_without_bolts_unused_token_warning(
    start_bot: StartBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As deployed: the token is in the environment, which Bolt reads on its own.
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-single-workspace")
    with caplog.at_level(logging.DEBUG):
        await start_bot(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    assert not [r for r in caplog.records if "will be unused" in r.getMessage()]
