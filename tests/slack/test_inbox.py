"""Slack requests acknowledged on the inbox: an answer whose process died
after the ack is finished by the next process, once; the person sees the
next question once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.slack.conftest import StartBot
from tests.slack.harness import Slack
from tests.support.scripts import READY


async def count(slack: Slack, sql: str, **params: Any) -> int:
    async with slack.bot.service.store.engine.connect() as connection:
        return int((await connection.execute(sa.text(sql), params)).scalar_one())


async def answers_to(slack: Slack, key: str) -> int:
    return await count(slack, "SELECT count(*) FROM answer WHERE question_key = :k", k=key)


def dies_after_each_ack(slack: Slack) -> None:
    """From now on the process acknowledges, and is gone before any step runs."""

    async def gone() -> None:
        return None

    slack.bot.listeners.drain_job = lambda lane, first=None: gone()  # type: ignore[method-assign]


async def test_an_answer_acknowledged_by_a_process_that_died_is_finished_by_the_next_one(
    start_bot: StartBot, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    first = await start_bot(url)
    lea = first.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    question = await lea.answers_until(typed=True, script=READY)
    posts_before = len(first.fake.called("chat.postMessage"))

    dies_after_each_ack(first)
    reply = await lea.says(READY[question.key], event_id="Ev0DIES")
    assert reply.status == 200  # acknowledged: Slack will not send it again
    assert await answers_to(first, question.key) == 0
    assert await count(first, "SELECT count(*) FROM inboxentry WHERE status = 'pending'") == 1

    second = await start_bot(url)  # the next process: its start finishes the row
    await second.settled()
    assert await answers_to(second, question.key) == 1
    assert await count(second, "SELECT count(*) FROM inboxentry WHERE status = 'pending'") == 0
    assert len(second.fake.called("chat.postMessage")) == posts_before + 1, "the next question"
    assert lea.question().key != question.key

    # Slack's late retry of the same event changes nothing.
    again = second.person("U0LEA", "Léa Martin")
    assert (await again.says(READY[question.key], event_id="Ev0DIES", retry=1)).status == 200
    assert await answers_to(second, question.key) == 1
    assert len(second.fake.called("chat.postMessage")) == posts_before + 1


async def test_a_button_answer_acknowledged_before_a_death_is_finished_once(
    start_bot: StartBot, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    first = await start_bot(url)
    lea = first.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    question = await lea.answers_until(typed=False, script=READY)

    dies_after_each_ack(first)
    reply = await lea.answers(question, READY[question.key])
    assert reply.status == 200
    assert await answers_to(first, question.key) == 0

    second = await start_bot(url)
    await second.settled()
    assert await answers_to(second, question.key) == 1
    assert lea.question().key != question.key
