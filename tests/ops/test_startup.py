"""What ``postpoc serve`` has loaded once it answers ``/healthz``: what its
configuration needs, nothing that only some requests or other settings need
(issue 15, "a quick start"), and its garbage collector running again.

Each test starts the real command in a process of its own and asks it, through
the hidden test route ``/_test/imports`` (``POSTPOC_TEST_ROUTES=1``), which
modules it holds. Import counts do not depend on how busy the machine is; the
time they take is measured by ``benchmarks/startup.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.slack.harness import SECRET

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60.0

NEVER_AT_START = (
    "langchain",  # the optional model: only with LLM_MODEL
    "langchain_core",
    "matplotlib",  # charts: drawn when a summary shows one
    "reportlab",  # the PDF record: made when one is asked for
    "alembic",  # migrations: only when the schema is behind
    "mako",
    "pygments",
    "sqlalchemy.dialects.postgresql",  # on SQLite
    "psycopg",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@contextmanager
def serving(tmp_path: Path, **settings: str) -> Iterator[dict[str, Any]]:
    """``postpoc serve`` with ``settings`` and a SQLite database, migrated by a
    first start; yields what the second start reports once it is healthy."""
    kept = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "POSTPOC_", "TEAMS_", "LLM_", "SCHEDULER")
    base = {k: v for k, v in os.environ.items() if not k.startswith(kept)}
    for start in ("migrates", "measured"):
        port = free_port()
        env = {
            **base,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'postpoc.db'}",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "POSTPOC_TEST_ROUTES": "1",
            **settings,
        }
        log = tmp_path / f"{start}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve"],
                cwd=tmp_path,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                try:
                    get(f"http://127.0.0.1:{port}/healthz")
                    break
                except OSError:
                    time.sleep(0.05)
            if start == "measured":
                yield get(f"http://127.0.0.1:{port}/_test/imports")
        finally:
            process.terminate()
            process.wait(30)


def loaded(report: dict[str, Any], package: str) -> list[str]:
    return [m for m in report["modules"] if m == package or m.startswith(package + ".")]


def test_serving_slack_loads_neither_teams_nor_what_only_some_requests_need(
    tmp_path: Path,
) -> None:
    with serving(
        tmp_path,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-1-start",
        # Nothing listens there: the start's auth.test fails at once and is only logged.
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
    ) as report:
        assert loaded(report, "slack_bolt"), "the Slack adapter is mounted"
        assert loaded(report, "botbuilder") == [], "no Teams settings: no botbuilder"
        # Socket Mode is for development, with SLACK_APP_TOKEN only.
        assert loaded(report, "slack_sdk.socket_mode") == []
        for package in NEVER_AT_START:
            assert loaded(report, package) == [], package
        assert report["collector"]["enabled"], "the garbage collector runs once started"
        assert report["collector"]["frozen"] > 0, "what the start made is kept out of its scans"


def test_serving_teams_loads_no_slack_sdk(tmp_path: Path) -> None:
    with serving(tmp_path, TEAMS_ENABLED="true") as report:
        assert loaded(report, "botbuilder"), "the Teams adapter is mounted"
        assert loaded(report, "slack_bolt") == []
        assert loaded(report, "slack_sdk") == []
        for package in NEVER_AT_START:
            assert loaded(report, package) == [], package
        assert report["collector"]["enabled"]


def test_commands_that_need_no_database_do_not_load_it() -> None:
    """``postpoc bank check`` (and ``--help``, the other commands' parsing) answer
    without importing SQLAlchemy, pydantic-settings or aiohttp."""
    script = (
        "import sys\n"
        "from bot.cli import main\n"
        "assert main(['bank', 'check']) == 0\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'sqlalchemy', 'pydantic_settings', 'aiohttp', 'slack_bolt', 'botbuilder'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "all checks passed" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"
