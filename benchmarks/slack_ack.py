"""Slack: how fast postpoc acknowledges an interview answer, against bare Bolt.

Four processes on 127.0.0.1 (:mod:`benchmarks.slack_server`): the fake Slack
Web API, postpoc's aiohttp application on a fresh SQLite database, a bare
``AsyncApp`` whose ``message`` listener does nothing, and the same bare app
plus one durable INSERT of the raw event, committed before the ack (the
least a bot that never loses an acknowledged answer must do). This process
is Slack: for each concurrency level (1, 10, 50, 100 requests in flight, each
level a fixed number of requests over keep-alive connections) it sends
``message.im`` events, real Slack event JSON signed with the signing secret
and the current time, to each app in turn, and times each request until its
HTTP response: the acknowledgement.

Before the first level, N owners are taken through the core (``Service``)
to an interview in progress, and every one of them is warmed: each types
``hello`` once to every app (not timed), so postpoc has looked them up
(``users.info``) and opened their DM before anything is measured. At each
level each owner types one answer, so no owner ever has two answers in
flight. postpoc acknowledges first and works after, so after each level we
also wait for that work: every answer stored in the database and a reply
posted for each (the drain time). At the end the database must hold every
answer exactly once.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from benchmarks.databases import postgres_database, postgres_server, sqlite_database
from benchmarks.processes import clean_environment, python_module, ready_line, spawned
from benchmarks.slack_server import EVENTS_PATH, user_id, user_name
from benchmarks.table import Row
from storage.database import resolve_url, sync_url
from tests.slack.fake_slack import TEAM
from tests.slack.harness import APP_ID, sign

LEVELS = (1, 10, 50, 100)
TARGET_CONCURRENCY = 50
TARGET_RATIO = 1.5
"""Issue 15: postpoc's ack p99 at most 1.5× the fair floor (bare Bolt + one durable INSERT)."""
TARGET_ANSWERS_PER_SECOND = 400.0
DRAIN_LIMIT_SECONDS = 180.0
REQUEST_TIMEOUT_SECONDS = 30.0
NO_ANSWER = 0
"""The status recorded for a request that timed out or whose connection failed."""
WARM_TEXT = "hello"
"""What every measured owner types once, untimed, before the first level."""
WORKSPACE = "slack:" + TEAM
ANSWER = "no"
"""Every owner's first questions (the prohibited-use screen) are yes/no."""


@dataclass
class Level:
    app: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    drain_seconds: float | None = None

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        return self.percentile(99) * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def message_event(index: int, event_number: int, text: str = ANSWER) -> str:
    """A person typing in their DM with the bot, as Slack posts it (Events API)."""
    user = user_id(index)
    now = time.time()
    return json.dumps(
        {
            "token": "unused",
            "team_id": TEAM,
            "api_app_id": APP_ID,
            "event": {
                "type": "message",
                "channel": "D" + user[1:],
                "channel_type": "im",
                "user": user,
                "text": text,
                "ts": f"{now:.6f}",
                "event_ts": f"{now:.6f}",
            },
            "type": "event_callback",
            "event_id": f"Ev{event_number:010d}",
            "event_time": int(now),
            "authorizations": [
                {
                    "team_id": TEAM,
                    "user_id": "UBOTPOC",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
    )


async def send_level(
    session: aiohttp.ClientSession, url: str, level: Level, bodies: Sequence[str]
) -> None:
    """``bodies`` with ``level.concurrency`` requests in flight; each timed to its response."""
    pending = iter(bodies)

    async def worker() -> None:
        for body in pending:
            headers = {"Content-Type": "application/json", **sign(body)}
            started = time.perf_counter()
            try:
                async with session.post(
                    url + EVENTS_PATH, data=body.encode(), headers=headers
                ) as r:
                    await r.read()
                    status = r.status
            except (TimeoutError, aiohttp.ClientError):
                status = NO_ANSWER  # counted, and timed at the time it gave up
            level.latencies.append(time.perf_counter() - started)
            level.statuses[status] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(level.concurrency)))
    level.seconds = time.perf_counter() - started


async def prepare(
    database_url: str,
    people: int,
    *,
    workspace: str = WORKSPACE,
    user: Callable[[int], str] = user_id,
    lead_id: str = "U9999999",
    channel_id: str = "C0BENCH",
) -> None:
    """Each owner with an interview in progress, through the core."""
    from bot.config import Settings
    from bot.runtime import open_service
    from conversations.messages import Actor, Ask, Inbound, PersonRef, Place

    # The lead administers as an operator lists them (POSTPOC_ADMINS), and
    # registers every POC at once: no rate limit for the preparation.
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        postpoc_admins=lead_id,
        rate_limit_per_person=0,
        rate_limit_per_workspace=0,
    )
    service = await open_service(settings)
    lead = Actor(workspace, lead_id, "Bench Lead", "en-US", "Europe/Paris")
    try:
        await service.platform.activate(workspace)
        for index in range(people):
            owner = Actor(workspace, user(index), user_name(index), "en-US", "Europe/Paris")
            channel = Place(channel_id=channel_id, is_direct=False)
            for actor, text, mentions in (
                (lead, f"new Agent {index}", ()),
                (lead, f"owner agent-{index}", (PersonRef(owner.user_id, owner.display_name),)),
                (owner, f"interview agent-{index}", ()),
            ):
                outcome = await service.handle(
                    Inbound(
                        actor=actor, place=channel, text=text, is_command=True, mentions=mentions
                    )
                )
            if not any(isinstance(reply, Ask) for reply in outcome.replies):
                raise RuntimeError(f"no interview for agent-{index}: {outcome.replies}")
    finally:
        await service.store.dispose()


