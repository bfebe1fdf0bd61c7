"""Whether the bot can post in a Teams channel or group chat.

The Bot Connector lets a bot post where it is installed: a team's channels
once the app is added to the team, a group chat once it is added to the chat.
Teams delivers a channel message to the bot only from such a place, and the
adapter stores that conversation's reference before the core runs
(``TeamsBot._remember``); the outbox posts there later through the same
reference. So the bot can post where that reference is stored and neither
the channel nor its team has since removed the app: exactly what the
messenger checks before a post (``Messenger._channel_reference``), asked
before the channel is saved rather than found out at the first post.

It is read before the core runs (:func:`reach_of`): the stored references
live in the same database, and a second transaction opened while the core's
is open would wait on it.
"""

from __future__ import annotations

from bot.teams.connector import channel_target, team_target
from bot.teams.inbound import text_field
from conversations.channels import Known, Reach
from conversations.messages import Inbound
from conversations.platform_state import PlatformState


class TeamsChannels:
    def __init__(self, platform: PlatformState, workspace: str) -> None:
        self.platform = platform
        self.workspace = workspace

    async def can_post(self, channel_id: str) -> Reach:
        reference = await self.platform.address(self.workspace, channel_target(channel_id))
        if not reference:
            # Not stored this time (a race between replicas): the next message stores it.
            return Reach.UNKNOWN
        if reference.get("removed"):
            return Reach.NOT_MEMBER
        team = text_field(reference, "teamId")
        installed = await self.platform.address(self.workspace, team_target(team)) if team else None
        if installed and installed.get("removed"):
            return Reach.NOT_MEMBER
        return Reach.YES


async def reach_of(platform: PlatformState, workspace: str, event: Inbound) -> Known:
    """Whether the bot can post in the channel ``event`` came from."""
    if event.place.is_direct:
        return Known({})
    channel = event.place.channel_id
    return Known({channel: await TeamsChannels(platform, workspace).can_post(channel)})
