"""Stopping without dropping a request: the drain after SIGTERM.

Kubernetes sends SIGTERM when a pod is to go, while the Service may still
route a few requests to it. So on SIGTERM the process keeps listening,
``/readyz`` answers 503 at once (the pod leaves the Service's endpoints),
and the requests in flight, and any that still arrive, are served; once none
is in flight (or ``DRAIN_SECONDS`` have passed) the server closes.
Probes and scrapes are not counted: a readiness probe every few seconds must
not keep a draining process alive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager


class Drain:
    def __init__(self) -> None:
        self.draining = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @contextmanager
    def request(self) -> Iterator[None]:
        """Count the block as a request in flight."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    def start(self) -> None:
        """From now on, not ready."""
        self.draining = True

    async def finished(self, seconds: float) -> bool:
        """Wait until no request is in flight; False if ``seconds`` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True
