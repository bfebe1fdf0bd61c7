"""A fake Prometheus HTTP API (``GET /api/v1/query``) on 127.0.0.1, scripted per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class FakePrometheus:
    answer: tuple[int, Any] = (200, {"status": "success", "data": {"resultType": "scalar"}})
    hang: bool = False
    queries: list[str] = field(default_factory=list)
    url: str = ""
    _never: asyncio.Event = field(default_factory=asyncio.Event)

    def value(self, value: str) -> None:
        self.answer = (
            200,
            {
                "status": "success",
                "data": {
                    "resultType": "vector",
                    "result": [{"metric": {"job": "agent"}, "value": [1_793_000_000.0, value]}],
                },
            },
        )

    def error(self, status: int = 400, kind: str = "bad_data") -> None:
        self.answer = (status, {"status": "error", "errorType": kind, "error": "parse error"})

    async def query(self, request: web.Request) -> web.Response:
        self.queries.append(request.query.get("query", ""))
        if self.hang:
            await self._never.wait()  # the client's time-out ends this, not a clock
        status, body = self.answer
        return web.json_response(body, status=status)


@asynccontextmanager
async def fake_prometheus() -> AsyncIterator[FakePrometheus]:
    fake = FakePrometheus()
    app = web.Application()
    app.router.add_get("/api/v1/query", fake.query)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/")).rstrip("/")
    try:
        yield fake
    finally:
        fake._never.set()
        await server.close()
