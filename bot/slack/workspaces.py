"""Which postpoc workspace (tenant) a Slack request belongs to.

A workspace install is keyed by its team: ``slack:T123``. An org-wide install
on Enterprise Grid is one install, one bot token and one set of people (user
ids are the same in every workspace of the org), so it is one tenant keyed by
its enterprise: ``slack:E123``; its POCs are shared across the org's
workspaces, as its admins expect from an org-wide app. A workspace install
inside a Grid org stays keyed by its team.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from conversations.platform_state import PlatformState

PREFIX = "slack:"


def workspace_key(
    *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool
) -> str:
    if is_enterprise_install and enterprise_id:
        return PREFIX + enterprise_id
    if team_id:
        return PREFIX + team_id
    if enterprise_id:
        return PREFIX + enterprise_id
    raise ValueError("a Slack request names neither a team nor an enterprise")


@dataclass(frozen=True)
class Tenant:
    """A workspace key read back: exactly one of the two is set."""

    enterprise_id: str | None
    team_id: str | None


def tenant_of(key: str) -> Tenant | None:
    """``slack:E…`` → an org-wide install, ``slack:T…`` → a team; None if not Slack's."""
    if not key.startswith(PREFIX) or len(key) == len(PREFIX):
        return None
    ident = key[len(PREFIX) :]
    if ident.startswith("E"):
        return Tenant(enterprise_id=ident, team_id=None)
    return Tenant(enterprise_id=None, team_id=ident)


INSTALLED_SECONDS = 10.0
"""How long a workspace is taken to be installed (or not) without asking the
database again."""


class Installed:
    """Whether postpoc is installed in a workspace, remembered for a few
    seconds: every request asks, and the answer changes only on install and
    uninstall (which this process is told about, :meth:`forget`; another
    replica's news arrives within :data:`INSTALLED_SECONDS`). Saves a
    database transaction before each acknowledgement."""

    def __init__(
        self,
        platform: PlatformState,
        clock: Callable[[], float] = time.monotonic,
        seconds: float = INSTALLED_SECONDS,
    ) -> None:
        self.platform = platform
        self.clock = clock
        self.seconds = seconds
        self._known: dict[str, tuple[float, bool]] = {}

    async def active(self, workspace: str) -> bool:
        known = self._known.get(workspace)
        if known is not None and self.clock() - known[0] < self.seconds:
            return known[1]
        active = await self.platform.is_active(workspace)
        self._known[workspace] = (self.clock(), active)
        return active

    def forget(self, workspace: str) -> None:
        self._known.pop(workspace, None)
