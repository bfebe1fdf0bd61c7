"""One aiohttp process for every platform: Slack, Teams, health and metrics.

Each platform adapter is a package with a ``mount(app, service, settings)``
that adds its routes; only the configured ones are imported.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.config import Settings
from conversations.delivery import Messenger
from conversations.service import Service

log = logging.getLogger("postpoc.server")

SERVICE = web.AppKey("service", Service)
SETTINGS = web.AppKey("settings", Settings)
MESSENGERS = web.AppKey("messengers", dict[str, Messenger])
"""The messenger of each mounted platform, for the outbox of this process."""


async def healthz(_: web.Request) -> web.Response:
    """The process is up (liveness)."""
    return web.json_response({"status": "ok"})


def build_app(service: Service, settings: Settings) -> web.Application:
    app = web.Application(client_max_size=1024**2)
    app[SERVICE] = service
    app[SETTINGS] = settings
    app[MESSENGERS] = {}
    app.router.add_get("/healthz", healthz)
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
    try:
        await asyncio.Event().wait()
    finally:
        if watcher is not None:
            watcher.cancel()
        await runner.cleanup()
        await service.store.dispose()
