"""Less noise in the personal chat, on Teams: one card per question (errors
shown in it), Skip, Back and Pause as buttons, one recommendation card."""

from __future__ import annotations

from tests.support.scripts import READY
from tests.teams.client import (
    Posted,
    TeamsBotClient,
    TeamsPerson,
    actions,
    moves,
    questions,
    texts,
)
from tests.teams.fakes import Call
from tests.teams.test_interview import press_for, started


def titles(card: Call) -> list[str]:
    return [m["title"] for m in moves(card)]


async def test_three_refused_answers_then_a_good_one_leave_one_card(
    teams: TeamsBotClient,
) -> None:
    alice, posted = await started(teams)
    key, card = questions(posted.sent)[-1]

    for _ in range(3):
        refused = await alice.says("perhaps")
        assert refused.sent == [], "a refused answer sends nothing new"
        [update] = refused.updates
        assert update.activity_id == card.posted_id
        assert "I didn't recognise “perhaps”" in texts(update)
    answered = await alice.says("no")

    [settled] = answered.updates
    assert settled.activity_id == card.posted_id
    assert texts(settled).startswith("✅ ") and "→ None of these" in texts(settled)
    assert "I didn't recognise" not in texts(settled)
    assert [k for k, _ in questions(answered.sent)] != [key]


async def test_skip_back_and_pause_are_buttons_where_they_apply(teams: TeamsBotClient) -> None:
    alice, posted = await started(teams)
    first_key, first = questions(posted.sent)[-1]
    assert titles(first) == ["Skip", "Pause"], "no Back on the first question"

    skipped = await alice.presses_move(first, "Skip")

    [settled] = skipped.updates
    assert settled.activity_id == first.posted_id and "skipped" in texts(settled)
    second_key, second = questions(skipped.sent)[-1]
    assert second_key != first_key
    assert titles(second) == ["Skip", "Back", "Pause"]

    back = await alice.presses_move(second, "Back")

    assert questions(back.sent)[-1][0] == first_key
    [left] = [u for u in back.updates if u.activity_id == second.posted_id]
    assert not actions(left) and "not answered yet: you went back" in texts(left)
    stale = await alice.presses_move(second, "Pause")  # on the question it left
    assert "already answered" in stale.text()
    _, again = questions(back.sent)[-1]

    paused = await alice.presses_move(again, "Pause")

    assert "Paused." in paused.text()
    assert questions(paused.sent) == []
    [settled] = [u for u in paused.updates if u.activity_id == again.posted_id]
    assert not actions(settled) and texts(settled).startswith("⏸ ") and "→ paused" in texts(settled)


async def test_a_tampered_move_button_does_nothing(teams: TeamsBotClient) -> None:
    alice, posted = await started(teams)
    _, first = questions(posted.sent)[-1]
    [skip] = [m for m in moves(first) if m["title"] == "Skip"]

    forged = await alice.submits(first, {**skip["data"], "value": "back"})

    assert forged.updates == [] and questions(forged.sent) == []
    assert "can't check that button" in forged.text()


async def finish(alice: TeamsPerson, posted: Posted) -> Posted:
    for _ in range(len(READY)):
        asked = questions(posted.sent)
        if not asked:
            return posted
        key, card = asked[-1]
        data = press_for(card, READY[key])
        posted = await (alice.submits(card, data) if data else alice.says(READY[key]))
    return posted


def recommendation(posted: Posted) -> Call:
    [card] = [c for c in posted.sent if "Recommendation for invoice-agent" in texts(c)]
    return card


async def test_an_edit_that_changes_the_recommendation_leaves_one(teams: TeamsBotClient) -> None:
    alice, posted = await started(teams)
    before = recommendation(await finish(alice, posted))
    assert "Industrialise" in texts(before)

    editing = await alice.says("edit invoice-agent screen_uses")
    _, card = questions(editing.sent)[-1]
    changed = await alice.submits(card, press_for(card, "emotion"))

    after = recommendation(changed)
    assert "Stop" in texts(after)
    assert [d.activity_id for d in changed.deletes] == [before.posted_id], "the old one is gone"


async def test_an_answer_whose_card_was_not_settled_shows_on_the_next_turn(
    teams: TeamsBotClient,
) -> None:
    alice, posted = await started(teams)
    first_key, first = questions(posted.sent)[-1]
    # The answer is stored, then every call to show it fails: the card keeps its buttons.
    teams.fake.fail(404, times=100, kinds=("update", "reply", "send"))
    await alice.submits(first, press_for(first, "none"))
    teams.fake.failures.clear()

    hello = await alice.says("hello")

    [settled] = [u for u in hello.updates if u.activity_id == first.posted_id]
    assert texts(settled).startswith("✅ ") and "→ None of these" in texts(settled)
    assert not moves(settled)
    assert questions(hello.sent)[-1][0] != first_key
