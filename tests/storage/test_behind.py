"""What an answer's replies leave to keep (where its question was posted, the
person's address, its inbox row done) waits in memory and rides with the next
transaction that writes, on SQLite and PostgreSQL; and the step's own
transaction marks its inbox row applied, once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.behind import FLUSH_AFTER
from storage.inbox import Arrival, Inbox, take_in_step
from storage.models import InboxEntry, InboxStatus
from storage.repository import Store

pytestmark = pytest.mark.storage

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


async def workspace_id(store: Store) -> int:
    async with store.unit() as repo:
        workspace = await repo.add_workspace("slack:T1")
        assert workspace.id is not None
        return workspace.id


async def kept_row(store: Store, delivery_id: str = "Ev1") -> InboxEntry:
    arrival = Arrival("slack", "slack:T1", delivery_id, "slack:T1:U1", "slack.message", {})
    kept = await Inbox(store).keep(arrival, NOW)
    assert kept is not None and kept.id is not None
    return kept


async def test_what_waits_is_written_with_the_next_unit_of_work(store: Store) -> None:
    ws = await workspace_id(store)
    entry = await kept_row(store)
    assert entry.id is not None
    store.behind.posted(ws, "7.3.q", "D1:1.0:agent", NOW)
    store.behind.address(ws, "person:U1", {"channel": "D1"}, NOW)
    store.behind.finished(entry.id, NOW, InboxStatus.DONE)

    async with store.unit(all_waiting=True) as repo:
        await repo.add_workspace("slack:T2")  # someone else's work: the writes ride along

    async with store.reading() as repo:
        posted = await repo.posted(ws, "7.3.q")
        address = await repo.address(ws, "person:U1")
        row = await repo.session.get(InboxEntry, entry.id)
    assert posted is not None and posted.ref == "D1:1.0:agent"
    assert address is not None and address.data == {"channel": "D1"}
    assert row is not None and row.status == InboxStatus.DONE
    assert not store.behind.pending


async def test_writes_of_a_unit_that_fails_wait_for_the_next(store: Store) -> None:
    ws = await workspace_id(store)
    store.behind.address(ws, "person:U1", {"channel": "D1"}, NOW)

    with pytest.raises(RuntimeError):
        async with store.unit(all_waiting=True):
            raise RuntimeError("the step failed")
    store.behind.address(ws, "person:U1", {"channel": "D1", "question": {}}, NOW)
    assert await store.behind.settled()

    async with store.reading() as repo:
        address = await repo.address(ws, "person:U1")
    assert address is not None and address.data == {"channel": "D1", "question": {}}, "the newest"


async def test_writes_nobody_takes_are_written_on_their_own_soon(store: Store) -> None:
    ws = await workspace_id(store)
    store.behind.address(ws, "person:U1", {"channel": "D1"}, NOW)

    assert await store.behind.settled()  # as a stopping process does; else within FLUSH_AFTER

    async with store.reading() as repo:
        assert await repo.address(ws, "person:U1") is not None
    assert FLUSH_AFTER < 1.0, "well inside an inbox lease"


async def test_a_step_marks_its_row_applied_once(store: Store) -> None:
    entry = await kept_row(store)
    assert entry.id is not None and entry.attempts == 1, "no earlier row: handled at once"
    later = await kept_row(store, "Ev2")
    assert later.attempts == 0, "behind the first: it waits for a claim"

    async with store.unit() as repo:
        assert await take_in_step(repo, entry.id, NOW)
    async with store.unit() as repo:
        assert not await take_in_step(repo, entry.id, NOW), "run again: a duplicate"
