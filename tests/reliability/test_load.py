"""Load: a few thousand interview answers from many people at once, over
loopback HTTP to ``postpoc serve`` (a real process, on SQLite), signed as
Slack signs them.

Each of :data:`PEOPLE` owners types :data:`ANSWERS` answers, one after the
other (the next once the last was acknowledged), all owners at the same
time. Afterwards every answer is stored, each once, each against the
question it answered. The acknowledgement times are printed, not asserted: a
speed depends on the machine.

At this load the bot is saturated (on two cores, the core's handling of an
answer is what limits it): most acknowledgements go at the ack budget, before
the answer is stored, and the answers are stored in the minute after, each
person's in the order they were typed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from storage.database import make_engine, resolve_url
from tests.reliability.support.seed import interviews
from tests.reliability.support.slack_client import Capture, Sender, described
from tests.reliability.test_crashes import serve
from tests.slack.conftest import no_slack_environment
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import Person as SlackPerson
from tests.support.scripts import READY

__all__ = ["no_slack_environment"]

PEOPLE = 200
ANSWERS = 10
KEYS = (
    "screen_uses",
    "tier_annex3_uses",
    "use_setting",
    "risk_impact",
    "sup_review",
    "risk_personal_data",
    "risk_autonomy",
    "owner_business_manager",
    "value_indicator",
    "value_unit",
)
"""The questions every owner meets first, in order, with the answers of READY."""
STORED_SECONDS = 120.0


async def stored_answers(database_url: str) -> Counter[tuple[str, str]]:
    engine = make_engine(resolve_url(database_url))
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text(
                    "SELECT poc.handle, a.question_key FROM answer a JOIN poc ON poc.id = a.poc_id"
                )
            )
            return Counter((handle, key) for handle, key in rows.all())
    finally:
        await engine.dispose()


async def test_thousands_of_answers_at_once_are_each_stored_once(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'load.db'}"
    owners = [(f"U{n:06d}", f"Owner {n}") for n in range(PEOPLE)]
    handles = await interviews(database_url, owners)
    capture = Capture("", fake_slack, None, None)  # type: ignore[arg-type]
    people = [capture.person(user, name) for user, name in owners]
    server = serve(fake_slack, database_url, tmp_path / "serve")
    await server.start()
    up = asyncio.Event()
    up.set()
    statuses: Counter[int] = Counter()
    try:
        connector = aiohttp.TCPConnector(limit=PEOPLE)
        async with aiohttp.ClientSession(connector=connector) as session:
            sender = Sender(session, lambda: server.url, up)

            async def owner(person: SlackPerson) -> None:
                for key in KEYS[:ANSWERS]:
                    await person.says(READY[key])
                    body, content_type = capture.take_for(person)
                    reply = await sender.once(body, content_type)
                    statuses[reply.status if reply else 0] += 1

            started = time.perf_counter()
            async with asyncio.timeout(180):
                await asyncio.gather(*(owner(p) for p in people))
            took = time.perf_counter() - started
            # Past the ack budget the ack goes first and the answer is stored just
            # after: wait (bounded) for the last ones.
            deadline = time.monotonic() + STORED_SECONDS
            while time.monotonic() < deadline:
                stored = await stored_answers(database_url)
                if sum(stored.values()) >= PEOPLE * ANSWERS:
                    break
                await asyncio.sleep(0.2)
            drained = time.perf_counter() - started
    finally:
        await server.stop()

    acks = described(sender.latencies)
    print(
        f"\nload: {PEOPLE * ANSWERS} answers from {PEOPLE} people acknowledged in {took:.1f} s "
        f"({PEOPLE * ANSWERS / took:.0f}/s), all stored after {drained:.1f} s; "
        f"acknowledgement p50 {acks['p50_ms']} ms, p99 {acks['p99_ms']} ms, "
        f"max {acks['max_ms']} ms"
    )
    assert statuses == {200: PEOPLE * ANSWERS}, statuses
    expected = {(handle, key): 1 for handle in handles for key in KEYS[:ANSWERS]}
    missing = sorted(set(expected) - set(stored))
    wrong = {k: n for k, n in stored.items() if expected.get(k) != n}
    assert dict(stored) == expected, f"missing {missing[:5]}, twice or misplaced {wrong}"
