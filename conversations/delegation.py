"""``ask <poc> <section> <person>``: a section of the interview handed to the person who knows it.

The owner or a lead hands a section (by its key in the bank) to someone; that
person gets it in their own direct conversation, in a run of its own
(``conversations.respondents``), and answers only it. They can hand it back
(``ask <poc> <section> back``) or on to someone else; the owner or a lead can
take it back the same way. Every hand-over is in the audit trail. Until each
handed section is answered, the recommendation waits for it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time

from conversations import assessments, engine, interviews, outbox, respondents
from conversations.access import may_answer
from conversations.bank import Bank, SectionDef
from conversations.commands import Command
from conversations.context import Context, zone
from conversations.delivery import Destination
from conversations.errors import Forbidden, UserError
from conversations.i18n import Translator, translator
from conversations.limits import quoted
from conversations.messages import (
    ActionInput,
    Answered,
    Ask,
    Card,
    Field,
    PersonRef,
    QuestionKind,
    Reply,
    Say,
    Section,
    Visibility,
)
from storage import assignments
from storage.models import (
    AssignmentState,
    Interview,
    InterviewStatus,
    Person,
    Poc,
    SectionAssignment,
)
from storage.repository import Repo

SYNTAX = "ask <poc> [<section> <person>|back]"
BACK_WORDS = frozenset({"back", "retour"})


async def ask(ctx: Context, command: Command) -> list[Reply]:
    if not command.args:
        raise UserError("Usage: {syntax}", syntax=SYNTAX)
    from conversations.handlers import find_poc  # handlers imports this module

    poc = await find_poc(ctx, command.args[0])
    assert poc.id is not None
    interview = await ctx.repo.latest_interview(poc.id)
    if interview is None:
        raise UserError(
            "The interview for {poc} has not started. Type {cmd}interview {poc}.", poc=poc.handle
        )
    bank = interviews.bank_of(interview)
    if len(command.args) == 1:
        return [await sections_card(ctx, poc, interview, bank)]
    section = _section(ctx, poc, bank, command.args[1])
    rest = command.args[2:]
    if not rest and not ctx.inbound.mentions:
        assert interview.id is not None
        _require(ctx, poc, await assignments.of_section(ctx.repo, interview.id, section.key))
        return [_picker(ctx, poc, interview, section)]
    if len(rest) == 1 and rest[0].lower() in BACK_WORDS and not ctx.inbound.mentions:
        return await give_back(ctx, poc, interview, section)
    # Imported here: handlers registers this command, and names people for every command.
    from conversations.handlers import resolve_person

    person = await resolve_person(ctx, " ".join(rest))
    return await hand(ctx, poc, interview, bank, section, person)


def delegable(bank: Bank) -> list[SectionDef]:
    """The sections that can be handed over: all but the triage, which sets the depth."""
    triage = bank.depth.triage if bank.depth else ()
    return [s for s in bank.sections if s.key not in triage]


def _section(ctx: Context, poc: Poc, bank: Bank, key: str) -> SectionDef:
    found = next((s for s in delegable(bank) if s.key == key.lower()), None)
    if found is None:
        raise UserError(
            "{poc} has no section {section} to hand over. Type {cmd}ask {poc} to see its sections.",
            poc=poc.handle,
            section=quoted(key),
        )
    return found


def _name(person: Person | None) -> str:
    if person is None:
        return "?"
    return person.display_name or person.platform_id


async def sections_card(ctx: Context, poc: Poc, interview: Interview, bank: Bank) -> Card:
    """``ask <poc>``: each section by its key, and who answers it."""
    assert interview.id is not None
    handed = {a.section_key: a for a in await assignments.of_interview(ctx.repo, interview.id)}
    owner = await ctx.repo.person_by_id(poc.owner_id) if poc.owner_id else None
    fields = []
    for section in delegable(bank):
        a = handed.get(section.key)
        title = f"{section.key} · {section.title.get(ctx.t.language)}"
        if a is not None and a.state == AssignmentState.WAITING:
            who = ctx.t(
                "{name}, waiting since {since}",
                name=_name(await ctx.repo.person_by_id(a.holder_id)),
                since=ctx.t.date(a.since.date()),
            )
        elif a is not None and a.state == AssignmentState.ANSWERED:
            who = ctx.t("answered by {name}", name=_name(await ctx.repo.person_by_id(a.holder_id)))
        else:
            who = ctx.t("the owner ({name})", name=_name(owner)) if owner else ctx.t("the owner")
        fields.append(Field(title, who))
    sections = tuple(Section(fields=tuple(fields[i : i + 10])) for i in range(0, len(fields), 10))
    return Card(
        title=ctx.t("Sections of {poc}: {cmd}ask {poc} <section> <person>", poc=poc.handle),
        sections=sections,
    )


async def respondent_fields(ctx: Context, interview: Interview | None) -> tuple[Field, ...]:
    """For a summary: each section handed over, and who answered it or is awaited."""
    if interview is None or interview.id is None:
        return ()
    bank = interviews.bank_of(interview)
    titles = {s.key: s.title.get(ctx.t.language) for s in bank.sections}
    fields = []
    for a in await assignments.of_interview(ctx.repo, interview.id):
        name = _name(await ctx.repo.person_by_id(a.holder_id))
        if a.state == AssignmentState.ANSWERED:
            fields.append(Field(titles.get(a.section_key, a.section_key), name))
        elif a.state == AssignmentState.WAITING:
            waiting = ctx.t(
                "{name}, waiting since {since}", name=name, since=ctx.t.date(a.since.date())
            )
            fields.append(Field(titles.get(a.section_key, a.section_key), waiting))
    return tuple(fields)


def _picker(ctx: Context, poc: Poc, interview: Interview, section: SectionDef) -> Ask:
    """Who should answer ``section``: a person question whose answer hands it over."""
    title = section.title.get(ctx.t.language)
    return Ask(
        token=f"{interview.id}.{interview.revision}.{interviews.HAND_OVER}{section.key}",
        poc_handle=poc.handle,
        progress=title,
        text=ctx.t("Who should answer {section} of {poc}?", section=title, poc=poc.handle),
        kind=QuestionKind.PERSON,
        hint=ctx.t(
            "Pick them, or type {cmd}ask {poc} {section} @name.",
            poc=poc.handle,
            section=section.key,
        ),
        # Teams and the console show no people picker here: the owner types the command.
        typed_hint=ctx.t(
            "Type {cmd}ask {poc} {section} @name to hand it to them.",
            poc=poc.handle,
            section=section.key,
        ),
    )


async def picked(ctx: Context, token: engine.Token, action: ActionInput) -> list[Reply]:
    """The person picked on :func:`_picker`'s question."""
    interview = await ctx.repo.interview(token.interview_id)
    poc = await ctx.repo.poc_by_id(interview.poc_id) if interview else None
    if interview is None or poc is None or poc.workspace_id != ctx.workspace_id:
        raise UserError("That button is no longer valid.")
    bank = interviews.bank_of(interview)
    section = _section(ctx, poc, bank, token.key.removeprefix(interviews.HAND_OVER))
    refs = ctx.inbound.mentions or tuple(PersonRef(v) for v in action.values if v)
    if not refs:
        raise UserError("Name a person.")
    from conversations.handlers import resolve_person

    person = await resolve_person(replace_mentions(ctx, refs), "")
    handed = await hand(ctx, poc, interview, bank, section, person)
    title = section.title.get(ctx.t.language)
    settled = Answered(
        token=action.token,
        summary=ctx.t(
            "{question} → {answer}",
            question=ctx.t("Who should answer {section} of {poc}?", section=title, poc=poc.handle),
            answer=_name(person),
        ),
    )
    return [settled, *handed]


