"""Installations in memory (``conversations.ports.installs``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from conversations.ports.installs import Installation


class MemoryInstalls:
    def __init__(self) -> None:
        self._by_key: dict[str, Installation] = {}

    def snapshot(self) -> object:
        return dict(self._by_key)

    def restore(self, snapshot: object) -> None:
        assert isinstance(snapshot, dict)
        self._by_key = snapshot

    async def find(self, key: str) -> Installation | None:
        return self._by_key.get(key)

    async def by_id(self, installation_id: int) -> Installation | None:
        return next((i for i in self._by_key.values() if i.id == installation_id), None)

    async def ensure(self, key: str) -> Installation:
        found = self._by_key.get(key)
        if found is None:
            ids = [i.id for i in self._by_key.values()]
            found = self._by_key[key] = Installation(id=max(ids, default=0) + 1, key=key)
        return found

    async def activate(self, key: str, name: str = "") -> Installation:
        found = await self.ensure(key)
        changed = replace(found, active=True, name=name or found.name)
        self._by_key[key] = changed
        return changed

    async def deactivate(self, key: str) -> Installation | None:
        found = self._by_key.get(key)
        if found is None or not found.active:
            return None
        changed = self._by_key[key] = replace(found, active=False)
        return changed

    async def every(self) -> Sequence[Installation]:
        return sorted(self._by_key.values(), key=lambda i: i.id)
