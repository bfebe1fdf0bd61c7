"""What people do to their messages in the DM: attach a file to an answer,
edit a message they answered with. Slack sends those as message subtypes
(``file_share``, ``message_changed``); none may vanish without a word."""

from __future__ import annotations

import time
from typing import Any

from tests.slack.harness import Message, Person, Slack
from tests.support.scripts import READY


async def typed_question(slack: Slack) -> tuple[Person, Message]:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    return lea, await lea.answers_until(typed=True, script=READY)


def dm_event(lea: Person, text: str, ts: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": lea.dm,
        "channel_type": "im",
        "user": lea.user_id,
        "text": text,
        "ts": ts,
        **extra,
    }


def edit_event(lea: Person, ts: str, old: str, new: str) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": lea.dm,
        "channel_type": "im",
        "hidden": True,
        "ts": f"{time.time():.6f}",
        "message": {"type": "message", "user": lea.user_id, "text": new, "ts": ts},
        "previous_message": {"type": "message", "user": lea.user_id, "text": old, "ts": ts},
    }


async def test_an_answer_sent_with_a_file_is_taken_with_the_file_noted(slack: Slack) -> None:
    lea, question = await typed_question(slack)
    files = [{"id": "F1", "name": "scope.pdf", "title": "scope.pdf"}]
    reply = await slack.event(
        dm_event(lea, "Accounts payable", f"{time.time():.6f}", subtype="file_share", files=files)
    )

    assert reply.status == 200
    settled = slack.message(question.channel, question.ts)
    assert not settled.is_open, "the question stays open: the answer was dropped"
    assert "Accounts payable" in settled.words()
    assert "file attached: scope.pdf" in settled.words()
    assert lea.question().key != question.key


async def test_a_file_alone_answers_with_its_name(slack: Slack) -> None:
    lea, question = await typed_question(slack)
    files = [{"id": "F1", "name": "process.png"}]
    await slack.event(dm_event(lea, "", f"{time.time():.6f}", subtype="file_share", files=files))

    assert "file attached: process.png" in slack.message(question.channel, question.ts).words()


async def test_editing_the_last_answer_offers_its_edit_button(slack: Slack) -> None:
    lea, question = await typed_question(slack)
    ts = f"{time.time():.6f}"
    await slack.event(dm_event(lea, "Accounts payable", ts))
    next_question = lea.question()

    reply = await slack.event(edit_event(lea, ts, "Accounts payable", "Accounts receivable"))

    assert reply.status == 200
    told = lea.last()
    assert "does not change the answer" in told.words()
    assert "Accounts payable" in told.words(), "the stored answer is named"
    assert [b["value"] for b in told.buttons] == [f"edit invoice-agent {question.key}"]
    assert lea.question().ts == next_question.ts, "the interview did not move"


async def test_editing_an_older_message_says_how_to_change_an_answer(slack: Slack) -> None:
    lea, _ = await typed_question(slack)
    first_ts = f"{time.time():.6f}"
    await slack.event(dm_event(lea, "Accounts payable", first_ts))
    second = await lea.answers_until(typed=True, script=READY)
    await slack.event(dm_event(lea, READY[second.key], f"{time.time() + 1:.6f}"))

    await slack.event(edit_event(lea, first_ts, "Accounts payable", "Accounts receivable"))

    told = lea.last()
    assert "/poc edit &lt;poc&gt;" in told.words()
    assert not told.buttons


async def test_an_unfurl_or_a_bot_edit_is_not_taken_for_a_person_edit(slack: Slack) -> None:
    lea, _ = await typed_question(slack)
    ts = f"{time.time():.6f}"
    await slack.event(dm_event(lea, "Accounts payable", ts))
    before = len(lea.messages())

    await slack.event(edit_event(lea, ts, "Accounts payable", "Accounts payable"))
    bot_edit = edit_event(lea, ts, "a", "b")
    bot_edit["message"] = {**bot_edit["message"], "bot_id": "B1"}
    await slack.event(bot_edit)

    assert len(lea.messages()) == before
