"""Commands typed in the middle of an interview, told apart from answers.

In a direct conversation anything typed while a question waits is read as its
answer, except what can only be a command: a command word alone (``list``),
or a command word followed by the handle of a POC that exists (``summary
invoice-agent``, ``interview crm-bot``), with or without ``/poc`` in front.
"Approving payments" or "new hires" stay answers: they name no POC.
"""

from __future__ import annotations

from conversations import commands
from conversations.context import Context

ALONE = frozenset({"list", "subscriptions"})
"""Commands that take nothing: the word alone is the command."""

ON_A_POC = frozenset({"interview", "summary", "history", "edit", "ask"})
"""Commands whose first word after the name is a POC handle."""


async def is_command(ctx: Context, text: str) -> bool:
    """Whether ``text``, typed while a question waits, is a command rather than an answer."""
    stripped = text.strip()
    if stripped.lower().startswith("/poc"):
        return True
    command = commands.parse(stripped)
    if command is None:
        return False
    if command.name in ALONE:
        return not command.args
    if command.name in ON_A_POC and command.args:
        return await ctx.repo.poc(ctx.workspace_id, command.args[0]) is not None
    return False
