"""``postpoc demo`` as someone who just cloned the repository runs it: a
portfolio in its own database, then the console on it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.storage
ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-30T08:00:00+00:00"
SESSION = (
    "/poc list\n/poc nudge preview\n/poc record support-triage md\n/poc summary invoice-agent\n"
)


def demo(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LC_ALL")}
    env.update({"POSTPOC_DATA_DIR": str(data_dir), "POSTPOC_NOW": NOW, "LANG": "en_US.UTF-8"})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--user", "lea", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
        check=False,
    )


def query(database_url: str, data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    if database_url.startswith("sqlite"):
        with sqlite3.connect(data_dir / "demo.db") as connection:
            return list(connection.execute(sql).fetchall())
    with psycopg.connect(database_url) as connection:
        return list(connection.execute(sql).fetchall())  # type: ignore[arg-type]


def test_the_demo_fills_its_own_database_and_opens_the_console_on_it(
    database_url: str, tmp_path: Path
) -> None:
    into = () if database_url.startswith("sqlite") else ("--into", database_url)

    done = demo(tmp_path, *into, stdin=SESSION)

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Traceback" not in out + done.stderr
    assert "Demo portfolio: 13 POCs" in out and "1 subscribed channel" in out
    assert not (tmp_path / "postpoc.db").exists(), "never the default database"
    # list, the nudge preview, a record and a summary show something real.
    assert "== Portfolio: 13 POCs ==" in out
    for shown in ("Recommendation: Stop", "Recommendation: Frame", "Recommendation: Industrialise"):
        assert shown in out
    assert "Recommendation: Not enough information" in out
    assert "A preview, posted nowhere: this channel gets the nudge every Monday at 09:00" in out
    assert "moving away from its target" in out
    record = tmp_path / "records" / "support-triage-record.md"
    assert f"Decision record: Support triage (support-triage): {record}" in out
    written = record.read_text(encoding="utf-8")
    assert "| 2026-11-23 10:00 UTC | first response time past its threshold" in written
    assert "Two drafts quoted another customer's order number" in written
    assert "| missed |" not in written  # Support triage answered every week
    assert "handling time per invoice" in out

    stages = Counter(s for (s,) in query(database_url, tmp_path, "SELECT stage FROM poc"))
    assert stages == {
        "industrialised": 4,
        "framed": 3,
        "stopped": 3,
        "assessing": 2,
        "poc": 1,
    }
    outcomes = {o for (o,) in query(database_url, tmp_path, "SELECT outcome FROM decision")}
    assert outcomes == {"stop", "frame", "industrialise"}
    conditions = query(
        database_url, tmp_path, "SELECT conditions FROM decision WHERE outcome = 'frame'"
    )
    assert all(c not in ("[]", []) for (c,) in conditions)
    weeks = query(
        database_url,
        tmp_path,
        "SELECT i.poc_id, COUNT(*) FROM reading r JOIN indicator i ON i.id = r.indicator_id "
        "GROUP BY i.poc_id",
    )
    assert len(weeks) >= 8 and all(count == 13 for _, count in weeks)
    checkins = Counter(
        (status, reminded is not None)
        for status, reminded in query(
            database_url, tmp_path, "SELECT status, reminded_at FROM checkin"
        )
    )
    assert checkins[("answered", False)] > 50 and checkins[("sent", True)] >= 3
    [(incidents,)] = query(
        database_url, tmp_path, "SELECT COUNT(*) FROM checkin WHERE incidents > 0"
    )
    assert incidents >= 2
    [(reopened,)] = query(
        database_url, tmp_path, "SELECT COUNT(*) FROM auditevent WHERE action = 'reopened'"
    )
    assert reopened == 1
    [(channel,)] = query(database_url, tmp_path, "SELECT channel_id FROM subscription")
    assert channel == "console"

    if into:
        again = demo(tmp_path, *into, "--no-chat")
        assert again.returncode == 1
        assert "already has POCs" in again.stderr
    else:
        # The same seed and clock: the same portfolio, in a fresh demo.db.
        before = query(database_url, tmp_path, "SELECT value, taken_on FROM reading ORDER BY id")
        rebuilt = demo(tmp_path, "--no-chat")
        assert rebuilt.returncode == 0, rebuilt.stderr
        after = query(database_url, tmp_path, "SELECT value, taken_on FROM reading ORDER BY id")
        assert before == after
