"""Counted, not timed: SQL per Slack answer, and CPU instructions per interview step.

Counts do not depend on how busy the machine is, so they say what a change
did where latencies only hint at it.

**SQL statements and write transactions per Slack answer, end to end.** In
this process: the tests' fake Slack Web API and postpoc's aiohttp
application (``bot.server.build_app``, Slack configured, no scheduler) on a
fresh SQLite database, N owners in an interview (through the core) and
warmed (each typed ``help`` once). SQLAlchemy event listeners on the bot's
own engine then count, while each owner types one signed answer
(``message.im``) and until every answer is stored and replied to: every
statement sent (``BEGIN``/``COMMIT`` left out, ``SAVEPOINT``/``RELEASE``
counted), and every transaction that writes or takes SQLite's write lock
(``BEGIN IMMEDIATE``, which the engine uses for any transaction not marked
read-only). Divided by N. The inbox's sweep (a lane lookup every second,
whatever the traffic) is switched off while counting: it is no answer's
cost, and it would keep the engine from ever falling quiet.

**CPU instructions per interview step.** ``python -m benchmarks.counts step
URL --steps K`` opens a ``Service`` on a prepared database, answers one
question for each of 3 owners (warming: compiled SQL, caches), then for K
more owners (``Service.handle`` of a typed answer, with a delivery id as the
Slack adapter gives it). It runs under ``valgrind --tool=callgrind`` twice,
with K and with 0 (each on its own copy of the database); the difference in
instructions, divided by K, is one step. When a C compiler and valgrind's
headers are present, a tiny library made at run time switches callgrind's
instrumentation on just before the K steps and off after them
(``CALLGRIND_START_INSTRUMENTATION``), so that the imports run at valgrind's
uninstrumented speed; without one, everything is counted and the 0-step
run's total is what is subtracted. Instruction counts are stable on a busy
machine, unlike times. Skipped (shown as such) without valgrind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from benchmarks.processes import clean_environment
from benchmarks.slack_ack import (
    DRAIN_LIMIT_SECONDS,
    WARM_TEXT,
    WORKSPACE,
    Level,
    message_event,
    prepare,
    send_level,
    stored_answers,
)
from benchmarks.slack_server import BOT_TOKEN, _served, user_id, user_name
from benchmarks.table import Row
from storage.database import resolve_url, sync_url
from tests.slack.harness import SECRET

TARGET_STATEMENTS = 8.0
TARGET_WRITE_TRANSACTIONS = 2.0
TARGET_INSTRUCTIONS = 4_000_000
WARM_STEPS = 3
QUIET_SECONDS = 1.5
WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE"})
UNCOUNTED = frozenset({"BEGIN", "COMMIT", "ROLLBACK"})


@dataclass
class SqlCounter:
    """Statements by kind and transactions, on one engine, while ``active``."""

    active: bool = False
    statements: Counter[str] = field(default_factory=Counter)
    transactions: int = 0
    locking: int = 0
    """Transactions that took SQLite's write lock at BEGIN (BEGIN IMMEDIATE)."""
    writing: int = 0
    """Transactions that wrote (or took the write lock): the write transactions."""

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    last_seen: float = 0.0
    """When the engine last sent a statement, counted or not (``time.monotonic``)."""

    async def quiet(self, seconds: float = QUIET_SECONDS) -> None:
        """Until the engine has sent nothing for ``seconds``: the work after
        the replies (where each question was posted, addresses) is over."""
        deadline = time.monotonic() + DRAIN_LIMIT_SECONDS
        while time.monotonic() < deadline:
            idle = time.monotonic() - self.last_seen
            if idle >= seconds:
                return
            await asyncio.sleep(seconds - idle)

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.last_seen = time.monotonic()
        if not self.active:
            return
        words = statement.split(None, 2)
        kind = words[0].upper() if words else "?"
        if kind == "BEGIN":
            conn.info["postpoc_bench_tx"] = {"locking": "IMMEDIATE" in statement.upper()}
        elif kind in WRITES:
            conn.info.setdefault("postpoc_bench_tx", {"locking": False})["wrote"] = True
        if kind not in UNCOUNTED:
            self.statements[kind] += 1

    def _end(self, conn: Any) -> None:
        tx = conn.info.pop("postpoc_bench_tx", None)
        if not self.active or tx is None:
            return
        self.transactions += 1
        self.locking += bool(tx.get("locking"))
        self.writing += bool(tx.get("locking") or tx.get("wrote"))

    def reset(self) -> None:
        self.statements.clear()
        self.transactions = self.locking = self.writing = 0


@dataclass
class SqlPerAnswer:
    answers: int
    statements: float
    by_kind: dict[str, float]
    transactions: float
    write_transactions: float
    drained: bool


