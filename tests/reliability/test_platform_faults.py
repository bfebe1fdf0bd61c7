"""Platform faults: the fake Slack Web API and the fake Bot Connector fail
calls at a set rate, seeded: 429 with ``Retry-After``, 500 (and, for Teams,
412, 502, 504), connections reset before an answer, and (Slack) answers that
come after the client gave up, the call having been acted on.

Meanwhile owners answer their interviews and the weekly pass sends nudges and
check-ins, pass after pass. Every post eventually goes out, and once: a post
Slack acted on without the bot hearing back is found in the DM it was posted
to, or, in a channel the bot can't read, not sent again and flagged. Every
answer acknowledged is stored once; acknowledgements stay well within
Slack's 3 seconds while replies are retried; the conversation can always go
on. Back-off waits are recorded, not slept; the only real waits are the
Slack client's short timeout (half a second).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.slack import ids
from conversations.engine import read_token
from conversations.outbox import Outbox, OutboxSettings
from conversations.service import Service
from conversations.watch import Watch
from storage.database import make_engine, resolve_url
from storage.migrate import upgrade
from storage.repository import Store
from tests.reliability.support.seed import interviews, portfolio
from tests.reliability.support.slack_client import described
from tests.slack.conftest import StartBot, no_slack_environment
from tests.slack.fake_slack import FAULTS, Chaos, FakeSlack
from tests.slack.harness import Person as SlackPerson
from tests.slack.harness import Reply, Slack
from tests.support.conversation import Clock
from tests.support.scripts import READY
from tests.teams.client import TeamsBotClient, press_for, questions, texts
from tests.teams.conftest import serve
from tests.teams.fakes import RESET, FakeBotFramework
from tests.teams.fakes import Call as ConnectorCall
from tests.teams.fakes import Chaos as ConnectorChaos

__all__ = ["no_slack_environment"]

SEED = 777
RATE = 0.25
"""One call in four fails."""
CLIENT_TIMEOUT = 0.5
"""The Slack client's timeout in these tests; a late answer comes after 0.8 s."""
OWNERS = [("U0ANA", "Ana Alves"), ("U0BEN", "Ben Brun"), ("U0CLE", "Cleo Chen")]
ANSWERS = 12
CHANNELS = ("C0FIN", "C0OPS", "C0HR", "C0IT", "C0LAW")
PASSES = 12
TEAMS_ANSWERS = 12


async def settled_outbox(store: Store) -> list[tuple[str, str, str, str | None]]:
    async with store.engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT idempotency_key, target, status, last_error FROM delivery")
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def weekly_passes(service: Service, messengers: dict[str, Any], now: datetime) -> int:
    """Passes of the weekly watch, an hour apart, until nothing is left to send."""
    clock = Clock(now)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    sender = Outbox(service.store, messengers, clock=clock, sleep=sleep, settings=OutboxSettings())
    watch = Watch(service.store, sender, clock=clock, bank=service.bank)
    for passes in range(1, PASSES + 1):
        await watch.tick()
        left = [r for r in await settled_outbox(service.store) if r[2] in ("pending", "sending")]
        if not left:
            return passes
        clock.advance(hours=1)
    raise AssertionError(f"still to send after {PASSES} passes: {left}")


# -- Slack --------------------------------------------------------------------------------


@dataclass
class Timed(Slack):
    """The harness, timing each acknowledgement."""

    acks: list[float] = field(default_factory=list)

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        settle: bool = True,
    ) -> Reply:
        started = time.perf_counter()
        reply = await Slack.send(self, body, content_type, headers=headers, settle=False)
        self.acks.append(time.perf_counter() - started)
        if settle:
            await self.settled()
        return reply


async def current_key(store: Store, handle: str) -> str:
    async with store.engine.connect() as connection:
        found = await connection.execute(
            sa.text(
                "SELECT i.current_key FROM interview i JOIN poc ON poc.id = i.poc_id "
                "WHERE poc.handle = :handle AND i.flow = 'post-poc'"
            ),
            {"handle": handle},
        )
        key = found.scalar_one()
        assert isinstance(key, str)
        return key


async def answer_counts(store: Store) -> Counter[tuple[str, str]]:
    async with store.engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT poc.handle, a.question_key FROM answer a JOIN poc ON poc.id = a.poc_id")
        )
        return Counter((handle, key) for handle, key in rows.all())


