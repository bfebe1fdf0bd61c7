"""Commands typed in the personal chat in the middle of an interview, and help, over HTTP."""

from __future__ import annotations

from tests.support.scripts import READY
from tests.teams.client import Posted, TeamsBotClient, TeamsPerson, questions
from tests.teams.test_interview import press_for, started


async def until_typed(alice: TeamsPerson, posted: Posted, key: str) -> Posted:
    """Answers from the script until the question ``key`` is asked."""
    for _ in range(100):
        asked = questions(posted.sent)
        current, card = asked[-1]
        if current == key:
            return posted
        data = press_for(card, READY[current])
        posted = await (alice.submits(card, data) if data else alice.says(READY[current]))
    raise AssertionError(f"{key} never asked")


async def test_commands_typed_mid_interview_run_and_are_never_stored(
    teams: TeamsBotClient,
) -> None:
    alice, posted = await started(teams)
    await alice.says("/poc depth invoice-agent full")  # who uses it is asked at full depth
    posted = await alice.says("/poc interview invoice-agent")
    await until_typed(alice, posted, "use_users")

    listed = await alice.says("list")

    assert "Invoice agent (invoice-agent)" in listed.text()
    summary = await alice.says("summary invoice-agent")
    assert "Recommendation" in summary.text()
    # the question still waits: its answer is what comes next, not "list"
    answered = await alice.says(READY["use_users"])
    assert [key for key, _ in questions(answered.sent)] == ["use_task"]


async def test_help_mid_interview_explains_the_question_first_then_commands_for_teams(
    teams: TeamsBotClient,
) -> None:
    alice, _ = await started(teams)

    shown = (await alice.says("help")).text()

    assert shown.index("EU AI Act art. 5(1)(a)-(c)") < shown.index("list  —")
    # typed to the bot as is: no /poc in a Teams chat
    assert "/poc" not in shown
    assert "decide <poc> stop|frame|industrialise <rationale>" in shown


async def test_help_and_the_welcome_list_only_what_a_member_may_do(
    teams: TeamsBotClient,
) -> None:
    alice = teams.person("alice")
    await alice.says("hello")  # the first person is the admin
    bob = teams.person("bob")

    for shown in ((await bob.says("hello")).text(), (await bob.says("help")).text()):
        assert "list  —" in shown and "summary <poc> [post]" in shown
        assert "decide <poc>" not in shown and "role <person>" not in shown
        assert "Your role: member" in shown
