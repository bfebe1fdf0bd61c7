"""Microsoft Teams adapter: a Bot Framework bot at ``/api/messages``.

Layout (botbuilder is imported only through ``sdk``):

- ``inbound``: an Activity's JSON → the core's ``Inbound`` (pure);
- ``routing``: which replies go to the thread, which to the personal chat (pure);
- ``cards``: replies → Adaptive Cards (pure); ``texts``: the adapter's own words;
- ``outbound``: connector calls retried on 429/412/502/504;
- ``connector``: sending, updating, conversation references, personal chats;
- ``auth``: inbound token checks (401) and outbound credentials;
- ``bot``: the turn; ``messenger``: unprompted posts; ``app``: the HTTP route;
- ``lanes``: the inbox's work after the response, one drain per person at a time;
- ``options``: endpoints, fixed token and retry policy, for tests and private clouds.

Deployment, and how the bot behaves in Teams: ``deploy/teams/README.md``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.config import Settings
from bot.teams.options import Endpoints, RetryPolicy, TeamsOptions
from conversations.delivery import Messenger
from conversations.service import Service

if TYPE_CHECKING:
    from bot.teams.app import Teams

__all__ = [
    "TEAMS_ADAPTER",
    "TEAMS_MESSENGER",
    "TEAMS_SETTLED",
    "Endpoints",
    "RetryPolicy",
    "TeamsOptions",
    "make_messenger",
    "mount",
]

TEAMS_MESSENGER: web.AppKey[Messenger] = web.AppKey("teams_messenger")
"""Where ``mount`` leaves the Teams messenger, for the outbox."""
TEAMS_SETTLED: web.AppKey[Callable[[float], Awaitable[bool]]] = web.AppKey("teams_settled")
"""Waits (at most so many seconds) for the steps and replies that follow the responses."""
TEAMS_ADAPTER: web.AppKey[Teams] = web.AppKey("teams_adapter")
"""The adapter's wired parts (its inbox, lanes, sweep), for tests and operations."""


def mount(
    app: web.Application,
    service: Service,
    settings: Settings,
    options: TeamsOptions | None = None,
) -> Messenger:
    """Serve Teams at ``/api/messages`` in the shared aiohttp application.

    ``options`` are for tests and private clouds (``bot.teams.options``);
    production needs only the ``MICROSOFT_APP_*`` settings. Returns the
    messenger for posts made unprompted (also kept in ``app[TEAMS_MESSENGER]``).
    """
    from bot.teams.app import mount as mount_app

    teams = mount_app(app, service, settings, options or TeamsOptions())
    app[TEAMS_MESSENGER] = teams.messenger
    app[TEAMS_SETTLED] = teams.settled
    app[TEAMS_ADAPTER] = teams
    return teams.messenger


def make_messenger(
    service: Service, settings: Settings, options: TeamsOptions | None = None
) -> Messenger:
    """A messenger without an HTTP route, for ``postpoc tick``."""
    from bot.teams.app import Teams

    return Teams(service, settings, options or TeamsOptions()).messenger
