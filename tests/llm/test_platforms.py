"""Slack's acknowledgement never waits for the model: the event is answered
while the core is still waiting on it, and the follow-up it proposes is then
asked in the DM like any question."""

from __future__ import annotations

import asyncio

from conversations.llm import Extracted, Facts, FollowUp, Narrative
from tests.slack.conftest import fake_slack, no_slack_environment, slack, start_bot
from tests.slack.harness import Slack
from tests.support.scripts import READY

__all__ = ["fake_slack", "no_slack_environment", "slack", "start_bot"]  # the Slack fixtures

QUESTION = "Which team, and how many people in it?"


class Gated:
    """An assistant that answers a follow-up only when the test lets it."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.answer = asyncio.Event()

    async def follow_up(self, question: str, answer: str, language: str) -> FollowUp | None:
        self.asked.set()
        await self.answer.wait()
        return FollowUp(vague=True, question=QUESTION)

    async def extract(
        self, question: str, text: str, unit: str | None, language: str
    ) -> Extracted | None:
        return None

    async def narrative(self, facts: Facts, language: str) -> Narrative | None:
        return None


async def test_slack_is_acknowledged_before_the_model_answers(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    await lea.runs("/poc depth invoice-agent full")  # the users' free text is asked there
    question = await lea.answers_until(typed=True, script=READY)
    assert question.key == "use_users"
    gated = Gated()
    slack.bot.service.assistant = gated

    reply = await lea.says("The usual users", settle=False)
    assert reply.status == 200
    await asyncio.wait_for(gated.asked.wait(), 5)
    assert slack.bot.work.pending > 0, "acknowledged while the model is still thinking"

    gated.answer.set()
    await slack.settled()
    follow_up = lea.question()
    assert follow_up.key == "use_users"
    assert QUESTION in follow_up.words()

    await lea.says("Accounts payable clerks, 12 people")
    assert lea.question().key == "use_task"
    assert not slack.message(follow_up.channel, follow_up.ts).is_open
