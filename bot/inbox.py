"""Handling what the inbox holds: after the ack, in order per person, on any replica.

An adapter keeps a request (:meth:`Inboxes.accept`: one committed row, which
also tells a redelivery from a new request), acknowledges it, and asks for
its person's lane to be worked through (:meth:`Inboxes.drain`). Draining a
lane takes its oldest pending row (a claim with a lease, refused while an
older row of the same person is pending anywhere), runs the adapter's
handler for that kind of row, marks it done, and goes on with the next one of
that person. So whichever replica finishes a person's request goes on with
their next, and two replicas never run one person's requests side by side.

A process that dies mid-step leaves its row leased; the lease is renewed
while a step runs, so it runs out only for a dead worker, and :meth:`sweep`
(at start-up and every few seconds after) finds it and drains its lane. The
core's own claim of the delivery id (in the step's transaction) makes a step
run twice a duplicate, so nothing is applied twice; the handler is told it
is a retry, to show the person where they are rather than nothing.

The common case skips the claim (:meth:`Inboxes.keep`, Slack): the INSERT
that keeps a request also says whether an earlier row of its person waits;
if none does, the request's own worker runs it at once, the step's
transaction marks the row applied (``storage.inbox.take_in_step``, in place
of the delivery id's claim) and leases it for the replies, and ``done`` waits
to ride with the next transaction that writes (``finish_behind``,
:mod:`storage.behind`). A row not yet applied is unleased, so the periodic
sweeps leave rows younger than a lease to the worker that kept them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.inbox import Arrival, Inbox
from storage.models import InboxEntry, InboxStatus
from storage.repository import Store, Unavailable

log = logging.getLogger("postpoc.inbox")

Clock = Callable[[], datetime]
Handler = Callable[[InboxEntry, bool], Awaitable[None]]
"""Runs one row's step; the flag says a worker took it before (it may have been applied)."""

LEASE_SECONDS = 4.0
"""How long a claim holds without renewal: the wait before a dead worker's row is taken again."""
RENEW_EVERY = LEASE_SECONDS / 3
SWEEP_EVERY = 1.0
"""Seconds between looks for rows a dead worker left."""
ATTEMPTS = 25
"""A row taken this many times without finishing is given up (logged), so that
one poisoned request (one that kills its process, or always fails) does not
hold its person's later ones for ever. High, because a take cut by a process
that died for another reason (a deploy, a crash elsewhere) counts too."""
RETRY_AFTER = timedelta(seconds=5)
KEEP = timedelta(days=7)
"""Handled rows are kept this long, to recognise a redelivery."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Inboxes:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utc_now,
        lease_seconds: float = LEASE_SECONDS,
        finish_behind: bool = False,
    ) -> None:
        self.rows = Inbox(store)
        self.store = store
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self.handlers: dict[str, Handler] = {}
        # Whether a handled row's ``done`` waits to ride with the next write
        # (storage.behind), for handlers whose own writes wait there too.
        self.finish_behind = finish_behind
        # Rows kept here unleased (behind an earlier one of their lane), per lane:
        # a lane's worker looks for more rows only when some may be waiting.
        self._queued: dict[str, int] = {}

    def on(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    async def accept(self, arrival: Arrival) -> int | None:
        """Commit ``arrival``'s row: its id, or None for a redelivery.

        Raises :class:`~storage.repository.Unavailable` when the database can't
        take it: the adapter then falls back to handling the request at once.
        """
        return await self.rows.put(arrival, self.clock())

    async def keep(self, arrival: Arrival) -> InboxEntry | None:
        """Commit ``arrival``'s row: the row, or None for a redelivery. A row
        with ``attempts`` 1 waits behind no earlier row of its lane: give it
        to :meth:`drain` as ``first``, handled with no claim to make. Raises
        as :meth:`accept`."""
        kept = await self.rows.keep(arrival, self.clock())
        if kept is not None and not kept.attempts:
            self._queued[arrival.lane] = self._queued.get(arrival.lane, 0) + 1
        return kept

    async def drain(
        self,
        lane: str,
        own: Mapping[int, Handler] | None = None,
        first: InboxEntry | None = None,
    ) -> int:
        """Handle ``lane``'s pending rows, oldest first, while this worker can
        claim them; how many it handled. ``own`` handles the rows it names
        instead of their kind's handler (a request still in its HTTP turn, whose
        replies can go in that turn). ``first``: a row :meth:`keep` gave this
        worker, handled first without a claim (until its step marks it applied
        it is unleased: the periodic sweeps leave rows that young alone); the
        lane is then looked at again only if a row was kept here behind it
        (another replica's is found by the sweep)."""
        handled = 0
        if first is not None:
            await self._run(first, (own or {}).get(first.id or 0))
            handled += 1
            if not self._queued.get(lane):
                return handled
        while True:
            now = self.clock()
            head = await self.rows.head(lane, now)
            if head is None:
                self._queued.pop(lane, None)
                return handled
            entry = await self.rows.claim(head, now, now + self.lease)
            if entry is None:
                return handled  # another worker has it, and will go on with the lane
            if self._queued.get(lane):
                self._queued[lane] -= 1
            await self._run(entry, (own or {}).get(head))
            handled += 1

    async def _run(self, entry: InboxEntry, handler: Handler | None = None) -> None:
        assert entry.id is not None
        if entry.attempts > ATTEMPTS:
            log.warning(
                "inbox: row %s (%s) given up after %s attempts", entry.id, entry.kind, ATTEMPTS
            )
            await self.rows.finish(entry.id, self.clock(), InboxStatus.FAILED)
            return
        handler = handler or self.handlers.get(entry.kind)
        if handler is None:
            log.warning("inbox: no handler for %s rows here; row %s left", entry.kind, entry.id)
            await self.rows.release(entry.id, self.clock() + self.lease)
            return
        renewing = asyncio.ensure_future(self._renew(entry.id))
        try:
            await handler(entry, entry.attempts > 1)
        except Exception:
            log.exception("inbox: the step of row %s (%s) failed", entry.id, entry.kind)
            renewing.cancel()
            await self.rows.release(entry.id, self.clock() + RETRY_AFTER)
            return
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        if self.finish_behind:
            # Done with what its replies left (storage.behind): should this
            # process die first, the row is taken again and found applied.
            self.store.behind.finished(entry.id, self.clock(), InboxStatus.DONE)
            return
        await self.rows.finish(entry.id, self.clock())

    async def _renew(self, entry_id: int) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY)
            try:
                await self.rows.renew(entry_id, self.clock() + self.lease)
            except Unavailable:
                log.warning("inbox: could not renew the lease of row %s", entry_id)

    async def waiting(self, grace: float = 0.0) -> list[str]:
        """Lanes with a row no live worker holds (for :meth:`sweep` or the
        adapter's own); ``grace``: only rows kept at least that many seconds ago
        (a younger one is about to be taken by the request that kept it)."""
        now = self.clock()
        return list(await self.rows.waiting_lanes(now, before=now - timedelta(seconds=grace)))

    async def sweep(self) -> int:
        """Drain every lane left waiting; how many rows were handled."""
        handled = 0
        for lane in await self.waiting():
            handled += await self.drain(lane)
        return handled

    async def purge(self) -> int:
        return await self.rows.purge(self.clock() - KEEP)


class Background:
    """Work left running after an HTTP response: counted, so that a stopping
    process waits for it and tests wait for it instead of sleeping."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def start(self, job: Coroutine[Any, Any, Any] | asyncio.Future[Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(job)
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception())
        if not self._tasks:
            self._idle.set()

    async def settled(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True
