"""Teams: how long postpoc takes over a turn, against a bare botbuilder bot.

Three processes on 127.0.0.1 (:mod:`benchmarks.teams_server`): the tests'
fake Bot Framework (OpenID metadata with a key this process made, and a Bot
Connector), postpoc's aiohttp application with its Teams adapter on a fresh
SQLite database, and a bare botbuilder ``CloudAdapter`` echo bot. This
process is Teams: it sends personal-chat message activities, signed with a
token minted by the local key (RS256, ``kid``, ``serviceurl`` claim, as the
Bot Framework signs them and as tests/teams does), to the bare bot and then
to postpoc, at each concurrency level (1 and 50 turns in flight), and times
each request until its HTTP response. Both bots send their replies to the
connector inside the turn, so a turn is: authenticate, handle, reply.

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
    NO_ANSWER,
    REQUEST_TIMEOUT_SECONDS,
    Level,
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
                    people, levels, (bare_url, bot_url), fake_url, authorization
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
) -> list[tuple[Level, Level]]:
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=max(levels) * 4)
    results: list[tuple[Level, Level]] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        warm = [message(i, WARM_TEXT, service_url) for i in range(people)]
        for url in urls:
            await send_level(session, url, authorization, Level("warm-up", 10), warm)
        for concurrency in levels:
            bodies = [message(i, ANSWER, service_url) for i in range(people)]
            pair = (Level("bare botbuilder", concurrency), Level("postpoc", concurrency))
            for url, level in zip(urls, pair, strict=True):
                await send_level(session, url, authorization, level, bodies)
            results.append(pair)
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
                f"{bot.p99_ms:.1f} ms {bot.throughput:.0f}/s; statuses {dict(bare.statuses)} "
                f"{dict(bot.statuses)}",
                file=sys.stderr,
                flush=True,
            )
    return rows_of(result)


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
                f"(bare {bare.throughput:.0f}/s)",
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
