"""Indicator values pulled from Prometheus by the watch, against a fake
Prometheus HTTP API on 127.0.0.1: success, an error status, a value that is
not a number, a time-out; and what the owner and the portfolio then see."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.prometheus import PrometheusReader
from conversations.pull import PullError
from tests.support.conversation import text
from tests.telemetry.conftest import HANDLE, INDICATOR, World
from tests.telemetry.fake_prometheus import FakePrometheus, fake_prometheus

QUERY = 'avg_over_time(invoice_handling_minutes{job="agent"}[7d])'


@pytest.fixture
async def prometheus() -> AsyncIterator[FakePrometheus]:
    async with fake_prometheus() as fake:
        yield fake


async def test_the_reader_takes_one_number_and_refuses_anything_else(
    prometheus: FakePrometheus,
) -> None:
    reader = PrometheusReader(timeout_seconds=0.5)
    prometheus.value("12.5")
    assert await reader.instant(prometheus.url, QUERY) == 12.5
    assert prometheus.queries == [QUERY]
    prometheus.answer = (
        200,
        {"status": "success", "data": {"resultType": "scalar", "result": [1, "3"]}},
    )
    assert await reader.instant(prometheus.url + "/", QUERY) == 3.0
    failures = []
    for script in ("error", "nan", "text", "empty", "hang"):
        prometheus.hang = script == "hang"
        if script == "error":
            prometheus.error(400, "bad_data")
        elif script == "empty":
            prometheus.answer = (
                200,
                {"status": "success", "data": {"resultType": "vector", "result": []}},
            )
        else:
            prometheus.value({"nan": "NaN", "text": "twelve", "hang": "1"}[script])
        with pytest.raises(PullError) as raised:
            await reader.instant(prometheus.url, QUERY)
        failures.append(raised.value.reason)
    assert failures == [
        "HTTP 400, bad_data",
        "not a number",
        "not a number",
        "no series",
        "timed out",
    ]


@pytest.mark.storage
async def test_the_watch_reads_each_period_once_and_the_check_in_stops_asking(
    world: World, prometheus: FakePrometheus
) -> None:
    world.metrics = PrometheusReader(timeout_seconds=0.5)
    prometheus.value("14")
    set_up = text(
        await world.omar.says(
            f"/poc source {HANDLE} {INDICATOR} prometheus {prometheus.url} {QUERY}"
        )
    )
    assert "read from Prometheus" in set_up and QUERY in set_up
    await world.tick()
    await world.tick()  # the same check-in period: not asked again
    assert prometheus.queries == [QUERY]
    assert [(r.value, r.source) for r in await world.readings()] == [(14.0, "prometheus")]

    prometheus.value("15")
    world.clock.advance(hours=3)  # 10:00 in Paris: a new check-in period, and its check-in
    await world.tick()
    assert len(prometheus.queries) == 2
    [checkin] = world.dms("omar")
    assert "Weekly check-in for Invoice agent" in checkin
    assert "comes from the agent's telemetry" in checkin
    assert "what was handling time per invoice this week" not in checkin

    prometheus.value("16")
    world.clock.advance(days=7)
    await world.tick()
    assert [r.value for r in await world.readings()] == [14.0, 15.0, 16.0]
    summary = text(await world.lea.says(f"/poc summary {HANDLE}"))
    assert "16 minutes on Nov 9, 2026 (from telemetry)" in summary


@pytest.mark.storage
async def test_a_failing_source_shows_in_health_and_stores_nothing(
    world: World, prometheus: FakePrometheus
) -> None:
    world.metrics = PrometheusReader(timeout_seconds=0.5)
    prometheus.error(503, "unavailable")
    await world.omar.says(f"/poc source {HANDLE} {INDICATOR} prometheus {prometheus.url} up")
    await world.tick()
    world.clock.advance(minutes=30)
    await world.tick()  # retried after an hour, not at every pass
    assert len(prometheus.queries) == 1
    world.clock.advance(minutes=31)
    await world.tick()
    assert len(prometheus.queries) == 2
    assert await world.readings() == []
    world.clock.advance(days=7)
    prometheus.value("NaN")
    await world.tick()
    assert await world.readings() == []
    nudge = world.nudges()[-1]
    assert "telemetry not answering since Nov 2, 2026" in nudge

    prometheus.value("9")
    world.clock.advance(hours=1)
    await world.tick()
    assert [r.value for r in await world.readings()] == [9.0]
    health = await world.watch().portfolio_health("test:acme")
    assert "telemetry_silent" not in {f.code for f in health[HANDLE].findings}


@pytest.mark.storage
async def test_only_an_http_url_is_taken_and_only_from_the_owner_or_a_lead(world: World) -> None:
    for url in (
        "ftp://metrics.example.com",
        "metrics.example.com",
        "http://user:pw@metrics.example.com",
    ):
        refused = text(
            await world.lea.says(f"/poc source {HANDLE} {INDICATOR} prometheus {url} up")
        )
        assert "must start with http:// or https://" in refused
    from tests.support.conversation import Person

    sam = Person(world.service, "sam")
    await sam.says("hello")
    refused = text(
        await sam.says(f"/poc source {HANDLE} {INDICATOR} prometheus http://127.0.0.1:9090 up")
    )
    assert "Only the owner of invoice-agent or a lead" in refused
    unknown = text(
        await world.lea.says(f"/poc source {HANDLE} tickets prometheus http://p:9090 up")
    )
    assert "has no indicator “tickets”" in unknown or "has no indicator" in unknown
    done = text(
        await world.lea.says(f"/poc source {HANDLE} {INDICATOR} prometheus http://p:9090 up")
    )
    assert "read from Prometheus" in done
    off = text(await world.lea.says(f"/poc source {HANDLE} {INDICATOR} off"))
    assert "no longer read from telemetry" in off
