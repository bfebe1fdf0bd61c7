"""Two bot processes writing the same rows at the same moment, on SQLite and PostgreSQL.

Each test starts two OS processes (multiprocessing, spawn) that play many
rounds; in every round both wait at a barrier and then write at once. No
sleeps: the barrier is the only synchronisation.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import traceback
from collections.abc import Awaitable, Callable
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest

from storage.database import make_engine, resolve_url
from storage.models import Answer, Interview, Person, Poc
from storage.repository import StaleRevision, Store

pytestmark = pytest.mark.storage

ROUNDS = 20
START_REVISION = 7
WAIT_SECONDS = 60
WORKERS = ("a", "b")

Task = Callable[[Store, dict[str, Any], str, Barrier], Awaitable[list[bool]]]


def _play(
    task: Task,
    database_url: str,
    plan: dict[str, Any],
    who: str,
    barrier: Barrier,
    reports: multiprocessing.Queue[tuple[str, list[bool], str]],
) -> None:
    """The body of a worker process: run ``task`` on its own engine, report the outcome."""

    async def run() -> list[bool]:
        store = Store(make_engine(resolve_url(database_url)))
        try:
            return await task(store, plan, who, barrier)
        finally:
            await store.dispose()

    try:
        outcomes = asyncio.run(run())
    except BaseException:
        barrier.abort()  # don't leave the other worker waiting
        reports.put((who, [], traceback.format_exc()))
    else:
        reports.put((who, outcomes, ""))


def race(task: Task, database_url: str, plan: dict[str, Any]) -> dict[str, list[bool]]:
    """Run ``task`` in two processes at once; each returns one outcome per round."""
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(len(WORKERS))
    reports: multiprocessing.Queue[tuple[str, list[bool], str]] = spawn.Queue()
    processes = [
        spawn.Process(target=_play, args=(task, database_url, plan, who, barrier, reports))
        for who in WORKERS
    ]
    for process in processes:
        process.start()
    try:
        results = [reports.get(timeout=WAIT_SECONDS * 2) for _ in processes]
    finally:
        for process in processes:
            process.join(WAIT_SECONDS)
            if process.is_alive():
                process.kill()
    failures = [error for _, _, error in results if error]
    assert not failures, "\n".join(failures)
    return {who: outcomes for who, outcomes, _ in results}


async def seed(store: Store) -> tuple[int, int, int]:
    """A workspace, a person and a POC: their ids."""
    async with store.unit() as repo:
        workspace = await repo.add_workspace("T1")
        assert workspace.id is not None
        person = await repo.add_person(Person(workspace_id=workspace.id, platform_id="U1"))
        poc = await repo.add_poc(Poc(workspace_id=workspace.id, handle="chatbot", title="Bot"))
        assert person.id is not None and poc.id is not None
    return workspace.id, person.id, poc.id


def exactly_one_won(outcomes: dict[str, list[bool]]) -> list[str]:
    """The winner of every round; fails if a round had none or two."""
    rounds = list(zip(*(outcomes[who] for who in WORKERS), strict=True))
    assert len(rounds) == ROUNDS
    assert [sum(won) for won in rounds] == [1] * ROUNDS, rounds
    return [WORKERS[won.index(True)] for won in rounds]


# -- the same interview answered from two processes ---------------------------------


async def _answer_and_move(
    store: Store, plan: dict[str, Any], who: str, barrier: Barrier
) -> list[bool]:
    won = []
    for interview_id in plan["interviews"]:
        async with store.unit() as repo:
            interview = await repo.interview(interview_id)
            assert interview is not None
            read_revision = interview.revision
        barrier.wait(WAIT_SECONDS)  # both have read revision N: now both write
        try:
            async with store.unit() as repo:
                interview = await repo.interview(interview_id)
                assert interview is not None
                await repo.record_answer(
                    Answer(
                        poc_id=plan["poc_id"],
                        interview_id=interview_id,
                        question_key=f"q{interview_id}",
                        value=who,
                        person_id=plan["person_id"],
                    )
                )
                await repo.move_interview(interview, read_revision, current_key=f"after-{who}")
        except StaleRevision:
            won.append(False)
        else:
            won.append(True)
    return won


async def test_one_of_two_concurrent_moves_wins(store: Store, database_url: str) -> None:
    _, person_id, poc_id = await seed(store)
    async with store.unit() as repo:
        interviews = [
            await repo.add_interview(
                Interview(poc_id=poc_id, flow="intake", flow_version=1, revision=START_REVISION)
            )
            for _ in range(ROUNDS)
        ]
    plan = {"poc_id": poc_id, "person_id": person_id, "interviews": [i.id for i in interviews]}

    winners = exactly_one_won(race(_answer_and_move, database_url, plan))

    async with store.unit() as repo:
        for interview, winner in zip(interviews, winners, strict=True):
            stored = await repo.interview(interview.id or 0)
            assert stored is not None
            assert (stored.revision, stored.current_key) == (START_REVISION + 1, f"after-{winner}")
            history = await repo.answer_history(poc_id, f"q{interview.id}")
            assert [(a.value, a.superseded_at) for a in history] == [(winner, None)]


# -- the same platform delivery handled by two processes -----------------------------


async def _claim(store: Store, plan: dict[str, Any], who: str, barrier: Barrier) -> list[bool]:
    claimed = []
    for n in range(ROUNDS):
        barrier.wait(WAIT_SECONDS)
        async with store.unit() as repo:
            claimed.append(await repo.claim_delivery(plan["workspace_id"], f"Ev{n}"))
    return claimed


async def test_one_of_two_concurrent_claims_wins(store: Store, database_url: str) -> None:
    workspace_id, _, _ = await seed(store)

    exactly_one_won(race(_claim, database_url, {"workspace_id": workspace_id}))

    async with store.unit() as repo:
        again = [await repo.claim_delivery(workspace_id, f"Ev{n}") for n in range(ROUNDS)]
    assert again == [False] * ROUNDS
