"""Whether the bot can post in a Slack channel: ``conversations.info``.

A bot can post only where it is a member (``not_in_channel`` otherwise).
``conversations.info`` says ``is_member`` for a public channel (scope
``channels:read``) and a private one the bot is in (``groups:read``); a
private channel the bot is not in is ``channel_not_found`` to it. Anything
else (an outage after the client's retries, a group DM, whose scope the bot
does not ask for) is not known, and the core saves nothing then either.

It is asked before the core runs (:func:`reach_of`), for the commands
that need it: a Web API call made inside the core's transaction would hold
the database's write lock (every other person's answer) for as long as Slack
takes to answer.
"""

from __future__ import annotations

from dataclasses import replace

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import logs
from bot.slack.calls import error_code
from conversations.channels import Known, Reach
from conversations.messages import Inbound
from conversations.reach import channel_to_check

UNSEEN = ("channel_not_found",)


class SlackChannels:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def can_post(self, channel_id: str) -> Reach:
        try:
            response = await self.client.conversations_info(channel=channel_id)
        except (SlackApiError, SlackRequestError, ClientError, TimeoutError) as error:
            code = error_code(error)
            if code in UNSEEN:
                return Reach.NOT_MEMBER
            logs.channel_unchecked(code)
            return Reach.UNKNOWN
        channel = response.get("channel") or {}
        return Reach.YES if channel.get("is_member") else Reach.NOT_MEMBER


async def reach_of(client: AsyncWebClient, inbound: Inbound) -> Inbound:
    """``inbound`` with what the core will ask about its channel, asked now."""
    channel = channel_to_check(inbound)
    reach = {channel: await SlackChannels(client).can_post(channel)} if channel else {}
    return replace(inbound, channels=Known(reach))
