"""Commands typed in the DM in the middle of an interview, and help, over HTTP."""

from __future__ import annotations

from tests.slack.harness import Slack
from tests.support.scripts import READY


async def test_commands_typed_mid_interview_run_and_are_never_stored(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    waiting = await lea.answers_until(True, READY)

    await lea.says("list")

    assert lea.question().key == waiting.key  # still waiting: "list" was not its answer
    assert "Invoice agent (invoice-agent)" in lea.last().words()

    await lea.says("summary invoice-agent")

    assert lea.question().key == waiting.key
    assert "Recommendation" in lea.last().words()


async def test_help_mid_interview_explains_the_question_first_then_commands_for_slack(
    slack: Slack,
) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    before = len(lea.messages())

    await lea.says("help")

    shown = [m.words() for m in lea.messages()[before:]]
    card = next(i for i, words in enumerate(shown) if "/poc list" in words)
    why = next(i for i, words in enumerate(shown) if "EU AI Act art. 5(1)(a)-(c)" in words)
    assert why < card
    # typed the Slack way, and only what an admin may do is there for an admin
    assert "/poc decide &lt;poc&gt; stop|frame|industrialise &lt;rationale&gt;" in shown[card]
    assert "/poc role &lt;person&gt; admin|lead|member" in shown[card]


async def test_help_lists_only_what_a_member_may_do(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.says("hello")  # the first person is the admin
    omar = slack.person("U0OMAR", "Omar Haddad")

    await omar.says("help")

    card = omar.last().words()
    assert "/poc list" in card and "/poc summary &lt;poc&gt; [post]" in card
    assert "/poc decide" not in card and "/poc role" not in card and "/poc new" not in card
    assert "Your role: member" in card
