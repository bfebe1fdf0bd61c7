"""What an operator's probes and scrapers see: /healthz, /readyz, /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.runtime import open_service
from bot.server import build_app
from storage.database import make_engine, resolve_url, sync_url


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'p.db'}")  # type: ignore[call-arg]
    service = await open_service(settings)
    async with TestClient(TestServer(build_app(service, settings))) as client:
        yield client
    await service.store.dispose()


async def test_liveness_answers_ok(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200 and (await response.json()) == {"status": "ok"}


async def test_readiness_checks_the_database_and_its_schema(
    client: TestClient, tmp_path: Path
) -> None:
    response = await client.get("/readyz")
    assert response.status == 200 and (await response.json())["status"] == "ok"
    engine = sa.create_engine(sync_url(resolve_url(f"sqlite:///{tmp_path / 'p.db'}")))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    stale = await client.get("/readyz")
    assert stale.status == 503 and (await stale.json())["expected"] != "0001"
    with engine.begin() as connection:  # a newer replica migrated further: keep serving
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    ahead = await client.get("/readyz")
    assert ahead.status == 200 and (await ahead.json())["schema"] == "9999"


async def test_readiness_fails_when_the_database_is_gone(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'p.db'}")  # type: ignore[call-arg]
    service = await open_service(settings)
    service.store.engine = make_engine(
        resolve_url("postgresql://127.0.0.1:1/none?connect_timeout=1")
    )
    async with TestClient(TestServer(build_app(service, settings))) as client:
        response = await client.get("/readyz")
        assert response.status == 503 and (await response.json())["database"] == "unreachable"
    await service.store.dispose()


async def test_metrics_are_published_for_prometheus(client: TestClient) -> None:
    response = await client.get("/metrics")
    body = await response.text()
    assert response.status == 200 and response.content_type == "text/plain"
    for name in (
        "postpoc_requests_total",
        "postpoc_interview_steps_total",
        "postpoc_outbox_backlog",
        "postpoc_llm_tokens_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in body


async def test_every_response_carries_a_request_id(client: TestClient) -> None:
    mine = await client.get("/healthz", headers={"X-Request-Id": "abc123"})
    assert mine.headers["X-Request-Id"] == "abc123"
    fresh = await client.get("/healthz")
    assert len(fresh.headers["X-Request-Id"]) == 32
