"""Teams channels: install, commands by @mention, posts made unprompted, throttling."""

from __future__ import annotations

import pytest

from conversations.delivery import DeliveryError, Destination
from conversations.messages import Card, PersonRef, Say, Section
from tests.teams.client import BOT_ID, texts
from tests.teams.conftest import Served
from tests.teams.fakes import FakeBotFramework
from tests.teams.test_interview import press_for

WORKSPACE = "teams:contoso"
TEAM = "19:finance-general@thread.tacv2"
"""A team's id is the id of its General channel."""
AI_CHANNEL = "19:finance-ai@thread.tacv2"

HEALTH = Card(title="Weekly health", sections=(Section(text="invoice-agent: green"),))


async def installed(served: Served) -> None:
    posted = await served.client.post(served.client.person("carol").installs_in_team(TEAM))
    assert posted.status == 201


async def test_installing_in_a_team_welcomes_it_in_general(served: Served) -> None:
    posted = await served.client.post(served.client.person("carol").installs_in_team(TEAM))
    [welcome] = posted.sent
    assert welcome.conversation == TEAM
    assert "Mention me with help" in texts(welcome)


async def test_a_proactive_channel_post_starts_a_thread_and_can_answer_in_it(
    served: Served, fake: FakeBotFramework
) -> None:
    await installed(served)
    mark = fake.mark()
    root = await served.messenger.post(Destination(WORKSPACE, channel=TEAM), [HEALTH])
    [created] = fake.since(mark)
    assert created.kind == "create"
    assert created.body["channelData"]["channel"]["id"] == TEAM
    assert "Weekly health" in texts(created)
    assert root == created.posted_id

    mark = fake.mark()
    again = await served.messenger.post(
        Destination(WORKSPACE, channel=TEAM, thread=root), [Say("Reminder: two POCs are amber.")]
    )
    [reply] = fake.since(mark)
    assert reply.conversation == f"{TEAM};messageid={root}"
    assert again == root
    assert {c.authorization for c in fake.since(0)} == {"Bearer outbound-token-for-tests"}


async def test_a_post_to_someone_who_never_wrote_opens_their_personal_chat(
    served: Served, fake: FakeBotFramework
) -> None:
    await installed(served)
    mark = fake.mark()
    await served.messenger.post(Destination(WORKSPACE, person="29:erin"), [Say("Check-in time")])
    created, sent = fake.since(mark)
    assert created.kind == "create"
    assert created.body["members"] == [{"id": "29:erin"}]
    assert created.body["tenantID"] == "contoso"
    assert sent.conversation == created.posted_id
    assert "Check-in time" in texts(sent)


async def test_commands_by_mention_in_a_channel(served: Served, fake: FakeBotFramework) -> None:
    teams = served.client
    carol = teams.person("carol")
    await installed(served)

    # The confirmation goes to the person: the channel only gets a line saying so.
    registered = await carol.runs("new Invoice agent", channel=AI_CHANNEL, team=TEAM)
    created, said, note = registered.sent
    assert created.kind == "create" and said.conversation == created.posted_id
    assert "Registered Invoice agent as invoice-agent" in texts(said)
    assert note.kind == "reply" and str(note.conversation).startswith(f"{AI_CHANNEL};messageid=")
    assert "Registered" not in texts(note)

    posted = await carol.runs("summary invoice-agent post", channel=AI_CHANNEL, team=TEAM)
    [summary] = posted.sent
    assert str(summary.conversation).startswith(AI_CHANNEL)
    assert "invoice-agent" in texts(summary)

    nothing = await teams.post(
        {**carol.in_channel(AI_CHANNEL, TEAM, "list"), "entities": [], "text": "list"}
    )
    assert (nothing.status, nothing.sent) == (201, [])


async def test_private_answers_in_a_channel_go_to_the_personal_chat_with_a_note(
    served: Served,
) -> None:
    carol = served.client.person("carol")
    await installed(served)
    registered = await carol.runs("new Invoice agent", channel=AI_CHANNEL, team=TEAM)
    created = registered.sent[0]
    assert created.kind == "create" and created.body["members"] == [{"id": carol.id}]

    posted = await carol.runs("list", channel=AI_CHANNEL, team=TEAM)
    portfolio, note = posted.sent
    assert portfolio.conversation == created.posted_id
    assert "invoice-agent" in texts(portfolio)
    assert str(note.conversation).startswith(AI_CHANNEL)
    assert "I've sent the details to Carol in a personal chat." in texts(note)
    assert "invoice-agent" not in texts(note)

    # An error is the person's too: told in the personal chat, the thread stays quiet.
    unknown = await carol.runs("frobnicate", channel=AI_CHANNEL, team=TEAM)
    error, note = unknown.sent
    assert error.conversation == created.posted_id
    assert "I don't know the command frobnicate" in texts(error)
    assert "frobnicate" not in texts(note)


