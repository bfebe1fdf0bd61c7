"""The audit trail's contract (``conversations.ports.audit``), on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.storage.contract.conftest import Backend

T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def test_events_come_back_as_written_in_the_order_written(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    poc = await backend.poc(acme, "chatbot")
    async with backend.unit() as unit:
        await unit.audits.write(
            acme, "poc_registered", at=at(2), poc_id=poc, detail={"handle": "chatbot", "n": 1.5}
        )
        await unit.audits.write(acme, "role_set", at=at(1), person_id=None)
    async with backend.unit() as unit:
        events = await unit.audits.of_workspace(acme)
    assert [e.action for e in events] == ["poc_registered", "role_set"]  # written, not dated, order
    first, second = events
    assert (first.workspace_id, first.poc_id, first.person_id) == (acme, poc, None)
    assert first.detail == {"handle": "chatbot", "n": 1.5}
    assert first.created_at == at(2) and first.created_at.utcoffset() == timedelta(0)
    assert second.detail == {} and second.poc_id is None
    assert first.id < second.id


async def test_a_workspace_sees_only_its_own_events(backend: Backend) -> None:
    acme, beta = await backend.workspace("acme"), await backend.workspace("beta")
    async with backend.unit() as unit:
        await unit.audits.write(acme, "mine", at=at(0))
        await unit.audits.write(beta, "theirs", at=at(0))
    async with backend.unit() as unit:
        assert [e.action for e in await unit.audits.of_workspace(acme)] == ["mine"]
        assert [e.action for e in await unit.audits.of_workspace(beta)] == ["theirs"]


async def test_the_trail_of_one_poc(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    chatbot, triage = await backend.poc(acme, "chatbot"), await backend.poc(acme, "triage")
    async with backend.unit() as unit:
        await unit.audits.write(acme, "assessed", at=at(0), poc_id=chatbot)
        await unit.audits.write(acme, "assessed", at=at(1), poc_id=triage)
        await unit.audits.write(acme, "subscribed", at=at(2))
        await unit.audits.write(acme, "reopened", at=at(3), poc_id=chatbot, detail={"r": "x"})
    async with backend.unit() as unit:
        trail = await unit.audits.of_poc(chatbot)
    assert [(e.action, e.detail) for e in trail] == [("assessed", {}), ("reopened", {"r": "x"})]


async def test_a_time_in_another_zone_is_the_same_instant(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    paris = datetime(2026, 7, 1, 23, 0, tzinfo=timezone(timedelta(hours=2)))
    async with backend.unit() as unit:
        await unit.audits.write(acme, "x", at=paris)
    async with backend.unit() as unit:
        [event] = await unit.audits.of_workspace(acme)
    assert event.created_at == paris and event.created_at.hour == 21  # converted to UTC


async def test_a_naive_time_is_refused(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    with pytest.raises(Exception, match="naive"):
        async with backend.unit() as unit:
            await unit.audits.write(acme, "x", at=datetime(2026, 1, 1, 12, 0))


async def test_what_the_caller_does_to_its_detail_later_changes_nothing(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    detail = {"channel": "C1"}
    async with backend.unit() as unit:
        await unit.audits.write(acme, "subscribed", at=at(0), detail=detail)
        detail["channel"] = "C2"
    async with backend.unit() as unit:
        [read] = await unit.audits.of_workspace(acme)
        assert isinstance(read.detail, dict)
        read.detail["channel"] = "C3"
        [again] = await unit.audits.of_workspace(acme)
    assert again.detail == {"channel": "C1"}


async def test_a_unit_that_raises_writes_no_event(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    with pytest.raises(LookupError):
        async with backend.unit() as unit:
            await unit.audits.write(acme, "gone", at=at(0))
            raise LookupError("boom")
    async with backend.unit() as unit:
        assert await unit.audits.of_workspace(acme) == []


async def test_purge_deletes_what_is_older_than_the_retention(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    async with backend.unit() as unit:
        for minutes in (0, 1, 2):
            await unit.audits.write(acme, f"at-{minutes}", at=at(minutes))
    async with backend.unit() as unit:
        assert await unit.audits.purge(at(2)) == 2
    async with backend.unit() as unit:
        assert [e.action for e in await unit.audits.of_workspace(acme)] == ["at-2"]
        assert await unit.audits.purge(at(2)) == 0
