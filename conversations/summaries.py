"""Summaries as platform-neutral cards: one POC, the portfolio, a recommendation,
a decision. Built from data already loaded; no storage access here.

A POC summary follows the bank: one section per section of the interview, one
field per answered question under its short label, so a new question shows
up in summaries without a code change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from conversations import health, rubric
from conversations.answers import format_answer
from conversations.bank import SKIPPED, Bank
from conversations.engine import unit_of
from conversations.i18n import N_, Translator
from conversations.messages import Button, Card, Field, Section
from storage.models import Decision, Poc, Stage

STAGE_NAMES = {
    Stage.POC: N_("POC"),
    Stage.ASSESSING: N_("assessing"),
    Stage.FRAMED: N_("framed"),
    Stage.INDUSTRIALISED: N_("industrialised"),
    Stage.STOPPED: N_("stopped"),
    Stage.REVIEW_DUE: N_("review due"),
}

# Slack shows at most ten fields per section; keep every platform under that.
MAX_FIELDS = 10


@dataclass(frozen=True)
class PocView:
    """Everything a summary shows about one POC."""

    poc: Poc
    owner_name: str | None
    answers: Mapping[str, Any]
    assessment: rubric.Assessment
    decision: Decision | None
    decided_by: str | None
    answered: int
    total: int
    interview_complete: bool
    skipped_needed: int = 0
    """Required questions that apply and were skipped: the recommendation waits on them."""
    latest_readings: tuple[LatestReading, ...] = ()
    respondents: tuple[Field, ...] = ()
    """Sections handed to someone else: who answered each, or is awaited
    (``conversations.delegation``); the owner answered the rest."""
    depth_floor: str | None = None
    """The depth a lead raised the interview to: what comes next is asked at it."""


def progress(view: PocView, t: Translator) -> str:
    """How far the interview is, skipped questions that are needed counted apart."""
    if view.skipped_needed:
        return t(
            "{answered} of {total} questions answered, {skipped} skipped that are needed",
            answered=view.answered,
            total=view.total,
            skipped=view.skipped_needed,
        )
    return t("{answered} of {total} questions answered", answered=view.answered, total=view.total)


@dataclass(frozen=True)
class LatestReading:
    """An indicator's latest value, and whether the agent's telemetry sent it."""

    indicator: str
    unit: str
    value: float
    day: date
    telemetry: bool


def readings_section(readings: Sequence[LatestReading], t: Translator) -> Section:
    fields = []
    for reading in readings:
        shown = t(
            "{value} {unit} on {day}",
            value=t.number(reading.value),
            unit=reading.unit,
            day=t.date(reading.day),
        )
        if reading.telemetry:
            shown += " " + t("(from telemetry)")
        fields.append(Field(reading.indicator, shown))
    return Section(title=t("Latest readings"), fields=tuple(fields[:MAX_FIELDS]))


def stage_name(stage: Stage | str, t: Translator) -> str:
    return t(STAGE_NAMES[Stage(stage)])


def outcome_name(outcome: Any, t: Translator) -> str:
    return t(rubric.OUTCOME_NAMES[outcome])


def _answer_fields(
    bank: Bank, section_key: str, answers: Mapping[str, Any], t: Translator
) -> list[Field]:
    fields = []
    section = next(s for s in bank.sections if s.key == section_key)
    for question in section.questions:
        if question.key not in answers:
            continue
        value = answers[question.key]
        shown = (
            t("skipped")
            if value is SKIPPED
            else format_answer(
                question, value, unit=unit_of(bank, question, answers, t), translate=t
            )
        )
        fields.append(Field(question.label.get(t.language), shown))
    return fields


def _chunks(fields: Sequence[Field]) -> list[tuple[Field, ...]]:
    return [tuple(fields[i : i + MAX_FIELDS]) for i in range(0, len(fields), MAX_FIELDS)]


def summary_card(view: PocView, bank: Bank, t: Translator, narrative: str | None = None) -> Card:
    """``narrative``, written by the language model when there is one, is shown
    beside the rubric's recommendation, never instead of it."""
    poc = view.poc
    sections: list[Section] = []
    for section in bank.sections:
        fields = _answer_fields(bank, section.key, view.answers, t)
        for index, chunk in enumerate(_chunks(fields)):
            sections.append(
                Section(title=section.title.get(t.language) if index == 0 else None, fields=chunk)
            )
    if view.latest_readings:
        sections.append(readings_section(view.latest_readings, t))
    sections.append(_recommendation_section(view.assessment, t, bank))
    if view.respondents:
        sections.append(Section(title=t("Who answered"), fields=view.respondents))
    if narrative:
        sections.append(narrative_section(narrative, t))
    if view.decision is not None:
        sections.append(_decision_section(view.decision, view.decided_by, t, bank))
    subtitle = t(
        "{stage} · owner: {owner}",
        stage=stage_name(poc.stage, t),
        owner=view.owner_name or t("none named"),
    )
    buttons: tuple[Button, ...] = ()
    if not view.interview_complete:
        buttons = (Button(t("Continue the interview"), f"interview {poc.handle}"),)
    return Card(
        title=t("{title} ({poc})", title=poc.title, poc=poc.handle),
        subtitle=subtitle,
        sections=tuple(sections),
        context=(
            progress(view, t),
            t("Rubric {version}", version=view.assessment.rubric_version),
        ),
        buttons=buttons,
    )


