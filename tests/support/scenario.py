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

import html
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

from bot.admin import set_role
from bot.config import Settings
from bot.console.chat import COMMAND_PREFIX, Console, console_actor
from bot.console.render import render
from bot.runtime import open_service
from bot.slack.app import build_messenger
from conversations.bank import Bank, load_bank
from conversations.delivery import Destination
from conversations.engine import read_token
from conversations.messages import Answered, Ask, Card, QuestionKind, Reply
from conversations.outbox import Outbox
from conversations.service import Service, utc_now
from storage.database import make_engine, resolve_url
from storage.migrate import upgrade
from storage.repository import Store
from tests.slack.conftest import launch, settings_for
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import Message as SlackMessage
from tests.slack.harness import Person as SlackHarnessPerson
from tests.slack.harness import Slack, texts_of
from tests.teams.client import actions, activity_of, moves, question_key, texts
from tests.teams.conftest import Served, serve
from tests.teams.fakes import Call, FakeBotFramework
from tests.teams.test_interview import press_for

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

    def __bool__(self) -> bool:
        return bool(self.messages)

    @property
    def buttons(self) -> tuple[str, ...]:
        return tuple(b for m in self.messages for b in m.buttons)

    def shows_field(self, label: str, value: str) -> bool:
        """A card's field ``label`` reads ``value`` ("label: value" in the console, the
        label in bold above its value on Slack and Teams)."""
        return re.search(rf"{re.escape(label)}\W+{re.escape(value)}", self.text) is not None

    def showing(self, ref: str) -> Message | None:
        """The last version of message ``ref`` this action showed, if it showed it."""
        return next((m for m in reversed(self.messages) if m.ref == ref), None)


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


def _command_for(conversation: Sequence[Message], other: Person) -> str:
    for message in reversed(conversation):
        found = NAMED_BY.search(message.text)
        if found:
            return f"{found[1]} @{other.name}"
    raise AssertionError("the bot asked nobody to be named")


def mentioned(text: str, people: Mapping[str, Person]) -> list[str]:
    return [name for name in MENTION.findall(text) if name in people]


# -- the console ---------------------------------------------------------------------------


def _console_message(reply: Reply, number: int) -> Message | None:
    lines = render(reply)
    if not lines:
        return None  # Answered: a terminal can't take back what it printed
    buttons: tuple[str, ...] = ()
    question = None
    if isinstance(reply, Ask):
        buttons = tuple(choice.label for choice in reply.choices)
        token = read_token(reply.token)
        question = token.key if token else None
    elif isinstance(reply, Card):
        buttons = tuple(button.label for button in reply.buttons)
    return Message(f"console:{number}", "\n".join(lines), buttons, question)


class _Recording(Console):
    """The console adapter, keeping what it printed as replies as well as text."""

    def __init__(self, service: Service, name: str, locale: str) -> None:
        super().__init__(service, console_actor(name, locale), io.StringIO())
        self.shown: list[Reply] = []

    def show(self, replies: Iterable[Reply]) -> None:
        replies = list(replies)
        self.shown.extend(replies)
        super().show(replies)


class ConsolePerson(Person):
    """Someone at ``postpoc chat`` (each person their own terminal, one database)."""

    def __init__(self, chat: ConsoleChat, name: str, locale: str) -> None:
        super().__init__(name)
        self.chat = chat
        # as the terminal's LANG gives it (bot.console.chat.console_locale)
        self.console = _Recording(chat.service, name, f"{locale}_{locale.upper()}")
        self.lines: list[Message] = []
        self.tokens: dict[str, str] = {}
        """The token of each question printed, by message: typing answers the last open one."""
        self.posted: list[Reply] = []
        """Posts of the outbox to this person, shown when they come back."""

    async def _shown_by(self, act: Awaitable[None]) -> Seen:
        before = len(self.console.shown)
        await act
        shown: list[Message] = []
        for reply in self.console.shown[before:]:
            if isinstance(reply, Answered | Ask):
                # One question is open at a time: the last asked, until it is answered.
                settled = (
                    {reply.token} if isinstance(reply, Answered) else set(self.tokens.values())
                )
                self.lines = [
                    _closed(m) if self.tokens.get(m.ref) in settled else m for m in self.lines
                ]
            message = _console_message(reply, len(self.lines))
            if message is None:
                continue
            if isinstance(reply, Ask):
                self.tokens[message.ref] = reply.token
            self.lines.append(message)
            shown.append(message)
        return Seen(tuple(shown))

    async def says(self, text: str) -> Seen:
        return await self._shown_by(self.console.send(text))

    async def runs(self, command: str) -> Seen:
        return await self.says(COMMAND_PREFIX + command)

    async def presses(self, label: str, on: Message | None = None) -> Seen:
        for message in [on] if on else list(reversed(self.lines)):
            if label not in message.buttons:
                continue
            if message.ref in self.tokens:  # a numbered choice: its number is typed
                return await self.says(str(message.buttons.index(label) + 1))
            # a card's button is printed as the command it runs
            return await self.runs(_card_command(self.console.shown, label))
        raise AssertionError(f"nothing to type for {label!r} in the console")

    async def answers(self, value: str) -> Seen:
        return await self.says(value)  # the console takes every answer typed

    async def names(self, other: Person) -> Seen:
        return await self.runs(_command_for(self.lines, other))

    async def comes_back(self) -> Seen:
        """What ``postpoc chat`` prints when it starts (the question waiting for them),
        then the outbox's posts to them, as its watch prints them."""

        async def starts() -> None:
            await self.chat.deliver()
            pending = await self.chat.service.pending(self.console.actor)
            posted, self.posted = self.posted, []
            self.console.show([*pending, *posted])

        return await self._shown_by(starts())

    def conversation(self) -> list[Message]:
        return list(self.lines)


