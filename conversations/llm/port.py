"""The port: what the core may ask a language model, and what "no answer" means.

The core never needs a model. It asks an :class:`Assistant` and reads ``None``
as "do what you did before": :class:`NoAssistant` answers ``None`` to every
question and is what runs when no model is configured. An implementation
(``bot.llm``) answers ``None`` too when its model is slow, fails or returns
something unusable. Whatever it does return, the core checks again before
using it (``conversations.llm.checks``): an assistant can be wrong, never
harmful, and the rubric never reads anything it wrote.

The three answers are pydantic models because an implementation asks the
model for exactly these shapes (structured output); their class names are the
names the model sees. They have no defaults and no constraints on purpose:
OpenAI's strict JSON-schema output (langchain-openai's default method) refuses
both; bounds are checked after parsing, in ``checks``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict


class FollowUp(BaseModel):
    """Whether an interview answer is too vague to act on, and the follow-up question that would make it actionable."""

    model_config = ConfigDict(frozen=True)
    vague: bool
    question: str | None


class Extracted(BaseModel):
    """The one number a free-text answer gives, in the question's unit, and the words it comes from."""

    model_config = ConfigDict(frozen=True)
    value: float | None
    evidence: str


class Narrative(BaseModel):
    """A short executive summary of a proof of concept and the keys of the answers it relies on."""

    model_config = ConfigDict(frozen=True)
    summary: str
    cited_keys: list[str]


@dataclass(frozen=True)
class Fact:
    """One stored answer as the model reads it: its key, its question's label, the answer shown."""

    key: str
    label: str
    answer: str


@dataclass(frozen=True)
class Facts:
    """What a narrative may rest on: the stored answers, and the rubric's
    recommendation as read-only context (``outcome`` is its code, ``stop``...)."""

    title: str
    answers: tuple[Fact, ...]
    outcome: str
    outcome_name: str
    reasons: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()

    def as_data(self) -> dict[str, object]:
        """The document the model is given."""
        return {
            "title": self.title,
            "answers": [
                {"key": f.key, "question": f.label, "answer": f.answer} for f in self.answers
            ],
            "rubric": {
                "outcome": self.outcome_name,
                "reasons": list(self.reasons),
                "conditions": list(self.conditions),
            },
        }


class Assistant(Protocol):
    """A language model behind three questions. Each answers ``None`` when it
    has nothing usable to say; each returns within a bounded time."""

    async def follow_up(self, question: str, answer: str, language: str) -> FollowUp | None:
        """Is ``answer`` to ``question`` too vague to act on? If so, what to ask next."""
        ...

    async def extract(
        self, question: str, text: str, unit: str | None, language: str
    ) -> Extracted | None:
        """The number ``text`` gives in answer to ``question``, in ``unit``."""
        ...

    async def narrative(self, facts: Facts, language: str) -> Narrative | None:
        """A short summary of a POC written from ``facts`` only."""
        ...


class NoAssistant:
    """No model: every question is answered "nothing to add", and the core
    behaves exactly as it does without this layer."""

    async def follow_up(self, question: str, answer: str, language: str) -> FollowUp | None:
        return None

    async def extract(
        self, question: str, text: str, unit: str | None, language: str
    ) -> Extracted | None:
        return None

    async def narrative(self, facts: Facts, language: str) -> Narrative | None:
        return None


def enabled(assistant: Assistant) -> bool:
    """Whether asking is worth preparing for (reading names to leave out, building facts)."""
    return not isinstance(assistant, NoAssistant)