def stored_answers(engine: sa.Engine) -> tuple[int, int]:
    """(answers stored, distinct (POC, question) among them)."""
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT COUNT(*) FROM answer")).scalar_one()
        distinct = conn.execute(
            sa.text("SELECT COUNT(*) FROM (SELECT DISTINCT poc_id, question_key FROM answer) a")
        ).scalar_one()
    return int(total), int(distinct)


async def posted(session: aiohttp.ClientSession, control_url: str) -> int:
    async with session.get(control_url + "/bench/calls") as response:
        calls: dict[str, int] = await response.json()
    return calls.get("chat.postMessage", 0)


async def drain(
    session: aiohttp.ClientSession,
    control_url: str,
    engine: sa.Engine,
    expected: int,
    posts: int | None = None,
) -> float | None:
    """Seconds until ``expected`` answers are stored and ``posts`` replies
    (default: as many) posted; None if that takes longer than the limit."""
    started = time.perf_counter()
    posts = expected if posts is None else posts
    while time.perf_counter() - started < DRAIN_LIMIT_SECONDS:
        total, _ = await asyncio.to_thread(stored_answers, engine)
        if total >= expected and await posted(session, control_url) >= posts:
            return time.perf_counter() - started
        await asyncio.sleep(0.02)
    return None


@dataclass
class SlackRun:
    people: int
    levels: list[tuple[Level, Level, Level]]
    """(bare, bare + durable INSERT, postpoc) per concurrency."""
    answers_expected: int
    answers_stored: int
    answers_distinct: int
    prepare_seconds: float
    database: str = "SQLite"


async def measure(
    folder: Path, database_url: str, people: int, levels: Sequence[int] = LEVELS
) -> SlackRun:
    started = time.perf_counter()
    await prepare(database_url, people)
    prepare_seconds = time.perf_counter() - started
    env = clean_environment()
    engine = sa.create_engine(sync_url(resolve_url(database_url)))
    fake_log, bare_log, bot_log = folder / "fake.log", folder / "bare.log", folder / "postpoc.log"
    durable_log, inbox = folder / "durable.log", folder / "inbox.db"
    try:
        with spawned(
            python_module("benchmarks.slack_server", "fake", "--users", str(people)),
            log=fake_log,
            env=env,
        ) as fake:
            api_url, control_url = ready_line(fake, fake_log)
            with (
                spawned(
                    python_module("benchmarks.slack_server", "bare", "--api-url", api_url),
                    log=bare_log,
                    env=env,
                ) as bare_process,
                spawned(
                    python_module(
                        "benchmarks.slack_server",
                        "bare",
                        "--api-url",
                        api_url,
                        "--inbox",
                        str(inbox),
                    ),
                    log=durable_log,
                    env=env,
                ) as durable_process,
                spawned(
                    python_module(
                        "benchmarks.slack_server",
                        "postpoc",
                        "--api-url",
                        api_url,
                        "--database-url",
                        database_url,
                    ),
                    log=bot_log,
                    env=env,
                ) as bot_process,
            ):
                (bare_url,) = ready_line(bare_process, bare_log)
                (durable_url,) = ready_line(durable_process, durable_log)
                (bot_url,) = ready_line(bot_process, bot_log)
                return await _levels(
                    people,
                    levels,
                    (bare_url, durable_url, bot_url),
                    control_url,
                    engine,
                    prepare_seconds,
                )
    finally:
        engine.dispose()


async def _levels(
    people: int,
    levels: Sequence[int],
    urls: tuple[str, str, str],
    control_url: str,
    engine: sa.Engine,
    prepare_seconds: float,
) -> SlackRun:
    bare_url, durable_url, bot_url = urls
    events = iter(range(1, 10**9))
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=max(levels) * 4)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # Warm-up, not measured: first connections, Bolt's auth.test, and every
        # owner looked up (users.info) and their DM opened by postpoc.
        warm = [message_event(i, next(events), WARM_TEXT) for i in range(people)]
        before = await posted(session, control_url)
        for url in (bare_url, durable_url, bot_url):
            await send_level(session, url, Level("warm-up", 10), warm)
        if await drain(session, control_url, engine, 0, before + people) is None:
            raise RuntimeError("postpoc did not answer the warm-up messages")
        expected = 0
        results: list[tuple[Level, Level, Level]] = []
        for concurrency in levels:
            bodies = [message_event(i, next(events)) for i in range(people)]
            bare = Level("bare Bolt", concurrency)
            await send_level(session, bare_url, bare, bodies)
            durable = Level("bare Bolt + INSERT", concurrency)
            await send_level(session, durable_url, durable, bodies)
            posts_before = await posted(session, control_url)
            bot = Level("postpoc", concurrency)
            await send_level(session, bot_url, bot, bodies)
            expected += people
            bot.drain_seconds = await drain(
                session, control_url, engine, expected, posts_before + people
            )
            results.append((bare, durable, bot))
            print(
                f"  slack c={concurrency}: postpoc p99 {bot.p99_ms:.0f} ms, drained in "
                f"{bot.drain_seconds} s",
                file=sys.stderr,
                flush=True,
            )
    stored, distinct = await asyncio.to_thread(stored_answers, engine)
    return SlackRun(people, results, expected, stored, distinct, prepare_seconds)


