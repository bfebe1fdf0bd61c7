"""Microsoft Teams adapter (Bot Framework)."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from conversations.service import Service


def mount(app: web.Application, service: Service, settings: Settings) -> None:
    """Add Teams routes to the shared aiohttp application."""
    raise NotImplementedError("the Teams adapter is not built yet")