def replace_mentions(ctx: Context, refs: tuple[PersonRef, ...]) -> Context:
    return replace(ctx, inbound=replace(ctx.inbound, mentions=refs))


def _require(ctx: Context, poc: Poc, held: SectionAssignment | None) -> None:
    """The owner, a lead, or the person holding the section (handing it back or on)."""
    holder = (
        held is not None
        and held.state == AssignmentState.WAITING
        and held.holder_id == ctx.person_id
    )
    if not (may_answer(ctx, poc) or holder):
        raise Forbidden(
            "Only the owner of {poc}, a lead or the person it was handed to can do that.",
            poc=poc.handle,
        )


async def hand(
    ctx: Context,
    poc: Poc,
    interview: Interview,
    bank: Bank,
    section: SectionDef,
    person: Person,
) -> list[Reply]:
    """Hand ``section`` to ``person`` (or on to them, from whoever holds it)."""
    assert interview.id is not None and poc.id is not None and person.id is not None
    held = await assignments.of_section(ctx.repo, interview.id, section.key)
    _require(ctx, poc, held)
    if person.id == poc.owner_id:
        return await give_back(ctx, poc, interview, section)
    waiting = held is not None and held.state == AssignmentState.WAITING
    title = section.title.get(ctx.t.language)
    if waiting and held is not None and held.holder_id == person.id:
        raise UserError(
            "{name} already answers {section} of {poc}.",
            name=_name(person),
            section=title,
            poc=poc.handle,
        )
    previous = held.holder_id if waiting and held is not None else None
    run = await _run_for(ctx, poc, interview, held, person)
    if held is None:
        held = SectionAssignment(
            poc_id=poc.id,
            interview_id=interview.id,
            section_key=section.key,
            holder_id=person.id,
            asked_by_id=ctx.person_id,
            since=ctx.now,
        )
    held.holder_id, held.asked_by_id, held.since = person.id, ctx.person_id, ctx.now
    held.state, held.run_id = AssignmentState.WAITING, run.id
    held.answered_at = held.reminded_at = None
    await assignments.put(ctx.repo, held)
    first = await _first_question(ctx, poc, run, person)
    if first is None:
        raise UserError(
            "Every question of {section} of {poc} is answered already.",
            section=title,
            poc=poc.handle,
        )
    await ctx.audit(
        "section_handed",
        poc.id,
        section=section.key,
        holder_id=person.id,
        previous_holder_id=previous,
    )
    await _tell(
        ctx,
        person,
        f"handover:{held.id}:{run.revision}",
        [*_invitation(ctx, poc, section, person), first],
    )
    replies: list[Reply] = [
        Say(
            ctx.t(
                "{name} now answers {section} of {poc}, in their direct conversation with me. "
                "The interview goes on without it.",
                name=_name(person),
                section=title,
                poc=poc.handle,
            )
        )
    ]
    return [*replies, *await _move_on(ctx, poc, interview)]


