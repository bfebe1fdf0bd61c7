"""``postpoc tick`` as a CronJob runs it: one line, an exit code a scheduler
can act on, and the pass's counters pushed to a Pushgateway (a tiny fake one
on 127.0.0.1 here) when ``PUSHGATEWAY_URL`` is set."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from tests.reliability.support.seed import portfolio
from tests.slack.conftest import BOT_TOKEN, fake_slack
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import SECRET

__all__ = ["fake_slack"]
pytestmark = pytest.mark.storage
POSTPOC = str(Path(sys.executable).with_name("postpoc"))
NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
"""A Wednesday: the Monday 09:00 nudge of this week is due."""


@dataclass
class Pushgateway:
    """Records what is pushed, as a Pushgateway would receive it."""

    pushes: list[tuple[str, str, dict[str, float]]] = field(default_factory=list)
    url: str = ""

    async def receive(self, request: web.Request) -> web.Response:
        samples = {
            sample.name + _labels(sample.labels): sample.value
            for family in text_string_to_metric_families(await request.text())
            for sample in family.samples
        }
        self.pushes.append((request.method, request.path, samples))
        return web.Response(status=200)


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}" if labels else ""


@pytest.fixture
async def pushgateway() -> AsyncIterator[Pushgateway]:
    gateway = Pushgateway()
    app = web.Application()
    app.router.add_route("*", "/metrics/{tail:.*}", gateway.receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    gateway.url = f"http://127.0.0.1:{port}"
    yield gateway
    await runner.cleanup()


async def tick(database_url: str, folder: Path, **settings: str) -> tuple[int, str, str]:
    kept = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "POSTPOC_", "TEAMS_", "LLM_", "LOG_")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(kept)},
        "DATABASE_URL": database_url,
        "POSTPOC_NOW": NOW.isoformat(),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    process = await asyncio.create_subprocess_exec(
        POSTPOC,
        "tick",
        env=env,
        cwd=folder,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def watched(database_url: str, fake: FakeSlack, pushgateway: Pushgateway) -> dict[str, str]:
    await portfolio(database_url, NOW - timedelta(days=30), [("U0ANA", "Ana")], ["C0FIN"], 1, {})
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "PUSHGATEWAY_URL": pushgateway.url,
    }


async def test_a_good_pass_exits_0_and_pushes_its_success(
    database_url: str, fake_slack: FakeSlack, pushgateway: Pushgateway, tmp_path: Path
) -> None:
    settings = await watched(database_url, fake_slack, pushgateway)
    code, out, err = await tick(database_url, tmp_path, **settings)
    assert code == 0, err
    (line,) = out.splitlines()
    assert line.startswith("tick ok: planned 1 nudges, 1 check-ins, 0 reminders; sent ")
    ((method, path, samples),) = pushgateway.pushes
    assert (method, path) == ("POST", "/metrics/job/postpoc_tick"), "pushadd: keeps the rest"
    assert samples["postpoc_tick_last_success_timestamp_seconds"] == pytest.approx(
        samples["postpoc_tick_last_run_timestamp_seconds"]
    )
    assert samples["postpoc_tick_finished"] == 1
    assert samples["postpoc_tick_posts_failed"] == 0
    assert samples["postpoc_tick_planned{kind=nudge}"] == 1
    assert samples["postpoc_tick_posts{result=sent}"] >= 1


async def test_posts_failed_for_good_make_the_pass_fail(
    database_url: str, fake_slack: FakeSlack, pushgateway: Pushgateway, tmp_path: Path
) -> None:
    settings = await watched(database_url, fake_slack, pushgateway)
    fake_slack.revoked.add(BOT_TOKEN)  # every post refused: token_revoked, not retried
    code, out, err = await tick(database_url, tmp_path, **settings)
    assert code == 1, err
    (line,) = out.splitlines()
    assert line.startswith("tick failed: ") and " failed for good; planned 1 nudges" in line
    ((_, _, samples),) = pushgateway.pushes
    assert samples["postpoc_tick_posts_failed"] >= 1
    assert samples["postpoc_tick_finished"] == 1
    assert "postpoc_tick_last_success_timestamp_seconds" not in samples


async def test_a_pass_that_cannot_finish_fails_in_one_line(
    pushgateway: Pushgateway, tmp_path: Path
) -> None:
    unreachable = "postgresql://postpoc@127.0.0.1:1/postpoc?connect_timeout=2"
    code, out, err = await tick(unreachable, tmp_path, PUSHGATEWAY_URL=pushgateway.url)
    assert code == 1 and out == ""
    (line,) = err.splitlines()
    assert line.startswith("postpoc: can't reach the database: "), err
    assert "(check DATABASE_URL: postgresql+psycopg://postpoc@127.0.0.1:1/postpoc" in line
    assert "Traceback" not in out + err
    ((_, _, samples),) = pushgateway.pushes
    assert samples["postpoc_tick_finished"] == 0
    assert "postpoc_tick_last_success_timestamp_seconds" not in samples


async def test_without_a_pushgateway_nothing_is_pushed(
    database_url: str, fake_slack: FakeSlack, pushgateway: Pushgateway, tmp_path: Path
) -> None:
    settings = await watched(database_url, fake_slack, pushgateway)
    del settings["PUSHGATEWAY_URL"]
    code, out, _ = await tick(database_url, tmp_path, **settings)
    assert code == 0 and out.startswith("tick ok: ")
    assert pushgateway.pushes == []
