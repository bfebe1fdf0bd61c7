"""Work still running after Slack got its ack.

A listener answers Slack's HTTP request when it returns (the app runs with
``process_before_response``), so whatever may happen after the ack is
started here, in the background:

- **counted**, so that a stopping process waits for it (a rolling deploy
  loses no reply) and tests wait for it instead of sleeping;
- **capped** at :data:`SLOTS` jobs at once, so that replies (several Web API
  calls and database transactions each) never crowd out the requests still
  waiting for their ack: those run outside the cap;
- **in order per person** (``key``): the replies to someone's second answer
  never overtake those of their first (which would post the next question
  before the current one and leave the wrong one open).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger("postpoc.slack")

SLOTS = 4
"""Background jobs running at once. Measured with ``make bench``: more lets
replies compete with acknowledgements for the database; fewer slows the
replies themselves."""


class Work:
    def __init__(self, slots: int = SLOTS) -> None:
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._slots = asyncio.Semaphore(slots)
        self._tasks: set[asyncio.Task[None]] = set()
        self._last: dict[Hashable, asyncio.Task[None]] = {}

    @property
    def pending(self) -> int:
        return self._pending

    @contextmanager
    def track(self) -> Iterator[None]:
        """Count the work in the block as pending."""
        self._pending += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._pending -= 1
            if not self._pending:
                self._idle.set()

    def start(
        self,
        job: Coroutine[Any, Any, None],
        *,
        key: Hashable | None = None,
        capped: bool = True,
    ) -> None:
        """Run ``job`` in the background, counted at once (before the ack goes).

        Jobs with the same ``key`` run one after the other, in the order they
        were started. ``capped=False`` skips the queue, for what can't wait
        (a modal must be opened within 3 s of the click).
        """
        before = self._last.get(key) if key is not None else None

        # Counted now: the task may not have started when the response goes.
        self._pending += 1
        self._idle.clear()

        async def run() -> None:
            try:
                if before is not None:
                    await asyncio.wait({before})
                if capped:
                    async with self._slots:
                        await job
                else:
                    await job
            except Exception:
                log.exception("slack: background work failed")
            finally:
                self._pending -= 1
                if not self._pending:
                    self._idle.set()

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if key is not None:
            self._last[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))

    def _forget(self, key: Hashable, done: asyncio.Task[None]) -> None:
        if self._last.get(key) is done:
            del self._last[key]

    async def settled(self, seconds: float) -> bool:
        """Wait until nothing is running; False if ``seconds`` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True


class Turns:
    """One request at a time per person through the core, in arrival order.

    A person's answers must be stored in the order they were typed: the core
    applies a typed answer to whatever question is current. Acknowledged
    within Slack's 3 seconds, a person can send the next answer before the
    last one is stored (the core is slow, the ack did not wait); without
    this, the second could be stored first, against the wrong question.

    :meth:`take` reserves the person's place in line at once, when the
    request arrives (not when its work starts, which may be later); the turn
    then waits for the one before it to end, for :data:`TURN_WAIT` seconds at
    most. Within one process: replicas get a person's requests from Slack in
    order in practice, and the core refuses a button pressed on a question
    that has moved on.
    """

    def __init__(self) -> None:
        self._last: dict[Hashable, asyncio.Future[None]] = {}

    def take(self, key: Hashable) -> Turn:
        before = self._last.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[key] = done

        def forget(_: object) -> None:
            if self._last.get(key) is done:
                del self._last[key]

        done.add_done_callback(forget)
        return Turn(before, done)


TURN_WAIT = 60.0
"""Longest a request waits for the person's previous one (then it goes anyway)."""


class Turn:
    def __init__(self, before: asyncio.Future[None] | None, done: asyncio.Future[None]) -> None:
        self.before = before
        self.done = done

    async def __aenter__(self) -> None:
        if self.before is not None and not self.before.done():
            await asyncio.wait({self.before}, timeout=TURN_WAIT)

    async def __aexit__(self, *_: object) -> None:
        self.release()

    def release(self) -> None:
        if not self.done.done():
            self.done.set_result(None)
