"""Less noise in the DM: long answers cut, tampered buttons refused, one
recommendation message, and a question answered just before a restart shown
with its answer. (One message per question with its errors, and Skip, Back and
Pause as buttons: tests/scenarios/test_less_noise.py, on Slack and Teams.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conversations.bank import load_bank
from tests.slack.conftest import StartBot
from tests.slack.harness import Message, Person, Slack
from tests.support.scripts import READY

PEOPLE = {"Claire Martin": "U0CLAIRE", "Omar Haddad": "U0OMAR"}


async def interviewed(slack: Slack) -> Person:
    lea = slack.person("U0LEA", "Léa Martin")
    for name, user_id in PEOPLE.items():
        slack.person(user_id, name)
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    return lea


def now(slack: Slack, message: Message) -> Message:
    return slack.message(message.channel, message.ts)


def recommendations(lea: Person) -> list[Message]:
    return [m for m in lea.messages() if "Recommendation for invoice-agent" in m.words()]


async def test_a_long_answer_is_shown_cut_and_kept_whole(slack: Slack) -> None:
    lea = await interviewed(slack)
    await lea.runs("/poc depth invoice-agent full")  # free-text questions come early
    bank = load_bank()
    question = await lea.answers_until(True, READY)
    while (
        bank.question(question.key).type != "text" or bank.question(question.key).max_length < 3000
    ):
        await lea.says(READY[question.key])
        question = await lea.answers_until(True, READY)
    long_answer = " ".join(f"word{n}" for n in range(180))  # about 1,200 characters

    await lea.says(long_answer)

    shown = now(slack, question).words()
    assert "…" in shown and "word30 " in shown and "word150" not in shown
    assert len(shown) < 900
    history = str(lea.replies(await lea.runs(f"/poc history invoice-agent {question.key}")))
    assert "word179" in history, "history shows the whole answer"


async def test_buttons_that_were_tampered_with_do_nothing(slack: Slack) -> None:
    lea = await interviewed(slack)
    first = lea.question()
    block, element = next(
        (b, e) for b, e in first.elements() if e.get("text", {}).get("text") == "Skip"
    )
    forged: dict[str, Any] = {**element, "value": "skip~AAAAAAAAAAAAAAAAAAAAAA"}

    await lea.acts(first, forged, block["block_id"])

    assert lea.question().ts == first.ts and lea.question().key == first.key
    assert "no longer valid" in lea.last().words()


async def finish(lea: Person) -> None:
    for _ in range(len(READY)):
        if not lea.has_open_question():
            return
        question = lea.question()
        await lea.answers(question, READY[question.key], PEOPLE)


async def test_an_edit_that_changes_the_recommendation_leaves_one(slack: Slack) -> None:
    lea = await interviewed(slack)
    await finish(lea)
    [before] = recommendations(lea)
    assert "Industrialise" in before.words()
    screen = next(m for m in lea.messages() if "do any of these" in m.words())

    await lea.presses_edit(screen)
    [view_id] = slack.fake.views
    await lea.submits(view_id, options=["manipulation"])

    [after] = recommendations(lea)
    assert "Stop" in after.words() and after.ts != before.ts
    assert (before.channel, before.ts) not in slack.fake.messages, "the old one is gone"
    assert [c.args["ts"] for c in slack.fake.called("chat.delete")] == [before.ts]


async def test_an_answer_stored_before_a_restart_shows_with_it_not_moved_on(
    start_bot: StartBot, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'postpoc.db'}"
    slack = await start_bot(database)
    lea = await interviewed(slack)
    first = lea.question()
    responder = slack.bot.listeners.responder

    async def dies_before_replying(*_: object) -> None:
        return None  # the answer is stored; the process stops before editing Slack

    responder.deliver = dies_before_replying  # type: ignore[method-assign]
    await lea.ticks(first, ["none"])
    assert now(slack, first).is_open, "the message was never settled"

    restarted = await start_bot(database)
    restarted._ids = slack._ids  # Slack's trigger ids stay unique across the restart
    lea = restarted.person("U0LEA", "Léa Martin")
    await lea.runs("/poc interview invoice-agent")

    shown = now(restarted, first)
    assert not shown.is_open
    assert ":white_check_mark:" in shown.words() and "→ None of these" in shown.words()
    assert "moved on" not in shown.words()
    assert lea.question().key != first.key
