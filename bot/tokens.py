"""``postpoc token <poc>``: a POC's telemetry secret, from the command line.

For the operator wiring an agent's telemetry to ``POST /hooks/readings``; the
same secret ``/poc token`` gives a lead or the owner in chat.
"""

from __future__ import annotations

from datetime import datetime

from bot.admin import AdminError, choose_workspace
from conversations import telemetry
from storage.repository import Store


async def token(
    store: Store, handle: str, workspace_key: str | None, rotate: bool, now: datetime
) -> str:
    async with store.unit() as repo:
        workspace = await choose_workspace(repo, workspace_key)
        assert workspace.id is not None
        poc = await repo.poc(workspace.id, handle)
        if poc is None:
            raise AdminError(f"no POC {handle!r} in workspace {workspace.key}")
        secret, row = await telemetry.issue_secret(repo, poc, rotate=rotate, by=None, now=now)
        if secret is None:
            raise AdminError(
                f"{poc.handle} already has a telemetry token (made {row.created_at:%Y-%m-%d}); "
                "it is shown only once: --rotate makes a new one and the old one stops working"
            )
        await repo.audits.write(
            workspace.id,
            "telemetry_token_rotated" if rotate else "telemetry_token_created",
            poc_id=poc.id,
            detail={"by": "cli"},
            at=now,
        )
        return secret
