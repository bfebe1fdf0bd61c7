"""Sending through the Bot Connector: replies, card updates, proactive posts.

Every call goes through :func:`bot.teams.outbound.call`, so replies in a
turn, updates of answered cards and posts made later by the outbox are all
retried alike. Conversation references are stored as the JSON Teams uses
(``bot.teams.inbound.reference_of``) in the core's platform state:

- ``person:<teams user id>``: the person's personal chat with the bot;
- ``channel:<channel id>``: a team channel (its ``teamId`` too);
- ``team:<team id>``: whether the bot is still installed in that team;
- ``tenant``: the service URL and the bot's account in the tenant, to open a
  personal chat with someone who never wrote to the bot.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.teams.inbound import Activity as ActivityJson
from bot.teams.inbound import field, text_field
from bot.teams.options import RetryPolicy
from bot.teams.outbound import Refused, call
from bot.teams.sdk import (
    Activity,
    ChannelAccount,
    Channels,
    ConversationParameters,
    ConversationReference,
    TeamsInfo,
)
from conversations.channels import render_channels
from conversations.platform_state import PlatformState

log = logging.getLogger("postpoc.teams")

T = TypeVar("T")
Json = dict[str, Any]


def outgoing_json(node: Any) -> Any:
    """An activity as it goes out: channels the core names shown by their id
    (conversations.channels), as Teams has no link to write for them."""
    if isinstance(node, str):
        return render_channels(node)
    if isinstance(node, dict):
        return {key: outgoing_json(value) for key, value in node.items()}
    if isinstance(node, list):
        return [outgoing_json(value) for value in node]
    return node


class Unreachable(Exception):
    """No stored way to reach that person or channel, or the bot was removed from it."""


def person_target(person: str) -> str:
    return f"person:{person}"


def channel_target(channel: str) -> str:
    return f"channel:{channel}"


def team_target(team: str) -> str:
    return f"team:{team}"


TENANT_TARGET = "tenant"


class Connector:
    def __init__(
        self, adapter: Any, app_id: str, platform: PlatformState, retry: RetryPolicy
    ) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.platform = platform
        self.retry = retry

    # -- in a turn ---------------------------------------------------------------

    async def send(self, turn: Any, activity: Json) -> str:
        """Post ``activity`` in the turn's conversation; its id (to update it later)."""
        outgoing = Activity().deserialize(outgoing_json(activity))

        async def send() -> Any:
            return await turn.send_activity(outgoing)

        sent = await call(send, self.retry)
        return str(getattr(sent, "id", "") or "")

    async def update(self, turn: Any, activity_id: str, activity: Json) -> None:
        """Replace message ``activity_id`` of the turn's conversation."""
        replacement = Activity().deserialize(outgoing_json({**activity, "id": activity_id}))

        async def update() -> Any:
            return await turn.update_activity(replacement)

        await call(update, self.retry)

    async def delete(self, turn: Any, activity_id: str) -> None:
        """Remove message ``activity_id`` of the turn's conversation."""

        async def delete() -> Any:
            return await turn.delete_activity(activity_id)

        await call(delete, self.retry)

    async def typing(self, turn: Any) -> None:
        """The typing indicator: best effort, never retried, never fatal."""
        try:
            await turn.send_activity(Activity(type="typing"))
        except Exception as error:
            log.info("typing indicator not shown: %s", type(error).__name__)

    # -- elsewhere -----------------------------------------------------------------

    async def within(self, reference: Json, work: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``work(turn)`` in the conversation of a stored reference (a proactive turn).

        Errors are carried out of botbuilder's pipeline by hand, so they reach
        the caller rather than the adapter's error handler.
        """
        outcome: list[T] = []
        failure: list[BaseException] = []

        async def callback(turn: Any) -> None:
            try:
                outcome.append(await work(turn))
            except Exception as error:
                failure.append(error)

        await self.adapter.continue_conversation(
            ConversationReference().deserialize(reference), callback, self.app_id
        )
        if failure:
            raise failure[0]
        return outcome[0]

    async def new_channel_post(self, reference: Json, activity: Json) -> str:
        """Start a new thread in the channel of ``reference``; the id of its first message."""
        channel = text_field(reference, "conversation", "id")
        outgoing = Activity().deserialize(outgoing_json(activity))

        async def post(turn: Any) -> str:
            async def create() -> Any:
                return await TeamsInfo.send_message_to_teams_channel(
                    turn, outgoing, channel, bot_app_id=self.app_id
                )

            _, activity_id = await call(create, self.retry)
            return str(activity_id)

        return await self.within(reference, post)

    async def personal_chat(self, workspace: str, person: str, tenant: Json | None = None) -> Json:
        """The reference of ``person``'s personal chat with the bot: stored, or opened now.

        ``tenant`` is the ``tenant`` address (service URL, bot, tenant id),
        looked up when not given.
        """
        stored = await self.platform.address(workspace, person_target(person))
        if stored and not stored.get("removed"):
            return stored
        if stored:
            raise Unreachable("the person removed the app")
        tenant = tenant or await self.platform.address(workspace, TENANT_TARGET)
        if not tenant:
            raise Unreachable("no conversation with this tenant yet")
        reference = await self._open_personal_chat(tenant, person)
        await self.platform.remember_address(workspace, person_target(person), reference)
        return reference

    async def _open_personal_chat(self, tenant: Json, person: str) -> Json:
        tenant_id = text_field(tenant, "tenantId")
        bot = field(tenant, "bot") or {}
        service_url = text_field(tenant, "serviceUrl")
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=text_field(bot, "id"), name=text_field(bot, "name")),
            members=[ChannelAccount(id=person)],
            tenant_id=tenant_id,
            channel_data={"tenant": {"id": tenant_id}},
        )
        opened: list[str] = []

        async def remember(turn: Any) -> None:
            opened.append(turn.activity.conversation.id)

        async def create() -> None:
            await self.adapter.create_conversation(
                self.app_id, remember, parameters, Channels.ms_teams, service_url
            )

        try:
            await call(create, self.retry)
        except Refused as error:
            raise Unreachable(f"could not open a personal chat ({error.status})") from error
        return {
            "bot": bot,
            "user": {"id": person},
            "conversation": {
                "id": opened[0],
                "conversationType": "personal",
                "tenantId": tenant_id,
            },
            "channelId": Channels.ms_teams,
            "serviceUrl": service_url,
        }


def tenant_address(activity: ActivityJson) -> Json:
    """What it takes to open a personal chat in this activity's tenant later."""
    return {
        "serviceUrl": text_field(activity, "serviceUrl"),
        "bot": {"id": text_field(activity, "recipient", "id")},
        "tenantId": text_field(activity, "channelData", "tenant", "id"),
    }
