"""The weekly pass over a large portfolio: time, SQL statements, memory.

For each database (SQLite, and PostgreSQL when one answers) and each size
(1,000 and 10,000 POCs, always over 500 channels), a fresh database is seeded
(:mod:`benchmarks.portfolio`) and one ``Watch.plan()`` runs at the moment
every channel's nudge is due, in a process of its own
(``python -m benchmarks.weekly_pass URL``) so that its memory is its own:

- time: the pass, from the first query to the last nudge queued, its
  reopening scan included (timed apart too: the scan reopens the decisions
  the seeded facts break, so the first pass also writes those); and the
  process's CPU time in the pass, steadier than the wall clock on a busy machine;
- a later pass: the same watch fifteen minutes on (the scheduler's next pass,
  which scans again) with this week's nudges forgotten, so that it computes
  them all again, from what it kept of the answers;
- statements: every SQL statement the engine sent (``before_cursor_execute``);
- memory: the peak of Python allocations during the pass (``tracemalloc``, a
  second identical pass after the first one's posts are deleted, because
  tracing slows the code it watches; a new watch, so that it starts from
  nothing as the first did, its scan included) and how far the pass raised the
  process's peak resident size (``ru_maxrss``, during the first pass).

Afterwards the outbox is checked: one nudge per channel, queued once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.databases import (
    StatementCounter,
    postgres_database,
    postgres_server,
    sqlite_database,
)
from benchmarks.portfolio import NOW, Shape, describe, seed
from benchmarks.table import Row
from conversations import reopenings
from conversations.bank import load_bank
from conversations.outbox import Outbox
from conversations.watch import Watch
from storage.database import make_engine, resolve_url
from storage.models import Delivery
from storage.repository import Store

SIZES = (1_000, 10_000)
DELIVERY: sa.Table = Delivery.__table__  # type: ignore[attr-defined]
CHANNELS = 500
TARGET_SECONDS = 1.0
TARGET_MIB = 120.0
PASS_TIMEOUT = 900.0


@dataclass
class PassResult:
    pocs: int
    seconds: float
    statements: int
    by_kind: dict[str, int]
    nudges: int
    checkins: int
    reminders: int
    queued_nudges: int
    queued_details: int
    queued_channels: int
    traced_peak_mib: float
    rss_growth_mib: float
    cpu_seconds: float = 0.0
    scan_seconds: float = 0.0
    reopened: int = 0
    later_seconds: float = 0.0
    later_cpu_seconds: float = 0.0
    seed_seconds: float = 0.0
    seeded: str = ""


def _rss_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def _outbox_counts(store: Store) -> tuple[int, int, int]:
    """(nudges, channels they go to, threaded details) queued at NOW."""
    table = DELIVERY
    async with store.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(table.c.kind, sa.func.count(), sa.func.count(sa.distinct(table.c.target)))
                .where(table.c.created_at == NOW)
                .group_by(table.c.kind)
            )
        ).all()
    counts = {kind: (count, targets) for kind, count, targets in rows}
    nudges, channels = counts.get("nudge", (0, 0))
    return nudges, channels, counts.get("nudge_detail", (0, 0))[0]


async def _forget_this_week(store: Store) -> None:
    table = DELIVERY
    async with store.engine.begin() as conn:
        await conn.execute(sa.delete(table).where(table.c.created_at == NOW))


class _TimedScan:
    """``reopenings.scan``, timed, where the watch calls it."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.original = reopenings.scan

    async def __call__(self, *args: Any, **kwargs: Any) -> int:
        started = time.perf_counter()
        try:
            return await self.original(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


async def measure_pass(database_url: str, pocs: int) -> PassResult:
    """One timed pass, a later one by the same watch, then one traced pass by
    a new watch, on a seeded database."""
    store = Store(make_engine(resolve_url(database_url)))
    counter = StatementCounter()
    counter.attach(store.engine.sync_engine)
    bank = load_bank()
    moment = NOW

    def clock() -> datetime:
        return moment

    def new_watch() -> Watch:
        return Watch(store, Outbox(store, {}, clock=clock), clock=clock, bank=bank)

    scan = _TimedScan()
    reopenings.scan = scan  # type: ignore[assignment]
    watch = new_watch()
    try:
        async with store.unit() as repo:  # connect and warm up outside the measurement
            await repo.active_workspaces()
        rss_before = _rss_peak_mib()
        with counter.counting():
            started, cpu = time.perf_counter(), time.process_time()
            report = await watch.plan()
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        rss_growth = _rss_peak_mib() - rss_before
        scan_seconds = scan.seconds
        by_kind = dict(counter.by_kind)
        nudges, channels, details = await _outbox_counts(store)

        await _forget_this_week(store)
        moment = NOW + timedelta(minutes=15)
        started, cpu = time.perf_counter(), time.process_time()
        await watch.plan()
        later_seconds, later_cpu = time.perf_counter() - started, time.process_time() - cpu

        moment = NOW
        await _forget_this_week(store)
        tracemalloc.start()
        try:
            await new_watch().plan()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        reopenings.scan = scan.original
        await store.dispose()
    return PassResult(
        pocs=pocs,
        seconds=seconds,
        statements=sum(by_kind.values()),
        by_kind=by_kind,
        nudges=report.nudges,
        checkins=report.checkins,
        reminders=report.reminders,
        queued_nudges=nudges,
        queued_details=details,
        queued_channels=channels,
        traced_peak_mib=peak / 2**20,
        rss_growth_mib=rss_growth,
        cpu_seconds=cpu_seconds,
        scan_seconds=scan_seconds,
        reopened=report.reopened,
        later_seconds=later_seconds,
        later_cpu_seconds=later_cpu,
    )


def _in_subprocess(database_url: str, pocs: int) -> PassResult:
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "benchmarks.weekly_pass", database_url, str(pocs)],
        capture_output=True,
        text=True,
        timeout=PASS_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the weekly pass failed:\n{done.stderr[-3000:]}")
    return PassResult(**json.loads(done.stdout.strip().splitlines()[-1]))


