"""The interview step: a pure function from (state, move) to (state, replies).

Nothing here reads or writes storage; ``conversations.service`` loads the state,
calls :func:`advance`, and writes the recorded answer and the new state in one
transaction, naming the revision it read so two concurrent answers can't both
win.

Where the interview goes next is derived from the bank and the answers, never
stored as a separate stack: the next question is the first applicable one
after the current that has no answer yet, and ``back`` is the applicable one
before it. A question skipped counts as answered for the flow (the rubric
still counts it missing).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from conversations.answers import Invalid, answer_hint, format_answer, parse_answer
from conversations.bank import SKIPPED, Bank, QuestionDef
from conversations.i18n import N_, Translator
from conversations.messages import (
    Answered,
    Ask,
    Button,
    Choice,
    MoveButton,
    PersonRef,
    Reply,
    Say,
)
from conversations.messages import Move as Steer

ANSWER_SHOWN = 300
"""Characters of an answer shown on its settled question; the whole answer is
stored, and ``history`` shows it."""

ACTIVE = "active"
PAUSED = "paused"
COMPLETE = "complete"


@dataclass(frozen=True)
class InterviewState:
    interview_id: int
    revision: int
    poc_handle: str
    status: str
    current: str | None
    editing: str | None
    answers: Mapping[str, Any]
    context: Mapping[str, Any] = field(default_factory=dict)
    depth_floor: str | None = None
    """The depth a lead raised the interview to (never below the triage's)."""
    early_stop: str | None = None
    """``held`` once a stop rule holds and questions stopped; ``continued`` when
    the owner chose to go on for the record."""
    outside: frozenset[str] = frozenset()
    """Questions outside this respondent's part: sections someone else holds, or,
    for a person a section was handed to, every other section
    (``conversations.delegation``). They are neither asked nor counted."""
    hands_over: bool = False
    """A section's first question offers to hand the section to someone else."""

    @property
    def known(self) -> dict[str, Any]:
        """Answers and context together: what conditions and units read."""
        return {**self.context, **self.answers}


@dataclass(frozen=True)
class Respond:
    """The person answered: typed text, or values from a button, picker or card."""

    text: str = ""
    values: tuple[str, ...] = ()
    mentions: tuple[PersonRef, ...] = ()


@dataclass(frozen=True)
class Skip:
    pass


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Explain:
    """The person asked for help on the current question."""


@dataclass(frozen=True)
class Edit:
    key: str


Move = Respond | Skip | Back | Pause | Resume | Explain | Edit


@dataclass(frozen=True)
class Recorded:
    key: str
    value: Any
    skipped: bool = False


@dataclass(frozen=True)
class Step:
    """The outcome of a move. ``state_changed`` says the stored interview row must
    be written (with ``state.revision``); ``completed`` that no question is left."""

    state: InterviewState
    replies: tuple[Reply, ...]
    recorded: Recorded | None = None
    completed: bool = False
    state_changed: bool = False
    stopped: bool = False
    """A stop rule holds: the questions stop here (``conversations.early_stop``)."""


# -- reading the state --------------------------------------------------------


def effective_answers(
    bank: Bank,
    answers: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
    floor: str | None = None,
) -> dict[str, Any]:
    """The answers that count: those of questions that apply given earlier answers,
    at the interview's depth.

    An answer left behind by a question that no longer applies (its condition
    changed after an edit, or the triage now sets a lighter depth) is kept in
    storage but ignored here.
    """
    kept: dict[str, Any] = dict(context or {})
    # Triage questions come first and have no conditions: the depth reads them as given.
    depths = bank.possible_depths({**kept, **answers}, floor)
    for question in bank.questions:
        if question.key in answers and bank.asks(question, depths) and bank.applies(question, kept):
            kept[question.key] = answers[question.key]
    return {key: value for key, value in kept.items() if key in answers}


def _applicable_keys(
    bank: Bank,
    answers: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
    floor: str | None = None,
    outside: Collection[str] = frozenset(),
) -> list[str]:
    kept = {**(context or {}), **effective_answers(bank, answers, context, floor)}
    return [q.key for q in bank.applicable(kept, floor) if q.key not in outside]


def still_applicable(
    bank: Bank,
    answers: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
    floor: str | None = None,
) -> list[str]:
    """The questions that can still apply given the answers so far (progress' total)."""
    kept = {**(context or {}), **effective_answers(bank, answers, context, floor)}
    return bank.may_apply(kept, floor)


def next_question(
    bank: Bank,
    answers: Mapping[str, Any],
    after: str | None,
    context: Mapping[str, Any] | None = None,
    floor: str | None = None,
    outside: Collection[str] = frozenset(),
) -> str | None:
    """The first applicable unanswered question after ``after`` (then from the top)."""
    keys = _applicable_keys(bank, answers, context, floor, outside)
    start = keys.index(after) + 1 if after in keys else 0
    for key in keys[start:] + keys[:start]:
        if key not in answers:
            return key
    return None


def previous_question(
    bank: Bank,
    answers: Mapping[str, Any],
    before: str | None,
    context: Mapping[str, Any] | None = None,
    floor: str | None = None,
    outside: Collection[str] = frozenset(),
) -> str | None:
    keys = _applicable_keys(bank, answers, context, floor, outside)
    if before not in keys:
        return keys[-1] if keys else None
    index = keys.index(before)
    return keys[index - 1] if index > 0 else None


def token_for(state: InterviewState, key: str) -> str:
    return f"{state.interview_id}.{state.revision}.{key}"


@dataclass(frozen=True)
class Token:
    interview_id: int
    revision: int
    key: str


LARGEST_ID = 2**31 - 1
"""Ids and revisions are database integers: a token naming a larger one is forged."""


def read_token(token: str) -> Token | None:
    """The token of a prompt, as an adapter handed it back; None when it is not
    one of ours (a client may post any card data: a token is data, not a promise)."""
    parts = token.split(".", 2)
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 10 for p in parts[:2]):
        return None
    interview_id, revision = int(parts[0]), int(parts[1])
    if interview_id > LARGEST_ID or revision > LARGEST_ID:
        return None
    return Token(interview_id, revision, parts[2])


