"""Socket Mode for development: the bot opens a WebSocket to Slack and serves
the same listeners over it; no HTTP endpoint and no signing secret needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.runtime import open_service
from bot.server import build_app
from tests.slack.conftest import StartBot
from tests.slack.harness import APP_ID


async def test_a_slash_command_over_socket_mode(start_bot: StartBot, tmp_path: Path) -> None:
    slack = await start_bot(
        f"sqlite:///{tmp_path / 'postpoc.db'}",
        slack_signing_secret=None,
        slack_app_token="xapp-1-A0POSTPOC-dev",
    )
    lea = slack.person("U0LEA", "Léa Martin")
    assert await slack.fake.connected()
    [opened] = slack.fake.called("apps.connections.open")
    assert opened.token == "xapp-1-A0POSTPOC-dev"

    ack = await slack.fake.send_envelope(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": {
                "team_id": slack.team,
                "channel_id": "C0TEAM",
                "channel_name": "team",
                "user_id": lea.user_id,
                "command": "/poc",
                "text": "help",
                "api_app_id": APP_ID,
                "response_url": slack.fake.response_url("socket-hook"),
                "trigger_id": "1.2.3",
            },
        }
    )
    await slack.settled()

    assert ack == {"envelope_id": "env-1"}
    assert "postpoc helps you decide" in str(lea.replies("socket-hook"))
    no_http = await slack.send("{}", "application/json")
    assert no_http.status == 404, "without a signing secret there is no HTTP endpoint"


async def test_serve_mounts_slack_when_its_settings_are_there(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'postpoc.db'}",
        slack_signing_secret="secret",
        slack_bot_token="xoxb-1",
    )
    service = await open_service(settings)
    try:
        app = build_app(service, settings)
        routes = {resource.canonical for resource in app.router.resources()}
        assert {"/healthz", "/slack/events"} <= routes
        assert Settings(
            _env_file=None, slack_app_token="xapp-1", slack_bot_token="xoxb-1"
        ).slack_configured  # type: ignore[call-arg]
        with pytest.raises(ValidationError, match="SLACK_SIGNING_SECRET is missing"):
            Settings(_env_file=None, slack_bot_token="xoxb-1")  # type: ignore[call-arg]
    finally:
        await service.store.dispose()
