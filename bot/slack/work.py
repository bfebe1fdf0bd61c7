"""Work still running after Slack got its ack.

Every listener acknowledges first and works after (Slack's 3 seconds), so
the HTTP response says nothing about when the work ends. This counts it: a
stopping process waits for it (a rolling deploy loses no answer), and tests
wait for it instead of sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any


class Work:
    def __init__(self) -> None:
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        return self._pending

    @contextmanager
    def track(self) -> Iterator[None]:
        """Enter before the first ``await`` of a listener, so the work is
        counted before Slack's request is answered."""
        self._pending += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._pending -= 1
            if not self._pending:
                self._idle.set()

    def start(self, job: Coroutine[Any, Any, None]) -> None:
        """Run ``job`` in the background, counted like a request."""

        async def tracked() -> None:
            with self.track():
                await job

        task = asyncio.get_running_loop().create_task(tracked())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self, seconds: float) -> bool:
        """Wait until nothing is running; False if ``seconds`` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True
