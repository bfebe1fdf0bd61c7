"""Routes for tests of the running process only, mounted when
``POSTPOC_TEST_ROUTES=1`` (never in the manifests or the image's settings).

``GET /_test/hold`` is a request that stays in flight until ``POST
/_test/release``: what a slow turn looks like to the drain, without a
platform or a clock to wait on. ``GET /_test/held`` says how many are held;
with ``?at_least=N`` it answers once N are, so a test waits on that instead
of asking again and again.
``GET /_test/imports`` says what the process has imported so far and
whether its garbage collector runs (what a start costs, ``bot.startup``).
"""

from __future__ import annotations

import asyncio
import gc
import sys

from aiohttp import web

HELD = web.AppKey("held", list[asyncio.Event])
CHANGED = web.AppKey("held_changed", asyncio.Condition)


def _waiting(app: web.Application) -> int:
    return sum(not event.is_set() for event in app[HELD])


async def hold(request: web.Request) -> web.Response:
    released = asyncio.Event()
    request.app[HELD].append(released)
    async with request.app[CHANGED]:
        request.app[CHANGED].notify_all()
    await released.wait()
    return web.json_response({"status": "released"})


async def held(request: web.Request) -> web.Response:
    at_least = int(request.query.get("at_least", "0"))
    changed = request.app[CHANGED]
    async with changed:
        await changed.wait_for(lambda: _waiting(request.app) >= at_least)
    return web.json_response({"held": _waiting(request.app)})


async def release(request: web.Request) -> web.Response:
    for event in request.app[HELD]:
        event.set()
    return web.json_response({"status": "ok"})


async def imports(_: web.Request) -> web.Response:
    return web.json_response(
        {
            "modules": sorted(sys.modules),
            "collector": {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()},
        }
    )


def add_test_routes(app: web.Application) -> None:
    app[HELD] = []
    app[CHANGED] = asyncio.Condition()
    app.router.add_get("/_test/hold", hold)
    app.router.add_get("/_test/held", held)
    app.router.add_post("/_test/release", release)
    app.router.add_get("/_test/imports", imports)
