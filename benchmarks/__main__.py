"""``python -m benchmarks`` (``make bench``): every benchmark, one table.

The table (markdown, with the machine and the date) is printed and written to
``benchmarks/RESULTS.md`` and, for a full run, into the README; progress goes
to standard error. ``--quick`` is a smaller run (fewer Slack answers, SQLite
only) for a first look.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import counts, slack_ack, startup, teams_turn, weekly_pass
from benchmarks.table import Row, render

RESULTS = Path(__file__).with_name("RESULTS.md")
BENCHMARKS = ("slack", "teams", "counts", "weekly", "startup")
README = Path(__file__).resolve().parents[1] / "README.md"
README_START, README_END = "<!-- benchmarks -->", "<!-- /benchmarks -->"


def _notes(
    quick: bool, postgres: bool, load: tuple[float, float, float], minutes: float
) -> list[str]:
    return [
        f"Load average before the run: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}. "
        f"The run took {minutes:.1f} minutes"
        + (" (`--quick`)." if quick else ".")
        + ("" if postgres else " PostgreSQL was not used."),
        "",
        "Slack: the app, the fake Web API and this client share the machine's cores; "
        "each level sends the same signed `message.im` events to the bare Bolt app, to "
        "bare Bolt plus one durable INSERT (SQLite, committed before the ack), then to "
        "postpoc, every owner warmed first. Teams: signed activities (tokens from a local "
        "key) to a bare botbuilder CloudAdapter echo bot, then to postpoc. Counts "
        "(statements, transactions, callgrind instructions) do not depend on the load. "
        "The weekly pass runs once per database and size, in a "
        "fresh process, at a moment when all 500 channel nudges are due.",
    ]


def into_readme(table: str) -> None:
    """The README shows the latest full run, between its two markers."""
    text = README.read_text(encoding="utf-8")
    start, end = text.index(README_START), text.index(README_END)
    README.write_text(
        text[: start + len(README_START)] + "\n" + table.strip() + "\n" + text[end:],
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller run, SQLite only")
    parser.add_argument(
        "--only", choices=BENCHMARKS, action="append", help="run only this one (repeatable)"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--people", type=int, help="Slack: answers per concurrency level (default 500, quick 100)"
    )
    parser.add_argument(
        "--slack-on-postgres",
        action="store_true",
        help="Slack: postpoc on PostgreSQL (when one answers) instead of SQLite",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help=f"where to write the table ({RESULTS.name})"
    )
    args = parser.parse_args(argv)
    chosen = args.only or list(BENCHMARKS)
    postgres = not (args.quick or args.no_postgres)
    people = args.people or (100 if args.quick else 500)
    load = os.getloadavg()
    started = time.perf_counter()

    steps: dict[str, Callable[[], list[Row]]] = {
        "slack": lambda: slack_ack.run(people=people, postgres=args.slack_on_postgres),
        "teams": lambda: teams_turn.run(people=50 if args.quick else 300),
        "counts": lambda: counts.run(
            people=20 if args.quick else 100, step_count=8 if args.quick else 20
        ),
        "weekly": lambda: weekly_pass.run(postgres=postgres),
        "startup": lambda: startup.run(),
    }
    rows: list[Row] = []
    for name in BENCHMARKS:
        if name in chosen:
            print(f"{name}…", file=sys.stderr, flush=True)
            rows += steps[name]()
    minutes = (time.perf_counter() - started) / 60
    table = render(rows, taken=datetime.now(UTC), notes=_notes(args.quick, postgres, load, minutes))
    print(table)
    header = (
        "# Benchmark results\n\n"
        f"Written by `make bench` (`{' '.join(['python -m benchmarks', *(argv or sys.argv[1:])])}`"
        "); what each benchmark does is in the docstrings of `benchmarks/`.\n\n"
    )
    args.output.write_text(header + table, encoding="utf-8")
    if args.output == RESULTS and not (args.quick or args.only):
        into_readme(table)
    missed = [row for row in rows if row.passed is False]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
