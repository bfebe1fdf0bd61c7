"""Teams messages on the inbox: the request is answered once the message is
kept, before its step runs; one person's messages in flight are handled in
the order they came; a turn cut by a crash is finished on redelivery, on the
person's next message or by the next process's sweep (they see the question
they are at without typing ``interview``), and never applied twice; a step
that fails, or replies the Bot Connector refuses for a while, are handled
after the response."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.teams import inbound
from bot.teams.app import MESSAGE, PLATFORM, lane_of
from bot.teams.texts import SORRY
from storage.inbox import Arrival, Inbox
from storage.repository import Store
from tests.support.scripts import READY
from tests.teams.client import Posted, TeamsPerson, press_for, question_key, questions, texts
from tests.teams.conftest import Served, serve
from tests.teams.fakes import Call, FakeBotFramework
from tests.teams.test_interview import started


async def count(served: Served, sql: str, **params: Any) -> int:
    async with served.service.store.engine.connect() as connection:
        return int((await connection.execute(sa.text(sql), params)).scalar_one())


async def answers_to(served: Served, key: str) -> int:
    return await count(served, "SELECT count(*) FROM answer WHERE question_key = :key", key=key)


async def pending_rows(served: Served) -> int:
    return await count(served, "SELECT count(*) FROM inboxentry WHERE status = 'pending'")


def sent_messages(calls: list[Call]) -> list[Call]:
    """What a person sees arrive: new messages, typing and card updates left out."""
    return Posted(0, calls).sent


async def answered_at_once(served: Served, activity: dict[str, Any]) -> int:
    """Post ``activity`` without waiting for the bot's work after the response;
    its status. Fails (rather than hangs) if the response waits for a held reply."""
    settle, served.client.settle = served.client.settle, None
    try:
        posted = await asyncio.wait_for(served.client.post(activity), 10)
    finally:
        served.client.settle = settle
    return posted.status


async def until(fake: FakeBotFramework, ready: Callable[[FakeBotFramework], bool]) -> None:
    assert await asyncio.to_thread(fake.wait_until, ready), "the bot never got there"


async def settled(served: Served) -> None:
    assert await served.teams.settled(15.0), "the bot was still working after 15 s"


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
        # the step as the worker ran it: its transaction marks the row applied
        event = inbound.to_inbound(activity, workspace)
        assert event is not None
        assert not (await served.service.handle(replace(event, inbox_entry=kept))).duplicate
        await rows.renew(kept, long_ago + timedelta(seconds=15))  # its worker died replying


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


async def test_a_message_is_answered_before_its_step_which_runs_after(served: Served) -> None:
    """The Bot Connector holds every reply: the request has its 201 all the
    same, with the message kept and its step not yet applied."""
    alice, interview = await started(served.client)
    key, answer = await answer_activity(alice, interview.sent)
    fake = served.client.fake
    mark = fake.mark()
    fake.hold()

    assert await answered_at_once(served, answer) == 201

    await until(fake, lambda f: f.waiting > 0)  # the step is at its first call (typing)
    assert await answers_to(served, key) == 0
    assert await pending_rows(served) == 1
    fake.release()
    await settled(served)
    assert await answers_to(served, key) == 1
    assert await pending_rows(served) == 0
    shown = questions(sent_messages(fake.since(mark)))
    assert [k for k, _ in shown] != [] and shown[0][0] != key, "the next question, once"
    assert len(shown) == 1


async def test_one_persons_messages_in_flight_are_handled_in_the_order_they_came(
    served: Served,
) -> None:
    """Alice sends her answer, ``help`` and ``hello`` while her replies are
    held: each is answered at once, and the steps run one after the other, in
    that order; Bob, meanwhile, is not held behind her."""
    alice, interview = await started(served.client)
    bob = served.client.person("bob")
    await bob.says("hello")
    key, _ = questions(interview.sent)[-1]
    fake = served.client.fake
    mark = fake.mark()
    fake.hold(alice.personal_conversation)

    typed = alice.personal(text=READY[key], textFormat="plain")
    for activity in (typed, alice.personal(text="help"), alice.personal(text="hello")):
        assert await answered_at_once(served, activity) == 201
    assert await answered_at_once(served, bob.personal(text="help")) == 201
    bobs = bob.personal_conversation
    await until(fake, lambda f: any(c.conversation == bobs for c in sent_messages(f.since(mark))))
    hers = "SELECT count(*) FROM inboxentry WHERE status = 'pending' AND lane = :lane"
    lane = lane_of("teams:contoso", alice.id)
    assert await count(served, hers, lane=lane) == 3, "Alice's three, all kept, none handled"

    fake.release()
    await settled(served)
    seen = [
        "question" if question_key(c) not in (None, key) else texts(c)
        for c in sent_messages(fake.since(mark))
        if c.conversation == alice.personal_conversation
    ]
    # Her answer's step first (the next question), then "help" (why that next
    # question is asked: so it ran after the answer), then the greeting.
    helped = next(i for i, text in enumerate(seen) if text.startswith("Why we ask"))
    greeting = next(i for i, text in enumerate(seen) if text.startswith("Hello Alice!"))
    assert seen[0] == "question" and 0 < helped < greeting, seen
    assert await answers_to(served, key) == 1
    assert await pending_rows(served) == 0


def gone_after_each_commit(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the process commits each message's row, answers, and is
    gone before any step runs."""
    monkeypatch.setattr(served.teams.lanes, "kick", lambda lane: None)


