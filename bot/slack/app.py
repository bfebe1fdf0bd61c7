"""The Slack adapter, assembled: a Bolt ``AsyncApp`` on the shared aiohttp
server, its listeners, its Web API client, and what starts and stops with it.

Modes, from the settings:

- one workspace: ``SLACK_BOT_TOKEN``; many: ``SLACK_CLIENT_ID`` and
  ``SLACK_CLIENT_SECRET`` (OAuth, installs kept in the database);
- HTTP at ``/slack/events`` (events, interactivity and ``/poc``, each request
  verified with ``SLACK_SIGNING_SECRET``) and, with ``SLACK_APP_TOKEN``,
  Socket Mode for development. Both may run at once.

The Web API client is configured once, here: ``SLACK_API_URL`` as its base
URL and the :class:`~bot.slack.retry.Backoff` retry handler; Bolt copies both
into the client it gives each request.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot import seals
from bot.config import Settings
from bot.inbox import LEASE_SECONDS, SWEEP_EVERY, Inboxes
from bot.slack import ids, logs, socket_mode
from bot.slack.calls import error_code
from bot.slack.delivery import SlackMessenger
from bot.slack.lane import Lane
from bot.slack.listeners import PLATFORM, Listeners
from bot.slack.oauth import OAuth, TokenSource, build_oauth, tokens
from bot.slack.payloads import malformed
from bot.slack.profiles import Profiles
from bot.slack.questions import Questions
from bot.slack.remembered import Remembered
from bot.slack.replies import Responder
from bot.slack.retry import Backoff, Sleep
from bot.slack.work import Work
from bot.slack.workspaces import Installed
from conversations.service import Service

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

Authorize = Callable[..., Awaitable[AuthorizeResult]]

EVENTS_PATH = "/slack/events"
TIMESTAMP, SIGNATURE = "X-Slack-Request-Timestamp", "X-Slack-Signature"
DRAIN_SECONDS = 10.0
"""How long a stopping process waits for acknowledged work to finish."""
TIMEOUT_SECONDS = 10.0
"""Longest wait for one Web API answer. slack_sdk applies its ``timeout``
only to sessions it opens itself, so the shared session gets it too (without,
aiohttp waits five minutes)."""


@dataclass
class SlackBot:
    """What :func:`mount` built; kept on the aiohttp app under :data:`SLACK`."""

    settings: Settings
    service: Service
    bolt: AsyncApp
    client: AsyncWebClient
    messenger: SlackMessenger
    work: Work
    oauth: OAuth | None
    listeners: Listeners
    lane: Lane = field(default_factory=Lane)
    inbox: Inboxes | None = None
    sweep_every: float = SWEEP_EVERY
    socket: AsyncSocketModeHandler | None = field(default=None, init=False)

    async def settled(self, seconds: float = 10.0) -> bool:
        """Wait until every acknowledged request has been handled (and what
        its replies left is written)."""
        if not await self.work.settled(seconds):
            return False
        return await self.service.store.behind.settled()

    async def lifecycle(self, _: web.Application) -> AsyncIterator[None]:
        """Start with the server: one HTTP session to Slack, Socket Mode if
        configured; stop: let acknowledged work finish, then close."""
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.client.timeout))
        self.client.session = session
        sweeping: asyncio.Task[None] | None = None
        try:
            if self.oauth is None:
                self.work.start(self._check_install())
            if self.inbox is not None:
                # What a process that died after an ack left, finished first.
                await self.sweep()
                sweeping = asyncio.create_task(self._sweep_forever())
            if self.settings.slack_app_token:
                self.socket = await socket_mode.connect(self.bolt, self.settings.slack_app_token)
            yield
        finally:
            if sweeping is not None:
                sweeping.cancel()
            if self.socket is not None:
                await socket_mode.close(self.socket)
            if not await self.settled(DRAIN_SECONDS):
                logs.drain_timeout(self.work.pending)
            await session.close()

    async def sweep(self, grace: float = 0.0) -> int:
        """Start working through every Slack lane of the inbox that no live
        worker holds (rows left by a process that died after their ack); how
        many lanes. ``grace``: only rows kept at least that many seconds ago
        (a younger one is being handled by the request that kept it, unleased
        until its step: bot.inbox)."""
        if self.inbox is None:
            return 0
        try:
            waiting = await self.inbox.waiting(grace)
            lanes = [lane for lane in waiting if lane.startswith(PLATFORM + ":")]
        except Exception as error:  # the database is away: the next sweep tries again
            logs.inbox_sweep_failed(type(error).__name__)
            return 0
        for lane in lanes:
            self.work.start(self.listeners.drain_job(lane), key=lane)
        return len(lanes)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            await self.sweep(grace=LEASE_SECONDS)

    async def _check_install(self) -> None:
        """One workspace: a token that works means the bot is installed, so a
        workspace left inactive by an earlier uninstall is active again."""
        try:
            auth = await self.client.auth_test()
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            logs.install_check_failed(error_code(error))
            return
        key = self.lane.learn(auth)
        await self.service.platform.activate(key, str(auth.get("team") or ""))
        self.listeners.installed.forget(key)


SLACK = web.AppKey("slack", SlackBot)


def _keep_sdk_logs_quiet() -> None:
    # At DEBUG, slack_sdk and slack_bolt log request and response bodies: what
    # people typed, and OAuth responses that carry tokens.
    for name in ("slack_bolt", "slack_sdk"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


class _TokenAlreadyInClient(logging.Filter):
    """Bolt reads ``SLACK_BOT_TOKEN`` from the environment on its own and, since
    postpoc hands it a client that already carries that token, warns at every
    start that the token "will be unused". Nothing is wrong: that one line goes."""

    SKIPPED = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.SKIPPED


BOLT_LOGGER = logging.getLogger("postpoc.slack.bolt")
BOLT_LOGGER.addFilter(_TokenAlreadyInClient())


def register(bolt: AsyncApp, listeners: Listeners) -> None:
    bolt.command(ids.COMMAND)(listeners.command)
    bolt.event("message")(listeners.message)
    bolt.event("app_home_opened")(listeners.home)
    bolt.event("app_uninstalled")(listeners.uninstalled)
    bolt.event("tokens_revoked")(listeners.tokens_revoked)
    bolt.event("user_change")(listeners.user_changed)
    answering_ids = (ids.numbered(ids.ANSWER), ids.numbered(ids.MOVE), ids.SUBMIT, ids.DATE)
    for answering in (*answering_ids, ids.PERSON):
        bolt.action(answering)(listeners.answer)
    bolt.action(ids.PICK)(listeners.tick)
    bolt.action(ids.numbered(ids.RUN))(listeners.run)
    bolt.action(ids.EDIT)(listeners.edit)
    bolt.view_submission(ids.MODAL)(listeners.submit)
    bolt.view_closed(ids.MODAL)(listeners.closed)


def build(
    service: Service,
    settings: Settings,
    *,
    sleep: Sleep = asyncio.sleep,
    jitter: Callable[[], float] = random.random,
    timeout: float = TIMEOUT_SECONDS,
) -> SlackBot:
    _keep_sdk_logs_quiet()
    engine = service.store.engine
    installed = Installed(service.platform)
    oauth = None
    if settings.slack_client_id:
        oauth = build_oauth(settings, service.platform, engine, api_url(settings), installed)
    client = web_client(settings, sleep=sleep, jitter=jitter, timeout=timeout)
    bolt = AsyncApp(
        name="postpoc",
        # Slack's request is answered when the listener returns, not when it
        # calls ack(): each listener chooses its moment (an answer once stored)
        # and leaves the rest to background work (bot.slack.work).
        process_before_response=True,
        # Bolt would otherwise make a logger named after the app ("postpoc") and
        # set its level, overriding the levels postpoc's own loggers inherit.
        logger=BOLT_LOGGER,
        client=client,
        # Without a signing secret no HTTP route is mounted (Socket Mode only),
        # and an empty secret verifies nothing: every request would be refused.
        signing_secret=settings.slack_signing_secret or "",
        # The one HTTP route checks the signature before anything parses the
        # body (_refusal, below); Socket Mode has none to check: once is enough.
        request_verification_enabled=False,
        installation_store=oauth.installations if oauth else None,
        oauth_settings=oauth.settings if oauth else None,
        # An AsyncAuthorize instance is accepted as is (its result may be None:
        # no install found), which Bolt's annotation does not say.
        authorize=cast(Authorize, oauth.authorize) if oauth else None,
    )
    work = Work()
    remembered = Remembered(service.platform, service.store)
    questions = Questions(remembered, settled=service.settled)
    token_source = tokens(settings, engine)
    # A handled row is done with what its replies left (bot.slack.remembered).
    inbox = Inboxes(service.store, finish_behind=True)
    listeners = Listeners(
        service,
        Profiles(),
        Responder(questions),
        work,
        oauth.installations if oauth else None,
        installed=installed,
        inbox=inbox,
        clients=clients_of(client, token_source),
    )
    lane = Lane()
    if oauth is None:
        # One token, one workspace: the others' requests are ignored (bot.slack.lane).
        bolt.use(lane.middleware)
    register(bolt, listeners)
    messenger = SlackMessenger(client, token_source, service.platform)
    return SlackBot(
        settings, service, bolt, client, messenger, work, oauth, listeners, lane, inbox=inbox
    )


def clients_of(
    base: AsyncWebClient, token_source: TokenSource
) -> Callable[[str], Awaitable[AsyncWebClient | None]]:
    """A workspace's client for a step run from the inbox, made as Bolt makes
    each request's: the app client's URL, session, retries and timeout, with
    the workspace's bot token (found again, as the request may be days old)."""

    async def client_for(workspace: str) -> AsyncWebClient | None:
        token = await token_source.bot_token(workspace)
        if not token:
            return None
        return AsyncWebClient(
            token=token,
            base_url=base.base_url,
            session=base.session,
            retry_handlers=base.retry_handlers,
            timeout=base.timeout,
            logger=base.logger,
        )

    return client_for


