"""One function per command. Each checks the role first, then writes.

Handlers raise :class:`UserError` for anything the person can fix; the
service turns it into a reply in their language and rolls back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from typing import Any

from conversations import (
    assessments,
    charts,
    delegation,
    health,
    interviews,
    nudges,
    outbox,
    record_formats,
    subscriptions,
    summaries,
)
from conversations import record as records
from conversations.access import require_admin, require_lead, require_owner_or_lead
from conversations.answers import Invalid, format_answer, parse_answer
from conversations.bank import SKIPPED, QuestionDef
from conversations.commands import Command
from conversations.context import Context
from conversations.currency import currency
from conversations.delivery import Destination
from conversations.depths import depth
from conversations.early_stop import is_continue
from conversations.engine import unit_of
from conversations.errors import UserError
from conversations.help import ROLE_NAMES, help_card
from conversations.limits import quoted
from conversations.llm import enabled
from conversations.llm.admin import llm
from conversations.llm.narratives import narrative_for
from conversations.messages import (
    Card,
    Document,
    Field,
    Image,
    PersonRef,
    QuestionKind,
    Reply,
    Say,
    Section,
    Visibility,
)
from conversations.reach import require_reach
from conversations.reopenings import close as close_review
from conversations.reopenings import reopen
from conversations.telemetry import is_telemetry
from conversations.telemetry_commands import source as source_command
from conversations.telemetry_commands import token as token_command
from conversations.watch import load_watched
from storage.models import Decision, Indicator, Outcome, Person, Poc, Reading, Role, Stage

Handler = Callable[[Context, Command], Awaitable[list[Reply]]]


MAX_TITLE = 200
MAX_RATIONALE = 2_000
"""A decision's rationale: a paragraph, not a document (it is posted in the channel)."""
DEFAULT_REVIEW_DAYS = 90


async def hello(ctx: Context, _: Command) -> list[Reply]:
    greeting = Say(ctx.t("Hello {name}!", name=ctx.person.display_name or ctx.person.platform_id))
    return [greeting, help_card(ctx), *await interviews.pending(ctx)]


async def show_help(ctx: Context, _: Command) -> list[Reply]:
    return [help_card(ctx)]


# -- POCs -----------------------------------------------------------------------


