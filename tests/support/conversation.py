"""Conversations with the core, written like scripts.

    alice = people.person("alice")
    replies = await alice.says("/poc new Invoice agent")
    assert "invoice-agent" in text(replies)

Each person talks to the same :class:`Service` (one database) through the
same platform-neutral events an adapter would build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.console.render import render
from conversations.messages import ActionInput, Actor, Ask, Inbound, PersonRef, Place, Reply
from conversations.service import Service


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def text(replies: Sequence[Reply]) -> str:
    """Everything the replies show, as the console prints it."""
    return "\n".join(line for reply in replies for line in render(reply))


def last_ask(replies: Sequence[Reply]) -> Ask:
    asks = [r for r in replies if isinstance(r, Ask)]
    assert asks, f"no question in:\n{text(replies)}"
    return asks[-1]


@dataclass
class Person:
    service: Service
    user: str
    workspace: str = "test:acme"
    locale: str = "en"
    timezone: str = "Europe/Paris"
    dm: str = field(default="")
    delivery: int = 0

    @property
    def actor(self) -> Actor:
        return Actor(self.workspace, self.user, self.user.title(), self.locale, self.timezone)

    def _place(self, channel: str | None) -> Place:
        return Place(channel_id=channel or f"D-{self.user}", is_direct=channel is None)

    async def says(
        self, line: str, *, reply_to: str | None = None, delivery_id: str | None = None
    ) -> list[Reply]:
        """Types ``line`` in the direct conversation; ``/poc ...`` is a command."""
        is_command = line.lower().startswith("/poc")
        inbound = Inbound(
            actor=self.actor,
            place=self._place(None),
            text=line[4:].strip() if is_command else line,
            is_command=is_command,
            mentions=_mentions(line),
            reply_to=reply_to,
            delivery_id=delivery_id,
        )
        return list((await self.service.handle(inbound)).replies)

    async def runs(self, command: str, *, channel: str = "C-team") -> list[Reply]:
        """Runs a command in a channel (a slash command, an @mention)."""
        inbound = Inbound(
            actor=self.actor,
            place=self._place(channel),
            text=command,
            is_command=True,
            mentions=_mentions(command),
        )
        return list((await self.service.handle(inbound)).replies)

    async def presses(
        self, ask: Ask, *values: str, mentions: tuple[PersonRef, ...] = ()
    ) -> list[Reply]:
        """Presses a button / submits a picker on the prompt ``ask``."""
        inbound = Inbound(
            actor=self.actor,
            place=self._place(None),
            action=ActionInput(ask.token, values),
            mentions=mentions,
        )
        return list((await self.service.handle(inbound)).replies)


def _mentions(line: str) -> tuple[PersonRef, ...]:
    return tuple(
        PersonRef(w[1:].lower(), w[1:]) for w in line.split() if w.startswith("@") and len(w) > 1
    )
