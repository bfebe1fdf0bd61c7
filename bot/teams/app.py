"""``POST /api/messages``: authenticate, read the tenant, run the turn.

The handler answers as Teams expects: 201 for a handled activity (200 with a
body for an invoke), 401 for anything not signed by the Bot Framework for
this app, 400 for a body that is not an activity or has no tenant, 503 when
the signing keys can't be fetched. Nothing of a refused request is stored.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot import seals
from bot.config import Settings
from bot.teams import inbound, texts
from bot.teams.auth import AuthUnavailable, authentication
from bot.teams.bot import RAW_ACTIVITY, WORKSPACE, TeamsBot
from bot.teams.connector import Connector
from bot.teams.messenger import TeamsMessenger
from bot.teams.options import TeamsOptions
from bot.teams.outbound import OutboundError
from bot.teams.sdk import Activity, CloudAdapter
from conversations.i18n import translator
from conversations.service import Service

log = logging.getLogger("postpoc.teams")

ROUTE = "/api/messages"


class Teams:
    """The adapter's parts, wired: what ``mount`` adds to the aiohttp app."""

    def __init__(self, service: Service, settings: Settings, options: TeamsOptions) -> None:
        self.emulator = not settings.microsoft_app_id
        # A SingleTenant app's tenant, or TEAMS_ALLOWED_TENANTS; empty: any tenant.
        self.tenants = frozenset(settings.allowed_tenants)
        self.auth = authentication(settings, options)
        self.adapter = CloudAdapter(self.auth)
        self.adapter.on_turn_error = self.on_turn_error
        self.connector = Connector(
            self.adapter, settings.microsoft_app_id or "", service.platform, options.retry
        )
        self.bot = TeamsBot(service, self.connector, options)
        self.messenger = TeamsMessenger(self.connector)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.content_type != "application/json":
            return _refused(415, "an activity is JSON")
        header = request.headers.get("Authorization", "")
        if not self.emulator and not header.startswith("Bearer "):
            # No token at all: refused before the body is even parsed.
            return _refused(401, "unauthorized")
        try:
            body = await request.json()
        except ValueError:
            return _refused(400, "not JSON")
        except RecursionError:  # nested deeper than the parser goes: no activity is
            return _refused(400, "not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return _refused(400, "not an activity")
        try:
            activity = Activity().deserialize(body)
        except Exception:  # RecursionError included: a deeply nested field
            return _refused(400, "not an activity")
        workspace = inbound.workspace_of(body, emulator=self.emulator)
        problem = "no tenant in channelData" if workspace is None else _unaddressed(body)
        try:
            if problem is not None:
                # Authenticate first all the same: a stranger learns nothing.
                await self.auth.authenticate_request(activity, header)
                return _refused(400, problem)
            outside = self._outside(body)
            if outside is not None:
                # Logged only once it is known to come from the Bot Framework.
                await self.auth.authenticate_request(activity, header)
                log.warning("teams: %s", outside[1])
                return outside[0]

            async def turn_logic(turn: Any) -> None:
                turn.turn_state[RAW_ACTIVITY] = body
                turn.turn_state[WORKSPACE] = workspace
                await self.bot.on_turn(turn)

            response = await self.adapter.process_activity(header, activity, turn_logic)
        except PermissionError:
            return _refused(401, "unauthorized")
        except AuthUnavailable:
            return _refused(503, "the Bot Framework's signing keys are unavailable")
        if response is not None:
            return _invoke_response(response)
        return web.Response(status=201)

    def _outside(self, body: dict[str, Any]) -> tuple[web.Response, str] | None:
        """An activity this app does not serve: from a tenant it is not for, or,
        in Emulator mode, asking for replies anywhere but this machine (the
        bot would POST to whatever ``serviceUrl`` an unsigned request names)."""
        if self.emulator:
            if not _loopback(body.get("serviceUrl")):
                return (
                    _refused(400, "in Emulator mode the serviceUrl must be on this machine"),
                    "Emulator mode refused an activity whose serviceUrl is not on this machine",
                )
            return None
        tenant = inbound.tenant_of(body)
        if self.tenants and tenant not in self.tenants:
            # Acknowledged, so it is not sent again; nothing else is done.
            return (
                web.Response(status=201),
                f"an activity from tenant {str(tenant)[:64]}, which this app does not serve: ignored",
            )
        return None

    async def on_turn_error(self, turn: Any, error: Exception) -> None:
        """Last resort for an error in a turn: log it, tell the person, answer 201."""
        activity = turn.activity
        if activity.type != "message":
            raise error
        log.error(
            "error in a Teams turn",
            exc_info=error if not isinstance(error, OutboundError) else None,
            extra={"error": type(error).__name__},
        )
        if isinstance(error, OutboundError):
            return  # the connector is throttling or refusing: one more message won't help
        t = translator(activity.locale or "en")
        try:
            await turn.send_activity(Activity(type="message", text=t(texts.SORRY)))
        except Exception as failure:
            log.warning("could not apologise: %s", type(failure).__name__)


def _unaddressed(body: dict[str, Any]) -> str | None:
    """Why an activity can't be answered: no conversation to answer in."""
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
        return "no conversation"
    return None


def _loopback(url: object) -> bool:
    if not isinstance(url, str):
        return False
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refused(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def _invoke_response(response: Any) -> web.Response:
    body = response.body
    if hasattr(body, "serialize"):
        body = body.serialize()
    return web.json_response(body, status=int(response.status))


def mount(
    app: web.Application, service: Service, settings: Settings, options: TeamsOptions
) -> Teams:
    seals.configure(settings)
    teams = Teams(service, settings, options)
    if teams.emulator:
        log.warning(
            "TEAMS WITHOUT AUTHENTICATION: MICROSOFT_APP_ID is not set, so %s accepts "
            "unsigned requests from anyone (Bot Framework Emulator mode). "
            "Never expose this server to a network.",
            ROUTE,
        )
    app.router.add_post(ROUTE, teams.handle)
    return teams
