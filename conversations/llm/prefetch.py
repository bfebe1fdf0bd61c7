"""Ask the model outside the database transaction.

Handling an event holds a transaction (on SQLite, the one write lock), and a
model may take seconds to answer. So when a model is configured the service
rehearses the event first, in a transaction it rolls back, with a
:class:`Recorder` that notes what the model would be asked and answers
nothing; then asks all of it at once, with no transaction open; then handles
the event for real with :class:`Prefetched`, which answers from those
results. If the state moved between rehearsal and handling, a question asked
differently simply finds no answer, and the deterministic path is taken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Any

from conversations.llm.port import Assistant, Extracted, Facts, FollowUp, Narrative

Call = tuple[Hashable, ...]


class Recorder:
    """Notes every question for the model; answers none (the rehearsal must be quick)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    async def follow_up(self, question: str, answer: str, language: str) -> FollowUp | None:
        self.calls.append(("follow_up", question, answer, language))
        return None

    async def extract(
        self, question: str, text: str, unit: str | None, language: str
    ) -> Extracted | None:
        self.calls.append(("extract", question, text, unit, language))
        return None

    async def narrative(self, facts: Facts, language: str) -> Narrative | None:
        self.calls.append(("narrative", facts, language))
        return None

    async def resolve(self, model: Assistant) -> Prefetched:
        """Ask ``model`` everything noted, concurrently; each call is bounded by the model's own timeout."""
        unique = list(dict.fromkeys(self.calls))
        answers = await asyncio.gather(*(_ask(model, call) for call in unique))
        return Prefetched(dict(zip(unique, answers, strict=True)))


async def _ask(model: Assistant, call: Call) -> Any:
    task, *args = call
    method = getattr(model, str(task))
    return await method(*args)


class Prefetched:
    """Answers the questions asked during the rehearsal; nothing else (never waits)."""

    def __init__(self, answers: dict[Call, Any]) -> None:
        self.answers = answers

    async def follow_up(self, question: str, answer: str, language: str) -> FollowUp | None:
        found = self.answers.get(("follow_up", question, answer, language))
        return found if isinstance(found, FollowUp) else None

    async def extract(
        self, question: str, text: str, unit: str | None, language: str
    ) -> Extracted | None:
        found = self.answers.get(("extract", question, text, unit, language))
        return found if isinstance(found, Extracted) else None

    async def narrative(self, facts: Facts, language: str) -> Narrative | None:
        found = self.answers.get(("narrative", facts, language))
        return found if isinstance(found, Narrative) else None