def run(*, people: int = 500, postgres: bool = False, log: bool = True) -> list[Row]:
    """On SQLite, or on PostgreSQL when ``postgres`` (and one answers)."""
    server = postgres_server() if postgres else None
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="postpoc-bench-")))
        if server is not None:
            database_url = stack.enter_context(postgres_database(server))
        else:
            database_url = stack.enter_context(sqlite_database(folder, "slack.db"))
        result = asyncio.run(measure(folder, database_url, people))
    result.database = "PostgreSQL" if server is not None else "SQLite"
    if log:
        for bare, durable, bot in result.levels:
            print(
                f"  slack c={bot.concurrency}: bare p50 {bare.p50_ms:.1f} p99 {bare.p99_ms:.1f} ms "
                f"{bare.throughput:.0f}/s; +INSERT p50 {durable.p50_ms:.1f} "
                f"p99 {durable.p99_ms:.1f} ms {durable.throughput:.0f}/s; postpoc p50 "
                f"{bot.p50_ms:.1f} p99 {bot.p99_ms:.1f} ms {bot.throughput:.0f}/s, drained in "
                f"{bot.drain_seconds} s; statuses {dict(bare.statuses)} {dict(durable.statuses)} "
                f"{dict(bot.statuses)}",
                file=sys.stderr,
                flush=True,
            )
    return rows_of(result)


def end_to_end(level: Level) -> float | None:
    """Answers per second from the first request to the last answer stored and replied to."""
    if level.drain_seconds is None:
        return None
    return len(level.latencies) / (level.seconds + level.drain_seconds)


def _drained(level: Level) -> str:
    rate = end_to_end(level)
    if rate is None or level.drain_seconds is None:
        return f"not drained after {DRAIN_LIMIT_SECONDS:.0f} s"
    return f"drained in {level.drain_seconds:.1f} s ({rate:.0f} answers/s end to end)"


def _ok(level: Level) -> bool:
    return level.statuses == Counter({200: len(level.latencies)})


def rows_of(result: SlackRun) -> list[Row]:
    rows: list[Row] = []
    for bare, durable, bot in result.levels:
        c = bot.concurrency
        name = f"Slack ack, {c} in flight ({result.database})"
        targeted = c == TARGET_CONCURRENCY
        fair_ratio = bot.p99_ms / durable.p99_ms
        rows += [
            Row(
                name,
                f"p50 / p99 acknowledgement ({len(bot.latencies)} answers)",
                f"postpoc {bot.p50_ms:.1f} / {bot.p99_ms:.1f} ms; bare Bolt "
                f"{bare.p50_ms:.1f} / {bare.p99_ms:.1f} ms; bare Bolt + durable INSERT "
                f"{durable.p50_ms:.1f} / {durable.p99_ms:.1f} ms",
                "every request 200" if targeted else "",
                _ok(bot) and _ok(durable) and _ok(bare) if targeted else None,
            ),
            Row(
                name,
                "p99 ratio to bare Bolt + durable INSERT (to bare Bolt)",
                f"{fair_ratio:.1f}× ({bot.p99_ms / bare.p99_ms:.1f}×)",
                f"≤ {TARGET_RATIO}×" if targeted else "",
                fair_ratio <= TARGET_RATIO if targeted else None,
            ),
            Row(
                name,
                "acknowledgements per second; drain: after the last ack, until every "
                "answer is stored and replied to",
                f"{bot.throughput:.0f}/s (bare Bolt {bare.throughput:.0f}/s, + INSERT "
                f"{durable.throughput:.0f}/s); {_drained(bot)}",
            ),
        ]
        if targeted:
            rate = end_to_end(bot)
            rows.append(
                Row(
                    name,
                    "answers per second end to end (ack, step, reply to the fake Web API)",
                    f"{rate:.0f}/s" if rate is not None else "not drained",
                    f"≥ {TARGET_ANSWERS_PER_SECOND:.0f}/s",
                    rate is not None and rate >= TARGET_ANSWERS_PER_SECOND,
                )
            )
    once = result.answers_stored == result.answers_distinct == result.answers_expected
    rows.append(
        Row(
            "Slack ack",
            "answers stored after the run (each once)",
            f"{result.answers_stored} stored, {result.answers_distinct} distinct, "
            f"{result.answers_expected} sent",
            "every answer, once",
            once,
        )
    )
    return rows
