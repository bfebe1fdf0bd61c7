"""``currency [<code>]``: the currency a workspace counts costs in.

The question bank and the rubric write amounts in EUR, meaning the
workspace's currency (:meth:`conversations.i18n.Translator.in_currency`
shows them in it). An admin sets another with an ISO 4217 code; the codes
are Babel's (CLDR's), so a typo or a made-up code is refused. Amounts already
given are not converted: the setting says which currency they are in.
"""

from __future__ import annotations

from babel.numbers import get_currency_name, list_currencies

from conversations.access import require_admin
from conversations.commands import Command
from conversations.context import Context
from conversations.errors import UserError
from conversations.limits import quoted
from conversations.messages import Reply, Say

SYNTAX = "currency [<code>]"
NOT_MONEY = frozenset({"XXX", "XTS"})
"""ISO 4217's "no currency" and "testing" codes."""


def is_currency(code: str) -> bool:
    return code in list_currencies() and code not in NOT_MONEY


def _named(ctx: Context, code: str) -> str:
    return f"{code} ({get_currency_name(code, locale=ctx.t.language)})"


async def currency(ctx: Context, command: Command) -> list[Reply]:
    if not command.args:
        return [
            Say(
                ctx.t(
                    "Costs are asked and shown in {currency}. An admin changes it with {cmd}currency <code>, such as {cmd}currency CHF.",
                    currency=_named(ctx, ctx.workspace.currency),
                )
            )
        ]
    if len(command.args) != 1:
        raise UserError("Usage: {syntax}", syntax=SYNTAX)
    await require_admin(ctx)
    code = command.args[0].upper()
    if not (len(code) == 3 and code.isascii() and code.isalpha() and is_currency(code)):
        raise UserError(
            "{code} is not an ISO 4217 currency code; use one such as EUR, CHF, USD or GBP.",
            code=quoted(command.args[0]),
        )
    before = ctx.workspace.currency
    ctx.workspace.currency = code
    await ctx.repo.save(ctx.workspace)
    await ctx.audit("currency_set", None, currency=code, before=before)
    return [
        Say(
            ctx.t(
                "Costs are now asked and shown in {currency}. Amounts already given are not converted.",
                currency=_named(ctx, code),
            )
        )
    ]
