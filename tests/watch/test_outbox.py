"""Exactly once: every post goes out once, late rather than twice, never lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from conversations.channels import render_channels
from conversations.delivery import DeliveryError
from conversations.messages import Say
from conversations.outbox import Outbox
from conversations.service import Service
from conversations.watch import Watch
from storage.database import make_engine, resolve_url
from storage.models import Delivery, DeliveryStatus
from storage.repository import Store
from tests.support.conversation import Clock, Person
from tests.support.watching import Crash, FakeMessenger, Sleeps, outage, rate_limited

pytestmark = pytest.mark.storage

SUNDAY = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# The nudge, and its details in a thread under it (the new POC has no manager yet).
NUDGE = ["nudge:1:2026-W45", "nudge:1:2026-W45:detail"]


async def subscribed(store: Store, clock: Clock, channels: int = 1) -> None:
    lea = Person(Service(store, clock=clock), "lea")
    await lea.says("hello")
    await lea.runs("new Invoice agent", channel="C0")
    for n in range(channels):
        await lea.runs("subscribe weekly monday 09:00 UTC", channel=f"C{n}")


def watch_over(
    store: Store, clock: Clock, fake: FakeMessenger, sleeps: Sleeps | None = None
) -> Watch:
    outbox = Outbox(
        store, {"test": fake}, clock=clock, sleep=sleeps or Sleeps(), jitter=lambda: 0.5
    )
    service = Service(store, clock=clock)
    return Watch(store, outbox, clock=clock, bank=service.bank)


async def deliveries(store: Store) -> list[Delivery]:
    async with store.unit() as repo:
        result = await repo.session.execute(select(Delivery).order_by(Delivery.id))  # type: ignore[arg-type]
        return list(result.scalars().all())


@pytest.fixture
async def clock(store: Store) -> AsyncIterator[Clock]:
    clock = Clock(SUNDAY)
    await subscribed(store, clock)
    clock.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    yield clock


async def test_rate_limits_then_success_post_once_honouring_retry_after(
    store: Store, clock: Clock
) -> None:
    fake = FakeMessenger()
    fake.failures.extend([rate_limited(3), rate_limited(2)])
    sleeps = Sleeps()
    report = await watch_over(store, clock, fake, sleeps).tick()
    assert fake.posted_keys() == NUDGE
    assert sleeps.asked == [3, 2]
    assert report.drain.retries == 2 and report.drain.sent == 2
    assert fake.posts[1].destination.thread == fake.posts[0].ref


async def test_an_outage_longer_than_a_pass_is_retried_later_and_sent_once(
    store: Store, clock: Clock
) -> None:
    fake = FakeMessenger()
    fake.failures.extend([outage()] * 6)
    watch = watch_over(store, clock, fake)
    first = await watch.tick()
    assert first.drain.rescheduled == 1 and fake.posts == []
    row, detail = await deliveries(store)
    assert row.status == DeliveryStatus.PENDING and row.due_at > clock.now
    assert row.last_error == "internal_error"
    assert detail.status == DeliveryStatus.PENDING and detail.attempts == 0  # waits for its thread
    await watch.tick()  # not due yet: nothing is tried
    assert fake.attempts == 4
    clock.advance(minutes=10)
    await watch.tick()
    assert fake.posted_keys() == NUDGE
    await watch.tick()
    assert len(fake.posts) == 2


async def test_a_long_retry_after_is_waited_for_in_a_later_pass(store: Store, clock: Clock) -> None:
    fake = FakeMessenger()
    fake.failures.append(rate_limited(600))
    watch = watch_over(store, clock, fake)
    await watch.tick()
    row, _ = await deliveries(store)
    assert (row.due_at - clock.now).total_seconds() >= 600
    clock.advance(seconds=599)
    await watch.tick()
    assert fake.posts == []
    clock.advance(seconds=2)
    await watch.tick()
    assert fake.posted_keys() == NUDGE


async def test_a_crash_between_sending_and_recording_does_not_post_twice(
    store: Store, clock: Clock
) -> None:
    fake = FakeMessenger(crash_after_posting={"nudge:1:2026-W45"})
    with pytest.raises(Crash):
        await watch_over(store, clock, fake).tick()
    row, _ = await deliveries(store)
    assert row.status == DeliveryStatus.SENDING
    restarted = watch_over(store, clock, fake)
    await restarted.tick()  # the lease still holds: hands off
    assert len(fake.posts) == 1
    clock.advance(minutes=6)
    report = await restarted.tick()
    assert report.drain.recovered == 1
    assert fake.posted_keys() == NUDGE
    row, _ = await deliveries(store)
    assert row.status == DeliveryStatus.SENT and row.platform_ref == "msg-1"


async def test_a_crash_before_the_post_left_sends_it_after_the_lease(
    store: Store, clock: Clock
) -> None:
    fake = FakeMessenger()
    fake.failures.append(Crash("before the request left"))
    with pytest.raises(Crash):
        await watch_over(store, clock, fake).tick()
    clock.advance(minutes=6)
    await watch_over(store, clock, fake).tick()
    assert fake.posted_keys() == NUDGE


async def test_when_the_platform_cannot_tell_the_post_is_not_sent_twice(
    store: Store, clock: Clock
) -> None:
    fake = FakeMessenger(crash_after_posting={"nudge:1:2026-W45"}, can_find=False)
    with pytest.raises(Crash):
        await watch_over(store, clock, fake).tick()
    clock.advance(minutes=6)
    report = await watch_over(store, clock, fake).tick()
    assert report.drain.unconfirmed == 1 and fake.posted_keys() == NUDGE[:1]
    row, detail = await deliveries(store)
    assert row.status == DeliveryStatus.UNCONFIRMED
    # Where its thread is can't be known: the detail fails, it does not wait forever.
    assert detail.status == DeliveryStatus.FAILED and "unconfirmed" in (detail.last_error or "")


async def test_a_refused_post_is_not_retried(store: Store, clock: Clock) -> None:
    fake = FakeMessenger()
    fake.failures.append(DeliveryError("channel_not_found", retryable=False))
    watch = watch_over(store, clock, fake)
    await watch.tick()
    clock.advance(hours=2)
    await watch.tick()
    row, detail, *_ = await deliveries(store)
    assert row.status == DeliveryStatus.FAILED
    assert detail.status == DeliveryStatus.FAILED, "no thread to go in"
    assert fake.posted_keys() == ["failed:nudge:1:2026-W45"], "only the notice went out"


async def test_a_post_that_fails_for_good_is_told_to_the_lead_and_logged(
    store: Store, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeMessenger()
    fake.failures.append(DeliveryError("not_in_channel", retryable=False))
    with caplog.at_level("WARNING", logger="postpoc.outbox"):
        await watch_over(store, clock, fake).tick()

    [notice] = fake.posts
    assert notice.destination.person == "lea", "the lead who subscribed the channel"
    told = notice.replies[0]
    assert isinstance(told, Say)
    shown = render_channels(told.text)
    assert "could not post the weekly health nudge in channel C0: not_in_channel" in shown
    assert "/invite @postpoc" in told.text
    failed = [r for r in caplog.records if r.levelname == "WARNING"]
    nudge = next(d for d in await deliveries(store) if d.kind == "nudge")
    assert any(f"outbox id {nudge.id}" in r.getMessage() for r in failed)

    # Told once: the notice is not repeated at the next pass.
    clock.advance(hours=2)
    await watch_over(store, clock, fake).tick()
    assert len(fake.posts) == 1


async def test_a_decision_post_that_fails_for_good_is_told_to_the_lead_who_decided(
    store: Store, clock: Clock
) -> None:
    lea = Person(Service(store, clock=clock), "lea")
    await lea.runs("new Pricing agent", channel="C9")
    fake = FakeMessenger()
    fake.failures.append(DeliveryError("not_in_channel", retryable=False))
    await lea.runs("decide pricing-agent stop No value measured", channel="C1")
    outbox = Outbox(store, {"test": fake}, clock=clock, sleep=Sleeps(), jitter=lambda: 0.5)
    await outbox.drain()
    await outbox.drain()

    notices = [p for p in fake.posts if p.key and p.key.startswith("failed:decision:")]
    [notice] = notices
    assert notice.destination.person == "lea"
    told = notice.replies[0]
    assert isinstance(told, Say)
    assert "could not post the decision in channel C9" in render_channels(told.text)


async def test_nothing_is_posted_to_a_workspace_that_removed_the_bot(
    store: Store, clock: Clock
) -> None:
    service = Service(store, clock=clock)
    await service.platform.deactivate("test:acme", "app_uninstalled")
    fake = FakeMessenger()
    await watch_over(store, clock, fake).tick()
    assert fake.posts == []


async def test_two_schedulers_racing_post_once_per_channel(database_url: str) -> None:
    url = resolve_url(database_url)
    from storage.migrate import upgrade

    upgrade(url)
    stores = [Store(make_engine(url)) for _ in range(2)]
    try:
        clock = Clock(SUNDAY)
        await subscribed(stores[0], clock, channels=5)
        clock.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        fake = FakeMessenger()
        watches = [watch_over(store, clock, fake) for store in stores]
        for _ in range(3):
            await asyncio.gather(*(w.tick() for w in watches))
        nudges = sorted(k for k in fake.posted_keys() if k and k.startswith("nudge:"))
        expected = {f"nudge:{n}:2026-W45{part}" for n in range(1, 6) for part in ("", ":detail")}
        assert nudges == sorted(expected)
        rows = [r for r in await deliveries(stores[0]) if r.kind == "nudge"]
        assert len(rows) == 5 and all(r.status == DeliveryStatus.SENT for r in rows)
    finally:
        for store in stores:
            await store.dispose()
