"""Teams: how long postpoc takes over a turn, against a bare botbuilder bot.

Three processes on 127.0.0.1 (:mod:`benchmarks.teams_server`): the tests'
fake Bot Framework (OpenID metadata with a key this process made, and a Bot
Connector), postpoc's aiohttp application with its Teams adapter on a fresh
SQLite database, and a bare botbuilder ``CloudAdapter`` echo bot. This
process is Teams: it sends personal-chat message activities, signed with a
token minted by the local key (RS256, ``kid``, ``serviceurl`` claim, as the
Bot Framework signs them and as tests/teams does), to the bare bot and then
to postpoc, at each concurrency level (1 and 50 turns in flight), and times
each request until its HTTP response. The bare bot sends its one reply to
the connector inside the turn (authenticate, reply, respond); postpoc answers
once the message is kept in its inbox and runs the step and its replies
after, so after each of its levels we also wait for that work: every answer
stored and no inbox row left pending (the drain time).

Before the first level, N people are taken through the core (``Service``)
to an interview in progress in the tenant's workspace, and each types
``help`` once to each bot (not timed): their address is stored, their
connections open. At each level each person types one answer.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import sqlalchemy as sa

from benchmarks.databases import sqlite_database
from benchmarks.processes import clean_environment, python_module, ready_line, spawned
from benchmarks.slack_ack import (
    ANSWER,
    DRAIN_LIMIT_SECONDS,
    NO_ANSWER,
    REQUEST_TIMEOUT_SECONDS,
    Level,
    end_to_end,
    prepare,
    stored_answers,
)
from benchmarks.slack_server import user_name
from benchmarks.table import Row
from benchmarks.teams_server import ADMIN, ROUTE, TENANT, write_key
from storage.database import resolve_url, sync_url
from tests.teams.client import APP_ID, BOT_ID, BOT_NAME
from tests.teams.fakes import ISSUER

LEVELS = (1, 50)
TARGET_CONCURRENCY = 50
TARGET_RATIO = 1.5
WORKSPACE = f"teams:{TENANT}"
WARM_TEXT = "help"


def person_id(index: int) -> str:
    return f"29:owner-{index}"


def token(private: Any, kid: str, service_url: str) -> str:
    """A token as the Bot Framework signs activities for this app (valid an hour: reused)."""
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": APP_ID,
        "serviceurl": service_url,
        "nbf": now - 60,
        "iat": now - 60,
        "exp": now + 3600,
    }
    return jwt.encode(payload, private, algorithm="RS256", headers={"kid": kid})


def message(index: int, text: str, service_url: str) -> str:
    """A person typing in their personal chat with the bot, as Teams posts it."""
    person = person_id(index)
    return json.dumps(
        {
            "type": "message",
            "id": uuid.uuid4().hex,
            "timestamp": "2026-11-02T09:00:00.000Z",
            "localTimestamp": "2026-11-02T10:00:00.000+01:00",
            "localTimezone": "Europe/Paris",
            "serviceUrl": service_url,
            "channelId": "msteams",
            "from": {"id": person, "name": user_name(index), "aadObjectId": f"aad-{index}"},
            "conversation": {
                "id": f"a:personal-{person}",
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "locale": "en-US",
            "text": text,
            "textFormat": "plain",
            "entities": [{"type": "clientInfo", "locale": "en-US", "platform": "Web"}],
            "channelData": {"tenant": {"id": TENANT}},
        }
    )


async def send_level(
    session: aiohttp.ClientSession,
    url: str,
    authorization: str,
    level: Level,
    bodies: Sequence[str],
) -> None:
    pending = iter(bodies)
    headers = {"Content-Type": "application/json", "Authorization": authorization}

    async def worker() -> None:
        for body in pending:
            started = time.perf_counter()
            try:
                async with session.post(url + ROUTE, data=body.encode(), headers=headers) as r:
                    await r.read()
                    status = r.status
            except (TimeoutError, aiohttp.ClientError):
                status = NO_ANSWER
            level.latencies.append(time.perf_counter() - started)
            level.statuses[status] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(level.concurrency)))
    level.seconds = time.perf_counter() - started


def pending_rows(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT COUNT(*) FROM inboxentry WHERE status = 'pending'"))
        return int(found.scalar_one())


async def drain(engine: sa.Engine, expected: int) -> float | None:
    """Seconds until ``expected`` answers are stored and no inbox row is left
    pending (each done row's replies were sent); None past the limit."""
    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_LIMIT_SECONDS:
        stored, _ = await asyncio.to_thread(stored_answers, engine)
        if stored >= expected and await asyncio.to_thread(pending_rows, engine) == 0:
            return time.perf_counter() - started
        await asyncio.sleep(0.02)
    return None


@dataclass
class TeamsRun:
    people: int
    levels: list[tuple[Level, Level]]
    """(bare botbuilder, postpoc) per concurrency."""
    answers_expected: int
    answers_stored: int
    answers_distinct: int


async def measure(
    folder: Path, database_url: str, people: int, levels: Sequence[int] = LEVELS
) -> TeamsRun:
    await prepare(
        database_url,
        people,
        workspace=WORKSPACE,
        user=person_id,
        lead_id=ADMIN,
        channel_id="19:bench@thread.tacv2",
    )
    pem, kid = folder / "teams-key.pem", f"bench-{uuid.uuid4().hex[:8]}"
    private = write_key(pem)
    env = clean_environment()
    logs = {name: folder / f"teams-{name}.log" for name in ("fake", "bare", "postpoc")}
    engine = sa.create_engine(sync_url(resolve_url(database_url)))
    try:
        with spawned(
            python_module("benchmarks.teams_server", "fake", "--key", str(pem), "--kid", kid),
            log=logs["fake"],
            env=env,
        ) as fake:
            fake_url, openid_url = ready_line(fake, logs["fake"])
            where = ("--fake-url", fake_url, "--openid-url", openid_url)
            with (
                spawned(
                    python_module("benchmarks.teams_server", "bare", *where),
                    log=logs["bare"],
                    env=env,
                ) as bare_process,
                spawned(
                    python_module(
                        "benchmarks.teams_server", "postpoc", *where, "--database-url", database_url
                    ),
                    log=logs["postpoc"],
                    env=env,
                ) as bot_process,
            ):
                (bare_url,) = ready_line(bare_process, logs["bare"])
                (bot_url,) = ready_line(bot_process, logs["postpoc"])
                authorization = f"Bearer {token(private, kid, fake_url)}"
                results = await _levels(
                    people, levels, (bare_url, bot_url), fake_url, authorization, engine
                )
        stored, distinct = stored_answers(engine)
    finally:
        engine.dispose()
    return TeamsRun(people, results, people * len(levels), stored, distinct)


async def _levels(
    people: int,
    levels: Sequence[int],
    urls: tuple[str, str],
    service_url: str,
    authorization: str,
    engine: sa.Engine,
) -> list[tuple[Level, Level]]:
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=max(levels) * 4)
    results: list[tuple[Level, Level]] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        warm = [message(i, WARM_TEXT, service_url) for i in range(people)]
        for url in urls:
            await send_level(session, url, authorization, Level("warm-up", 10), warm)
        if await drain(engine, 0) is None:
            raise RuntimeError("postpoc did not answer the warm-up messages")
        expected = 0
        for concurrency in levels:
            bodies = [message(i, ANSWER, service_url) for i in range(people)]
            bare, bot = Level("bare botbuilder", concurrency), Level("postpoc", concurrency)
            await send_level(session, urls[0], authorization, bare, bodies)
            await send_level(session, urls[1], authorization, bot, bodies)
            expected += people
            # Before the next level: the bare bot is not measured while postpoc still works.
            bot.drain_seconds = await drain(engine, expected)
            results.append((bare, bot))
    return results


