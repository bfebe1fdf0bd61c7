"""Teams messages on the inbox: a turn cut by a crash is finished on
redelivery or on the person's next message (they see the question they are
at without typing ``interview``), and the inbound request is answered
without waiting for a reply being retried, which then arrives once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.teams import inbound
from bot.teams.app import MESSAGE, PLATFORM, lane_of
from bot.teams.messenger import TeamsMessenger
from storage.inbox import Arrival, Inbox
from tests.support.scripts import READY
from tests.teams.client import TeamsPerson, press_for, questions, texts
from tests.teams.conftest import Served
from tests.teams.test_interview import started


async def answers_to(served: Served, key: str) -> int:
    async with served.service.store.engine.connect() as connection:
        found = await connection.execute(
            sa.text("SELECT count(*) FROM answer WHERE question_key = :key"), {"key": key}
        )
        return int(found.scalar_one())


async def answer_activity(person: TeamsPerson, posted_cards: Any) -> tuple[str, dict[str, Any]]:
    """The person's answer to the last question shown: pressed, or typed."""
    key, card = questions(posted_cards)[-1]
    data = press_for(card, READY[key])
    if data is not None:
        return key, person.personal(replyToId=card.posted_id, value=data)
    return key, person.personal(text=READY[key], textFormat="plain")


async def cut_by_a_crash(served: Served, activity: dict[str, Any], *, stepped: bool) -> None:
    """What a process that died in the middle of ``activity``'s turn leaves: its
    inbox row, claimed under a lease that has run out since, and (``stepped``)
    the answer already stored, its replies never sent."""
    workspace = inbound.workspace_of(activity, emulator=False)
    assert workspace is not None
    rows = Inbox(served.service.store)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    lane = lane_of(workspace, inbound.person_of(activity))
    arrival = Arrival(PLATFORM, workspace, activity["id"], lane, MESSAGE, {"activity": activity})
    kept = await rows.put(arrival, long_ago)
    assert kept is not None
    assert await rows.claim(kept, long_ago, long_ago + timedelta(seconds=15))
    if stepped:
        event = inbound.to_inbound(activity, workspace)
        assert event is not None
        assert not (await served.service.handle(event)).duplicate


async def test_a_turn_cut_after_its_step_is_finished_on_redelivery(served: Served) -> None:
    alice, interview = await started(served.client)
    key, answer = await answer_activity(alice, interview.sent)
    await cut_by_a_crash(served, answer, stepped=True)

    redelivered = await served.client.post(answer)

    assert redelivered.status == 201
    shown = questions(redelivered.sent)
    assert shown and shown[-1][0] != key, redelivered.text()  # the question she is at
    assert await answers_to(served, key) == 1
    again = await served.client.post(answer)  # once more: nothing changes, nothing is said
    assert again.sent == [] and await answers_to(served, key) == 1


async def test_a_turn_cut_after_its_step_is_finished_on_the_next_message(served: Served) -> None:
    alice, interview = await started(served.client)
    key, answer = await answer_activity(alice, interview.sent)
    await cut_by_a_crash(served, answer, stepped=True)

    hello = await alice.says("hello")

    shown = questions(hello.sent)
    assert shown and shown[0][0] != key, hello.text()  # shown before the greeting
    assert "Hello Alice" in hello.text()
    assert await answers_to(served, key) == 1


async def test_a_turn_cut_before_its_step_applies_it_once_on_the_next_message(
    served: Served,
) -> None:
    alice, interview = await started(served.client)
    key, answer = await answer_activity(alice, interview.sent)
    await cut_by_a_crash(served, answer, stepped=False)
    assert await answers_to(served, key) == 0

    hello = await alice.says("hello")

    assert await answers_to(served, key) == 1
    shown = questions(hello.sent)
    assert shown and shown[0][0] != key, hello.text()


async def test_the_request_is_answered_before_a_retried_reply_which_arrives_once(
    served: Served,
) -> None:
    """The Bot Connector answers 503 and then 200: the inbound POST gets its
    201 while the retry still waits for its back-off; the reply comes once."""
    alice = served.client.person("alice")
    await alice.says("hello")
    assert isinstance(served.messenger, TeamsMessenger)
    connector = served.messenger.connector
    backing_off = asyncio.Event()
    back_off_over = asyncio.Event()

    async def sleep(seconds: float) -> None:
        backing_off.set()
        await back_off_over.wait()

    connector.retry = replace(connector.retry, sleep=sleep)
    served.client.fake.fail(503, times=1, kinds=("reply",))
    settle, served.client.settle = served.client.settle, None
    mark = served.client.fake.mark()

    posted = await alice.says("help")

    assert posted.status == 201
    assert backing_off.is_set(), "answered while the reply waits to be retried"
    assert [c.answered for c in posted.sent] == [503]
    back_off_over.set()
    assert settle is not None and await settle(15.0)
    sent = [c for c in served.client.fake.since(mark) if c.body.get("type") != "typing"]
    assert [c.answered for c in sent] == [503, 200], "sent again once, after the response"
    assert texts(sent[1]) == texts(sent[0]) and "help" in texts(sent[1]).lower()
