"""The weekly watch and sections handed to someone else (issue 13): the holder is
reminded once, and the channel nudge names the sections still waiting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conversations.health import WatchSettings
from conversations.messages import Ask
from conversations.outbox import Outbox
from conversations.service import Service
from conversations.watch import Watch
from storage.repository import Store
from tests.support.conversation import Clock, Person, text
from tests.support.scripts import READY, current_key
from tests.support.watching import FakeMessenger, Sleeps

pytestmark = pytest.mark.storage

MONDAY_7_UTC = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # 08:00 in Paris


async def test_a_holder_is_reminded_once_and_the_nudge_names_the_waiting_section(
    store: Store,
) -> None:
    clock = Clock(MONDAY_7_UTC)
    service = Service(store, clock=clock)
    messenger = FakeMessenger()
    outbox = Outbox(store, {"test": messenger}, clock=clock, sleep=Sleeps())
    watch = Watch(store, outbox, clock=clock, bank=service.bank, settings=WatchSettings())
    lea, nadia = Person(service, "lea"), Person(service, "nadia")
    for person in (lea, nadia):
        await person.says("hello")
    await lea.runs("new Invoice agent", channel="C-team")
    replies = await lea.says("/poc interview invoice-agent")
    while not current_key(replies).startswith("run_"):
        replies = await lea.says(READY[current_key(replies)])
    await lea.says("/poc ask invoice-agent integration @nadia")
    await lea.runs("subscribe weekly wednesday 09:00 Europe/Paris", channel="C-team")

    await watch.tick()  # the hand-over goes out at once
    [invitation] = messenger.to_person("nadia")
    assert "Lea asked you to answer Integration and run" in invitation.text

    for _ in range(3 * 4):  # to Thursday: two days after the hand-over, past 10:00
        clock.advance(hours=6)
        await watch.tick()
    reminders = [p for p in messenger.to_person("nadia") if "A reminder" in p.text]
    [reminder] = reminders
    assert "Integration and run of invoice-agent is waiting for your answers" in reminder.text
    assert any(isinstance(r, Ask) for r in reminder.replies)
    nudges = messenger.to_channel("C-team")
    assert nudges, "Wednesday's nudge was posted"
    assert "Integration and run: waiting for Nadia since" in nudges[0].text, nudges[0].text

    for _ in range(7 * 4):  # a week more: no second reminder
        clock.advance(hours=6)
        await watch.tick()
    assert [p for p in messenger.to_person("nadia") if "A reminder" in p.text] == reminders
    assert "your answers" not in text(await nadia.says("hello"))
