"""Personal data is left out of what the model reads, unless the workspace allows it.

Left out: the answers to person questions (whoever was named manager,
overseer, risk owner...), the names of those people and of everyone the
workspace knows wherever they appear in free text, e-mail addresses and phone
numbers. Each becomes a placeholder the model is told to keep as it is. This
is best effort on free text (a name nobody registered stays); it is exact on
person answers.

A workspace allows personal data with ``llm_personal_data: true`` in its
settings (``Workspace.settings``), for instance when the model runs on its
own servers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conversations.bank import Bank
from conversations.context import Context
from conversations.messages import QuestionKind
from storage.models import Workspace

SETTING = "llm_personal_data"
PERSON = "[person]"
EMAIL = "[email]"
PHONE = "[phone]"

MIN_NAME = 3
"""Shorter names are not looked for in free text: they would blank out ordinary words."""

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# International numbers, and French ones written 01 23 45 67 89.
_PHONE = re.compile(r"\+\d[\d\s.()-]{6,}\d|(?<!\d)0\d(?:[\s.-]?\d{2}){4}(?!\d)")


def allowed(workspace: Workspace) -> bool:
    """Whether this workspace lets personal data reach the model."""
    return (workspace.settings or {}).get(SETTING) is True


@dataclass(frozen=True)
class Redactor:
    """Replaces personal data with placeholders; does nothing when ``active`` is False."""

    names: tuple[str, ...] = ()
    active: bool = True
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        usable = sorted({n for n in self.names if len(n) >= MIN_NAME}, key=len, reverse=True)
        if usable:
            alternatives = "|".join(re.escape(name) for name in usable)
            pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
            object.__setattr__(self, "_pattern", pattern)

    def text(self, value: str) -> str:
        if not self.active:
            return value
        value = _EMAIL.sub(EMAIL, value)
        value = _PHONE.sub(PHONE, value)
        return self._pattern.sub(PERSON, value) if self._pattern else value

    def person(self, shown: str) -> str:
        """The shown answer to a person question."""
        return PERSON if self.active else shown


def named_in(bank: Bank, answers: Mapping[str, Any]) -> set[str]:
    """The names given in answers to person questions."""
    names = set()
    for question in bank.questions:
        value = answers.get(question.key)
        if question.type == QuestionKind.PERSON and isinstance(value, dict):
            name = value.get("name")
            if isinstance(name, str) and name.strip():
                names.add(name.strip())
    return names


async def redactor_for(ctx: Context, bank: Bank, answers: Mapping[str, Any]) -> Redactor:
    """What to leave out of text about one POC, for this workspace."""
    if allowed(ctx.workspace):
        return Redactor(active=False)
    people: Iterable[str] = (
        name
        for person in await ctx.repo.people(ctx.workspace_id)
        for name in (person.display_name, person.platform_id)
        if name
    )
    return Redactor(tuple(named_in(bank, answers) | set(people)))
