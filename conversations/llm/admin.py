"""``llm``: what the language model does in this workspace, and whether
personal data may reach it (``llm personal-data on|off``, admins)."""

from __future__ import annotations

from conversations.access import require_admin
from conversations.commands import Command
from conversations.context import Context
from conversations.errors import UserError
from conversations.llm.port import enabled
from conversations.llm.privacy import SETTING, allowed
from conversations.messages import Reply, Say

SYNTAX = "llm [personal-data on|off]"


async def llm(ctx: Context, command: Command) -> list[Reply]:
    words = [word.lower() for word in command.args]
    if not words:
        return [_status(ctx)]
    if len(words) != 2 or words[0] != "personal-data" or words[1] not in ("on", "off"):
        raise UserError("Usage: {syntax}", syntax=SYNTAX)
    await require_admin(ctx)
    allow = words[1] == "on"
    ctx.workspace.settings = {**(ctx.workspace.settings or {}), SETTING: allow}
    await ctx.repo.save(ctx.workspace)
    await ctx.audit("llm_personal_data", allowed=allow)
    return [_status(ctx)]


def _status(ctx: Context) -> Say:
    t = ctx.t
    model = (
        t("A language model helps with follow-up questions, numbers in free text and summaries.")
        if enabled(ctx.assistant)
        else t("No language model is configured: the bot uses its rules and templates only.")
    )
    privacy = (
        t("Names, e-mail addresses and phone numbers in answers may be sent to it.")
        if allowed(ctx.workspace)
        else t(
            "Names, e-mail addresses and phone numbers in answers are left out of what it reads."
        )
    )
    return Say(f"{model} {privacy}")