async def _run_for(
    ctx: Context, poc: Poc, interview: Interview, held: SectionAssignment | None, person: Person
) -> Interview:
    """The holder's run of the section: the earlier one passed on, or a new one."""
    assert poc.id is not None
    run = await ctx.repo.interview(held.run_id) if held and held.run_id else None
    if run is None:
        return await ctx.repo.add_interview(
            Interview(
                poc_id=poc.id,
                flow=respondents.FLOW,
                flow_version=interview.flow_version,
                held_by_id=person.id,
                started_at=ctx.now,
                updated_at=ctx.now,
            )
        )
    await ctx.repo.move_interview(
        run,
        run.revision,
        held_by_id=person.id,
        status=InterviewStatus.ACTIVE,
        current_key=None,
        editing_key=None,
        updated_at=ctx.now,
    )
    return run


def _their_t(ctx: Context, person: Person) -> Translator:
    return translator(person.locale).for_commands(ctx.inbound.command_prefix)


async def _first_question(ctx: Context, poc: Poc, run: Interview, person: Person) -> Ask | None:
    """Move the run to its first question and return it, in the holder's language."""
    state = await interviews.load_state(ctx.repo, run, poc)
    step = engine.start(state, interviews.bank_of(run), _their_t(ctx, person))
    if step.state.current is None:
        return None
    if step.state_changed:
        await ctx.repo.move_interview(
            run,
            state.revision,
            status=InterviewStatus(step.state.status),
            current_key=step.state.current,
            updated_at=ctx.now,
        )
    asks = [r for r in step.replies if isinstance(r, Ask)]
    if asks:
        return asks[-1]
    return engine.prompt(
        await interviews.load_state(ctx.repo, run, poc),
        interviews.bank_of(run),
        _their_t(ctx, person),
    )


