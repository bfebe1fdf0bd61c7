"""Inbox work left after the HTTP response: each person's lane drained by one
task at a time, a few lanes at once.

A message is answered (201) once its inbox row is committed; :meth:`Lanes.kick`
then asks for its person's lane to be drained (``bot.inbox.Inboxes.drain``):

- **one task per lane**: a kick while that lane's task runs (the person's
  next message, a redelivery, the sweep) only tells it to look once more when
  it is done, so one person's rows are never raced for within a process (the
  inbox's claim still orders them across replicas);
- **capped** at :data:`SLOTS` lanes at once, so that steps and their replies
  (several database transactions and Bot Connector calls each) never crowd out
  the requests still waiting for their response: those run outside the cap;
- **counted**, so that a stopping process waits for it (a rolling deploy
  loses no reply) and tests wait for it instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot.inbox import Background

log = logging.getLogger("postpoc.teams")

SLOTS = 4
"""Lanes drained at once. Measured with ``python -m benchmarks --only teams``:
more lets steps compete with the requests' inbox commits for the database and
the event loop; fewer slows the replies themselves."""

Drain = Callable[[str], Coroutine[Any, Any, int]]


class Lanes:
    def __init__(self, drain: Drain, slots: int = SLOTS) -> None:
        self._drain = drain
        self._slots = asyncio.Semaphore(slots)
        self._running: set[str] = set()
        self._again: set[str] = set()
        self._work = Background()

    @property
    def pending(self) -> int:
        return self._work.pending

    def kick(self, lane: str) -> None:
        """Drain ``lane`` soon: now, or once more after the drain already under way."""
        if lane in self._running:
            self._again.add(lane)
            return
        self._running.add(lane)
        self.start(self._lane(lane))

    def start(self, job: Coroutine[Any, Any, None]) -> None:
        """Run ``job`` in the background, counted at once (before the response goes)."""
        self._work.start(job)

    async def _lane(self, lane: str) -> None:
        try:
            async with self._slots:
                while True:
                    # A kick that came while this task waited for its slot is
                    # served by the drain about to start.
                    self._again.discard(lane)
                    await self._drain(lane)
                    if lane not in self._again:
                        return
        finally:
            self._running.discard(lane)
            self._again.discard(lane)

    async def settled(self, seconds: float) -> bool:
        """Wait until nothing is running; False if ``seconds`` passed first."""
        return await self._work.settled(seconds)
