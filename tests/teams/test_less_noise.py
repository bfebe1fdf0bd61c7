"""Less noise in the personal chat, on Teams: a tampered move refused, one
recommendation card, an answer whose card was not settled shown on the next
turn. (One card per question with its errors, and Skip, Back and Pause as
buttons: tests/scenarios/test_less_noise.py, on Slack and Teams.)"""

from __future__ import annotations

from tests.support.scripts import READY
from tests.teams.client import (
    Posted,
    TeamsBotClient,
    TeamsPerson,
    moves,
    press_for,
    questions,
    texts,
)
from tests.teams.fakes import Call
from tests.teams.test_interview import started


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
