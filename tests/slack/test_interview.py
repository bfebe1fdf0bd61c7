"""An owner interviewed in their DM with the bot: buttons, checkboxes, date and
user pickers, typed replies; answered questions lose their inputs; an answer
is edited in a modal that shows what was wrong."""

from __future__ import annotations

from bot.slack.profiles import Profiles
from tests.slack.harness import Message, Slack, texts_of
from tests.support.scripts import READY

PEOPLE = {"Claire Martin": "U0CLAIRE", "Omar Haddad": "U0OMAR"}


def meet_the_team(slack: Slack) -> None:
    for name, user_id in PEOPLE.items():
        slack.person(user_id, name)


def settled(message: Message, slack: Slack) -> Message:
    return slack.message(message.channel, message.ts)


async def test_a_whole_interview_by_buttons_pickers_and_replies(slack: Slack) -> None:
    meet_the_team(slack)
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    told = await lea.runs("/poc interview invoice-agent")

    assert lea.replies(told)[0]["response_type"] == "ephemeral"
    first = lea.question()
    assert first.key == "screen_uses"
    assert "checkboxes" in first.kinds()
    # every question, so every kind of input (a light interview has no date)
    assert "now goes to full depth" in str(
        lea.replies(await lea.runs("/poc depth invoice-agent full"))
    )

    used: set[str] = set()
    for _ in range(len(READY)):
        if not lea.has_open_question():
            break
        question = lea.question()
        used |= question.kinds()
        await lea.answers(question, READY[question.key], PEOPLE)
        done = settled(question, slack)
        assert not done.is_open, "an answered question keeps no input"
        assert ":white_check_mark:" in done.words()
        assert any(b["action_id"] == "poc_edit" for b in done.buttons)

    assert not lea.has_open_question()
    assert {"button", "checkboxes", "datepicker", "users_select"} <= used
    recommendation = lea.last()
    assert recommendation.blocks[0]["type"] == "header"
    assert "Recommendation for invoice-agent: Industrialise" in recommendation.words()
    shown = "\n".join(texts_of(recommendation.blocks))
    assert shown.count("Recommendation") == 1, "the card says its title once"
    assert "Claire Martin" not in str(slack.fake.called("chat.postEphemeral"))


async def test_an_answer_is_edited_in_a_modal_that_shows_what_was_wrong(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    await lea.runs("/poc depth invoice-agent full")  # the weekly volume is asked at full depth
    answered = ""
    while answered != "use_weekly_volume":  # up to the first number: the weekly volume
        question = lea.question()
        await lea.answers(question, READY[question.key], PEOPLE)
        answered = question.key
    volume = next(m for m in lea.messages() if "1,200" in m.words())
    current = lea.question()

    await lea.presses_edit(volume)

    [view_id] = slack.fake.views
    modal = slack.fake.views[view_id]
    assert modal["callback_id"] == "poc_answer_modal"
    assert "1,200" in str(modal["blocks"])
    refused = await lea.submits(view_id, value="a lot")
    assert refused.status == 200
    assert refused.json()["response_action"] == "errors"
    assert "number" in refused.json()["errors"]["answer"]

    saved = await lea.submits(view_id, value="1500")

    assert saved.body == ""  # an empty ack closes the modal
    assert "1,500" in slack.message(volume.channel, volume.ts).words()
    assert not settled(current, slack).is_open, "the question asked before the edit moved on"
    assert lea.question().key == current.key
    assert lea.question().ts != current.ts


async def test_a_cancelled_edit_goes_back_to_where_the_interview_was(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    await lea.ticks(lea.question(), ["none"])
    current = lea.question()
    await lea.presses_edit(lea.messages()[0])
    [view_id] = slack.fake.views

    await lea.closes(view_id)

    assert lea.question().key == current.key
    await lea.ticks(lea.question(), ["none"])
    assert lea.question().key == "use_setting"


async def test_edit_by_command_opens_the_modal(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    await lea.ticks(lea.question(), ["none"])

    await lea.runs("/poc edit invoice-agent screen_uses")

    [view_id] = slack.fake.views
    assert [o["value"] for o in slack.fake.views[view_id]["blocks"][-1]["element"]["options"]] == [
        "manipulation",
        "social_scoring",
        "emotion",
        "sensitive_categorisation",
        "none",
    ]
    await lea.submits(view_id, options=["emotion"])
    hook = await lea.runs("/poc history invoice-agent screen_uses")
    assert "replaced" in str(lea.replies(hook))


async def test_a_modal_checked_too_slowly_closes_on_saving_and_says_so_after(
    slack: Slack,
) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    await lea.ticks(lea.question(), ["none"])
    await lea.presses_edit(lea.messages()[0])
    [view_id] = slack.fake.views
    # Another replica, which has never seen Léa, gets the submission while
    # Slack is slow to say who she is.
    slack.bot.listeners.profiles = Profiles()
    slack.bot.listeners.ack_budget = 0.05
    slack_is_slow = slack.fake.hold("users.info")

    acked = await lea.submits(view_id, options=["emotion"], settle=False)

    assert acked.json()["response_action"] == "update"
    assert "Saving your answer" in str(acked.json()["view"])
    slack_is_slow.set()
    await slack.settled()
    assert "Saved." in str(slack.fake.views[view_id])
    assert "Infers the emotions" in slack.message(lea.dm, lea.messages()[0].ts).words()


async def test_a_stop_rule_answers_at_once_and_a_button_goes_on_for_the_record(
    slack: Slack,
) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    await lea.ticks(lea.question(), ["manipulation"])

    stop = lea.last()
    shown = stop.words()
    assert "Recommendation for invoice-agent: Stop" in shown
    assert "manipulating people or exploiting their vulnerabilities" in shown
    assert "EU AI Act art. 5(1)(a)-(b)" in shown and "A lead decides" in shown
    assert not lea.has_open_question(), "nothing else is asked"
    await lea.says("no")
    assert "Type continue to go on for the record" in lea.last().words()
    assert not lea.has_open_question()

    await lea.presses(stop, "Go on for the record")

    assert lea.question().key == "tier_annex3_uses"
