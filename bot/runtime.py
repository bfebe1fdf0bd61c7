"""Wiring: settings → database (migrated) → the core service."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from conversations.service import Clock, Service, utc_now
from storage import migrate
from storage.database import make_engine
from storage.repository import Store


async def open_service(
    settings: Settings, *, clock: Clock = utc_now, upgrade: bool = True
) -> Service:
    """A ready service: the database migrated to head, the bank loaded."""
    url = settings.db_url()
    if upgrade:
        # Alembic is synchronous; keep the event loop free while it runs.
        await asyncio.to_thread(migrate.upgrade, url)
    return Service(Store(make_engine(url)), clock=clock)