def make_handle(title: str, taken: set[str]) -> str:
    """A short, readable, unique handle from a title: "Invoice agent" → "invoice-agent"."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    base = "-".join(words)[:30].strip("-") or "poc"
    handle, n = base, 2
    while handle in taken:
        handle = f"{base}-{n}"
        n += 1
    return handle


async def find_poc(ctx: Context, handle: str) -> Poc:
    poc = await ctx.repo.poc(ctx.workspace_id, handle)
    if poc is None:
        raise UserError(
            "There is no POC called {poc}. Type {cmd}list to see them.", poc=quoted(handle)
        )
    return poc


def _need(command: Command, count: int, syntax: str) -> None:
    if len(command.args) < count:
        raise UserError("Usage: {syntax}", syntax=syntax)


async def new(ctx: Context, command: Command) -> list[Reply]:
    require_lead(ctx)
    title = command.rest.strip()
    if not title:
        raise UserError("Usage: {syntax}", syntax="new <title>")
    if len(title) > MAX_TITLE:
        raise UserError("A title is at most {limit} characters.", limit=MAX_TITLE)
    place = ctx.inbound.place
    if not place.is_direct:
        await require_reach(ctx, place.channel_id, "new")
    handle = make_handle(title, await ctx.repo.handles(ctx.workspace_id))
    poc = await ctx.repo.add_poc(
        Poc(
            workspace_id=ctx.workspace_id,
            handle=handle,
            title=title,
            owner_id=ctx.person_id,
            home_channel=None if place.is_direct else place.channel_id,
            created_by_id=ctx.person_id,
            created_at=ctx.now,
            stage_changed_at=ctx.now,
        )
    )
    await ctx.audit("poc_registered", poc.id, title=title, handle=handle)
    return [
        Say(
            ctx.t(
                "Registered {title} as {poc}, owned by you for now. Name its owner with {cmd}owner {poc} <person>, "
                "or start the interview with {cmd}interview {poc}.",
                title=title,
                poc=handle,
            ),
        )
    ]


async def _view(ctx: Context, poc: Poc) -> summaries.PocView:
    assert poc.id is not None
    answers = await assessments.answers_for(ctx, poc)
    floor = await assessments.depth_floor(ctx, poc)
    applicable = list(ctx.bank.applicable(answers, floor))
    interview = await ctx.repo.latest_interview(poc.id)
    decision = await ctx.repo.latest_decision(poc.id)
    owner = await ctx.repo.person_by_id(poc.owner_id) if poc.owner_id else None
    decider = await ctx.repo.person_by_id(decision.decided_by_id) if decision else None
    return summaries.PocView(
        poc=poc,
        owner_name=_name(owner),
        answers=answers,
        assessment=await assessments.live(ctx, poc),
        decision=decision,
        decided_by=_name(decider),
        answered=sum(1 for q in applicable if q.key in answers and answers[q.key] is not SKIPPED),
        total=len(applicable),
        skipped_needed=sum(1 for q in applicable if q.required and answers.get(q.key) is SKIPPED),
        interview_complete=interview is not None and interview.status == "complete",
        respondents=await delegation.respondent_fields(ctx, interview),
        depth_floor=floor,
    )


async def _latest_readings(ctx: Context, poc: Poc) -> tuple[summaries.LatestReading, ...]:
    assert poc.id is not None
    found = []
    for indicator in await ctx.repo.indicators(poc.id):
        assert indicator.id is not None
        rows = await ctx.repo.readings(indicator.id)
        if rows:
            last = rows[-1]
            found.append(
                summaries.LatestReading(
                    indicator.name,
                    indicator.unit,
                    last.value,
                    last.taken_on,
                    is_telemetry(last.source),
                )
            )
    return tuple(found)


def _name(person: Person | None) -> str | None:
    if person is None:
        return None
    return person.display_name or person.platform_id


async def list_pocs(ctx: Context, _: Command) -> list[Reply]:
    views = [await _view(ctx, poc) for poc in await ctx.repo.pocs(ctx.workspace_id)]
    return [summaries.portfolio_card(views, ctx.t)]


async def summary(ctx: Context, command: Command) -> list[Reply]:
    _need(command, 1, "summary <poc> [post]")
    poc = await find_poc(ctx, command.args[0])
    view = replace(await _view(ctx, poc), latest_readings=await _latest_readings(ctx, poc))
    narrative = await narrative_for(ctx, view)
    replies: list[Reply] = [summaries.summary_card(view, ctx.bank, ctx.t, narrative)]
    replies.extend(await _charts(ctx, poc))
    if len(command.args) > 1 and command.args[1].lower() in ("post", "publier"):
        if ctx.inbound.place.is_direct:
            raise UserError("post shares a summary in a channel; run it there.")
        await ctx.audit("summary_posted", poc.id, channel=ctx.inbound.place.channel_id)
        return [replace(r, visibility=Visibility.CHANNEL) for r in replies]
    return replies


async def _charts(ctx: Context, poc: Poc) -> list[Reply]:
    """The trend of each indicator that has readings."""
    assert poc.id is not None
    images: list[Reply] = []
    for indicator in await ctx.repo.indicators(poc.id):
        assert indicator.id is not None
        rows = list(await ctx.repo.readings(indicator.id))
        readings = [(r.taken_on, r.value) for r in rows]
        if not readings:
            continue
        fed = [is_telemetry(r.source) for r in rows]
        png = charts.indicator_chart(
            indicator.name,
            indicator.unit,
            readings,
            baseline=indicator.baseline,
            target=indicator.target,
            threshold=indicator.threshold,
            t=ctx.t,
            telemetry=fed,
        )
        alt = ctx.t(
            "{indicator}: {count} readings, latest {value} {unit}",
            indicator=indicator.name,
            count=len(readings),
            value=ctx.t.number(readings[-1][1]),
            unit=indicator.unit,
        )
        if any(fed):
            alt += " " + ctx.t("({count} from telemetry)", count=sum(fed))
        images.append(Image(png=png, alt=alt, filename=f"{poc.handle}-{indicator.id}.png"))
    return images


async def interview(ctx: Context, command: Command) -> list[Reply]:
    _need(command, 1, "interview <poc>")
    # "interview <poc> continue": go on for the record after a stop rule ended the questions
    go_on = len(command.args) > 1 and is_continue(command.args[1])
    poc = await find_poc(ctx, command.args[0])
    # Someone a section was handed to resumes their section, not the whole interview.
    section = await delegation.begin_run(ctx, poc)
    if section is not None:
        return section
    return await interviews.begin(ctx, poc, go_on=go_on)


async def edit(ctx: Context, command: Command) -> list[Reply]:
    _need(command, 1, "edit <poc> <question>")
    poc = await find_poc(ctx, command.args[0])
    if len(command.args) == 1:
        return [await _questions(ctx, poc)]
    return await interviews.edit(ctx, poc, command.args[1])


async def _questions(ctx: Context, poc: Poc) -> Card:
    """The questions that apply to a POC, by the key ``edit`` and ``history`` take."""
    answers = await assessments.answers_for(ctx, poc)
    floor = await assessments.depth_floor(ctx, poc)
    fields = [
        Field(question.key, question.label.get(ctx.t.language))
        for question in ctx.bank.applicable(answers, floor)
    ]
    sections = tuple(
        Section(title=ctx.t("Questions") if i == 0 else None, fields=tuple(fields[i : i + 10]))
        for i in range(0, len(fields), 10)
    )
    return Card(
        title=ctx.t("Change an answer of {poc}: {cmd}edit {poc} <question>", poc=poc.handle),
        sections=sections,
    )


async def history(ctx: Context, command: Command) -> list[Reply]:
    _need(command, 2, "history <poc> <question>")
    poc = await find_poc(ctx, command.args[0])
    key = command.args[1]
    if not ctx.bank.has(key):
        raise UserError(
            "{poc} has no question {question}. Type {cmd}edit {poc} to see its questions and their keys.",
            poc=poc.handle,
            question=quoted(key),
        )
    assert poc.id is not None
    question = ctx.bank.question(key)
    rows = await ctx.repo.answer_history(poc.id, key)
    if not rows:
        return [
            Say(ctx.t("No answer to {question} yet.", question=question.label.get(ctx.t.language)))
        ]
    answers = await assessments.answers_for(ctx, poc)
    fields = []
    for row in rows:
        who = _name(await ctx.repo.person_by_id(row.person_id)) if row.person_id else None
        shown = ctx.t("skipped") if row.skipped else _format(ctx, question, row.value, answers)
        status = ctx.t("current") if row.superseded_at is None else ctx.t("replaced")
        fields.append(
            Field(f"{row.created_at:%Y-%m-%d %H:%M} UTC · {who or '?'} · {status}", shown)
        )
    return [
        Card(
            title=question.label.get(ctx.t.language),
            subtitle=poc.handle,
            sections=(Section(fields=tuple(fields[-10:])),),
        )
    ]


def _format(ctx: Context, question: QuestionDef, value: object, answers: Mapping[str, Any]) -> str:
    return format_answer(
        question, value, unit=unit_of(ctx.bank, question, answers, ctx.t), translate=ctx.t
    )


# -- people and roles -----------------------------------------------------------


async def resolve_person(ctx: Context, words: str) -> Person:
    """The person a command names: a platform mention, else a known name."""
    if ctx.inbound.mentions:
        return await _person_from_mention(ctx, ctx.inbound.mentions[0])
    name = words.strip().lstrip("@")
    if not name:
        raise UserError("Name a person.")
    if not ctx.identity.is_local(ctx.workspace.key):
        # Anyone can set their display name to another's: a platform id or a
        # mention is the only name that can't be borrowed (conversations.identity).
        by_id = await ctx.repo.person(ctx.workspace_id, name)
        if by_id is not None:
            return by_id
        raise UserError(
            "I can't tell who {name} is from a name: mention them (@name) or give their user id.",
            name=quoted(name),
        )
    found = await ctx.repo.find_people(ctx.workspace_id, name)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise UserError(
            "More than one person is called {name}; mention the one you mean.", name=quoted(name)
        )
    raise UserError(
        "I don't know {name} yet. Mention them, or ask them to say hello to me first.",
        name=quoted(name),
    )


async def _person_from_mention(ctx: Context, ref: PersonRef) -> Person:
    person = await ctx.repo.person(ctx.workspace_id, ref.platform_id)
    if person is not None:
        return person
    return await ctx.repo.add_person(
        Person(
            workspace_id=ctx.workspace_id,
            platform_id=ref.platform_id,
            display_name=ref.name or "",
            created_at=ctx.now,
        )
    )


async def owner(ctx: Context, command: Command) -> list[Reply]:
    _need(command, 1, "owner <poc> <person>")
    require_lead(ctx)
    poc = await find_poc(ctx, command.args[0])
    if len(command.args) == 1 and not ctx.inbound.mentions:
        return await _no_owner(ctx, poc)
    person = await resolve_person(ctx, " ".join(command.args[1:]))
    poc.owner_id = person.id
    await ctx.repo.save(poc)
    await ctx.audit("owner_assigned", poc.id, owner_id=person.id)
    return [
        Say(
            ctx.t(
                "{name} now owns {poc}. They start the interview with {cmd}interview {poc}.",
                name=_name(person),
                poc=poc.handle,
            ),
        )
    ]


async def _no_owner(ctx: Context, poc: Poc) -> list[Reply]:
    """``owner <poc>`` with nobody: the POC has no owner; a running one is reopened."""
    if poc.owner_id is None:
        raise UserError("Usage: {syntax}", syntax="owner <poc> <person>")
    poc.owner_id = None
    await ctx.repo.save(poc)
    await ctx.audit("owner_removed", poc.id)
    replies: list[Reply] = [
        Say(
            ctx.t("{poc} has no owner now. Name one with owner {poc} <person>.", poc=poc.handle),
            visibility=Visibility.CHANNEL,
        )
    ]
    if await reopen(ctx.repo, ctx.workspace, poc, "owner_left", ctx.now, by=ctx.person_id):
        replies.append(
            Say(
                ctx.t(
                    "The decision on {poc} is reopened: its owner left.",
                    poc=poc.handle,
                ),
                visibility=Visibility.CHANNEL,
            )
        )
    return replies


async def role(ctx: Context, command: Command) -> list[Reply]:
    _need(command, 1 if ctx.inbound.mentions else 2, "role <person> admin|lead|member")
    await require_admin(ctx)
    wanted = command.args[-1].lower()
    if wanted not in {r.value for r in Role}:
        raise UserError("Usage: {syntax}", syntax="role <person> admin|lead|member")
    person = await resolve_person(ctx, " ".join(command.args[:-1]))
    if person.id == ctx.person_id and wanted != Role.ADMIN:
        admins = [p for p in await ctx.repo.people(ctx.workspace_id) if p.role == Role.ADMIN]
        if len(admins) == 1:
            raise UserError("You are the only admin; make someone else admin first.")
    await ctx.repo.set_role(person, Role(wanted))
    await ctx.audit("role_set", None, person_id=person.id, role=wanted)
    return [
        Say(
            ctx.t("{name} is now {role}.", name=_name(person), role=ctx.t(ROLE_NAMES[Role(wanted)]))
        )
    ]


# -- decisions and readings -----------------------------------------------------

_OUTCOMES = {
    "stop": Outcome.STOP,
    "arreter": Outcome.STOP,
    "frame": Outcome.FRAME,
    "encadrer": Outcome.FRAME,
    "industrialise": Outcome.INDUSTRIALISE,
    "industrialize": Outcome.INDUSTRIALISE,
    "industrialiser": Outcome.INDUSTRIALISE,
}
_STAGES = {
    Outcome.STOP: Stage.STOPPED,
    Outcome.FRAME: Stage.FRAMED,
    Outcome.INDUSTRIALISE: Stage.INDUSTRIALISED,
}


async def decide(ctx: Context, command: Command) -> list[Reply]:
    syntax = "decide <poc> stop|frame|industrialise <rationale>"
    _need(command, 2, syntax)
    require_lead(ctx)
    poc = await find_poc(ctx, command.args[0])
    outcome = _OUTCOMES.get(
        unicodedata.normalize("NFKD", command.args[1].lower()).encode("ascii", "ignore").decode()
    )
    if outcome is None:
        raise UserError("Usage: {syntax}", syntax=syntax)
    rationale = command.rest.split(None, 2)[2].strip() if len(command.args) > 2 else ""
    if not rationale:
        raise UserError("Say why: {syntax}", syntax=syntax)
    if len(rationale) > MAX_RATIONALE:
        raise UserError(
            "A rationale is at most {limit} characters (this one has {count}).",
            limit=MAX_RATIONALE,
            count=len(rationale),
        )
    result = await assessments.record(ctx, poc)
    assert poc.id is not None
    latest = await ctx.repo.latest_assessment(poc.id)
    answers = await assessments.answers_for(ctx, poc)
    review = answers.get("watch_review_date")
    next_review = _iso_date(review) or (ctx.today + timedelta(days=DEFAULT_REVIEW_DAYS))
    narrative = await narrative_for(ctx, await _view(ctx, poc)) if enabled(ctx.assistant) else None
    decision = await ctx.repo.add_decision(
        Decision(
            poc_id=poc.id,
            outcome=outcome,
            rationale=rationale,
            conditions=[c.to_dict() for c in result.conditions] if outcome == Outcome.FRAME else [],
            next_review=None if outcome == Outcome.STOP else next_review,
            decided_by_id=ctx.person_id,
            assessment_id=latest.id if latest else None,
            created_at=ctx.now,
        )
    )
    await close_review(ctx.repo, poc, decision)
    await ctx.repo.set_stage(poc, _STAGES[outcome], ctx.now)
    poc.review_date = decision.next_review
    await ctx.repo.save(poc)
    await ctx.audit(
        "decision_recorded",
        poc.id,
        outcome=outcome.value,
        recommended=result.outcome.value,
        differs=outcome != result.outcome,
    )
    card = replace(
        summaries.decision_card(
            poc,
            decision,
            _name(ctx.person),
            ctx.t,
            ctx.bank,
            narrative=(result, narrative) if narrative else None,
        ),
        visibility=Visibility.CHANNEL,
    )
    await _post_to_home(ctx, poc, card, f"decision:{decision.id}")
    return [card]


async def _post_to_home(ctx: Context, poc: Poc, card: Card, key: str) -> None:
    """The POC's home channel hears of the decision, once, through the outbox,
    unless the decision was taken right there."""
    if not poc.home_channel or poc.home_channel == ctx.inbound.place.channel_id:
        return
    await outbox.enqueue(
        ctx.repo,
        workspace_id=ctx.workspace_id,
        key=key,
        kind="decision",
        destination=Destination(ctx.workspace.key, channel=poc.home_channel),
        replies=[card],
        due_at=ctx.now,
        extra=outbox.notify(ctx.person.platform_id, ctx.person.locale),
    )


def _iso_date(value: object) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


_READING = QuestionDef.model_validate(
    {
        "key": "reading",
        "type": QuestionKind.NUMBER,
        "label": {"en": "reading", "fr": "mesure"},
        "text": {"en": "reading", "fr": "mesure"},
    }
)


_NUMBER_FIRST = re.compile(r"^[+-]?[0-9]")


def _split_reading(
    ctx: Context, args: Sequence[str], indicators: Sequence[Indicator]
) -> tuple[str, Indicator | None, str]:
    """``[<indicator>] <value> [unit]`` as (indicator name, indicator, value text).

    The value is where the rest of the words read as a number in the
    indicator's unit ("13", "13 minutes"): an indicator's name may hold a
    number of its own ("Top 3 accuracy 92 %"). When no split reads, the last
    word is the value, so the error names what is wrong.
    """
    for start in range(len(args)):
        name = " ".join(args[:start]).strip()
        if name:
            found = [i for i in indicators if i.name.lower() == name.lower()]
        else:
            found = list(indicators) if len(indicators) == 1 else []
        if not found:
            continue
        text = " ".join(args[start:])
        unit = found[0].unit or None
        if not isinstance(parse_answer(_READING, text=text, unit=unit, translate=ctx.t), Invalid):
            return name, found[0], text
    if len(indicators) == 1 and args and _NUMBER_FIRST.match(args[0]):
        return "", indicators[0], " ".join(args)  # a number in the wrong unit: say so
    return " ".join(args[:-1]).strip(), None, args[-1]


async def reading(ctx: Context, command: Command) -> list[Reply]:
    syntax = "reading <poc> [<indicator>] <value> [unit]"
    _need(command, 2, syntax)
    poc = await find_poc(ctx, command.args[0])
    require_owner_or_lead(ctx, poc)
    assert poc.id is not None
    indicators = list(await ctx.repo.indicators(poc.id))
    if not indicators:
        raise UserError(
            "{poc} has no value indicator yet: it comes from the interview's value questions.",
            poc=poc.handle,
        )
    name, indicator, typed = _split_reading(ctx, command.args[1:], indicators)
    if indicator is None and name:
        matching = [i for i in indicators if i.name.lower() == name.lower()]
        if not matching:
            known = ", ".join(i.name for i in indicators)
            raise UserError(
                "{poc} has no indicator {name}. Its indicators: {known}.",
                poc=poc.handle,
                name=quoted(name),
                known=known,
            )
        indicator = matching[0]
    elif indicator is None and len(indicators) == 1:
        indicator = indicators[0]
    elif indicator is None:
        raise UserError("Name the indicator: {syntax}", syntax=syntax)
    value = parse_answer(_READING, text=typed, unit=indicator.unit or None, translate=ctx.t)
    if isinstance(value, Invalid):
        raise UserError("{problem}", problem=value.message)
    assert indicator.id is not None
    await ctx.repo.add_reading(
        Reading(
            indicator_id=indicator.id,
            value=float(value),
            taken_on=ctx.today,
            person_id=ctx.person_id,
            created_at=ctx.now,
        )
    )
    await ctx.audit("reading_recorded", poc.id, indicator=indicator.name, value=float(value))
    return [
        Say(
            ctx.t(
                "Recorded {value} {unit} for {indicator} of {poc} on {day}.",
                value=ctx.t.number(float(value)),
                unit=indicator.unit,
                indicator=indicator.name,
                poc=poc.handle,
                day=ctx.t.date(ctx.today),
            )
        )
    ]


async def home(ctx: Context, _: Command) -> list[Reply]:
    """The person's own POCs, where each stands and what is next (App Home, a tab)."""
    mine = [
        poc
        for poc in await ctx.repo.pocs(ctx.workspace_id)
        if ctx.person_id in (poc.owner_id, poc.created_by_id)
    ]
    views = [await _view(ctx, poc) for poc in mine]
    people = {p.id: p for p in await ctx.repo.people(ctx.workspace_id) if p.id is not None}
    watched = await load_watched(
        ctx.repo, ctx.bank, ctx.watch, ctx.workspace_id, mine, people, ctx.now
    )
    healths = {
        poc.handle: health.assess(watched[poc.id], ctx.today, ctx.watch)
        for poc in mine
        if poc.id is not None
    }
    return [summaries.home_card(views, ctx.bank, ctx.t, healths)]