def web_client(
    settings: Settings,
    *,
    sleep: Sleep = asyncio.sleep,
    jitter: Callable[[], float] = random.random,
    timeout: float = TIMEOUT_SECONDS,
) -> AsyncWebClient:
    """The Web API client, configured once: base URL, token, retries, timeout."""
    return AsyncWebClient(
        token=None if settings.slack_client_id else settings.slack_bot_token,
        base_url=api_url(settings),
        retry_handlers=[Backoff(sleep=sleep, jitter=jitter)],
        timeout=timeout,  # type: ignore[arg-type]  # slack_sdk says int; aiohttp takes a float
    )


def api_url(settings: Settings) -> str:
    """``SLACK_API_URL`` as slack_sdk needs it: method names are joined onto it
    with ``urljoin``, so without a final slash ``/api`` would be dropped."""
    url = settings.slack_api_url
    return url if url.endswith("/") else url + "/"


def build_messenger(service: Service, settings: Settings) -> SlackMessenger:
    """A messenger of its own, for the outbox outside the served app (``postpoc
    tick``, the scheduler): no session to share, a call opens its own."""
    return SlackMessenger(
        web_client(settings), tokens(settings, service.store.engine), service.platform
    )


def add_routes(app: web.Application, bot: SlackBot) -> None:
    bolt = bot.bolt

    if bot.settings.slack_signing_secret:
        verifier = SignatureVerifier(bot.settings.slack_signing_secret)

        async def events(request: web.Request) -> web.Response:
            refused = await _refusal(request, verifier)
            if refused is not None:
                return refused
            bolt_request = await to_bolt_request(request)
            return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

        app.router.add_post(EVENTS_PATH, events)
    flow = bolt.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request))
            )

        async def callback(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request))
            )

        app.router.add_get(flow.install_path, install)
        app.router.add_get(flow.redirect_uri_path, callback)


