"""A number the rules could not read, read by the model and then checked like a typed one.

When a person types free text to a number question ("from 40 to 15 minutes
per invoice", "about two hours") and ``parse_answer`` can't read one number
in it, the model is asked for the number in the question's unit and the words
it comes from. The number is then written out plainly and given to the engine
as if the person had typed it, so it passes the question's own checks (unit,
minimum, maximum, whole number) or is not taken. The person is told what was
understood; ``back`` or ``edit`` correct it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from decimal import Decimal

from conversations import engine
from conversations.answers import format_answer
from conversations.bank import Bank
from conversations.context import Context
from conversations.llm.checks import extracted_problem
from conversations.llm.port import enabled
from conversations.llm.privacy import redactor_for
from conversations.messages import Ask, QuestionKind, Say

log = logging.getLogger("postpoc.llm")

_LETTER = re.compile(r"[^\W\d_]")


async def reread(
    ctx: Context,
    state: engine.InterviewState,
    move: engine.Move,
    step: engine.Step,
    bank: Bank,
) -> engine.Step:
    """``step`` again with the number the model read, when the rules refused free text; else ``step``."""
    refused = step.replies[-1] if step.replies else None
    if (
        not enabled(ctx.assistant)
        or not isinstance(move, engine.Respond)
        or step.recorded is not None
        or not isinstance(refused, Ask)
        or refused.kind != QuestionKind.NUMBER
        or refused.error is None
        # Digits and signs alone were read as well as they can be.
        or not _LETTER.search(move.text)
    ):
        return step
    text = (await redactor_for(ctx, bank, state.answers)).text(move.text)
    found = await ctx.assistant.extract(refused.text, text, refused.unit, ctx.t.language)
    if found is None or found.value is None:
        return step
    problem = extracted_problem(found, text)
    if problem is not None:
        log.warning("number from the model not used: %s", problem, extra={"task": "extraction"})
        return step
    typed = plain_number(found.value)
    again = engine.advance(state, engine.Respond(text=typed), bank, ctx.t)
    if again.recorded is None:
        # Outside the question's bounds, or not a whole number: the person's own
        # answer is refused as before.
        return step
    question = bank.question(again.recorded.key)
    shown = format_answer(question, again.recorded.value, unit=refused.unit, translate=ctx.t)
    understood = Say(ctx.t("I read that as {answer}.", answer=shown))
    return replace(again, replies=(understood, *again.replies))


def plain_number(value: float) -> str:
    """``15.0`` → ``15``, ``0.04`` → ``0.04``: digits and one point, as any language reads them."""
    text = format(Decimal(repr(float(value))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
