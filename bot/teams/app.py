"""``POST /api/messages``: authenticate, read the tenant, run the turn.

The handler answers as Teams expects: 201 for a handled activity (200 with a
body for an invoke), 401 for anything not signed by the Bot Framework for
this app, 400 for a body that is not an activity or has no tenant, 503 when
the signing keys can't be fetched. Nothing of a refused request is stored.

A message (typed, or a card's submit) is kept in the inbox (:mod:`bot.inbox`)
once authenticated, keyed by its activity id, before its step runs:

- a redelivery of a handled activity changes nothing; of one whose turn was
  cut by a crash (its row still pending, its worker gone), it finishes that
  turn: the person sees the question they are at;
- the person's next message first finishes their older rows left pending, in
  proactive turns, then is handled itself; so does any replica's sweep, at
  start-up and every few seconds;
- the step runs in the request's turn, and so do its replies, until a reply
  or a card update has to be retried (throttled, or the service briefly
  down): the request is answered there (201) and the retries go on after,
  in the background, the row leased to this worker until they are done.

Invokes (``adaptiveCard/action`` must answer in the response),
``conversationUpdate`` and ``installationUpdate`` (install bookkeeping and
the welcome, deduplicated by the core) are handled in the request as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot import seals
from bot.config import Settings
from bot.inbox import SWEEP_EVERY, Background, Inboxes
from bot.teams import inbound, texts
from bot.teams.auth import AuthUnavailable, authentication
from bot.teams.bot import RAW_ACTIVITY, WORKSPACE, TeamsBot
from bot.teams.connector import Connector
from bot.teams.messenger import TeamsMessenger
from bot.teams.options import TeamsOptions
from bot.teams.outbound import RETRYING, OutboundError, Refused
from bot.teams.sdk import Activity, CloudAdapter
from conversations.i18n import translator
from conversations.service import Service
from storage.inbox import Arrival
from storage.models import InboxEntry, InboxStatus
from storage.repository import Unavailable

log = logging.getLogger("postpoc.teams")

ROUTE = "/api/messages"
PLATFORM = "teams"
MESSAGE = "teams.message"
DRAIN_SECONDS = 10.0
"""How long a stopping process waits for replies still being retried."""


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
        self.inbox.on(MESSAGE, self._proactive)
        self.background = Background()
        self.sweep_every = SWEEP_EVERY

    async def settled(self, seconds: float = 10.0) -> bool:
        """Wait until every turn's background work (retried replies, swept rows) is done."""
        return await self.background.settled(seconds)

    async def lifecycle(self, _: web.Application) -> AsyncIterator[None]:
        """Start: finish what a process that died mid-turn left, then keep looking;
        stop: let replies still being retried finish."""
        await self.sweep()
        sweeping = asyncio.create_task(self._sweep_forever())
        try:
            yield
        finally:
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping
            if not await self.background.settled(DRAIN_SECONDS):
                log.warning("teams: stopped with %d turns still retrying", self.background.pending)

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
            self.background.start(self.inbox.drain(lane))
        return len(mine)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            await self.sweep(grace=self.sweep_every)

    async def _proactive(self, entry: InboxEntry, retried: bool) -> None:
        """A row handled outside its request (after a crash, or behind an older
        one): its replies go to its conversation in a proactive turn."""
        activity = entry.payload["activity"]

        async def work(turn: Any) -> None:
            try:
                await self.bot.message(turn, activity, entry.workspace, retried=retried)
            except Refused as error:  # for good: as in a request's own turn
                log.warning("teams: the replies of a turn were refused for good (%s)", error)

        await self.connector.within(inbound.reference_of(activity), work)

    async def _message_turn(self, turn: Any, body: dict[str, Any], workspace: str) -> None:
        """Keep the message in the inbox, then run the person's pending rows,
        this one in this turn."""
        activity_id = str(body["id"])
        lane = lane_of(workspace, inbound.person_of(body))
        try:
            kept = await self.inbox.accept(
                Arrival(PLATFORM, workspace, activity_id, lane, MESSAGE, {"activity": body})
            )
            if kept is None:
                found = await self.inbox.rows.find(PLATFORM, workspace, activity_id)
                if found is None or found.status != InboxStatus.PENDING:
                    return  # handled already: a redelivery changes nothing
                kept = found.id  # its turn was cut (or still runs elsewhere: not taken then)
        except Unavailable:
            # The database can't keep it: handled as before the inbox, so the
            # person is told the database can't be reached.
            await self.bot.on_turn(turn)
            return

        async def here(entry: InboxEntry, retried: bool) -> None:
            try:
                await self.bot.message(turn, body, workspace, retried=retried)
            except Refused as error:
                # Refused for good: the step is stored, and sending again would be
                # refused again; the row is done, so the person's next message is
                # not held behind it (and settles the card this one could not).
                log.warning("teams: the replies of a turn were refused for good (%s)", error)
            except OutboundError:
                raise  # the row is left pending: tried again later, its step not twice
            except Exception as error:
                await self.on_turn_error(turn, error)

        assert kept is not None
        await self._without_retries(self.inbox.drain(lane, {kept: here}))

    async def _without_retries(self, job: Coroutine[Any, Any, int]) -> None:
        """Run ``job`` until it ends or one of its outbound calls backs off to
        retry; then this turn ends (the request is answered) and the job goes
        on in the background."""
        retrying = asyncio.Event()
        mark = RETRYING.set(retrying)
        try:
            task = self.background.start(job)  # the task keeps the mark: its retries signal
        finally:
            RETRYING.reset(mark)
        waiting = asyncio.ensure_future(retrying.wait())
        try:
            await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
        if task.done():
            task.result()
        else:
            log.info("teams: a reply is being retried; the request is answered first")

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
                if body.get("type") == "message" and isinstance(body.get("id"), str) and body["id"]:
                    assert workspace is not None
                    await self._message_turn(turn, body, workspace)
                    return
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
    app.cleanup_ctx.append(teams.lifecycle)
    return teams