def _invitation(ctx: Context, poc: Poc, section: SectionDef, person: Person) -> list[Reply]:
    t = _their_t(ctx, person)
    title = section.title.get(t.language)
    lines = [
        t(
            "{asker} asked you to answer {section} for {title} ({poc}): they think you know it best.",
            asker=_name(ctx.person),
            section=title,
            title=poc.title,
            poc=poc.handle,
        ),
    ]
    if section.reference:
        lines.append(
            t(
                "These questions are part of the review before a decision on it ({reference}).",
                reference=section.reference,
            )
        )
    lines.append(
        t(
            "You answer only this section. To hand it back: {cmd}ask {poc} {section} back",
            poc=poc.handle,
            section=section.key,
        )
    )
    return [Say("\n".join(lines))]


async def _tell(ctx: Context, person: Person, key: str, replies: list[Reply]) -> None:
    """Post to ``person``'s direct conversation, once, through the outbox."""
    await outbox.enqueue(
        ctx.repo,
        workspace_id=ctx.workspace_id,
        key=key,
        kind="hand_over",
        destination=Destination(ctx.workspace.key, person=person.platform_id),
        replies=replies,
        due_at=ctx.now,
    )


async def _move_on(ctx: Context, poc: Poc, interview: Interview) -> list[Reply]:
    """The owner's interview leaves a question of a section someone else now holds."""
    if interview.held_by_id != ctx.person_id or interview.status != InterviewStatus.ACTIVE:
        return []
    state = await interviews.load_state(ctx.repo, interview, poc)
    if state.editing or state.current is None or state.current not in state.outside:
        return []
    bank = interviews.bank_of(interview)
    # The question left behind loses its buttons, as an answered one does.
    left = Answered(
        token=engine.token_for(state, state.current),
        summary=ctx.t(
            "{question} → {answer}",
            question=bank.question(state.current).text.get(ctx.t.language),
            answer=ctx.t("someone else answers this section"),
        ),
    )
    step = engine.start(state, bank, ctx.t)
    replies = await interviews.save(ctx, interview, poc, state, step)
    return [left, *(r if not isinstance(r, Say | Ask) else _direct(r) for r in replies)]


def _direct(reply: Say | Ask) -> Reply:
    return replace(reply, visibility=Visibility.DIRECT)


async def give_back(
    ctx: Context, poc: Poc, interview: Interview, section: SectionDef
) -> list[Reply]:
    """The holder hands the section back, or the owner or a lead takes it back."""
    assert interview.id is not None
    held = await assignments.of_section(ctx.repo, interview.id, section.key)
    title = section.title.get(ctx.t.language)
    _require(ctx, poc, held)
    if held is None or held.state != AssignmentState.WAITING:
        raise UserError(
            "{section} of {poc} is not handed to anyone.", section=title, poc=poc.handle
        )
    by_holder = held.holder_id == ctx.person_id
    holder = await ctx.repo.person_by_id(held.holder_id)
    held.state = AssignmentState.RETURNED
    await assignments.put(ctx.repo, held)
    run = await ctx.repo.interview(held.run_id) if held.run_id else None
    if run is not None:
        # Their typing and their buttons no longer reach it.
        await ctx.repo.move_interview(
            run, run.revision, held_by_id=None, status=InterviewStatus.PAUSED, updated_at=ctx.now
        )
    await ctx.audit(
        "section_handed_back" if by_holder else "section_taken_back",
        poc.id,
        section=section.key,
        holder_id=held.holder_id,
    )
    owner = await ctx.repo.person_by_id(poc.owner_id) if poc.owner_id else None
    if by_holder and owner is not None and owner.id != ctx.person_id:
        t = _their_t(ctx, owner)
        await _tell(
            ctx,
            owner,
            f"handback:{held.id}:{ctx.now.isoformat()}",
            [
                Say(
                    t(
                        "{name} handed {section} of {poc} back to you: it is part of your "
                        "interview again ({cmd}interview {poc}).",
                        name=_name(holder),
                        section=section.title.get(t.language),
                        poc=poc.handle,
                    )
                )
            ],
        )
    if not by_holder and holder is not None:
        t = _their_t(ctx, holder)
        await _tell(
            ctx,
            holder,
            f"takeback:{held.id}:{ctx.now.isoformat()}",
            [
                Say(
                    t(
                        "{name} took {section} of {poc} back: nothing more to answer there.",
                        name=_name(ctx.person),
                        section=section.title.get(t.language),
                        poc=poc.handle,
                    )
                )
            ],
        )
    return [Say(ctx.t("{section} of {poc} is back with its owner.", section=title, poc=poc.handle))]