def _closed(message: Message) -> Message:
    return Message(message.ref, message.text, message.buttons, None)


def _card_command(shown: Sequence[Reply], label: str) -> str:
    for reply in reversed(shown):
        if isinstance(reply, Card):
            for button in reply.buttons:
                if button.label == label:
                    return button.command
    raise AssertionError(f"no button {label!r} was printed")


class _PostedToPeople:
    """The outbox's messenger for the console: each post shows in its person's terminal."""

    platform = "console"

    def __init__(self, chat: ConsoleChat) -> None:
        self.chat = chat
        self.count = 0

    async def post(
        self, destination: Destination, replies: Sequence[Reply], *, key: str | None = None
    ) -> str:
        for person in self.chat.people.values():
            assert isinstance(person, ConsolePerson)
            if person.console.actor.user_id == destination.person:
                person.posted.extend(replies)
        self.count += 1
        return f"console:{self.count}"

    async def find(self, destination: Destination, key: str, since: datetime) -> str | None:
        raise NotImplementedError("a terminal keeps no record of what it printed")


class ConsoleChat(Chat):
    platform = "console"
    command_prefix = COMMAND_PREFIX
    shows_buttons = False

    def _new_person(self, name: str, locale: str) -> Person:
        return ConsolePerson(self, name, locale)

    def _platform_id(self, name: str) -> str:
        return name.lower()

    async def deliver(self) -> None:
        await Outbox(self.store, {"console": _PostedToPeople(self)}, clock=utc_now).drain()


# -- Slack ---------------------------------------------------------------------------------


def slack_id(name: str) -> str:
    return "U0" + re.sub(r"\W", "", name).upper()


DIRECTORY = {"Claire Martin": "U0CLAIRE", "Omar Haddad": "U0OMAR"}
"""People of the workspace the scripts name, found in Slack's user picker."""


class SlackPerson(Person):
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

    async def _seen(self, act: Callable[[], Any]) -> Seen:
        before = self._state()
        calls = len(self.slack.slack.fake.calls)
        hook = await act()
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
        return await self._seen(lambda: self.slack.says(self._spell(text)))

    async def runs(self, command: str) -> Seen:
        return await self._seen(
            lambda: self.slack.runs(
                self._spell(command), channel=self.slack.dm, channel_name="directmessage"
            )
        )

    async def presses(self, label: str, on: Message | None = None) -> Seen:
        messages = self.slack.messages()
        if on is not None:
            assert isinstance(on.source, SlackMessage)
            messages = [on.source]
        for message in reversed(messages):
            for block, element in message.elements():
                if element.get("type") == "button" and element["text"]["text"] == label:
                    action = {
                        k: element[k]
                        for k in ("type", "action_id", "value", "text")
                        if k in element
                    }
                    return await self._seen(
                        lambda m=message, a=action, b=block: self.slack.acts(
                            m, a, b.get("block_id")
                        )
                    )
        raise AssertionError(f"no button {label!r} in {self.name}'s DM")

    async def answers(self, value: str) -> Seen:
        return await self._seen(lambda: self.slack.answers(self.slack.question(), value, DIRECTORY))

    async def names(self, other: Person) -> Seen:
        for message in reversed(self.slack.messages()):
            if any(e.get("type") == "users_select" for _, e in message.elements()):
                return await self._seen(
                    lambda m=message: self.slack.picks_person(m, slack_id(other.name))
                )
        raise AssertionError(f"no user picker in {self.name}'s DM")

    async def comes_back(self) -> Seen:
        return await self._seen(self.chat.deliver)

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


# -- Teams ---------------------------------------------------------------------------------


