"""Help, the App Home, and summaries as Block Kit: shown to the person who
asked, posted to a channel only when asked to."""

from __future__ import annotations

from tests.slack.harness import Slack, texts_of
from tests.support.scripts import READY

HELP = "postpoc helps you decide what happens to an AI agent after its proof of concept."


def channel_posts(slack: Slack) -> list[str]:
    return [
        str(c.args["channel"])
        for c in slack.fake.called("chat.postMessage")
        if not str(c.args["channel"]).startswith("U")
    ]


async def test_help_in_the_dm_and_by_command(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")

    await lea.says("help")
    hook = await lea.runs("/poc help")

    assert lea.last().blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": HELP, "emoji": True},
    }
    [shown] = lea.replies(hook)
    assert shown["response_type"] == "ephemeral"
    assert "summary &lt;poc&gt; [post]" in str(shown["blocks"])
    assert channel_posts(slack) == [], "nothing in a channel that did not ask"


async def test_the_app_home_shows_my_pocs_and_resumes_the_interview(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    await lea.ticks(lea.question(), ["none"])
    asked = lea.question()

    await lea.opens_home()

    home = slack.fake.homes[lea.user_id]
    shown = str(home["blocks"])
    assert home["type"] == "home"
    assert "Invoice agent (invoice-agent)" in shown
    assert "Next question: Annex III uses" in shown
    # 57: the value questions wait for the value indicator ("none": none), which
    # replaced the separate yes/no on whether one is defined, and the prohibited
    # uses are one question (issue 13)
    assert "1 of 57 questions answered" in shown

    await lea.presses_in_home("Resume invoice-agent")

    assert lea.question().key == asked.key, "one message asks, the latest"
    assert channel_posts(slack) == []


async def test_a_summary_is_private_unless_posted(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    for _ in range(12):
        question = lea.question()
        await lea.answers(question, READY[question.key])

    private = await lea.runs("/poc summary invoice-agent")
    shared = await lea.runs("/poc summary invoice-agent post")

    [mine] = lea.replies(private)
    [everyone] = lea.replies(shared)
    assert mine["response_type"] == "ephemeral"
    assert everyone["response_type"] == "in_channel"
    blocks = everyone["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "Invoice agent (invoice-agent)"
    fields = [f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    assert "*Business manager*\nClaire Martin" in fields
    assert all(len(b.get("fields", [])) <= 10 for b in blocks)
    recommendation = next(
        b for b in blocks if "Recommendation:" in b.get("text", {}).get("text", "")
    )
    assert "• " in recommendation["text"]["text"], "the reasons, one per line"
    assert blocks[-2]["type"] == "context" or blocks[-1]["type"] == "context"
    assert len(blocks) <= 50
    assert channel_posts(slack) == [], "the channel post went through the command's response_url"


async def test_commands_in_a_channel_answer_only_the_person_who_typed_them(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    slack.person("U0OMAR", "Omar Haddad")

    hooks = [
        await lea.runs("/poc new Invoice agent"),
        await lea.runs("/poc owner invoice-agent <@U0OMAR|omar>"),
        await lea.runs("/poc subscribe weekly monday 09:00 Europe/Paris"),
        await lea.runs("/poc mentions off"),
        await lea.runs("/poc unsubscribe"),
    ]

    for hook in hooks:
        [reply] = lea.replies(hook)
        assert reply["response_type"] == "ephemeral", reply["text"]
    assert channel_posts(slack) == []


async def test_the_portfolio_and_a_decision_read_as_a_person_reads_them(slack: Slack) -> None:
    lea = slack.person("U0LEA", "Léa Martin")
    await lea.runs("/poc new Invoice agent")

    [listed] = lea.replies(await lea.runs("/poc list"))
    shown = str(listed["blocks"])
    assert "Portfolio: one POC" in shown and "1 POCs" not in shown
    assert "1 at stage POC" in shown and "POC: 1" not in shown

    [decided] = lea.replies(await lea.runs("/poc decide invoice-agent frame Monitoring first"))
    words = "\n".join(texts_of(decided["blocks"]))
    assert "Decision on Invoice agent (invoice-agent): Frame" in words
    assert words.count("Frame") == 1, "the decision card says its outcome once"
