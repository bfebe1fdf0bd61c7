"""One aiohttp process for every platform: Slack, Teams, health and metrics.

Each platform adapter is a package with a ``mount(app, service, settings)``
that adds its routes and returns its messenger; only the configured ones are
imported. Every request gets a request id (bound into every log line) and is
counted in the metrics by platform, kind and status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import executor, logs, startup
from bot.config import Settings
from bot.drain import Drain
from conversations.delivery import Messenger
from conversations.metrics import HANDLING_SECONDS, REQUESTS
from conversations.service import Service
from storage.migrate import HEAD_REVISION, OLDEST_READABLE_REVISION, REVISIONS
from storage.repository import Unavailable

log = logging.getLogger("postpoc.server")
access = structlog.get_logger("postpoc.access")

SERVICE = web.AppKey("service", Service)
SETTINGS = web.AppKey("settings", Settings)
MESSENGERS = web.AppKey("messengers", dict[str, Messenger])
"""The messenger of each mounted platform, for the outbox of this process."""
HEAD = web.AppKey("head", str)
KNOWN = web.AppKey("known", set[str])
DRAIN = web.AppKey("drain", Drain)

PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
"""Not counted as requests in flight by the drain."""
SHUTDOWN_SECONDS = 2.0
"""After the drain, how long aiohttp waits for what is left before closing."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PLATFORMS = {"/slack": "slack", "/api/messages": "teams", "/hooks": "hooks"}
_ORDER = list(REVISIONS)


def revision_order(revision: str) -> int:
    """Where ``revision`` is in this code's chain of migrations (0: the first)."""
    return _ORDER.index(revision)


def platform_of(path: str) -> tuple[str, str]:
    for prefix, platform in PLATFORMS.items():
        if path.startswith(prefix):
            return platform, path.removeprefix(prefix).strip("/") or "events"
    return "http", path.strip("/") or "root"


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A request id in every log line; the request counted and timed."""
    platform, kind = platform_of(request.path)
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    logs.bind_request(request_id[:64], platform)
    started = time.perf_counter()
    status = 500
    drain = request.app.get(DRAIN)
    try:
        if drain is None or request.path in PROBES:
            response = await handler(request)
        else:
            with drain.request():
                response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = request_id[:64]
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        elapsed = time.perf_counter() - started
        if platform != "http":
            REQUESTS.labels(platform, kind, str(status)).inc()
            HANDLING_SECONDS.labels(platform, kind).observe(elapsed)
        # The access line: the path only (never the query string) and no body,
        # so nothing a person typed can reach the log through it.
        access.info(
            "request",
            method=request.method,
            path=request.path[:200],
            status=status,
            ms=round(elapsed * 1000, 1),
        )


def read_within(seconds: float) -> Middleware:
    """A middleware that reads the whole body within ``seconds``, before any
    handler: a client trickling its body (slowloris) is answered 408 and
    disconnected instead of holding a connection and a task for ever. aiohttp's
    server has no body timeout of its own; the body read here is kept by the
    request, so the handlers' own ``read()`` costs nothing."""

    @web.middleware
    async def bounded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.can_read_body:
            try:
                async with asyncio.timeout(seconds):
                    await request.read()
            except TimeoutError:
                log.info("a request body took more than %.1f s to arrive: cut", seconds)
                response = web.json_response({"error": "request body too slow"}, status=408)
                response.force_close()
                return response
        return await handler(request)

    return bounded


async def healthz(_: web.Request) -> web.Response:
    """The process is up (liveness)."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready for traffic: the database answers and its schema is this code's (or newer)."""
    service, head = request.app[SERVICE], request.app[HEAD]
    if request.app[DRAIN].draining:
        # Stopping: out of the Service's endpoints at once, while requests finish.
        return web.json_response({"status": "draining"}, status=503)
    try:
        revision = await service.store.schema_revision()
    except Unavailable:
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    if (
        revision != head
        and (revision is None or revision in request.app[KNOWN])
        and (
            revision is None or revision_order(revision) < revision_order(OLDEST_READABLE_REVISION)
        )
    ):
        # Behind what this code reads: wait for the migration (the newest
        # replica runs it at start). At or above the floor (a schema rolled
        # back with `postpoc db downgrade`) it still serves.
        body = {
            "status": "unavailable",
            "database": "reachable",
            "schema": revision,
            "expected": head,
        }
        return web.json_response(body, status=503)
    # At this code's head, or ahead of it during a rolling upgrade: migrations
    # only add, so this replica keeps serving until it is replaced.
    return web.json_response({"status": "ok", "schema": revision})


async def metrics(_: web.Request) -> web.Response:
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response


def build_app(service: Service, settings: Settings) -> web.Application:
    app = web.Application(
        client_max_size=1024**2,
        middlewares=[observe, read_within(settings.http_body_timeout_seconds)],
    )
    app[SERVICE] = service
    app[SETTINGS] = settings
    app[MESSENGERS] = {}
    app[HEAD] = HEAD_REVISION
    app[KNOWN] = set(REVISIONS)
    app[DRAIN] = Drain()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    from bot import hooks

    hooks.mount(app, service)
    if settings.slack_configured:
        from bot.slack import mount as mount_slack

        app[MESSENGERS]["slack"] = mount_slack(app, service, settings)
    if settings.teams_configured:
        from bot.teams import mount as mount_teams

        app[MESSENGERS]["teams"] = mount_teams(app, service, settings)
    return app


def runner_for(app: web.Application) -> web.AppRunner:
    """The runner ``postpoc serve`` uses. No lingering: aiohttp would otherwise
    keep reading (and discarding) an unread body for ten more seconds after
    answering, which is what a client cut off by :func:`read_within` wants."""
    return web.AppRunner(app, access_log=None, lingering_time=0, shutdown_timeout=SHUTDOWN_SECONDS)


async def serve(settings: Settings) -> None:
    """Run until cancelled."""
    import asyncio

    from bot.runtime import open_service
    from bot.scheduler import build_watch, run_forever

    executor.install()
    service = await open_service(settings)
    app = build_app(service, settings)
    if os.environ.get("POSTPOC_TEST_ROUTES") == "1":
        # Hidden, for tests only (as POSTPOC_NOW is for tick): a request held open.
        from bot.testing import add_test_routes

        add_test_routes(app)
    runner = runner_for(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.listen_host, settings.port)
    await site.start()
    log.info("serving on %s:%s", settings.listen_host, settings.port)
    startup.started()
    watcher = None
    if settings.scheduler:
        messengers: dict[str, Messenger] = app[MESSENGERS]
        watch = build_watch(service, messengers, settings)
        watcher = asyncio.create_task(run_forever(watch, settings.scheduler_interval_seconds))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        # Kubernetes sends SIGTERM: stop taking requests, finish the ones in flight.
        loop.add_signal_handler(signal_number, stopping.set)
    try:
        await stopping.wait()
        drain = app[DRAIN]
        drain.start()
        log.info("draining: %d requests in flight", drain.in_flight)
        if not await drain.finished(settings.drain_seconds):
            log.warning(
                "stopping with %d requests still in flight after %s s",
                drain.in_flight,
                settings.drain_seconds,
            )
        log.info("stopping")
    finally:
        if watcher is not None:
            # Awaited, not only cancelled: a pass cut mid-query must give its
            # connection back before the engine is disposed, or closing it later
            # waits for a database thread that is gone and the process never exits.
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await runner.cleanup()
        await service.store.dispose()
