"""A section handed to the person who knows it, over HTTP: the owner presses "Someone
else should answer this", picks Nadia, and Nadia answers it in her own DM (issue 13)."""

from __future__ import annotations

from bot.slack.app import build_messenger
from conversations.outbox import Outbox
from conversations.service import utc_now
from tests.slack.conftest import StartBot, settings_for
from tests.slack.harness import Message, Person, Slack
from tests.support.scripts import READY

PEOPLE = {"Claire Martin": "U0CLAIRE", "Omar Haddad": "U0OMAR"}


async def deliver(slack: Slack, database_url: str) -> None:
    """What the outbox holds goes out, as the server's outbox loop sends it."""
    messenger = build_messenger(slack.bot.service, settings_for(slack.fake, database_url))
    await Outbox(slack.bot.service.store, {"slack": messenger}, clock=utc_now).drain()


async def answer_all(person: Person, only: str | None = None) -> None:
    while person.has_open_question():
        question = person.question()
        if only is not None:
            assert question.key.startswith(only), question.key
        await person.answers(question, READY[question.key], PEOPLE)


def asking(person: Person, words: str) -> Message:
    return next(m for m in reversed(person.messages()) if m.is_open and words in m.words())


async def test_a_section_handed_by_button_is_answered_in_another_dm_and_the_recommendation_waits(
    start_bot: StartBot, database_url: str
) -> None:
    slack = await start_bot(database_url)
    for name, user_id in PEOPLE.items():
        slack.person(user_id, name)
    lea = slack.person("U0LEA", "Léa Martin")
    nadia = slack.person("U0NADIA", "Nadia Benali")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    while not lea.question().key.startswith("run_"):
        question = lea.question()
        await lea.answers(question, READY[question.key], PEOPLE)

    first = lea.question()
    [hand_over] = first.commands
    assert hand_over["text"]["text"] == "Someone else should answer this"
    await lea.presses(first, "Someone else should answer this")
    picker = asking(lea, "Who should answer Integration and run of invoice-agent?")
    assert "users_select" in picker.kinds()
    await lea.picks_person(picker, "U0NADIA")

    assert "Nadia Benali now answers Integration and run" in "\n".join(
        m.words() for m in lea.messages()
    )
    assert not lea.question().key.startswith("run_"), "the owner's interview moved on"
    await answer_all(lea)
    waiting = lea.last().words()
    assert "Recommendation for invoice-agent: Not enough information" in waiting
    assert "Integration and run: waiting for Nadia Benali since" in waiting

    await deliver(slack, database_url)
    invited = "\n".join(m.words() for m in nadia.messages())
    assert "Léa Martin asked you to answer Integration and run for Invoice agent" in invited
    assert "Integration and run · 1/3" in nadia.question().words()
    await answer_all(nadia, only="run_")
    assert (
        "your answers to Integration and run of invoice-agent are recorded" in nadia.last().words()
    )

    await deliver(slack, database_url)
    told = "\n".join(m.words() for m in lea.messages()[-3:])
    assert "Nadia Benali answered Integration and run of invoice-agent" in told
    assert "Recommendation for invoice-agent: Industrialise" in told
