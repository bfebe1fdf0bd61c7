"""Slack retries its deliveries and rate-limits its Web API; the bot acks at
once, handles a delivery once, and retries its own calls with back-off
without ever posting twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa

from bot.slack.profiles import Profiles
from tests.slack.conftest import StartBot
from tests.slack.fake_slack import Chaos
from tests.slack.harness import Slack
from tests.support.scripts import READY


async def answers_to(slack: Slack, key: str) -> int:
    async with slack.bot.service.store.engine.connect() as connection:
        found = await connection.execute(
            sa.text("SELECT count(*) FROM answer WHERE question_key = :key"), {"key": key}
        )
        return int(found.scalar_one())


async def test_a_retried_event_changes_nothing_the_second_time(
    start_bot: StartBot, database_url: str
) -> None:
    slack = await start_bot(database_url)
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    question = await lea.answers_until(typed=True, script=READY)
    posts_before = len(slack.fake.called("chat.postMessage"))

    # The first delivery is slow to be acknowledged: Slack sends it again at
    # once (to any replica) while the first is still being handled...
    first, second = await asyncio.gather(
        lea.says("Accounts payable clerks", event_id="Ev0ANSWER", settle=False),
        lea.says("Accounts payable clerks", event_id="Ev0ANSWER", retry=1, settle=False),
    )
    await slack.settled()
    # ...and once more a minute later.
    late = await lea.says("Accounts payable clerks", event_id="Ev0ANSWER", retry=2)

    assert [first.status, second.status, late.status] == [200, 200, 200]
    assert await answers_to(slack, question.key) == 1
    assert len(slack.fake.called("chat.postMessage")) == posts_before + 1, "one next question"
    assert lea.question().key != question.key


async def test_a_rate_limit_storm_during_a_summary_post_ends_in_one_post(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    slack.fake.fail("response_url", status=429, retry_after=3, times=4)

    hook = await lea.runs("/poc summary invoice-agent post")

    attempts = [c for c in slack.fake.calls if c.path == hook]
    assert [c.status for c in attempts] == [429, 429, 429, 429, 200]
    [posted] = lea.replies(hook)
    assert posted["response_type"] == "in_channel"
    assert "Invoice agent (invoice-agent)" in posted["blocks"][0]["text"]["text"]
    assert slack.sleeps == [3.0, 3.0, 3.0, 3.0], "waited what Slack asked, and no more"


async def test_outages_and_resets_are_retried_with_back_off_and_post_once(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    first = lea.question()
    slack.fake.fail("chat.postMessage", status=500)
    slack.fake.fail("chat.postMessage", drop=True)
    slack.fake.fail("chat.postMessage", status=503)

    await lea.ticks(first, ["none"])

    attempts = slack.fake.called("chat.postMessage", ok_only=False)[-4:]
    assert [c.status for c in attempts] == [500, 0, 503, 200]
    assert slack.sleeps == [0.25, 0.5, 1.0], "exponential back-off (jitter at its least)"
    assert lea.question().key == "tier_annex3_uses"
    assert await answers_to(slack, "screen_uses") == 1


async def test_the_ack_comes_before_the_slow_work(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    slack_is_slow = slack.fake.hold("users.info")

    hook = await lea.runs("/poc help", settle=False)

    assert lea.last_reply is not None and lea.last_reply.status == 200
    assert slack.bot.work.pending == 1, "acknowledged while the work goes on"
    assert lea.replies(hook) == []
    slack_is_slow.set()
    await slack.settled()
    assert "postpoc helps you decide" in str(lea.replies(hook))


async def inbox_rows(slack: Slack, status: str) -> int:
    async with slack.bot.service.store.engine.connect() as connection:
        found = await connection.execute(
            sa.text("SELECT count(*) FROM inboxentry WHERE status = :status"), {"status": status}
        )
        return int(found.scalar_one())


async def test_a_typed_answer_is_kept_in_the_inbox_before_it_is_acknowledged(
    slack: Slack,
) -> None:
    """Slack's 200 waits for one committed row, not for the answer's step: the
    answer is stored, and the next question posted, after."""
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    question = await lea.answers_until(typed=True, script=READY)
    slack_is_slow = slack.fake.hold("users.info")
    slack.bot.listeners.profiles = Profiles()  # forgets Léa: the step asks users.info again

    reply = await lea.says(READY[question.key], settle=False)

    assert reply.status == 200
    assert await inbox_rows(slack, "pending") == 1, "kept when Slack got its 200"
    assert await answers_to(slack, question.key) == 0, "the step runs after the ack"
    slack_is_slow.set()
    await slack.settled()
    assert await answers_to(slack, question.key) == 1
    assert await inbox_rows(slack, "pending") == 0
    assert lea.question().key != question.key


async def test_a_repeated_slash_command_registers_one_poc(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    sent: list[dict[str, str]] = []
    form = slack.form

    async def keeping(fields: dict[str, str], **options: object) -> object:
        sent.append(fields)
        return await form(fields, **options)  # type: ignore[arg-type]

    slack.form = keeping  # type: ignore[method-assign]
    hook = await lea.runs("/poc new Invoice agent")
    await form(sent[0])  # the same command again: same trigger_id

    [registered] = lea.replies(hook)
    assert "Registered Invoice agent as invoice-agent" in str(registered)
    async with slack.bot.service.store.engine.connect() as connection:
        found = await connection.execute(sa.text("SELECT count(*) FROM poc"))
        assert found.scalar_one() == 1


async def test_a_question_posted_without_an_answer_from_slack_is_not_posted_twice(
    start_bot: StartBot, tmp_path: Path
) -> None:
    slack = await start_bot(f"sqlite:///{tmp_path / 'late.db'}", web_api_timeout=0.3)
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    await lea.ticks(lea.question(), ["none"])  # the DM is known from now on
    slack.fake.chaos = Chaos(
        rate=1.0, faults=("timeout",), late=0.6, methods=frozenset({"chat.postMessage"})
    )

    await lea.ticks(lea.question(), ["none"])
    slack.fake.chaos = None

    asked = [m for m in lea.messages() if m.is_open]
    assert [m.key for m in asked] == ["use_setting"], "posted once, and known to the bot"
    looked = slack.fake.called("conversations.history")
    assert len(looked) == 1 and looked[0].args["channel"] == lea.dm
    await lea.presses(asked[0], "staff only")
    assert not slack.message(asked[0].channel, asked[0].ts).is_open, "settled like any other"


async def test_an_update_without_an_answer_from_slack_is_retried(
    start_bot: StartBot, tmp_path: Path
) -> None:
    slack = await start_bot(f"sqlite:///{tmp_path / 'late.db'}", web_api_timeout=0.3)
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    first = lea.question()
    late_once = iter(["timeout"])
    slack.fake.chaos = Chaos(
        rate=0.0,
        methods=frozenset({"chat.update"}),
        script=lambda *_: next(late_once, None),
        late=0.6,
    )

    await lea.ticks(first, ["none"])

    updates = slack.fake.called("chat.update")
    assert [c.late for c in updates] == [True, False], "an update may be done twice"
    assert not slack.message(first.channel, first.ts).is_open