def shown_open(person: SlackPerson, key: str) -> list[Any]:
    return [
        m
        for m in person.messages()
        if m.is_open and (token := read_token(m.token or "")) is not None and token.key == key
    ]


async def interview(
    person: SlackPerson, handle: str, store: Store, rng: random.Random, acked: list[Any]
) -> None:
    """Answers, pressing the question's buttons when it is shown, else typing."""
    for _ in range(ANSWERS):
        key = await current_key(store, handle)
        shown = shown_open(person, key)
        if shown and rng.random() < 0.7:
            reply = await person.answers(shown[-1], READY[key])
        else:
            reply = await person.says(READY[key])
        assert reply.status == 200, reply
        acked.append((handle, key))


def outbox_key(args: dict[str, Any]) -> str:
    """The outbox key a post carries ("kind:..."), or ""."""
    key = ((args.get("metadata") or {}).get("event_payload") or {}).get("key", "")
    return str(key) if ":" in str(key) else ""


def first_attempts_fail() -> Callable[[str, dict[str, Any]], str | None]:
    """Each weekly post's first attempt meets a fault, in turn of each kind;
    other calls fail by chance."""
    kinds = itertools.cycle(FAULTS)
    tried: set[str] = set()

    def script(method: str, args: dict[str, Any]) -> str | None:
        key = outbox_key(args) if method == "chat.postMessage" else ""
        if not key or key in tried:
            return None
        tried.add(key)
        return next(kinds)

    return script


def outbox_faults(fake: FakeSlack) -> Counter[str]:
    """The faults the weekly posts met (they carry their outbox key, "kind:...")."""
    met: Counter[str] = Counter()
    for call in fake.calls:
        if call.method == "chat.postMessage" and outbox_key(call.args):
            if call.late:
                met["timeout"] += 1
            elif call.status in (429, 500):
                met[str(call.status)] += 1
            elif call.status == 0:
                met["reset"] += 1
    return met


def questions_posted(fake: FakeSlack) -> Counter[str]:
    """How many messages each question token was posted in."""
    posted: Counter[str] = Counter()
    for (channel, _), message in fake.messages.items():
        if channel.startswith("D") and not message.get("metadata"):
            for block in message["blocks"] or []:
                token = ids.question_token(block.get("block_id", ""))
                if token:
                    posted[token] += 1
    return posted


async def test_slack_posts_go_out_once_through_rate_limits_outages_timeouts_and_resets(
    start_bot: StartBot, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'faults.db'}"
    now = datetime.now(UTC)
    handles = await interviews(database_url, OWNERS)
    checked = await portfolio(
        database_url, now - timedelta(days=30), OWNERS, CHANNELS, 9, {}, first=len(OWNERS) + 1
    )
    plain = await start_bot(database_url, web_api_timeout=CLIENT_TIMEOUT)
    slack = Timed(plain.bot_url, plain.fake, plain.bot, plain.session, sleeps=plain.sleeps)
    people = [slack.person(user, name) for user, name in OWNERS]
    store = slack.bot.service.store
    for person in people:  # each owner has seen the bot once: their DM is known
        await person.says("hello")
    slack.fake.chaos = Chaos(
        rate=RATE,
        seed=SEED,
        late=CLIENT_TIMEOUT + 0.3,
        methods=frozenset(FAULTY_SLACK),
        script=first_attempts_fail(),
    )
    acked: list[tuple[str, str]] = []
    rng = random.Random(SEED)

    started = time.perf_counter()
    passes, *_ = await asyncio.gather(
        weekly_passes(slack.bot.service, {"slack": slack.bot.messenger}, now),
        *(interview(p, h, store, rng, acked) for p, h in zip(people, handles, strict=True)),
    )
    await slack.settled()
    took = time.perf_counter() - started
    injected = dict(slack.fake.chaos.injected)
    slack.fake.chaos = None

    # Answers: each acknowledged one stored once; acknowledgements never near 3 s.
    stored = await answer_counts(store)
    assert {a: stored[a] for a in acked} == dict.fromkeys(acked, 1)
    assert max(slack.acks) < 2.5, described(slack.acks)
    # Questions: none posted twice; the conversation goes on from where it is.
    assert [t for t, n in questions_posted(slack.fake).items() if n > 1] == []
    for person, handle in zip(people, handles, strict=True):
        key = await current_key(store, handle)
        await person.says("hello")
        assert len(shown_open(person, key)) == 1, f"{handle}: {key} is not shown"
    # Weekly posts: every one out once, or (a channel post Slack acted on without
    # answering) not sent again and flagged.
    rows = await settled_outbox(store)
    assert len(rows) >= len(CHANNELS) + len(checked)
    flagged = []
    for key, target, status, error in rows:
        posted = len(slack.fake.posts_keyed(key))
        if status == "sent":
            assert posted == 1, (key, posted)
            continue
        # Not sent again since it may be there, or (its thread's first message
        # being so) never sent: only in a channel, where Slack can't be asked.
        maybe = status == "unconfirmed" or "may have been posted" in (error or "")
        assert status in ("failed", "unconfirmed") and target.startswith("channel:"), key
        assert maybe or key.endswith(":detail"), (key, error)
        assert posted <= (1 if maybe else 0), (key, posted, error)
        flagged.append(key)
    assert injected.keys() == {"429", "500", "reset", "timeout"}, injected
    met = outbox_faults(slack.fake)
    assert min(met[fault] for fault in FAULTS) >= 2, f"weekly posts met only {met}"
    print(
        f"\nslack, faults injected {injected} in {took:.1f} s; acks {described(slack.acks)}; "
        f"weekly posts {Counter(r[2] for r in rows)} in {passes} passes"
        + (f" (flagged: {flagged})" if flagged else "")
    )


