"""Section assignments (storage.assignments), on SQLite and PostgreSQL: read back in a
later unit, so from the database and not the session."""

from __future__ import annotations

import pytest

from storage import assignments
from storage.models import AssignmentState, Interview, Person, SectionAssignment
from storage.repository import Conflict, Store
from tests.storage.test_repository import Seed, at, seed

pytestmark = pytest.mark.storage


async def handed(
    store: Store, s: Seed, section: str = "integration", who: str = "nadia"
) -> tuple[int, int]:
    """Hands ``section`` of the seeded interview to Nadia; (her id, the assignment's id)."""
    async with store.unit() as repo:
        nadia = await repo.add_person(
            Person(workspace_id=s.workspace_id, platform_id=f"U-{who}-{section}", display_name=who)
        )
        run = await repo.add_interview(
            Interview(poc_id=s.poc_id, flow="post-poc-section", flow_version=2)
        )
        assert nadia.id is not None
        a = await assignments.put(
            repo,
            SectionAssignment(
                poc_id=s.poc_id,
                interview_id=s.interview_id,
                section_key=section,
                holder_id=nadia.id,
                asked_by_id=s.person_id,
                since=at(5),
                run_id=run.id,
            ),
        )
        assert a.id is not None
        return nadia.id, a.id


async def test_an_assignment_is_found_by_section_by_run_and_by_holder(store: Store) -> None:
    s = await seed(store)
    nadia, _ = await handed(store, s)
    async with store.unit() as repo:
        found = await assignments.of_section(repo, s.interview_id, "integration")
        assert found is not None
        assert (found.holder_id, found.asked_by_id, found.since, found.state) == (
            nadia,
            s.person_id,
            at(5),
            AssignmentState.WAITING,
        )
        assert found.run_id is not None
        assert (await assignments.of_run(repo, found.run_id)) == found
        assert [a.section_key for a in await assignments.held_by(repo, nadia)] == ["integration"]
        assert await assignments.of_section(repo, s.interview_id, "risks") is None


async def test_answered_and_returned_sections_are_no_longer_waiting(store: Store) -> None:
    s = await seed(store)
    nadia, _ = await handed(store, s)
    await handed(store, s, "risks")
    async with store.unit() as repo:
        found = await assignments.of_section(repo, s.interview_id, "integration")
        assert found is not None
        found.state, found.answered_at = AssignmentState.ANSWERED, at(9)
        await assignments.put(repo, found)
    async with store.unit() as repo:
        waiting = await assignments.waiting_in_workspace(repo, s.workspace_id)
        assert [a.section_key for a in waiting] == ["risks"]
        assert await assignments.held_by(repo, nadia) == []
        assert [a.section_key for a in await assignments.held_by(repo, nadia, None)] == [
            "integration"
        ]
        assert [a.section_key for a in await assignments.of_interview(repo, s.interview_id)] == [
            "integration",
            "risks",
        ]


async def test_one_assignment_per_section_of_an_interview(store: Store) -> None:
    s = await seed(store)
    await handed(store, s)
    with pytest.raises(Conflict):
        await handed(store, s, who="omar")


async def test_another_workspace_sees_none_of_them(store: Store) -> None:
    s = await seed(store)
    other = await seed(store, "T2")
    await handed(store, s)
    async with store.unit() as repo:
        assert await assignments.waiting_in_workspace(repo, other.workspace_id) == []
        assert len(await assignments.waiting_in_workspace(repo, s.workspace_id)) == 1