async def record(ctx: Context, command: Command) -> list[Reply]:
    """The decision record of a POC, as a file in the person's direct conversation."""
    syntax = "record <poc> [pdf|md|html]"
    _need(command, 1, syntax)
    poc = await find_poc(ctx, command.args[0])
    form = command.args[1].lower() if len(command.args) > 1 else "pdf"
    if form not in record_formats.FORMATS:
        raise UserError("Usage: {syntax}", syntax=syntax)
    built = await records.build(ctx.repo, ctx.bank, poc, ctx.t, ctx.now)
    await ctx.audit("record_made", poc.id, format=form)
    document = Document(
        make=partial(record_formats.render, built, form),
        filename=built.filename(form),
        media_type=record_formats.MEDIA_TYPES[form],
        title=built.title,
        fallback=ctx.t(
            "The decision record of {poc} can't be sent as a file here. Whoever runs postpoc writes it with: postpoc record {poc} --format {format}",
            poc=poc.handle,
            format=form,
        ),
    )
    if ctx.inbound.place.is_direct:
        return [document]
    return [
        Say(
            ctx.t(
                "The decision record of {poc} is in your direct messages with me.", poc=poc.handle
            )
        ),
        document,
    ]


HANDLERS: dict[str, Handler] = {
    "record": record,
    "nudge": nudges.nudge,
    "subscribe": subscriptions.subscribe,
    "unsubscribe": subscriptions.unsubscribe,
    "mentions": subscriptions.mentions,
    "subscriptions": subscriptions.subscriptions,
    "away": subscriptions.away,
    "llm": llm,
    "currency": currency,
    "home": home,
    "hello": hello,
    "help": show_help,
    "new": new,
    "list": list_pocs,
    "summary": summary,
    "interview": interview,
    "edit": edit,
    "history": history,
    "owner": owner,
    "role": role,
    "decide": decide,
    "reading": reading,
    "depth": depth,
    "ask": delegation.ask,
    "token": token_command,
    "source": source_command,
}