def run(*, people: int = 300, log: bool = True) -> list[Row]:
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="postpoc-teams-")))
        database_url = stack.enter_context(sqlite_database(folder, "teams.db"))
        result = asyncio.run(measure(folder, database_url, people))
    if log:
        for bare, bot in result.levels:
            print(
                f"  teams c={bot.concurrency}: bare p50 {bare.p50_ms:.1f} p99 {bare.p99_ms:.1f} "
                f"ms {bare.throughput:.0f}/s; postpoc p50 {bot.p50_ms:.1f} p99 "
                f"{bot.p99_ms:.1f} ms {bot.throughput:.0f}/s, drained in {bot.drain_seconds} s; "
                f"statuses {dict(bare.statuses)} {dict(bot.statuses)}",
                file=sys.stderr,
                flush=True,
            )
    return rows_of(result)


def _drained(level: Level) -> str:
    rate = end_to_end(level)
    if rate is None or level.drain_seconds is None:
        return f"steps not done {DRAIN_LIMIT_SECONDS:.0f} s after the last response"
    return (
        f"steps and replies done {level.drain_seconds:.1f} s after the last response "
        f"({rate:.0f} turns/s end to end)"
    )


def _ok(level: Level) -> bool:
    return sum(level.statuses.values()) == len(level.latencies) and all(
        200 <= status < 300 for status in Counter(level.statuses)
    )


def rows_of(result: TeamsRun) -> list[Row]:
    rows: list[Row] = []
    for bare, bot in result.levels:
        c = bot.concurrency
        name = f"Teams turn, {c} in flight (SQLite)"
        targeted = c == TARGET_CONCURRENCY
        ratio = bot.p99_ms / bare.p99_ms
        rows += [
            Row(
                name,
                f"p50 / p99 turn, request to response ({len(bot.latencies)} answers)",
                f"postpoc {bot.p50_ms:.1f} / {bot.p99_ms:.1f} ms; bare botbuilder "
                f"{bare.p50_ms:.1f} / {bare.p99_ms:.1f} ms; {bot.throughput:.0f} turns/s "
                f"(bare {bare.throughput:.0f}/s); {_drained(bot)}",
                "every request 2xx" if targeted else "",
                _ok(bot) and _ok(bare) if targeted else None,
            ),
            Row(
                name,
                "p99 ratio to bare botbuilder",
                f"{ratio:.1f}× (p50 {bot.p50_ms / bare.p50_ms:.1f}×)",
                f"≤ {TARGET_RATIO}×" if targeted else "",
                ratio <= TARGET_RATIO if targeted else None,
            ),
        ]
    once = result.answers_stored == result.answers_distinct == result.answers_expected
    rows.append(
        Row(
            "Teams turn",
            "answers stored after the run (each once)",
            f"{result.answers_stored} stored, {result.answers_distinct} distinct, "
            f"{result.answers_expected} sent",
            "every answer, once",
            once,
        )
    )
    return rows
