"""Conversations written once, run on the console, Slack and Teams.

    async def test_a_poc_is_registered(chat: Chat) -> None:
        lea = await chat.person("Lea", Role.ADMIN)
        seen = await lea.runs("new Invoice agent")
        assert "Registered Invoice agent as invoice-agent" in seen

A scenario names people (a display name and a role), says what each one
types (:meth:`Person.says`), runs as a command (:meth:`Person.runs`),
presses by its label (:meth:`Person.presses`) or answers from a script
(:meth:`Person.answers`), and what they must see (:class:`Seen`, the
messages that one action showed or changed in their conversation with the
bot). How each platform spells it is the driver's business: ``runs("list")``
is ``/poc list`` in the console, the slash command ``/poc list`` on Slack,
``list`` typed in Teams' personal chat; ``@Nadia`` in what someone types is
Slack's ``<@U0NADIA>`` and Teams' ``<at>Nadia</at>`` with its mention entity.

The drivers are the existing harnesses: the console adapter
(:class:`bot.console.chat.Console`) in this process; the Bolt app over HTTP,
signed, against the fake Slack Web API (:mod:`tests.slack.harness`); the
CloudAdapter over HTTP with tokens of a local key, against the fake Bot
Connector (:mod:`tests.teams.client`). The ``chat`` fixture of
``tests/scenarios`` runs a scenario on each (``@pytest.mark.parametrize("chat",
[...], indirect=True)`` for fewer: the console shows no buttons).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from bot.admin import set_role
from conversations.bank import Bank, load_bank
from conversations.messages import QuestionKind
from conversations.service import Service, utc_now
from storage.repository import Store

PLATFORMS = ("console", "slack", "teams")


class Role(StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    MEMBER = "member"


# -- what a person sees ------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One message in a person's conversation with the bot, as it reads now."""

    ref: str
    """The platform's id of the message (Slack's ts, Teams' activity id)."""
    text: str
    """Everything it says, as plain text (Slack's escapes undone)."""
    buttons: tuple[str, ...] = ()
    """The labels of what can be pressed on it, in order."""
    question: str | None = None
    """The bank key of the question it asks, while it can still be answered."""
    source: object = field(default=None, compare=False, repr=False)
    """The platform's own copy (Block Kit, an activity): a press on an old copy is a
    click made before the message changed."""

    def __contains__(self, words: str) -> bool:
        return words in self.text


@dataclass(frozen=True)
class Seen:
    """What one action showed a person: new messages and messages changed, in order."""

    messages: tuple[Message, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.messages)

    def __contains__(self, words: str) -> bool:
        return words in self.text

    def __str__(self) -> str:
        return self.text

    @property
    def buttons(self) -> tuple[str, ...]:
        return tuple(b for m in self.messages for b in m.buttons)

    def shows_field(self, label: str, value: str) -> bool:
        """A card's field ``label`` reads ``value`` ("label: value" in the console, the
        label in bold above its value on Slack and Teams)."""
        return re.search(rf"{re.escape(label)}\W+{re.escape(value)}", self.text) is not None


# -- the people ----------------------------------------------------------------------------


