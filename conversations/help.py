"""What the bot can do, as a card: shown on help, hello, and beside a
question's own explanation when help is typed during an interview."""

from __future__ import annotations

from conversations.commands import USAGES
from conversations.context import Context
from conversations.i18n import N_
from conversations.messages import Card, Section
from storage.models import Role

ROLE_NAMES = {Role.ADMIN: N_("admin"), Role.LEAD: N_("lead"), Role.MEMBER: N_("member")}


def help_card(ctx: Context) -> Card:
    t = ctx.t
    lines = "\n".join(f"{usage.syntax}  —  {t(usage.summary)}" for usage in USAGES)
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
        context=(t("Your role: {role}", role=t(ROLE_NAMES[Role(ctx.person.role)])),),
    )
