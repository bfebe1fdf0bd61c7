"""Small writes that may wait a moment, written together with the next
transaction that writes anyway.

After a Slack answer is stored and replied to, three small facts are left to
keep: where its next question was posted (:class:`PostedMessage`), the
person's address with their open question (:class:`Address`), and that its
inbox row is done. Each in its own transaction, they cost more write
transactions (each taking SQLite's one write lock) than the answer itself.
Here they wait in memory and ride along with the next unit of work that
writes (:meth:`Store.unit` asks :meth:`WriteBehind.ride`), one statement per
table for however many answers are waiting; when no such unit comes within
:data:`FLUSH_AFTER` seconds they are written on their own.

The fallback is the inbox: a row is marked done only together with the
facts its replies left, so should the process die before they are written,
the row is taken again (its lease runs out), its step is found applied, and
the person is shown the question they are at: nothing the person needs is
lost, at worst a question is posted again. A ride whose transaction fails is
kept for the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import upsert
from storage.models import Address, InboxEntry, InboxStatus, PostedMessage, UTCDateTime

if TYPE_CHECKING:
    from storage.repository import Store

log = logging.getLogger("postpoc.storage")

FLUSH_AFTER = 0.5
"""Seconds a write waits for a transaction to ride with before it is written on its own."""
RIDE_AFTER = 0.05
RIDE_AT = 8
"""A unit takes what waits once the oldest has waited this long or this many
rows are done: one statement per table then covers several answers."""

ADDRESS: sa.Table = Address.__table__  # type: ignore[attr-defined]
POSTED: sa.Table = PostedMessage.__table__  # type: ignore[attr-defined]
INBOX: sa.Table = InboxEntry.__table__  # type: ignore[attr-defined]
FINISH = (
    sa.update(INBOX)
    .where(INBOX.c.id == sa.bindparam("entry_id"))
    .values(
        status=sa.bindparam("new_status"),
        done_at=sa.func.coalesce(INBOX.c.done_at, sa.bindparam("at", type_=UTCDateTime())),
        lease_until=None,
    )
)
"""Inbox rows handled (storage.inbox), one executemany for the batch."""


class Batch:
    """What one ride writes."""

    def __init__(self) -> None:
        self.addresses: dict[tuple[int, str], tuple[dict[str, Any], datetime]] = {}
        self.posted: dict[tuple[int, str], tuple[str, datetime]] = {}
        self.finished: dict[int, tuple[InboxStatus, datetime]] = {}

    def __bool__(self) -> bool:
        return bool(self.addresses or self.posted or self.finished)

    def under(self, newer: Batch) -> Batch:
        """This batch with ``newer``'s writes on top (they replace this one's)."""
        self.addresses.update(newer.addresses)
        self.posted.update(newer.posted)
        self.finished.update(newer.finished)
        return self


class WriteBehind:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.waiting = Batch()
        self._since: float | None = None
        """When the oldest write now waiting was kept (the event loop's clock)."""
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    # -- what waits ------------------------------------------------------------------

    def address(self, workspace_id: int, target: str, data: dict[str, Any], at: datetime) -> None:
        self.waiting.addresses[(workspace_id, target)] = (dict(data), at)
        self._soon()

    def posted(self, workspace_id: int, token: str, ref: str, at: datetime) -> None:
        self.waiting.posted[(workspace_id, token)] = (ref, at)
        self._soon()

    def finished(self, entry_id: int, at: datetime, status: InboxStatus) -> None:
        self.waiting.finished[entry_id] = (status, at)
        self._soon()

    @property
    def pending(self) -> bool:
        return bool(self.waiting) or bool(self._flushing)

    # -- riding along ----------------------------------------------------------------

    async def ride(self, session: AsyncSession, *, now: bool = False) -> Batch | None:
        """Write what waits inside ``session``'s transaction, if it has waited
        long enough (or ``now``); the batch taken (give it back to
        :meth:`missed` should the transaction not commit), or None."""
        if not self.waiting or not (now or self._ripe()):
            return None
        batch, self.waiting, self._since = self.waiting, Batch(), None
        try:
            await self._write(session, batch)
        except BaseException:
            self.missed(batch)
            raise
        return batch

    def missed(self, batch: Batch | None) -> None:
        """The ride's transaction did not commit: its writes wait again (under
        anything written since, which is newer)."""
        if batch is not None:
            self.waiting = batch.under(self.waiting)
            self._soon()

    async def _write(self, session: AsyncSession, batch: Batch) -> None:
        dialect = session.bind.dialect.name if session.bind is not None else ""
        if batch.posted:
            statement = upsert(POSTED, dialect)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["workspace_id", "token"],
                    set_={
                        "ref": statement.excluded.ref,
                        "created_at": statement.excluded.created_at,
                    },
                ),
                [
                    {"workspace_id": ws, "token": token, "ref": ref, "created_at": at}
                    for (ws, token), (ref, at) in batch.posted.items()
                ],
            )
        if batch.addresses:
            statement = upsert(ADDRESS, dialect)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["workspace_id", "target"],
                    set_={
                        "data": statement.excluded.data,
                        "updated_at": statement.excluded.updated_at,
                    },
                ),
                [
                    {"workspace_id": ws, "target": target, "data": data, "updated_at": at}
                    for (ws, target), (data, at) in batch.addresses.items()
                ],
            )
        if batch.finished:
            await session.execute(
                FINISH,
                [
                    {"entry_id": entry_id, "new_status": str(status), "at": at}
                    for entry_id, (status, at) in batch.finished.items()
                ],
            )

    # -- on its own ------------------------------------------------------------------

    def _ripe(self) -> bool:
        if len(self.waiting.finished) >= RIDE_AT:
            return True
        with contextlib.suppress(RuntimeError):
            since = self._since
            return since is None or asyncio.get_running_loop().time() - since >= RIDE_AFTER
        return True

    def _soon(self) -> None:
        with contextlib.suppress(RuntimeError):
            if self._since is None:
                self._since = asyncio.get_running_loop().time()
        if self._timer is not None:
            return
        with contextlib.suppress(RuntimeError):  # no running loop: flushed at the next unit
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(FLUSH_AFTER, self._start_flush)

    def _start_flush(self) -> None:
        self._timer = None
        if not self.waiting:
            return
        task = asyncio.ensure_future(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        """Write what waits now, in a transaction of its own (if nothing else took it)."""
        try:
            async with self.store.unit(all_waiting=True):
                pass  # the unit takes what waits (Store.unit rides it)
        except Exception as error:  # kept for the next unit; the inbox covers a crash
            log.warning("write-behind: could not write (%s); kept", type(error).__name__)
            self._soon()

    async def settled(self, tries: int = 3) -> bool:
        """Write what waits now (a stopping process, a test); False when the
        database did not take it after ``tries``."""
        for _ in range(tries):
            if self._flushing:
                await asyncio.gather(*self._flushing, return_exceptions=True)
            if not self.waiting:
                return True
            await self.flush()
        return not self.waiting
