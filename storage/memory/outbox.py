"""The outbox in memory (``conversations.ports.outbox``)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from conversations.ports.outbox import SETTLED, DeliveryStatus, Post
from storage.memory.clock import utc


def _copy(post: Post) -> Post:
    """A post as stored, or as read: its payload is its own, as a database's row is."""
    return replace(post, payload=copy.deepcopy(dict(post.payload)))


class MemoryOutbox:
    def __init__(self) -> None:
        self._posts: dict[str, Post] = {}
        self._next_id = 1

    def snapshot(self) -> object:
        return dict(self._posts), self._next_id

    def restore(self, snapshot: object) -> None:
        assert isinstance(snapshot, tuple)
        self._posts, self._next_id = snapshot

    async def enqueue(self, post: Post) -> bool:
        return bool(await self.enqueue_all([post]))

    async def enqueue_all(self, posts: Sequence[Post]) -> set[str]:
        added: set[str] = set()
        for post in posts:
            if post.key in self._posts:
                continue
            self._posts[post.key] = replace(
                _copy(post),
                id=self._next_id,
                due_at=utc(post.due_at),
                created_at=utc(post.created_at or post.due_at),
                lease_until=utc(post.lease_until),
                sent_at=utc(post.sent_at),
            )
            self._next_id += 1
            added.add(post.key)
        return added

    async def queued(self, keys: Sequence[str]) -> set[str]:
        return {key for key in keys if key in self._posts}

    async def get(self, key: str) -> Post | None:
        post = self._posts.get(key)
        return _copy(post) if post is not None else None

    async def due(self, now: datetime, limit: int) -> Sequence[Post]:
        due = [
            post
            for post in self._posts.values()
            if (post.status == DeliveryStatus.PENDING and post.due_at <= now)
            or (
                post.status == DeliveryStatus.SENDING
                and post.lease_until is not None
                and post.lease_until < now
            )
        ]
        due.sort(key=lambda post: (post.due_at, post.id or 0))
        return [_copy(post) for post in due[:limit]]

    async def claim(self, seen: Post, now: datetime, lease_until: datetime) -> Post | None:
        assert seen.id is not None, "claim a post as read from the outbox"
        post = self._posts.get(seen.key)
        if (
            post is None
            or post.id != seen.id
            or (post.status, post.attempts) != (seen.status, seen.attempts)
        ):
            return None
        return self._put(
            post,
            status=DeliveryStatus.SENDING,
            lease_until=utc(lease_until),
            attempts=post.attempts + 1,
        )

    async def settle(
        self,
        key: str,
        status: DeliveryStatus,
        *,
        at: datetime,
        ref: str | None = None,
        error: str | None = None,
    ) -> Post:
        if status not in SETTLED:
            raise ValueError(f"a post is not settled as {status.value}")
        post = self._found(key)
        settled = replace(post, status=status, lease_until=None)
        if ref is not None:
            settled = replace(settled, platform_ref=ref, sent_at=utc(at))
        if error is not None:
            settled = replace(settled, last_error=error)
        return self._put(settled)

    async def reschedule(
        self, key: str, *, due_at: datetime, error: str, sending: bool = False
    ) -> Post:
        return self._put(
            self._found(key),
            status=DeliveryStatus.SENDING if sending else DeliveryStatus.PENDING,
            due_at=utc(due_at),
            lease_until=utc(due_at) if sending else None,
            last_error=error,
        )

    async def last_sent(self, kind: str, target: str, workspace_id: int) -> Post | None:
        return (await self.last_sent_to(kind, [target], workspace_id)).get(target)

    async def last_sent_to(
        self, kind: str, targets: Sequence[str], workspace_id: int
    ) -> dict[str, Post]:
        wanted = set(targets)
        latest: dict[str, Post] = {}
        for post in self._posts.values():
            if (
                post.workspace_id != workspace_id
                or post.kind != kind
                or post.target not in wanted
                or post.status != DeliveryStatus.SENT
            ):
                continue
            best = latest.get(post.target)
            if best is None or (post.due_at, post.id or 0) > (best.due_at, best.id or 0):
                latest[post.target] = post
        return {target: _copy(post) for target, post in latest.items()}

    async def count(self, status: DeliveryStatus) -> int:
        return sum(1 for post in self._posts.values() if post.status == status)

    def _found(self, key: str) -> Post:
        post = self._posts.get(key)
        if post is None:
            raise LookupError(f"no post {key!r} in the outbox")
        return post

    def _put(self, post: Post, **changes: object) -> Post:
        changed = replace(post, **changes)  # type: ignore[arg-type]
        self._posts[post.key] = changed
        return _copy(changed)