async def begin_run(ctx: Context, poc: Poc) -> list[Reply] | None:
    """``interview <poc>`` by a person a section of it was handed to: their section.
    None when they hold none (the usual interview, or its refusal, follows)."""
    if may_answer(ctx, poc):
        return None
    held = [a for a in await assignments.held_by(ctx.repo, ctx.person_id) if a.poc_id == poc.id]
    run = await ctx.repo.interview(held[0].run_id) if held and held[0].run_id else None
    if run is None:
        return None
    state = await interviews.load_state(ctx.repo, run, poc)
    step = engine.start(state, interviews.bank_of(run), ctx.t)
    shown = await respondents.intro(ctx.repo, run, poc, ctx.t)
    return [*shown, *await interviews.save(ctx, run, poc, state, step)]


async def on_run_completed(ctx: Context, poc: Poc, run: Interview) -> list[Reply]:
    """The holder answered the last question of their section."""
    assert run.id is not None
    held = await assignments.of_run(ctx.repo, run.id)
    if held is None:
        return []
    held.state, held.answered_at = AssignmentState.ANSWERED, ctx.now
    await assignments.put(ctx.repo, held)
    await ctx.audit("section_answered", poc.id, section=held.section_key, holder_id=held.holder_id)
    bank = interviews.bank_of(run)
    section = next(s for s in bank.sections if s.key == held.section_key)
    owner = await ctx.repo.person_by_id(poc.owner_id) if poc.owner_id else None
    main = await ctx.repo.interview(held.interview_id)
    if owner is not None:
        t = _their_t(ctx, owner)
        told: list[Reply] = [
            Say(
                t(
                    "{name} answered {section} of {poc}.",
                    name=_name(ctx.person),
                    section=section.title.get(t.language),
                    poc=poc.handle,
                )
            )
        ]
        if main is not None and main.status == InterviewStatus.COMPLETE:
            told.extend(await assessments.on_completed(ctx, poc))
        await _tell(ctx, owner, f"answered:{held.id}:{ctx.now.isoformat()}", told)
    replies: list[Reply] = [
        Say(
            ctx.t(
                "Thank you: your answers to {section} of {poc} are recorded.",
                section=section.title.get(ctx.t.language),
                poc=poc.handle,
            )
        )
    ]
    return [*replies, *await interviews.pending(ctx)]


async def remind_holders(repo: Repo, now: datetime, *, handed_before: datetime, at: time) -> int:
    """The weekly pass reminds each holder of a section still unanswered, once per
    hand-over, on a working day from the check-in hour, unless they are away."""
    reminded = 0
    for held in await assignments.to_remind(repo, handed_before):
        holder = await repo.person_by_id(held.holder_id)
        poc = await repo.poc_by_id(held.poc_id)
        run = await repo.interview(held.run_id) if held.run_id else None
        workspace = await repo.installs.by_id(poc.workspace_id) if poc else None
        if holder is None or poc is None or run is None or workspace is None:
            continue
        if not workspace.active or run.current_key is None:
            continue
        local = now.astimezone(zone(holder.timezone))
        if local.weekday() >= 5 or local.time() < at:
            continue
        if holder.away_until is not None and holder.away_until >= local.date():
            continue
        t = translator(holder.locale)
        state = await interviews.load_state(repo, run, poc)
        bank = interviews.bank_of(run)
        title = next(s.title.get(t.language) for s in bank.sections if s.key == held.section_key)
        await assignments.mark_reminded(repo, held, now)
        assert workspace.id is not None
        if await outbox.enqueue(
            repo,
            workspace_id=workspace.id,
            key=f"section-reminder:{held.id}:{held.since.isoformat()}",
            kind="section_reminder",
            destination=Destination(workspace.key, person=holder.platform_id),
            replies=[
                Say(
                    t(
                        "A reminder: {section} of {poc} is waiting for your answers.",
                        section=title,
                        poc=poc.handle,
                    )
                ),
                engine.prompt(state, bank, t),
            ],
            due_at=now,
        ):
            reminded += 1
    return reminded


interviews.ON_COMPLETED[respondents.FLOW] = on_run_completed
interviews.ON_HAND_OVER = picked
