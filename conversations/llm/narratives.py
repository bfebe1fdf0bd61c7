"""A short summary of a POC written by the model, beside the rubric's recommendation.

The model reads the stored answers that count (personal data left out unless
the workspace allows it) and, as read-only context, the rubric's outcome,
reasons and conditions. What it writes is shown in its own labelled section;
the outcome and reasons shown are the rubric's, computed from the answers
alone, whatever the model says. A narrative that names another outcome, cites
an answer that is not stored, gives a figure no answer gives or is too long
is not shown at all.
"""

from __future__ import annotations

import logging

from conversations import rubric
from conversations.answers import format_answer
from conversations.bank import SKIPPED
from conversations.context import Context
from conversations.engine import unit_of
from conversations.llm.checks import narrative_problem
from conversations.llm.port import Fact, Facts, enabled
from conversations.llm.privacy import Redactor, redactor_for
from conversations.messages import QuestionKind
from conversations.summaries import PocView, outcome_name

log = logging.getLogger("postpoc.llm")


def facts_of(ctx: Context, view: PocView, redact: Redactor) -> Facts:
    """What the narrative may rest on, in the person's language."""
    t, bank = ctx.t, ctx.bank
    answers = []
    for question in bank.questions:
        value = view.answers.get(question.key, SKIPPED)
        if value is SKIPPED:
            continue
        shown = format_answer(
            question, value, unit=unit_of(bank, question, view.answers, t), translate=t
        )
        if question.type == QuestionKind.PERSON and value is not None:
            shown = redact.person(shown)
        answers.append(Fact(question.key, question.label.get(t.language), redact.text(shown)))
    result = view.assessment
    return Facts(
        title=redact.text(view.poc.title),
        answers=tuple(answers),
        outcome=result.outcome.value,
        outcome_name=outcome_name(result.outcome, t),
        reasons=tuple(redact.text(rubric.describe(r, t, bank)) for r in result.reasons),
        conditions=tuple(redact.text(rubric.describe(r, t, bank)) for r in result.conditions),
    )


async def narrative_for(ctx: Context, view: PocView) -> str | None:
    """The narrative to show beside ``view``'s recommendation, or None (no model,
    no answer in time, or an answer that can't be shown)."""
    if not enabled(ctx.assistant) or not view.answers:
        return None
    facts = facts_of(ctx, view, await redactor_for(ctx, ctx.bank, view.answers))
    result = await ctx.assistant.narrative(facts, ctx.t.language)
    if result is None:
        return None
    problem = narrative_problem(result, facts)
    if problem is not None:
        log.warning("narrative from the model not shown: %s", problem, extra={"task": "narrative"})
        return None
    return result.summary.strip()
