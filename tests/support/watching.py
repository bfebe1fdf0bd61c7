"""A fake platform for the weekly watch: records posts, fails on demand."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from conversations.delivery import DeliveryError, Destination
from conversations.messages import Reply
from tests.support.conversation import text


class Crash(BaseException):
    """The process dies here: nothing after this line runs."""


@dataclass
class Post:
    destination: Destination
    replies: tuple[Reply, ...]
    key: str | None
    ref: str

    @property
    def text(self) -> str:
        return text(self.replies)


@dataclass
class FakeMessenger:
    platform: str = "test"
    posts: list[Post] = field(default_factory=list)
    failures: deque[BaseException] = field(default_factory=deque)
    crash_after_posting: set[str] = field(default_factory=set)
    can_find: bool = True
    attempts: int = 0

    async def post(
        self, destination: Destination, replies: Sequence[Reply], *, key: str | None = None
    ) -> str:
        self.attempts += 1
        if self.failures:
            raise self.failures.popleft()
        ref = f"msg-{len(self.posts) + 1}"
        self.posts.append(Post(destination, tuple(replies), key, ref))
        if key in self.crash_after_posting:
            self.crash_after_posting.discard(key)
            raise Crash(key)
        return ref

    async def find(self, destination: Destination, key: str, since: datetime) -> str | None:
        if not self.can_find:
            raise NotImplementedError
        return next((p.ref for p in self.posts if p.key == key), None)

    def to_channel(self, channel: str) -> list[Post]:
        return [p for p in self.posts if p.destination.channel == channel]

    def to_person(self, person: str) -> list[Post]:
        return [p for p in self.posts if p.destination.person == person]

    def posted_keys(self) -> list[str | None]:
        return [p.key for p in self.posts]


def rate_limited(after: float = 1.0) -> DeliveryError:
    return DeliveryError("ratelimited", retryable=True, retry_after=after)


def outage() -> DeliveryError:
    return DeliveryError("internal_error", retryable=True)


class Sleeps:
    """An injected sleep: records how long the code asked to wait, waits not at all."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