async def _wait(
    check: Any, session: aiohttp.ClientSession, engine: sa.Engine, answers: int, posts: int
) -> bool:
    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_LIMIT_SECONDS:
        stored, _ = await asyncio.to_thread(stored_answers, engine)
        if stored >= answers and check() >= posts:
            return True
        await asyncio.sleep(0.02)
    return False


async def sql_per_answer(database_url: str, people: int) -> SqlPerAnswer:
    from bot import logs
    from bot.config import Settings
    from bot.runtime import open_service
    from bot.server import build_app
    from bot.slack.app import SLACK
    from tests.slack.fake_slack import FakeSlack

    logs.configure("WARNING")  # no access line per request on the terminal
    await prepare(database_url, people)
    slack = FakeSlack()
    for index in range(people):
        slack.add_user(user_id(index), user_name(index))
    await slack.start()
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        slack_signing_secret=SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=slack.api_url,
        scheduler=False,
    )
    service = await open_service(settings)
    counter = SqlCounter()
    counter.attach(service.store.engine.sync_engine)
    reader = sa.create_engine(sync_url(resolve_url(database_url)))

    def posts() -> int:
        return sum(1 for call in slack.calls if call.ok and call.method == "chat.postMessage")

    app = build_app(service, settings)
    # The inbox's sweep (one lane lookup a second, whatever the traffic) is no
    # answer's cost, and would keep the engine from ever being quiet.
    app[SLACK].sweep_every = 3600.0
    try:
        async with (
            _served(app) as url,
            aiohttp.ClientSession() as session,
        ):
            events = iter(range(1, 10**9))
            warm = [message_event(i, next(events), WARM_TEXT) for i in range(people)]
            before = posts()
            await send_level(session, url, Level("warm-up", 5), warm)
            if not await _wait(posts, session, reader, 0, before + people):
                raise RuntimeError("postpoc did not answer the warm-up messages")
            await counter.quiet()  # the warm-up's last bookkeeping, uncounted
            before = posts()
            counter.reset()
            counter.active = True
            answers = [message_event(i, next(events)) for i in range(people)]
            await send_level(session, url, Level("counted", 10), answers)
            drained = await _wait(posts, session, reader, people, before + people)
            await counter.quiet()  # the bookkeeping after the last reply is the answer's too
            counter.active = False
    finally:
        reader.dispose()
        await service.store.dispose()
        await slack.stop()
    return SqlPerAnswer(
        answers=people,
        statements=sum(counter.statements.values()) / people,
        by_kind={kind: n / people for kind, n in counter.statements.most_common()},
        transactions=counter.transactions / people,
        write_transactions=counter.writing / people,
        drained=drained,
    )


# -- instructions per step ---------------------------------------------------------------


TOGGLES_C = """
#include <valgrind/callgrind.h>
void postpoc_bench_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void postpoc_bench_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""


def _toggles(folder: Path) -> Path | None:
    """A shared library whose two functions switch callgrind's instrumentation
    on and off (valgrind's client requests); None without a compiler or headers."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    source, library = folder / "toggles.c", folder / "toggles.so"
    source.write_text(TOGGLES_C)
    made = subprocess.run(  # noqa: S603 (our own command)
        [compiler, "-O1", "-shared", "-fPIC", "-o", str(library), str(source)],
        capture_output=True,
        check=False,
    )
    return library if made.returncode == 0 else None


async def steps(
    database_url: str, count: int, warm: int = WARM_STEPS, toggles: Path | None = None
) -> dict[str, Any]:
    """``warm`` + ``count`` owners each answer one question through the core;
    with ``toggles``, callgrind instruments only the ``count`` steps."""
    import ctypes

    from conversations.messages import Actor, Inbound, Place
    from conversations.service import Service
    from storage.database import make_engine
    from storage.repository import Store

    service = Service(Store(make_engine(resolve_url(database_url))))
    counter = SqlCounter()
    counter.attach(service.store.engine.sync_engine)
    switch = ctypes.CDLL(str(toggles)) if toggles is not None else None
    try:
        for index in range(warm + count):
            if index == warm and switch is not None:
                switch.postpoc_bench_start()
            counter.active = index >= warm
            user = user_id(index)
            owner = Actor(WORKSPACE, user, user_name(index), "en-US", "Europe/Paris")
            await service.handle(
                Inbound(
                    actor=owner,
                    place=Place(channel_id="D" + user[1:], is_direct=True),
                    text="no",
                    delivery_id=f"{WORKSPACE}:Ev{index:08d}",
                )
            )
        if switch is not None:
            if count == 0:
                switch.postpoc_bench_start()
            switch.postpoc_bench_stop()
    finally:
        counter.active = False
        await service.store.dispose()
    n = max(count, 1)
    return {
        "statements": sum(counter.statements.values()) / n,
        "by_kind": {kind: v / n for kind, v in counter.statements.most_common()},
        "transactions": counter.transactions / n,
        "write_transactions": counter.writing / n,
    }


def _instructions(out: Path) -> int:
    text = out.read_text(errors="replace")
    # "totals:" is the sum of the events; "summary:" may be 0 when
    # instrumentation started late.
    found = [int(n) for n in re.findall(r"^(?:summary|totals):\s*(\d+)", text, re.MULTILINE)]
    if not found:
        raise RuntimeError(f"no totals in {out}")
    return max(found)


def _callgrind(folder: Path, database: Path, count: int, toggles: Path | None) -> int:
    copy = folder / f"steps-{count}.db"
    shutil.copy(database, copy)
    out = folder / f"callgrind-{count}.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        *(["--instr-atstart=no"] if toggles is not None else []),
        sys.executable,
        "-m",
        "benchmarks.counts",
        "step",
        f"sqlite:///{copy}",
        "--steps",
        str(count),
        *(["--toggles", str(toggles)] if toggles is not None else []),
    ]
    subprocess.run(  # noqa: S603 (our own command)
        command, check=True, capture_output=True, env=clean_environment(), timeout=900
    )
    return _instructions(out)


