"""Before a request is authenticated, nothing costly: a malformed, oversized
or deeply nested body on ``/slack/events`` or ``/api/messages`` gets a 4xx and
no traceback, and a body that trickles in is cut after
``HTTP_BODY_TIMEOUT_SECONDS`` (set small here) with a 408."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import structlog
from aiohttp import web

from bot import logs
from bot.config import Settings
from bot.runtime import open_service
from bot.server import build_app, runner_for
from tests.slack.conftest import BOT_TOKEN, StartBot, fake_slack, no_slack_environment, start_bot
from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import SECRET, Slack, sign
from tests.teams.conftest import Served, fake, served, sleeps, sqlite_store

FIXTURES = (fake_slack, no_slack_environment, start_bot, fake, served, sleeps, sqlite_store)

DEEP = "[" * 200_000 + "]" * 200_000
"""Far deeper than Python's JSON parser goes (it raises RecursionError), and under 1 MB."""
DEEP_OBJECT = '{"type": "event_callback", "event": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure("DEBUG", json=True, stream=stream)
    yield stream
    logging.getLogger().handlers.clear()
    structlog.reset_defaults()


@pytest.fixture
async def slack(start_bot: StartBot, tmp_path: object) -> Slack:
    return await start_bot(f"sqlite:///{tmp_path}/postpoc.db")


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
async def test_a_deeply_nested_slack_body_is_refused_without_a_traceback(
    log: io.StringIO, slack: Slack, body: str, signed: bool
) -> None:
    headers = sign(body) if signed else {}

    reply = await slack.send(body, "application/json", headers=headers)

    assert reply.status == (400 if signed else 401)
    assert "Traceback" not in log.getvalue() and "RecursionError" not in log.getvalue()


async def test_unsigned_junk_on_slack_is_refused_before_it_is_read(
    log: io.StringIO, slack: Slack
) -> None:
    junk = "payload=" + "%7B" * 300_000  # a form whose payload would be deep JSON
    reply = await slack.send(junk, "application/x-www-form-urlencoded", headers={})
    big = await slack.send("x" * (1024**2 + 1), "text/plain", headers={})

    assert reply.status == 401 and big.status == 413
    assert "Traceback" not in log.getvalue()


@pytest.mark.parametrize("token", [None, "Bearer not.a.token"], ids=["no token", "bad token"])
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, "{not json"], ids=["array", "object", "junk"])
async def test_a_deeply_nested_or_broken_teams_body_is_refused_without_a_traceback(
    log: io.StringIO, served: Served, body: str, token: str | None
) -> None:
    headers = {"Content-Type": "application/json", **({"Authorization": token} if token else {})}
    async with served.client.session.post(
        served.client.bot_url + "/api/messages", data=body.encode(), headers=headers
    ) as response:
        status = response.status

    assert status in (400, 401)
    if token is None:
        assert status == 401, "no token: refused before the body is parsed"
    assert "Traceback" not in log.getvalue() and "RecursionError" not in log.getvalue()


# -- a body that trickles in -----------------------------------------------------------

TIMEOUT = 0.5


@pytest.fixture
async def server(fake_slack: FakeSlack, tmp_path: object) -> AsyncIterator[tuple[str, int]]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path}/postpoc.db",
        slack_signing_secret=SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=fake_slack.api_url,
        teams_enabled=True,
        http_body_timeout_seconds=TIMEOUT,
    )
    service = await open_service(settings)
    runner = runner_for(build_app(service, settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield host, port
    finally:
        await runner.cleanup()
        await service.store.dispose()


async def trickle(writer: asyncio.StreamWriter) -> None:
    """One byte every 0.05 s: slower than any client sends a body."""
    with contextlib.suppress(ConnectionError):
        while True:
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("path", ["/slack/events", "/api/messages"])
async def test_a_body_that_trickles_in_is_cut_with_a_408(
    server: tuple[str, int], path: str
) -> None:
    host, port = server
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100000\r\n\r\n{"
    )
    writer.write(head.encode())
    sending = asyncio.create_task(trickle(writer))
    try:
        # Bounded: the answer comes after the configured timeout, or the test fails.
        answer = await asyncio.wait_for(reader.read(), timeout=TIMEOUT + 5)
    finally:
        sending.cancel()
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert b"request body too slow" in answer, "and the connection is closed (read to EOF)"


async def test_a_body_that_arrives_in_time_is_served(server: tuple[str, int]) -> None:
    host, port = server
    async with aiohttp.ClientSession() as session:
        body = '{"type": "url_verification", "challenge": "c"}'
        async with session.post(
            f"http://{host}:{port}/slack/events",
            data=body,
            headers={"Content-Type": "application/json", **sign(body)},
        ) as response:
            assert response.status == 200
