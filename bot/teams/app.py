"""``POST /api/messages``: authenticate, read the tenant, keep or run the activity.

The handler answers as Teams expects: 201 for a handled activity (200 with a
body for an invoke), 401 for anything not signed by the Bot Framework for
this app, 400 for a body that is not an activity or has no tenant, 503 when
the signing keys can't be fetched. Nothing of a refused request is stored.

A message (typed, or a card's submit) with an id is answered once it is kept:

1. its token is checked (once: ``StrictAuthentication``, as botbuilder's
   ``CloudAdapter`` would) and its tenant served;
2. its one inbox row is committed (:mod:`bot.inbox`, keyed by its activity
   id, which also tells a redelivery from a new message);
3. the request is answered 201, as botbuilder answers a handled message;
4. after that, its person's lane is drained (:mod:`bot.teams.lanes`): the
   step runs from the row and its replies go through the Bot Connector in a
   proactive turn (a continued conversation from the reference the row
   holds), one person's rows one at a time and in arrival order, on any
   replica.

A process that dies between 2 and 4 leaves the row pending: a redelivery,
the person's next message, or any replica's sweep (at start-up and every
second) finishes it, and the core's claim of the delivery id keeps a step run
twice from being applied twice (the person is then shown the question they
are at). A reply still throttled after its retries leaves the row pending,
to be tried again; a reply refused for good, or a step that fails, ends the
row (the person is told), so their next message is not held behind it.
Should the database refuse the row, the step runs at once without it, after
the response, and tells the person the database can't be reached.

In the request's own turn (``CloudAdapter.process_activity``) stay what needs
its result in the HTTP response, or has no id to be kept by:

- invokes: ``adaptiveCard/action`` (Action.Execute) must answer with its
  card or status in the response body, and so must task modules
  (``task/fetch``, ``task/submit``), sign-in (``signin/verifyState``,
  ``signin/tokenExchange``) and message extensions; a step run later could
  only answer an empty 200, which Teams shows as an error;
- ``conversationUpdate`` and ``installationUpdate``: install bookkeeping and
  the welcome, rare and deduplicated by the core;
- a message without an id (nothing to key its row by).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot import seals
from bot.config import Settings
from bot.inbox import SWEEP_EVERY, Inboxes
from bot.teams import inbound, texts
from bot.teams.auth import AuthUnavailable, authentication
from bot.teams.bot import RAW_ACTIVITY, WORKSPACE, TeamsBot
from bot.teams.connector import Connector
from bot.teams.lanes import Lanes
from bot.teams.messenger import TeamsMessenger
from bot.teams.options import TeamsOptions
from bot.teams.outbound import OutboundError, Refused
from bot.teams.sdk import Activity, CloudAdapter
from conversations.i18n import translator
from conversations.service import Service
from storage.inbox import Arrival
from storage.models import InboxEntry
from storage.repository import Unavailable

log = logging.getLogger("postpoc.teams")

ROUTE = "/api/messages"
PLATFORM = "teams"
MESSAGE = "teams.message"
DRAIN_SECONDS = 10.0
"""How long a stopping process waits for the steps and replies under way."""


def lane_of(workspace: str, person: str) -> str:
    return f"{PLATFORM}:{workspace}:{person}"


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
        self.inbox = Inboxes(service.store)
        self.inbox.on(MESSAGE, self._step)
        self.lanes = Lanes(self.inbox.drain)
        self.sweep_every = SWEEP_EVERY

    async def settled(self, seconds: float = 10.0) -> bool:
        """Wait until the work after every response (steps, replies, swept rows) is done."""
        return await self.lanes.settled(seconds)

    async def lifecycle(self, _: web.Application) -> AsyncIterator[None]:
        """Start: finish what a process that died mid-turn left, then keep looking;
        stop: let the steps and replies under way finish."""
        await self.sweep()
        sweeping = asyncio.create_task(self._sweep_forever())
        try:
            yield
        finally:
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping
            if not await self.lanes.settled(DRAIN_SECONDS):
                log.warning("teams: stopped with %d lanes still being worked", self.lanes.pending)

    async def sweep(self, grace: float = 0.0) -> int:
        """Drain every Teams lane left waiting; ``grace``: leave rows younger
        than that many seconds to the request that is about to take them."""
        try:
            lanes = await self.inbox.waiting(grace)
        except Exception as error:  # the database is away: the next sweep tries again
            log.warning("teams: could not look for activities left in the inbox (%s)", error)
            return 0
        mine = [lane for lane in lanes if lane.startswith(PLATFORM + ":")]
        for lane in mine:
            self.lanes.kick(lane)
        return len(mine)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            await self.sweep(grace=self.sweep_every)

    async def _keep(self, body: dict[str, Any], workspace: str) -> None:
        """Commit the message's inbox row, then have its lane drained after the response."""
        lane = lane_of(workspace, inbound.person_of(body))
        arrival = Arrival(PLATFORM, workspace, str(body["id"]), lane, MESSAGE, {"activity": body})
        try:
            await self.inbox.accept(arrival)
        except Unavailable:
            # The database can't keep it: the step runs without a row, so the
            # person is told the database can't be reached.
            self.lanes.start(self._unkept(body, workspace))
            return
        # A redelivery too: its row handled, the drain finds nothing to do; its
        # turn cut by a crash (pending, its worker gone), the drain finishes it.
        self.lanes.kick(lane)

    async def _step(self, entry: InboxEntry, retried: bool) -> None:
        """A message's step, from its row. Raises only to leave the row pending
        (a reply to be retried later; the step itself is not applied twice)."""
        await self._answer(entry.payload["activity"], entry.workspace, retried, entry.id)

    async def _answer(
        self,
        activity: dict[str, Any],
        workspace: str,
        retried: bool,
        inbox_entry: int | None = None,
    ) -> None:
        """Run the step of ``activity``; its replies go to its conversation in a
        proactive turn. ``inbox_entry``: its row, marked applied in the step's own
        transaction, so that replies failing after it hold no later message of
        the person (the row is retried for its replies alone)."""

        async def work(turn: Any) -> None:
            try:
                await self.bot.message(
                    turn, activity, workspace, retried=retried, inbox_entry=inbox_entry
                )
            except Refused as error:
                # Refused for good: the step is stored, and sending again would be
                # refused again; the row is done, so the person's next message is
                # not held behind it (and settles the card this one could not).
                log.warning("teams: the replies of a turn were refused for good (%s)", error)
            except OutboundError:
                raise
            except Exception as error:
                log.error(
                    "error in a Teams step", exc_info=error, extra={"error": type(error).__name__}
                )
                await self._apologise(turn, inbound.text_field(activity, "locale"))

        await self.connector.within(inbound.reference_of(activity), work)

    async def _unkept(self, body: dict[str, Any], workspace: str) -> None:
        """A message the inbox could not keep, handled at once, after the response."""
        try:
            await self._answer(body, workspace, retried=False)
        except OutboundError as error:  # no row to try again from
            log.warning("teams: the replies of a turn could not be sent (%s)", error)

    async def _apologise(self, turn: Any, locale: str | None) -> None:
        t = translator(locale or "en")
        try:
            await turn.send_activity(Activity(type="message", text=t(texts.SORRY)))
        except Exception as failure:
            log.warning("could not apologise: %s", type(failure).__name__)

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
            assert workspace is not None
            if _keepable(body):
                await self.auth.authenticate_request(activity, header)
                await self._keep(body, workspace)
                return web.Response(status=201)

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
        await self._apologise(turn, activity.locale)


def _keepable(body: dict[str, Any]) -> bool:
    """A message with an id: kept in the inbox, answered before its step runs."""
    return body.get("type") == "message" and isinstance(body.get("id"), str) and bool(body["id"])


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
    app.cleanup_ctx.append(teams.lifecycle)
    return teams
