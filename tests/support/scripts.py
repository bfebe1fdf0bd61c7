"""Typed answers for whole interviews, by question key.

``READY`` describes an agent that passes every gate of the rubric; tests
change a few answers to tell other stories.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.demo_portfolio import READY as DEMO_READY
from conversations.answers import Invalid, parse_answer
from conversations.bank import load_bank
from conversations.engine import next_question, read_token, unit_of
from conversations.i18n import Translator
from conversations.messages import Reply
from tests.support.conversation import Person, last_ask, text

# The demo's invoice agent, with a few answers worded as the tests expect them.
READY: dict[str, str] = {
    **DEMO_READY,
    "sup_escalation": "Clerk, then the AP team lead, then finance IT",
    "kill_how": "Feature flag in the ERP connector",
    "kill_rehearsed_on": "2026-10-15",
    "ev_unmeasured": "Behaviour on handwritten invoices",
    "watch_retire_when": "When the ERP vendor ships the same feature",
}


async def interview_at_depth(person: Person, handle: str, depth: str = "full") -> list[Reply]:
    """Starts the interview and, as a lead, raises it to ``depth`` (``READY`` alone is
    a light interview: staff only, reviewed before effect, no personal data)."""
    await person.says(f"/poc interview {handle}")
    raised = text(await person.says(f"/poc depth {handle} {depth}"))
    assert f"now goes to {depth} depth" in raised, raised
    return await person.says(f"/poc interview {handle}")


def asked_in_order(answers: Mapping[str, str], floor: str | None = None) -> list[str]:
    """The questions an interview asks, in order, when each is answered from ``answers``
    (typed as a person types them): for scripts fed to the console in one go."""
    bank, t = load_bank(), Translator("en")
    typed: dict[str, Any] = {}
    asked: list[str] = []
    key = next_question(bank, typed, None, floor=floor)
    while key is not None:
        asked.append(key)
        question = bank.question(key)
        value = parse_answer(
            question,
            text=answers[key],
            unit=unit_of(bank, question, typed, t),
            translate=t,
        )
        assert not isinstance(value, Invalid), f"{key}: {answers[key]!r} is not an answer"
        typed[key] = value
        key = next_question(bank, typed, key, floor=floor)
    return asked


def current_key(replies: Sequence[Reply]) -> str:
    token = read_token(last_ask(replies).token)
    assert token is not None
    return token.key


async def answer_until_done(
    person: Person, replies: Sequence[Reply], answers: Mapping[str, str] = READY, limit: int = 200
) -> list[Reply]:
    """Answers every question asked until none is left; returns the last replies."""
    current = list(replies)
    for _ in range(limit):
        if not any(type(r).__name__ == "Ask" for r in current):
            return current
        key = current_key(current)
        assert key in answers, f"no scripted answer for {key}:\n{text(current)}"
        current = await person.says(answers[key])
    raise AssertionError("the interview never ended")
