"""The outbox's port to Slack: one post per call, failures it can act on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conversations.delivery import DeliveryError, Destination
from conversations.messages import Ask, Card, Field, QuestionKind, Say, Section
from tests.slack.conftest import StartBot
from tests.slack.fake_slack import Chaos
from tests.slack.harness import Slack

WORKSPACE = "slack:T0ACME"


async def test_a_nudge_goes_to_the_channel_as_one_message(slack: Slack) -> None:
    nudge = [
        Say("Weekly health of the portfolio"),
        Card("invoice-agent", sections=(Section(fields=(Field("Health", "green <ok>"),)),)),
    ]

    ref = await slack.bot.messenger.post(Destination(WORKSPACE, channel="C0TEAM"), nudge)

    [call] = slack.fake.called("chat.postMessage")
    assert call.args["channel"] == "C0TEAM"
    channel, ts = ref.split(":")
    assert channel == "C0TEAM" and (channel, ts) in slack.fake.messages
    assert "green &lt;ok&gt;" in str(call.args["blocks"])
    assert call.args["text"] == "Weekly health of the portfolio"


async def test_a_reply_in_a_thread_and_a_check_in_to_a_person(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    first = await slack.bot.messenger.post(Destination(WORKSPACE, channel="C0TEAM"), [Say("Nudge")])

    await slack.bot.messenger.post(
        Destination(WORKSPACE, channel="C0TEAM", thread=first), [Say("Details")]
    )
    await slack.bot.messenger.post(Destination(WORKSPACE, person=lea.user_id), [Say("Check-in")])

    thread, direct = slack.fake.called("chat.postMessage")[1:]
    assert thread.args["thread_ts"] == first.split(":")[1]
    assert direct.args["channel"] == lea.user_id
    assert lea.last().words().startswith("Check-in")


async def test_a_question_sent_unprompted_is_remembered_to_be_settled_later(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    check_in = Ask(
        token="7.3.reading",
        poc_handle="invoice-agent",
        progress="weekly check-in",
        text="This week's handling time per invoice?",
        kind=QuestionKind.NUMBER,
        hint="Type a number in minutes, for example 40.",
    )

    ref = await slack.bot.messenger.post(Destination(WORKSPACE, person=lea.user_id), [check_in])

    channel, ts = ref.split(":")
    assert await slack.bot.service.platform.posted(WORKSPACE, "7.3.reading") == (
        f"{channel}:{ts}:invoice-agent"
    )
    assert lea.question().ts == ts


async def test_errors_say_whether_to_try_again(slack: Slack) -> None:
    messenger = slack.bot.messenger
    slack.fake.fail("chat.postMessage", status=429, retry_after=120)
    with pytest.raises(DeliveryError) as rate_limited:
        await messenger.post(Destination(WORKSPACE, channel="C0TEAM"), [Say("Weekly health")])
    assert rate_limited.value.retryable and rate_limited.value.retry_after == 120
    assert slack.sleeps == [], "a two-minute wait is left to the outbox"

    slack.fake.fail("chat.postMessage", status=503, times=6)
    with pytest.raises(DeliveryError) as outage:
        await messenger.post(Destination(WORKSPACE, channel="C0TEAM"), [Say("Weekly health")])
    assert outage.value.retryable
    assert len(slack.sleeps) == 5, "the SDK's retries, then the outbox's turn"

    slack.fake.revoked.add("xoxb-1-single-workspace")
    with pytest.raises(DeliveryError) as revoked:
        await messenger.post(Destination(WORKSPACE, channel="C0TEAM"), [Say("Weekly health")])
    assert not revoked.value.retryable and revoked.value.reason == "token_revoked"


async def test_nothing_is_posted_where_the_bot_was_uninstalled(slack: Slack) -> None:
    await slack.event({"type": "app_uninstalled"})

    with pytest.raises(DeliveryError) as refused:
        await slack.bot.messenger.post(Destination(WORKSPACE, channel="C0TEAM"), [Say("Nudge")])

    assert not refused.value.retryable
    assert slack.fake.called("chat.postMessage") == []


async def test_the_outbox_key_travels_with_the_post_and_a_channel_is_not_read_back(
    slack: Slack,
) -> None:
    where = Destination(WORKSPACE, channel="C0TEAM")

    await slack.bot.messenger.post(where, [Say("Weekly health")], key="watch:C0TEAM:2026-W45")

    [call] = slack.fake.called("chat.postMessage")
    assert call.args["metadata"]["event_payload"] == {"key": "watch:C0TEAM:2026-W45"}
    with pytest.raises(NotImplementedError):
        await slack.bot.messenger.find(where, "watch:C0TEAM:2026-W45", datetime.now(UTC))


async def test_the_outbox_gets_a_messenger_of_its_own(slack: Slack) -> None:
    from bot.slack import make_messenger

    own = make_messenger(slack.bot.service, slack.bot.settings)
    ref = await own.post(Destination(WORKSPACE, channel="C0TEAM"), [Say("Weekly health")])

    [call] = slack.fake.called("chat.postMessage")
    assert own.platform == "slack" and ref.startswith("C0TEAM:")
    assert call.token == "xoxb-1-single-workspace"


async def test_a_check_in_posted_by_a_stopped_process_is_found_in_the_dm(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await slack.bot.service.platform.remember_address(
        WORKSPACE, f"person:{lea.user_id}", {"channel": lea.dm}
    )
    since = datetime.now(UTC) - timedelta(minutes=5)
    to_lea = Destination(WORKSPACE, person=lea.user_id)
    ref = await slack.bot.messenger.post(to_lea, [Say("Check-in")], key="checkin:1:2026-W45")

    assert await slack.bot.messenger.find(to_lea, "checkin:1:2026-W45", since) == ref
    assert await slack.bot.messenger.find(to_lea, "checkin:2:2026-W45", since) is None
    with pytest.raises(NotImplementedError):  # a channel: no channels:history
        await slack.bot.messenger.find(Destination(WORKSPACE, channel="C0TEAM"), "k", since)
    with pytest.raises(NotImplementedError):  # a DM never seen
        await slack.bot.messenger.find(Destination(WORKSPACE, person="U0NEW"), "k", since)


async def test_a_post_slack_did_not_answer_is_found_or_not_sent_again(
    start_bot: StartBot, tmp_path: Path
) -> None:
    slack = await start_bot(f"sqlite:///{tmp_path / 'late.db'}", web_api_timeout=0.3)
    lea = slack.person("U0LEA", "Léa Martin")
    await slack.bot.service.platform.remember_address(
        WORKSPACE, f"person:{lea.user_id}", {"channel": lea.dm}
    )
    slack.fake.chaos = Chaos(
        rate=1.0, faults=("timeout",), late=0.6, methods=frozenset({"chat.postMessage"})
    )

    ref = await slack.bot.messenger.post(
        Destination(WORKSPACE, person=lea.user_id), [Say("Check-in")], key="checkin:1:2026-W45"
    )
    with pytest.raises(DeliveryError) as raised:
        await slack.bot.messenger.post(
            Destination(WORKSPACE, channel="C0TEAM"), [Say("Nudge")], key="nudge:1:2026-W45"
        )

    assert ref == ":".join(slack.fake.posts_keyed("checkin:1:2026-W45")[0])
    assert not raised.value.retryable and "may have been posted" in raised.value.reason
    assert len(slack.fake.posts_keyed("nudge:1:2026-W45")) == 1, "it was, and only once"
