"""Wiring: settings → database (migrated) → the core service."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from conversations.delivery import Messenger
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


def platform_messengers(service: Service, settings: Settings) -> dict[str, Messenger]:
    """A messenger for every configured platform, for posts nobody asked for."""
    messengers: dict[str, Messenger] = {}
    if settings.slack_configured:
        from bot.slack import make_messenger as slack_messenger

        messengers["slack"] = slack_messenger(service, settings)
    if settings.teams_configured:
        from bot.teams import make_messenger as teams_messenger

        messengers["teams"] = teams_messenger(service, settings)
    return messengers
