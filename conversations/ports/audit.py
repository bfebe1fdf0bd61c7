"""The audit trail: who did what, when, in which workspace and on which POC.

Written in the same transaction as the change it records; read back whole for
a workspace (export, checks) or for one POC (its decision record), oldest
first; purged after the retention an admin chose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class AuditEvent:
    """One recorded action. ``detail`` is a JSON document (what changed)."""

    id: int
    workspace_id: int
    action: str
    created_at: datetime
    person_id: int | None = None
    poc_id: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


class AuditLog(Protocol):
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
        """Record ``action``; ``detail`` is stored as given (JSON values only)."""
        ...

    async def of_workspace(self, workspace_id: int) -> Sequence[AuditEvent]:
        """Every event of one workspace, in the order written."""
        ...

    async def of_poc(self, poc_id: int) -> Sequence[AuditEvent]:
        """The trail of one POC, in the order written (the decision record)."""
        ...

    async def purge(self, before: datetime) -> int:
        """Delete the events written before ``before``; how many were."""
        ...
