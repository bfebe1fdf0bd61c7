"""The audit trail in memory (``conversations.ports.audit``), for tests and
for the contract suite that holds it to the SQL one's behaviour."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from conversations.ports.audit import AuditEvent
from storage.memory.clock import utc


def _copy(event: AuditEvent) -> AuditEvent:
    """What a read hands out is the reader's, as a row read from a database is."""
    return replace(event, detail=copy.deepcopy(dict(event.detail)))


class MemoryAuditLog:
    def __init__(self) -> None:
        self._events: list[AuditEvent] = []
        self._next_id = 1

    def snapshot(self) -> object:
        return list(self._events), self._next_id

    def restore(self, snapshot: object) -> None:
        assert isinstance(snapshot, tuple)
        self._events, self._next_id = snapshot

    async def write(
        self,
        workspace_id: int,
        action: str,
        *,
        at: datetime,
        person_id: int | None = None,
        poc_id: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        self._events.append(
            AuditEvent(
                id=self._next_id,
                workspace_id=workspace_id,
                action=action,
                created_at=utc(at),
                person_id=person_id,
                poc_id=poc_id,
                # A copy, as a database keeps its own: the caller's dict may change.
                detail=copy.deepcopy(dict(detail or {})),
            )
        )
        self._next_id += 1

    async def of_workspace(self, workspace_id: int) -> Sequence[AuditEvent]:
        return [_copy(e) for e in self._events if e.workspace_id == workspace_id]

    async def of_poc(self, poc_id: int) -> Sequence[AuditEvent]:
        return [_copy(e) for e in self._events if e.poc_id == poc_id]

    async def purge(self, before: datetime) -> int:
        kept = [e for e in self._events if e.created_at >= utc(before)]
        purged = len(self._events) - len(kept)
        self._events = kept
        return purged
