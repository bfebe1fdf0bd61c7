"""SIGTERM to a running ``postpoc serve`` drains it: ``/readyz`` turns 503 at
once, the request in flight finishes with 200, the process exits 0.

The console script runs for real on 127.0.0.1, in Teams' Emulator mode (a
platform without credentials), with ``POSTPOC_TEST_ROUTES=1``: ``/_test/hold``
is a request that stays in flight until the test releases it, so nothing
waits on a clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
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
    log: Path

    async def until(
        self,
        path: str,
        wanted: int,
        method: str = "GET",
        check: Callable[[dict[str, object]], bool] = lambda _: True,
    ) -> dict[str, object]:
        """Ask ``path`` until it answers ``wanted`` with a body that passes
        ``check`` (bounded); that JSON body."""
        async with asyncio.timeout(BOUND):
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with self.session.request(method, self.url + path) as response:
                        if response.status == wanted:
                            body = await response.json()
                            assert isinstance(body, dict)
                            if check(body):
                                return body
                await asyncio.sleep(0.02)

    def lines(self) -> list[dict[str, object]]:
        return [
            json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")
        ]


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
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = await asyncio.create_subprocess_exec(
            POSTPOC,
            "serve",
            env=env,
            cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    try:
        async with aiohttp.ClientSession() as session:
            served = Served(process, f"http://127.0.0.1:{port}", session, log)
            await served.until("/healthz", 200)
            yield served
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Served]:
    async for served in serve(tmp_path):
        yield served


async def test_sigterm_drains_the_request_in_flight_then_exits_0(server: Served) -> None:
    assert (await server.until("/readyz", 200))["status"] == "ok"
    held = asyncio.ensure_future(server.session.get(server.url + "/_test/hold"))
    await _until_held(server, 1)

    server.process.send_signal(signal.SIGTERM)
    draining = await server.until("/readyz", 503)
    assert draining == {"status": "draining"}
    assert not held.done(), "the request is still in flight while the pod leaves the endpoints"
    assert (await server.until("/healthz", 200))["status"] == "ok", "alive while draining"

    await server.until("/_test/release", 200, method="POST")
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
    await server.until("/_test/held", 200, check=lambda body: body["held"] == count)
