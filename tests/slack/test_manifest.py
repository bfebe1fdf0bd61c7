"""The Slack app manifests ask for exactly what the bot uses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.scopes import BOT_EVENTS, BOT_SCOPES
from conversations.delivery import Destination
from tests.slack.harness import Slack
from tests.support.scripts import READY

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "slack"

# The scope each Web API method the bot may call needs (None: no scope).
METHOD_SCOPES = {
    "auth.test": None,
    "users.info": "users:read",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.history": "im:history",
    "conversations.info": "channels:read",  # new, subscribe: is the bot in the channel
    "files.getUploadURLExternal": "files:write",  # /poc record: the file to the DM
    "files.completeUploadExternal": "files:write",
    "upload": None,  # the upload URL files.getUploadURLExternal handed out  # the bot's DM only: finding an unrecorded post
    "views.open": None,
    "views.update": None,
    "views.publish": None,
    "oauth.v2.access": None,
    "apps.connections.open": None,  # with the app-level token
}


def manifest(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("name", ["manifest.yaml", "manifest.dev.yaml"])
def test_a_manifest_asks_for_what_the_bot_uses_and_nothing_else(name: str) -> None:
    app = manifest(name)

    assert sorted(app["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert "user" not in app["oauth_config"]["scopes"]
    assert sorted(app["settings"]["event_subscriptions"]["bot_events"]) == sorted(BOT_EVENTS)
    [command] = app["features"]["slash_commands"]
    assert command["command"] == "/poc" and command["should_escape"] is True
    assert app["features"]["app_home"]["home_tab_enabled"] is True
    assert app["features"]["app_home"]["messages_tab_enabled"] is True
    assert app["settings"]["interactivity"]["is_enabled"] is True


def test_production_is_http_and_development_is_socket_mode() -> None:
    production, development = manifest("manifest.yaml"), manifest("manifest.dev.yaml")

    assert production["settings"]["socket_mode_enabled"] is False
    urls = [
        production["settings"]["event_subscriptions"]["request_url"],
        production["settings"]["interactivity"]["request_url"],
        production["features"]["slash_commands"][0]["url"],
    ]
    assert all(url.endswith("/slack/events") for url in urls)
    assert production["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    assert development["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in development["settings"]["event_subscriptions"]


def test_the_production_manifest_allows_the_org_wide_installs_the_guide_describes() -> None:
    guide = (Path(__file__).parents[2] / "deploy" / "slack" / "README.md").read_text()
    assert "org-wide install on Enterprise Grid" in guide
    assert manifest("manifest.yaml")["settings"]["org_deploy_enabled"] is True
    # Socket Mode is for development in one workspace; it can't be deployed org-wide.
    assert manifest("manifest.dev.yaml")["settings"]["org_deploy_enabled"] is False


async def test_the_bot_calls_only_methods_its_scopes_allow(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    slack.person("U0CLAIRE", "Claire Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    for _ in range(12):
        question = lea.question()
        await lea.answers(question, READY[question.key], {"Claire Martin": "U0CLAIRE"})
    await lea.presses_edit(lea.messages()[0])
    await lea.opens_home()
    await lea.runs("/poc summary invoice-agent post")
    await lea.runs("/poc record invoice-agent")
    # The outbox looks for a check-in a stopped process may have posted.
    await slack.bot.messenger.find(
        Destination("slack:T0ACME", person=lea.user_id), "checkin:1:2026-W45", datetime.now(UTC)
    )

    called = {c.method for c in slack.fake.calls} - {"response_url"}
    assert called <= set(METHOD_SCOPES), f"unexpected: {called - set(METHOD_SCOPES)}"
    needed = {METHOD_SCOPES[m] for m in called} - {None}
    assert needed <= set(BOT_SCOPES)
