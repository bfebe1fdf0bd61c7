"""Sections of an interview handed to someone else (conversations.delegation).

Small reads and writes on :class:`SectionAssignment`, inside the caller's
transaction (a :class:`Repo`'s session).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select

from storage.models import AssignmentState, Poc, SectionAssignment
from storage.repository import Repo


async def of_interview(repo: Repo, interview_id: int) -> Sequence[SectionAssignment]:
    """Every section of an interview that was ever handed over, in bank order of creation."""
    if repo.never_handed(interview_id):
        return []  # as Repo.arrival found, in this transaction: no query
    result = await repo.session.execute(
        select(SectionAssignment)
        .where(SectionAssignment.interview_id == interview_id)
        .order_by(col(SectionAssignment.id))
    )
    return result.scalars().all()


async def of_section(repo: Repo, interview_id: int, section_key: str) -> SectionAssignment | None:
    result = await repo.session.execute(
        select(SectionAssignment).where(
            SectionAssignment.interview_id == interview_id,
            SectionAssignment.section_key == section_key,
        )
    )
    return result.scalar_one_or_none()


async def of_run(repo: Repo, run_id: int) -> SectionAssignment | None:
    """The assignment whose holder answers in the interview run ``run_id``."""
    result = await repo.session.execute(
        select(SectionAssignment).where(SectionAssignment.run_id == run_id)
    )
    return result.scalar_one_or_none()


async def held_by(
    repo: Repo, holder_id: int, state: AssignmentState | None = AssignmentState.WAITING
) -> Sequence[SectionAssignment]:
    """The sections a person holds (waiting for their answers, by default)."""
    query = select(SectionAssignment).where(SectionAssignment.holder_id == holder_id)
    if state is not None:
        query = query.where(SectionAssignment.state == state)
    result = await repo.session.execute(query.order_by(col(SectionAssignment.since)))
    return result.scalars().all()


async def waiting_in_workspace(repo: Repo, workspace_id: int) -> Sequence[SectionAssignment]:
    """Every section of a workspace's POCs still waiting for its holder."""
    result = await repo.session.execute(
        select(SectionAssignment)
        .join(Poc, col(Poc.id) == col(SectionAssignment.poc_id))
        .where(
            Poc.workspace_id == workspace_id,
            SectionAssignment.state == AssignmentState.WAITING,
        )
        .order_by(col(SectionAssignment.since), col(SectionAssignment.id))
    )
    return result.scalars().all()


async def put(repo: Repo, assignment: SectionAssignment) -> SectionAssignment:
    """Add or update an assignment."""
    repo.handed_over()
    repo.session.add(assignment)
    await repo.session.flush()
    return assignment


async def mark_reminded(repo: Repo, assignment: SectionAssignment, at: datetime) -> None:
    assignment.reminded_at = at
    await put(repo, assignment)


async def to_remind(repo: Repo, handed_before: datetime) -> Sequence[SectionAssignment]:
    """Sections still waiting, handed before ``handed_before``, whose holder was never
    reminded (once per hand-over: handing on clears ``reminded_at``)."""
    result = await repo.session.execute(
        select(SectionAssignment)
        .where(
            SectionAssignment.state == AssignmentState.WAITING,
            col(SectionAssignment.reminded_at).is_(None),
            col(SectionAssignment.since) <= handed_before,
        )
        .order_by(col(SectionAssignment.id))
    )
    return result.scalars().all()
