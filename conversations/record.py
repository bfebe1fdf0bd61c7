"""The decision record of one POC: the audit trail an auditor reads.

:func:`build` loads everything stored about a POC and lays it out as a
:class:`Record`, a platform-neutral document of headings, paragraphs, facts,
tables and charts, in the reader's language. Renderers turn it into Markdown,
HTML (:mod:`conversations.record_formats`) or PDF
(:mod:`conversations.record_pdf`); none of them reads storage.

Everything shown is what was stored: the answers with who gave them and
when (and every earlier answer), each question's reference, the
recommendation with every gate, score and reason, every decision, the
readings, check-ins, incidents, reopenings, and the audit trail. The only
thing that differs between two records of the same data is ``made_at``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from conversations import charts, rubric
from conversations.answers import format_answer
from conversations.assessments import answers_of
from conversations.bank import SKIPPED, Bank, QuestionDef
from conversations.engine import effective_answers, unit_of
from conversations.i18n import N_, Translator
from conversations.ports.audit import AuditEvent
from conversations.summaries import outcome_name, stage_name
from storage.models import Answer, CheckIn, CheckInStatus, Person, Poc
from storage.repository import Repo

REOPENED = "reopened"
"""The audit action of a reopened decision; its detail carries the ``reason``."""

SOURCE_NAMES = {
    "command": N_("typed"),
    "checkin": N_("check-in"),
    "telemetry": N_("telemetry"),
}


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Facts:
    """Label and value pairs."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """An indicator's trend. Drawn when a format needs the picture (HTML,
    PDF), so that building a record only reads."""

    name: str
    unit: str
    points: tuple[tuple[date, float], ...]
    baseline: float | None
    target: float | None
    threshold: float | None
    alt: str

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(value for _, value in self.points)

    def png(self, t: Translator) -> bytes:
        return charts.indicator_chart(
            self.name,
            self.unit,
            self.points,
            baseline=self.baseline,
            target=self.target,
            threshold=self.threshold,
            t=t,
        )


Block = Heading | Paragraph | Facts | Table | Chart


@dataclass(frozen=True)
class Record:
    title: str
    language: str
    made_at: datetime
    made_line: str
    """"Made on …": the one line that changes when nothing else has."""
    blocks: tuple[Block, ...]
    handle: str

    def filename(self, extension: str) -> str:
        return f"{self.handle}-record.{extension}"


def stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


async def build(repo: Repo, bank: Bank, poc: Poc, t: Translator, now: datetime) -> Record:
    """The record of ``poc`` as stored now."""
    assert poc.id is not None
    people = {p.id: p for p in await repo.people(poc.workspace_id) if p.id is not None}
    rows = list(await repo.poc_answer_rows(poc.id))
    current = {a.question_key: a for a in rows if a.superseded_at is None}
    answers = effective_answers(bank, answers_of(current, bank))
    blocks: list[Block] = []
    blocks += _poc_part(poc, people, t)
    blocks += _recommendation_part(rubric.assess(answers, bank), bank, t)
    blocks += _answers_part(rows, answers, people, bank, t)
    blocks += await _decisions_part(repo, poc.id, people, bank, t)
    blocks += await _readings_part(repo, poc.id, people, t)
    mine = list(await repo.poc_checkins(poc.id))
    blocks += _checkins_part(mine, t)
    blocks += _incidents_part(mine, t)
    events = list(await repo.audits.of_poc(poc.id))
    blocks += _reopenings_part(events, people, t)
    blocks += _audit_part(events, people, t)
    return Record(
        title=t("Decision record: {title} ({poc})", title=poc.title, poc=poc.handle),
        language=t.language,
        made_at=now,
        made_line=t("Made on {when} by postpoc.", when=stamp(now)),
        blocks=tuple(blocks),
        handle=poc.handle,
    )


def _name(people: Mapping[int, Person], person_id: int | None) -> str:
    person = people.get(person_id) if person_id is not None else None
    if person is None:
        return "—"
    return person.display_name or person.platform_id


def _poc_part(poc: Poc, people: Mapping[int, Person], t: Translator) -> list[Block]:
    facts = [
        (t("Handle"), poc.handle),
        (t("Title"), poc.title),
        (t("Stage"), stage_name(poc.stage, t)),
        (t("Stage since"), stamp(poc.stage_changed_at)),
        (t("Owner"), _name(people, poc.owner_id)),
        (t("Registered by"), _name(people, poc.created_by_id)),
        (t("Registered on"), stamp(poc.created_at)),
        (t("Home channel"), poc.home_channel or "—"),
        (t("Next review"), t.date(poc.review_date) if poc.review_date else "—"),
    ]
    return [Heading(t("The POC")), Facts(tuple(facts))]


def _references(reason: rubric.Reason) -> str:
    return "; ".join(reason.references)


def _recommendation_part(result: rubric.Assessment, bank: Bank, t: Translator) -> list[Block]:
    blocks: list[Block] = [
        Heading(t("Recommendation")),
        Facts(
            (
                (t("Recommendation"), outcome_name(result.outcome, t)),
                (t("Rubric version"), result.rubric_version),
            )
        ),
        Heading(t("Gates"), 3),
        Table(
            (t("Gate"), t("Result"), t("Reason"), t("Reference")),
            tuple(
                (
                    gate.code,
                    t("passed") if gate.passed else t("failed"),
                    rubric.describe(gate.reason, t, bank),
                    _references(gate.reason),
                )
                for gate in result.gates
            ),
        ),
        Heading(t("Scores"), 3),
        Table(
            (t("Dimension"), t("Score")),
            tuple(
                (t(rubric.DIMENSION_NAMES.get(name, name)), f"{score}/100")
                for name, score in result.scores.items()
            ),
        ),
    ]
    if result.reasons:
        blocks += [
            Heading(t("Reasons"), 3),
            Table(
                (t("Reason"), t("Reference")),
                tuple((rubric.describe(r, t, bank), _references(r)) for r in result.reasons),
            ),
        ]
    if result.conditions:
        blocks += [
            Heading(t("Conditions to meet"), 3),
            Table(
                (t("Condition"), t("Reference")),
                tuple((rubric.describe(r, t, bank), _references(r)) for r in result.conditions),
            ),
        ]
    if result.missing:
        labels = ", ".join(
            bank.question(key).label.get(t.language) for key in result.missing if bank.has(key)
        )
        blocks.append(Paragraph(t("Still unanswered: {questions}", questions=labels)))
    return blocks


def _reference_of(bank: Bank, question: QuestionDef) -> str:
    return question.reference or bank.section_of(question.key).reference or "—"


def _shown(
    bank: Bank, question: QuestionDef, row: Answer, answers: Mapping[str, Any], t: Translator
) -> str:
    if row.skipped or row.value is SKIPPED:
        return t("skipped")
    return format_answer(question, row.value, unit=unit_of(bank, question, answers, t), translate=t)


def _answers_part(
    rows: Sequence[Answer],
    answers: Mapping[str, Any],
    people: Mapping[int, Person],
    bank: Bank,
    t: Translator,
) -> list[Block]:
    blocks: list[Block] = [Heading(t("Answers"))]
    by_key: dict[str, list[Answer]] = {}
    for row in rows:
        if bank.has(row.question_key):
            by_key.setdefault(row.question_key, []).append(row)
    if not by_key:
        return [*blocks, Paragraph(t("No answer yet."))]
    earlier: list[tuple[str, ...]] = []
    for section in bank.sections:
        table = []
        for question in section.questions:
            history = by_key.get(question.key)
            if not history:
                continue
            latest = history[-1]
            label = question.label.get(t.language)
            table.append(
                (
                    f"{label} ({question.key})",
                    _shown(bank, question, latest, answers, t),
                    _name(people, latest.person_id),
                    stamp(latest.created_at),
                    _reference_of(bank, question),
                )
            )
            earlier.extend(
                (
                    label,
                    _shown(bank, question, row, answers, t),
                    _name(people, row.person_id),
                    stamp(row.created_at),
                    stamp(row.superseded_at) if row.superseded_at else "—",
                )
                for row in history[:-1]
            )
        if table:
            blocks += [
                Heading(section.title.get(t.language), 3),
                Table(
                    (t("Question"), t("Answer"), t("By"), t("When"), t("Reference")),
                    tuple(table),
                ),
            ]
    blocks.append(Heading(t("Earlier answers"), 3))
    if earlier:
        blocks.append(
            Table(
                (t("Question"), t("Answer"), t("By"), t("When"), t("Replaced on")), tuple(earlier)
            )
        )
    else:
        blocks.append(Paragraph(t("No answer was changed.")))
    return blocks


async def _decisions_part(
    repo: Repo, poc_id: int, people: Mapping[int, Person], bank: Bank, t: Translator
) -> list[Block]:
    blocks: list[Block] = [Heading(t("Decisions"))]
    decisions = list(await repo.poc_decisions(poc_id))
    if not decisions:
        return [*blocks, Paragraph(t("No decision yet."))]
    for number, decision in enumerate(decisions, start=1):
        conditions = [
            rubric.describe(rubric.Reason.from_dict(c), t, bank) for c in decision.conditions
        ]
        blocks += [
            Heading(
                t(
                    "Decision {number}: {outcome}",
                    number=number,
                    outcome=outcome_name(decision.outcome, t),
                ),
                3,
            ),
            Facts(
                (
                    (t("Decided by"), _name(people, decision.decided_by_id)),
                    (t("Decided on"), stamp(decision.created_at)),
                    (t("Rationale"), decision.rationale),
                    (
                        t("Next review"),
                        t.date(decision.next_review) if decision.next_review else "—",
                    ),
                    (t("Conditions"), "\n".join(conditions) if conditions else "—"),
                )
            ),
        ]
    return blocks


async def _readings_part(
    repo: Repo, poc_id: int, people: Mapping[int, Person], t: Translator
) -> list[Block]:
    blocks: list[Block] = [Heading(t("Readings"))]
    indicators = list(await repo.indicators(poc_id))
    if not indicators:
        return [*blocks, Paragraph(t("No value indicator yet."))]
    for indicator in indicators:
        assert indicator.id is not None
        readings = list(await repo.readings(indicator.id))
        blocks += [
            Heading(indicator.name, 3),
            Facts(
                (
                    (t("Unit"), indicator.unit or "—"),
                    (t("Baseline"), _level(indicator.baseline, t)),
                    (t("Target"), _level(indicator.target, t)),
                    (t("Threshold"), _level(indicator.threshold, t)),
                    (
                        t("Better when"),
                        t("lower") if indicator.direction == "lower" else t("higher"),
                    ),
                )
            ),
        ]
        if not readings:
            blocks.append(Paragraph(t("No reading yet.")))
            continue
        points = tuple((r.taken_on, r.value) for r in readings)
        alt = t(
            "{indicator}: {count} readings, latest {value} {unit}",
            indicator=indicator.name,
            count=len(readings),
            value=t.number(readings[-1].value),
            unit=indicator.unit,
        )
        blocks += [
            Chart(
                indicator.name,
                indicator.unit,
                points,
                indicator.baseline,
                indicator.target,
                indicator.threshold,
                alt,
            ),
            Table(
                (t("Day"), t("Value"), t("Source"), t("By")),
                tuple(
                    (
                        r.taken_on.isoformat(),
                        t.number(r.value),
                        t(SOURCE_NAMES[r.source]) if r.source in SOURCE_NAMES else r.source,
                        _name(people, r.person_id),
                    )
                    for r in readings
                ),
            ),
        ]
    return blocks


def _level(value: float | None, t: Translator) -> str:
    return t.number(value) if value is not None else "—"


def _checkin_status(checkin: CheckIn, t: Translator) -> str:
    if checkin.status == CheckInStatus.ANSWERED:
        return t("answered")
    if checkin.reminded_at is not None:
        return t("missed")
    return t("awaiting an answer")


def _checkins_part(checkins: Sequence[CheckIn], t: Translator) -> list[Block]:
    blocks: list[Block] = [Heading(t("Check-ins"))]
    if not checkins:
        return [*blocks, Paragraph(t("No check-in yet."))]
    rows = tuple(
        (
            c.week,
            _checkin_status(c, t),
            stamp(c.sent_at),
            stamp(c.answered_at) if c.answered_at else "—",
            str(c.incidents) if c.incidents is not None else "—",
            ", ".join(c.changes) or "—",
            "—" if c.retested is None else (t("yes") if c.retested else t("no")),
        )
        for c in checkins
    )
    headers = (
        t("Week"),
        t("Status"),
        t("Sent"),
        t("Answered"),
        t("Incidents"),
        t("Changes"),
        t("Re-tested"),
    )
    return [*blocks, Table(headers, rows)]


def _incidents_part(checkins: Sequence[CheckIn], t: Translator) -> list[Block]:
    blocks: list[Block] = [Heading(t("Incidents"))]
    reported = [c for c in checkins if c.incidents]
    if not reported:
        return [*blocks, Paragraph(t("No incident reported."))]
    rows = tuple((c.week, str(c.incidents), c.incident_summary or "—") for c in reported)
    return [*blocks, Table((t("Week"), t("Incidents"), t("What happened")), rows)]


def _reopenings_part(
    events: Sequence[AuditEvent], people: Mapping[int, Person], t: Translator
) -> list[Block]:
    blocks: list[Block] = [Heading(t("Reopenings"))]
    reopened = [e for e in events if e.action == REOPENED]
    if not reopened:
        return [*blocks, Paragraph(t("The decision was never reopened."))]
    rows = tuple(
        (stamp(e.created_at), str(e.detail.get("reason") or "—"), _name(people, e.person_id))
        for e in reopened
    )
    return [*blocks, Table((t("When"), t("Reason"), t("By")), rows)]


def _detail(detail: Mapping[str, Any]) -> str:
    if not detail:
        return "—"
    return json.dumps(dict(detail), ensure_ascii=False, sort_keys=True, default=str)


def _audit_part(
    events: Sequence[AuditEvent], people: Mapping[int, Person], t: Translator
) -> list[Block]:
    blocks: list[Block] = [Heading(t("Audit trail"))]
    if not events:
        return [*blocks, Paragraph(t("Nothing recorded yet."))]
    rows = tuple(
        (stamp(e.created_at), _name(people, e.person_id), e.action, _detail(e.detail))
        for e in events
    )
    return [*blocks, Table((t("When"), t("Who"), t("Action"), t("Detail")), rows)]
