"""The inbox, on SQLite and PostgreSQL: a request kept once, handled once, in
order per person, by whichever of two workers (two replicas) takes it, and
finished after its worker died."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.inbox import ATTEMPTS, Inboxes
from storage.inbox import Arrival, Inbox
from storage.models import InboxEntry, InboxStatus
from storage.repository import Store

pytestmark = pytest.mark.storage

START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def arrival(delivery_id: str, lane: str = "slack:T1:U1", text: str = "") -> Arrival:
    return Arrival("slack", "T1", delivery_id, lane, "test.answer", {"text": text or delivery_id})


async def test_a_redelivered_request_is_kept_once(store: Store) -> None:
    inbox = Inbox(store)
    first = await inbox.put(arrival("Ev1"), START)
    assert first is not None
    assert await inbox.put(arrival("Ev1"), START) is None  # Slack's retry of the same event
    # The same id in another workspace or platform is another request.
    assert await inbox.put(Arrival("slack", "T2", "Ev1", "slack:T2:U1", "k", {}), START)
    assert await inbox.put(Arrival("teams", "T1", "Ev1", "teams:T1:U1", "k", {}), START)
    assert await inbox.pending() == 3


async def test_only_the_oldest_pending_request_of_a_person_can_be_taken(store: Store) -> None:
    inbox = Inbox(store)
    one = await inbox.put(arrival("Ev1"), START)
    two = await inbox.put(arrival("Ev2"), START)
    other = await inbox.put(arrival("Ev3", lane="slack:T1:U2"), START)
    assert one and two and other
    lease = START + timedelta(seconds=15)
    assert await inbox.claim(two, START, lease) is None  # Ev1 first
    assert await inbox.claim(other, START, lease) is not None  # someone else's: free
    taken = await inbox.claim(one, START, lease)
    assert taken is not None and taken.attempts == 1
    assert await inbox.claim(one, START, lease) is None  # leased
    assert await inbox.claim(two, START, lease) is None  # Ev1 still pending
    await inbox.finish(one, START)
    assert await inbox.claim(one, START, lease) is None  # done
    assert await inbox.claim(two, START, lease) is not None


async def test_a_dead_workers_lease_runs_out_and_the_row_is_taken_again(store: Store) -> None:
    inbox = Inbox(store)
    one = await inbox.put(arrival("Ev1"), START)
    assert one
    assert await inbox.claim(one, START, START + timedelta(seconds=15))
    assert await inbox.waiting_lanes(START + timedelta(seconds=10)) == []
    later = START + timedelta(seconds=16)
    assert await inbox.waiting_lanes(later) == ["slack:T1:U1"]
    again = await inbox.claim(one, later, later + timedelta(seconds=15))
    assert again is not None and again.attempts == 2


async def test_two_workers_apply_one_persons_answers_in_arrival_order(store: Store) -> None:
    """Two replicas drain the same person's lane at once: each answer is applied
    once, in the order it arrived, and never two of them side by side."""
    applied: list[str] = []
    running: list[str] = []
    overlap: list[tuple[str, ...]] = []
    first_started = asyncio.Event()
    let_first_finish = asyncio.Event()

    async def step(entry: InboxEntry, retried: bool) -> None:
        running.append(entry.delivery_id)
        if len(running) > 1:
            overlap.append(tuple(running))
        if entry.delivery_id == "Ev1":
            first_started.set()
            await let_first_finish.wait()
        applied.append(str(entry.payload["text"]))
        running.remove(entry.delivery_id)

    replicas = [Inboxes(store), Inboxes(store)]
    for replica in replicas:
        replica.on("test.answer", step)
    for n in range(1, 5):
        assert await replicas[n % 2].accept(arrival(f"Ev{n}"))
    a = asyncio.ensure_future(replicas[0].drain("slack:T1:U1"))
    await first_started.wait()
    # The second replica finds the lane held: it takes nothing while Ev1 runs.
    assert await replicas[1].drain("slack:T1:U1") == 0
    let_first_finish.set()
    b = asyncio.ensure_future(replicas[1].drain("slack:T1:U1"))
    handled = await asyncio.gather(a, b)
    assert applied == ["Ev1", "Ev2", "Ev3", "Ev4"]
    assert sum(handled) == 4 and overlap == []
    assert await replicas[0].rows.pending() == 0


async def test_a_row_left_by_a_crash_between_the_commit_and_the_step_is_finished_once(
    store: Store,
) -> None:
    """The process that acknowledged the request died before its step ran: the
    next process to start finds the row and runs the step, once."""
    clock = Clock()
    dead = Inboxes(store, clock=clock)
    assert await dead.accept(arrival("Ev1"))  # committed, then the process is gone

    applied: list[tuple[str, bool]] = []

    async def step(entry: InboxEntry, retried: bool) -> None:
        applied.append((entry.delivery_id, retried))

    restarted = Inboxes(store, clock=clock)
    restarted.on("test.answer", step)
    assert await restarted.sweep() == 1
    assert await restarted.sweep() == 0
    assert applied == [("Ev1", False)]


async def test_a_row_cut_mid_step_is_taken_again_once_its_lease_ran_out(store: Store) -> None:
    clock = Clock()
    dying = Inboxes(store, clock=clock)
    one = await dying.accept(arrival("Ev1"))
    assert one and await dying.accept(arrival("Ev2"))
    entry = await dying.rows.claim(one, clock(), clock() + dying.lease)
    # (the worker dies here, mid-step, its lease held)
    assert entry is not None

    seen: list[tuple[str, bool]] = []

    async def step(entry: InboxEntry, retried: bool) -> None:
        seen.append((entry.delivery_id, retried))

    other = Inboxes(store, clock=clock)
    other.on("test.answer", step)
    assert await other.sweep() == 0  # the lease still holds: Ev1, and Ev2 behind it, wait
    clock.now += dying.lease + timedelta(seconds=1)
    assert await other.sweep() == 2
    assert seen == [("Ev1", True), ("Ev2", False)]


async def test_a_step_that_keeps_failing_is_given_up_and_its_person_goes_on(
    store: Store,
) -> None:
    clock = Clock()
    inboxes = Inboxes(store, clock=clock)
    done: list[str] = []

    async def step(entry: InboxEntry, retried: bool) -> None:
        if entry.delivery_id == "Ev1":
            raise RuntimeError("a bug")
        done.append(entry.delivery_id)

    inboxes.on("test.answer", step)
    assert await inboxes.accept(arrival("Ev1"))
    assert await inboxes.accept(arrival("Ev2"))
    for _ in range(ATTEMPTS + 5):
        await inboxes.sweep()
        clock.now += timedelta(minutes=1)
    assert done == ["Ev2"]
    row = await inboxes.rows.find("slack", "T1", "Ev1")
    assert row is not None and row.status == InboxStatus.FAILED


async def test_handled_rows_are_purged_after_a_week(store: Store) -> None:
    clock = Clock()
    inboxes = Inboxes(store, clock=clock)

    async def step(entry: InboxEntry, retried: bool) -> None:
        return None

    inboxes.on("test.answer", step)
    assert await inboxes.accept(arrival("Ev1"))
    await inboxes.sweep()
    assert await inboxes.accept(arrival("Ev2"))  # still pending: kept however old
    clock.now += timedelta(days=8)
    assert await inboxes.purge() == 1
    assert await inboxes.rows.find("slack", "T1", "Ev1") is None
    assert await inboxes.rows.find("slack", "T1", "Ev2") is not None
