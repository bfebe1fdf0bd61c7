"""Who administers a workspace, and how a command names a person.

On Slack and Teams the install decides who administers, never who speaks
first: the person who installed the app (Slack's OAuth installer, the sender
of Teams' ``installationUpdate``), the platform ids an operator lists
(``POSTPOC_ADMINS``), or whoever the operator names with ``postpoc role``.
Anyone else starts as a member. Display names there are set by each person,
so they name nobody: a command names a person by a mention or a platform id.

A *local* workspace is one whose people are who they say they are: the
console, where whoever runs it owns the database file. There the first
person administers and a display name names a person. Which workspaces are
local is the wiring's choice (:func:`bot.runtime.identity`); a
:class:`~conversations.service.Service` built without rules (tests, scripts)
treats every workspace as local, as the console does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.models import Person, Role, Workspace
from storage.repository import Repo


@dataclass(frozen=True)
class Identity:
    admins: frozenset[str] = frozenset()
    """Platform user ids that administer every workspace they are seen in
    (``POSTPOC_ADMINS``). Not qualified by workspace: Slack user ids and Teams
    account ids are unique across workspaces and tenants, and nobody chooses
    their own."""
    local: tuple[str, ...] = ("",)
    """Prefixes of the workspace keys that are local (``""``: every one)."""

    def is_local(self, workspace_key: str) -> bool:
        return any(workspace_key.startswith(prefix) for prefix in self.local)

    def is_listed(self, platform_id: str) -> bool:
        return platform_id in self.admins


def platform_rules(admins: Iterable[str], local: Iterable[str]) -> Identity:
    """The rules of a deployment: ``admins`` listed, only ``local`` prefixes local."""
    return Identity(admins=frozenset(a.strip() for a in admins if a.strip()), local=tuple(local))


async def newcomer_role(
    repo: Repo, rules: Identity, workspace: Workspace, platform_id: str
) -> tuple[Role, str | None]:
    """The role of a person the workspace sees for the first time, and the
    audit action that says why they administer (None: a member)."""
    assert workspace.id is not None
    if rules.is_listed(platform_id):
        return Role.ADMIN, "listed_admin"
    if rules.is_local(workspace.key):
        # Under READ COMMITTED two first messages would both count no one:
        # the workspace's row lock makes the second wait for the first.
        await repo.lock_workspace(workspace.id)
        if await repo.count_people(workspace.id) == 0:
            return Role.ADMIN, "first_admin"
    return Role.MEMBER, None


async def installed_by(
    repo: Repo, workspace_id: int, platform_id: str, display_name: str, now: datetime
) -> Person | None:
    """The person who installed the bot administers the workspace, unless it
    has an admin already (a reinstall by someone else changes no role).
    Returns the person made admin, if any."""
    if not platform_id:
        return None
    await repo.lock_workspace(workspace_id)
    if await repo.count_admins(workspace_id) > 0:
        return None
    person = await repo.person(workspace_id, platform_id)
    if person is None:
        person = await repo.add_person(
            Person(
                workspace_id=workspace_id,
                platform_id=platform_id,
                display_name=display_name,
                role=Role.ADMIN,
                created_at=now,
            )
        )
    else:
        await repo.set_role(person, Role.ADMIN)
    await repo.audits.write(workspace_id, "installer_admin", person_id=person.id, at=now)
    return person
