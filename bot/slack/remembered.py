"""Where each question was posted and how to reach each person, kept in
memory in front of the database.

Every answer reads a person's address (their DM, the question left open in
it) and writes it back, and remembers where its next question was posted
(:mod:`bot.slack.questions`). Read from the database each time and written
each in its own transaction, that bookkeeping cost four transactions per
answer, more than the answer itself. Here what was read or written stays in
this process, and writes wait to ride with the next transaction that writes
anyway (:mod:`storage.behind`, one statement per table for however many
answers are waiting), together with the inbox row's ``done``: should the
process die first, the row is taken again and the person shown where they are.

Replicas: a person's address is taken as current for :data:`FRESH_SECONDS`
after this process last read or wrote it; after that it is read again. A
person whose requests alternate between replicas faster than that may find
the question of an earlier message left open (the core refuses an answer to
it as one that moved on); nothing stored is wrong. Where a question was
posted never changes but by a repost, which is written through here.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from conversations.platform_state import PlatformState
from storage.repository import Store

FRESH_SECONDS = 10.0
"""How long an address read or written here is taken as current."""
KEEP = 20_000
"""Addresses and posted messages kept in memory, at most, each."""


class Remembered:
    def __init__(
        self,
        platform: PlatformState,
        store: Store,
        *,
        clock: Callable[[], float] = time.monotonic,
        fresh_seconds: float = FRESH_SECONDS,
    ) -> None:
        self.platform = platform
        self.store = store
        self.clock = clock
        self.fresh_seconds = fresh_seconds
        self._ids: dict[str, int] = {}
        self._addresses: OrderedDict[tuple[str, str], tuple[float, dict[str, Any] | None]] = (
            OrderedDict()
        )
        self._posted: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def _workspace_id(self, workspace: str) -> int:
        found = self._ids.get(workspace)
        if found is None:
            found = await self.platform.workspace_id(workspace)
            self._ids[workspace] = found
        return found

    @staticmethod
    def _keep(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > KEEP:
            cache.popitem(last=False)

    # -- addresses -----------------------------------------------------------------

    async def address(self, workspace: str, target: str) -> dict[str, Any] | None:
        key = (workspace, target)
        known = self._addresses.get(key)
        if known is not None and self.clock() - known[0] < self.fresh_seconds:
            return dict(known[1]) if known[1] is not None else None
        workspace_id = await self._workspace_id(workspace)
        async with self.store.reading() as repo:
            row = await repo.address(workspace_id, target)
            found = dict(row.data) if row is not None else None
        self._keep(self._addresses, key, (self.clock(), found))
        return dict(found) if found is not None else None

    async def remember_address(self, workspace: str, target: str, data: dict[str, Any]) -> None:
        workspace_id = await self._workspace_id(workspace)
        self._keep(self._addresses, (workspace, target), (self.clock(), dict(data)))
        self.store.behind.address(workspace_id, target, data, self.platform.clock())

    # -- posted questions -----------------------------------------------------------

    async def posted(self, workspace: str, token: str) -> str | None:
        known = self._posted.get((workspace, token))
        if known is not None:
            return known
        # Not remembered as absent: another replica may post it at any time.
        workspace_id = await self._workspace_id(workspace)
        async with self.store.reading() as repo:
            row = await repo.posted(workspace_id, token)
            found = row.ref if row is not None else None
        if found is not None:
            self._keep(self._posted, (workspace, token), found)
        return found

    async def remember_posted(self, workspace: str, token: str, ref: str) -> None:
        workspace_id = await self._workspace_id(workspace)
        self._keep(self._posted, (workspace, token), ref)
        self.store.behind.posted(workspace_id, token, ref, self.platform.clock())

    async def repost(self, workspace: str, token: str, ref: str) -> None:
        await self._written_through(workspace, token)
        await self.platform.repost(workspace, token, ref)
        self._keep(self._posted, (workspace, token), ref)

    async def swap_posted(self, workspace: str, token: str, ref: str) -> str | None:
        await self._written_through(workspace, token)
        earlier = await self.platform.swap_posted(workspace, token, ref)
        self._keep(self._posted, (workspace, token), ref)
        return earlier

    async def _written_through(self, workspace: str, token: str) -> None:
        """A write of ``token`` still waiting is older than the one about to be
        made: it must not land after it."""
        workspace_id = self._ids.get(workspace)
        if workspace_id is not None and (workspace_id, token) in self.store.behind.waiting.posted:
            await self.store.behind.settled()
