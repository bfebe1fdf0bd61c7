"""Instants as the SQL stores keep them: aware, in UTC (``storage.models.UTCDateTime``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


@overload
def utc(instant: datetime) -> datetime: ...


@overload
def utc(instant: None) -> None: ...


def utc(instant: datetime | None) -> datetime | None:
    if instant is None:
        return None
    if instant.tzinfo is None:
        raise ValueError("naive datetime given to a store")
    return instant.astimezone(UTC)
