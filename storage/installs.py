"""Installations in SQL (``conversations.ports.installs``), on the ``workspace`` table.

Through the ORM rows, so that a workspace row the same unit holds (the one a
handler's context carries) sees an (un)install made beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from conversations.ports.installs import Installation
from storage.models import Workspace


def _installation(row: Workspace) -> Installation:
    assert row.id is not None
    return Installation(id=row.id, key=row.key, name=row.name, active=row.active)


class SqlInstalls:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _row(self, key: str) -> Workspace | None:
        result = await self.session.execute(select(Workspace).where(Workspace.key == key))
        return result.scalar_one_or_none()

    async def _made(self, key: str) -> Workspace:
        row = await self._row(key)
        if row is None:
            # Two first installs at once: the loser's unit raises Conflict and
            # is run again, finding the winner's row.
            row = Workspace(key=key)
            self.session.add(row)
            await self.session.flush()
        return row

    async def find(self, key: str) -> Installation | None:
        row = await self._row(key)
        return _installation(row) if row is not None else None

    async def by_id(self, installation_id: int) -> Installation | None:
        row = await self.session.get(Workspace, installation_id)
        return _installation(row) if row is not None else None

    async def ensure(self, key: str) -> Installation:
        return _installation(await self._made(key))

    async def activate(self, key: str, name: str = "") -> Installation:
        row = await self._made(key)
        if not row.active or (name and row.name != name):
            row.active = True
            row.name = name or row.name
            self.session.add(row)
            await self.session.flush()
        return _installation(row)

    async def deactivate(self, key: str) -> Installation | None:
        row = await self._row(key)
        if row is None or not row.active:
            return None
        row.active = False
        self.session.add(row)
        await self.session.flush()
        return _installation(row)

    async def every(self) -> Sequence[Installation]:
        result = await self.session.execute(select(Workspace).order_by(col(Workspace.id)))
        return [_installation(row) for row in result.scalars().all()]
