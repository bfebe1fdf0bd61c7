"""A section handed to the person who knows it, over HTTP as Teams delivers it: the owner
presses "Someone else should answer this", names Nadia with a typed @mention, and Nadia
answers the section in her own personal chat (issue 13)."""

from __future__ import annotations

from conversations.outbox import Outbox
from conversations.service import utc_now
from tests.support.scripts import READY
from tests.teams.client import Posted, TeamsPerson, questions, texts
from tests.teams.conftest import Served
from tests.teams.fakes import Call, FakeBotFramework
from tests.teams.test_interview import press_for


async def answer(person: TeamsPerson, key: str, card: Call) -> Posted:
    data = press_for(card, READY[key])
    return await person.submits(card, data) if data is not None else await person.says(READY[key])


async def test_a_section_handed_by_button_is_answered_in_another_chat_and_the_recommendation_waits(
    served: Served, fake: FakeBotFramework
) -> None:
    teams = served.client
    alice, nadia = teams.person("alice"), teams.person("nadia")
    await alice.says("hello")
    await nadia.says("hello")
    await alice.says("new Invoice agent")
    posted = await alice.says("interview invoice-agent")
    key, card = questions(posted.sent)[-1]
    while not key.startswith("run_"):
        posted = await answer(alice, key, card)
        key, card = questions(posted.sent)[-1]

    picker = await alice.presses(card, "Someone else should answer this")
    assert "Who should answer Integration and run of invoice-agent?" in picker.text()
    assert "Type ask invoice-agent integration @name to hand it to them." in picker.text()
    assert "Pick them" not in picker.text(), "a Teams card has no people picker"
    tag = "<at>Nadia</at>"
    mention = {"type": "mention", "text": tag, "mentioned": {"id": nadia.id, "name": "Nadia"}}
    handed = await teams.post(
        {**alice.personal(text=f"ask invoice-agent integration {tag}"), "entities": [mention]}
    )
    assert "Nadia now answers Integration and run of invoice-agent" in handed.text()
    key, card = questions(handed.sent)[-1]
    assert not key.startswith("run_"), "the owner's interview moved on"
    while True:
        posted = await answer(alice, key, card)
        asked = questions(posted.sent)
        if not asked:
            break
        key, card = asked[-1]
    assert "Recommendation for invoice-agent: Not enough information" in posted.text()
    assert "Integration and run: waiting for Nadia since" in posted.text()

    mark = fake.mark()
    await Outbox(served.service.store, {"teams": served.messenger}, clock=utc_now).drain()
    invited = fake.since(mark)
    shown = "\n".join(texts(c) for c in invited)
    assert all(c.conversation == nadia.personal_conversation for c in invited)
    assert "Alice asked you to answer Integration and run for Invoice agent" in shown
    assert "Integration and run · 1/3" in shown
    key, card = questions(invited)[-1]
    while True:
        assert key.startswith("run_"), key
        posted = await answer(nadia, key, card)
        asked = questions(posted.sent)
        if not asked:
            break
        key, card = asked[-1]
    assert "your answers to Integration and run of invoice-agent are recorded" in posted.text()

    summary = await alice.says("summary invoice-agent")
    assert "Recommendation: Industrialise" in summary.text()
    assert "Who answered" in summary.text() and "Nadia" in summary.text()
