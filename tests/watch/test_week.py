"""A full week of keeping watch, hour by hour, with an injected clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from conversations.health import WatchSettings
from conversations.messages import Card
from conversations.outbox import Outbox
from conversations.service import Service
from conversations.watch import Watch
from storage.repository import Store
from tests.support.conversation import Clock, Person, text
from tests.support.scripts import answer_until_done
from tests.support.watching import FakeMessenger, Sleeps

pytestmark = pytest.mark.storage

MONDAY_7_UTC = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # 08:00 in Paris


@dataclass
class World:
    service: Service
    clock: Clock
    messenger: FakeMessenger
    watch: Watch
    lea: Person
    omar: Person
    sam: Person

    async def hours(self, count: int) -> None:
        for _ in range(count):
            self.clock.advance(hours=1)
            await self.watch.tick()


@pytest.fixture
async def world(store: Store) -> AsyncIterator[World]:
    clock = Clock(MONDAY_7_UTC)
    service = Service(store, clock=clock)
    messenger = FakeMessenger()
    outbox = Outbox(store, {"test": messenger}, clock=clock, sleep=Sleeps())
    watch = Watch(store, outbox, clock=clock, bank=service.bank, settings=WatchSettings())
    lea, omar, sam = (Person(service, name) for name in ("lea", "omar", "sam"))
    for person in (lea, omar, sam):
        await person.says("hello")
    for title, owner in (("Invoice agent", "omar"), ("Support triage", "sam")):
        handle = title.lower().replace(" ", "-")
        await lea.runs(f"new {title}", channel="C-team")
        await answer_until_done(lea, await lea.says(f"/poc interview {handle}"))
        await lea.runs(f"owner {handle} @{owner}", channel="C-team")
        await lea.runs(f"decide {handle} industrialise Meets every gate", channel="C-team")
    await lea.runs("subscribe weekly monday 09:00 Europe/Paris", channel="C-team")
    yield World(service, clock, messenger, watch, lea, omar, sam)


async def test_a_week_of_nudges_check_ins_and_reminders(world: World) -> None:
    fake = world.messenger
    await world.hours(1)  # 09:00 in Paris: the nudge, all green, no thread needed
    [first] = fake.to_channel("C-team")
    assert first.key == "nudge:1:2026-W45" and isinstance(first.replies[0], Card)
    assert "Weekly health of 2 AI agents" in first.text
    assert "Every agent is green this week." in first.text

    await world.hours(1)  # 10:00 in Paris: each owner's check-in, in their DM
    [omar_checkin] = fake.to_person("omar")
    [sam_checkin] = fake.to_person("sam")
    assert "Weekly check-in for Invoice agent" in omar_checkin.text
    assert "what was handling time per invoice this week" in omar_checkin.text

    replies = await world.omar.says("13")
    replies = await world.omar.says("0")
    replies = await world.omar.says("Nothing")
    replies = await world.omar.says("skip")
    assert "this week's check-in for invoice-agent is recorded" in text(replies)

    await world.hours(48)  # Wednesday 10:00: one reminder, to the silent owner only
    assert [p.key for p in fake.to_person("sam")] == [sam_checkin.key, "checkin-reminder:2"]
    assert "A reminder" in fake.to_person("sam")[-1].text
    assert len(fake.to_person("omar")) == 1

    await world.hours(5 * 24 - 1)  # the next Monday 09:00 in Paris
    nudges = [p for p in fake.to_channel("C-team") if p.destination.thread is None]
    assert [p.key for p in nudges] == ["nudge:1:2026-W45", "nudge:1:2026-W46"]
    [detail] = [p for p in fake.to_channel("C-team") if p.destination.thread is not None]
    assert detail.destination.thread == nudges[-1].ref and detail.key == "nudge:1:2026-W46:detail"
    latest = nudges[-1].text
    assert "🟠 1 amber" in latest and "🟢 1 green" in latest
    assert "Support triage (support-triage)" in latest
    assert "the latest check-in is unanswered, even after a reminder (new)" in latest
    assert "Invoice agent (invoice-agent)" not in latest
    reminders = [p for p in fake.posts if p.key and p.key.startswith("checkin-reminder")]
    assert len(reminders) == 1


async def test_the_nudge_marks_what_is_new_unchanged_and_resolved(world: World) -> None:
    fake = world.messenger
    world.clock.advance(hours=1)
    await world.watch.tick()
    await world.hours(24 * 7)  # the second week: sam never answers
    await world.sam.says("/poc away until 2026-11-30")
    await world.hours(24 * 7)  # the third week: sam is away
    nudges = [p.text for p in fake.to_channel("C-team") if p.destination.thread is None]
    assert len(nudges) == 3
    unanswered = "the latest check-in is unanswered, even after a reminder"
    assert f"Support triage (support-triage) --\n{unanswered} (new)" in nudges[1]
    assert f"Invoice agent (invoice-agent) --\n{unanswered} (unchanged)" in nudges[2]
    assert f"support-triage: no longer “{unanswered}”" in nudges[2]
    assert "Sam is away until Nov 30, 2026 (support-triage)" in nudges[2]
    assert len(fake.to_person("sam")) == 2  # the first week's check-in and its reminder only


async def test_nobody_is_checked_in_while_away(world: World) -> None:
    await world.omar.says("/poc away until 2026-11-20")
    await world.hours(3)
    assert world.messenger.to_person("omar") == []
    assert len(world.messenger.to_person("sam")) == 1


async def test_a_decision_is_posted_once_to_the_pocs_home_channel(world: World) -> None:
    await world.lea.runs(
        "decide invoice-agent frame Needs a rehearsed kill switch", channel="C-elsewhere"
    )
    await world.watch.tick()
    await world.watch.tick()
    decisions = [
        p for p in world.messenger.to_channel("C-team") if p.key and p.key.startswith("decision:")
    ]
    assert len(decisions) == 1
    assert "Decision on Invoice agent (invoice-agent): Frame" in decisions[0].text
