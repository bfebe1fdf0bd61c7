"""The console driver: each person at their own ``postpoc chat`` (the console adapter,
:class:`bot.console.chat.Console`, in this process), one database.

A terminal has no buttons: a numbered choice is pressed by typing its number, a card's
button by typing the command it shows. What the outbox sends a person shows in their
own terminal when they come back (``postpoc chat`` with a watch prints the outbox's
posts in the terminal that runs it, whoever they are for)."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Iterable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime

from bot.config import Settings
from bot.console.chat import COMMAND_PREFIX, Console, console_actor
from bot.console.render import render
from bot.runtime import open_service
from conversations.delivery import Destination
from conversations.engine import read_token
from conversations.messages import Answered, Ask, Card, Reply
from conversations.outbox import Outbox
from conversations.service import Service, utc_now
from tests.support.scenario import Chat, Message, Person, Seen, command_for


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
        return await self.runs(command_for(self.lines, other))

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


async def open_console(stack: AsyncExitStack, database_url: str) -> Chat:
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    service = await open_service(settings)
    stack.push_async_callback(service.store.dispose)
    return ConsoleChat(service)
