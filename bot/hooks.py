"""``POST /hooks/readings``: readings signed by the agent's own telemetry.

Only HTTP here; verifying and storing are the core's (``conversations.telemetry``).
The body is read up to one byte past the limit, so an oversized request is
refused without being held in memory whole.
"""

from __future__ import annotations

import logging

from aiohttp import web

from conversations import telemetry
from conversations.service import Service
from storage.repository import Unavailable

log = logging.getLogger("postpoc.hooks")

PATH = "/hooks/readings"


def mount(app: web.Application, service: Service) -> None:
    async def readings(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > telemetry.MAX_BODY_BYTES:
            return _answer(telemetry.refused(400, "too_large"))
        # The server's body-timeout middleware has read the body already (and the
        # application's client_max_size bounds it): read() returns what it kept.
        body = await request.read()
        if len(body) > telemetry.MAX_BODY_BYTES:
            return _answer(telemetry.refused(400, "too_large"))
        try:
            answer = await telemetry.receive(service.store, request.headers, body, service.clock())
        except Unavailable:
            return web.json_response({"ok": False, "reason": "unavailable"}, status=503)
        if answer.status != 200:
            # The reason only: never the body, which the sender may not own.
            log.info("telemetry reading refused: %s", answer.body.get("reason"))
        return _answer(answer)

    app.router.add_post(PATH, readings)


def _answer(answer: telemetry.HookAnswer) -> web.Response:
    return web.json_response(answer.body, status=answer.status)