@contextmanager
def _fresh_database(backend: str, folder: Path, server: str | None, pocs: int) -> Iterator[str]:
    if backend == "sqlite":
        with sqlite_database(folder, f"{pocs}.db") as url:
            yield url
    else:
        assert server is not None
        with postgres_database(server) as url:
            yield url


def run(*, postgres: bool = True, log: bool = True) -> list[Row]:
    server = postgres_server() if postgres else None
    backends = ["sqlite"] + (["postgresql"] if server else [])
    results: dict[str, list[PassResult]] = {}
    with tempfile.TemporaryDirectory(prefix="postpoc-bench-") as folder:
        for backend in backends:
            for pocs in SIZES:
                with _fresh_database(backend, Path(folder), server, pocs) as url:
                    started = time.perf_counter()
                    seeded = seed(url, Shape(pocs=pocs, channels=CHANNELS))
                    seed_seconds = time.perf_counter() - started
                    result = _in_subprocess(url, pocs)
                result.seed_seconds = seed_seconds
                result.seeded = describe(seeded.rows)
                if log:
                    print(
                        f"  weekly pass, {backend}, {pocs:,} POCs: {result.seconds:.2f} s "
                        f"(CPU {result.cpu_seconds:.2f} s, scan {result.scan_seconds:.2f} s, "
                        f"{result.reopened} reopened; later pass {result.later_seconds:.2f} s, "
                        f"CPU {result.later_cpu_seconds:.2f} s; heap {result.traced_peak_mib:.0f} MiB), "
                        f"{result.statements} statements {result.by_kind}, "
                        f"seeded in {seed_seconds:.1f} s ({result.seeded})",
                        file=sys.stderr,
                    )
                results.setdefault(backend, []).append(result)
    return rows_of(results)


def rows_of(results: dict[str, list[PassResult]]) -> list[Row]:
    rows: list[Row] = []
    for backend, passes in results.items():
        small, large = passes[0], passes[-1]
        name = f"weekly pass, {backend}"
        complete = all(
            p.nudges == CHANNELS
            and p.queued_nudges == CHANNELS
            and p.queued_channels == CHANNELS
            and p.checkins == 0
            for p in passes
        )
        rows += [
            Row(
                name,
                f"time to compute every nudge, {large.pocs:,} POCs / {CHANNELS} channels "
                "(reopening scan included; process CPU)",
                f"{large.seconds:.2f} s, CPU {large.cpu_seconds:.2f} s ({small.pocs:,} POCs: "
                f"{small.seconds:.2f} s, CPU {small.cpu_seconds:.2f} s)",
                f"≤ {TARGET_SECONDS:.0f} s",
                large.seconds <= TARGET_SECONDS,
            ),
            Row(
                name,
                "of which the reopening scan (decisions reopened)",
                f"{large.scan_seconds:.2f} s ({large.reopened:,} reopened)",
                "",
                None,
            ),
            Row(
                name,
                "a later pass by the same watch, 15 minutes on (scan included; process CPU)",
                f"{large.later_seconds:.2f} s, CPU {large.later_cpu_seconds:.2f} s",
                f"≤ {TARGET_SECONDS:.0f} s",
                large.later_seconds <= TARGET_SECONDS,
            ),
            Row(
                name,
                "SQL statements in the pass",
                f"{large.statements} at {large.pocs:,} POCs, {small.statements} at "
                f"{small.pocs:,} POCs",
                "does not grow with POCs",
                large.statements <= small.statements,
            ),
            Row(
                name,
                "peak memory of the pass (Python heap; process peak RSS growth)",
                f"{large.traced_peak_mib:.0f} MiB; {large.rss_growth_mib:.0f} MiB",
                f"≤ {TARGET_MIB:.0f} MiB",
                large.traced_peak_mib <= TARGET_MIB,
            ),
            Row(
                name,
                "outbox after the pass",
                f"{large.queued_nudges} nudges to {large.queued_channels} channels "
                f"+ {large.queued_details} threaded details",
                f"{CHANNELS} nudges, once each",
                complete,
            ),
        ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="one measured weekly pass (used by run())")
    parser.add_argument("database_url")
    parser.add_argument("pocs", type=int)
    args = parser.parse_args()
    result = asyncio.run(measure_pass(args.database_url, args.pocs))
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
