"""The audit trail in SQL (``conversations.ports.audit``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from conversations.ports.audit import AuditEvent
from storage.models import AuditEvent as AuditRow


def _event(row: AuditRow) -> AuditEvent:
    assert row.id is not None
    return AuditEvent(
        id=row.id,
        workspace_id=row.workspace_id,
        action=row.action,
        created_at=row.created_at,
        person_id=row.person_id,
        poc_id=row.poc_id,
        detail=dict(row.detail),
    )


class SqlAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
        self.session.add(
            AuditRow(
                workspace_id=workspace_id,
                person_id=person_id,
                poc_id=poc_id,
                action=action,
                detail=dict(detail or {}),
                created_at=at,
            )
        )
        await self.session.flush()

    async def of_workspace(self, workspace_id: int) -> Sequence[AuditEvent]:
        result = await self.session.execute(
            select(AuditRow).where(AuditRow.workspace_id == workspace_id).order_by(col(AuditRow.id))
        )
        return [_event(row) for row in result.scalars().all()]

    async def of_poc(self, poc_id: int) -> Sequence[AuditEvent]:
        result = await self.session.execute(
            select(AuditRow).where(AuditRow.poc_id == poc_id).order_by(col(AuditRow.id))
        )
        return [_event(row) for row in result.scalars().all()]

    async def purge(self, before: datetime) -> int:
        result = await self.session.execute(
            sa.delete(AuditRow).where(col(AuditRow.created_at) < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