def unit_of(
    bank: Bank, question: QuestionDef, answers: Mapping[str, Any], t: Translator
) -> str | None:
    if question.unit_from:
        unit = answers.get(question.unit_from)
        return unit if isinstance(unit, str) else None
    return t.in_currency(question.unit.get(t.language)) if question.unit else None


def _fill(text: str, context: Mapping[str, Any]) -> str:
    """Show context values (``{indicator}``) in a question of a bank that has them."""
    return (
        text.format_map({k: "" if v is None else v for k, v in context.items()})
        if context
        else text
    )


def asked_key(state: InterviewState) -> str | None:
    """The question the next answer goes to: the one being edited, else the current one."""
    return state.editing or state.current


def prompt(state: InterviewState, bank: Bank, t: Translator, *, error: str | None = None) -> Ask:
    """The question the person is asked now."""
    key = asked_key(state)
    assert key is not None, "no question to ask in a finished interview"
    question = bank.question(key)
    section = bank.section_of(key)
    # The total counts what can still apply, undecided conditions included, so
    # it only shrinks as answers come in.
    keys = [
        k
        for k in still_applicable(bank, state.answers, state.context, state.depth_floor)
        if k not in state.outside
    ]
    position = keys.index(key) + 1 if key in keys else len(keys)
    unit = unit_of(bank, question, state.known, t)
    current = state.answers.get(key)
    shown_current = None
    if key in state.answers:
        shown_current = (
            t("skipped")
            if current is SKIPPED
            else format_answer(question, current, unit=unit, translate=t)
        )
    text = _fill(question.text.get(t.language), state.context)
    return Ask(
        token=token_for(state, key),
        poc_handle=state.poc_handle,
        progress=t(
            "{section} · {position}/{total}",
            section=section.title.get(t.language),
            position=position,
            total=len(keys),
        ),
        text=text,
        kind=question.type,
        hint=answer_hint(question, unit=unit, translate=t),
        help=question.help.get(t.language) if question.help else None,
        reference=question.reference,
        choices=tuple(Choice(c.value, c.label.get(t.language)) for c in question.choices),
        unit=unit,
        current=shown_current,
        error=error,
        moves=moves(state, bank, t, first=position == 1),
        hand_over=_hand_over(state, bank, key, keys, t),
    )


MOVE_LABELS = {Steer.SKIP: N_("Skip"), Steer.BACK: N_("Back"), Steer.PAUSE: N_("Pause")}


