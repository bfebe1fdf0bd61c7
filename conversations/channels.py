"""Channels, as the core names them and asks about them.

A reference in text. The core writes a channel into a message with
:func:`channel_ref`: the id between two private-use characters. Each adapter
renders it: Slack as a channel link (``<#C123>``), Teams and the console as
the id, as before (:func:`render_channels`). Inbound text never carries the
two characters (:mod:`conversations.limits` replaces them), so a person can't
forge a reference.

Whether the bot can post there. Before a channel is named as a POC's home
or subscribed, the core asks the adapter through :class:`ChannelAccess` (the
adapter puts one on the :class:`~conversations.messages.Inbound`); Slack
asks its Web API whether the bot is a member, Teams whether the bot is in the
team. Nothing is saved unless the answer is yes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

OPEN, CLOSE = "\ue000", "\ue001"
_REF = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]*){CLOSE}")
MARKS = re.compile(f"[{OPEN}{CLOSE}]")


def channel_ref(channel_id: str) -> str:
    """``channel_id`` as a reference the adapter renders (a link on Slack)."""
    return f"{OPEN}{MARKS.sub('', channel_id)}{CLOSE}"


def render_channels(text: str, render: Callable[[str], str] | None = None) -> str:
    """``text`` with each channel reference rendered by ``render`` (default:
    the bare id); a stray mark is dropped."""
    shown = _REF.sub(lambda found: (render or str)(found.group(1)), text)
    return MARKS.sub("", shown)


class Reach(StrEnum):
    """What an adapter knows about posting in a channel."""

    YES = "yes"
    NOT_MEMBER = "not_member"
    """The bot is not in the channel (or can't see it): it must be invited."""
    UNKNOWN = "unknown"
    """The platform could not be asked (an outage, a refused call)."""


class ChannelAccess(Protocol):
    async def can_post(self, channel_id: str) -> Reach:
        """Whether the bot can post in ``channel_id`` of the asker's workspace."""
        ...


class Anywhere:
    """Where every channel is open to the bot (the console, tests of the core)."""

    async def can_post(self, channel_id: str) -> Reach:
        return Reach.YES


class Known:
    """What an adapter found out before the core ran (without holding the
    core's transaction open on a second one); other channels are unknown."""

    def __init__(self, reach: dict[str, Reach]) -> None:
        self.reach = dict(reach)

    async def can_post(self, channel_id: str) -> Reach:
        return self.reach.get(channel_id, Reach.UNKNOWN)
