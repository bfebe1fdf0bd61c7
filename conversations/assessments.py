"""From stored answers to a recommendation, and what follows from it.

The rubric itself is pure (``conversations.rubric``); this module feeds it the
answers that count, stores a snapshot when the interview completes or an
answer changes afterwards, keeps the POC's primary value indicator in step
with its answers, and moves a POC from ``poc`` to ``assessing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conversations import respondents, rubric, summaries
from conversations.bank import SKIPPED, Bank, load_bank
from conversations.context import Context
from conversations.deciding import value_direction
from conversations.engine import effective_answers
from conversations.messages import Reply
from storage.models import Answer, Assessment, Indicator, Interview, Poc, Stage


def answers_of(rows: Mapping[str, Answer], bank: Bank) -> dict[str, Any]:
    """Stored answer rows as the engine and rubric read them with ``bank``
    (answers to questions an earlier edit of it asked read as it asks them now)."""
    return bank.upgraded({key: SKIPPED if row.skipped else row.value for key, row in rows.items()})


async def depth_floor(ctx: Context, poc: Poc) -> str | None:
    """The depth the POC's answers are read at, beyond what the triage gives:
    the one a lead raised the interview to, or the deepest for an interview
    begun on a bank without depths (it asked every question)."""
    assert poc.id is not None
    interview = await ctx.repo.latest_interview(poc.id)
    if interview is None or ctx.bank.depth is None:
        return None
    if (
        interview.flow == ctx.bank.flow
        and load_bank(interview.flow, interview.flow_version).depth is None
    ):
        return ctx.bank.depth.order[-1]
    return interview.depth_floor


async def answers_for(ctx: Context, poc: Poc) -> dict[str, Any]:
    assert poc.id is not None
    rows = await ctx.repo.current_answers(poc.id)
    return effective_answers(
        ctx.bank, answers_of(rows, ctx.bank), floor=await depth_floor(ctx, poc)
    )


async def live(ctx: Context, poc: Poc) -> rubric.Assessment:
    """The recommendation on the answers as they are now."""
    assert poc.id is not None
    answers = await answers_for(ctx, poc)
    result = rubric.assess(answers, ctx.bank, floor=await depth_floor(ctx, poc))
    # Sections handed to someone else and not answered yet: the recommendation waits.
    interview = await ctx.repo.latest_interview(poc.id)
    return await respondents.awaiting(ctx.repo, ctx.bank, interview, result)


async def record(ctx: Context, poc: Poc) -> rubric.Assessment:
    """Compute and store a snapshot, unless it says what the last one said."""
    assert poc.id is not None
    result = await live(ctx, poc)
    latest = await ctx.repo.latest_assessment(poc.id)
    data = result.to_dict()
    if latest is None or (latest.outcome, latest.reasons, latest.conditions) != (
        result.outcome,
        data["reasons"],
        data["conditions"],
    ):
        await ctx.repo.add_assessment(
            Assessment(
                poc_id=poc.id,
                outcome=result.outcome,
                rubric_version=result.rubric_version,
                gates=data["gates"],
                scores=data["scores"],
                reasons=data["reasons"],
                missing=data["missing"],
                conditions=data["conditions"],
                created_at=ctx.now,
            )
        )
        await ctx.audit("assessed", poc.id, outcome=result.outcome.value)
    return result


async def on_completed(ctx: Context, poc: Poc, _: Interview | None = None) -> list[Reply]:
    """The last question was answered (or an answer changed after that)."""
    answers = await answers_for(ctx, poc)
    await sync_indicator(ctx, poc, answers)
    if poc.stage == Stage.POC:
        await ctx.repo.set_stage(poc, Stage.ASSESSING, ctx.now)
        await ctx.audit("stage_changed", poc.id, stage=Stage.ASSESSING.value)
    result = await record(ctx, poc)
    return [summaries.recommendation_card(poc, result, ctx.t, ctx.bank)]


async def on_stopped_early(ctx: Context, poc: Poc) -> rubric.Assessment:
    """A stop rule holds before the last question: recorded as at the end."""
    await sync_indicator(ctx, poc, await answers_for(ctx, poc))
    if poc.stage == Stage.POC:
        await ctx.repo.set_stage(poc, Stage.ASSESSING, ctx.now)
        await ctx.audit("stage_changed", poc.id, stage=Stage.ASSESSING.value)
    return await record(ctx, poc)


async def sync_indicator(ctx: Context, poc: Poc, answers: Mapping[str, Any]) -> Indicator | None:
    """Create or update the primary value indicator from the value answers."""
    assert poc.id is not None
    name = answers.get("value_indicator")
    if not isinstance(name, str):
        return None
    fields: dict[str, Any] = {
        "unit": _text(answers.get("value_unit")),
        "baseline": _number(answers.get("value_baseline")),
        "target": _number(answers.get("value_target")),
        # answered, or told by the baseline and the target (bank v2 asks it only then)
        "direction": value_direction(answers) or "higher",
        "threshold": _number(answers.get("watch_threshold")),
    }
    existing = list(await ctx.repo.indicators(poc.id))
    primary = existing[0] if existing else None
    if primary is None:
        return await ctx.repo.add_indicator(
            Indicator(poc_id=poc.id, name=name[:120], created_at=ctx.now, **fields)
        )
    primary.name = name[:120]
    for field_name, value in fields.items():
        setattr(primary, field_name, value)
    await ctx.repo.save(primary)
    return primary


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(value: Any) -> str:
    return value[:40] if isinstance(value, str) else ""
