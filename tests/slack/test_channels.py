"""Channels on Slack: the bot checks it is a member before a channel becomes a
POC's home or is subscribed, and names channels as links. Over real HTTP,
signed as Slack signs, against the fake Web API (``conversations.info``)."""

from __future__ import annotations

import asyncio

from conversations.channels import channel_ref
from conversations.delivery import Destination
from conversations.messages import Say
from tests.slack.harness import Slack

INVITE = "/invite @postpoc"


def said(slack: Slack, hook: str) -> str:
    [reply] = slack.fake.responses(hook)
    assert reply["response_type"] == "ephemeral", reply["text"]
    return str(reply["blocks"]) + str(reply["text"])


async def test_a_channel_the_bot_is_not_in_is_not_made_a_home_until_it_is_invited(
    slack: Slack,
) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    slack.fake.outside.add("C0QUIET")

    refused = await lea.runs("/poc new Invoice agent", channel="C0QUIET", channel_name="quiet")

    shown = said(slack, refused)
    assert "not a member of this channel" in shown and INVITE in shown
    assert "/poc new" in shown, "says what to run again"
    [asked] = slack.fake.called("conversations.info")
    assert asked.args["channel"] == "C0QUIET"
    listed = await lea.runs("/poc list", channel="C0TEAM")
    assert "Invoice agent" not in said(slack, listed), "nothing was saved"

    slack.fake.outside.discard("C0QUIET")  # someone typed /invite @postpoc there
    registered = await lea.runs("/poc new Invoice agent", channel="C0QUIET", channel_name="quiet")
    assert "Registered Invoice agent as invoice-agent" in said(slack, registered)


async def test_a_private_channel_is_subscribed_only_once_the_bot_is_in_it(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    slack.fake.private.add("G0BOARD")
    slack.fake.outside.add("G0BOARD")  # to the bot, a private channel it is not in does not exist

    refused = await lea.runs(
        "/poc subscribe weekly monday 09:00 Europe/Paris", channel="G0BOARD", channel_name="board"
    )
    assert INVITE in said(slack, refused)
    before = await lea.runs("/poc subscriptions")
    assert "No channel is subscribed" in said(slack, before)

    slack.fake.outside.discard("G0BOARD")
    done = await lea.runs(
        "/poc subscribe weekly monday 09:00 Europe/Paris", channel="G0BOARD", channel_name="board"
    )
    assert "This channel will get the weekly health nudge" in said(slack, done)


async def test_when_slack_cannot_say_nothing_is_saved_and_the_person_may_try_again(
    slack: Slack,
) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    slack.fake.fail("conversations.info", status=403, times=1)

    refused = await lea.runs("/poc subscribe weekly monday 09:00 Europe/Paris")

    assert "could not check that I can post in this channel" in said(slack, refused)
    listed = await lea.runs("/poc subscriptions")
    assert "No channel is subscribed" in said(slack, listed)


async def test_subscriptions_name_channels_as_slack_links(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc subscribe weekly monday 09:00 Europe/Paris", channel="C0TEAM")
    await lea.runs("/poc subscribe weekly friday 16:00 Europe/Paris", channel="C0OPS")

    shown = said(slack, await lea.runs("/poc subscriptions", channel="D0LEA"))

    assert "<#C0TEAM>" in shown and "<#C0OPS>" in shown
    assert "\ue000" not in shown and "\ue001" not in shown


async def test_a_person_cannot_forge_a_channel_link(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")

    hook = await lea.runs("/poc new Pricing \ue000C0SECRET\ue001 agent")

    shown = said(slack, hook)
    assert "<#C0SECRET>" not in shown


async def test_a_post_naming_a_channel_links_it(slack: Slack) -> None:
    """What the outbox sends (a failed post told to the lead) names the channel
    the way Slack shows one."""
    lea = slack.person("U0LEA", "Léa Martin")
    notice = Say(f"I could not post the decision in channel {channel_ref('C0HOME')}.")

    await slack.bot.messenger.post(Destination("slack:T0ACME", person=lea.user_id), [notice])

    words = lea.last().words()
    assert "in channel <#C0HOME>." in words
    assert "\ue000" not in words


async def test_while_slack_is_slow_to_say_whether_the_bot_is_in_a_channel_others_answers_go_on(
    slack: Slack,
) -> None:
    """``conversations.info`` is asked before the core's transaction opens: a
    slow Slack holds up the lead's command, not the database (every other
    person's answer)."""
    lea = slack.person("U0LEA", "Léa Martin")
    omar = slack.person("U0OMAR", "Omar Haddad")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc owner invoice-agent <@U0OMAR|omar>")
    await omar.runs("/poc interview invoice-agent")
    first = omar.question().key
    slack_is_slow = slack.fake.hold("conversations.info")

    next_question = asyncio.Event()
    slack.fake.on_call = lambda call: (
        next_question.set()
        if call.method == "chat.postMessage" and call.args.get("channel") in (omar.user_id, omar.dm)
        else None
    )

    hook = await lea.runs("/poc new Pricing agent", channel="C0SLOW", settle=False)
    await omar.says("no", settle=False)

    await asyncio.wait_for(next_question.wait(), 10)  # Omar's answer was stored meanwhile
    assert omar.question().key != first
    slack_is_slow.set()
    await slack.settled()
    assert "Registered Pricing agent as pricing-agent" in said(slack, hook)
