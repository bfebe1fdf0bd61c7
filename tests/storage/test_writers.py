"""SQLite's one writer in a process: taken in turns, an acknowledgement first."""

from __future__ import annotations

import asyncio

import pytest

from storage.writers import WriterTurns


async def test_an_acknowledgement_goes_before_the_steps_still_waiting() -> None:
    turns = WriterTurns()
    order: list[str] = []
    await turns.acquire()  # a step's transaction is running

    async def writer(name: str, urgent: bool) -> None:
        await turns.acquire(urgent)
        order.append(name)
        turns.release()

    waiting = [
        asyncio.ensure_future(writer("step 1", False)),
        asyncio.ensure_future(writer("step 2", False)),
        asyncio.ensure_future(writer("ack", True)),
    ]
    await asyncio.sleep(0)  # every writer is in line
    turns.release()
    await asyncio.gather(*waiting)

    assert order == ["ack", "step 1", "step 2"]


async def test_a_writer_that_gives_up_waiting_does_not_keep_the_turn() -> None:
    turns = WriterTurns()
    await turns.acquire()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0):
            await turns.acquire()
    turns.release()

    async with asyncio.timeout(1):
        await turns.acquire()  # free again
