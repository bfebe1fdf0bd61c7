"""Which postpoc workspace (tenant) a Slack request belongs to.

A workspace install is keyed by its team: ``slack:T123``. An org-wide install
on Enterprise Grid is one install, one bot token and one set of people (user
ids are the same in every workspace of the org), so it is one tenant keyed by
its enterprise: ``slack:E123``; its POCs are shared across the org's
workspaces, as its admins expect from an org-wide app. A workspace install
inside a Grid org stays keyed by its team.
"""

from __future__ import annotations

from dataclasses import dataclass

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
