"""Who answers which part of an interview: the owner, or the person a section was handed to.

A section handed over (``conversations.delegation``) is answered in the
holder's own run of it: an interview row of the flow :data:`FLOW`, with its
own cursor and revision, whose answers are stored on the POC's interview. This
module tells the engine which questions are outside a respondent's part
(:attr:`engine.InterviewState.outside`) and what the recommendation waits for;
it reads storage and knows no command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from conversations import rubric
from conversations.bank import Bank, load_bank
from conversations.i18n import Translator
from conversations.messages import Reply, Say
from storage import assignments
from storage.models import AssignmentState, Interview, Outcome, Poc, SectionAssignment
from storage.repository import Repo

MAIN = "post-poc"
FLOW = "post-poc-section"
"""The flow of a holder's run of one section; it runs the bank of :data:`MAIN`."""


def bank_flow(flow: str) -> str:
    """The bank a flow runs: a section run runs the interview's own bank."""
    return MAIN if flow == FLOW else flow


@dataclass(frozen=True)
class Scope:
    """What one run reads: whose answers, at which depth, and what is not its to ask."""

    answers_of: int
    depth_floor: str | None
    outside: frozenset[str] = frozenset()


def section_keys(bank: Bank, section_key: str) -> frozenset[str]:
    return frozenset(q.key for s in bank.sections if s.key == section_key for q in s.questions)


def _others(bank: Bank, section_key: str) -> frozenset[str]:
    return frozenset(q.key for q in bank.questions) - section_keys(bank, section_key)


async def scope(repo: Repo, interview: Interview, bank: Bank) -> Scope:
    assert interview.id is not None
    if interview.flow == FLOW:
        held = await assignments.of_run(repo, interview.id)
        main = await repo.interview(held.interview_id) if held else None
        if held is None or main is None or main.id is None:
            return Scope(
                interview.id, interview.depth_floor, frozenset(q.key for q in bank.questions)
            )
        return Scope(main.id, main.depth_floor, _others(bank, held.section_key))
    if interview.flow != MAIN:
        return Scope(interview.id, interview.depth_floor)
    away: set[str] = set()
    for handed in await waiting(repo, interview.id):
        away |= section_keys(bank, handed.section_key)
    return Scope(interview.id, interview.depth_floor, frozenset(away))


async def waiting(repo: Repo, interview_id: int) -> list[SectionAssignment]:
    """The sections of an interview still waiting for the person they were handed to."""
    return [
        a
        for a in await assignments.of_interview(repo, interview_id)
        if a.state == AssignmentState.WAITING
    ]


async def answers_home(repo: Repo, interview: Interview) -> int:
    """The interview an answer given in ``interview`` is stored on."""
    assert interview.id is not None
    if interview.flow != FLOW:
        return interview.id
    held = await assignments.of_run(repo, interview.id)
    return held.interview_id if held else interview.id


def holds(person_id: int, interview: Interview) -> bool:
    """``interview`` is a section run this person was handed (and still holds)."""
    return interview.flow == FLOW and interview.held_by_id == person_id


async def awaited_reasons(
    repo: Repo, bank: Bank, handed: Sequence[SectionAssignment]
) -> tuple[rubric.Reason, ...]:
    reasons = []
    for a in handed:
        holder = await repo.person_by_id(a.holder_id)
        name = (holder.display_name or holder.platform_id) if holder else "?"
        section = next((s for s in bank.sections if s.key == a.section_key), None)
        reasons.append(
            rubric.Reason(
                "section_awaited",
                {"section": a.section_key, "holder": name, "since": a.since.date().isoformat()},
                keys=tuple(q.key for q in section.questions) if section else (),
                references=(section.reference,) if section and section.reference else (),
            )
        )
    return tuple(reasons)


async def awaiting(
    repo: Repo, bank: Bank, interview: Interview | None, result: rubric.Assessment
) -> rubric.Assessment:
    """The recommendation while handed sections are unanswered: not enough
    information, naming each section, who holds it and since when.

    A stop rule that holds stands: no answer still to come undoes a declared
    prohibited use, and the lead must hear it at once (``conversations.early_stop``).
    """
    if interview is None or interview.id is None or result.outcome == Outcome.STOP:
        return result
    handed = await waiting(repo, interview.id)
    if not handed:
        return result
    awaited = set().union(*(section_keys(bank, a.section_key) for a in handed))
    others = tuple(
        r
        for r in result.reasons
        if result.outcome == Outcome.NOT_ENOUGH_INFORMATION
        and not (r.code == "missing_answer" and set(r.keys) <= awaited)
    )
    return replace(
        result,
        outcome=Outcome.NOT_ENOUGH_INFORMATION,
        reasons=(*await awaited_reasons(repo, bank, handed), *others),
        conditions=(),
    )


async def intro(repo: Repo, run: Interview, poc: Poc, t: Translator) -> list[Reply]:
    """What a section run is about, shown with its question: which POC, who asked."""
    assert run.id is not None
    held = await assignments.of_run(repo, run.id) if run.flow == FLOW else None
    if held is None:
        return []
    bank = load_bank(MAIN, run.flow_version)
    section = next((s for s in bank.sections if s.key == held.section_key), None)
    if section is None:
        return []
    asker = await repo.person_by_id(held.asked_by_id)
    return [
        Say(
            t(
                "{asker} asked you to answer {section} for {title} ({poc}): they think you know it best.",
                asker=(asker.display_name or asker.platform_id) if asker else "?",
                section=section.title.get(t.language),
                title=poc.title,
                poc=poc.handle,
            )
        )
    ]
