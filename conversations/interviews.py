"""Running an interview against storage: load the state, step the engine, save.

Each step is saved in the caller's transaction, guarded by the interview's
revision: when two devices answer the same question at once, one wins and the
other's transaction fails with ``StaleRevision`` (the service tells them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from conversations import assessments, commands, early_stop, engine, interjections, respondents
from conversations.access import may_answer, require_owner_or_lead
from conversations.answers import Invalid
from conversations.bank import SKIPPED, Bank, load_bank
from conversations.context import Context
from conversations.errors import UserError
from conversations.help import help_card
from conversations.i18n import Translator
from conversations.limits import quoted
from conversations.llm import follow_ups, numbers
from conversations.messages import ActionInput, Answered, Move, Reply, Say, Visibility
from conversations.metrics import INTERVIEW_STEPS
from storage.models import Answer, Interview, InterviewStatus, Poc
from storage.repository import Repo

# Words that steer the interview instead of answering it, in both languages.
_STEERING: dict[str, engine.Move] = {
    "skip": engine.Skip(),
    "passer": engine.Skip(),
    "back": engine.Back(),
    "retour": engine.Back(),
    "pause": engine.Pause(),
    "help": engine.Explain(),
    "aide": engine.Explain(),
    "?": engine.Explain(),
}


def steering_move(text: str) -> engine.Move | None:
    return _STEERING.get(text.strip().lower().rstrip("!."))


def bank_of(interview: Interview) -> Bank:
    """The bank an interview runs, at the version it started with."""
    return load_bank(respondents.bank_flow(interview.flow), interview.flow_version)


async def state_of(ctx: Context, interview: Interview, poc: Poc) -> engine.InterviewState:
    return await load_state(ctx.repo, interview, poc)


async def load_state(repo: Repo, interview: Interview, poc: Poc) -> engine.InterviewState:
    """An interview as the engine reads it, from its row and its answers."""
    assert poc.id is not None and interview.id is not None
    # A section run reads the interview's answers; the interview skips sections others hold.
    bank = bank_of(interview)
    scope = await respondents.scope(repo, interview, bank)
    rows = await repo.interview_answers(scope.answers_of)
    return engine.InterviewState(
        interview_id=interview.id,
        revision=interview.revision,
        poc_handle=poc.handle,
        status=interview.status,
        current=interview.current_key,
        editing=interview.editing_key,
        answers=assessments.answers_of(rows, bank),
        context=follow_ups.engine_context(interview.context),
        depth_floor=scope.depth_floor,
        early_stop=interview.early_stop,
        outside=scope.outside,
        hands_over=interview.flow == respondents.MAIN,
    )


async def begin(ctx: Context, poc: Poc, go_on: bool = False) -> list[Reply]:
    """``interview <poc>``: start, or resume where it stopped; ``go_on`` (``interview
    <poc> continue``) goes on for the record after a stop rule ended the questions."""
    require_owner_or_lead(ctx, poc)
    assert poc.id is not None
    interview = await ctx.repo.latest_interview(poc.id)
    if interview is None:
        interview = await ctx.repo.add_interview(
            Interview(
                poc_id=poc.id,
                flow=ctx.bank.flow,
                flow_version=ctx.bank.version,
                held_by_id=ctx.person_id,
                started_at=ctx.now,
                updated_at=ctx.now,
            )
        )
        await ctx.audit("interview_started", poc.id)
    await _take_over(ctx, interview)
    state = await state_of(ctx, interview, poc)
    if early_stop.held(state) and not go_on:
        return _direct_if_needed(ctx, [await stopped_card(ctx, poc)])
    step = (
        early_stop.go_on(state, bank_of(interview), ctx.t)
        if early_stop.held(state)
        else engine.start(state, bank_of(interview), ctx.t)
    )
    replies = await save(ctx, interview, poc, state, step)
    waiting = follow_ups.waiting(interview)
    if waiting is not None:
        replies = [follow_ups.prompt(step.state, bank_of(interview), ctx.t, waiting)]
    if step.state.status == engine.COMPLETE:
        done = Say(
            ctx.t(
                "The interview for {poc} is complete. Use {cmd}edit {poc} <question> to change an answer.",
                poc=poc.handle,
            )
        )
        return [done, *replies]
    return _direct_if_needed(ctx, replies)


def _direct_if_needed(ctx: Context, replies: list[Reply]) -> list[Reply]:
    if not ctx.inbound.place.is_direct:
        return [
            Say(ctx.t("I'll ask you the questions in our direct conversation.")),
            *_direct(replies),
        ]
    return replies


async def stopped_card(ctx: Context, poc: Poc) -> Reply:
    """The recommendation a stop rule gave, with the way to go on for the record."""
    return early_stop.card(poc.handle, await assessments.live(ctx, poc), ctx.t, ctx.bank)


async def _take_over(ctx: Context, interview: Interview) -> None:
    """The person taking the interview now holds it; their other interviews pause."""
    other = await ctx.repo.interview_held_by(ctx.person_id)
    if other is not None and other.id != interview.id:
        await ctx.repo.move_interview(
            other, other.revision, status=InterviewStatus.PAUSED, updated_at=ctx.now
        )
    if interview.held_by_id != ctx.person_id:
        await ctx.repo.move_interview(
            interview, interview.revision, held_by_id=ctx.person_id, updated_at=ctx.now
        )


def _direct(replies: list[Reply]) -> list[Reply]:
    return [replace(r, visibility=Visibility.DIRECT) for r in replies]


async def held(ctx: Context) -> tuple[Interview, Poc] | None:
    """The interview the person is answering in their direct conversation, if any."""
    interview = await ctx.repo.interview_held_by(ctx.person_id)
    if interview is None:
        return None
    poc = await ctx.repo.poc_by_id(interview.poc_id)
    if poc is None or poc.workspace_id != ctx.workspace_id:
        return None
    return interview, poc


async def pending(ctx: Context) -> list[Reply]:
    """The question the person was last asked, to show it again (on hello, at start)."""
    found = await held(ctx)
    if found is None or not _may_answer(ctx, *found):
        return []
    interview, poc = found
    state = await state_of(ctx, interview, poc)
    waiting = follow_ups.waiting(interview)
    if waiting is not None:
        return [follow_ups.prompt(state, bank_of(interview), ctx.t, waiting)]
    if early_stop.held(state) and state.editing is None:
        return [await stopped_card(ctx, poc)]
    if engine.asked_key(state) is None:
        return []
    about = await respondents.intro(ctx.repo, interview, poc, ctx.t)
    return [*about, engine.prompt(state, bank_of(interview), ctx.t)]


async def settled(repo: Repo, workspace_id: int, token: str, t: Translator) -> Answered | None:
    """The question of ``token``, settled with its stored answer, once the
    interview asks something else; None while it is asked or unanswered."""
    read = engine.read_token(token)
    interview = await repo.interview(read.interview_id) if read else None
    poc = await repo.poc_by_id(interview.poc_id) if interview else None
    if read is None or interview is None or poc is None or poc.workspace_id != workspace_id:
        return None
    state = await load_state(repo, interview, poc)
    bank = bank_of(interview)
    still_asked = state.status != engine.COMPLETE and engine.asked_key(state) == read.key
    if still_asked or read.key not in state.answers or not bank.has(read.key):
        return None
    return engine.answered(state, read.key, state.answers[read.key], bank, t, token=token)


async def answer_text(ctx: Context, text: str) -> list[Reply] | None:
    """Typed text in a direct conversation: an answer or a steering word; None if no interview."""
    found = await held(ctx)
    if found is None:
        return None
    interview, poc = found
    if await interjections.is_command(ctx, text):
        # "list", "summary x": a command typed mid-interview, never an answer.
        return None
    if not _may_answer(ctx, interview, poc):
        # The POC changed hands, or the lead who took the interview over is no
        # longer one: their typing answers nothing, and commands still work.
        if commands.parse(text) is not None:
            return None
        require_owner_or_lead(ctx, poc)
    waiting = follow_ups.waiting(interview)
    if waiting is not None:
        return await _answer_follow_up(ctx, interview, poc, waiting, text)
    if interview.early_stop == early_stop.HELD and interview.editing_key is None:
        return await _while_stopped(ctx, interview, poc, text)
    if ctx.inbound.reply_to is not None:
        _check_token(ctx.inbound.reply_to, interview, poc)
    move = steering_move(text) or engine.Respond(text=text, mentions=ctx.inbound.mentions)
    replies = await _step(ctx, interview, poc, move)
    if isinstance(move, engine.Explain):
        # "help" in the conversation: why this question first, then what the bot can do.
        return [*replies, help_card(ctx)]
    return replies


async def _while_stopped(
    ctx: Context, interview: Interview, poc: Poc, text: str
) -> list[Reply] | None:
    """Typed text after a stop rule ended the questions: nothing is taken as an answer."""
    if early_stop.is_continue(text):
        return await begin(ctx, poc, go_on=True)
    if commands.parse(text) is not None:
        return None
    return [
        Say(
            ctx.t(
                "The questions for {poc} stopped: a stop rule holds. Type continue to go on "
                "for the record, or edit {poc} <question> to change an answer.",
                poc=poc.handle,
            )
        )
    ]


def _may_answer(ctx: Context, interview: Interview, poc: Poc) -> bool:
    """The owner and leads answer an interview; a section run, only the person holding it."""
    if interview.flow == respondents.FLOW:
        return respondents.holds(ctx.person_id, interview)
    return may_answer(ctx, poc)


def _check_token(raw: str, interview: Interview, poc: Poc, asked: str | None = None) -> None:
    """Refuse an answer aimed at a question the interview has moved on from."""
    token = engine.read_token(raw)
    asked = asked or interview.editing_key or interview.current_key
    if token is None or token.interview_id != interview.id:
        return
    if token.revision != interview.revision or token.key != asked:
        raise UserError(
            "That question was already answered (perhaps from another device). "
            "Type {cmd}interview {poc} to see where you are.",
            poc=poc.handle,
        )


async def answer_action(ctx: Context, action: ActionInput) -> list[Reply]:
    """A button, checkbox, picker or card submit carrying a question token."""
    token = engine.read_token(action.token)
    if token is not None and token.key.startswith(HAND_OVER):
        # "Someone else should answer this": the person picked (conversations.delegation).
        return await ON_HAND_OVER(ctx, token, action)
    interview = await ctx.repo.interview(token.interview_id) if token else None
    poc = await ctx.repo.poc_by_id(interview.poc_id) if interview else None
    if token is None or interview is None or poc is None or poc.workspace_id != ctx.workspace_id:
        raise UserError("That button is no longer valid.")
    if interview.flow != respondents.FLOW:
        require_owner_or_lead(ctx, poc)
    elif not respondents.holds(ctx.person_id, interview):
        raise UserError("That button is no longer valid.")
    _check_token(action.token, interview, poc)
    await _take_over(ctx, interview)
    if action.move is not None:
        return await _step(ctx, interview, poc, _pressed_move(action.move))
    return await _step(
        ctx, interview, poc, engine.Respond(values=action.values, mentions=ctx.inbound.mentions)
    )


_MOVES: dict[str, engine.Move] = {
    Move.SKIP: engine.Skip(),
    Move.BACK: engine.Back(),
    Move.PAUSE: engine.Pause(),
}


def _pressed_move(move: str) -> engine.Move:
    """The move a Skip, Back or Pause button names; anything else is not ours."""
    found = _MOVES.get(move)
    if found is None:
        raise UserError("That button is no longer valid.")
    return found


async def edit(ctx: Context, poc: Poc, key: str) -> list[Reply]:
    """``edit <poc> <question>``: ask that question again; the next answer replaces the old one."""
    require_owner_or_lead(ctx, poc)
    assert poc.id is not None
    if not ctx.bank.has(key):
        raise UserError(
            "{poc} has no question {question}. Type {cmd}edit {poc} to see its questions and their keys.",
            poc=poc.handle,
            question=quoted(key),
        )
    interview = await ctx.repo.latest_interview(poc.id)
    if interview is None:
        raise UserError(
            "The interview for {poc} has not started. Type {cmd}interview {poc}.", poc=poc.handle
        )
    await _take_over(ctx, interview)
    state = await state_of(ctx, interview, poc)
    kept = engine.effective_answers(
        bank_of(interview), state.answers, state.context, state.depth_floor
    )
    if key not in kept and key != state.current:
        raise UserError(
            "That question does not apply to {poc} given its other answers.", poc=poc.handle
        )
    return await _step(ctx, interview, poc, engine.Edit(key))


async def _step(ctx: Context, interview: Interview, poc: Poc, move: engine.Move) -> list[Reply]:
    state = await state_of(ctx, interview, poc)
    bank = bank_of(interview)
    step = engine.advance(state, move, bank, ctx.t)
    # The language model, when there is one, is asked before anything is written;
    # each call is bounded in time and None falls back to the step as it was.
    step = await numbers.reread(ctx, state, move, step, bank)
    # A section run stops nothing early: the interview it feeds does (its owner is told).
    step = early_stop.check(state, step, bank) if interview.flow == bank.flow else step
    follow_up = (
        None if step.stopped else await follow_ups.consider(ctx, interview, state, move, step, bank)
    )
    if not ctx.rehearsal:
        INTERVIEW_STEPS.labels(interview.flow, _step_name(move, step)).inc()
    replies = await save(ctx, interview, poc, state, step)
    if follow_up is None:
        return replies
    return await follow_ups.ask(ctx, interview, step, bank, follow_up, replies)


async def _answer_follow_up(
    ctx: Context, interview: Interview, poc: Poc, waiting: follow_ups.Waiting, text: str
) -> list[Reply]:
    """Typed text while a follow-up waits: added to the answer it follows up.
    ``skip`` goes on without it, ``help`` explains, other steering words apply as usual."""
    if ctx.inbound.reply_to is not None:
        _check_token(ctx.inbound.reply_to, interview, poc, asked=waiting.key)
    move = steering_move(text)
    state = await state_of(ctx, interview, poc)
    bank = bank_of(interview)
    if isinstance(move, engine.Explain):
        return [follow_ups.prompt(state, bank, ctx.t, waiting), help_card(ctx)]
    answer: str | None = None
    if move is None:
        added = follow_ups.added(state, bank, ctx.t, waiting, text)
        if isinstance(added, Invalid):
            return [follow_ups.prompt(state, bank, ctx.t, waiting, error=added.message)]
        answer = added
    settled = await follow_ups.settle(
        ctx, interview, poc, waiting, answer=answer, reply=text.strip()
    )
    if move is not None and not isinstance(move, engine.Skip):
        return [settled, *await _step(ctx, interview, poc, move)]
    state = await state_of(ctx, interview, poc)
    if engine.asked_key(state) is None:
        return [settled]
    return [settled, engine.prompt(state, bank, ctx.t)]


def _step_name(move: engine.Move, step: engine.Step) -> str:
    if step.completed:
        return "completed"
    if step.recorded is not None:
        return "skipped" if step.recorded.skipped else "answered"
    if isinstance(move, engine.Respond):
        return "rejected"
    return type(move).__name__.lower()


Completion = Callable[[Context, Poc, Interview], Awaitable[list[Reply]]]

HAND_OVER = "@"
"""A token whose key starts with this names a section to hand over, not a question."""


async def _no_hand_over(ctx: Context, token: engine.Token, action: ActionInput) -> list[Reply]:
    raise UserError("That button is no longer valid.")


# Set by conversations.delegation when imported (it imports this module).
ON_HAND_OVER: Callable[[Context, engine.Token, ActionInput], Awaitable[list[Reply]]] = _no_hand_over

# What happens when the last question of a flow is answered. Flows defined
# elsewhere (conversations.checkins) add themselves when imported.
ON_COMPLETED: dict[str, Completion] = {"post-poc": assessments.on_completed}


async def save(
    ctx: Context, interview: Interview, poc: Poc, before: engine.InterviewState, step: engine.Step
) -> list[Reply]:
    if step.state_changed:
        await ctx.repo.move_interview(
            interview,
            before.revision,
            status=InterviewStatus(step.state.status),
            current_key=step.state.current,
            editing_key=step.state.editing,
            held_by_id=ctx.person_id,
            updated_at=ctx.now,
            completed_at=ctx.now if step.completed else interview.completed_at,
            early_stop=step.state.early_stop,
        )
    replies: list[Reply] = list(step.replies)
    if step.recorded is not None:
        # The interview's answers are all the POC's for its questions (a
        # section run stores on it too; a check-in's keys are its own): a
        # question it has no answer to has none, and the revision guard above
        # keeps a second writer out.
        first = (
            step.state_changed
            and interview.flow in (respondents.MAIN, respondents.FLOW)
            and step.recorded.key not in before.answers
        )
        await _record(ctx, interview, poc, step.recorded, before.answers, first=first)
    if step.completed:
        replies.extend(await ON_COMPLETED[interview.flow](ctx, poc, interview))
    elif step.stopped:
        result = await assessments.on_stopped_early(ctx, poc)
        await ctx.audit("stopped_early", poc.id, question=step.recorded and step.recorded.key)
        replies.append(early_stop.card(poc.handle, result, ctx.t, ctx.bank))
    return replies


async def _record(
    ctx: Context,
    interview: Interview,
    poc: Poc,
    recorded: engine.Recorded,
    before: Mapping[str, Any],
    *,
    first: bool = False,
) -> None:
    assert poc.id is not None and interview.id is not None
    previous = await ctx.repo.record_answer(
        Answer(
            poc_id=poc.id,
            interview_id=await respondents.answers_home(ctx.repo, interview),
            question_key=recorded.key,
            value=recorded.value,
            skipped=recorded.skipped,
            person_id=ctx.person_id,
            created_at=ctx.now,
        ),
        first=first,
    )
    if previous is not None:
        await ctx.audit(
            "answer_changed",
            poc.id,
            question=recorded.key,
            previous_answer_id=previous.id,
            was_skipped=before.get(recorded.key) is SKIPPED,
        )