class TeamsPerson(Person):
    def __init__(self, chat: TeamsChat, name: str, locale: str) -> None:
        super().__init__(name)
        self.chat = chat
        self.teams = chat.served.client.person(name.lower(), locale=f"{locale}-{locale.upper()}")
        self.cards: dict[str, Call] = {}
        """Their personal chat: each message's latest version, by activity id, in order."""

    def _activity(self, text: str, **fields: Any) -> dict[str, Any]:
        named = mentioned(text, self.chat.people)
        entities = list(self.teams.personal()["entities"])
        for name in named:
            other = self.chat.people[name]
            assert isinstance(other, TeamsPerson)
            tag = f"<at>{name}</at>"
            entities.append(
                {"type": "mention", "text": tag, "mentioned": {"id": other.teams.id, "name": name}}
            )
        spelled = MENTION.sub(lambda m: f"<at>{m[1]}</at>" if m[1] in named else m[0], text)
        return self.teams.personal(text=spelled, textFormat="plain", entities=entities, **fields)

    async def _post(self, activity: dict[str, Any]) -> Seen:
        posted = await self.chat.served.client.post(activity)
        assert posted.status in (200, 201), posted.status
        return self.chat.route(posted.calls, self)

    async def says(self, text: str) -> Seen:
        return await self._post(self._activity(text))

    async def runs(self, command: str) -> Seen:
        return await self.says(command)  # typed as is in Teams' personal chat

    async def presses(self, label: str, on: Message | None = None) -> Seen:
        cards = [on.source] if on else [self.cards[ref] for ref in reversed(self.cards)]
        for card in cards:
            assert isinstance(card, Call)
            for action in [*actions(card), *moves(card)]:
                if action.get("type") == "Action.Submit" and action.get("title") == label:
                    return await self._post(
                        self.teams.personal(replyToId=card.posted_id, value=dict(action["data"]))
                    )
        raise AssertionError(f"no button {label!r} in {self.name}'s chat")

    async def answers(self, value: str) -> Seen:
        question = self.question
        assert question is not None
        card = self.cards[question.ref]
        data = press_for(card, value)
        if data is None:
            return await self.says(value)
        return await self._post(self.teams.personal(replyToId=card.posted_id, value=data))

    async def names(self, other: Person) -> Seen:
        return await self.runs(_command_for(self.conversation(), other))

    async def comes_back(self) -> Seen:
        mark = self.chat.served.client.fake.mark()
        await self.chat.deliver()
        return self.chat.route(self.chat.served.client.fake.since(mark), self)

    def conversation(self) -> list[Message]:
        return [_teams_message(ref, card) for ref, card in self.cards.items()]


def _teams_message(ref: str, card: Call) -> Message:
    buttons = tuple(a["title"] for a in [*actions(card), *moves(card)] if a.get("title"))
    # A question's card shows its text in bold while it can be answered; once answered,
    # or asked again further down, it says so instead (bot/teams/cards.py).
    return Message(ref, texts(card), buttons, question_key(card), source=card)


class TeamsChat(Chat):
    platform = "teams"
    command_prefix = ""

    def __init__(self, served: Served) -> None:
        super().__init__(served.service)
        self.served = served

    def _new_person(self, name: str, locale: str) -> Person:
        return TeamsPerson(self, name, locale)

    def _platform_id(self, name: str) -> str:
        return f"29:{name.lower()}"

    def route(self, calls: Sequence[Call], to: TeamsPerson) -> Seen:
        """Each call the bot made lands in its person's chat; what ``to`` saw of them."""
        shown: list[Message] = []
        for call in calls:
            if call.answered not in (200, 201) or activity_of(call).get("type") == "typing":
                continue
            for person in self.people.values():
                assert isinstance(person, TeamsPerson)
                if call.conversation != person.teams.personal_conversation:
                    continue
                if call.kind == "delete":
                    person.cards.pop(call.activity_id or "", None)
                    continue
                ref = call.activity_id if call.kind == "update" else call.posted_id
                person.cards[ref] = call
                if person is to:
                    shown.append(_teams_message(ref, call))
        return Seen(tuple(shown))

    async def deliver(self) -> None:
        await Outbox(self.store, {"teams": self.served.messenger}, clock=utc_now).drain()


# -- starting one --------------------------------------------------------------------------


async def open_chat(platform: str, stack: AsyncExitStack, database_url: str) -> Chat:
    """The bot on ``platform``, on an empty database, with nobody listed as admin (roles
    are the scenario's, set as an operator sets them); it stops when ``stack`` closes."""
    if platform == "console":
        settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
        service = await open_service(settings)
        stack.push_async_callback(service.store.dispose)
        return ConsoleChat(service)
    if platform == "slack":
        fake = FakeSlack()
        await fake.start()
        stack.push_async_callback(fake.stop)
        slack = await launch(stack, fake, database_url, postpoc_admins="")
        return SlackChat(slack, database_url)
    if platform == "teams":
        fake_teams = stack.enter_context(FakeBotFramework())
        url = resolve_url(database_url)
        upgrade(url)
        store = Store(make_engine(url))
        stack.push_async_callback(store.dispose)
        running = serve(store, fake_teams, [], postpoc_admins="")
        served = await anext(running)
        stack.push_async_callback(running.aclose)
        return TeamsChat(served)
    raise ValueError(f"no driver for {platform!r}")


@cache
def bank() -> Bank:
    return load_bank()


def is_text_question(key: str) -> bool:
    return bank().question(key).type == QuestionKind.TEXT


def is_yes_no_question(key: str) -> bool:
    return bank().question(key).type == QuestionKind.YES_NO
