"""The outbox's contract (``conversations.ports.outbox``), on every store:
queued once per key, claimed once per reading, settled, retried, and found
again as the last post sent to a channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conversations.ports.outbox import DeliveryStatus, Post
from tests.storage.contract.conftest import Backend

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def post(workspace_id: int, key: str, minutes: int = 0, **more: object) -> Post:
    fields: dict[str, object] = {
        "kind": "nudge",
        "target": "channel:C1",
        "payload": {"replies": [{"text": "é ✓"}], "issues": ["no_owner"]},
    } | more
    return Post(workspace_id=workspace_id, key=key, due_at=at(minutes), **fields)  # type: ignore[arg-type]


async def test_a_key_is_queued_once(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    async with backend.unit() as unit:
        assert await unit.outbox.enqueue(post(acme, "nudge:1:W45"))
        assert not await unit.outbox.enqueue(post(acme, "nudge:1:W45", kind="other"))
    async with backend.unit() as unit:
        assert not await unit.outbox.enqueue(post(acme, "nudge:1:W45"))
        stored = await unit.outbox.get("nudge:1:W45")
        assert await unit.outbox.get("nudge:1:W46") is None
    assert stored is not None and stored.id is not None
    assert (stored.kind, stored.target, stored.status, stored.attempts) == (
        "nudge",
        "channel:C1",
        DeliveryStatus.PENDING,
        0,
    )
    assert stored.payload == {"replies": [{"text": "é ✓"}], "issues": ["no_owner"]}
    assert stored.due_at == at(0) and stored.created_at == at(0)  # created: when due, unless said
    assert (stored.lease_until, stored.sent_at, stored.platform_ref, stored.last_error) == (
        None,
        None,
        None,
        None,
    )


async def test_many_at_once_say_which_keys_were_new(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    async with backend.unit() as unit:
        await unit.outbox.enqueue(post(acme, "a"))
    posts = [post(acme, "a"), post(acme, "b"), post(acme, "c", parent_key="b")]
    async with backend.unit() as unit:
        assert await unit.outbox.enqueue_all(posts) == {"b", "c"}
        assert await unit.outbox.enqueue_all([]) == set()
    async with backend.unit() as unit:
        assert await unit.outbox.queued(["a", "c", "z"]) == {"a", "c"}
        assert await unit.outbox.queued([]) == set()
        child = await unit.outbox.get("c")
    assert child is not None and child.parent_key == "b"


async def test_due_are_pending_posts_due_now_earliest_first(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    async with backend.unit() as unit:
        await unit.outbox.enqueue_all(
            [post(acme, "late", 5), post(acme, "later", 9), post(acme, "soon", 1)]
        )
        await unit.outbox.enqueue(post(acme, "same-time", 1))
    async with backend.unit() as unit:
        assert [p.key for p in await unit.outbox.due(at(5), 10)] == ["soon", "same-time", "late"]
        assert [p.key for p in await unit.outbox.due(at(5), 2)] == ["soon", "same-time"]
        assert await unit.outbox.due(at(0), 10) == []


async def test_a_reading_is_claimed_once(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    async with backend.unit() as unit:
        await unit.outbox.enqueue(post(acme, "k"))
    async with backend.unit() as unit:
        [seen] = await unit.outbox.due(at(1), 10)
    lease = at(6)
    async with backend.unit() as unit:
        claimed = await unit.outbox.claim(seen, at(1), lease)
    async with backend.unit() as unit:
        assert await unit.outbox.claim(seen, at(1), lease) is None  # the second sender
    assert claimed is not None
    assert (claimed.status, claimed.attempts, claimed.lease_until) == (
        DeliveryStatus.SENDING,
        1,
        lease,
    )
    async with backend.unit() as unit:
        assert await unit.outbox.due(at(5), 10) == []  # held by its lease
        [expired] = await unit.outbox.due(at(7), 10)  # its sender vanished
        assert expired.key == "k" and expired.status == DeliveryStatus.SENDING
        again = await unit.outbox.claim(expired, at(7), at(12))
    assert again is not None and again.attempts == 2


async def test_settled_as_sent_failed_or_unconfirmed(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    async with backend.unit() as unit:
        await unit.outbox.enqueue_all(
            [post(acme, "sent"), post(acme, "failed"), post(acme, "lost")]
        )
    async with backend.unit() as unit:
        for seen in await unit.outbox.due(at(0), 10):
            await unit.outbox.claim(seen, at(0), at(5))
    async with backend.unit() as unit:
        sent = await unit.outbox.settle("sent", DeliveryStatus.SENT, at=at(1), ref="1730.42")
        failed = await unit.outbox.settle(
            "failed", DeliveryStatus.FAILED, at=at(1), error="channel_not_found"
        )
        await unit.outbox.settle("lost", DeliveryStatus.UNCONFIRMED, at=at(1), error="vanished")
    assert (sent.status, sent.platform_ref, sent.sent_at, sent.lease_until) == (
        DeliveryStatus.SENT,
        "1730.42",
        at(1),
        None,
    )
    assert (failed.status, failed.last_error, failed.sent_at) == (
        DeliveryStatus.FAILED,
        "channel_not_found",
        None,
    )
    async with backend.unit() as unit:
        lost = await unit.outbox.get("lost")
        assert await unit.outbox.due(at(60), 10) == []  # none goes out again
        assert await unit.outbox.count(DeliveryStatus.SENT) == 1
        assert await unit.outbox.count(DeliveryStatus.FAILED) == 1
        assert await unit.outbox.count(DeliveryStatus.SENDING) == 0
    assert lost is not None and (lost.status, lost.last_error) == (
        DeliveryStatus.UNCONFIRMED,
        "vanished",
    )


async def test_only_an_end_settles_and_only_a_queued_post(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    async with backend.unit() as unit:
        await unit.outbox.enqueue(post(acme, "k"))
    async with backend.unit() as unit:
        with pytest.raises(ValueError):
            await unit.outbox.settle("k", DeliveryStatus.PENDING, at=at(0))
        with pytest.raises(LookupError):
            await unit.outbox.settle("nothing", DeliveryStatus.SENT, at=at(0), ref="r")
        with pytest.raises(LookupError):
            await unit.outbox.reschedule("nothing", due_at=at(1), error="x")


async def test_a_post_rescheduled_is_due_again_later(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    async with backend.unit() as unit:
        await unit.outbox.enqueue_all([post(acme, "retry"), post(acme, "find")])
        for seen in await unit.outbox.due(at(0), 10):
            await unit.outbox.claim(seen, at(0), at(5))
    async with backend.unit() as unit:
        retry = await unit.outbox.reschedule("retry", due_at=at(30), error="ratelimited")
        find = await unit.outbox.reschedule("find", due_at=at(20), error="outage", sending=True)
    assert (retry.status, retry.due_at, retry.lease_until, retry.last_error) == (
        DeliveryStatus.PENDING,
        at(30),
        None,
        "ratelimited",
    )
    assert (find.status, find.lease_until, find.attempts) == (DeliveryStatus.SENDING, at(20), 1)
    async with backend.unit() as unit:
        assert await unit.outbox.due(at(19), 10) == []
        assert [p.key for p in await unit.outbox.due(at(31), 10)] == ["find", "retry"]


async def test_the_last_post_sent_to_each_channel(backend: Backend) -> None:
    acme, beta = await backend.workspace("acme"), await backend.workspace("beta")
    queued = [
        post(acme, "c1-w44", 0, target="channel:C1", payload={"week": 44}),
        post(acme, "c1-w45", 10, target="channel:C1", payload={"week": 45}),
        post(acme, "c1-w46", 20, target="channel:C1", payload={"week": 46}),  # not sent
        post(acme, "c2-w45", 10, target="channel:C2", payload={"week": 45}),
        post(acme, "c2-other", 30, target="channel:C2", kind="decision"),
        post(beta, "beta-c1", 40, target="channel:C1", payload={"week": 47}),
    ]
    async with backend.unit() as unit:
        await unit.outbox.enqueue_all(queued)
        for seen in await unit.outbox.due(at(60), 10):
            if seen.key != "c1-w46":
                await unit.outbox.claim(seen, at(60), at(65))
                await unit.outbox.settle(seen.key, DeliveryStatus.SENT, at=at(61), ref="r")
    async with backend.unit() as unit:
        last = await unit.outbox.last_sent("nudge", "channel:C1", acme)
        assert await unit.outbox.last_sent("nudge", "channel:C9", acme) is None
        by_target = await unit.outbox.last_sent_to("nudge", ["channel:C1", "channel:C2"], acme)
        assert await unit.outbox.last_sent_to("nudge", [], acme) == {}
    assert last is not None and last.payload == {"week": 45}
    assert {t: p.key for t, p in by_target.items()} == {
        "channel:C1": "c1-w45",
        "channel:C2": "c2-w45",
    }


async def test_a_unit_that_raises_queues_nothing(backend: Backend) -> None:
    acme = await backend.workspace("acme")
    with pytest.raises(LookupError):
        async with backend.unit() as unit:
            await unit.outbox.enqueue(post(acme, "k"))
            raise LookupError("boom")
    async with backend.unit() as unit:
        assert await unit.outbox.get("k") is None
        assert await unit.outbox.enqueue(post(acme, "k"))
