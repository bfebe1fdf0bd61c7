"""One contract, three stores: every test here runs on SQLite and PostgreSQL
(marked ``storage``) and on the in-memory stores of ``storage.memory``.

A test sees a :class:`Backend`: ``unit()`` opens a unit of work whose stores
(``audits``, ``outbox``, ``installs``) are the ports of ``conversations.ports``;
``workspace`` and ``poc`` make the rows the SQL tables' foreign keys need
(the in-memory stores need none, and get plain numbers).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
from pathlib import Path
from typing import Protocol

import pytest

from conversations.ports.audit import AuditLog
from conversations.ports.installs import Installs
from conversations.ports.outbox import Outbox
from storage.database import make_engine, resolve_url
from storage.memory import MemoryStores
from storage.migrate import upgrade
from storage.models import Poc
from storage.repository import Store
from tests.conftest import postgres_database


class Stores(Protocol):
    audits: AuditLog
    outbox: Outbox
    installs: Installs


class Backend(Protocol):
    name: str

    def unit(self) -> AbstractAsyncContextManager[Stores]: ...

    async def workspace(self, key: str) -> int: ...

    async def poc(self, workspace_id: int, handle: str) -> int: ...


class SqlBackend:
    def __init__(self, name: str, store: Store) -> None:
        self.name = name
        self.store = store

    def unit(self) -> AbstractAsyncContextManager[Stores]:
        return self.store.unit()

    async def workspace(self, key: str) -> int:
        async with self.store.unit() as repo:
            workspace = await repo.add_workspace(key, key.upper())
            assert workspace.id is not None
            return workspace.id

    async def poc(self, workspace_id: int, handle: str) -> int:
        async with self.store.unit() as repo:
            poc = await repo.add_poc(Poc(workspace_id=workspace_id, handle=handle, title=handle))
            assert poc.id is not None
            return poc.id


class MemoryBackend:
    name = "memory"

    def __init__(self) -> None:
        self.stores = MemoryStores()
        self._ids = 0

    def unit(self) -> AbstractAsyncContextManager[Stores]:
        return self.stores.unit()

    async def workspace(self, key: str) -> int:
        self._ids += 1
        return self._ids

    async def poc(self, workspace_id: int, handle: str) -> int:
        self._ids += 1
        return self._ids


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.storage),
        pytest.param("postgresql", marks=pytest.mark.storage),
        "memory",
    ]
)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "memory":
        yield MemoryBackend()
        return
    database: AbstractContextManager[str] = (
        nullcontext(f"sqlite:///{tmp_path / 'postpoc.db'}")
        if request.param == "sqlite"
        else postgres_database(request.getfixturevalue("postgres_server_url"))
    )
    with database as url:
        resolved = resolve_url(url)
        upgrade(resolved)
        store = Store(make_engine(resolved))
        try:
            yield SqlBackend(request.param, store)
        finally:
            await store.dispose()
