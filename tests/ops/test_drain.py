"""SIGTERM to a running ``postpoc serve`` drains it: ``/readyz`` turns 503 at
once, the request in flight finishes with 200, the process exits 0.

The console script runs for real on 127.0.0.1, in Teams' Emulator mode (a
platform without credentials), with ``POSTPOC_TEST_ROUTES=1``: ``/_test/hold``
is a request that stays in flight until the test releases it, so nothing
waits on a clock. The test waits on what the process says instead: its log
lines (``serving on``, ``draining``) as they come down its pipe, and
``/_test/held?at_least=1``, which answers once the request is held.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

POSTPOC = str(Path(sys.executable).with_name("postpoc"))
BOUND = 60.0
"""Longest any step may take on a busy machine."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    process: asyncio.subprocess.Process
    url: str
    session: aiohttp.ClientSession
    logged: list[dict[str, object]] = field(default_factory=list)
    """The process's JSON log lines so far, read from its pipe as they come."""
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    ended: bool = False

    async def read_log(self, out: Path) -> None:
        """Keep every line the process writes (also in ``out``), waking whoever waits."""
        assert self.process.stdout is not None
        with out.open("w") as copy:
            async for raw in self.process.stdout:
                line = raw.decode(errors="replace")
                copy.write(line)
                async with self.arrived:
                    if line.startswith("{"):
                        self.logged.append(json.loads(line))
                    self.arrived.notify_all()
        async with self.arrived:
            self.ended = True
            self.arrived.notify_all()

    async def line(self, starts: str) -> dict[str, object]:
        """The first log line whose event starts with ``starts``, once it is written."""

        def found() -> dict[str, object] | None:
            return next((e for e in self.logged if str(e.get("event")).startswith(starts)), None)

        async with asyncio.timeout(BOUND), self.arrived:
            await self.arrived.wait_for(lambda: found() is not None or self.ended)
        line = found()
        assert line is not None, f"the process ended without {starts!r}: {self.logged}"
        return line

    async def ask(self, path: str, wanted: int, method: str = "GET") -> dict[str, object]:
        """One request to ``path``, which must answer ``wanted``; its JSON body."""
        async with asyncio.timeout(BOUND):
            async with self.session.request(method, self.url + path) as response:
                assert response.status == wanted, (path, response.status)
                body = await response.json()
        assert isinstance(body, dict)
        return body

    def lines(self) -> list[dict[str, object]]:
        return list(self.logged)


async def serve(tmp_path: Path, **settings: str) -> AsyncIterator[Served]:
    kept = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "POSTPOC_", "TEAMS_", "LLM_", "LOG_")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(kept)},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'postpoc.db'}",
        "TEAMS_ENABLED": "true",
        "SCHEDULER": "false",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_FORMAT": "json",
        "POSTPOC_TEST_ROUTES": "1",
        **settings,
    }
    process = await asyncio.create_subprocess_exec(
        POSTPOC,
        "serve",
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as session:
            served = Served(process, f"http://127.0.0.1:{port}", session)
            reading = asyncio.ensure_future(served.read_log(tmp_path / "serve.log"))
            try:
                await served.line("serving on")  # its readiness line: the socket listens
                yield served
            finally:
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Served]:
    async for served in serve(tmp_path):
        yield served


async def test_sigterm_drains_the_request_in_flight_then_exits_0(server: Served) -> None:
    assert (await server.ask("/readyz", 200))["status"] == "ok"
    held = asyncio.ensure_future(server.session.get(server.url + "/_test/hold"))
    await _until_held(server, 1)

    server.process.send_signal(signal.SIGTERM)
    await server.line("draining: 1 requests in flight")
    draining = await server.ask("/readyz", 503)
    assert draining == {"status": "draining"}
    assert not held.done(), "the request is still in flight while the pod leaves the endpoints"
    assert (await server.ask("/healthz", 200))["status"] == "ok", "alive while draining"

    await server.ask("/_test/release", 200, method="POST")
    async with asyncio.timeout(BOUND):
        response = await held
        assert response.status == 200
        assert (await response.json()) == {"status": "released"}
        assert await server.process.wait() == 0

    lines = server.lines()
    events = [line["event"] for line in lines]
    assert events.index("draining: 1 requests in flight") < events.index("stopping")
    (hold,) = [line for line in lines if line.get("path") == "/_test/hold"]
    assert (hold["method"], hold["status"], hold["event"]) == ("GET", 200, "request")
    assert isinstance(hold["ms"], float) and isinstance(hold["request_id"], str)


async def test_a_request_that_outlasts_the_drain_does_not_keep_the_process(
    tmp_path: Path,
) -> None:
    async for server in serve(tmp_path, DRAIN_SECONDS="0.5"):
        held = asyncio.ensure_future(server.session.get(server.url + "/_test/hold"))
        await _until_held(server, 1)
        server.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(BOUND):
            assert await server.process.wait() == 0
        held.cancel()
        with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
            await held
        warnings = [
            line
            for line in server.lines()
            if line["level"] == "warning" and line["logger"] == "postpoc.server"
        ]
        assert [w["event"] for w in warnings] == [
            "stopping with 1 requests still in flight after 0.5 s"
        ]


async def _until_held(server: Served, count: int) -> None:
    """Answered once ``count`` requests are held (bot/testing.py waits, nobody polls)."""
    assert (await server.ask(f"/_test/held?at_least={count}", 200))["held"] == count