def _reason_lines(
    reasons: Sequence[rubric.Reason], t: Translator, bank: Bank, limit: int = 12
) -> str:
    lines = [f"• {rubric.describe(reason, t, bank)}" for reason in reasons[:limit]]
    if len(reasons) > limit:
        lines.append(t("… and {count} more", count=len(reasons) - limit))
    return "\n".join(lines)


def _recommendation_section(
    result: rubric.Assessment, t: Translator, bank: Bank, *, headed: bool = True
) -> Section:
    """The outcome and why. ``headed=False`` under a title that already says
    the outcome (the recommendation card): only the reasons and conditions."""
    lines = [t("Recommendation: {outcome}", outcome=outcome_name(result.outcome, t))]
    if result.reasons:
        lines.append(_reason_lines(result.reasons, t, bank))
    if result.conditions:
        lines += [t("Conditions to meet:"), _reason_lines(result.conditions, t, bank)]
    if not headed:
        return Section(text="\n".join(lines[1:]) or None)
    return Section(title=t("Recommendation"), text="\n".join(lines))


def narrative_section(narrative: str, t: Translator) -> Section:
    """The language model's summary, labelled as such."""
    note = t("Summary written by a language model; the recommendation above is the rubric's.")
    return Section(title=t("In brief"), text=f"{narrative}\n\n{note}")


def recommendation_card(poc: Poc, result: rubric.Assessment, t: Translator, bank: Bank) -> Card:
    """What the owner sees when the interview ends."""
    scores = tuple(
        Field(t(rubric.DIMENSION_NAMES[name]), f"{score}/100")
        for name, score in result.scores.items()
    )
    sections = [_recommendation_section(result, t, bank, headed=False)]
    sections.extend(
        Section(title=t("Scores") if i == 0 else None, fields=c)
        for i, c in enumerate(_chunks(scores))
    )
    return Card(
        title=t(
            "Recommendation for {poc}: {outcome}",
            poc=poc.handle,
            outcome=outcome_name(result.outcome, t),
        ),
        sections=tuple(sections),
        context=(
            t(
                "A lead records the decision with {cmd}decide {poc} stop|frame|industrialise <rationale>.",
                poc=poc.handle,
            ),
        ),
        buttons=(Button(t("Summary"), f"summary {poc.handle}"),),
        slot=recommendation_slot(poc.handle),
    )


def recommendation_slot(handle: str) -> str:
    """The one recommendation message of a POC's interview (``Card.slot``)."""
    return f"recommendation:{handle}"


def _decision_section(
    decision: Decision, decided_by: str | None, t: Translator, bank: Bank
) -> Section:
    # The outcome is in the card's title: said once.
    fields = [
        Field(t("Rationale"), decision.rationale),
        Field(t("Decided by"), decided_by or "?"),
        Field(t("Decided on"), t.date(decision.created_at.date())),
    ]
    if decision.next_review:
        fields.append(Field(t("Next review"), t.date(decision.next_review)))
    text = None
    if decision.conditions:
        conditions = [rubric.Reason.from_dict(c) for c in decision.conditions]
        text = t("Conditions:") + "\n" + _reason_lines(conditions, t, bank)
    return Section(fields=tuple(fields), text=text)


