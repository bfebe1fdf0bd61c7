"""The processes :mod:`benchmarks.slack_ack` drives, one role each, on
127.0.0.1 at a free port. Each prints ``READY <url>`` once it listens and
serves until SIGTERM.

``fake --users N``
    The tests' fake Slack Web API (:mod:`tests.slack.fake_slack`) knowing N
    people, plus ``GET /bench/calls`` on a second port: how many calls of
    each method it has answered (printed as ``READY <api url> <control url>``).
``postpoc --api-url URL --database-url URL``
    postpoc's own aiohttp application (``bot.server.build_app``) with Slack
    configured for one workspace, as ``postpoc serve`` builds it (without the
    weekly scheduler, so that only the requests are measured).
``bare --api-url URL [--inbox PATH]``
    A bare ``AsyncApp``: same signing secret, same Web API, a ``message``
    listener that does nothing, served by the same Bolt aiohttp adapter.
    With ``--inbox``, "bare Bolt plus one durable INSERT": a middleware
    (after Bolt's signature check, before the ack) inserts the raw event,
    keyed by its ``event_id``, into a SQLite file (WAL, ``synchronous=NORMAL``
    as postpoc's engine) and commits: the least any bot that never loses an
    acknowledged answer must do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
from aiohttp import ClientSession, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack.fake_slack import FakeSlack
from tests.slack.harness import SECRET

BOT_TOKEN = "xoxb-1-bench"  # noqa: S105 (the fake Slack's, not a secret)
EVENTS_PATH = "/slack/events"


def user_id(index: int) -> str:
    return f"U{index:07d}"


def user_name(index: int) -> str:
    return f"Owner {index}"


async def _until_stopped() -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stopping.set)
    await stopping.wait()


@asynccontextmanager
async def _served(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def fake(users: int) -> None:
    slack = FakeSlack()
    for index in range(users):
        slack.add_user(user_id(index), user_name(index))
    await slack.start()

    async def calls(_: web.Request) -> web.Response:
        return web.json_response(Counter(call.method for call in slack.calls if call.ok))

    control = web.Application()
    control.router.add_get("/bench/calls", calls)
    try:
        async with _served(control) as control_url:
            print("READY", slack.api_url, control_url, flush=True)
            await _until_stopped()
    finally:
        await slack.stop()


async def postpoc(api_url: str, database_url: str) -> None:
    from bot import logs
    from bot.config import Settings
    from bot.runtime import open_service
    from bot.server import build_app

    # No access line per request: this process's standard output is a pipe
    # read only up to READY, and a full pipe stalls the process (it did, at
    # about 380 requests, in the middle of the 50-in-flight level).
    logs.configure("WARNING")

    settings = Settings(
        _env_file=None,
        database_url=database_url,
        slack_signing_secret=SECRET,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=api_url,
        scheduler=False,
    )
    service = await open_service(settings)
    try:
        async with _served(build_app(service, settings)) as url:
            print("READY", url, flush=True)
            await _until_stopped()
    finally:
        await service.store.dispose()


async def _inbox(path: str) -> aiosqlite.Connection:
    database = await aiosqlite.connect(path, isolation_level=None)
    await database.execute("PRAGMA journal_mode=WAL")
    await database.execute("PRAGMA synchronous=NORMAL")
    await database.execute(
        "CREATE TABLE IF NOT EXISTS inbox (event_id TEXT PRIMARY KEY, body TEXT NOT NULL)"
    )
    return database


async def bare(api_url: str, inbox: str | None = None) -> None:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api_url)
    bolt = AsyncApp(client=client, signing_secret=SECRET)
    database = await _inbox(inbox) if inbox else None

    if database is not None:

        @bolt.middleware
        async def durable(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
            # One row, committed before Bolt acknowledges (autocommit: one transaction).
            await database.execute(
                "INSERT OR IGNORE INTO inbox (event_id, body) VALUES (?, ?)",
                (str(body.get("event_id", "")), json.dumps(body)),
            )
            await next()

    @bolt.event("message")
    async def nothing() -> None:
        return None

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post(EVENTS_PATH, events)
    async with ClientSession() as session:
        client.session = session  # one HTTP session to Slack, as postpoc has
        async with _served(app) as url:
            print("READY", url, flush=True)
            await _until_stopped()
    if database is not None:
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    roles = parser.add_subparsers(dest="role", required=True)
    roles.add_parser("fake").add_argument("--users", type=int, default=0)
    served = roles.add_parser("postpoc")
    served.add_argument("--api-url", required=True)
    served.add_argument("--database-url", required=True)
    bare_role = roles.add_parser("bare")
    bare_role.add_argument("--api-url", required=True)
    bare_role.add_argument("--inbox", help="a SQLite file: one durable INSERT before the ack")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.role == "fake":
        asyncio.run(fake(args.users))
    elif args.role == "postpoc":
        asyncio.run(postpoc(args.api_url, args.database_url))
    else:
        asyncio.run(bare(args.api_url, args.inbox))


if __name__ == "__main__":
    main()