async def test_mentioned_people_are_the_people_who_later_write(served: Served) -> None:
    teams = served.client
    carol, dave = teams.person("carol"), teams.person("dave")
    await installed(served)
    await carol.runs("new Invoice agent", channel=AI_CHANNEL, team=TEAM)
    tag = "<at>Dave</at>"
    activity = carol.in_channel(AI_CHANNEL, TEAM, f"owner invoice-agent {tag}")
    activity["entities"].append(
        {"type": "mention", "text": tag, "mentioned": {"id": dave.id, "name": "Dave"}}
    )
    named = await teams.post(activity)
    assert "Dave now owns invoice-agent" in named.text()

    started = await dave.says("interview invoice-agent")
    assert "Only the owner" not in started.text()
    assert "Prohibited uses" in started.text()


async def test_throttled_posts_are_retried_with_back_off(
    served: Served, fake: FakeBotFramework, sleeps: list[float]
) -> None:
    await installed(served)
    fake.fail(429, times=2)
    mark = fake.mark()
    await served.messenger.post(Destination(WORKSPACE, channel=TEAM), [HEALTH])
    assert [c.answered for c in fake.since(mark)] == [429, 429, 200]
    assert sleeps == [1.0, 2.0]  # exponential; the test's jitter keeps the ceiling

    sleeps.clear()
    fake.fail(412, times=1, retry_after="7")
    await served.messenger.post(Destination(WORKSPACE, channel=TEAM), [HEALTH])
    assert sleeps == [7.0]  # Retry-After honoured


@pytest.mark.parametrize("status", [429, 502, 504])
async def test_a_post_still_throttled_is_left_to_the_outbox(
    served: Served, fake: FakeBotFramework, sleeps: list[float], status: int
) -> None:
    await installed(served)
    fake.fail(status, times=10)
    with pytest.raises(DeliveryError) as raised:
        await served.messenger.post(Destination(WORKSPACE, channel=TEAM), [HEALTH])
    assert raised.value.retryable
    assert sleeps == [1.0, 2.0, 4.0, 8.0]  # five attempts


async def test_a_long_retry_after_is_passed_to_the_outbox_without_waiting(
    served: Served, fake: FakeBotFramework, sleeps: list[float]
) -> None:
    await installed(served)
    fake.fail(429, times=1, retry_after="120")
    with pytest.raises(DeliveryError) as raised:
        await served.messenger.post(Destination(WORKSPACE, channel=TEAM), [HEALTH])
    assert (raised.value.retryable, raised.value.retry_after, sleeps) == (True, 120.0, [])


async def test_a_refused_post_is_not_retried(
    served: Served, fake: FakeBotFramework, sleeps: list[float]
) -> None:
    await installed(served)
    fake.fail(403)
    mark = fake.mark()
    with pytest.raises(DeliveryError) as raised:
        await served.messenger.post(Destination(WORKSPACE, channel=TEAM), [HEALTH])
    assert not raised.value.retryable
    assert (len(fake.since(mark)), sleeps) == (1, [])


async def test_replies_and_card_updates_are_retried_too(
    served: Served, fake: FakeBotFramework, sleeps: list[float]
) -> None:
    alice = served.client.person("alice")
    fake.fail(429, times=1, kinds=("reply",))
    hello = await alice.says("hello")
    assert "Hello Alice!" in hello.text()
    assert sleeps == [1.0]

    await alice.says("new Invoice agent")
    started = await alice.says("interview invoice-agent")
    [card] = [c for c in started.sent if "Prohibited uses" in texts(c)]
    fake.fail(429, times=1, kinds=("update",))
    answered = await alice.submits(card, press_for(card, "none") or {})
    assert [u.answered for u in answered.updates] == [429, 200]


async def test_after_removal_from_a_team_nothing_is_posted_there(
    served: Served, fake: FakeBotFramework
) -> None:
    teams = served.client
    carol = teams.person("carol")
    await installed(served)
    removed = await teams.post(carol.installation("remove", team=TEAM))
    assert removed.status == 201
    mark = fake.mark()
    with pytest.raises(DeliveryError) as raised:
        await served.messenger.post(Destination(WORKSPACE, channel=TEAM), [HEALTH])
    assert not raised.value.retryable
    assert fake.since(mark) == []
    # The tenant keeps the bot: people still talk to it in their personal chats.
    assert "Hello Carol!" in (await carol.says("hello")).text()


async def test_people_named_in_a_post_are_mentioned(served: Served, fake: FakeBotFramework) -> None:
    await installed(served)
    nudge = Card(
        title="Decision overdue",
        sections=(Section(text="invoice-agent", mentions=(PersonRef("29:dave", "Dave [x](y)"),)),),
    )
    mark = fake.mark()
    await served.messenger.post(Destination(WORKSPACE, channel=TEAM), [nudge])
    [created] = fake.since(mark)
    card = created.body["activity"]["attachments"][0]["content"]
    [entity] = card["msteams"]["entities"]
    assert entity["mentioned"] == {"id": "29:dave", "name": "Dave xy"}
    assert entity["text"] == "<at>Dave xy</at>"
    assert BOT_ID not in str(card)


async def test_a_reply_the_connector_rejects_ends_the_turn_quietly(
    served: Served, fake: FakeBotFramework, sleeps: list[float]
) -> None:
    fake.fail(500, times=5, kinds=("reply",))
    posted = await served.client.person("alice").says("hello")
    assert posted.status == 201
    assert [c.answered for c in posted.sent] == [500]  # not retried, and no apology piled on
    assert sleeps == []
