"""Less noise in the direct conversation, where a message can be edited (Slack, Teams):
one message per question, errors shown in it, and Skip, Back and Pause as buttons."""

from __future__ import annotations

import pytest

from tests.support.scenario import Chat, Role, is_yes_no_question
from tests.support.scripts import READY

EDITABLE = pytest.mark.parametrize("chat", ["slack", "teams"], indirect=True)


def in_order(labels: tuple[str, ...], *wanted: str) -> bool:
    shown = [label for label in labels if label in wanted]
    return shown == list(wanted)


@EDITABLE
async def test_three_refused_answers_then_a_good_one_leave_one_message(chat: Chat) -> None:
    lea = await chat.person("Lea", Role.ADMIN)
    await lea.runs("new Invoice agent")
    await lea.runs("interview invoice-agent")
    question = await lea.answers_until(is_yes_no_question, READY)
    before = len(lea.conversation())

    for _ in range(3):
        refused = await lea.says("perhaps")
        assert [m.ref for m in refused.messages] == [question.ref], "nothing new is posted"
        assert "Please answer yes or no." in refused
        assert "Please answer yes or no." in lea.now(question), "shown in the question itself"
        assert lea.question == lea.now(question), "the same message still asks"
        assert len(lea.conversation()) == before
    answered = await lea.says("no")

    settled = lea.now(question)
    assert settled.text.startswith("✅") and "→ No" in settled
    assert "Please answer yes or no." not in settled, "the error goes once answered"
    assert settled.question is None
    [following] = [m for m in answered.messages if m.ref != question.ref]
    assert following.question not in (None, question.question), "only the next question"


@EDITABLE
async def test_skip_back_and_pause_are_buttons_where_they_apply(chat: Chat) -> None:
    lea = await chat.person("Lea", Role.ADMIN)
    await lea.runs("new Invoice agent")
    await lea.runs("interview invoice-agent")
    first = lea.question
    assert first is not None
    assert in_order(first.buttons, "Skip", "Pause") and "Back" not in first.buttons

    await lea.presses("Skip", on=first)

    assert "skipped" in lea.now(first) and lea.now(first).question is None
    second = lea.question
    assert second is not None and second.question != first.question
    assert in_order(second.buttons, "Skip", "Back", "Pause")

    await lea.presses("Back", on=second)

    again = lea.question
    assert again is not None and again.question == first.question
    assert "skipped" in again, "it says what was answered before"
    left = lea.now(second)
    assert left.question is None and left.buttons == (), "no live button on the question left"
    assert "not answered yet: you went back" in left
    # a press on the old copy (a click made before the message changed) is refused
    stale = await lea.presses("Pause", on=second)  # pressed on the question it left
    assert "already answered" in stale
    assert lea.question == again, "nothing changed"

    paused = await lea.presses("Pause", on=again)

    assert "Paused." in paused
    assert not [m for m in paused.messages if m.question], "nothing is asked"
    held = lea.now(again)
    assert held.question is None and held.buttons == (), "no button left once paused"
    assert "→ paused" in held
    await lea.runs("interview invoice-agent")
    assert lea.waiting == second.question, "resumed at the first one unanswered"


@EDITABLE
async def test_a_button_pressed_again_on_an_answered_question_changes_nothing(
    chat: Chat,
) -> None:
    lea = await chat.person("Lea", Role.ADMIN)
    await lea.runs("new Invoice agent")
    await lea.runs("interview invoice-agent")
    first = await lea.answers_until(is_yes_no_question, READY)
    key = first.question
    await lea.presses("No", on=first)
    second = lea.question
    assert lea.now(first).question is None, "the answered question's message is settled"
    assert second is not None and second.question != key

    again = await lea.presses("Yes", on=first)  # a click made before the message changed

    assert "already answered" in again
    assert not [m for m in again.messages if m.question], "nothing is asked again"
    assert lea.question == second
    history = await lea.runs(f"history invoice-agent {key}")
    assert history.text.count("current") == 1 and "replaced" not in history