class Person(ABC):
    """Someone in the workspace, talking to the bot in their direct conversation."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    async def says(self, text: str) -> Seen:
        """Types ``text`` in their direct conversation with the bot."""

    @abstractmethod
    async def runs(self, command: str) -> Seen:
        """Runs ``command`` (``list``, ``ask poc section @Nadia``) as the platform runs commands."""

    @abstractmethod
    async def presses(self, label: str, on: Message | None = None) -> Seen:
        """Presses the button ``label`` on ``on`` (default: the latest message showing it)."""

    @abstractmethod
    async def answers(self, value: str) -> Seen:
        """Answers the open question with ``value`` (a scripted, typed answer) the way the
        platform asks for it: a button, boxes, a picker, or typing."""

    @abstractmethod
    async def names(self, other: Person) -> Seen:
        """Answers the bot's "who should ...?" with ``other``: a user picker where the
        platform has one, else the command the bot said to type, with a mention."""

    @abstractmethod
    async def comes_back(self) -> Seen:
        """Opens the conversation after others acted: what was sent to them meanwhile."""

    @abstractmethod
    def conversation(self) -> list[Message]:
        """Their conversation with the bot, oldest first, each message as it reads now."""

    def now(self, message: Message) -> Message:
        """``message`` as it reads now."""
        found = [m for m in self.conversation() if m.ref == message.ref]
        assert found, f"message {message.ref} is gone"
        return found[0]

    @property
    def question(self) -> Message | None:
        """The question waiting for them (the last message that can still answer one)."""
        return next((m for m in reversed(self.conversation()) if m.question), None)

    @property
    def waiting(self) -> str:
        """The key of the question waiting for them."""
        question = self.question
        assert question is not None and question.question is not None, "no question is open"
        return question.question

    async def answers_until(
        self, stop: Callable[[str], bool], script: Mapping[str, str], limit: int = 200
    ) -> Message:
        """Answers from ``script`` until the question waiting is one ``stop`` accepts."""
        for _ in range(limit):
            if stop(self.waiting):
                question = self.question
                assert question is not None
                return question
            await self.answers(script[self.waiting])
        raise AssertionError("no such question came")

    async def answers_all(
        self,
        script: Mapping[str, str],
        check: Callable[[str], object] = lambda _: None,
        limit: int = 200,
    ) -> Seen:
        """Answers from ``script`` until nothing is asked; what the last answer showed.
        ``check`` sees each key before it is answered."""
        seen = Seen()
        for _ in range(limit):
            if self.question is None:
                return seen
            check(self.waiting)
            seen = await self.answers(script[self.waiting])
        raise AssertionError("the interview never ended")


class Chat(ABC):
    """One workspace on one platform, with the bot serving it."""

    platform: str
    command_prefix: str
    """How this platform's texts write a command: ``/poc `` or nothing (Teams)."""
    shows_buttons: bool = True

    def __init__(self, service: Service) -> None:
        self.service = service
        self.people: dict[str, Person] = {}

    @property
    def store(self) -> Store:
        return self.service.store

    def spelled(self, command: str) -> str:
        """``command`` as the bot's texts write it on this platform."""
        return self.command_prefix + command

    async def person(self, name: str, role: Role = Role.MEMBER, *, locale: str = "en") -> Person:
        """``name`` opens a conversation with the bot (says hello), with ``role`` set by the
        operator's ``postpoc role`` when the platform's own rules gave another. ``locale``
        (``en``, ``fr``) is their client's language, as the platform tells it."""
        person = self._new_person(name, locale)
        self.people[name] = person
        await person.says("hello")
        await set_role(self.store, self._platform_id(name), role.value, None, utc_now())
        return person

    @abstractmethod
    def _new_person(self, name: str, locale: str) -> Person: ...

    @abstractmethod
    def _platform_id(self, name: str) -> str: ...

    @abstractmethod
    async def deliver(self) -> None:
        """What the outbox holds goes out, as the server's outbox loop sends it."""


MENTION = re.compile(r"@(\w+)")
NAMED_BY = re.compile(r"(ask \S+ \S+) @name\b")
"""How the bot says to name someone: "Pick them, or type ask invoice-agent integration @name"."""


def command_for(conversation: Sequence[Message], other: Person) -> str:
    for message in reversed(conversation):
        found = NAMED_BY.search(message.text)
        if found:
            return f"{found[1]} @{other.name}"
    raise AssertionError("the bot asked nobody to be named")


def mentioned(text: str, people: Mapping[str, Person]) -> list[str]:
    return [name for name in MENTION.findall(text) if name in people]


async def open_chat(platform: str, stack: AsyncExitStack, database_url: str) -> Chat:
    """The bot on ``platform``, on an empty database, with nobody listed as admin (roles
    are the scenario's, set as an operator sets them); it stops when ``stack`` closes."""
    # Each driver imports its platform's harness only when it runs.
    if platform == "console":
        from tests.support.scenario.console import open_console

        return await open_console(stack, database_url)
    if platform == "slack":
        from tests.support.scenario.slack import open_slack

        return await open_slack(stack, database_url)
    if platform == "teams":
        from tests.support.scenario.teams import open_teams

        return await open_teams(stack, database_url)
    raise ValueError(f"no driver for {platform!r}")


@cache
def bank() -> Bank:
    return load_bank()


def is_text_question(key: str) -> bool:
    return bank().question(key).type == QuestionKind.TEXT


def is_yes_no_question(key: str) -> bool:
    return bank().question(key).type == QuestionKind.YES_NO
