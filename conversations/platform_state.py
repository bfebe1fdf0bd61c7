"""What adapters remember about their platform, kept with the rest of the data.

Adapters are stateless (several replicas may serve one workspace), so what
they need from one request to the next lives in the database, reached
through these calls: where a question was posted (to settle it later), how to
reach a person or a channel unprompted, and whether the bot is still
installed in a workspace.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from conversations import identity
from storage.models import PostedMessage, Workspace
from storage.repository import Repo, Store, Unavailable


async def _workspace(repo: Repo, key: str) -> Workspace:
    workspace = await repo.workspace(key)
    if workspace is None:
        workspace = await repo.add_workspace(key)
    return workspace


class PlatformState:
    def __init__(self, store: Store, clock: Any) -> None:
        self.store = store
        self.clock = clock

    async def workspace_id(self, workspace: str) -> int:
        """The id of ``workspace`` (added if unknown), for writes kept to ride
        with a later transaction (storage.behind)."""
        async with self.store.unit() as repo:
            found = await _workspace(repo, workspace)
            assert found.id is not None
            return found.id

    async def remember_posted(self, workspace: str, token: str, ref: str) -> None:
        """The question carrying ``token`` was posted as message ``ref``."""
        async with self.store.unit() as repo:
            found = await _workspace(repo, workspace)
            assert found.id is not None
            await repo.remember_posted(
                PostedMessage(workspace_id=found.id, token=token, ref=ref, created_at=self.clock())
            )

    async def repost(self, workspace: str, token: str, ref: str) -> None:
        """The question carrying ``token`` is now shown in message ``ref``
        (posted again further down): it is the one to settle from now on."""
        async with self.store.unit() as repo:
            found = await _workspace(repo, workspace)
            assert found.id is not None
            await repo.repost(found.id, token, ref, self.clock())

    async def swap_posted(self, workspace: str, token: str, ref: str) -> str | None:
        """Remember ``ref`` under ``token``; the ref remembered before, if any
        (in one transaction: the message to retire, and its successor)."""
        async with self.store.unit() as repo:
            found = await _workspace(repo, workspace)
            assert found.id is not None
            before = await repo.posted(found.id, token)
            earlier = before.ref if before else None
            await repo.repost(found.id, token, ref, self.clock())
            return earlier

    async def posted(self, workspace: str, token: str) -> str | None:
        async with self.store.unit() as repo:
            found = await repo.workspace(workspace)
            if found is None or found.id is None:
                return None
            posted = await repo.posted(found.id, token)
            return posted.ref if posted else None

    async def remember_address(self, workspace: str, target: str, data: dict[str, Any]) -> None:
        """How to reach ``target`` (``person:<id>`` or ``channel:<id>``) later."""
        async with self.store.unit() as repo:
            found = await _workspace(repo, workspace)
            assert found.id is not None
            now: datetime = self.clock()
            await repo.remember_address(found.id, target, data, now)

    async def address(self, workspace: str, target: str) -> dict[str, Any] | None:
        async with self.store.unit() as repo:
            found = await repo.workspace(workspace)
            if found is None or found.id is None:
                return None
            address = await repo.address(found.id, target)
            return dict(address.data) if address else None

    async def is_active(self, workspace: str) -> bool:
        """Whether the bot is (still) installed in ``workspace``. When the
        database can't say, yes: the event then goes to the core, which tells
        the person to try again, rather than being dropped without a word."""
        try:
            async with self.store.unit() as repo:
                found = await repo.installs.find(workspace)
                return found is None or found.active
        except Unavailable:
            return True

    async def deactivate(self, workspace: str, reason: str) -> None:
        """The bot was removed from ``workspace``: nothing is posted there again.

        The workspace's data stays (an admin exports or erases it); installing
        the bot again reactivates it.
        """
        async with self.store.unit() as repo:
            found = await repo.installs.deactivate(workspace)
            if found is None:
                return
            await repo.audits.write(
                found.id, "workspace_deactivated", detail={"reason": reason}, at=self.clock()
            )

    async def activate(self, workspace: str, name: str = "") -> None:
        """The bot was installed (again) in ``workspace``."""
        async with self.store.unit() as repo:
            await repo.installs.activate(workspace, name)

    async def installed_by(self, workspace: str, user_id: str, display_name: str = "") -> bool:
        """``user_id`` installed the bot in ``workspace``: they administer it,
        unless it has an admin already. Whether they were made admin."""
        async with self.store.unit() as repo:
            found = await repo.installs.ensure(workspace)
            made = await identity.installed_by(repo, found.id, user_id, display_name, self.clock())
            return made is not None
