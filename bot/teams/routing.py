"""Which replies go where, and in how many messages. Pure.

Teams has no ephemeral messages: anything said in a channel thread is seen by
everyone in it. So, for a command run in a channel:

- CHANNEL replies answer in the thread, for all to see (a decision, a
  ``summary post``);
- DIRECT replies go to the person's personal chat with the bot;
- PRIVATE replies (confirmations, errors, cards, questions: what only the
  person asked for) go to the personal chat, and the thread gets one line
  saying so: a channel stays quiet, as on Slack, where they are ephemeral.

In the personal chat everything is answered where it was asked. Replies to
one place are merged into as few messages as possible (Teams limits a bot to
about seven messages a second per conversation): each question is a message
of its own, because it is updated once answered, and so is a card with a
slot (a recommendation), because a later version replaces it; the rest is
merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from conversations.messages import Answered, Ask, Card, Reply, Visibility


class Where(StrEnum):
    HERE = "here"
    """The conversation the activity came from (the thread, in a channel)."""
    PERSONAL = "personal"
    """The person's personal chat with the bot."""


@dataclass(frozen=True)
class Message:
    """One outgoing activity: a question card, or one card of merged replies."""

    where: Where
    replies: tuple[Reply, ...]

    @property
    def question(self) -> Ask | None:
        first = self.replies[0]
        return first if isinstance(first, Ask) else None

    @property
    def slot(self) -> str | None:
        """The ``Card.slot`` of a card sent on its own (its latest version replaces it)."""
        first = self.replies[0]
        return first.slot if isinstance(first, Card) else None

    @property
    def alone(self) -> bool:
        """Nothing may be merged into it: a question, or a card with a slot."""
        return self.question is not None or self.slot is not None


@dataclass(frozen=True)
class Plan:
    settle: tuple[Answered, ...]
    """Questions answered: their cards are updated so they can't be answered twice."""
    messages: tuple[Message, ...]
    moved_to_personal: bool
    """Private replies were sent to the personal chat: say so in the thread."""


def where(reply: Reply, *, personal: bool) -> Where:
    if personal or reply.visibility == Visibility.CHANNEL:
        return Where.HERE
    return Where.PERSONAL


def plan(replies: Sequence[Reply], *, personal: bool) -> Plan:
    settle: list[Answered] = []
    messages: list[Message] = []
    moved = False
    for reply in replies:
        if isinstance(reply, Answered):
            settle.append(reply)
            continue
        target = where(reply, personal=personal)
        moved = moved or (target == Where.PERSONAL and reply.visibility == Visibility.PRIVATE)
        last = _last_to(messages, target)
        if _alone(reply) or last is None or messages[last].alone:
            messages.append(Message(target, (reply,)))
        else:
            messages[last] = Message(target, (*messages[last].replies, reply))
    return Plan(tuple(settle), tuple(messages), moved)


def _alone(reply: Reply) -> bool:
    return isinstance(reply, Ask) or (isinstance(reply, Card) and reply.slot is not None)


def _last_to(messages: Sequence[Message], target: Where) -> int | None:
    """The index of the last message to ``target``."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].where == target:
            return index
    return None


def add_here(messages: Sequence[Message], reply: Reply) -> tuple[Message, ...]:
    """``messages`` with one more reply to the conversation where it all started."""
    planned = list(messages)
    last = _last_to(planned, Where.HERE)
    if last is None or planned[last].alone or _alone(reply):
        return (*planned, Message(Where.HERE, (reply,)))
    planned[last] = Message(Where.HERE, (*planned[last].replies, reply))
    return tuple(planned)