def decision_card(
    poc: Poc,
    decision: Decision,
    decided_by: str | None,
    t: Translator,
    bank: Bank,
    narrative: tuple[rubric.Assessment, str] | None = None,
) -> Card:
    """``narrative``: the language model's summary and, shown above it, the
    rubric's recommendation it sits beside."""
    sections = [_decision_section(decision, decided_by, t, bank)]
    if narrative is not None:
        recommended, text = narrative
        sections += [_recommendation_section(recommended, t, bank), narrative_section(text, t)]
    return Card(
        title=t(
            "Decision on {title} ({poc}): {outcome}",
            title=poc.title,
            poc=poc.handle,
            outcome=outcome_name(decision.outcome, t),
        ),
        sections=tuple(sections),
        buttons=(Button(t("Summary"), f"summary {poc.handle}"),),
    )


def portfolio_card(views: Sequence[PocView], t: Translator, today: date | None = None) -> Card:
    if not views:
        return Card(
            title=t("Portfolio"),
            sections=(
                Section(
                    text=t("No POC registered yet. A lead registers one with {cmd}new <title>.")
                ),
            ),
        )
    sections = []
    for view in views:
        lines = [
            t(
                "{stage} · owner: {owner}",
                stage=stage_name(view.poc.stage, t),
                owner=view.owner_name or t("none named"),
            ),
            t("Recommendation: {outcome}", outcome=outcome_name(view.assessment.outcome, t)),
        ]
        if view.decision is not None:
            lines.append(t("Decision: {outcome}", outcome=outcome_name(view.decision.outcome, t)))
        lines.append(progress(view, t))
        sections.append(
            Section(
                title=t("{title} ({poc})", title=view.poc.title, poc=view.poc.handle),
                text="\n".join(lines),
            )
        )
    counts: dict[str, int] = {}
    for view in views:
        counts[stage_name(view.poc.stage, t)] = counts.get(stage_name(view.poc.stage, t), 0) + 1
    overview = ", ".join(
        t("{count} at stage {stage}", count=count, stage=name) for name, count in counts.items()
    )
    title = (
        t("Portfolio: one POC")
        if len(views) == 1
        else t("Portfolio: {count} POCs", count=len(views))
    )
    return Card(
        title=title,
        subtitle=overview,
        sections=tuple(sections),
        buttons=tuple(Button(view.poc.handle, f"summary {view.poc.handle}") for view in views[:5]),
    )


def _next_question(view: PocView, bank: Bank, t: Translator) -> str | None:
    for question in bank.applicable(view.answers, view.depth_floor):
        if question.key not in view.answers:
            return question.label.get(t.language)
    return None


def health_line(state: health.Health, t: Translator) -> str:
    """ "Health: 🟠 amber — no indicator reading for 4 weeks (and 1 more)"."""
    mark = health.LEVEL_MARKS[state.level]
    line = t("Health: {mark} {level}", mark=mark, level=t(health.LEVEL_NAMES[state.level]))
    if state.findings:
        line += " — " + health.describe(state.findings[0], t)
        if len(state.findings) > 1:
            line += " " + t("and {count} more", count=len(state.findings) - 1)
    return line


def home_card(
    views: Sequence[PocView],
    bank: Bank,
    t: Translator,
    healths: Mapping[str, health.Health] | None = None,
) -> Card:
    """A person's own POCs: stage, health, progress, what comes next, a way back in."""
    if not views:
        return Card(
            title=t("Your POCs"),
            sections=(
                Section(text=t("You own no POC yet. A lead registers one with {cmd}new <title>.")),
            ),
        )
    sections = []
    buttons = []
    for view in views:
        lines = [
            t(
                "{stage} · {progress}",
                stage=stage_name(view.poc.stage, t),
                progress=progress(view, t),
            ),
            t("Recommendation: {outcome}", outcome=outcome_name(view.assessment.outcome, t)),
        ]
        state = (healths or {}).get(view.poc.handle)
        if state is not None and view.poc.stage != Stage.STOPPED:
            lines.append(health_line(state, t))
        upcoming = _next_question(view, bank, t)
        if upcoming and not view.interview_complete:
            lines.append(t("Next question: {question}", question=upcoming))
            buttons.append(
                Button(t("Resume {poc}", poc=view.poc.handle), f"interview {view.poc.handle}")
            )
        sections.append(
            Section(
                title=t("{title} ({poc})", title=view.poc.title, poc=view.poc.handle),
                text="\n".join(lines),
            )
        )
    return Card(title=t("Your POCs"), sections=tuple(sections), buttons=tuple(buttons))
