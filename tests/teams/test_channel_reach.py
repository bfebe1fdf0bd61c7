"""Teams channels named by the core: checked before they are saved (the bot
is in the team: its conversation reference is stored), and shown by id.
Over real HTTP with real tokens, against the fake Bot Connector."""

from __future__ import annotations

from bot.teams.channels import TeamsChannels
from conversations.channels import Reach
from tests.teams.client import texts
from tests.teams.conftest import Served
from tests.teams.test_channels import AI_CHANNEL, TEAM, WORKSPACE, installed


async def test_a_channel_of_a_team_the_bot_is_in_is_subscribed_and_listed_by_id(
    served: Served,
) -> None:
    carol = served.client.person("carol")
    await installed(served)

    subscribed = await carol.runs(
        "subscribe weekly monday 09:00 Europe/Paris", channel=AI_CHANNEL, team=TEAM
    )
    assert "This channel will get the weekly health nudge" in "\n".join(
        texts(call) for call in subscribed.sent
    )

    listed = await carol.says("subscriptions")
    shown = listed.text()
    assert AI_CHANNEL in shown
    assert "\ue000" not in shown and "\ue001" not in shown


async def test_a_channel_whose_team_removed_the_app_is_not_reachable(served: Served) -> None:
    carol = served.client.person("carol")
    await installed(served)
    await carol.runs("list", channel=AI_CHANNEL, team=TEAM)
    channels = TeamsChannels(served.service.platform, WORKSPACE)
    assert await channels.can_post(AI_CHANNEL) == Reach.YES
    assert await channels.can_post("19:never-seen@thread.tacv2") == Reach.UNKNOWN

    removed = await served.client.post(carol.installation("remove", team=TEAM))
    assert removed.status in (200, 201)

    assert await channels.can_post(AI_CHANNEL) == Reach.NOT_MEMBER
