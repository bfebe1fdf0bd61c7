"""Who administers a Slack workspace is decided by its install, never by who
speaks first, and a command names a person by mention or user id, never by a
display name anyone can set. On SQLite and PostgreSQL, over real HTTP.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.slack.conftest import StartBot
from tests.slack.harness import Slack
from tests.slack.test_install import BETA, CLIENT_ID, install_through_oauth

pytestmark = [
    pytest.mark.storage,
    # slack_sdk's oauth.v2.access still uses aiohttp's BasicAuth, deprecated in aiohttp 3.14.
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
]
ROOT = Path(__file__).resolve().parents[2]
NEWCOMERS = [f"U0NEW{n}" for n in range(1, 7)]


async def roles(slack: Slack, workspace: str = "slack:T0ACME") -> dict[str, str]:
    async with slack.bot.service.store.engine.connect() as connection:
        found = await connection.execute(
            sa.text(
                "SELECT p.platform_id, p.role FROM person p"
                " JOIN workspace w ON w.id = p.workspace_id WHERE w.key = :key"
            ),
            {"key": workspace},
        )
        return {str(who): str(role) for who, role in found}


async def workspaces(slack: Slack) -> set[str]:
    async with slack.bot.service.store.engine.connect() as connection:
        found = await connection.execute(sa.text("SELECT key FROM workspace"))
        return {str(key) for key in found.scalars()}


async def six_first_messages_at_once(slack: Slack) -> None:
    # The workspace row exists already: auth.test at start created it.
    assert "slack:T0ACME" in await workspaces(slack)
    people = [slack.person(user, f"Newcomer {user[-1]}") for user in NEWCOMERS]
    replies = await asyncio.gather(*(p.says("hello", settle=False) for p in people))
    await slack.settled()
    assert [r.status for r in replies] == [200] * 6


async def test_six_first_messages_at_once_make_exactly_the_listed_admins(
    start_bot: StartBot, database_url: str
) -> None:
    slack = await start_bot(database_url, postpoc_admins="U0NEW3, U0NEW5")
    await six_first_messages_at_once(slack)
    assert await roles(slack) == {
        user: "admin" if user in ("U0NEW3", "U0NEW5") else "member" for user in NEWCOMERS
    }


async def test_without_listed_admins_nobody_administers_until_postpoc_role(
    start_bot: StartBot, database_url: str
) -> None:
    slack = await start_bot(database_url, postpoc_admins=None)
    await six_first_messages_at_once(slack)
    assert set((await roles(slack)).values()) == {"member"}

    # Whoever asks for an admin command is told plainly, in their language.
    claire = slack.person("U0CLAIRE", "Claire", locale="fr-FR")
    hook = await claire.runs("/poc role <@U0NEW2> lead")
    told = str(claire.replies(hook))
    assert "Personne n'administre encore cet espace" in told, told
    assert "postpoc role U0CLAIRE admin --workspace slack:T0ACME" in told, told
    assert (await roles(slack))["U0NEW2"] == "member"

    env = {**os.environ, "DATABASE_URL": database_url}
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "bot.cli",
            "role",
            "U0CLAIRE",
            "admin",
            "--workspace",
            "slack:T0ACME",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    hook = await claire.runs("/poc role <@U0NEW2> lead")
    assert "Personne" not in str(claire.replies(hook))
    assert (await roles(slack))["U0NEW2"] == "lead"


async def test_the_oauth_installer_administers_not_the_first_to_open_app_home(
    start_bot: StartBot, database_url: str
) -> None:
    slack = await start_bot(
        database_url,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret="client-secret",
        postpoc_admins=None,
    )
    slack.team = BETA
    eve = slack.person("U0EVE", "Eve")
    await install_through_oauth(slack, BETA, "U0INSTALLER", "xoxb-beta")
    await eve.opens_home()
    await eve.says("hello")
    installer = slack.person("U0INSTALLER", "Ines")
    await installer.says("hello")
    assert await roles(slack, f"slack:{BETA}") == {"U0INSTALLER": "admin", "U0EVE": "member"}

    # Installed again by someone else: no role changes hands.
    await install_through_oauth(slack, BETA, "U0EVE", "xoxb-beta-2")
    assert await roles(slack, f"slack:{BETA}") == {"U0INSTALLER": "admin", "U0EVE": "member"}


async def test_a_person_is_named_by_mention_or_user_id_never_by_display_name(
    start_bot: StartBot, database_url: str
) -> None:
    slack = await start_bot(database_url)  # Léa is listed in POSTPOC_ADMINS
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.says("hello")
    mallory = slack.person("U0MAL", "Bob Boss")  # she chose Bob's display name
    await mallory.says("hello")
    await lea.runs("/poc new Invoice agent")

    for line in ("/poc role Bob Boss lead", "/poc owner invoice-agent Bob Boss"):
        hook = await lea.runs(line)
        assert "mention them" in str(lea.replies(hook)), line
    assert (await roles(slack))["U0MAL"] == "member"

    hook = await lea.runs("/poc role <@U0BOB> lead")
    assert "is now lead" in str(lea.replies(hook))
    hook = await lea.runs("/poc owner invoice-agent U0MAL")
    assert "now owns invoice-agent" in str(lea.replies(hook))
    assert (await roles(slack))["U0BOB"] == "lead"
    assert (await roles(slack))["U0MAL"] == "member"


async def test_a_request_for_another_team_is_acknowledged_and_ignored(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    eve = slack.person("U0EVE", "Eve")
    posts = len(slack.fake.called("chat.postMessage"))
    with caplog.at_level(logging.WARNING, logger="postpoc.slack"):
        typed = await eve.says("canary-text-42", team="T0OTHER")
        slack.team = "T0OTHER"
        hook = await eve.runs("/poc new canary-title-42")
        slack.team = "T0ACME"
        await eve.says("canary-text-43", team="T0ACME", enterprise="E0OTHER")
    assert typed.status == 200 and eve.last_reply is not None and eve.last_reply.status == 200
    assert await workspaces(slack) == {"slack:T0ACME"}
    assert len(slack.fake.called("chat.postMessage")) == posts
    assert eve.replies(hook) == []
    warned = [
        r.getMessage() for r in caplog.records if "acknowledged and ignored" in r.getMessage()
    ]
    assert len(warned) == 3, warned
    assert not any("canary" in message for message in caplog.messages)
