"""The optional language model, as the core sees it.

``port`` is the narrow interface (:class:`~conversations.llm.port.Assistant`)
and its deterministic stand-in; ``checks`` says when an answer of the model is
unusable; ``privacy`` leaves personal data out of what is sent. The three uses
are ``follow_ups`` (one question after a vague free-text answer), ``numbers``
(a number read out of free text) and ``narratives`` (a summary beside the
rubric's recommendation). Nothing here imports a model library: ``bot.llm``
implements the port, and only when a model is configured.
"""

from conversations.llm.port import (
    Assistant,
    Extracted,
    Fact,
    Facts,
    FollowUp,
    Narrative,
    NoAssistant,
    enabled,
)

__all__ = [
    "Assistant",
    "Extracted",
    "Fact",
    "Facts",
    "FollowUp",
    "Narrative",
    "NoAssistant",
    "enabled",
]
