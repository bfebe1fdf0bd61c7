"""Wiring: settings → database (migrated) → the core service."""

from __future__ import annotations

import asyncio

from bot import seals, startup
from bot.config import Settings
from conversations.delivery import Messenger
from conversations.health import WatchSettings
from conversations.identity import Identity, platform_rules
from conversations.llm import Assistant
from conversations.service import Clock, Service, utc_now
from conversations.throttle import RateLimits
from storage import migrate
from storage.database import make_engine
from storage.repository import Store


async def open_service(
    settings: Settings, *, clock: Clock = utc_now, upgrade: bool = True
) -> Service:
    """A ready service: the database migrated to head, the bank loaded, the
    language model connected when ``LLM_MODEL`` names one."""
    assistant = language_model(settings)
    # Buttons posted by this process (the outbox of `postpoc tick` too) carry
    # seals the serving replicas can check.
    seals.configure(settings)
    url = settings.db_url()
    if upgrade and await asyncio.to_thread(migrate.recorded_revision, url) != migrate.HEAD_REVISION:
        # One query when the schema is current (most starts); Alembic
        # (synchronous, off the event loop) only when it is behind. Migrating
        # makes garbage, so the collector paused for the start runs again first.
        startup.started()
        await asyncio.to_thread(migrate.upgrade, url)
    return Service(
        Store(make_engine(url)),
        clock=clock,
        watch_settings=watch_settings(settings),
        assistant=assistant,
        identity=identity(settings),
        rate_limits=rate_limits(settings),
    )


LOCAL_WORKSPACES = ("console:",)
"""Workspaces whose first person administers: the console's, whoever runs it
owns the database file. Slack and Teams workspaces never are."""


def identity(settings: Settings) -> Identity:
    """Who administers, for a deployment: ``POSTPOC_ADMINS``, the installers,
    ``postpoc role``; the first person only in the console."""
    return platform_rules(settings.admins, LOCAL_WORKSPACES)


def language_model(settings: Settings) -> Assistant | None:
    """The assistant of ``LLM_MODEL``; None (no model) when it is unset."""
    if not settings.llm_model:
        return None
    # Only here: without a model configured, langchain is never imported.
    from bot.llm import ModelSetupError, build_assistant

    try:
        return build_assistant(settings)
    except ModelSetupError as error:
        raise SystemExit(f"postpoc: setting LLM_MODEL: {error}") from None


def rate_limits(settings: Settings) -> RateLimits:
    return RateLimits(
        commands=frozenset(
            name.strip().lower()
            for name in settings.rate_limited_commands.split(",")
            if name.strip()
        ),
        per_person=settings.rate_limit_per_person,
        per_workspace=settings.rate_limit_per_workspace,
    )


def watch_settings(settings: Settings) -> WatchSettings:
    return WatchSettings(
        decision_overdue_days=settings.decision_overdue_days,
        stale_answer_days=settings.stale_answer_days,
        reading_gap_weeks=settings.reading_gap_weeks,
    )


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
