"""Crashes: the bot process is killed (SIGKILL) at random points, many times
over, on SQLite and PostgreSQL, and started again.

- **Interviews** (``postpoc serve``): owners answer their interviews over
  HTTP, as Slack delivers (typed answers as ``message.im`` events, buttons,
  checkboxes and pickers as ``block_actions``), while the bot is killed at
  random moments: after a random delay, or as it makes its n-th call of a
  Web API method (``users.info`` before storing an answer, ``chat.update``
  and ``chat.postMessage`` after). A request is acknowledged once its inbox
  row is committed and its step runs after, so a kill at ``users.info`` (or
  after a random delay) lands between the inbox commit and the step: the
  next process finishes that row. An event that got no 2xx is resent as
  Slack resends it. Afterwards every answer that got a 2xx is stored exactly
  once, nothing is stored twice, nothing acknowledged is left in the inbox,
  each interview's current question is one not yet answered, and each
  interview takes its next answer. An owner answers the question they see:
  after each 2xx they wait for the bot to have handled what they sent (their
  inbox rows done), as a person waits for the next question.
- **The weekly pass** (``postpoc tick``): a portfolio due for its weekly
  nudges and check-ins; each pass is killed at a random moment (after a random
  delay, or as Slack receives its n-th post, before the bot hears back). A
  last pass, after the leases of the interrupted posts ran out, settles
  everything: each post is in Slack exactly once, or, where Slack can't be
  asked (a channel: no ``channels:history``), at most once and flagged
  ``unconfirmed``. A check-in to a person whose DM is known is never left
  unconfirmed: the DM is read back.

Seeded randomness and bounded counts and waits: a run takes about half a
minute per database.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from conversations.engine import read_token
from storage.database import make_engine, resolve_url
from tests.reliability.support.processes import Process, Server, environment, free_port, run_to_end
from tests.reliability.support.seed import interviews, portfolio
from tests.reliability.support.slack_client import Capture, Sender
from tests.slack.conftest import BOT_TOKEN, no_slack_environment
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.harness import SECRET
from tests.slack.harness import Person as SlackPerson
from tests.support.scripts import READY

__all__ = ["no_slack_environment"]

SEED = 4242
KILLS = 10
OWNERS = [
    ("U0ANA", "Ana Alves"),
    ("U0BEN", "Ben Brun"),
    ("U0CLE", "Cleo Chen"),
    ("U0DAN", "Dan Diaz"),
]
CLAIRE = ("U0CLAIRE", "Claire Martin")
ANSWERS = 40
"""At most, per owner; they stop answering once the kills are done."""
KILL_AT = ("delay", "delay", "users.info", "chat.update", "chat.postMessage")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The test's own connection to the bot's database, to read what it stored."""
    found = make_engine(resolve_url(database_url))
    try:
        yield found
    finally:
        await found.dispose()


def serve(fake: FakeSlack, database_url: str, folder: Path) -> Server:
    env = environment(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=database_url,
        SCHEDULER="false",
        HOST="127.0.0.1",
    )
    port = free_port()
    return Server(("serve",), {**env, "PORT": str(port)}, folder, port=port)


@dataclass
class Killer:
    """Kills a process at random moments: after a delay, or at its n-th call
    of a Web API method as the fake Slack receives it."""

    fake: FakeSlack
    random: random.Random
    ways: Counter[str] = field(default_factory=Counter)

    async def kill(self, process: Process, done: asyncio.Event, *, calls: tuple[str, ...]) -> None:
        """Kill ``process`` one way or another, unless it ends first (or ``done``)."""
        way = self.random.choice(calls)
        assert process.running is not None
        ended = asyncio.Event()
        watching = asyncio.ensure_future(process.running.wait())
        watching.add_done_callback(lambda _: ended.set())
        try:
            await self._kill(process, way, done, ended)
        finally:
            watching.cancel()

    async def _kill(
        self, process: Process, way: str, done: asyncio.Event, ended: asyncio.Event
    ) -> None:
        if way == "delay":
            await _until(done, self.random.uniform(0.05, 1.0), ended)
            process.kill()
        else:
            wanted = self.random.randint(1, 5)
            fired = asyncio.Event()
            seen = 0

            def on_call(call: Call) -> None:
                nonlocal seen
                if call.method == way:
                    seen += 1
                    if seen >= wanted:
                        process.kill()  # before Slack's answer reaches the bot
                        fired.set()

            self.fake.on_call = on_call
            try:
                await _until(done, 4.0, fired, ended)
            finally:
                self.fake.on_call = None
                process.kill()
        self.ways[way] += 1


