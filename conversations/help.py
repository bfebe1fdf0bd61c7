"""What the bot can do, as a card: shown on help, hello, and after a
question's own explanation when help is typed during an interview.

The list shows only what the person's role may run, each command written the
way their platform wants it typed (``ctx.t.command_prefix``), its
``<placeholders>`` in their language.
"""

from __future__ import annotations

from conversations.commands import USAGES, Usage
from conversations.context import Context
from conversations.i18n import N_
from conversations.messages import Card, Section
from storage.models import Role

ROLE_NAMES = {Role.ADMIN: N_("admin"), Role.LEAD: N_("lead"), Role.MEMBER: N_("member")}

NEEDS: dict[str, Role] = {
    "new": Role.LEAD,
    "owner": Role.LEAD,
    "decide": Role.LEAD,
    "subscribe": Role.LEAD,
    "unsubscribe": Role.LEAD,
    "mentions": Role.LEAD,
    "role": Role.ADMIN,
    "llm": Role.ADMIN,
    "currency": Role.ADMIN,
}
"""The least role each command needs (the handlers check it; help only hides the rest)."""

_RANK = {Role.MEMBER: 0, Role.LEAD: 1, Role.ADMIN: 2}


def allowed(usage: Usage, role: Role) -> bool:
    return _RANK[role] >= _RANK[NEEDS.get(usage.name, Role.MEMBER)]


def help_card(ctx: Context) -> Card:
    t = ctx.t
    role = Role(ctx.person.role)
    lines = "\n".join(
        f"{t.command_prefix}{t.placeholder(usage.syntax)}  —  {t(usage.summary)}"
        for usage in USAGES
        if allowed(usage, role)
    )
    return Card(
        title=t("postpoc helps you decide what happens to an AI agent after its proof of concept."),
        sections=(
            Section(text=lines),
            Section(
                text=t(
                    "During an interview, answer each question, or type skip, back, pause, "
                    "or help for why it is asked."
                )
            ),
        ),
        context=(t("Your role: {role}", role=t(ROLE_NAMES[role])),),
    )
