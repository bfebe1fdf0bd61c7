"""SQLite's one writer, taken in turns within this process."""

from __future__ import annotations

import asyncio
from collections import deque


class WriterTurns:
    """This process's writers of one SQLite database, one at a time: first
    come first served, but that an acknowledgement (``urgent``: one INSERT the
    platform waits on) goes before the steps still waiting. A step waits for
    at most the acknowledgements that arrive while it waits, each one short;
    an acknowledgement waits for the one transaction running, not the queue."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()

    async def acquire(self, urgent: bool = False) -> None:
        if not self._held and not self._urgent and not self._others:
            self._held = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        line = self._urgent if urgent else self._others
        line.append(turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self.release()  # granted as it was cancelled: pass it on
            else:
                line.remove(turn)
            raise

    def release(self) -> None:
        for line in (self._urgent, self._others):
            while line:
                turn = line.popleft()
                if not turn.done():
                    turn.set_result(None)  # held on, by the next in line
                    return
        self._held = False
