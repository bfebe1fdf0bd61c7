"""What an operator reads in the logs: JSON lines for everything under
``LOG_FORMAT=json`` (Alembic's too), request ids on worker-thread lines, one
access line per request without query strings, levels in any case, the
database error naming ``DATABASE_URL``, handling times up to 30 s."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import generate_latest

from bot import executor, logs
from bot.config import Settings
from bot.runtime import open_service
from bot.server import build_app
from conversations.metrics import HANDLING_SECONDS

POSTPOC = str(Path(sys.executable).with_name("postpoc"))


def postpoc(folder: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    kept = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "POSTPOC_", "TEAMS_", "LLM_", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(kept)}
    return subprocess.run(
        [POSTPOC, *args],
        env={**env, **settings},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure("INFO", json=True, stream=stream)
    yield stream
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_db_upgrade_logs_alembic_as_json_lines(tmp_path: Path) -> None:
    done = postpoc(
        tmp_path,
        "db",
        "upgrade",
        DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}",
        LOG_FORMAT="json",
    )
    assert done.returncode == 0, done.stderr
    logged = [json.loads(line) for line in done.stderr.splitlines()]
    migrations = [line for line in logged if line["logger"] == "alembic.runtime.migration"]
    assert any(str(line["event"]).startswith("Running upgrade") for line in migrations)
    assert done.stdout.startswith("database at revision ")


@pytest.mark.parametrize("level", ["debug", "Warning", " info "])
def test_log_levels_in_any_case(tmp_path: Path, level: str) -> None:
    assert Settings(_env_file=None, log_level=level).log_level == level.strip().upper()  # type: ignore[call-arg]
    done = postpoc(
        tmp_path, "db", "upgrade", DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}", LOG_LEVEL=level
    )
    assert done.returncode == 0, done.stderr


def test_an_unknown_level_is_named(tmp_path: Path) -> None:
    done = postpoc(tmp_path, "db", "current", LOG_LEVEL="loud")
    assert done.returncode == 1 and done.stderr.startswith("postpoc: setting LOG_LEVEL: ")


def test_the_database_error_at_start_names_database_url(tmp_path: Path) -> None:
    done = postpoc(
        tmp_path,
        "db",
        "current",
        DATABASE_URL="postgresql://postpoc:s3cret@127.0.0.1:1/postpoc?connect_timeout=2",
    )
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("postpoc: can't reach the database: ")
    assert "(check DATABASE_URL: postgresql+psycopg://postpoc:***@127.0.0.1:1/postpoc" in line
    assert "s3cret" not in line


async def test_worker_thread_lines_carry_the_request_id(captured: io.StringIO) -> None:
    loop = asyncio.get_running_loop()
    log = logging.getLogger("postpoc.test")
    logs.bind_request("req-7", "teams")
    # The loop's own default pool does not copy the context: the id is lost.
    await loop.run_in_executor(None, log.info, "before")
    executor.install()
    await loop.run_in_executor(None, log.info, "after")
    before, after = lines(captured)
    assert "request_id" not in before
    assert (after["event"], after["request_id"], after["platform"]) == ("after", "req-7", "teams")


async def test_one_access_line_per_request_without_the_query_string(
    captured: io.StringIO, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'p.db'}")  # type: ignore[call-arg]
    service = await open_service(settings)
    try:
        async with TestClient(TestServer(build_app(service, settings))) as client:
            await client.get("/healthz?text=my+private+answer", headers={"X-Request-Id": "r-1"})
            await client.post("/nowhere", data="a body someone typed")
    finally:
        await service.store.dispose()
    access = [line for line in lines(captured) if line["logger"] == "postpoc.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "/healthz", 200),
        ("POST", "/nowhere", 404),
    ]
    assert access[0]["request_id"] == "r-1" and isinstance(access[0]["ms"], float)
    # aiohttp's own access log (query string and all) is off in `postpoc serve`
    # (AppRunner(access_log=None)); the test server has it on.
    ours = json.dumps([line for line in lines(captured) if line["logger"] != "aiohttp.access"])
    assert "private" not in ours and "someone typed" not in ours


def test_handling_time_buckets_reach_30_seconds() -> None:
    HANDLING_SECONDS.labels("teams", "bucket-test").observe(25.0)
    text = generate_latest().decode()
    wanted = 'postpoc_handling_seconds_bucket{kind="bucket-test",le="30.0",platform="teams"} 1.0'
    assert wanted in text
    assert 'kind="bucket-test",le="20.0",platform="teams"} 0.0' in text