async def _until(done: asyncio.Event, seconds: float, *others: asyncio.Event) -> None:
    """Wait ``seconds``, or less if any event is set first."""
    waiting = [asyncio.ensure_future(e.wait()) for e in (done, *others)]
    try:
        await asyncio.wait(waiting, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waiting:
            task.cancel()


# -- interviews -----------------------------------------------------------------------


async def current_key(engine: AsyncEngine, handle: str) -> str | None:
    async with engine.connect() as connection:
        found = await connection.execute(
            sa.text(
                "SELECT i.current_key FROM interview i JOIN poc ON poc.id = i.poc_id "
                "WHERE poc.handle = :handle AND i.flow = 'post-poc' ORDER BY i.id DESC"
            ),
            {"handle": handle},
        )
        return found.scalars().first()


async def inbox_pending(engine: AsyncEngine, user: str | None = None) -> int:
    async with engine.connect() as connection:
        found = await connection.execute(
            sa.text("SELECT count(*) FROM inboxentry WHERE status = 'pending' AND lane LIKE :lane"),
            {"lane": f"%:{user}" if user else "%"},
        )
        return int(found.scalar_one())


async def handled(engine: AsyncEngine, user: str | None = None, seconds: float = 60.0) -> None:
    """Until the bot has handled what ``user`` (or anyone) sent: no inbox row
    left pending. A row left by a killed process waits for its lease to run out."""
    async with asyncio.timeout(seconds):
        # The bot is another process: its database is all there is to watch.
        while await inbox_pending(engine, user):  # noqa: ASYNC110
            await asyncio.sleep(0.1)


async def seen_to(engine: AsyncEngine, user: str) -> None:
    """An owner waits a while for their answer to be handled, then goes on:
    while the bot is killed every few seconds, a row may wait for several
    processes (each takes it over once the last one's lease ran out)."""
    with contextlib.suppress(TimeoutError):
        await handled(engine, user, seconds=15.0)


async def answer_counts(engine: AsyncEngine) -> Counter[tuple[str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT poc.handle, a.question_key FROM answer a JOIN poc ON poc.id = a.poc_id")
        )
        return Counter((handle, key) for handle, key in rows.all())


@dataclass
class Owner:
    """An owner answering their interview, the way they are asked to."""

    person: SlackPerson
    capture: Capture
    handle: str
    random: random.Random

    async def request(self, key: str) -> tuple[str, str]:
        """Their answer to ``key``: pressed on its message when it is shown
        open, else typed."""
        shown = [
            m
            for m in self.person.messages()
            if m.is_open and (token := read_token(m.token or "")) and token.key == key
        ]
        if shown and self.random.random() < 0.7:
            await self.person.answers(shown[-1], READY[key], {CLAIRE[1]: CLAIRE[0]})
        else:
            await self.person.says(READY[key])
        return self.capture.take()


async def answering(
    owner: Owner,
    sender: Sender,
    engine: AsyncEngine,
    done: asyncio.Event,
    acked: list[tuple[str, str]],
) -> None:
    for _ in range(ANSWERS):
        if done.is_set():
            return
        key = await current_key(engine, owner.handle)
        assert key is not None, f"{owner.handle}: no current question"
        body, content_type = await owner.request(key)
        reply = await sender.deliver(body, content_type, resend=content_type == "application/json")
        if reply is not None:
            acked.append((owner.handle, key))
            await seen_to(engine, owner.person.user_id)
        else:
            await sender.back()  # the owner tries again once the bot is back


async def test_answers_acknowledged_before_a_kill_are_kept_once(
    fake_slack: FakeSlack, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    fake_slack.add_user(*CLAIRE)
    # full depth: a light interview (38 questions) can end before the kills do
    handles = await interviews(database_url, OWNERS, depth="full")
    server = serve(fake_slack, database_url, tmp_path / "serve")
    capture = Capture("", fake_slack, None, None)  # type: ignore[arg-type]
    choosing = random.Random(SEED)
    owners = [
        Owner(capture.person(user, name), capture, handle, choosing)
        for (user, name), handle in zip(OWNERS, handles, strict=True)
    ]
    up, done = asyncio.Event(), asyncio.Event()
    acked: list[tuple[str, str]] = []
    killer = Killer(fake_slack, random.Random(SEED + 1))
    await server.start()
    up.set()
    try:
        async with aiohttp.ClientSession() as session:
            sender = Sender(session, lambda: server.url, up)
            people = [
                asyncio.ensure_future(answering(o, sender, engine, done, acked)) for o in owners
            ]
            for _ in range(KILLS):
                await killer.kill(server, done, calls=KILL_AT)
                up.clear()
                await server.restart()
                up.set()
            done.set()
            async with asyncio.timeout(60):
                await asyncio.gather(*people)

            # Every acknowledged answer is stored, and nothing twice.
            await handled(engine, seconds=120.0)
            assert await inbox_pending(engine) == 0
            stored = await answer_counts(engine)
            assert acked and len(set(acked)) >= len(OWNERS) * 3, acked
            assert {a: stored[a] for a in set(acked)} == {a: 1 for a in set(acked)}
            assert [a for a, n in stored.items() if n > 1] == []
            # No interview is stuck: its question is unanswered, and it takes the next answer.
            for owner in owners:
                key = await current_key(engine, owner.handle)
                assert key is not None and stored[(owner.handle, key)] == 0, (owner.handle, key)
                owner.person.slack.captured.clear()
                await owner.person.says(READY[key])
                body, content_type = capture.take()
                assert await sender.deliver(body, content_type, resend=True) is not None
                await handled(engine, owner.person.user_id)
                assert (await answer_counts(engine))[(owner.handle, key)] == 1
                assert await current_key(engine, owner.handle) != key
    finally:
        await server.stop()
    assert server.kills == KILLS, server.tail()
    assert set(killer.ways) == set(KILL_AT), killer.ways
    print(
        f"\n{KILLS} kills ({dict(killer.ways)}); {len(acked)} answers acknowledged, "
        f"{sender.failures} deliveries unanswered"
    )


# -- the weekly pass --------------------------------------------------------------------

CHANNELS = ("C0FIN", "C0OPS", "C0HR", "C0IT", "C0LAW", "C0RND")
CHECKED = OWNERS[:3]
KNOWN_DM = {user: "D" + user[1:] for user, _ in CHECKED[:2]}
"""Two owners' DMs are known to the bot (it posted questions there); one's is not."""
POCS = 9


def tick(fake: FakeSlack, database_url: str, folder: Path, now: datetime | None = None) -> Process:
    env = environment(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=database_url,
    )
    if now is not None:
        env["POSTPOC_NOW"] = now.isoformat()
    return Process(("tick",), env, folder)


async def deliveries(engine: AsyncEngine) -> list[tuple[str, str, str, str | None]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT idempotency_key, target, status, last_error FROM delivery")
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_weekly_posts_interrupted_by_kills_go_out_once_or_are_flagged(
    fake_slack: FakeSlack, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    await portfolio(database_url, now - timedelta(days=30), CHECKED, CHANNELS, POCS, KNOWN_DM)
    killer = Killer(fake_slack, random.Random(SEED + 2))
    folder = tmp_path / "tick"
    never: asyncio.Event = asyncio.Event()
    for _ in range(KILLS):
        process = tick(fake_slack, database_url, folder)
        await process.spawn()
        await killer.kill(process, never, calls=("delay", "chat.postMessage", "chat.postMessage"))
        await process.wait()
    # Later, once the leases of the interrupted posts have run out.
    later = now + timedelta(minutes=10)
    for _ in range(2):
        # 1 when a detail whose thread was never confirmed fails for good (allowed below).
        assert await run_to_end(tick(fake_slack, database_url, folder, later)) in (0, 1)

    rows = await deliveries(engine)
    statuses = Counter(status for _, _, status, _ in rows)
    keys = [key for key, *_ in rows]
    assert sum(k.startswith("nudge:") for k in keys) >= len(CHANNELS)
    assert sum(k.startswith("checkin:") for k in keys) >= POCS
    left = [row for row in rows if row[2] not in ("sent", "unconfirmed", "failed")]
    # A detail threaded under a nudge that ended unconfirmed has no thread to go
    # in: it must be settled too (posted on its own, or failed), not wait forever.
    assert left == [], "posts never settled:\n" + "\n".join(map(str, left))
    for key, target, status, error in rows:
        posted = len(fake_slack.posts_keyed(key))
        if status == "sent":
            assert posted == 1, (key, posted)
        elif status == "failed":
            assert posted == 0 and key.endswith(":detail"), (key, posted, error)
        else:
            assert posted <= 1, (key, posted)
            # Only where Slack can't be asked: a channel, or a DM never seen.
            assert not any(target == f"person:{user}" for user in KNOWN_DM), (key, error)
    print(f"\n{KILLS} kills ({dict(killer.ways)}); outbox after the last pass: {dict(statuses)}")
