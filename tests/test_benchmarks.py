"""The benchmarks' own arithmetic, cheaply: what they count and how the table judges.

The benchmarks themselves run with ``make bench``; here only the pieces that
decide a PASS or a MISS, on tiny inputs.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from benchmarks.counts import SqlCounter
from benchmarks.slack_ack import Level, SlackRun, rows_of
from storage.database import make_engine, resolve_url


async def test_the_counter_counts_statements_and_the_transactions_that_write(
    tmp_path: Path,
) -> None:
    engine = make_engine(resolve_url(f"sqlite:///{tmp_path / 'count.db'}"))
    counter = SqlCounter()
    counter.attach(engine.sync_engine)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        counter.active = True
        async with engine.begin() as conn:
            await conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            await conn.execute(sa.text("SELECT x FROM t"))
    finally:
        counter.active = False
        await engine.dispose()
    assert counter.statements == Counter({"INSERT": 1, "SELECT": 1})
    assert (counter.transactions, counter.writing) == (1, 1)


def level(app: str, p99_ms: float, drain: float | None = 0.0) -> Level:
    measured = Level(app, 50, latencies=[p99_ms / 1000] * 100, seconds=0.1, drain_seconds=drain)
    measured.statuses[200] = 100
    return measured


def verdicts(postpoc_p99_ms: float) -> dict[str, bool | None]:
    run = SlackRun(
        people=100,
        levels=[(level("bare", 10), level("durable", 20), level("postpoc", postpoc_p99_ms))],
        answers_expected=100,
        answers_stored=100,
        answers_distinct=100,
        prepare_seconds=1.0,
    )
    return {row.measurement: row.passed for row in rows_of(run)}


def test_the_ack_ratio_is_judged_against_bare_bolt_plus_one_durable_insert() -> None:
    ratio = "p99 ratio to bare Bolt + durable INSERT (to bare Bolt)"
    assert verdicts(postpoc_p99_ms=29)[ratio] is True  # 1.45× the durable floor, 2.9× bare
    assert verdicts(postpoc_p99_ms=31)[ratio] is False
