"""Limits on commands that write, per person and per workspace.

Sixty ``new`` in five seconds, from a script or a stuck key, would otherwise
register sixty POCs. Each command named in :attr:`RateLimits.commands` (a
setting: ``RATE_LIMITED_COMMANDS``) is counted in the database
(``CommandUse``) when it runs; past the limit of the last minute it is
refused with a "slow down" answer and nothing is written (the refusal rolls
the whole event back, like any :class:`UserError`). A command that fails for
another reason rolls its count back with it, so only what was done counts.

The count is in the database, not in each process, so the limits hold across
replicas and restarts. Two replicas counting at the same instant on
PostgreSQL may each let one more through (no lock is taken for a count): a
brake on floods, not a quota. Counts are purged after a day
(``conversations.retention``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from conversations.context import Context
from conversations.errors import UserError
from storage.models import CommandUse

WRITING_COMMANDS = frozenset({"new", "decide", "reading", "ask", "subscribe"})


@dataclass(frozen=True)
class RateLimits:
    commands: frozenset[str] = field(default=WRITING_COMMANDS)
    per_person: int = 10
    """Commands of :attr:`commands` one person may run per :attr:`window`; 0: no limit."""
    per_workspace: int = 100
    """The same for everyone in one workspace together; 0: no limit."""
    window: timedelta = timedelta(minutes=1)


NO_LIMITS = RateLimits(commands=frozenset())


async def admit(ctx: Context, command: str, limits: RateLimits) -> None:
    """Count ``command`` for the person, or refuse it if they (or their
    workspace) ran too many of the limited commands in the last window."""
    if command not in limits.commands or ctx.rehearsal:
        return
    since = ctx.now - limits.window
    if limits.per_person and (
        await ctx.repo.count_command_uses(ctx.workspace_id, since, ctx.person_id)
        >= limits.per_person
    ):
        raise UserError(
            "Slow down: you can run {commands} {limit} times a minute in all. Nothing was saved; try again in a minute.",
            commands=", ".join(sorted(limits.commands)),
            limit=limits.per_person,
        )
    if limits.per_workspace and (
        await ctx.repo.count_command_uses(ctx.workspace_id, since) >= limits.per_workspace
    ):
        raise UserError(
            "Slow down: this workspace ran {commands} {limit} times in the last minute. Nothing was saved; try again in a minute.",
            commands=", ".join(sorted(limits.commands)),
            limit=limits.per_workspace,
        )
    await ctx.repo.add_command_use(
        CommandUse(
            workspace_id=ctx.workspace_id,
            person_id=ctx.person_id,
            command=command,
            created_at=ctx.now,
        )
    )
