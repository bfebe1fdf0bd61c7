"""One follow-up question after a free-text answer too vague to act on.

After an answer to a free-text question of the interview ("It saves time"),
the model may judge it too vague and propose one specific question ("How many
hours a week, for how many people?"). The interview then asks it before the
next question; the reply is added to the answer (a new answer row: the vague
one stays in the history), or ``skip`` goes on without it.

The state lives in the interview's ``context`` JSON, under :data:`KEY`, never
in process memory: ``waiting`` is the follow-up asked, stamped with the
interview revision at which it was asked, and ``done`` the questions that had
one. So a restart shows the follow-up again; at most one is asked per
question, even if the person comes back to it and answers vaguely again; and
any other move of the interview (an edit, ``back``, another device) moves the
revision on, which quietly drops a follow-up nobody answered.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from conversations import engine
from conversations.answers import DEFAULT_MAX_LENGTH, Invalid, parse_answer
from conversations.bank import Bank
from conversations.context import Context
from conversations.i18n import Translator
from conversations.llm.checks import follow_up_problem, one_line
from conversations.llm.port import enabled
from conversations.llm.privacy import redactor_for
from conversations.messages import Answered, Ask, QuestionKind, Reply
from storage.models import Answer, Interview, Poc

log = logging.getLogger("postpoc.llm")

KEY = "follow_ups"
"""Where the state is kept in ``Interview.context``; the engine never sees it."""

FLOWS = frozenset({"post-poc"})
"""Flows that get follow-ups: the interview, not the short weekly check-in."""


@dataclass(frozen=True)
class Waiting:
    """A follow-up asked and not yet answered."""

    key: str
    question: str
    revision: int


def engine_context(context: Mapping[str, Any] | None) -> dict[str, Any]:
    """An interview's context without the follow-up state: what the engine reads."""
    return {name: value for name, value in (context or {}).items() if name != KEY}


def _state(interview: Interview) -> dict[str, Any]:
    found = (interview.context or {}).get(KEY)
    return found if isinstance(found, dict) else {}


def waiting(interview: Interview) -> Waiting | None:
    """The follow-up the next typed message answers, if one is waiting."""
    found = _state(interview).get("waiting")
    if not isinstance(found, dict):
        return None
    key, question, revision = found.get("key"), found.get("question"), found.get("revision")
    if not isinstance(key, str) or not isinstance(question, str) or revision != interview.revision:
        return None
    return Waiting(key, question, revision)


def done(interview: Interview) -> frozenset[str]:
    """The questions that had their follow-up."""
    found = _state(interview).get("done")
    return (
        frozenset(k for k in found if isinstance(k, str))
        if isinstance(found, list)
        else frozenset()
    )


async def consider(
    ctx: Context,
    interview: Interview,
    state: engine.InterviewState,
    move: engine.Move,
    step: engine.Step,
    bank: Bank,
) -> str | None:
    """The follow-up to ask about the answer ``step`` records, or None. Asks the
    model (bounded in time) and writes nothing, so it runs before the step is saved."""
    recorded = step.recorded
    if (
        not enabled(ctx.assistant)
        or interview.flow not in FLOWS
        or not isinstance(move, engine.Respond)
        or not move.text.strip()
        or recorded is None
        or recorded.skipped
        or step.completed
        or state.editing is not None
        or not isinstance(recorded.value, str)
        or recorded.key in done(interview)
    ):
        return None
    question = bank.question(recorded.key)
    # Only long free text: short texts are names and units (an indicator, its unit).
    if question.type != QuestionKind.TEXT or question.max_length < DEFAULT_MAX_LENGTH:
        return None
    redact = await redactor_for(ctx, bank, state.answers)
    result = await ctx.assistant.follow_up(
        question.text.get(ctx.t.language), redact.text(recorded.value), ctx.t.language
    )
    if result is None or not result.vague:
        return None
    problem = follow_up_problem(result)
    if problem is not None:
        log.warning("follow-up from the model not used: %s", problem, extra={"task": "follow_up"})
        return None
    return one_line(result.question or "")


async def ask(
    ctx: Context,
    interview: Interview,
    step: engine.Step,
    bank: Bank,
    question: str,
    replies: Sequence[Reply],
) -> list[Reply]:
    """Remember the follow-up and ask it instead of the next question."""
    assert step.recorded is not None
    key = step.recorded.key
    revision = interview.revision + 1
    followed = {
        "waiting": {"key": key, "question": question, "revision": revision},
        "done": sorted(done(interview) | {key}),
    }
    await ctx.repo.move_interview(
        interview,
        interview.revision,
        context={**(interview.context or {}), KEY: followed},
        updated_at=ctx.now,
    )
    follow_up = prompt(step.state, bank, ctx.t, Waiting(key, question, revision))
    return [reply for reply in replies if not isinstance(reply, Ask)] + [follow_up]


def prompt(
    state: engine.InterviewState,
    bank: Bank,
    t: Translator,
    follow_up: Waiting,
    *,
    error: str | None = None,
) -> Ask:
    """The follow-up as a question of the interview: same section and place,
    the vague answer shown as the current one."""
    about = engine.prompt(replace(state, editing=follow_up.key), bank, t)
    return replace(
        about,
        token=_token(state.interview_id, follow_up),
        text=follow_up.question,
        kind=QuestionKind.TEXT,
        hint=t(
            "A follow-up suggested by a language model to make your answer actionable. "
            "Type your answer, or skip to go on."
        ),
        help=None,
        reference=None,
        choices=(),
        unit=None,
        error=error,
        # Typed words steer a follow-up (its token is not a question's): no buttons.
        moves=(),
    )


def added(
    state: engine.InterviewState, bank: Bank, t: Translator, follow_up: Waiting, reply: str
) -> str | Invalid:
    """The first answer with the follow-up's ``reply`` on a line of its own,
    checked like a typed answer (characters, length)."""
    question = bank.question(follow_up.key)
    checked = parse_answer(question, text=reply, unit=None, translate=t)
    first = state.answers.get(follow_up.key)
    if isinstance(checked, Invalid) or not isinstance(first, str):
        return checked
    return parse_answer(question, text=f"{first}\n{checked}", unit=None, translate=t)


async def settle(
    ctx: Context,
    interview: Interview,
    poc: Poc,
    follow_up: Waiting,
    *,
    answer: str | None = None,
    reply: str | None = None,
) -> Answered:
    """Stop waiting and record ``answer`` (the first answer with ``reply``
    added); without one, the follow-up was skipped."""
    assert poc.id is not None and interview.id is not None
    followed = {**_state(interview), "waiting": None}
    await ctx.repo.move_interview(
        interview,
        interview.revision,
        context={**(interview.context or {}), KEY: followed},
        updated_at=ctx.now,
    )
    if answer is not None:
        await ctx.repo.record_answer(
            Answer(
                poc_id=poc.id,
                interview_id=interview.id,
                question_key=follow_up.key,
                value=answer,
                person_id=ctx.person_id,
                created_at=ctx.now,
            )
        )
        await ctx.audit("follow_up_answered", poc.id, question=follow_up.key)
    return Answered(
        token=_token(interview.id, follow_up),
        summary=ctx.t(
            "{question} → {answer}",
            question=follow_up.question,
            answer=reply if answer is not None and reply else ctx.t("skipped"),
        ),
    )


def _token(interview_id: int, follow_up: Waiting) -> str:
    """The follow-up's token: the question it follows up, at the revision it was asked."""
    return f"{interview_id}.{follow_up.revision}.{follow_up.key}"