@dataclass
class StepCost:
    statements: dict[str, Any]
    instructions: float | None
    """None: valgrind is not installed."""
    steps: int


def step_cost(count: int) -> StepCost:
    with tempfile.TemporaryDirectory(prefix="postpoc-steps-") as name:
        folder = Path(name)
        database = folder / "prepared.db"
        asyncio.run(prepare(f"sqlite:///{database}", WARM_STEPS + count))
        # The statements, counted apart (without valgrind), on a copy.
        copy = folder / "counted.db"
        shutil.copy(database, copy)
        statements = asyncio.run(steps(f"sqlite:///{copy}", count))
        if shutil.which("valgrind") is None:
            return StepCost(statements, None, count)
        toggles = _toggles(folder)
        baseline = _callgrind(folder, database, 0, toggles)
        measured = _callgrind(folder, database, count, toggles)
    return StepCost(statements, (measured - baseline) / count, count)


def run(*, people: int = 100, step_count: int = 20, log: bool = True) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="postpoc-sql-") as folder:
        sql = asyncio.run(sql_per_answer(f"sqlite:///{Path(folder) / 'sql.db'}", people))
    cost = step_cost(step_count)
    if log:
        print(f"  sql per answer: {sql}", file=sys.stderr, flush=True)
        print(f"  step: {cost}", file=sys.stderr, flush=True)
    kinds = ", ".join(f"{kind} {n:.1f}" for kind, n in sql.by_kind.items())
    step_kinds = ", ".join(f"{kind} {n:.1f}" for kind, n in cost.statements["by_kind"].items())
    rows = [
        Row(
            "Counted, per Slack answer (SQLite)",
            f"SQL statements, end to end ({sql.answers} answers; {kinds})",
            f"{sql.statements:.1f}" + ("" if sql.drained else " (not drained)"),
            f"≤ {TARGET_STATEMENTS:.0f}",
            sql.drained and sql.statements <= TARGET_STATEMENTS,
        ),
        Row(
            "Counted, per Slack answer (SQLite)",
            f"write transactions (of {sql.transactions:.2f} transactions)",
            f"{sql.write_transactions:.2f}",
            f"≤ {TARGET_WRITE_TRANSACTIONS:.0f}",
            sql.drained and sql.write_transactions <= TARGET_WRITE_TRANSACTIONS,
        ),
        Row(
            "Counted, per interview step (SQLite)",
            f"SQL statements / write transactions in the core's step ({step_kinds})",
            f"{cost.statements['statements']:.1f} / {cost.statements['write_transactions']:.2f}",
        ),
        Row(
            "Counted, per interview step (SQLite)",
            f"CPU instructions (callgrind, {cost.steps} steps minus 0 steps)",
            "valgrind not installed"
            if cost.instructions is None
            else f"{cost.instructions / 1e6:.1f} M",
            f"≤ {TARGET_INSTRUCTIONS / 1e6:.0f} M",
            None if cost.instructions is None else cost.instructions <= TARGET_INSTRUCTIONS,
        ),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.counts")
    roles = parser.add_subparsers(dest="role", required=True)
    step = roles.add_parser("step", help="answer --steps questions (run under callgrind)")
    step.add_argument("url")
    step.add_argument("--steps", type=int, default=10)
    step.add_argument("--toggles", type=Path, help="the library that switches callgrind on/off")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(steps(args.url, args.steps, toggles=args.toggles))))


if __name__ == "__main__":
    main()
