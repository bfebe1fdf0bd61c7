"""The stores of ``conversations.ports`` in memory: real implementations, held
to the SQL ones' behaviour by the same contract suite (tests/storage/contract).

:class:`MemoryStores` gives them a unit of work as ``Store.unit()`` does: what
a unit wrote is kept when it ends, and undone when it raises.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from conversations.ports.audit import AuditLog
from conversations.ports.installs import Installs
from conversations.ports.outbox import Outbox
from storage.memory.audit import MemoryAuditLog
from storage.memory.installs import MemoryInstalls
from storage.memory.outbox import MemoryOutbox


class _Undoable(Protocol):
    def snapshot(self) -> object: ...

    def restore(self, snapshot: object) -> None: ...


class MemoryStores:
    def __init__(self) -> None:
        self.audits = MemoryAuditLog()
        self.outbox = MemoryOutbox()
        self.installs = MemoryInstalls()

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[MemoryStores]:
        stores: tuple[_Undoable, ...] = (self.audits, self.outbox, self.installs)
        saved = [store.snapshot() for store in stores]
        try:
            yield self
        except BaseException:
            for store, snapshot in zip(stores, saved, strict=True):
                store.restore(snapshot)
            raise


def _ports(stores: MemoryStores) -> tuple[AuditLog, Outbox, Installs]:
    """Never called: mypy checks here that each store implements its port."""
    return stores.audits, stores.outbox, stores.installs