async def test_a_message_kept_by_a_process_that_died_is_finished_by_the_next_one_once(
    sqlite_store: Store,
    fake: FakeBotFramework,
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = serve(sqlite_store, fake, sleeps)
    served = await first.__anext__()
    alice, interview = await started(served.client)
    key, answer = await answer_activity(alice, interview.sent)
    gone_after_each_commit(served, monkeypatch)

    assert (await served.client.post(answer)).status == 201
    assert await answers_to(served, key) == 0
    assert await pending_rows(served) == 1
    await first.aclose()
    monkeypatch.undo()

    mark = fake.mark()
    second = serve(sqlite_store, fake, sleeps)  # the next process: its start finishes the row
    served = await second.__anext__()
    try:
        await settled(served)
        assert await answers_to(served, key) == 1
        assert await pending_rows(served) == 0
        shown = questions(sent_messages(fake.since(mark)))
        assert len(shown) == 1 and shown[0][0] != key, "the next question, once"

        # Teams delivers the same activity again: nothing changes, nothing is said.
        again = await served.client.post(answer)
        assert again.status == 201 and again.calls == []
        assert await answers_to(served, key) == 1
    finally:
        await second.aclose()


async def test_a_message_kept_before_a_cut_is_finished_on_its_redelivery(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, interview = await started(served.client)
    key, answer = await answer_activity(alice, interview.sent)
    gone_after_each_commit(served, monkeypatch)
    assert (await served.client.post(answer)).status == 201
    monkeypatch.undo()

    redelivered = await served.client.post(answer)

    assert redelivered.status == 201
    shown = questions(redelivered.sent)
    assert len(shown) == 1 and shown[0][0] != key, redelivered.text()
    assert await answers_to(served, key) == 1
    assert await pending_rows(served) == 0


async def test_a_step_that_fails_is_apologised_for_and_does_not_hold_the_next_message(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = served.client.person("alice")
    await alice.says("hello")
    real = served.teams.bot.message
    failures = iter([RuntimeError("a bug in the adapter")])

    async def failing_once(*args: Any, **kwargs: Any) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        await real(*args, **kwargs)

    monkeypatch.setattr(served.teams.bot, "message", failing_once)

    failed = await alice.says("help")

    assert failed.status == 201
    assert failed.text() == SORRY
    assert await pending_rows(served) == 0, "the row is done: not tried again and again"
    assert "Hello Alice" in (await alice.says("hello")).text()


async def test_the_request_is_answered_before_a_retried_reply_which_arrives_once(
    served: Served,
) -> None:
    """The Bot Connector answers 503 and then 200: the inbound POST gets its
    201 before the reply is even tried; the reply is retried after its
    back-off and comes once."""
    alice = served.client.person("alice")
    await alice.says("hello")
    connector = served.teams.connector
    backing_off = asyncio.Event()
    back_off_over = asyncio.Event()

    async def sleep(seconds: float) -> None:
        backing_off.set()
        await back_off_over.wait()

    connector.retry = replace(connector.retry, sleep=sleep)
    served.client.fake.fail(503, times=1, kinds=("reply",))
    mark = served.client.fake.mark()

    assert await answered_at_once(served, alice.personal(text="help")) == 201

    await asyncio.wait_for(backing_off.wait(), 10)
    back_off_over.set()
    await settled(served)
    sent = sent_messages(served.client.fake.since(mark))
    assert [c.answered for c in sent] == [503, 200], "sent again once, after the response"
    assert texts(sent[1]) == texts(sent[0]) and "help" in texts(sent[1]).lower()


async def test_a_reply_the_connector_fails_is_sent_later_without_the_answer_applied_twice(
    served: Served,
) -> None:
    """A 500 is not retried within the call: the row stays pending, and a
    sweep once its retry time has come runs it again; the answer is stored
    once and Alice is shown the question she is at."""
    alice, interview = await started(served.client)
    key, answer = await answer_activity(alice, interview.sent)
    fake = served.client.fake
    fake.fail(500, times=1, kinds=("reply",))
    mark = fake.mark()

    assert (await served.client.post(answer)).status == 201

    assert [c.answered for c in sent_messages(fake.since(mark))] == [500]
    assert await answers_to(served, key) == 1
    assert await pending_rows(served) == 1
    later = datetime.now(UTC) + timedelta(minutes=1)
    served.teams.inbox.clock = lambda: later
    await served.teams.sweep()
    await settled(served)
    shown = questions([c for c in sent_messages(fake.since(mark)) if c.answered == 200])
    assert len(shown) == 1 and shown[0][0] != key, "the question she is at, once"
    assert await answers_to(served, key) == 1
    assert await pending_rows(served) == 0


async def test_a_reply_the_connector_fails_does_not_hold_her_next_message(
    served: Served,
) -> None:
    """The answer is stored in its step, then its reply fails: Alice's next
    message, sent before the row's retry time, is answered at once (the row
    waits only for its replies, not ahead of her)."""
    alice, interview = await started(served.client)
    key, answer = await answer_activity(alice, interview.sent)
    fake = served.client.fake
    fake.fail(500, times=1, kinds=("reply",))
    assert (await served.client.post(answer)).status == 201
    await settled(served)
    mark = fake.mark()

    assert (await served.client.post(alice.personal(text="hello"))).status == 201

    await settled(served)
    shown = questions([c for c in sent_messages(fake.since(mark)) if c.answered == 200])
    assert shown and shown[-1][0] != key, "the question she is at, now"
    assert await answers_to(served, key) == 1


async def test_an_invoke_is_answered_in_its_own_response_and_not_kept(served: Served) -> None:
    """An Action.Execute needs its result in the HTTP response: it is not
    kept in the inbox to be handled later."""
    alice = served.client.person("alice")
    await alice.says("hello")
    execute = alice.personal(
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "x", "data": {}}},
    )

    posted = await served.client.post(execute)

    assert posted.status != 201, "an invoke response, not a plain acknowledgement"
    kept = "SELECT count(*) FROM inboxentry WHERE delivery_id = :id"
    assert await count(served, kept, id=execute["id"]) == 0
