"""Every request delivered twice or more, one copy after the other or at the
same time, and again long after: what is stored is as if each came once.

Each test runs the same conversation twice against its own bot and database:
once with every request delivered once (the control), once with every
request delivered two or three times (in order, with Slack's retry header
where Slack would resend, or interleaved) and then every one of them replayed
at the end, in a seeded random order. The two databases must hold the same
things (people, POCs, interviews, answers, decisions, outbox, audit trail),
and the person must have been shown as many messages.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.slack import ids
from storage.database import make_engine, resolve_url
from storage.migrate import upgrade
from storage.repository import Store
from tests.reliability.support.state import snapshot
from tests.slack.conftest import StartBot, no_slack_environment
from tests.slack.harness import Message, Reply, Slack, sign
from tests.slack.harness import Person as SlackPerson
from tests.support.scripts import READY
from tests.teams.client import TeamsBotClient, TeamsPerson, press_for, questions
from tests.teams.conftest import serve
from tests.teams.fakes import FakeBotFramework

__all__ = ["no_slack_environment"]

SEED = 20261125
ANSWERED = 16
"""Questions answered in each run: buttons, checkboxes, people picked, typed."""


# -- Slack ----------------------------------------------------------------------------


@dataclass
class Repeating(Slack):
    """A Slack that delivers every request ``copies`` times, and keeps them all
    for :meth:`replay`."""

    copies: int = 2
    random: random.Random = field(default_factory=lambda: random.Random(SEED))
    sent: list[tuple[str, str]] = field(default_factory=list)
    modes: Counter[str] = field(default_factory=Counter)

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        settle: bool = True,
    ) -> Reply:
        self.sent.append((body, content_type))
        copies = self.random.choice((2, 3))
        mode = self.random.choice(("in order", "interleaved"))
        self.modes[mode] += 1
        if mode == "interleaved":
            replies = list(
                await asyncio.gather(*(self.deliver(body, content_type, n) for n in range(copies)))
            )
        else:
            replies = [await self.deliver(body, content_type, n) for n in range(copies)]
        assert all(200 <= r.status < 300 for r in replies), [r.status for r in replies]
        if settle:
            await self.settled()
        # Which copy answered "for real" depends on who won: the one with a body.
        return next((r for r in replies if r.body), replies[0])

    async def deliver(self, body: str, content_type: str, attempt: int) -> Reply:
        """One copy, signed now; an event's copies say they are Slack's retries."""
        headers = sign(body)
        if attempt and content_type == "application/json":
            headers |= {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
        return await Slack.send(self, body, content_type, headers=headers, settle=False)

    async def replay(self) -> None:
        """Every request once more, long after, in a random order (Slack's last
        retry comes after five minutes; a proxy may replay anything)."""
        late = list(self.sent)
        self.random.shuffle(late)
        for body, content_type in late:
            reply = await self.deliver(body, content_type, attempt=3)
            assert 200 <= reply.status < 300
        await self.settled()


def editable(person: SlackPerson) -> list[Message]:
    """The answered questions in the DM, each with its Edit button."""
    return [
        m
        for m in person.messages()
        if any(element.get("action_id") == ids.EDIT for _, element in m.elements())
    ]


def view_opened(slack: Slack, before: set[str]) -> str:
    [view_id] = set(slack.fake.views) - before
    return view_id


async def slack_conversation(slack: Slack, n: int) -> dict[str, str]:
    """Léa registers a POC, answers every kind of question, edits one answer in a
    modal, cancels another edit, opens her App Home and resumes from it, and
    shares a summary. Returns the user ids, to name them alike in both runs."""
    lea = slack.person(f"U{n}LEA", "Léa Martin")
    claire = slack.person(f"U{n}CLAIRE", "Claire Martin")
    await lea.says("hello")
    await lea.runs("/poc new Invoice agent")
    await lea.runs("/poc interview invoice-agent")
    for _ in range(ANSWERED):
        question = lea.question()
        await lea.answers(question, READY[question.key], {"Claire Martin": claire.user_id})
    views = set(slack.fake.views)
    await lea.presses_edit(editable(lea)[0])
    reply = await lea.submits(view_opened(slack, views), options=["manipulation"])
    assert not reply.json().get("errors")
    views = set(slack.fake.views)
    await lea.presses_edit(editable(lea)[1])
    await lea.closes(view_opened(slack, views))
    await lea.opens_home()
    await lea.presses_in_home("Resume invoice-agent")
    question = lea.question()
    await lea.answers(question, READY[question.key])
    await lea.runs("/poc summary invoice-agent post")
    await lea.runs("/poc decide invoice-agent frame Good value, needs a kill switch")
    return {lea.user_id: "lea", claire.user_id: "claire"}


def seen_by(slack: Slack, user: str) -> dict[str, Any]:
    """What a person was shown: their DM's messages and what the bot answered
    through response_url, counted."""
    dm = slack.fake.dm_channel(user)
    hooks = {c.path for c in slack.fake.calls if c.method == "response_url"}
    return {
        "dm messages": sum(1 for channel, _ in slack.fake.messages if channel == dm),
        "open questions": sum(
            1
            for (channel, _), m in slack.fake.messages.items()
            if channel == dm and any("question|" in b.get("block_id", "") for b in m["blocks"])
        ),
        "replies to commands": len(hooks),
    }


async def test_slack_requests_delivered_many_times_store_what_one_delivery_stores(
    start_bot: StartBot, database_url: str, tmp_path: Path
) -> None:
    control = await start_bot(f"sqlite:///{tmp_path / 'control.db'}")
    names = await slack_conversation(control, 0)
    expected = await snapshot(control.bot.service.store.engine, names)

    single = await start_bot(database_url, postpoc_admins="U1LEA")  # Léa of the second run
    repeating = Repeating(
        single.bot_url,
        single.fake,
        single.bot,
        single.session,
        _ids=itertools.count(100_000),
    )
    names_again = await slack_conversation(repeating, 1)
    await repeating.replay()

    got = await snapshot(single.bot.service.store.engine, names_again)
    assert got == expected
    assert seen_by(single, "U1LEA") == seen_by(control, "U0LEA")
    assert repeating.modes["in order"] and repeating.modes["interleaved"]
    assert len(repeating.sent) >= ANSWERED + 10


# -- Teams ----------------------------------------------------------------------------


@dataclass
class Posting:
    """Posts activities to the bot ``copies`` times: in order or at once."""

    client: TeamsBotClient
    copies: int = 1
    random: random.Random = field(default_factory=lambda: random.Random(SEED))
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, activity: dict[str, Any], **options: Any) -> Any:
        self.sent.append(activity)
        copies = self.random.choice((2, 3)) if self.copies > 1 else 1
        if copies > 1 and self.random.random() < 0.5:
            posted = await asyncio.gather(
                *(self.client.post(activity, **options) for _ in range(copies))
            )
        else:
            posted = [await self.client.post(activity, **options) for _ in range(copies)]
        statuses = {p.status for p in posted}
        assert len(statuses) == 1, f"the copies were answered differently: {statuses}"
        return max(posted, key=lambda p: len(p.calls))

    async def replay(self) -> None:
        late = list(self.sent)
        self.random.shuffle(late)
        for activity in late:
            await self.client.post(activity)


def invoke(person: TeamsPerson) -> dict[str, Any]:
    """An invoke postpoc does not answer (an Adaptive Card Action.Execute)."""
    return person.personal(
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "x", "data": {}}},
    )


async def teams_conversation(client: TeamsBotClient, post: Posting, user: str) -> dict[str, str]:
    """An owner installs postpoc in a team and for themselves, runs commands, and
    answers questions through cards and typing; an invoke comes too."""
    person = client.person(user)
    await post(person.installs_in_team("19:team"))
    await post(person.installation("add"))
    await post(person.personal(text="hello", textFormat="plain"))
    await post(person.in_channel("19:general", "19:team", "new Invoice agent"))
    posted = await post(person.personal(text="interview invoice-agent", textFormat="plain"))
    for _ in range(12):
        asked = questions(posted.sent)
        assert asked, posted.text()
        key, card = asked[-1]
        data = press_for(card, READY[key])
        if data is not None:
            posted = await post(person.personal(replyToId=card.posted_id, value=data))
        else:
            posted = await post(person.personal(text=READY[key], textFormat="plain"))
    await post(invoke(person))
    await post(person.in_channel("19:general", "19:team", "summary invoice-agent post"))
    return {person.id: "owner"}


async def test_teams_activities_delivered_many_times_store_what_one_delivery_stores(
    fake: FakeBotFramework, sleeps: list[float], database_url: str, tmp_path: Path
) -> None:
    control_url = resolve_url(f"sqlite:///{tmp_path / 'control.db'}")
    upgrade(control_url)
    stores = [Store(make_engine(control_url)), Store(make_engine(resolve_url(database_url)))]
    upgrade(resolve_url(database_url))
    got: list[dict[str, Any]] = []
    sent: list[int] = []
    try:
        for copies, store in zip((1, 3), stores, strict=True):
            runs = serve(store, fake, sleeps)
            served_bot = await runs.__anext__()
            try:
                post = Posting(served_bot.client, copies=copies)
                mark = fake.mark()
                names = await teams_conversation(served_bot.client, post, f"owner{copies}")
                if copies > 1:
                    await post.replay()
                got.append(await snapshot(store.engine, names))
                sent.append(
                    sum(
                        1
                        for c in fake.since(mark)
                        if c.kind != "update" and c.body.get("type") != "typing"
                    )
                )
            finally:
                await runs.aclose()
    finally:
        for store in stores:
            await store.dispose()
    control, repeated = got
    assert repeated == control
    assert control["answers"], "the conversation answered questions"
    assert sent[1] == sent[0], "as many messages sent"
