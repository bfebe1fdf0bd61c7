"""Decisions that reopen themselves: one test per rule, through the weekly
watch (injected clock) or the command that triggers it; what the owner, the
deciding lead and the channel see; and the new decision that closes it."""

from __future__ import annotations

import pytest

from tests.support.conversation import Person, text
from tests.telemetry.conftest import HANDLE, World, running_poc

pytestmark = pytest.mark.storage

REOPENED = "The decision on Invoice agent (invoice-agent) is reopened"


async def assert_reopened(
    world: World, reason_key: str, why: str, *, told: tuple[str, ...]
) -> None:
    assert await world.stage() == "review_due"
    assert [e["reason"] for e in await world.audit("reopened")] == [reason_key]
    await world.tick()  # the outbox sends the news
    for person in told:
        news = [t for t in world.dms(person) if REOPENED in t]
        assert len(news) == 1, f"{person} got {len(news)} notices"
        assert f"Why: {why}." in news[0] and "decide invoice-agent" in news[0]


async def answer_checkin(world: World, *answers: str) -> None:
    world.clock.advance(hours=3)  # 10:00 in Paris: the owner's check-in
    await world.tick()
    for answer in answers:
        await world.omar.says(answer)


async def test_a_threshold_broken_two_readings_running_reopens_and_a_decision_closes_it(
    world: World,
) -> None:
    await world.omar.says(f"/poc reading {HANDLE} 30")  # past 25 (lower is better)
    await world.tick()
    assert await world.stage() == "industrialised"  # one reading is not two
    world.clock.advance(days=7)
    await world.omar.says(f"/poc reading {HANDLE} 31")
    await world.tick()
    why = "an indicator was past its threshold two readings running"
    await assert_reopened(world, "threshold", why, told=("omar", "lea"))

    world.clock.advance(hours=1)  # Monday 09:00 in Paris: the channel's nudge
    await world.tick()
    nudge = world.nudges()[-1]
    assert f"decision reopened ({why}): a lead decides again" in nudge
    assert "🔴 Invoice agent (invoice-agent)" in nudge
    summary = text(await world.lea.says(f"/poc summary {HANDLE}"))
    assert "review due" in summary

    await world.tick()
    await world.tick()
    assert len([t for t in world.dms("lea") if REOPENED in t]) == 1  # told once

    await world.lea.runs(
        f"decide {HANDLE} industrialise The spike was a data fix", channel="C-team"
    )
    assert await world.stage() == "industrialised"
    await world.tick()  # the readings before the new decision don't reopen it again
    assert await world.stage() == "industrialised"
    assert len(await world.audit("reopened")) == 1
    assert [e["outcome"] for e in await world.audit("decision_recorded")][-1] == "industrialise"


async def test_an_incident_reported_in_a_check_in_reopens(world: World) -> None:
    await answer_checkin(world, "13", "1", "A wrong entry reached the ledger", "Nothing", "skip")
    await world.tick()
    await assert_reopened(world, "incident", "an incident was reported", told=("omar", "lea"))


async def test_a_change_without_a_re_test_reopens(world: World) -> None:
    await answer_checkin(world, "13", "0", "The model", "no", "skip")
    await world.tick()
    why = "the model, prompt or a tool changed without a re-test"
    await assert_reopened(world, "untested_change", why, told=("omar", "lea"))


async def test_a_change_that_was_re_tested_does_not(world: World) -> None:
    await answer_checkin(world, "13", "0", "The model", "yes", "skip")
    await world.tick()
    assert await world.stage() == "industrialised"


async def test_an_overdue_frame_condition_reopens(store: object, world: World) -> None:
    other = Person(world.service, "lea", workspace="test:initech")
    omar = Person(world.service, "omar", workspace="test:initech")
    for person in (other, omar):
        await person.says("hello")
    await running_poc(
        world.service,
        other,
        omar,
        outcome="frame",
        kill_rehearsed="no",
        watch_review_date="2026-11-20",
    )
    world.clock.advance(days=18)  # 2026-11-20: the review date, not yet passed
    await world.tick()
    assert await _stage_in(world, "test:initech") == "framed"
    world.clock.advance(days=1)
    await world.tick()
    assert await _stage_in(world, "test:initech") == "review_due"
    async with world.store.reading() as repo:
        workspace = await repo.workspace("test:initech")
        assert workspace is not None and workspace.id is not None
        [event] = [
            e for e in await repo.audits.of_workspace(workspace.id) if e.action == "reopened"
        ]
    assert event.detail["reason"] == "condition_overdue" and event.detail["count"] >= 1


async def _stage_in(world: World, workspace_key: str) -> str:
    async with world.store.reading() as repo:
        workspace = await repo.workspace(workspace_key)
        assert workspace is not None and workspace.id is not None
        poc = await repo.poc(workspace.id, HANDLE)
        assert poc is not None
        return str(poc.stage)


async def test_clearing_the_owner_reopens_and_tells_the_deciding_lead(world: World) -> None:
    replies = text(await world.lea.runs(f"owner {HANDLE}", channel="C-team"))
    assert "invoice-agent has no owner now" in replies
    assert "The decision on invoice-agent is reopened: its owner left." in replies
    await assert_reopened(world, "owner_left", "its owner left", told=("lea",))
    assert [t for t in world.dms("omar") if REOPENED in t] == []  # no longer the owner


async def test_a_member_cannot_clear_the_owner(world: World) -> None:
    refused = text(await world.omar.says(f"/poc owner {HANDLE}"))
    assert "Only a lead can do that" in refused
    assert await world.stage() == "industrialised"


async def test_a_stopped_or_undecided_poc_is_not_reopened(world: World) -> None:
    await world.lea.runs(f"decide {HANDLE} stop Not worth it", channel="C-team")
    await world.lea.runs(f"owner {HANDLE}", channel="C-team")
    assert await world.stage() == "stopped"
    assert await world.audit("reopened") == []


async def test_the_overseer_leaving_reopens(world: World) -> None:
    """The person named as overseer in the interview is removed (as Teams and
    Slack report it, through ``Service.person_left``)."""
    overseer = Person(world.service, "claire")
    await overseer.says("hello")
    async with world.store.unit() as repo:
        workspace = await repo.workspace("test:acme")
        assert workspace is not None and workspace.id is not None
        poc = await repo.poc(workspace.id, HANDLE)
        assert poc is not None and poc.id is not None
        answer = (await repo.current_answers(poc.id))["sup_overseer"]
        answer.value = {"id": "claire", "name": "Claire Martin"}
        await repo.save(answer)
    assert await world.service.person_left("test:acme", "someone-else") == 0
    assert await world.service.person_left("test:acme", "claire") == 1
    assert await world.service.person_left("test:acme", "claire") == 0  # a retried event
    await assert_reopened(world, "overseer_left", "its overseer left", told=("omar", "lea"))
