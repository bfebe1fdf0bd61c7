"""Posts the core makes unprompted (nudges, check-ins, decisions), through stored
conversation references: the core's :class:`conversations.delivery.Messenger` for Teams.

A channel post starts a new thread and returns the id of its first message;
posting again with that id as ``Destination.thread`` answers in the thread. A
post to a person goes to their personal chat with the bot, opened if needed.
Throttling is retried here (``bot.teams.outbound``); when the attempts are
spent the outbox is told to try later (``DeliveryError(retryable=True)``).

A post may take several messages (a nudge and its follow-ups in its
thread). When a later one fails and the outbox tries again, the ones already
sent are not sent twice: each message sent is remembered under the outbox's
key and its place in the post (:class:`Parts`), and skipped next time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.teams import cards, routing
from bot.teams.connector import Connector, Unreachable, channel_target, team_target
from bot.teams.inbound import text_field
from bot.teams.outbound import Refused, TryLater
from conversations.delivery import DeliveryError, Destination
from conversations.i18n import Translator, translator
from conversations.messages import Reply
from conversations.platform_state import PlatformState

Json = dict[str, Any]

PLATFORM = "teams"


class TeamsMessenger:
    platform = PLATFORM

    def __init__(self, connector: Connector) -> None:
        self.connector = connector

    async def post(
        self, destination: Destination, replies: Sequence[Reply], *, key: str | None = None
    ) -> str:
        """Post ``replies``. ``key`` is not carried in the messages (Teams gives
        bots no way to read them back): it names the parts already sent."""
        if not destination.workspace.startswith(f"{PLATFORM}:"):
            raise DeliveryError("not a Teams workspace", retryable=False)
        messages = routing.plan(replies, personal=True).messages
        if not messages:
            raise DeliveryError("nothing to post", retryable=False)
        parts = Parts(self.connector.platform, destination.workspace, key)
        try:
            if destination.channel:
                return await self._to_channel(destination, messages, parts)
            if destination.person:
                return await self._to_person(destination, messages, parts)
        except TryLater as error:
            raise DeliveryError(
                str(error), retryable=True, retry_after=error.retry_after
            ) from error
        except (Refused, Unreachable) as error:
            raise DeliveryError(str(error), retryable=False) from error
        raise DeliveryError("a destination needs a channel or a person", retryable=False)

    async def find(self, destination: Destination, key: str, since: datetime) -> str | None:
        """Teams can't tell: a bot can't read a conversation's messages back (Graph could,
        with permissions postpoc doesn't ask for)."""
        raise NotImplementedError("a Teams bot can't look for its earlier posts")

    async def _to_channel(
        self, destination: Destination, messages: Sequence[routing.Message], parts: Parts
    ) -> str:
        assert destination.channel is not None
        reference = await self._channel_reference(destination.workspace, destination.channel)
        t = _translator(reference)
        if destination.thread or not _is_team_channel(reference):
            thread = destination.thread
            if thread:
                reference = _in_thread(reference, destination.channel, thread)
            first = await self._send_all(reference, destination.workspace, messages, t, parts)
            return thread or first
        root = await parts.sent(0)
        if root is None:
            root = await self.connector.new_channel_post(
                reference, cards.activity_for(messages[0], t)
            )
            await parts.record(0, root)
            await self._remember_question(destination.workspace, messages[0], root)
        if len(messages) > 1:
            in_thread = _in_thread(reference, destination.channel, root)
            await self._send_all(in_thread, destination.workspace, messages, t, parts, start=1)
        return root

    async def _to_person(
        self, destination: Destination, messages: Sequence[routing.Message], parts: Parts
    ) -> str:
        assert destination.person is not None
        reference = await self.connector.personal_chat(destination.workspace, destination.person)
        return await self._send_all(
            reference, destination.workspace, messages, _translator(reference), parts
        )

    async def _channel_reference(self, workspace: str, channel: str) -> Json:
        platform = self.connector.platform
        reference = await platform.address(workspace, channel_target(channel))
        if not reference or reference.get("removed"):
            raise Unreachable("the bot is not (or no longer) in that channel")
        team = text_field(reference, "teamId")
        installed = await platform.address(workspace, team_target(team)) if team else None
        if installed and installed.get("removed"):
            raise Unreachable("the bot was removed from that team")
        return reference

    async def _send_all(
        self,
        reference: Json,
        workspace: str,
        messages: Sequence[routing.Message],
        t: Translator,
        parts: Parts,
        start: int = 0,
    ) -> str:
        """Send ``messages[start:]`` but those already sent; the first one's id."""

        async def send(turn: Any) -> str:
            first = ""
            for number, message in enumerate(messages[start:], start):
                sent = await parts.sent(number)
                if sent is None:
                    sent = await self.connector.send(turn, cards.activity_for(message, t))
                    await parts.record(number, sent)
                    await self._remember_question(workspace, message, sent)
                first = first or sent
            return first

        return await self.connector.within(reference, send)

    async def _remember_question(self, workspace: str, message: routing.Message, sent: str) -> None:
        """A question posted unprompted is settled like any other once answered."""
        if message.question is not None and sent:
            await self.connector.platform.remember_posted(workspace, message.question.token, sent)


class Parts:
    """The messages of one post already sent, by their place in it, kept with
    the platform state under the outbox's key (nothing is kept without one)."""

    def __init__(self, platform: PlatformState, workspace: str, key: str | None) -> None:
        self.platform = platform
        self.workspace = workspace
        self.key = key

    def _token(self, number: int) -> str:
        return f"post:{self.key}#{number}"

    async def sent(self, number: int) -> str | None:
        if self.key is None:
            return None
        return await self.platform.posted(self.workspace, self._token(number))

    async def record(self, number: int, activity_id: str) -> None:
        if self.key is not None and activity_id:
            await self.platform.remember_posted(self.workspace, self._token(number), activity_id)


def _is_team_channel(reference: Json) -> bool:
    return text_field(reference, "conversation", "conversationType") == "channel"


def _in_thread(reference: Json, channel: str, thread: str) -> Json:
    conversation = {**reference.get("conversation", {}), "id": f"{channel};messageid={thread}"}
    return {**reference, "conversation": conversation}


def _translator(reference: Json) -> Translator:
    return translator(text_field(reference, "locale") or "en")
