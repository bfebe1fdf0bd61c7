"""Weekly check-ins with owners: a short interview of its own flow.

``open_checkin`` creates this week's check-in and its interview (the watch
calls it when one is due, in the same transaction as the outbox row that
carries the first question), so the owner's answer finds its way whichever
replica receives it. When the last question is answered, ``on_completed``
stores the reading and what the owner reported.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from conversations import engine, interviews, rubric
from conversations.bank import load_bank
from conversations.context import Context, zone
from conversations.i18n import Translator
from conversations.messages import Reply, Say
from conversations.telemetry import is_telemetry
from storage.models import (
    CheckIn,
    CheckInStatus,
    Indicator,
    Interview,
    InterviewStatus,
    Person,
    Poc,
    Reading,
)
from storage.repository import Repo

FLOW = "check-in"
FED_WITHIN = timedelta(days=14)
"""An indicator whose telemetry sent a reading this recently is not asked for."""


def checkin_context(poc: Poc, indicator: Indicator | None) -> dict[str, Any]:
    return {
        "poc_title": poc.title,
        "indicator": indicator.name if indicator else "",
        "indicator_unit": indicator.unit if indicator else "",
        "has_indicator": indicator is not None,
    }


async def open_checkin(
    repo: Repo,
    poc: Poc,
    owner: Person,
    week: str,
    now: datetime,
    t: Translator,
    open_conditions: tuple[rubric.Reason, ...] = (),
) -> list[Reply]:
    """Create this week's check-in for ``poc`` and return what the owner is sent;
    nothing when another scheduler created it first."""
    assert poc.id is not None and owner.id is not None
    checkin = CheckIn(poc_id=poc.id, person_id=owner.id, week=week, sent_at=now)
    if not await repo.add_checkin(checkin):
        return []
    bank = load_bank(FLOW)
    indicators = await repo.indicators(poc.id)
    primary = indicators[0] if indicators else None
    fed = primary is not None and await fed_by_telemetry(repo, primary, now)
    interview = await repo.add_interview(
        Interview(
            poc_id=poc.id,
            flow=bank.flow,
            flow_version=bank.version,
            held_by_id=owner.id,
            context=checkin_context(poc, None if fed else primary),
            started_at=now,
            updated_at=now,
        )
    )
    assert interview.id is not None
    checkin.interview_id = interview.id
    await repo.save(checkin)
    state = engine.InterviewState(
        interview_id=interview.id,
        revision=interview.revision,
        poc_handle=poc.handle,
        status=interview.status,
        current=None,
        editing=None,
        answers={},
        context=interview.context,
    )
    step = engine.start(state, bank, t)
    await repo.move_interview(
        interview,
        interview.revision,
        status=InterviewStatus(step.state.status),
        current_key=step.state.current,
        updated_at=now,
    )
    intro = t(
        "Weekly check-in for {title} ({poc}): a few short questions.",
        title=poc.title,
        poc=poc.handle,
    )
    if fed and primary is not None:
        intro += "\n" + t(
            "{indicator} comes from the agent's telemetry: no need to type it.",
            indicator=primary.name,
        )
    if open_conditions:
        lines = [t("Still open from the frame decision:")]
        lines += [f"• {rubric.describe(c, t, load_bank())}" for c in open_conditions]
        lines.append(
            t(
                "When one is done, update its answer with {cmd}edit {poc} <question>.",
                poc=poc.handle,
            )
        )
        intro += "\n" + "\n".join(lines)
    return [Say(intro), *step.replies]


async def fed_by_telemetry(repo: Repo, indicator: Indicator, now: datetime) -> bool:
    """Whether telemetry feeds ``indicator``: a Prometheus source reads it, or
    the webhook sent a reading lately."""
    assert indicator.id is not None
    if await repo.telemetry_source(indicator.id) is not None:
        return True
    recent = now - FED_WITHIN
    return any(
        is_telemetry(r.source) and r.created_at >= recent for r in await repo.readings(indicator.id)
    )


async def reminder(repo: Repo, checkin: CheckIn, poc: Poc, t: Translator) -> list[Reply]:
    """The question the owner has not answered yet, with a nudge."""
    assert checkin.interview_id is not None
    interview = await repo.interview(checkin.interview_id)
    if (
        interview is None
        or interview.status != InterviewStatus.ACTIVE
        or interview.current_key is None
    ):
        return []
    state = await interviews.load_state(repo, interview, poc)
    return [
        Say(t("A reminder: this week's check-in for {poc} is waiting for you.", poc=poc.handle)),
        engine.prompt(state, load_bank(FLOW), t),
    ]


async def on_completed(ctx: Context, poc: Poc, interview: Interview) -> list[Reply]:
    """Store what the owner reported; the reading feeds health and trends."""
    assert interview.id is not None and poc.id is not None
    checkin = await ctx.repo.checkin_of_interview(interview.id)
    if checkin is None:
        return []
    answers = {
        k: (None if a.skipped else a.value)
        for k, a in (await ctx.repo.interview_answers(interview.id)).items()
    }
    checkin.status = CheckInStatus.ANSWERED
    checkin.answered_at = ctx.now
    checkin.incidents = int(answers.get("checkin_incidents") or 0)
    checkin.incident_summary = answers.get("checkin_incident_summary")
    checkin.changes = [c for c in answers.get("checkin_changes") or [] if c != "nothing"]
    checkin.retested = answers.get("checkin_retested")
    await ctx.repo.save(checkin)
    reading = answers.get("checkin_reading")
    indicators = await ctx.repo.indicators(poc.id)
    if isinstance(reading, int | float) and indicators and indicators[0].id is not None:
        local_day = ctx.now.astimezone(zone(ctx.person.timezone)).date()
        await ctx.repo.add_reading(
            Reading(
                indicator_id=indicators[0].id,
                value=float(reading),
                taken_on=local_day,
                person_id=ctx.person_id,
                source="checkin",
                created_at=ctx.now,
            )
        )
    await ctx.audit("checkin_answered", poc.id, week=checkin.week, incidents=checkin.incidents)
    replies: list[Reply] = [
        Say(ctx.t("Thank you: this week's check-in for {poc} is recorded.", poc=poc.handle))
    ]
    other = await interviews.held(ctx)
    if other is not None:
        replies.extend(await interviews.pending(ctx))
    return replies


interviews.ON_COMPLETED[FLOW] = on_completed
