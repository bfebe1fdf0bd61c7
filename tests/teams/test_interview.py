"""An owner's interview in the personal chat, over HTTP, as Teams delivers it."""

from __future__ import annotations

from tests.support.scripts import READY
from tests.teams.client import (
    BOT_ID,
    Posted,
    TeamsBotClient,
    TeamsPerson,
    actions,
    inputs,
    press_for,
    question_key,
    questions,
    texts,
)


async def started(teams: TeamsBotClient) -> tuple[TeamsPerson, Posted]:
    """Alice registers a POC and starts its interview; the first question is out."""
    alice = teams.person("alice")
    await alice.says("hello")
    registered = await alice.says("new Invoice agent")
    assert "Registered Invoice agent as invoice-agent" in registered.text()
    return alice, await alice.says("interview invoice-agent")


async def test_a_complete_interview_with_buttons_inputs_and_typed_answers(
    teams: TeamsBotClient,
) -> None:
    alice, posted = await started(teams)
    # every question, so every kind of input (a light interview has no date)
    raised = await alice.says("/poc depth invoice-agent full")
    assert "now goes to full depth" in raised.text()
    pressed = typed = 0
    used: set[str] = set()
    for _ in range(200):
        asked = questions(posted.sent)
        if not asked:
            break
        key, card = asked[-1]
        data = press_for(card, READY[key])
        if data is not None:
            posted = await alice.submits(card, data)
            pressed += 1
            used.update(i["type"] for i in inputs(card))
        else:
            posted = await alice.says(READY[key])
            typed += 1
        assert posted.status == 201
        # The answered question's card is replaced by its answer, whichever way it came.
        assert [u.activity_id for u in posted.updates] == [card.posted_id], key
        assert texts(posted.updates[0]).startswith("✅ ")
        assert not actions(posted.updates[0])
    assert "Recommendation for invoice-agent: Industrialise" in posted.text()
    assert pressed >= 20 and typed >= 20, (pressed, typed)
    assert used == {"Input.Date", "Input.ChoiceSet"}  # besides plain buttons


async def test_a_redelivered_activity_changes_nothing(teams: TeamsBotClient) -> None:
    alice, posted = await started(teams)
    _, card = questions(posted.sent)[-1]
    press = alice.personal(replyToId=card.posted_id, value=press_for(card, "none"))
    first = await teams.post(press)
    again = await teams.post(press)
    assert questions(first.sent)
    assert (again.status, again.sent, again.updates) == (201, [], [])


async def test_hi_hello_and_help_always_answer(teams: TeamsBotClient) -> None:
    alice = teams.person("alice")
    hi = await alice.says("hi")
    assert "Hello Alice!" in hi.text()
    assert "interview <poc>" in (await alice.says("help")).text()

    alice, posted = await started(teams)
    key, _ = questions(posted.sent)[-1]
    during = await alice.says("help")
    assert "I didn't understand" not in during.text()
    assert during.text().strip()
    hello = await alice.says("hello")
    assert "Hello Alice!" in hello.text()
    assert questions(hello.sent)[-1][0] == key  # the waiting question, shown again


async def test_the_typing_indicator_goes_first(teams: TeamsBotClient) -> None:
    posted = await teams.person("alice").says("hello")
    kinds = [c.body.get("type") for c in posted.calls]
    assert kinds[0] == "typing"
    assert kinds[1:] == ["message"]


async def test_an_invalid_answer_is_asked_again_with_the_reason(teams: TeamsBotClient) -> None:
    alice, posted = await started(teams)
    await alice.says("/poc depth invoice-agent full")  # the weekly volume is asked at full depth
    for _ in range(30):  # to the first number question
        key, card = questions(posted.sent)[-1]
        if key == "use_weekly_volume":
            break
        data = press_for(card, READY[key])
        posted = await (alice.submits(card, data) if data else alice.says(READY[key]))
    again = await alice.says("a lot")
    # The same card, with the reason shown in it: not one more card in the chat.
    assert questions(again.sent) == []
    [update] = again.updates
    assert update.activity_id == card.posted_id
    assert question_key(update) == "use_weekly_volume"
    attention = [
        run["text"]
        for block in update.body["attachments"][0]["content"]["body"]
        for run in block.get("inlines", [])
        if run.get("color") == "Attention"
    ]
    assert attention, texts(update)
    assert press_for(update, "x") is None or actions(update), "the card can still be answered"

    answered = await alice.says(READY["use_weekly_volume"])
    assert [u.activity_id for u in answered.updates] == [card.posted_id]
    assert texts(answered.updates[0]).startswith("✅ ")


async def test_a_question_shown_again_leaves_one_live_card(teams: TeamsBotClient) -> None:
    alice, posted = await started(teams)
    _, first = questions(posted.sent)[-1]

    shown_again = await alice.says("hello")
    _, second = questions(shown_again.sent)[-1]
    assert second.posted_id != first.posted_id
    [retired] = shown_again.updates
    assert retired.activity_id == first.posted_id and not actions(retired)
    assert "asked again further down" in texts(retired)

    answered = await alice.submits(second, press_for(second, "none"))
    assert [u.activity_id for u in answered.updates] == [second.posted_id]
    assert not actions(answered.updates[0])


async def test_adding_the_app_for_oneself_greets_once(teams: TeamsBotClient) -> None:
    alice = teams.person("alice")
    installed = await teams.post(alice.installation("add"))
    assert (installed.status, installed.sent) == (201, [])
    update = alice.personal(type="conversationUpdate", membersAdded=[{"id": BOT_ID}])
    greeted = await teams.post(update)
    assert "Hello Alice!" in greeted.text()
    assert (await teams.post(update)).sent == []  # redelivered: not twice


async def test_a_stop_rule_answers_at_once_and_a_button_goes_on_for_the_record(
    teams: TeamsBotClient,
) -> None:
    alice, posted = await started(teams)
    _, first = questions(posted.sent)[-1]
    stopped = await alice.submits(first, press_for(first, "manipulation"))

    assert questions(stopped.sent) == [], "nothing else is asked"
    shown = stopped.text()
    assert "Recommendation for invoice-agent: Stop" in shown
    assert "EU AI Act art. 5(1)(a)-(b)" in shown and "A lead decides" in shown
    [card] = [c for c in stopped.sent if "Go on for the record" in str(actions(c))]
    typed = await alice.says("no")
    assert "Type continue to go on for the record" in typed.text()
    assert questions(typed.sent) == []

    going = await alice.presses(card, "Go on for the record")

    assert going.status == 201
    assert questions(going.sent)[-1][0] == "tier_annex3_uses"