def moves(
    state: InterviewState, bank: Bank, t: Translator, *, first: bool
) -> tuple[MoveButton, ...]:
    """The moves that apply to the question asked now, as buttons: skip where
    the question may be skipped (not while changing an answer, where it would
    throw the answer away: back leaves the edit), back unless there is nothing
    to go back to (``first``: the first question that can apply), pause always."""
    key = asked_key(state)
    if key is None:
        return ()
    applying = []
    if bank.question(key).skippable and not state.editing:
        applying.append(Steer.SKIP)
    if state.editing or not first:
        applying.append(Steer.BACK)
    applying.append(Steer.PAUSE)
    return tuple(MoveButton(m, t(MOVE_LABELS[m])) for m in applying)


def shortened(answer: str, limit: int = ANSWER_SHOWN) -> str:
    """``answer`` cut to about ``limit`` characters, at a word, with "…"."""
    if len(answer) <= limit:
        return answer
    cut = answer[:limit].rsplit(None, 1)[0] if " " in answer[:limit] else answer[:limit]
    return cut.rstrip(" ,;:.") + "…"


def _hand_over(
    state: InterviewState, bank: Bank, key: str, keys: list[str], t: Translator
) -> Button | None:
    """On a section's first question: "Someone else should answer this", which runs
    ``ask <poc> <section>`` (the triage is the owner's, so it never offers it)."""
    section = bank.section_of(key)
    triage = bank.depth.triage if bank.depth else ()
    if not state.hands_over or state.editing or section.key in triage:
        return None
    first = next((k for k in keys if bank.section_of(k).key == section.key), None)
    if first != key:
        return None
    return Button(t("Someone else should answer this"), f"ask {state.poc_handle} {section.key}")


# -- moving -------------------------------------------------------------------


def start(state: InterviewState, bank: Bank, t: Translator) -> Step:
    """Start, or resume, at the first question still unanswered (or the current one)."""
    current = state.current
    applicable = _applicable_keys(
        bank, state.answers, state.context, state.depth_floor, state.outside
    )
    if current is None or current in state.answers or current not in applicable:
        current = next_question(
            bank, state.answers, None, state.context, state.depth_floor, state.outside
        )
    moved = replace(state, status=ACTIVE if current else COMPLETE, current=current, editing=None)
    changed = (moved.status, moved.current, moved.editing) != (
        state.status,
        state.current,
        state.editing,
    )
    if current is None:
        return Step(moved, (), completed=state.status != COMPLETE, state_changed=changed)
    if changed:
        moved = replace(moved, revision=state.revision + 1)
    return Step(moved, (prompt(moved, bank, t),), state_changed=changed)


def advance(state: InterviewState, move: Move, bank: Bank, t: Translator) -> Step:
    """Apply one move. The returned state has the revision the stored row will have."""
    if isinstance(move, Pause):
        paused = replace(state, status=PAUSED, revision=state.revision + 1)
        # The question paused on keeps no live button: the interview resumes with a new one.
        key = asked_key(state)
        left = (_left(state, key, bank, t, PAUSED_SHOWN),) if key is not None else ()
        return Step(
            paused,
            (
                *left,
                Say(
                    t(
                        "Paused. Type {cmd}interview {poc} to carry on where you stopped.",
                        poc=state.poc_handle,
                    )
                ),
            ),
            state_changed=True,
        )
    if isinstance(move, Resume):
        return start(state, bank, t)
    if isinstance(move, Edit):
        editing = replace(state, editing=move.key, status=ACTIVE, revision=state.revision + 1)
        return Step(editing, (prompt(editing, bank, t),), state_changed=True)
    key = asked_key(state)
    if key is None:
        return Step(state, (Say(t("This interview is complete.")),))
    if isinstance(move, Explain):
        return Step(state, (_explain(bank.question(key), t), prompt(state, bank, t)))
    if isinstance(move, Back):
        return _back(state, bank, t)
    if isinstance(move, Skip):
        if not bank.question(key).skippable:
            return Step(
                state, (prompt(state, bank, t, error=t("This question can't be skipped.")),)
            )
        return _record(state, key, SKIPPED, bank, t)
    question = bank.question(key)
    value = parse_answer(
        question,
        text=move.text,
        values=move.values,
        mentions=move.mentions,
        unit=unit_of(bank, question, state.known, t),
        translate=t,
    )
    if isinstance(value, Invalid):
        return Step(state, (prompt(state, bank, t, error=value.message),))
    return _record(state, key, value, bank, t)


def _explain(question: QuestionDef, t: Translator) -> Say:
    lines = [question.help.get(t.language)] if question.help else []
    if question.reference:
        lines.append(t("Why we ask: {reference}.", reference=question.reference))
    lines.append(
        t(
            "Type skip to leave it for later, back to return to the previous question, pause to stop for now."
        )
    )
    return Say("\n".join(lines))


