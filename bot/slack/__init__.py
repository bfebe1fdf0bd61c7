"""Slack adapter (Bolt for Python)."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from conversations.service import Service


def mount(app: web.Application, service: Service, settings: Settings) -> None:
    """Add Slack's routes to the shared aiohttp application."""
    raise NotImplementedError("the Slack adapter is not built yet")