async def _refusal(request: web.Request, verifier: SignatureVerifier) -> web.Response | None:
    """A 401 for a request not signed with the signing secret, before anything
    parses it (Bolt would parse it first, fail with a 500 on a deeply nested
    body, and log the whole body of a refused one at INFO); a 400 for a signed
    request no Slack would send (:mod:`bot.slack.payloads`)."""
    raw = await request.read()
    try:
        signed = verifier.is_valid(
            raw, request.headers.get(TIMESTAMP, ""), request.headers.get(SIGNATURE, "")
        )
    except ValueError:  # a timestamp that is not a number
        signed = False
    if not signed:
        logs.unsigned()
        return web.json_response({"error": "invalid request"}, status=401)
    try:
        problem = malformed(raw.decode("utf-8"), request.content_type)
    except UnicodeDecodeError:
        problem = "not UTF-8"
    if problem is None:
        return None
    logs.malformed(problem)
    return web.Response(status=400, text=f"malformed Slack request: {problem}")


def mount(
    app: web.Application,
    service: Service,
    settings: Settings,
    *,
    sleep: Sleep = asyncio.sleep,
    jitter: Callable[[], float] = random.random,
    timeout: float = TIMEOUT_SECONDS,
) -> SlackBot:
    """Add Slack to the shared aiohttp application. ``sleep`` and ``jitter``
    are the retry back-off's, ``timeout`` the Web API's (seconds), for tests."""
    seals.configure(settings)
    bot = build(service, settings, sleep=sleep, jitter=jitter, timeout=timeout)
    add_routes(app, bot)
    app.cleanup_ctx.append(bot.lifecycle)
    app[SLACK] = bot
    logs.started(
        oauth=bot.oauth is not None,
        http=bool(settings.slack_signing_secret),
        socket_mode=bool(settings.slack_app_token),
    )
    return bot