PAUSED_SHOWN = N_("paused")
WENT_BACK_SHOWN = N_("not answered yet: you went back")
EDIT_LEFT_SHOWN = N_("not changed: you went back")


def _left(state: InterviewState, key: str, bank: Bank, t: Translator, shown: str) -> Answered:
    """The question ``key`` left unanswered: its message keeps what it asked, and
    no button (it is asked again, in a new message, when the interview comes back)."""
    return Answered(
        token=token_for(state, key),
        summary=t(
            "{question} → {answer}",
            question=_fill(bank.question(key).text.get(t.language), state.context),
            answer=t(shown),
        ),
        left=True,
    )


def _back(state: InterviewState, bank: Bank, t: Translator) -> Step:
    key = asked_key(state)
    if state.editing:
        # Leaving an edit returns to where the interview was; the edit's prompt goes quiet.
        left = replace(state, editing=None, revision=state.revision + 1)
        replies: tuple[Reply, ...] = (_left(state, state.editing, bank, t, EDIT_LEFT_SHOWN),)
        if left.current:
            replies += (prompt(left, bank, t),)
        return Step(left, replies, state_changed=True)
    previous = previous_question(
        bank, state.answers, state.current, state.context, state.depth_floor, state.outside
    )
    if previous is None:
        return Step(state, (Say(t("This is the first question.")), prompt(state, bank, t)))
    moved = replace(state, current=previous, revision=state.revision + 1)
    behind = (_left(state, key, bank, t, WENT_BACK_SHOWN),) if key is not None else ()
    return Step(moved, (*behind, prompt(moved, bank, t)), state_changed=True)


def answered(
    state: InterviewState, key: str, value: Any, bank: Bank, t: Translator, token: str | None = None
) -> Answered:
    """The question ``key`` settled with ``value``: what its prompt becomes."""
    question = bank.question(key)
    answers = {**state.known, key: value}
    shown = (
        t("skipped")
        if value is SKIPPED
        else format_answer(question, value, unit=unit_of(bank, question, answers, t), translate=t)
    )
    return Answered(
        token=token or token_for(state, key),
        summary=t(
            "{question} → {answer}",
            question=_fill(question.text.get(t.language), state.context),
            answer=shortened(shown),
        ),
    )


def _record(state: InterviewState, key: str, value: Any, bank: Bank, t: Translator) -> Step:
    answers = {**state.answers, key: value}
    settled = answered(state, key, value, bank, t)
    floor, outside = state.depth_floor, state.outside
    if state.editing:
        # Back to where the interview was, unless the edit made that question moot.
        still_open = (
            state.current in _applicable_keys(bank, answers, state.context, floor, outside)
            and state.current not in answers
        )
        following = (
            state.current
            if still_open
            else next_question(bank, answers, None, state.context, floor, outside)
        )
    else:
        following = next_question(bank, answers, key, state.context, floor, outside)
    moved = replace(
        state,
        answers=answers,
        editing=None,
        current=following,
        status=ACTIVE if following else COMPLETE,
        revision=state.revision + 1,
    )
    recorded = Recorded(key, None if value is SKIPPED else value, skipped=value is SKIPPED)
    told = _depth_decided(state, moved, bank, t)
    if following is None:
        return Step(moved, (settled, *told), recorded=recorded, completed=True, state_changed=True)
    return Step(
        moved, (settled, *told, prompt(moved, bank, t)), recorded=recorded, state_changed=True
    )


def depth_sentence(state: InterviewState, bank: Bank, t: Translator) -> str | None:
    """The depth in force and why, in one sentence; None while the triage has not decided."""
    decided = bank.depth_of(state.known, state.depth_floor)
    if decided is None or bank.depth is None:
        return None
    tier = bank.depth.label(decided.tier, t.language)
    if decided.raised:
        return t("A lead set this interview to {tier} depth.", tier=tier)
    return t(
        "This interview goes to {tier} depth, because {because}.",
        tier=tier,
        because=decided.because.get(t.language),
    )


def _depth_decided(
    before: InterviewState, after: InterviewState, bank: Bank, t: Translator
) -> tuple[Reply, ...]:
    """Tell the owner the depth once, when their answer decides it."""
    if bank.depth_of(before.known, before.depth_floor) is not None:
        return ()
    sentence = depth_sentence(after, bank, t)
    return (Say(sentence),) if sentence else ()
