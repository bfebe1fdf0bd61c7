"""The lean interview step's reads and writes, on SQLite and PostgreSQL.

``Repo.arrival`` reads the workspace, the person and the interview they hold
(with its POC) in one query; what it read must never be older than the rows
it stands for once the same unit has moved an interview. The claim of a
delivery is one ``INSERT ... ON CONFLICT DO NOTHING``; the revision-guarded
move sets what it wrote on the object without reading the row back.
"""

from __future__ import annotations

import pytest

from storage.models import InterviewStatus
from storage.repository import StaleRevision, Store
from tests.storage.test_repository import at, seed

pytestmark = pytest.mark.storage


async def test_arrival_finds_the_workspace_the_person_and_the_interview_they_hold(
    store: Store,
) -> None:
    s = await seed(store)
    async with store.unit() as repo:
        interview = await repo.interview(s.interview_id)
        assert interview is not None
        await repo.move_interview(interview, interview.revision, held_by_id=s.person_id)
    async with store.unit() as repo:
        workspace, person = await repo.arrival("T1", "U1")
        held = await repo.interview_held_by(s.person_id)
        poc = await repo.poc_by_id(s.poc_id)
    assert workspace is not None and workspace.id == s.workspace_id
    assert person is not None and person.id == s.person_id and person.display_name == "Ada"
    assert held is not None and held.id == s.interview_id
    assert poc is not None and poc.handle == "chatbot"


async def test_arrival_of_someone_new_or_somewhere_new(store: Store) -> None:
    await seed(store)
    async with store.unit() as repo:
        assert await repo.arrival("T1", "U-new") == (await repo.workspace("T1"), None)
        assert await repo.arrival("T-unknown", "U1") == (None, None)


async def test_a_paused_interview_is_no_longer_held_within_the_same_unit(store: Store) -> None:
    s = await seed(store)
    async with store.unit() as repo:
        interview = await repo.interview(s.interview_id)
        assert interview is not None
        await repo.move_interview(interview, interview.revision, held_by_id=s.person_id)
    async with store.unit() as repo:
        await repo.arrival("T1", "U1")
        interview = await repo.interview(s.interview_id)
        assert interview is not None
        await repo.move_interview(
            interview, interview.revision, status=InterviewStatus.PAUSED, updated_at=at(1)
        )
        # Read again, not taken from what arrival read before the move.
        assert await repo.interview_held_by(s.person_id) is None


async def test_a_move_is_seen_on_the_object_and_an_old_revision_loses(store: Store) -> None:
    s = await seed(store)
    async with store.unit() as repo:
        interview = await repo.interview(s.interview_id)
        assert interview is not None
        read = interview.revision
        await repo.move_interview(interview, read, current_key="users", updated_at=at(2))
        assert (interview.revision, interview.current_key) == (read + 1, "users")
    with pytest.raises(StaleRevision):
        async with store.unit() as repo:
            stale = await repo.interview(s.interview_id)
            assert stale is not None
            await repo.move_interview(stale, read, current_key="purpose")
    async with store.unit() as repo:
        kept = await repo.interview(s.interview_id)
    assert kept is not None and (kept.revision, kept.current_key) == (read + 1, "users")


async def test_a_delivery_claimed_twice_in_one_unit_leaves_it_usable(store: Store) -> None:
    s = await seed(store)
    async with store.unit() as repo:
        assert await repo.claim_delivery(s.workspace_id, "Ev1", at(0))
        assert not await repo.claim_delivery(s.workspace_id, "Ev1", at(0))
        # The transaction goes on after the lost claim, and commits.
        await repo.audits.write(s.workspace_id, "after_the_claim", at=at(0))
    async with store.unit() as repo:
        assert not await repo.claim_delivery(s.workspace_id, "Ev1", at(1))
        assert await repo.claim_delivery(s.workspace_id, "Ev2", at(1))
        events = await repo.audits.of_workspace(s.workspace_id)
    assert [e.action for e in events][-1:] == ["after_the_claim"]
