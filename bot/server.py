"""One aiohttp process for every platform: Slack, Teams, health and metrics.

Each platform adapter is a package with a ``mount(app, service, settings)``
that adds its routes and returns its messenger; only the configured ones are
imported. Every request gets a request id (bound into every log line) and is
counted in the metrics by platform, kind and status.
"""

from __future__ import annotations

import logging
import signal
import time
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import logs
from bot.config import Settings
from conversations.delivery import Messenger
from conversations.metrics import HANDLING_SECONDS, REQUESTS
from conversations.service import Service
from storage.migrate import head_revision, known_revisions
from storage.repository import Unavailable

log = logging.getLogger("postpoc.server")

SERVICE = web.AppKey("service", Service)
SETTINGS = web.AppKey("settings", Settings)
MESSENGERS = web.AppKey("messengers", dict[str, Messenger])
"""The messenger of each mounted platform, for the outbox of this process."""
HEAD = web.AppKey("head", str)
KNOWN = web.AppKey("known", set[str])

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PLATFORMS = {"/slack": "slack", "/api/messages": "teams", "/hooks": "hooks"}


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
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = request_id[:64]
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        if platform != "http":
            REQUESTS.labels(platform, kind, str(status)).inc()
            HANDLING_SECONDS.labels(platform, kind).observe(time.perf_counter() - started)


async def healthz(_: web.Request) -> web.Response:
    """The process is up (liveness)."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready for traffic: the database answers and its schema is this code's (or newer)."""
    service, head = request.app[SERVICE], request.app[HEAD]
    try:
        revision = await service.store.schema_revision()
    except Unavailable:
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    if revision != head and (revision is None or revision in request.app[KNOWN]):
        # Behind this code: wait for the migration (the newest replica runs it at start).
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
    app = web.Application(client_max_size=1024**2, middlewares=[observe])
    app[SERVICE] = service
    app[SETTINGS] = settings
    app[MESSENGERS] = {}
    app[HEAD] = head_revision() or ""
    app[KNOWN] = known_revisions()
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


async def serve(settings: Settings) -> None:
    """Run until cancelled."""
    import asyncio

    from bot.runtime import open_service
    from bot.scheduler import build_watch, run_forever

    service = await open_service(settings)
    app = build_app(service, settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    log.info("serving on %s:%s", settings.host, settings.port)
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
        log.info("stopping")
    finally:
        if watcher is not None:
            watcher.cancel()
        await runner.cleanup()
        await service.store.dispose()