FAULTY_SLACK = {
    "chat.postMessage",
    "chat.update",
    "users.info",
    "conversations.history",
    "response_url",
    "views.publish",
}


# -- Teams ----------------------------------------------------------------------------------


def where(call: ConnectorCall) -> str:
    """The conversation a message went to: a channel (a new thread or in one), a chat."""
    if call.kind == "create":
        return str(((call.body.get("channelData") or {}).get("channel") or {}).get("id"))
    return re.sub(r";messageid=.*", "", call.conversation or "")


async def test_teams_posts_go_out_once_through_throttling_outages_and_resets(
    fake: FakeBotFramework, sleeps: list[float], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    database_url = f"sqlite:///{tmp_path / 'teams.db'}"
    upgrade(resolve_url(database_url))
    store = Store(make_engine(resolve_url(database_url)))
    runs = serve(store, fake, sleeps)
    served = await runs.__anext__()
    try:
        client: TeamsBotClient = served.client
        owner = client.person("ana")
        await client.post(owner.installs_in_team("19:team"))
        await owner.says("hello")
        await client.post(owner.in_channel("19:general", "19:team", "new Invoice agent"))
        await client.post(owner.in_channel("19:ai", "19:team", "list"))
        posted = await owner.says("interview invoice-agent")
        ana = (owner.id, owner.name)
        checked = await portfolio(
            database_url,
            now - timedelta(days=30),
            [ana],
            ("19:general", "19:ai"),
            6,
            {},
            workspace="teams:contoso",
            lead=ana,
            first=2,
        )

        fake.chaos = ConnectorChaos(rate=0.3, seed=SEED)
        mark = fake.mark()
        answered = 0
        for _ in range(TEAMS_ANSWERS * 2):
            asked = questions(posted.sent)
            if not asked:  # the question's card did not get through: ask for it again
                posted = await owner.says("hello")
                continue
            key, card = asked[-1]
            data = press_for(card, READY[key])
            if data is not None:
                posted = await owner.submits(card, data)
            else:
                posted = await owner.says(READY[key])
            assert posted.status == 201
            answered += 1
            if answered == TEAMS_ANSWERS:
                break
        interactive = fake.mark()
        passes = await weekly_passes(Service(store), {"teams": served.messenger}, now)
        chaos, fake.chaos = fake.chaos, None

        rows = await settled_outbox(store)
        assert {r[2] for r in rows} == {"sent"}, rows
        assert len(rows) >= 1 + len(checked)
        proactive = [c for c in fake.since(interactive) if c.answered == 200]
        seen = Counter((where(c), texts(c)) for c in proactive)
        assert [k for k, n in seen.items() if n > 1] == [], "a post went out twice"
        assert answered == TEAMS_ANSWERS
        statuses = Counter(c.answered for c in fake.since(mark))
        assert set(chaos.injected) >= {429, 500, RESET}, (chaos.injected, statuses)
        print(
            f"\nteams, faults injected {dict(chaos.injected)}; connector answers "
            f"{dict(statuses)}; weekly posts {Counter(r[2] for r in rows)} in {passes} passes; "
            f"back-off asked {sum(sleeps):.0f} s (not slept)"
        )
    finally:
        await runs.aclose()
        await store.dispose()
