"""A portfolio in production, a watch with an injected clock, and the webhook over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.server import build_app
from conversations.health import WatchSettings
from conversations.messages import Card
from conversations.outbox import Outbox
from conversations.pull import MetricsReader
from conversations.service import Service
from conversations.watch import Watch
from storage.models import Reading
from storage.repository import Store
from tests.support.conversation import Clock, Person, text
from tests.support.scripts import answer_until_done
from tests.support.watching import FakeMessenger, Sleeps

MONDAY_7_UTC = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # 08:00 in Paris
HANDLE = "invoice-agent"
INDICATOR = "handling time per invoice"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The recipe of the README, written out independently of the server's code."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def secret_in(replies: list[Any]) -> str:
    """The token a ``/poc token`` reply shows, between backquotes."""
    shown = text(replies)
    start = shown.index("`pps_") + 1
    return shown[start : shown.index("`", start)]


@dataclass
class World:
    store: Store
    service: Service
    clock: Clock
    messenger: FakeMessenger
    lea: Person
    omar: Person
    metrics: MetricsReader | None = None

    def watch(self) -> Watch:
        outbox = Outbox(self.store, {"test": self.messenger}, clock=self.clock, sleep=Sleeps())
        return Watch(
            self.store,
            outbox,
            clock=self.clock,
            bank=self.service.bank,
            settings=WatchSettings(),
            metrics=self.metrics,
        )

    async def tick(self) -> None:
        await self.watch().tick()

    async def readings(self, handle: str = HANDLE) -> list[Reading]:
        async with self.store.reading() as repo:
            workspace = await repo.workspace("test:acme")
            assert workspace is not None and workspace.id is not None
            poc = await repo.poc(workspace.id, handle)
            assert poc is not None and poc.id is not None
            [indicator] = await repo.indicators(poc.id)
            assert indicator.id is not None
            return list(await repo.readings(indicator.id))

    async def stage(self, handle: str = HANDLE) -> str:
        async with self.store.reading() as repo:
            workspace = await repo.workspace("test:acme")
            assert workspace is not None and workspace.id is not None
            poc = await repo.poc(workspace.id, handle)
            assert poc is not None
            return str(poc.stage)

    async def audit(self, action: str) -> list[dict[str, Any]]:
        async with self.store.reading() as repo:
            workspace = await repo.workspace("test:acme")
            assert workspace is not None and workspace.id is not None
            return [
                e.detail for e in await repo.audits.of_workspace(workspace.id) if e.action == action
            ]

    def dms(self, person: str) -> list[str]:
        return [p.text for p in self.messenger.to_person(person)]

    def nudges(self) -> list[str]:
        return [
            p.text
            for p in self.messenger.to_channel("C-team")
            if p.destination.thread is None and isinstance(p.replies[0], Card)
        ]


async def running_poc(
    service: Service,
    lea: Person,
    omar: Person,
    outcome: str = "industrialise",
    owner: str = "@omar",
    **answers: str,
) -> None:
    from tests.support.scripts import READY

    await lea.runs("new Invoice agent", channel="C-team")
    # These stories were written for the whole interview (the watch plan, the
    # conditions of a frame decision): asked at full depth on purpose.
    await lea.says(f"/poc interview {HANDLE}")
    await lea.runs(f"depth {HANDLE} full", channel="C-team")
    await answer_until_done(lea, await lea.says(f"/poc interview {HANDLE}"), {**READY, **answers})
    await lea.runs(f"owner {HANDLE} {owner}", channel="C-team")
    await lea.runs(f"decide {HANDLE} {outcome} Meets the gates we need", channel="C-team")


@pytest.fixture
async def world(store: Store) -> AsyncIterator[World]:
    clock = Clock(MONDAY_7_UTC)
    service = Service(store, clock=clock)
    lea, omar = Person(service, "lea"), Person(service, "omar")
    for person in (lea, omar):
        await person.says("hello")
    await running_poc(service, lea, omar)
    await lea.runs("subscribe weekly monday 09:00 Europe/Paris", channel="C-team")
    yield World(store, service, clock, FakeMessenger(), lea, omar)


Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def hook(world: World) -> AsyncIterator[Client]:
    """``postpoc serve``'s application on 127.0.0.1, on the world's service."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    async with TestClient(TestServer(build_app(world.service, settings))) as client:
        yield client


def body_of(*readings: dict[str, Any]) -> bytes:
    document: Any = readings[0] if len(readings) == 1 else list(readings)
    return json.dumps(document).encode()


def reading(value: float, at: str = "2026-11-02T06:30:00Z", **changes: Any) -> dict[str, Any]:
    return {"poc": HANDLE, "indicator": INDICATOR, "value": value, "at": at, **changes}


async def post(
    client: Client,
    secret: str | None,
    body: bytes,
    timestamp: int,
    *,
    signature: str | None = None,
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Postpoc-Timestamp"] = str(timestamp)
        headers["X-Postpoc-Signature"] = signature or sign(secret, timestamp, body)
    response = await client.post("/hooks/readings", data=body, headers=headers)
    return response.status, await response.json()
