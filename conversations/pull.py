"""Indicator values pulled from the agent's monitoring (Prometheus), once per check-in period.

The core defines the port, :class:`MetricsReader`; ``bot/prometheus.py`` is
the adapter that speaks Prometheus' HTTP API. Each pass of the watch calls
:func:`pull_due`: every source not yet read in the current check-in period
(the owner's week) is asked for its value, outside any transaction, and the
value is stored as a reading marked ``prometheus``. A failure is recorded on
the source (health then says "telemetry not answering since …") and retried
at most once an hour; no value is ever made up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from conversations.context import zone
from storage.models import Person, Reading
from storage.repository import Store

log = logging.getLogger("postpoc.pull")

RETRY_AFTER = timedelta(hours=1)
MAX_URL = 500
MAX_QUERY = 2000


class PullError(Exception):
    """The source gave no usable value; ``reason`` is short and safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MetricsReader(Protocol):
    async def instant(self, url: str, query: str) -> float:
        """The value of ``query`` now on the server at ``url``; raises :class:`PullError`."""
        ...


def valid_url(url: str) -> bool:
    """An absolute http(s) URL with a host, no credentials in it."""
    if len(url) > MAX_URL:
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.username is None
        and parts.password is None
    )


@dataclass(frozen=True)
class _Due:
    source_id: int
    indicator_id: int
    url: str
    query: str
    instant: datetime
    period: str
    timezone: str


Period = Callable[[Person | None], tuple[datetime, str]]


async def pull_due(store: Store, reader: MetricsReader, now: datetime, period: Period) -> int:
    """Read every source due now; how many readings were stored."""
    due: list[_Due] = []
    async with store.reading() as repo:
        for workspace in await repo.active_workspaces():
            assert workspace.id is not None
            people = {p.id: p for p in await repo.people(workspace.id)}
            for poc, _, source in await repo.telemetry_sources(workspace.id):
                owner = people.get(poc.owner_id) if poc.owner_id else None
                instant, key = period(owner)
                if source.last_period == key:
                    continue
                if source.last_attempt_at and now - source.last_attempt_at < RETRY_AFTER:
                    continue
                assert source.id is not None
                due.append(
                    _Due(
                        source.id,
                        source.indicator_id,
                        source.url,
                        source.query,
                        instant,
                        key,
                        owner.timezone if owner else "UTC",
                    )
                )
    stored = 0
    for item in due:
        try:
            value: float | None = await reader.instant(item.url, item.query)
            error = None
        except PullError as failure:
            value, error = None, failure.reason
        stored += await _record(store, item, value, error, now)
    return stored


async def _record(
    store: Store, item: _Due, value: float | None, error: str | None, now: datetime
) -> int:
    async with store.unit() as repo:
        source = await repo.telemetry_source_by_id(item.source_id)
        if source is None or source.last_period == item.period:
            return 0  # removed meanwhile, or another replica read it first
        source.last_attempt_at = now
        if value is None:
            source.failing_since = source.failing_since or now
            source.last_error = (error or "failed")[:200]
            await repo.save(source)
            log.info("telemetry source %s not answering: %s", item.source_id, source.last_error)
            return 0
        source.last_period, source.failing_since, source.last_error = item.period, None, None
        await repo.save(source)
        added = await repo.add_telemetry_reading(
            Reading(
                indicator_id=item.indicator_id,
                value=value,
                taken_on=now.astimezone(zone(item.timezone)).date(),
                # The period's instant, not the reading's: replicas that both read
                # the same period store one reading.
                taken_at=item.instant,
                source="prometheus",
                created_at=now,
            )
        )
        return 1 if added else 0
