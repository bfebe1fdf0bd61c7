"""Every unprompted post goes through the outbox, and goes out once.

A post is a :class:`~conversations.ports.outbox.Post` with an idempotency
key (what, for whom, which period): computing it twice, on two replicas or in
a job run twice, queues it once. Sending is claim → post → record:

- claim: the row moves from ``pending`` to ``sending`` with a lease, in a
  committed transaction; a second worker's claim fails;
- post: through the platform's :class:`Messenger`, retried with back-off
  (tenacity) while the platform answers 429/5xx, honouring Retry-After; a
  post that still fails goes back to ``pending`` with a later due time;
- record: ``sent`` with the platform's reference.

If the process dies between post and record, the lease runs out and the next
worker asks the messenger whether the post is there (it carries its key). If
it is, the row is recorded as sent; if not, it is sent; if the platform can't
tell, it is marked ``unconfirmed`` and not sent again: late (or, rarely,
missing and flagged) rather than twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from conversations import wire
from conversations.channels import channel_ref
from conversations.delivery import DeliveryError, Destination, Messenger
from conversations.i18n import N_, translator
from conversations.messages import Reply, Say
from conversations.metrics import OUTBOX_BACKLOG, POSTS
from conversations.ports.outbox import DeliveryStatus, Post
from storage.repository import Repo, Store

log = logging.getLogger("postpoc.outbox")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class OutboxSettings:
    lease_seconds: int = 300
    attempts_per_pass: int = 4
    longest_wait_in_pass: float = 30.0
    first_backoff_seconds: float = 30.0
    longest_backoff_seconds: float = 3600.0
    batch: int = 100


@dataclass
class DrainReport:
    sent: int = 0
    rescheduled: int = 0
    failed: int = 0
    unconfirmed: int = 0
    recovered: int = 0
    retries: int = 0
    keys: list[str] = field(default_factory=list)

    @property
    def settled(self) -> int:
        """Posts that reached an end in this pass (a thread's first message among them)."""
        return self.sent + self.recovered + self.failed + self.unconfirmed


def destination_of(delivery: Post, workspace_key: str) -> Destination:
    data = delivery.payload.get("destination", {})
    return Destination(
        workspace=workspace_key,
        channel=data.get("channel"),
        person=data.get("person"),
        thread=data.get("thread"),
    )


def delivery_row(
    *,
    workspace_id: int,
    key: str,
    kind: str,
    destination: Destination,
    replies: Sequence[Reply],
    due_at: datetime,
    parent_key: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Post:
    """The outbox's post for one message, computed once and stored as is."""
    target = (
        f"channel:{destination.channel}" if destination.channel else f"person:{destination.person}"
    )
    payload = {
        "destination": {
            "channel": destination.channel,
            "person": destination.person,
            "thread": destination.thread,
        },
        "replies": wire.dump_all(list(replies)),
        **(extra or {}),
    }
    return Post(
        workspace_id=workspace_id,
        key=key,
        kind=kind,
        target=target,
        payload=payload,
        parent_key=parent_key,
        due_at=due_at,
        created_at=due_at,
    )


@dataclass(frozen=True)
class Orphan:
    """A thread reply whose thread can't be found: it fails rather than wait
    forever, or go out on its own where it would make no sense."""

    reason: str


FAILURE_NOTICE = "failure_notice"
"""The kind of the DM that tells a lead a post of theirs failed for good."""
FAILED_POST = N_(
    "I could not post {what} in channel {channel}: {reason}. If I am not a member "
    "of that channel, invite me there (in Slack: /invite @postpoc), and I will post "
    "there from the next time on."
)
KIND_NAMES = {
    "decision": N_("the decision"),
    "nudge": N_("the weekly health nudge"),
}


def notify(person: str, locale: str) -> dict[str, Any]:
    """``extra`` for :func:`delivery_row`: whom to tell, in their DM, if the
    post fails for good (the lead who took the decision or subscribed)."""
    return {"notify": {"person": person, "locale": locale}}


async def enqueue(repo: Repo, **post: Any) -> bool:
    """Queue one post (see :func:`delivery_row`), once per key. Returns False
    when the key was already queued."""
    return await repo.outbox.enqueue(delivery_row(**post))


class Outbox:
    def __init__(
        self,
        store: Store,
        messengers: Mapping[str, Messenger],
        *,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        settings: OutboxSettings | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.messengers = messengers
        self.clock = clock
        self.sleep = sleep
        self.settings = settings or OutboxSettings()
        self.jitter = jitter

    async def drain(self) -> DrainReport:
        """Send everything that is due; returns what happened."""
        report = DrainReport()
        async with self.store.unit() as repo:
            due = list(await repo.outbox.due(self.clock(), self.settings.batch))
        waiting = [delivery for delivery in due if not await self._one(delivery, report)]
        if waiting and report.settled:
            # A thread's first message may have just gone out (its replies can
            # follow now) or ended without a thread (they fail now).
            for delivery in waiting:
                await self._one(delivery, report)
        if report.failed:
            # A post that failed for good queued a notice to its lead: tell them now.
            async with self.store.unit() as repo:
                again = await repo.outbox.due(self.clock(), self.settings.batch)
            for delivery in again:
                if delivery.kind == FAILURE_NOTICE:
                    await self._one(delivery, report)
        async with self.store.unit() as repo:
            OUTBOX_BACKLOG.set(
                await repo.outbox.count(DeliveryStatus.PENDING)
                + await repo.outbox.count(DeliveryStatus.SENDING)
            )
        return report

    async def _one(self, seen: Post, report: DrainReport) -> bool:
        """Handle one due post; False when it waits for its thread's first message."""
        now = self.clock()
        async with self.store.unit() as repo:
            workspace = await repo.installs.by_id(seen.workspace_id)
            parent_ref = await self._parent_ref(repo, seen)
            if parent_ref is False:
                return False
            was_sending = seen.status == DeliveryStatus.SENDING
            lease = now + timedelta(seconds=self.settings.lease_seconds)
            delivery = await repo.outbox.claim(seen, now, lease)
            if delivery is None:
                return True
        if isinstance(parent_ref, Orphan):
            await self._finish(delivery, DeliveryStatus.FAILED, error=parent_ref.reason)
            report.failed += 1
            return True
        if workspace is None or not workspace.active:
            await self._finish(
                delivery, DeliveryStatus.FAILED, error="the bot is no longer installed there"
            )
            report.failed += 1
            return True
        messenger = self.messengers.get(workspace.key.split(":", 1)[0])
        if messenger is None:
            await self._reschedule(delivery, "no messenger for this platform in this process", None)
            report.rescheduled += 1
            return True
        destination = destination_of(delivery, workspace.key)
        if isinstance(parent_ref, str):
            destination = Destination(
                destination.workspace, destination.channel, destination.person, parent_ref
            )
        if was_sending and await self._recover(delivery, messenger, destination, report):
            return True
        await self._send(delivery, messenger, destination, report)
        return True

    async def _parent_ref(self, repo: Repo, delivery: Post) -> str | bool | Orphan | None:
        """Where a thread reply goes: its first message's ref; None for a post
        of its own; False while the first message is still to go; an
        :class:`Orphan` when it ended without a ref (failed, or unconfirmed:
        it may be in the channel, but where is not known)."""
        if delivery.parent_key is None:
            return None
        parent = await repo.outbox.get(delivery.parent_key)
        if parent is not None and parent.status in (
            DeliveryStatus.FAILED,
            DeliveryStatus.UNCONFIRMED,
        ):
            return Orphan(f"its thread's first message is {parent.status.value}")
        if parent is None or parent.status != DeliveryStatus.SENT or not parent.platform_ref:
            return False
        return parent.platform_ref

    async def _recover(
        self,
        delivery: Post,
        messenger: Messenger,
        destination: Destination,
        report: DrainReport,
    ) -> bool:
        """A previous sender vanished mid-send. True when the row is settled."""
        since = delivery.due_at - timedelta(minutes=5)
        try:
            found = await messenger.find(destination, delivery.key, since)
        except NotImplementedError:
            log.warning(
                "a post may or may not have gone out; not sending it twice (%s)",
                delivery.key,
            )
            await self._finish(
                delivery, DeliveryStatus.UNCONFIRMED, error="sender stopped mid-send"
            )
            report.unconfirmed += 1
            return True
        except DeliveryError as error:
            await self._reschedule(delivery, error.reason, error.retry_after, sending=True)
            report.rescheduled += 1
            return True
        if found is None:
            return False
        await self._finish(delivery, DeliveryStatus.SENT, ref=found)
        report.recovered += 1
        report.keys.append(delivery.key)
        return True

    async def _send(
        self,
        delivery: Post,
        messenger: Messenger,
        destination: Destination,
        report: DrainReport,
    ) -> None:
        replies = wire.load_all(delivery.payload.get("replies", []))
        try:
            ref = await self._post_with_retries(messenger, destination, replies, delivery, report)
        except DeliveryError as error:
            if error.retryable:
                await self._reschedule(delivery, error.reason, error.retry_after)
                report.rescheduled += 1
            else:
                await self._finish(delivery, DeliveryStatus.FAILED, error=error.reason)
                report.failed += 1
            return
        await self._finish(delivery, DeliveryStatus.SENT, ref=ref)
        report.sent += 1
        report.keys.append(delivery.key)

    async def _post_with_retries(
        self,
        messenger: Messenger,
        destination: Destination,
        replies: Sequence[Reply],
        delivery: Post,
        report: DrainReport,
    ) -> str:
        settings = self.settings

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            asked = error.retry_after if isinstance(error, DeliveryError) else None
            backoff = min(settings.longest_wait_in_pass, 2 ** (state.attempt_number - 1))
            return asked if asked is not None else backoff * (0.5 + self.jitter())

        def retryable(error: BaseException) -> bool:
            if not isinstance(error, DeliveryError) or not error.retryable:
                return False
            # Too long a wait holds the lease: leave it to a later pass.
            return error.retry_after is None or error.retry_after <= settings.longest_wait_in_pass

        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(settings.attempts_per_pass),
            wait=wait,
            retry=retry_if_exception(retryable),
            sleep=self.sleep,
            reraise=True,
        ):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    report.retries += 1
                    POSTS.labels(delivery.kind, "retried").inc()
                return await messenger.post(destination, replies, key=delivery.key)
        raise AssertionError("unreachable: tenacity reraises")

    async def _finish(
        self,
        delivery: Post,
        status: DeliveryStatus,
        *,
        ref: str | None = None,
        error: str | None = None,
    ) -> None:
        POSTS.labels(delivery.kind, status.value).inc()
        async with self.store.unit() as repo:
            row = await repo.outbox.settle(
                delivery.key,
                status,
                at=self.clock(),
                ref=ref[:200] if ref is not None else None,
                error=error[:500] if error is not None else None,
            )
            if status == DeliveryStatus.FAILED:
                await self._failed_for_good(repo, row)

    async def _failed_for_good(self, repo: Repo, row: Post) -> None:
        """Say so where someone will read it: a WARNING with the outbox id, and
        the lead the post was for, in their DM (queued, so sent once)."""
        log.warning(
            "post failed for good: outbox id %s, kind %s, to %s: %s",
            row.id,
            row.kind,
            row.target,
            row.last_error,
        )
        told = row.payload.get("notify")
        channel = (row.payload.get("destination") or {}).get("channel")
        if row.kind == FAILURE_NOTICE or not isinstance(told, dict) or not channel:
            return
        workspace = await repo.installs.by_id(row.workspace_id)
        if workspace is None or not workspace.active or not told.get("person"):
            return
        t = translator(str(told.get("locale") or "en"))
        what = t(KIND_NAMES.get(row.kind, N_("a post")))
        notice = Say(
            t(FAILED_POST, what=what, channel=channel_ref(channel), reason=row.last_error or "?")
        )
        await enqueue(
            repo,
            workspace_id=row.workspace_id,
            key=f"failed:{row.key}"[:200],
            kind=FAILURE_NOTICE,
            destination=Destination(workspace.key, person=str(told["person"])),
            replies=[notice],
            due_at=self.clock(),
        )

    async def _reschedule(
        self, delivery: Post, reason: str, retry_after: float | None, *, sending: bool = False
    ) -> None:
        backoff = min(
            self.settings.longest_backoff_seconds,
            self.settings.first_backoff_seconds * 2 ** max(0, delivery.attempts - 1),
        )
        delay = max(backoff, retry_after or 0.0)
        async with self.store.unit() as repo:
            await repo.outbox.reschedule(
                delivery.key,
                due_at=self.clock() + timedelta(seconds=delay),
                error=reason[:500],
                sending=sending,
            )
        POSTS.labels(delivery.kind, "rescheduled").inc()
        log.info("post rescheduled in %.0f s: %s", delay, reason)
