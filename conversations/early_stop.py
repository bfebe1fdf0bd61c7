"""Answers as soon as they are known: a stop rule that holds ends the questions.

After each answer of a flow that has a recommendation, :func:`check` asks the
rubric whether a stop rule already holds. If one does, the interview says so
at once (the outcome, each reason and the reference it rests on, and that a
lead decides) instead of asking the next question, and waits: the owner may go
on for the record (``continue``, or the button), and nothing else is asked
unless they do. An edit that lifts the stop lets the interview go on.
"""

from __future__ import annotations

from dataclasses import replace

from conversations import engine, rubric
from conversations.bank import Bank
from conversations.i18n import Translator
from conversations.messages import Ask, Button, Card, Section
from conversations.summaries import recommendation_slot

HELD = "held"
CONTINUED = "continued"

FLOWS = frozenset({"post-poc"})
"""The flows whose answers the rubric reads."""

# Words that go on for the record, in both languages.
CONTINUE_WORDS = frozenset({"continue", "continuer", "go on"})


def is_continue(text: str) -> bool:
    return text.strip().lower().rstrip("!.") in CONTINUE_WORDS


def check(before: engine.InterviewState, step: engine.Step, bank: Bank) -> engine.Step:
    """The step as the owner should see it: stopped early when a stop rule holds."""
    if bank.flow not in FLOWS or step.recorded is None:
        return step
    state = step.state
    if state.early_stop == CONTINUED:
        return step
    answers = engine.effective_answers(bank, state.answers, state.context, state.depth_floor)
    stops = rubric.stops(answers, bank, floor=state.depth_floor)
    if not stops:
        if state.early_stop == HELD:
            return replace(step, state=replace(state, early_stop=None))
        return step
    if step.completed:
        # The last answer: the interview ends as usual, with the recommendation.
        return step
    # Still active: the owner's typing reaches the interview, which takes none of it
    # as an answer until they go on (conversations.interviews).
    held = replace(state, early_stop=HELD)
    kept = tuple(r for r in step.replies if not isinstance(r, Ask))
    return replace(step, state=held, replies=kept, stopped=True)


def held(state: engine.InterviewState) -> bool:
    return state.early_stop == HELD


def go_on(state: engine.InterviewState, bank: Bank, t: Translator) -> engine.Step:
    """The owner goes on for the record: no early stop again in this interview."""
    going = replace(state, early_stop=CONTINUED, status=engine.ACTIVE)
    step = engine.start(going, bank, t)
    return replace(step, state_changed=True)


def card(poc_handle: str, result: rubric.Assessment, t: Translator, bank: Bank) -> Card:
    """What the owner sees the moment a stop rule holds."""
    lines = [t("A stop rule holds, so the questions stop here:")]
    for reason in result.reasons:
        line = f"• {rubric.describe(reason, t, bank)}"
        if reason.references:
            line += " " + t("(rests on {references})", references="; ".join(reason.references))
        lines.append(line)
    return Card(
        title=t(
            "Recommendation for {poc}: {outcome}",
            poc=poc_handle,
            outcome=t(rubric.OUTCOME_NAMES[result.outcome]),
        ),
        sections=(Section(text="\n".join(lines)),),
        context=(
            t(
                "A lead decides, with decide {poc} stop|frame|industrialise <rationale>.",
                poc=poc_handle,
            ),
            t(
                "Nothing else is asked unless you go on for the record: type continue, "
                "or change an answer with edit {poc} <question>.",
                poc=poc_handle,
            ),
        ),
        buttons=(
            Button(t("Go on for the record"), f"interview {poc_handle} continue"),
            Button(t("Summary"), f"summary {poc_handle}"),
        ),
        slot=recommendation_slot(poc_handle),
    )
