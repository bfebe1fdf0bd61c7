"""The Slack driver: the Bolt app over HTTP, requests signed as Slack signs them, against
the fake Web API on 127.0.0.1 (:mod:`tests.slack.harness`)."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack
from typing import Any

from bot.slack.app import build_messenger
from conversations.outbox import Outbox
from conversations.service import utc_now
from tests.slack.conftest import launch, settings_for
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import Message as SlackMessage
from tests.slack.harness import Person as SlackHarnessPerson
from tests.slack.harness import Slack, texts_of
from tests.support.scenario import MENTION, Chat, Message, Person, Seen


def slack_id(name: str) -> str:
    return "U0" + re.sub(r"\W", "", name).upper()


DIRECTORY = {"Claire Martin": "U0CLAIRE", "Omar Haddad": "U0OMAR"}
"""People of the workspace the scripts name, found in Slack's user picker."""


class SlackPerson(Person):
    """Someone in their DM with the bot (slash commands typed there too)."""

    def __init__(self, chat: SlackChat, name: str, locale: str) -> None:
        super().__init__(name)
        self.chat = chat
        self.slack: SlackHarnessPerson = chat.slack.person(
            slack_id(name), name, locale=f"{locale}-{locale.upper()}"
        )

    def _spell(self, text: str) -> str:
        return MENTION.sub(
            lambda m: f"<@{slack_id(m[1])}>" if m[1] in self.chat.people else m[0], text
        )

    def _state(self) -> dict[str, Message]:
        return {m.ref: m for m in self.conversation()}

    async def _seen(self, act: Awaitable[object]) -> Seen:
        """What ``act`` (not started yet) shows: the DM's messages it adds or changes, and
        what it answers to a slash command's response_url."""
        before = self._state()
        calls = len(self.slack.slack.fake.calls)
        hook = await act
        # Changed, new, or updated even to the same content (a question shown again).
        updated = {
            str(c.args.get("ts"))
            for c in self.slack.slack.fake.calls[calls:]
            if c.method == "chat.update" and c.ok and c.args.get("channel") == self.slack.dm
        }
        shown = [m for ref, m in self._state().items() if before.get(ref) != m or ref in updated]
        if isinstance(hook, str):
            shown.extend(
                Message(f"{hook}:{n}", _slack_text(r), _slack_buttons(r.get("blocks") or []))
                for n, r in enumerate(self.slack.replies(hook))
            )
        return Seen(tuple(shown))

    async def says(self, text: str) -> Seen:
        return await self._seen(self.slack.says(self._spell(text)))

    async def runs(self, command: str) -> Seen:
        # a slash command typed in the DM with the bot
        typed = self.slack.runs(
            self._spell(command), channel=self.slack.dm, channel_name="directmessage"
        )
        return await self._seen(typed)

    async def presses(self, label: str, on: Message | None = None) -> Seen:
        messages = self.slack.messages()
        if on is not None:
            assert isinstance(on.source, SlackMessage)
            messages = [on.source]
        for message in reversed(messages):
            for block, element in message.elements():
                if element.get("type") == "button" and element["text"]["text"] == label:
                    pressed = ("type", "action_id", "value", "text")
                    action: dict[str, Any] = {k: element[k] for k in pressed if k in element}
                    return await self._seen(self.slack.acts(message, action, block.get("block_id")))
        raise AssertionError(f"no button {label!r} in {self.name}'s DM")

    async def answers(self, value: str) -> Seen:
        return await self._seen(self.slack.answers(self.slack.question(), value, DIRECTORY))

    async def names(self, other: Person) -> Seen:
        for message in reversed(self.slack.messages()):
            if any(e.get("type") == "users_select" for _, e in message.elements()):
                return await self._seen(self.slack.picks_person(message, slack_id(other.name)))
        raise AssertionError(f"no user picker in {self.name}'s DM")

    async def comes_back(self) -> Seen:
        return await self._seen(self.chat.deliver())

    def conversation(self) -> list[Message]:
        return [
            Message(
                m.ts,
                _as_seen(m.words()),
                _slack_buttons(m.blocks),
                m.key if m.is_open else None,
                source=m,
            )
            for m in self.slack.messages()
        ]


def _as_seen(words: str) -> str:
    """Slack's text as a person reads it: escapes undone, the emoji it draws drawn."""
    return html.unescape(words).replace(":white_check_mark:", "✅")


def _slack_text(response: Mapping[str, Any]) -> str:
    blocks = "\n".join(texts_of(response.get("blocks") or []))
    return _as_seen(blocks + "\n" + str(response.get("text") or ""))


def _slack_buttons(blocks: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(e["text"]["text"] for e in _elements(blocks) if e.get("type") == "button")


def _elements(blocks: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for block in blocks:
        if block.get("type") == "actions":
            yield from block["elements"]
        if block.get("accessory"):
            yield block["accessory"]


class SlackChat(Chat):
    platform = "slack"
    command_prefix = "/poc "

    def __init__(self, slack: Slack, database_url: str) -> None:
        super().__init__(slack.bot.service)
        self.slack = slack
        self.database_url = database_url
        for name, user_id in DIRECTORY.items():
            slack.person(user_id, name)

    def _new_person(self, name: str, locale: str) -> Person:
        return SlackPerson(self, name, locale)

    def _platform_id(self, name: str) -> str:
        return slack_id(name)

    async def deliver(self) -> None:
        settings = settings_for(self.slack.fake, self.database_url)
        messenger = build_messenger(self.service, settings)
        await Outbox(self.store, {"slack": messenger}, clock=utc_now).drain()
        await self.slack.settled()


async def open_slack(stack: AsyncExitStack, database_url: str) -> Chat:
    fake = FakeSlack()
    await fake.start()
    stack.push_async_callback(fake.stop)
    slack = await launch(stack, fake, database_url, postpoc_admins="")
    return SlackChat(slack, database_url)
