"""The outbox: every unprompted post, queued once under its key, sent once.

A post is queued ``pending``; a sender claims it (``sending``, with a lease)
in a compare-and-set that only one claim of the same reading wins; it ends
``sent`` (with the platform's reference), ``failed`` (for good), or
``unconfirmed`` (its sender vanished and the platform can't say whether it
went out: not sent again). A post whose lease ran out is due again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class Post:
    """One message to send, as queued and as read back.

    ``key`` makes it once: queuing a key already queued changes nothing.
    ``target`` is ``channel:<id>`` or ``person:<id>``; ``payload`` (a JSON
    document) says where exactly and what; ``parent_key`` names the post whose
    thread this one goes in. The rest is the outbox's bookkeeping, which a new
    post leaves at its defaults (``id`` is None until it is queued).
    """

    workspace_id: int
    key: str
    kind: str
    target: str
    due_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    parent_key: str | None = None
    created_at: datetime | None = None
    """When it was queued; ``due_at`` when left out."""
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    platform_ref: str | None = None
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    id: int | None = None


SETTLED = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.UNCONFIRMED})
"""Where a post ends: :meth:`Outbox.settle` takes one of these."""


class Outbox(Protocol):
    async def enqueue(self, post: Post) -> bool:
        """Queue one post; False (and nothing written) when its key is queued already."""
        ...

    async def enqueue_all(self, posts: Sequence[Post]) -> set[str]:
        """Queue many posts at once; the keys that were new (the others are left as they are)."""
        ...

    async def queued(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are queued already, whatever their status."""
        ...

    async def get(self, key: str) -> Post | None: ...

    async def due(self, now: datetime, limit: int) -> Sequence[Post]:
        """Pending posts due by ``now`` and posts whose lease ran out, earliest due first."""
        ...

    async def claim(self, seen: Post, now: datetime, lease_until: datetime) -> Post | None:
        """Take ``seen`` (as :meth:`due` returned it) for sending: ``sending``
        until ``lease_until``, one attempt more. None when it changed since it
        was read (another sender claimed it first): a reading is claimed once."""
        ...

    async def settle(
        self,
        key: str,
        status: DeliveryStatus,
        *,
        at: datetime,
        ref: str | None = None,
        error: str | None = None,
    ) -> Post:
        """End a claimed post with a status of :data:`SETTLED`; its lease is
        dropped. ``ref`` (the platform's message) marks it sent at ``at``;
        ``error`` is kept as its last error."""
        ...

    async def reschedule(
        self, key: str, *, due_at: datetime, error: str, sending: bool = False
    ) -> Post:
        """Try again at ``due_at``: pending, or still ``sending`` (with its lease
        until then) when whether it went out is yet to be found."""
        ...

    async def last_sent(self, kind: str, target: str, workspace_id: int) -> Post | None:
        """The latest due post of ``kind`` sent to ``target``."""
        ...

    async def last_sent_to(
        self, kind: str, targets: Sequence[str], workspace_id: int
    ) -> dict[str, Post]:
        """:meth:`last_sent` for many targets at once, by target (those sent to)."""
        ...

    async def count(self, status: DeliveryStatus) -> int:
        """Posts in ``status``, in every workspace (the backlog gauge)."""
        ...
