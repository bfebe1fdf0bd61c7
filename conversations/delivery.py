"""The port through which the core posts unprompted: nudges, check-ins,
decision posts. Each platform adapter implements :class:`Messenger`.

A messenger posts what it is given once and raises :class:`DeliveryError`
when it could not; it never retries on its own beyond what its SDK does for a
single call, because the outbox decides when to try again (and must know
whether a post went out, to never post twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from conversations.messages import Reply


@dataclass(frozen=True)
class Destination:
    """Where to post: a channel, or a person's direct conversation with the bot.

    ``thread`` is the platform reference of a message to reply under (the
    reference a previous :meth:`Messenger.post` returned).
    """

    workspace: str
    channel: str | None = None
    person: str | None = None
    thread: str | None = None


class DeliveryError(Exception):
    """A post did not go out.

    ``retryable``: a rate limit, an outage, a timeout; try again later (after
    ``retry_after`` seconds when the platform said). Not retryable: the bot
    was removed, the channel is gone, the token was revoked.
    """

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class Messenger(Protocol):
    platform: str
    """The prefix of the workspace keys this messenger serves ("slack", "teams", "console")."""

    async def post(
        self, destination: Destination, replies: Sequence[Reply], *, key: str | None = None
    ) -> str:
        """Post ``replies`` as one message where possible; return its platform reference.

        ``key`` is the outbox's idempotency key: carry it in the message where
        the platform allows (a Slack block id, a Teams activity's channel data)
        so that :meth:`find` can recognise the post later.
        """
        ...

    async def find(self, destination: Destination, key: str, since: datetime) -> str | None:
        """The reference of a post carrying ``key`` made since ``since``, if any.

        Called when a sender died between posting and recording. Raise
        ``NotImplementedError`` when the platform can't tell; the outbox then
        does not post again.
        """
        ...
